import Foundation
import Testing
@testable import Sigport

@Suite("Mapping loader: located errors in source, layout, target and the file itself")
struct MappingLoaderSourceErrorTests {
    static let timestampCases: [LoaderCase] = [
        .init("unknown strptime code", LoaderCase.timestamp("    field: ts\n    format: \"%Y-%m-%d %Q\"\n    timezone: UTC"), 6, "source.timestamp.format",
              "uses an unknown code; sigport knows %Y %y %m %b %d %e %H %M %S %f %z %T %F %%"),
        .init("pattern without a date", LoaderCase.timestamp("    field: ts\n    format: \"%H:%M\"\n    timezone: UTC"), 6, "source.timestamp.format",
              "must contain a date (%Y or %F)"),
        .init("format that is no format", LoaderCase.timestamp("    field: ts\n    format: unix"), 6, "source.timestamp.format",
              "must be rfc3339, iso8601, epoch_s, epoch_ms, epoch_us, epoch_ns or a strptime pattern such as \"%Y-%m-%d %H:%M:%S\""),
        .init("pattern without zone", LoaderCase.timestamp("    field: ts\n    format: \"%d.%m.%Y %H:%M:%S\""), 5, "source.timestamp",
              "needs `timezone` (an IANA zone such as Europe/Oslo, or UTC): the pattern has no %z offset"),
        .init("timezone misspelt", LoaderCase.timestamp("    field: ts\n    timezone: Europe/Olso"), 6, "source.timestamp.timezone",
              "is not an IANA time zone (such as Europe/Oslo or UTC)"),
        .init("timestamp is a field name only", LoaderCase.timestamp("    ts"), 5, "source.timestamp", "must be a mapping (key: value lines)"),
    ]

