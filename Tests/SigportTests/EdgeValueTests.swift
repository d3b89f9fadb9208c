import Foundation
import Testing
@testable import Sigport

/// One line of `rejects.jsonl`, as a person fixing the input reads it.
struct RejectLine: Decodable, Equatable, CustomStringConvertible {
    var file: String
    var line: Int
    var column: String?
    var value: String?
    var rule: String
    var message: String
    var raw: String

    var description: String { "\(file):\(line) \(rule) \(column ?? "-")=\((value ?? "-").prefix(40))" }
}

/// What a whole mapping run (reader → mapper → reject writer) made of one input file.
struct EdgeRun {
    var input: String
    var rows: [MappedRow]
    var rejects: [RejectLine]
    var report: MappingRun.Report
    var mapper: RowMapper

    /// `line rule column` of every reject, for comparing with a table.
    var rejected: [String] { rejects.map { "\($0.line) \($0.rule) \($0.column ?? "-")" } }

    /// Runs `yaml` over a file called `name` holding `content`, as `sigport validate` does, and
    /// checks what every run must hold: counts balance, and every reject names this file, a line,
    /// and a rule sigport documents.
    static func run(_ yaml: String, _ name: String, _ content: [UInt8],
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> EdgeRun {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let input = try dir.write(name, content)
            var run = MappingRun(mapping: try Mapping.parse(yaml, file: "edge.yaml"), inputs: [InputFile(path: input)],
                                 rejectDirectory: dir.appendingPathComponent("run"))
            var rows: [MappedRow] = []
            let report = try run.run { row, _ in rows.append(row) }
            let log = dir.appendingPathComponent("run/rejects.jsonl")
            let text = FileManager.default.fileExists(atPath: log.path) ? try String(contentsOf: log, encoding: .utf8) : ""
            let rejects = try lines(text).map { try JSONDecoder().decode(RejectLine.self, from: Data($0.utf8)) }
            let counts = report.total
            #expect(counts.read == counts.mapped + counts.rejected + counts.filtered, sourceLocation: sourceLocation)
            #expect(counts.rejected == rejects.count && counts.mapped == rows.count, sourceLocation: sourceLocation)
            for reject in rejects {
                #expect(reject.file == input && reject.line >= 1 && !reject.message.isEmpty, "\(reject)", sourceLocation: sourceLocation)
                #expect(Self.documentedRules.contains(reject.rule), "\(reject)", sourceLocation: sourceLocation)
            }
            return EdgeRun(input: input, rows: rows, rejects: rejects, report: report, mapper: run.mapper)
        }
    }

    static func run(_ yaml: String, _ name: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> EdgeRun {
        try await run(yaml, name, Array(text.utf8), sourceLocation: sourceLocation)
    }

    /// The rule ids of docs/mapping.md ("Rule ids").
    static let documentedRules = Set(RejectRule.allCases.map(\.rawValue)).union([
        "csv-ragged", "csv-quote", "csv-row-size", "utf8", "jsonl-syntax", "jsonl-not-object", "jsonl-not-scalar", "jsonl-not-array", "jsonl-line-too-long",
    ])
}

/// Mappings for the edge cases: one value field, an input ID or sensor from a row field.
enum EdgeMappings {
    static let csv = """
        source: {format: csv, timestamp: {field: ts, timezone: UTC}}
        target: integration
        signals: [{field: v, input_id: "{site}/v"}]
        """
    static let jsonl = """
        source: {format: jsonl, timestamp: {field: ts}}
        target: integration
        signals: [{field: v, input_id: "{site}/v"}]
        """
    static func ox(_ format: String) -> String {
        """
        source: {format: \(format), timestamp: {field: ts}}
        target: ox
        ox:
          sensor: {sensor_id: "{serial}", sensor_type: glove, sensor_version: "1"}
          events: [{field: v, event_type: reading}]
        """
    }
    static func long(_ format: String) -> String {
        """
        source: {format: \(format), timestamp: {field: ts}}
        target: integration
        layout: long
        long: {id_field: tag, value_field: v}
        signal: {input_id: "plc/{id}"}
        """
    }

