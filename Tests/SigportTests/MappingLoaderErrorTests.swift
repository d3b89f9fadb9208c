import Foundation
import Testing
@testable import Sigport

/// A mapping file that is wrong, and the exact error it gives: file, YAML line, key, message.
struct LoaderCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let line: Int
    let key: String
    let message: String
    var testDescription: String { name }

    init(_ name: String, _ yaml: String, _ line: Int, _ key: String, _ message: String) {
        self.name = name
        self.yaml = yaml
        self.line = line
        self.key = key
        self.message = message
    }

    /// A wide integration mapping whose one signal is `signal` (lines 8 on).
    static func wide(_ signal: String) -> String {
        """
        version: 1
        source:
          format: csv
          timestamp:
            field: ts
        target: integration
        signals:
        \(signal)
        """
    }

    /// A mapping whose `source.timestamp` block is `timestamp` (lines 5 on).
    static func timestamp(_ timestamp: String) -> String {
        """
        version: 1
        source:
          format: csv
          timestamp:
        \(timestamp)
        target: integration
        signals: [{field: v, input_id: v}]
        """
    }
}

/// Writes the case's mapping to a file and expects exactly its error when it loads.
func checkLoaderCase(_ c: LoaderCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    try withMappingFile(c.yaml) { path in
        #expect(throws: MappingError(file: path, line: c.line, key: c.key, message: c.message), sourceLocation: sourceLocation) {
            try Mapping.load(path: path)
        }
    }
}

let inputIDMessage = "must match ^[a-zA-Z0-9-_:.#+/]{1,128}$"
let labelKeyMessage = "label key must match ^[A-Za-z0-9-_/]{1,128}$"
let allSignalKeys = "field, input_id, name, description, type, eng_unit, labels, annotations, enum_values, states, source_type, sample_interval, gap_detection, scale, offset"

