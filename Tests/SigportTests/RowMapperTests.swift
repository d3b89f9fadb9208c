import Foundation
import Testing
@testable import Sigport

private let march1: Int64 = 1_709_251_200_000_000

/// A wide gateway mapping: templates with row fields and the file name's capture, an enum signal.
private let wideYAML = #"""
    version: 1
    source:
      format: csv
      timestamp: {field: ts}
      nulls: ["", "NA"]
      file_name: {pattern: 'gw-(?<serial>\d+)_'}
    target: integration
    signals:
      - field: temp
        input_id: "{site}/gw-{file.serial}/temp"
        name: "Temperature, {site}"
        description: "from {file.name}"
        eng_unit: "°C"
        labels: {site: ["{site}", all], gateway: ["gw-{file.serial}"]}
        annotations: {sigport/site: "{site}"}
        sample_interval: PT1M
        scale: 2
        offset: -1
      - field: door
        input_id: "{site}/door"
        type: enum
        enum_values: {0: closed, 1: open}
        states: {CLOSED: 0, OPEN: 1}
    """#
private let wideFields = ["ts", "site", "temp", "door"]

private func wideMapper() throws -> RowMapper {
    try startedMapper(wideYAML, fields: wideFields, fileName: "gw-0042_2024-03.csv")
}

@Suite("Row mapper: integration target")
struct RowMapperTests {
    @Test("a wide row: values scaled, templates filled from the row and the file name, catalog built once per input ID")
    func wideRow() throws {
        var mapper = try wideMapper()
        let row = try #require(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", "21.5", "OPEN"])).mappedRow)
        #expect(row.time == march1)
        #expect(row.values.map(\.signal) == [0, 1])
        #expect(row.values.map(\.value) == [42, 1])
        #expect(mapper.signals == [
            SignalDefinition(inputID: "pier/gw-0042/temp", name: "Temperature, pier", description: "from gw-0042_2024-03.csv",
                             valueType: .numeric, engUnit: "°C", labels: ["site": ["pier", "all"], "gateway": ["gw-0042"]],
                             annotations: ["sigport/site": "pier"], enumValues: [:], sourceType: nil, sampleInterval: "PT1M", gapDetection: nil),
            SignalDefinition(inputID: "pier/door", name: nil, description: nil, valueType: .enum, engUnit: nil, labels: [:], annotations: [:],
                             enumValues: [0: "closed", 1: "open"], sourceType: nil, sampleInterval: nil, gapDetection: nil),
        ])
        let second = try #require(mapper.map(textRow(["2024-03-01T00:01:00Z", "pier", "-0.5", "0"])).mappedRow)
        #expect(second.values.map(\.signal) == [0, 1])
        #expect(second.values.map(\.value) == [-2, 0])
        let yard = try #require(mapper.map(textRow(["2024-03-01T00:02:00Z", "yard", "1e1", "CLOSED"])).mappedRow)
        #expect(yard.values.map(\.signal) == [2, 3])
        #expect(yard.values.map(\.value) == [19, 0])
        #expect(mapper.signals.map(\.inputID) == ["pier/gw-0042/temp", "pier/door", "yard/gw-0042/temp", "yard/door"])
    }

    @Test("a rejected row leaves no signal behind in the catalog")
    func rejectedRowLeavesNoTrace() throws {
        var mapper = try wideMapper()
        _ = mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", "1", "OPEN"]))
        // The temperature would make yard's first signal; the door state breaks a rule.
        #expect(mapper.map(textRow(["2024-03-01T00:01:00Z", "yard", "1", "AJAR"])).rejection?.rule == "enum-state")
        #expect(mapper.signals.map(\.inputID) == ["pier/gw-0042/temp", "pier/door"])
        #expect(mapper.map(textRow(["2024-03-01T00:01:30Z", "pier", "3", "OPEN"])).mappedRow?.values.map(\.signal) == [0, 1])
        let row = try #require(mapper.map(textRow(["2024-03-01T00:02:00Z", "yard", "2", "OPEN"])).mappedRow)
        #expect(row.values.map(\.signal) == [2, 3])
        #expect(mapper.map(textRow(["2024-03-01T00:03:00Z", "pier", "4", "OPEN"])).mappedRow?.values.map(\.signal) == [0, 1])
        #expect(mapper.signals.map(\.inputID) == ["pier/gw-0042/temp", "pier/door", "yard/gw-0042/temp", "yard/door"])
    }

    @Test("the file name's capture changes with the file")
    func fileCapture() throws {
        var mapper = try wideMapper()
        _ = mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", "1", ""]))
        try mapper.start(file: InputFile(path: "logs/gw-0107_2024-03.csv.gz"), fieldNames: ["door", "temp", "site", "ts"])
        let row = try #require(mapper.map(textRow(["", "2", "pier", "2024-03-01T00:00:00Z"])).mappedRow)
        #expect(row.values.map(\.signal) == [1])
        #expect(mapper.signals.map(\.inputID) == ["pier/gw-0042/temp", "pier/gw-0107/temp"])
        #expect(mapper.signals[1].description == "from gw-0107_2024-03.csv")
    }

    @Test("nulls and empty values leave the value out; the row is still mapped")
    func nulls() throws {
        var mapper = try wideMapper()
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", "NA", "OPEN"])).mappedRow?.values.map(\.signal) == [0])
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", "", ""])).mappedRow?.values.isEmpty == true)
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", nil, nil])).mappedRow?.values.isEmpty == true)
        // Only the door signal was seen.
        #expect(mapper.signals.map(\.inputID) == ["pier/door"])
    }

    @Test("timestamp rejects", arguments: [
        (["", "pier", "1", "OPEN"] as [String?], "timestamp-missing ts=: the timestamp field is empty or missing"),
        (["NA", "pier", "1", "OPEN"], "timestamp-missing ts=NA: the timestamp field is empty or missing"),
        ([nil, "pier", "1", "OPEN"], "timestamp-missing ts=-: the timestamp field is empty or missing"),
        (["yesterday", "pier", "1", "OPEN"], "timestamp-format ts=yesterday: the timestamp is not in the declared format"),
        (["2024-03-01T00:00:00", "pier", "1", "OPEN"], "timestamp-no-zone ts=2024-03-01T00:00:00: a local time without an offset, and the mapping names no timezone"),
        (["0000-01-01T00:00:00Z", "pier", "1", "OPEN"], "timestamp-range ts=0000-01-01T00:00:00Z: a time outside years 0001-9999"),
    ])
    func timestampRejects(fields: [String?], expected: String) throws {
        var mapper = try wideMapper()
        #expect(mapper.map(textRow(fields)).summary == expected)
    }

    @Test("value rejects: numbers, finite numbers, enum states and keys", arguments: [
        ("warm", "OPEN", "number temp=warm: not a number"),
        ("nan", "OPEN", "number temp=nan: not a number"),
        ("inf", "OPEN", "number temp=inf: not a number"),
        ("-Infinity", "OPEN", "number temp=-Infinity: not a number"),
        ("0x10", "OPEN", "number temp=0x10: not a number"),
        ("0x1p3", "OPEN", "number temp=0x1p3: not a number"),
        ("1,5", "OPEN", "number temp=1,5: not a number"),
        ("1 000", "OPEN", "number temp=1 000: not a number"),
        ("-", "OPEN", "number temp=-: not a number"),
        ("1e400", "OPEN", "number-finite temp=1e400: not a finite number (JSON has no NaN or Infinity)"),
        // Finite as read, infinite once scaled (× 2).
        ("1e308", "OPEN", "number-finite temp=1e308: not a finite number (JSON has no NaN or Infinity)"),
        ("1", "AJAR", "enum-state door=AJAR: a text state the mapping's `states` does not list"),
        ("1", "open", "enum-state door=open: a text state the mapping's `states` does not list"),
        ("1", "10000", "enum-key door=10000: an enum key outside 0-9999, or not a whole number"),
        ("1", "1.5", "enum-key door=1.5: an enum key outside 0-9999, or not a whole number"),
        ("1", "-1", "enum-key door=-1: an enum key outside 0-9999, or not a whole number"),
    ])
    func valueRejects(temp: String, door: String, expected: String) throws {
        var mapper = try wideMapper()
        let outcome = mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", temp, door], line: 7))
        #expect(outcome.summary == expected)
        let rejection = try #require(outcome.rejection)
        #expect(rejection.location == RowLocation(file: "in.csv", line: 7, byteOffset: 0))
        #expect(rejection.raw == Array("2024-03-01T00:00:00Z,pier,\(temp),\(door)".utf8))
    }

    @Test("numbers that are accepted", arguments: [
        (" 42 ", 83.0), ("+5", 9), ("-0", -1), ("1.25", 1.5), ("1E2", 199), (".5", 0), ("5.", 9), ("2.5e-1", -0.5),
    ])
    func acceptedNumbers(text: String, expected: Double) throws {
        var mapper = try wideMapper()
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", text, ""])).mappedRow?.values.first?.value == expected)
    }

    @Test("enum keys 0 and 9999, whole-number texts and states", arguments: [("0", 0.0), ("9999", 9999), ("2", 2), ("1e3", 1000), ("OPEN", 1), ("CLOSED", 0)])
    func enumKeys(text: String, key: Double) throws {
        var mapper = try wideMapper()
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier", "", text])).mappedRow?.values.map(\.value) == [key])
    }

    @Test("an enum signal without states: a text is an enum-key reject")
    func enumWithoutStates() throws {
        var mapper = try startedMapper("""
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signals: [{field: s, input_id: s, type: enum}]
            """, fields: ["ts", "s"])
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "OPEN"])).summary == "enum-key s=OPEN: an enum key outside 0-9999, or not a whole number")
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "3"])).mappedRow?.values.map(\.value) == [3])
    }

    @Test("an input ID from a template that breaks the regex is an input-id reject naming the field")
    func inputIDFromTemplate() throws {
        var mapper = try wideMapper()
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier 2", "1", ""])).summary
                == #"input-id site=pier 2: input ID "pier 2/gw-0042/temp" does not match ^[a-zA-Z0-9-_:.#+/]{1,128}$"#)
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "pier;2", "1", ""])).rejection?.rule == "input-id")
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "bøy", "1", ""])).rejection?.rule == "input-id")
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", String(repeating: "s", count: 116), "1", ""])).rejection?.rule == "input-id")
        // 128 characters exactly pass: "{site}/gw-0042/temp" adds 13.
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", String(repeating: "s", count: 115), "1", ""])).mappedRow != nil)
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "a-b_c:d.e#f+g", "1", ""])).mappedRow != nil)
        #expect(mapper.signals.map(\.inputID.count) == [128, 26])
    }

    @Test("an empty field in a template is a template-field-empty reject; a default fills it")
    func templateFieldEmpty() throws {
        var mapper = try wideMapper()
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "", "1", ""])).summary
                == #"template-field-empty site=: field "site" of template "{site}/gw-{file.serial}/temp" is empty"#)
        var withDefault = try startedMapper(wideYAML.replacingOccurrences(of: "nulls: [\"\", \"NA\"]", with: "nulls: [\"\", \"NA\"]\n  defaults: {site: unknown, temp: \"0\"}"),
                                            fields: wideFields, fileName: "gw-7_x.csv")
        let row = try #require(withDefault.map(textRow(["2024-03-01T00:00:00Z", "NA", "", ""])).mappedRow)
        #expect(row.values.map(\.value) == [-1])
        #expect(withDefault.signals.map(\.inputID) == ["unknown/gw-7/temp"])
    }

    @Test("starting a file: a missing column, and a file name the pattern does not match")
    func start() throws {
        var mapper = RowMapper(mapping: try loadMapping(wideYAML))
        let missing = try #require(throws: SigportError.self) {
            try mapper.start(file: InputFile(path: "/data/gw-0042_2024-03.csv"), fieldNames: ["ts", "site"])
        }
        #expect(missing.message.hasPrefix(#"/data/gw-0042_2024-03.csv has no column "temp", "door", which "#))
        #expect(missing.message.hasSuffix("/mapping.yaml reads."))
        #expect(missing.hint == "Its columns are: ts, site.")
        let name = try #require(throws: SigportError.self) {
            try mapper.start(file: InputFile(path: "/data/gateway-42.csv"), fieldNames: wideFields)
        }
        #expect(name.message == #"The file name gateway-42.csv does not match the mapping's file_name pattern gw-(?<serial>\d+)_."#)
        #expect(name.hint?.hasPrefix("Rename the file or adjust source.file_name.pattern in ") == true)
    }

    @Test("filters: skip_if and keep_if with equals, in, matches, empty; a filtered row is not read further")
    func filters() throws {
        var mapper = try startedMapper("""
            source:
              format: csv
              timestamp: {field: ts}
              nulls: ["", "-"]
              filters:
                - skip_if: {field: kind, equals: test}
                - skip_if: {field: site, in: [lab, bench]}
                - skip_if: {field: note, matches: "^#"}
                - skip_if: {field: v, empty: true}
                - keep_if: {field: status, matches: "^(ok|warn)$"}
            target: integration
            signals: [{field: v, input_id: "{site}/v"}]
            """, fields: ["ts", "kind", "site", "note", "v", "status"])
        func outcome(_ fields: [String?]) -> String { mapper.map(textRow(fields)).summary }
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "", "1", "ok"]) == "mapped")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "", "1", "warn"]) == "mapped")
        #expect(outcome(["2024-03-01T00:00:00Z", "test", "pier", "", "1", "ok"]) == "filtered")
        #expect(outcome(["2024-03-01T00:00:00Z", "Test", "pier", "", "1", "ok"]) == "mapped")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "bench", "", "1", "ok"]) == "filtered")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "# calibration", "1", "ok"]) == "filtered")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "note #1", "1", "ok"]) == "mapped")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "", "", "ok"]) == "filtered")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "", "-", "ok"]) == "filtered")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "", "1", "okay"]) == "filtered")
        #expect(outcome(["2024-03-01T00:00:00Z", "prod", "pier", "", "1", ""]) == "filtered")
        // Filters run before the timestamp and values are checked: a filtered row is never rejected.
        #expect(outcome(["garbage", "test", "pier", "", "x", "ok"]) == "filtered")
        #expect(outcome(["garbage", "prod", "pier", "", "x", "ok"]) == "timestamp-format ts=garbage: the timestamp is not in the declared format")
    }

    @Test("keep_if empty keeps only rows where the field is empty")
    func keepIfEmpty() throws {
        var mapper = try startedMapper("""
            source:
              format: csv
              timestamp: {field: ts}
              filters: [{keep_if: {field: error, empty: true}}]
            target: integration
            signals: [{field: v, input_id: v}]
            """, fields: ["ts", "error", "v"])
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "", "1"])).summary == "mapped")
        #expect(mapper.map(textRow(["2024-03-01T00:00:00Z", "E42", "1"])).summary == "filtered")
    }
}