    static let sourceCases: [LoaderCase] = [
        .init("decimal comma with the comma delimiter", """
            version: 1
            source:
              format: csv
              csv:
                delimiter: ","
              decimal: ","
              timestamp: {field: ts}
            """, 6, "source.decimal", #"cannot be "," while the CSV delimiter is ","; use delimiter: ";""#),
        .init("decimal comma with the default delimiter", "source:\n  format: csv\n  decimal: \",\"\n", 3, "source.decimal",
              #"cannot be "," while the CSV delimiter is ","; use delimiter: ";""#),
        .init("decimal is neither", "source:\n  format: csv\n  decimal: comma\n", 3, "source.decimal", #"must be one of ., ,, not "comma""#),
        .init("csv options for JSONL", "source:\n  format: jsonl\n  csv: {delimiter: \";\"}\n", 3, "source.csv", "is only for format: csv"),
        .init("no header and no columns", "source:\n  format: csv\n  csv:\n    header: false\n", 4, "source.csv", "needs `columns` when there is no header row"),
        .init("file_name pattern is not a regex", "source:\n  format: csv\n  file_name:\n    pattern: 'gw-(\\d+'\n", 4, "source.file_name.pattern",
              "is not a valid regular expression"),
        .init("file_name without pattern", "source:\n  format: csv\n  file_name: {regex: x}\n", 3, "source.file_name.regex",
              "unknown key; known keys: pattern"),
        .init("filter with skip_if and keep_if", """
            source:
              format: csv
              timestamp: {field: ts}
              filters:
                - skip_if: {field: a, empty: true}
                  keep_if: {field: b, empty: true}
            """, 5, "source.filters[0]", "needs exactly one of skip_if or keep_if"),
        .init("filter with two conditions", """
            source:
              format: csv
              timestamp: {field: ts}
              filters:
                - skip_if: {field: a, equals: x, in: [y]}
            """, 5, "source.filters[0].skip_if", "needs exactly one of equals, in, matches, empty"),
        .init("filter empty: false", """
            source:
              format: csv
              timestamp: {field: ts}
              filters:
                - keep_if: {field: a, empty: false}
            """, 5, "source.filters[0].keep_if.empty", "must be true (use keep_if to keep only empty values)"),
        .init("filter regex", """
            source:
              format: csv
              timestamp: {field: ts}
              filters:
                - skip_if: {field: a, matches: "[a-"}
            """, 5, "source.filters[0].skip_if.matches", "is not a valid regular expression"),
        .init("filter condition misspelt", """
            source:
              format: csv
              timestamp: {field: ts}
              filters:
                - skip_if: {field: a, equal: x}
            """, 5, "source.filters[0].skip_if.equal", #"unknown key; did you mean "equals"?"#),
    ]

    static let layoutCases: [LoaderCase] = [
        .init("signals in a long layout", """
            version: 1
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            layout: long
            long: {id_field: tag, value_field: v}
            signals:
              - input_id: "{id}"
            """, 7, "signals", "is for layout: wide; a long layout has one `signal` template"),
        .init("signal in a wide layout", """
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signal: {input_id: v}
            """, 3, "signal", "is for layout: long; a wide layout lists `signals`"),
        .init("long block in a wide layout", """
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            long: {id_field: tag, value_field: v}
            signals: [{field: v, input_id: v}]
            """, 3, "long", "is only for layout: long"),
        .init("ox with target integration", """
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signals: [{field: v, input_id: v}]
            ox: {events: []}
            """, 4, "ox", "is only for target: ox"),
        .init("signals with target ox", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            signals: [{field: v, input_id: v}]
            """, 3, "signals", "is only for target: integration"),
        .init("ox without sensor", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            ox:
              events: [{field: v, event_type: x}]
            """, 4, "ox.sensor", "is required"),
        .init("ox sensor without sensor_version", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            ox:
              sensor: {sensor_id: a, sensor_type: b}
              events: [{field: v, event_type: x}]
            """, 4, "ox.sensor.sensor_version", "is required"),
        .init("ox reading scale without scale", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            ox:
              sensor: {sensor_id: a, sensor_type: b, sensor_version: c}
              events:
                - field: v
                  event_type: x
                  reading: scale
            """, 6, "ox.events[0].scale", "needs `scale` with reading: scale"),
        .init("ox scale with reading round", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            ox:
              sensor: {sensor_id: a, sensor_type: b, sensor_version: c}
              events:
                - field: v
                  event_type: x
                  reading: round
                  scale: 10
            """, 9, "ox.events[0].scale", "is only for reading: scale"),
        .init("ox reading unknown", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            ox:
              sensor: {sensor_id: a, sensor_type: b, sensor_version: c}
              events: [{field: v, event_type: x, reading: floor}]
            """, 5, "ox.events[0].reading", #"must be one of round, reject, scale, not "floor""#),
        .init("ox events in a long layout", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            layout: long
            long: {id_field: k, value_field: v}
            ox:
              sensor: {sensor_id: a, sensor_type: b, sensor_version: c}
              events: [{field: v, event_type: x}]
            """, 7, "ox.events", "is for layout: wide; a long layout has one `event` template"),
        .init("ox beacon key misspelt", """
            source: {format: jsonl, timestamp: {field: ts}}
            target: ox
            ox:
              sensor: {sensor_id: a, sensor_type: b, sensor_version: c}
              beacon: {beacon_id: a, beacon_env: b, beacon_typ: c, beacon_version: d}
              events: [{field: v, event_type: x}]
            """, 5, "ox.beacon.beacon_typ", #"unknown key; did you mean "beacon_type"?"#),
    ]

    static let fileCases: [LoaderCase] = [
        .init("invalid YAML: a mapping value where none may be", """
            version: 1
            source:
              format: csv: jsonl
            """, 3, "(syntax)", "is not valid YAML: mapping values are not allowed in this context"),
        .init("invalid YAML: an unclosed flow sequence", """
            version: 1
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signals: [{field: v, input_id: v}
            """, 4, "(syntax)", "is not valid YAML: did not find expected ',' or ']'"),  // the last line (no line 5)
        .init("invalid YAML: a tab for indentation", "version: 1\nsource:\n\tformat: csv\n", 3, "(syntax)",
              "is not valid YAML: found character that cannot start any token"),
        .init("a key twice", LoaderCase.wide("""
              - field: v
                input_id: v
                field: w
            """), 8, "(syntax)", #"is not valid YAML: the key "field" appears twice in one mapping"#),
        .init("an empty file", "", 1, "(top)", "is empty"),
        .init("only comments", "# nothing yet\n", 1, "(top)", "is empty"),
    ]

    @Test("timestamp: formats, strptime codes, time zones", arguments: timestampCases)
    func timestamps(_ c: LoaderCase) throws { try check(c) }

    @Test("source: decimal comma, CSV dialect, file name, filters", arguments: sourceCases)
    func sources(_ c: LoaderCase) throws { try check(c) }

    @Test("layouts and targets: keys that belong to the other one", arguments: layoutCases)
    func layouts(_ c: LoaderCase) throws { try check(c) }

    @Test("the file: YAML syntax (with its line), duplicates, empty", arguments: fileCases)
    func files(_ c: LoaderCase) throws { try check(c) }

    @Test("a mapping file that does not exist")
    func missingFile() throws {
        let path = "/nonexistent/sigport/mapping.yaml"
        let error = try #require(throws: MappingError.self) { try Mapping.load(path: path) }
        #expect(error.file == path)
        #expect(error.line == 0)
        #expect(error.key == "(file)")
        #expect(error.message.hasPrefix("cannot be read: "))
        #expect(error.description.hasPrefix("/nonexistent/sigport/mapping.yaml:0: (file): cannot be read: "))
    }

    @Test("the error's description is file:line: key: message")
    func description() throws {
        let error = MappingError(file: "m.yaml", line: 9, key: "signals[0].inpt_id", message: #"unknown key; did you mean "input_id"?"#)
        #expect(error.description == #"m.yaml:9: signals[0].inpt_id: unknown key; did you mean "input_id"?"#)
    }

    func check(_ c: LoaderCase, sourceLocation: SourceLocation = #_sourceLocation) throws { try checkLoaderCase(c, sourceLocation: sourceLocation) }
}