    /// A CSV over `ts,site,v`, a row a minute from 2024-03-01T00:00Z, one row per value (line 2 on).
    static func csvRows(_ values: [String], site: String = "pier") -> String {
        "ts,site,v\n" + values.enumerated().map { i, v in "2024-03-01T00:\(i < 10 ? "0" : "")\(i):00Z,\(site),\(v)" }.joined(separator: "\n") + "\n"
    }
}

@Suite("Edge values: numbers and ids through reader, mapper and rejects")
struct EdgeValueTests {
    @Test("CSV numbers at the edges: NaN and infinities rejected (number, number-finite), -0 and 0.0 kept, whole numbers past 2^53 that a Double changes number-precision, an exponent's decimal kept")
    func csvNumbers() async throws {
        // Text of 20 digits, or of 19 past Int64.max, crashes the mapper: see `longDigitTexts`.
        let values = ["NaN", "nan", "inf", "-Infinity", "1e309", "-1e309", "+Inf", "-0", "0.0", "-0.0e0",
                      "1234567890123456", "1234567890123456789", "-9223372036854775807", "1.2345678901234567e19"]
        let run = try await EdgeRun.run(EdgeMappings.csv, "edge.csv", EdgeMappings.csvRows(values))
        #expect(run.rejected == ["2 number v", "3 number v", "4 number v", "5 number v", "6 number-finite v", "7 number-finite v", "8 number v",
                                 "13 number-precision v", "14 number-precision v"])
        #expect(run.rejects.map(\.value) == ["NaN", "nan", "inf", "-Infinity", "1e309", "-1e309", "+Inf", "1234567890123456789", "-9223372036854775807"])
        #expect(run.rejects.first?.raw == "2024-03-01T00:00:00Z,pier,NaN")
        #expect(run.rows.map { $0.values.map(\.value) } == [[0], [0], [0], [1_234_567_890_123_456], [1.2345678901234567e19]])
        #expect(run.mapper.signals.map(\.inputID) == ["pier/v"])
    }

    /// `NumberText.plainDecimal` (RowContext.swift) accumulates every digit in an Int64 and checks
    /// for more than 15 only after the loop: text of 20 digits overflows it, and Swift traps. The
    /// runs go through the built binary so the crash is a failed expectation, not a dead suite.
    @Test("CSV text of 20 digits, or a 10 MB run of digits: number-precision or number-finite, a long fraction kept, ox readings ox-reading-range; no crash")
    func longDigitTexts() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let integration = try dir.write("integration.yaml", EdgeMappings.csv)
            let values = ["12345678901234567890", "-99999999999999999999", "9999999999999999999", "0.12345678901234567890", String(repeating: "9", count: 10_000_000)]
            let csv = try dir.write("digits.csv", EdgeMappings.csvRows(values))
            let ox = try dir.write("ox.yaml", EdgeMappings.ox("csv"))
            let readings = try dir.write("readings.csv", "ts,serial,v\n2024-03-01T00:00:00Z,S-1,12345678901234567890\n2024-03-01T00:01:00Z,S-1,-9223372036854775808\n")
            let first = try await CommandRun.sigport(["validate", "-m", integration, "--run-dir", dir.appendingPathComponent("a").path, csv], in: dir)
            let second = try await CommandRun.sigport(["validate", "-m", ox, "--run-dir", dir.appendingPathComponent("b").path, readings], in: dir)
            do {
                #expect(first.status == 1, "\(first.stderr.prefix(300))")
                #expect(lines(first.stdout).first == "rows read 5 = mapped 1 + rejected 4 + filtered 0")
                let rules = lines((try? dir.text("a/rejects.jsonl")) ?? "").map { (try? JSONDecoder().decode(RejectLine.self, from: Data($0.utf8))).map { "\($0.line) \($0.rule)" } }
                #expect(rules == ["2 number-precision", "3 number-precision", "4 number-precision", "6 number-finite"])
                #expect(second.status == 1, "\(second.stderr.prefix(300))")
                #expect(lines(second.stdout).first == "rows read 2 = mapped 0 + rejected 2 + filtered 0")
                #expect(lines(second.stdout).contains("  rejected by ox-reading-range: 2"))
            }
        }
    }

    @Test("JSONL numbers at the edges: NaN is not JSON (jsonl-syntax); 1e309 is, beyond a double: number-finite with its column, as in a CSV; texts are number rejects; -0 and 0.0 kept; 20 digits number-precision")
    func jsonlNumbers() async throws {
        let values = [#"NaN"#, #""NaN""#, "1e309", "-1e309", #""1e309""#, #""-Infinity""#, "-0", "0.0", "12345678901234567890", "-0.0"]
        let text = values.enumerated().map { i, v in #"{"ts":"2024-03-01T00:0\#(i):00Z","site":"pier","v":\#(v)}"# }.joined(separator: "\n") + "\n"
        let run = try await EdgeRun.run(EdgeMappings.jsonl, "edge.jsonl", text)
        #expect(run.rejected == ["1 jsonl-syntax -", "2 number v", "3 number-finite v", "4 number-finite v", "5 number-finite v", "6 number v", "9 number-precision v"])
        #expect(run.rejects.map(\.value) == [nil, "NaN", "1e309", "-1e309", "1e309", "-Infinity", "12345678901234567890"])
        #expect(run.rows.map { $0.values.map(\.value) } == [[0], [0], [0]])
        #expect(run.rows.map(\.time) == [6, 7, 9].map { 1_709_251_200_000_000 + Int64($0) * 60_000_000 })
    }

    /// Numbers where a Double is not the number written, the same in a CSV and in JSONL: `value`
    /// is what is kept (nil: rejected as `number-precision`).
    static let precisionEdges: [(text: String, value: Double?)] = [
        ("1e-400", nil), ("-1e-400", nil), ("2e-324", nil),                      // nonzero, would be 0
        ("4.9e-324", 5e-324), ("1e-310", 1e-310), ("0e-400", 0), ("0.000e5", 0),  // subnormals and zeros kept
        ("9007199254740992", 9_007_199_254_740_992), ("9007199254740993", nil), ("9007199254740994", 9_007_199_254_740_994),
        ("-9007199254740993", nil),                                              // 2^53 ± 1: only the doubles kept
        ("12345678901234567890123", nil), ("100000000000000000000000", nil),     // 23 and 24 digits, not doubles
        ("1000000000000000000000", 1e21),                                        // 22 digits, a double exactly
        ("3.14159265358979323846", 3.141592653589793),                           // 21 significant digits: the nearest double
        ("1.7976931348623157e308", .greatestFiniteMagnitude), ("-0", 0), ("-0.0", 0),
    ]

    @Test("numbers a Double would change (nonzero to 0, a whole number to another) are number-precision, in CSV and JSONL alike; subnormals, 2^53, long fractions and the largest double kept; -0 sent as 0")
    func precision() async throws {
        let edges = Self.precisionEdges
        let csv = try await EdgeRun.run(EdgeMappings.csv, "edge.csv", EdgeMappings.csvRows(edges.map(\.text)))
        let json = edges.enumerated().map { i, e in #"{"ts":"2024-03-01T00:\#(i < 10 ? "0" : "")\#(i):00Z","site":"pier","v":\#(e.text)}"# }
        let jsonl = try await EdgeRun.run(EdgeMappings.jsonl, "edge.jsonl", json.joined(separator: "\n") + "\n")
        for (name, run, first) in [("csv", csv, 2), ("jsonl", jsonl, 1)] {
            let rejected = edges.indices.filter { edges[$0].value == nil }
            #expect(run.rejected == rejected.map { "\($0 + first) number-precision v" }, "\(name)")
            #expect(run.rejects.map(\.value) == rejected.map { edges[$0].text }, "\(name)")
            let kept = edges.compactMap(\.value)
            #expect(run.rows.map { $0.values.map(\.value) } == kept.map { [$0] }, "\(name)")
            #expect(run.rows.allSatisfy { $0.values.allSatisfy { $0.value.sign == .plus } }, "\(name): -0 is sent as 0")
        }
    }

    @Test("ox readings: beyond ±9.2e18 (so beyond Int64) ox-reading-range, fractions ox-reading-integer; 9.2e18, -0 and 0.0 kept")
    func oxReadings() async throws {
        let values = ["1e19", "9223372036854775807", "-9.3e18", "9200000000000000000", "-9200000000000000000", "-0", "0.0", "1.5", "NaN", "1e309"]
        let text = "ts,serial,v\n" + values.enumerated().map { i, v in "2024-03-01T00:0\(i):00Z,S-1,\(v)" }.joined(separator: "\n") + "\n"
        let run = try await EdgeRun.run(EdgeMappings.ox("csv"), "edge.csv", text)
        #expect(run.rejected == ["2 ox-reading-range v", "3 ox-reading-range v", "4 ox-reading-range v",
                                 "9 ox-reading-integer v", "10 number v", "11 number-finite v"])
        #expect(run.rows.map { $0.events.map(\.reading) } == [[9_200_000_000_000_000_000], [-9_200_000_000_000_000_000], [0], [0]])
        #expect(run.mapper.sensors == [EntityDefinition(fields: ["sensor_id": "S-1", "sensor_type": "glove", "sensor_version": "1"])])
        // JSON integers beyond 2^53 are their exact digits: a reading is exact, a reject shows them.
        let json = ["12345678901234567890", "-9223372036854775808", "99999999999999999999", "9200000000000000000", "9007199254740993"].enumerated().map { i, v in
            #"{"ts":"2024-03-01T00:0\#(i):00Z","serial":"S-1","v":\#(v)}"#
        }
        let jsonl = try await EdgeRun.run(EdgeMappings.ox("jsonl"), "edge.jsonl", json.joined(separator: "\n"))
        #expect(jsonl.rejected == ["1 ox-reading-range v", "2 ox-reading-range v", "3 ox-reading-range v"])
        #expect(jsonl.rejects.map(\.value) == ["12345678901234567890", "-9223372036854775808", "99999999999999999999"])
        #expect(jsonl.rows.map { $0.events.map(\.reading) } == [[9_200_000_000_000_000_000], [9_007_199_254_740_993]])
    }

    @Test("ids past Int64 as CSV text are kept exactly, in an ox sensor_id and in a long layout's {id}")
    func hugeTextIDs() async throws {
        let ox = try await EdgeRun.run(EdgeMappings.ox("csv"), "edge.csv", "ts,serial,v\n2024-03-01T00:00:00Z,99999999999999999999,1\n")
        #expect(ox.rejects == [])
        #expect(ox.mapper.sensors.map { $0.fields["sensor_id"] } == ["99999999999999999999"])
        let long = try await EdgeRun.run(EdgeMappings.long("csv"), "edge.csv",
                                         "ts,tag,v\n2024-03-01T00:00:00Z,99999999999999999999,1\n2024-03-01T00:00:00Z,-9223372036854775809,2\n")
        #expect(long.rejects == [])
        #expect(long.mapper.signals.map(\.inputID) == ["plc/99999999999999999999", "plc/-9223372036854775809"])
    }

    /// A JSON number used as text (a template field, a long layout's id): whole numbers up to 2^53
    /// are the Double simdjson read, written as their digits by `NumberText.shortest` (16-digit ox
    /// ids included); beyond 2^53 the reader hands out the literal's exact digits.
    static let numericIDs: [(literal: String, digits: String)] = [
        ("1234567890123456", "1234567890123456"),          // 16 digits: below 2^53, exact as a Double
        ("9007199254740993", "9007199254740993"),          // 2^53 + 1: a Double would be 2^53
        ("-9223372036854775808", "-9223372036854775808"),  // Int64.min
        ("12345678901234567890", "12345678901234567890"),  // past Int64
        ("99999999999999999999", "99999999999999999999"),  // past UInt64: simdjson's retry, quoted
    ]

    @Test("a JSONL number as an ox sensor_id or a long layout's id is its own digits, also beyond 2^53 and past UInt64",
          arguments: numericIDs)
    func numericIDsInTemplates(literal: String, digits: String) async throws {
        let ox = try await EdgeRun.run(EdgeMappings.ox("jsonl"), "edge.jsonl", #"{"ts":"2024-03-01T00:00:00Z","serial":\#(literal),"v":1}"# + "\n")
        let long = try await EdgeRun.run(EdgeMappings.long("jsonl"), "edge.jsonl", #"{"ts":"2024-03-01T00:00:00Z","tag":\#(literal),"v":1}"# + "\n")
        let rendered = ox.mapper.sensors.compactMap { $0.fields["sensor_id"] } + long.mapper.signals.map { String($0.inputID.dropFirst("plc/".count)) }
        #expect(ox.rejects == [] && long.rejects == [])
        #expect(rendered == [digits, digits], "rendered \(rendered)")
    }

    @Test("JSONL numeric ids below 1e15 are written as plain digits in templates")
    func smallNumericIDs() async throws {
        let text = [#"{"ts":"2024-03-01T00:00:00Z","tag":999999999999999,"v":1}"#, #"{"ts":"2024-03-01T00:00:00Z","tag":-42,"v":1}"#,
                    #"{"ts":"2024-03-01T00:00:00Z","tag":7.0,"v":1}"#, #"{"ts":"2024-03-01T00:00:00Z","tag":0.5,"v":1}"#].joined(separator: "\n")
        let run = try await EdgeRun.run(EdgeMappings.long("jsonl"), "edge.jsonl", text)
        #expect(run.rejects == [])
        #expect(run.mapper.signals.map(\.inputID) == ["plc/999999999999999", "plc/-42", "plc/7", "plc/0.5"])
    }
}