@Suite("Mapping loader: located errors")
struct MappingLoaderErrorTests {
    static let keyCases: [LoaderCase] = [
        .init("unknown key with did-you-mean", LoaderCase.wide("""
              - field: v
                inpt_id: "{site}/v"
            """), 9, "signals[0].inpt_id", #"unknown key; did you mean "input_id"?"#),
        .init("unknown top-level key", "version: 1\nsorce: {}\n", 2, "sorce", #"unknown key; did you mean "source"?"#),
        .init("unknown key without a near one lists the keys", LoaderCase.wide("""
              - field: v
                input_id: v
                colour: red
            """), 10, "signals[0].colour", "unknown key; known keys: \(allSignalKeys)"),
        .init("a long layout's signal has no field", """
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            layout: long
            long: {id_field: tag, value_field: v}
            signal:
              input_id: "{id}"
              field: v
            """, 7, "signal.field", "unknown key; known keys: input_id, name, description, type, eng_unit, labels, annotations, enum_values, states, source_type, sample_interval, gap_detection, scale, offset"),
        .init("missing target", """
            # comment lines come first
            version: 1
            source: {format: csv, timestamp: {field: ts}}
            signals: [{field: v, input_id: v}]
            """, 2, "target", "is required"),
        .init("missing source", "target: integration\nsignals: [{field: v, input_id: v}]\n", 1, "source", "is required"),
        .init("missing input_id", LoaderCase.wide("""
              - field: v
                name: V
            """), 8, "signals[0].input_id", "is required"),
        .init("missing timestamp field", LoaderCase.timestamp("    format: epoch_s"), 5, "source.timestamp.field", "is required"),
        .init("missing long block", "source: {format: csv, timestamp: {field: ts}}\ntarget: integration\nlayout: long\n", 1, "long", "is required"),
        .init("no signals", "source: {format: csv, timestamp: {field: ts}}\ntarget: integration\nsignals: []\n", 3, "signals", "must list at least one signal"),
    ]

    static let typeCases: [LoaderCase] = [
        .init("signals is not a list", LoaderCase.wide("  temp"), 8, "signals", "must be a list"),
        .init("source is not a mapping", "source: csv\n", 1, "source", "must be a mapping (key: value lines)"),
        .init("the file is a list", "- a\n- b\n", 1, "(top)", "must be a mapping (key: value lines)"),
        .init("scale is not a number", LoaderCase.wide("  - {field: v, input_id: v, scale: abc}"), 8, "signals[0].scale", "must be a number"),
        .init("scale is NaN", LoaderCase.wide("  - {field: v, input_id: v, scale: .nan}"), 8, "signals[0].scale", "must be a number"),
        .init("input_id is a list", LoaderCase.wide("""
              - field: v
                input_id: [a, b]
            """), 9, "signals[0].input_id", "must be a single value, not a list or mapping"),
        .init("version 2", LoaderCase.wide("  - {field: v, input_id: v}").replacingOccurrences(of: "version: 1", with: "version: 2"),
              1, "version", "must be 1 (the only mapping format version)"),
        .init("version is not a whole number", "version: 1.0\n", 1, "version", "must be a whole number"),
        .init("header is not a boolean", """
            source:
              format: csv
              csv: {header: maybe}
            """, 3, "source.csv.header", "must be true or false"),
        .init("labels values are a mapping", LoaderCase.wide("""
              - field: v
                input_id: v
                labels:
                  site: {a: b}
            """), 11, "signals[0].labels.site", "must be a list"),
    ]

    static let choiceCases: [LoaderCase] = [
        .init("target misspelt", LoaderCase.wide("  - {field: v, input_id: v}").replacingOccurrences(of: "target: integration", with: "target: integratoin"),
              6, "target", #"must be one of integration, ox, not "integratoin" (did you mean "integration"?)"#),
        .init("format unknown", LoaderCase.wide("  - {field: v, input_id: v}").replacingOccurrences(of: "format: csv", with: "format: xml"),
              3, "source.format", #"must be one of csv, jsonl, not "xml""#),
        .init("type misspelt", LoaderCase.wide("  - {field: v, input_id: v, type: numberic}"), 8, "signals[0].type",
              #"must be one of numeric, enum, not "numberic" (did you mean "numeric"?)"#),
        .init("source_type misspelt", LoaderCase.wide("  - {field: v, input_id: v, source_type: measurment}"), 8, "signals[0].source_type",
              #"must be one of aggregation, measurement, prediction, not "measurment" (did you mean "measurement"?)"#),
        .init("layout unknown", "source: {format: csv, timestamp: {field: ts}}\ntarget: integration\nlayout: tall\n", 3, "layout",
              #"must be one of wide, long, not "tall""#),
        .init("ambiguous unknown", LoaderCase.timestamp("    field: ts\n    ambiguous: first"), 6, "source.timestamp.ambiguous",
              #"must be one of earlier, later, infer, reject, not "first""#),
        .init("nonexistent misspelt", LoaderCase.timestamp("    field: ts\n    nonexistent: shfit"), 6, "source.timestamp.nonexistent",
              #"must be one of shift, reject, not "shfit" (did you mean "shift"?)"#),
        .init("delimiter unknown", "source:\n  format: csv\n  csv: {delimiter: ':'}\n", 3, "source.csv.delimiter", "must be one of , ; | or tab"),
        .init("quote of two characters", "source:\n  format: csv\n  csv: {quote: \"''\"}\n", 3, "source.csv.quote", "must be one ASCII character"),
        .init("quote not ASCII", "source:\n  format: csv\n  csv: {quote: «}\n", 3, "source.csv.quote", "must be one ASCII character"),
    ]

    static let ruleCases: [LoaderCase] = [
        .init("label key with a space", LoaderCase.wide("""
              - field: v
                input_id: v
                labels:
                  site: [a]
                  "bad key": [b]
            """), 12, "signals[0].labels.bad key", labelKeyMessage),
        .init("label key with a colon (input IDs allow it, label keys do not)", LoaderCase.wide("  - {field: v, input_id: v, labels: {\"a:b\": [x]}}"),
              8, "signals[0].labels.a:b", labelKeyMessage),
        .init("label key with ; (not in a 9-_ range: the hyphen is literal)", LoaderCase.wide("  - {field: v, input_id: v, labels: {\"a;b\": [x]}}"),
              8, "signals[0].labels.a;b", labelKeyMessage),
        .init("label key of 129 characters", LoaderCase.wide("  - {field: v, input_id: v, labels: {\(String(repeating: "k", count: 129)): [x]}}"),
              8, "signals[0].labels.\(String(repeating: "k", count: 129))", labelKeyMessage),
        .init("annotation key with a dot", LoaderCase.wide("""
              - field: v
                input_id: v
                annotations:
                  sigport.source: x
            """), 11, "signals[0].annotations.sigport.source", "annotation key must match ^[A-Za-z0-9-_/]{1,128}$"),
        .init("enum key 10000", LoaderCase.wide("""
              - field: v
                input_id: v
                type: enum
                enum_values:
                  0: off
                  10000: on
            """), 13, "signals[0].enum_values.10000", "enum key must be an integer in range 0-9999"),
        .init("enum key -1", LoaderCase.wide("  - {field: v, input_id: v, type: enum, enum_values: {-1: x}}"), 8, "signals[0].enum_values.-1",
              "enum key must be an integer in range 0-9999"),
        .init("enum key 1.5", LoaderCase.wide("  - {field: v, input_id: v, type: enum, enum_values: {1.5: x}}"), 8, "signals[0].enum_values.1.5",
              "enum key must be an integer in range 0-9999"),
        .init("state key 10000", LoaderCase.wide("""
              - field: v
                input_id: v
                type: enum
                states:
                  OFF: 10000
            """), 12, "signals[0].states.OFF", "must be an enum key in range 0-9999"),
        .init("state key not a number", LoaderCase.wide("  - {field: v, input_id: v, type: enum, states: {OFF: off}}"), 8, "signals[0].states.OFF", "must be a whole number"),
        .init("enum_values on a numeric signal", LoaderCase.wide("  - {field: v, input_id: v, enum_values: {0: off}}"), 8, "signals[0].enum_values", "is only for type: enum"),
        .init("constant input ID a;b", LoaderCase.wide("""
              - field: v
                input_id: a;b
            """), 9, "signals[0].input_id", "\"a;b\" \(inputIDMessage)"),
        .init("constant input ID a@b", LoaderCase.wide("  - {field: v, input_id: a@b}"), 8, "signals[0].input_id", "\"a@b\" \(inputIDMessage)"),
        .init("constant input ID a[0]", LoaderCase.wide("  - {field: v, input_id: \"a[0]\"}"), 8, "signals[0].input_id", "\"a[0]\" \(inputIDMessage)"),
        .init("constant input ID with a space", LoaderCase.wide("  - {field: v, input_id: a b}"), 8, "signals[0].input_id", "\"a b\" \(inputIDMessage)"),
        .init("constant input ID empty", LoaderCase.wide("  - {field: v, input_id: \"\"}"), 8, "signals[0].input_id", "\"\" \(inputIDMessage)"),
        .init("constant input ID of 129 characters", LoaderCase.wide("  - {field: v, input_id: \(String(repeating: "i", count: 129))}"), 8,
              "signals[0].input_id", "\"\(String(repeating: "i", count: 129))\" \(inputIDMessage)"),
        .init("escaped braces are literal, and not allowed in an input ID", LoaderCase.wide("  - {field: v, input_id: \"{{v}}\"}"), 8,
              "signals[0].input_id", "\"{v}\" \(inputIDMessage)"),
        .init("sample_interval in words", LoaderCase.wide("""
              - field: v
                input_id: v
                sample_interval: 1 minute
            """), 10, "signals[0].sample_interval", "must be an RFC 3339 duration such as PT1M or P1D"),
        .init("gap_detection without a number", LoaderCase.wide("  - {field: v, input_id: v, gap_detection: PT}"), 8, "signals[0].gap_detection",
              "must be an RFC 3339 duration such as PT1M or P1D"),
        .init("gap_detection skipping the month", LoaderCase.wide("  - {field: v, input_id: v, gap_detection: P1Y1D}"), 8, "signals[0].gap_detection",
              "must be an RFC 3339 duration such as PT1M or P1D"),
    ]

    static let templateCases: [LoaderCase] = [
        .init("unclosed placeholder", LoaderCase.wide("  - {field: v, input_id: \"{site\"}"), 8, "signals[0].input_id",
              #"has a "{" without "}" (write {{ for a literal brace)"#),
        .init("stray closing brace", LoaderCase.wide("  - {field: v, input_id: v, name: \"site}\"}"), 8, "signals[0].name",
              #"has a "}" without "{" (write }} for a literal brace)"#),
        .init("empty placeholder", LoaderCase.wide("  - {field: v, input_id: \"{ }\"}"), 8, "signals[0].input_id", "has an empty placeholder {}"),
        .init("bad template in a label value", LoaderCase.wide("  - {field: v, input_id: v, labels: {site: [\"{\"]}}"), 8, "signals[0].labels.site",
              #"has a "{" without "}" (write {{ for a literal brace)"#),
        .init("a file capture the pattern does not have", LoaderCase.wide("  - {field: v, input_id: \"{file.serial}/v\"}"), 8, "signals[0].input_id",
              #"{file.serial} in "{file.serial}/v" is not a named capture of source.file_name.pattern (captures: name)"#),
        .init("{id} in a wide layout", LoaderCase.wide("  - {field: v, input_id: \"x/{id}\"}"), 8, "signals[0].input_id",
              #"{id} in "x/{id}" is only for layout: long"#),
    ]

    @Test("keys: unknown (did you mean), missing", arguments: keyCases)
    func keys(_ c: LoaderCase) throws { try check(c) }

    @Test("types: a list, mapping, number, boolean where another is wanted", arguments: typeCases)
    func types(_ c: LoaderCase) throws { try check(c) }

    @Test("choices: enums with did-you-mean", arguments: choiceCases)
    func choices(_ c: LoaderCase) throws { try check(c) }

    @Test("documented rules: label and annotation keys, enum keys, input IDs, durations", arguments: ruleCases)
    func rules(_ c: LoaderCase) throws { try check(c) }

    @Test("templates", arguments: templateCases)
    func templates(_ c: LoaderCase) throws { try check(c) }

    func check(_ c: LoaderCase, sourceLocation: SourceLocation = #_sourceLocation) throws { try checkLoaderCase(c, sourceLocation: sourceLocation) }
}
