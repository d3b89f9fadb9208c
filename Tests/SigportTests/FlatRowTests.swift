import Foundation
import Testing
@testable import Sigport

/// Rows read ahead go flat into batches (`RowBatch`) and are mapped in place, with fast paths for
/// plain decimals, `…Z` times and the signal memo. These tests hold that path to the one every
/// other input takes (a `SourceRow` of `FieldValue`s, mapped by the general code), row by row.
@Suite("Flat rows: mapped in place exactly as read into values")
struct FlatRowTests {
    /// A wide mapping touching each rule the fast paths skip: null texts, a default, a filter, a
    /// scaled signal, an enum with states, templates from a row field and the file name.
    private static let mappingYAML = #"""
        version: 1
        source:
          format: csv
          timestamp: {field: ts}
          nulls: ["", "NA", "null"]
          defaults: {b: "7"}
          filters: [{skip_if: {field: site, equals: skip}}]
        target: integration
        signals:
          - {field: a, input_id: "{site}/a"}
          - {field: b, input_id: "{site}/b"}
          - {field: c, input_id: "{site}/{kind}/c", scale: 2, offset: 1}
          - {field: d, input_id: "door/{site}", type: enum, states: {OPEN: 1, CLOSED: 0}}
          - {field: a, input_id: "fixed/a2"}
        """#

    private static let header = "ts,site,kind,a,b,c,d,unused"

    /// A long layout: one value a row, the signal from the row's id, ids taking turns (more
    /// than the 16 a key cache keeps inline, some that break the input-ID rule, one not ASCII).
    private static let longYAML = #"""
        version: 1
        source:
          format: csv
          timestamp: {field: ts}
          nulls: ["", "NA"]
        target: integration
        layout: long
        long: {id_field: tag, value_field: v}
        signal:
          input_id: "plc/{id}"
        """#

    private static let longHeader = "ts,tag,v"
    private static let longPools: [[String]] = [
        pools[0],
        (0..<20).map { "t\($0)" } + ["bad tag", "", "NA", "t\u{e9}", "t1", "t1", "t2", "t2"],
        pools[3],
    ]

    /// Field texts each column draws from: plain and not plain decimals, nulls, non-ASCII text,
    /// quoting, times in and out of the positional shape, values a rule rejects.
    private static let pools: [[String]] = [
        ["2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-03-01T00:00:01Z", "2024-03-01T01:00:00+01:00", "2024-02-30T00:00:00Z",
         "2024-03-01 00:00:02Z", "", "NA", "garbage", "\"2024-03-01T00:00:03Z\"", "2024-03-01T00:00:04.5Z"],
        ["pier", "pier", "pier", "dock", "skip", "", "NA", "qu\u{e4}i", "\"a,b\"", "\"multi\nline\""],
        ["x", "x", "y", "", "\u{fc}"],
        ["1.5", "670.487", "-0", "007", "1.50", "12345678901234567", "1e3", "1,5", "", "NA", "abc", " 3 ", "\"4.25\"", "-12.375", "0.00001"],
        ["2", "", "NA", "null", "3.25", "x"],
        ["10", "1e308", "-4.5", "", "0.1"],
        ["OPEN", "CLOSED", "1", "0", "2", "AJAR", "", "1.5"],
        ["u", "\u{e9}", ""],
    ]

    /// A deterministic CSV of `rows` rows drawn from `pools`, with an occasional ragged row or
    /// stray quote. `sticky`: a column that keeps its last value on 7 rows in 8 (a device's rows
    /// in runs, so that the signal memo stays on).
    private static func csv(rows: Int, seed: UInt64, header: String = header, pools: [[String]] = pools, sticky: Int? = nil) -> String {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var lines = [header]
        var previous: [String] = []
        for _ in 0..<rows {
            var fields = pools.map { $0[next($0.count)] }
            if let sticky, !previous.isEmpty, next(8) != 0 { fields[sticky] = previous[sticky] }
            previous = fields
            switch next(40) {
            case 0: fields.removeLast()
            case 1: fields[fields.count - 1] = "1\"5"
            default: break
            }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a mapped, filtered or rejected row is, in full: time, each value's signal, number
    /// and text, and a rejection's place, field, value, rule and raw bytes.
    private static func describe(_ outcome: MapOutcome) -> String {
        switch outcome {
        case .mapped(let row):
            "mapped \(row.time) " + row.values.map { "\($0.signal)=\($0.value)/\($0.text.string ?? ($0.text.isAbsent ? "-" : "?"))" }.joined(separator: " ")
        case .filtered: "filtered"
        case .rejected(let r): "rejected \(r.location) \(r.column ?? "-")=\(r.value ?? "-") \(r.rule) \(r.message) \(r.raw)"
        }
    }

    private static func problem(_ p: RowProblem) -> String { "problem \(p.location) \(p.rule) \(p.message) \(p.raw)" }

    @Test("every row, flat or not, maps as its values would; the catalogs match", arguments: [1, 2, 3], [false, true])
    func sameAsValues(seed: UInt64, long: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let csv = long ? Self.csv(rows: 3000, seed: seed, header: Self.longHeader, pools: Self.longPools)
                           : Self.csv(rows: 3000, seed: seed, sticky: seed == 1 ? nil : 1)
            let path = try dir.write("gw.csv", csv)
            let mapping = try loadMapping(long ? Self.longYAML : Self.mappingYAML)
            let input = InputFile(path: path)

            var plain = try mapping.reader(for: input)
            var expectedMapper = RowMapper(mapping: mapping)
            try expectedMapper.start(file: input, fieldNames: plain.fieldNames)
            var expected: [String] = []
            while let outcome = try plain.next() {
                switch outcome {
                case .row(let row): expected.append(Self.describe(expectedMapper.map(row)))
                case .problem(let p): expected.append(Self.problem(p))
                }
            }

            // Small batches, so rows cross batch boundaries and batches are recycled.
            let reader = try mapping.reader(for: input)
            var mapper = RowMapper(mapping: mapping)
            try mapper.start(file: input, fieldNames: reader.fieldNames)
            let ahead = ReadAhead(reader, batchSize: 7, depth: 2)
            var actual: [String] = []
            var flat = 0, other = 0
            while let item = try ahead.nextItem() {
                switch item {
                case .flat(let row):
                    flat += 1
                    actual.append(Self.describe(mapper.map(row)))
                case .outcome(.row(let row)):
                    other += 1
                    actual.append(Self.describe(mapper.map(row)))
                case .outcome(.problem(let p)):
                    other += 1
                    actual.append(Self.problem(p))
                }
            }
            #expect(actual.count == expected.count)
            for (i, (a, e)) in zip(actual, expected).enumerated() where a != e {
                Issue.record("row \(i + 2): flat path gave \(a), values gave \(e)")
                break
            }
            #expect(mapper.signals == expectedMapper.signals)
            // Both kinds were exercised.
            #expect(flat > 1000)
            #expect(other > 100)
        }
    }

    @Test("a flat row's fields, location and raw bytes are the row's")
    func view() async throws {
        try await withTemporaryDirectory { dir in
            let path = try dir.write("v.csv", "t,a,b\r\n1,\"x,\"\"y\",  z  \r\n\"two\nlines\",,3\r\n")
            let reader = try CSVReader(input: InputFile(path: path), dialect: .comma)
            let ahead = ReadAhead(reader)
            var rows: [(fields: [String], location: RowLocation, raw: String)] = []
            while let item = try ahead.nextItem() {
                guard case .flat(let row) = item else { Issue.record("a plain row was not flat"); continue }
                rows.append(((0..<row.fieldCount).map(row.string), row.location, String(decoding: row.raw, as: UTF8.self)))
            }
            #expect(rows.map(\.fields) == [["1", "x,\"y", "z"], ["two\nlines", "", "3"]])
            #expect(rows.map(\.location) == [RowLocation(file: path, line: 2, byteOffset: 7), RowLocation(file: path, line: 3, byteOffset: 24)])
            #expect(rows.map(\.raw) == ["1,\"x,\"\"y\",  z  ", "\"two\nlines\",,3"])
        }
    }
}
