import Foundation
import SigportContract
import Yams

extension Mapping {
    /// Reads and checks a mapping file. Every problem is a `MappingError` naming the file, the
    /// YAML line and the key; documented rules that do not depend on row data (label keys, enum
    /// keys, durations, value and source types) are checked here, before any row is read.
    public static func load(path: String) throws -> Mapping {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw MappingError(file: path, line: 0, key: "(file)", message: "cannot be read: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> Mapping {
        do {
            return try parseText(text, file: file)
        } catch let error as MappingError {
            // libyaml puts the end of a file whose last line has no line break on the line after
            // it, and the marks of what ends there too (found by the fuzzer: `---` alone was
            // "line 2"). Every error names a line the file has.
            let line = min(max(error.line, 1), lastLine(of: text))
            throw line == error.line ? error : MappingError(file: error.file, line: line, key: error.key, message: error.message)
        }
    }

    private static func parseText(_ text: String, file: String) throws -> Mapping {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw MappingError(file: file, line: 1, key: "(top)", message: "is empty")
            }
            root = node
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
        }
        let top = try YAMLValue(node: root, file: file, path: "")
            .fields(known: ["version", "source", "target", "layout", "long", "signals", "signal", "ox", "duplicates"])
        if let version = top["version"], try version.int() != 1 { throw version.error("must be 1 (the only mapping format version)") }
        let source = try SourceSpec.load(try top.required("source"))
        let target = Target(rawValue: try top.required("target").oneOf(["integration", "ox"]))!
        let layout = try top["layout"]?.oneOf(["wide", "long"]) ?? "wide"
        var long: LongLayout?
        if layout == "long" {
            let fields = try top.required("long").fields(known: ["id_field", "value_field"])
            long = LongLayout(idField: try fields.required("id_field").string(), valueField: try fields.required("value_field").string())
        } else if let stray = top["long"] {
            throw stray.error("is only for layout: long")
        }

        var signals: [SignalSpec] = []
        var ox: OxSpec?
        switch target {
        case .integration:
            if let stray = top["ox"] { throw stray.error("is only for target: ox") }
            if long != nil {
                if let stray = top["signals"] { throw stray.error("is for layout: wide; a long layout has one `signal` template") }
                signals = [try SignalSpec.load(try top.required("signal"), valueField: false)]
            } else {
                if let stray = top["signal"] { throw stray.error("is for layout: long; a wide layout lists `signals`") }
                let items = try top.required("signals").items()
                guard !items.isEmpty else { throw try top.required("signals").error("must list at least one signal") }
                signals = try items.map { try SignalSpec.load($0, valueField: true) }
            }
        case .ox:
            for key in ["signals", "signal"] { if let stray = top[key] { throw stray.error("is only for target: integration") } }
            ox = try OxSpec.load(try top.required("ox"), long: long != nil)
        }
        var mapping = Mapping(file: file, text: text, source: source, target: target, long: long, signals: signals, ox: ox)
        if let duplicates = top["duplicates"] {
            guard target == .integration else { throw duplicates.error("is only for target: integration (ox events are told apart by id, not by time)") }
            mapping.duplicates = DuplicatePolicy(rawValue: try duplicates.oneOf(DuplicatePolicy.allCases.map(\.rawValue)))!
        }
        try mapping.checkPlaceholders(file: file)
        return mapping
    }

    private static func syntaxError(_ error: YamlError, file: String) -> MappingError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return MappingError(file: file, line: mark.line, key: "(syntax)", message: "is not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams refuses duplicate keys before sigport sees the mapping; the mark is the key's first use.
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return MappingError(file: file, line: context.mark.line, key: "(syntax)",
                                message: "is not valid YAML: the key \(keys) appears twice in one mapping")
        case .reader(let problem, let offset, let value, let yaml):
            // The reader reports a byte offset: its line is one more than the line ends before it.
            let line = 1 + yaml.utf8.prefix(offset ?? 0).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            return MappingError(file: file, line: line, key: "(syntax)",
                                message: "is not valid YAML: \(problem)" + (value >= 0 ? " (character code \(value))" : ""))
        default:
            // No position in the error (the file is not text at all): the whole file is at fault.
            return MappingError(file: file, line: 1, key: "(syntax)", message: "is not valid YAML: \(error)")
        }
    }

    /// The number of the text's last line, counting line breaks as libyaml does (LF, CR, CRLF,
    /// NEL, LS and PS).
    private static func lastLine(of text: String) -> Int {
        var line = 1
        var afterCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if !afterCR { line += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": line += 1
            default: break
            }
            afterCR = scalar == "\r"
        }
        return line
    }
}

extension SourceSpec {
    static func load(_ value: YAMLValue) throws -> SourceSpec {
        let fields = try value.fields(known: ["format", "csv", "timestamp", "decimal", "nulls", "file_name", "filters", "defaults", "each"])
        let format = Mapping.Format(rawValue: try fields.required("format").oneOf(["csv", "jsonl"]))!
        var csv = CSVDialect()
        if let options = fields["csv"] {
            guard format == .csv else { throw options.error("is only for format: csv") }
            let o = try options.fields(known: ["delimiter", "quote", "header", "columns"])
            if let d = o["delimiter"] {
                let text = try d.string()
                let choices = [",": UInt8(ascii: ","), ";": UInt8(ascii: ";"), "\t": 9, "\\t": 9, "tab": 9, "|": UInt8(ascii: "|")]
                guard let byte = choices[text] else { throw d.error("must be one of , ; | or tab") }
                csv.delimiter = byte
            }
            if let q = o["quote"] {
                let text = try q.string()
                guard text.utf8.count == 1, let byte = text.utf8.first, byte < 128 else { throw q.error("must be one ASCII character") }
                csv.quote = byte
            }
            if let h = o["header"] { csv.header = try h.bool() }
            if let c = o["columns"] { csv.columns = try c.strings() }
            if !csv.header && csv.columns == nil { throw options.error("needs `columns` when there is no header row") }
        }
        var decimalComma = false
        if let d = fields["decimal"] { decimalComma = try d.oneOf([".", ","]) == "," }
        if decimalComma && csv.delimiter == UInt8(ascii: ",") && format == .csv {
            throw fields["decimal"]!.error("cannot be \",\" while the CSV delimiter is \",\"; use delimiter: \";\"")
        }
        var fileName: NSRegularExpressionBox?
        if let f = fields["file_name"] {
            let pattern = try f.fields(known: ["pattern"]).required("pattern")
            fileName = try NSRegularExpressionBox(pattern: try pattern.string(), at: pattern)
        }
        let nulls = Set(try fields["nulls"]?.strings() ?? [""])
        var each: String?
        if let e = fields["each"] {
            guard format == .jsonl else { throw e.error("is only for format: jsonl (an array of readings in each line)") }
            let path = try e.string()
            do { _ = try JSONLPath.jsonPointer(for: path) } catch let error as SigportError { throw e.error("is not a JSON path: \(error.message)") }
            each = path
        }
        return SourceSpec(
            format: format, csv: csv, timestamp: try TimestampSpec.load(try fields.required("timestamp")),
            decimalComma: decimalComma, nulls: nulls, longestNull: nulls.map(\.utf8.count).max() ?? 0,
            fileName: fileName, filters: try fields["filters"]?.items().map(RowFilter.load) ?? [],
            defaults: Dictionary(uniqueKeysWithValues: try fields["defaults"]?.entries().map { ($0.key, try $0.value.string()) } ?? []),
            each: each)
    }
}

extension NSRegularExpressionBox {
    init(pattern: String, at value: YAMLValue) throws {
        do { regex = try NSRegularExpression(pattern: pattern) } catch { throw value.error("is not a valid regular expression") }
        // Named groups: (?<name>…)
        let names = try NSRegularExpression(pattern: #"\(\?<([A-Za-z][A-Za-z0-9_]*)>"#)
        captureNames = names.matches(in: pattern, range: NSRange(pattern.startIndex..., in: pattern)).compactMap {
            Range($0.range(at: 1), in: pattern).map { String(pattern[$0]) }
        }
    }
}

extension TimestampSpec {
    static func load(_ value: YAMLValue) throws -> TimestampSpec {
        let fields = try value.fields(known: ["field", "format", "timezone", "ambiguous", "nonexistent"])
        let formatValue = fields["format"]
        let formatText = try formatValue?.string() ?? "rfc3339"
        let format: Format
        switch formatText {
        case "rfc3339", "iso8601": format = .iso8601
        case "epoch_s": format = .epoch(unitsPerSecond: 1)
        case "epoch_ms": format = .epoch(unitsPerSecond: 1_000)
        case "epoch_us": format = .epoch(unitsPerSecond: 1_000_000)
        case "epoch_ns": format = .epoch(unitsPerSecond: 1_000_000_000)
        default:
            guard formatText.contains("%") else {
                throw formatValue!.error("must be rfc3339, iso8601, epoch_s, epoch_ms, epoch_us, epoch_ns or a strptime pattern such as \"%Y-%m-%d %H:%M:%S\"")
            }
            try TimestampParser.checkPattern(formatText, at: formatValue!)
            format = .pattern(formatText)
        }
        var zone: TimeZone?
        if let z = fields["timezone"] {
            let name = try z.string()
            guard let tz = TimeZone(identifier: name) else { throw z.error("is not an IANA time zone (such as Europe/Oslo or UTC)") }
            zone = tz
        }
        if case .pattern(let p) = format, zone == nil, !p.contains("%z") {
            throw value.error("needs `timezone` (an IANA zone such as Europe/Oslo, or UTC): the pattern has no %z offset")
        }
        return TimestampSpec(
            field: try fields.required("field").string(), format: format, timeZone: zone,
            ambiguous: Ambiguous(rawValue: try fields["ambiguous"]?.oneOf(["earlier", "later", "infer", "reject"]) ?? "reject")!,
            nonexistent: Nonexistent(rawValue: try fields["nonexistent"]?.oneOf(["shift", "reject"]) ?? "reject")!)
    }
}

extension RowFilter {
    static func load(_ value: YAMLValue) throws -> RowFilter {
        let fields = try value.fields(known: ["skip_if", "keep_if"])
        guard (fields["skip_if"] == nil) != (fields["keep_if"] == nil) else { throw value.error("needs exactly one of skip_if or keep_if") }
        let negated = fields["keep_if"] != nil
        let rule = try (fields["skip_if"] ?? fields["keep_if"]!).fields(known: ["field", "equals", "in", "matches", "empty"])
        let conditions = ["equals", "in", "matches", "empty"].filter { rule[$0] != nil }
        guard conditions.count == 1 else { throw rule.owner.error("needs exactly one of equals, in, matches, empty") }
        let condition: Condition
        switch conditions[0] {
        case "equals": condition = .equals(try rule["equals"]!.string())
        case "in": condition = .oneOf(Set(try rule["in"]!.strings()))
        case "matches": condition = .matches(try NSRegularExpressionBox(pattern: try rule["matches"]!.string(), at: rule["matches"]!))
        default:
            guard try rule["empty"]!.bool() else { throw rule["empty"]!.error("must be true (use keep_if to keep only empty values)") }
            condition = .empty
        }
        return RowFilter(field: try rule.required("field").string(), condition: condition, negated: negated)
    }
}

extension Mapping {
    /// `{file.x}` needs a capture named x in `source.file_name.pattern`, and `{id}` a long layout:
    /// otherwise every row would be rejected, so the mapping is refused before any row is read.
    func checkPlaceholders(file: String) throws {
        if source.each != nil, let ox {
            for template in Array(ox.sensor.values) + Array(ox.beacon?.values ?? [:].values) {
                if let item = template.fields.first(where: Mapping.isItem) {
                    throw MappingError(file: file, line: template.line, key: template.key,
                                       message: "{\(item)} in \"\(template.text)\": a sensor or beacon comes from the line, not from an element of source.each")
                }
            }
        }
        let captures = Set(source.fileName?.captureNames ?? []).union(["name"])
        let templates = signals.flatMap(\.templates) + (ox.map { ox in ox.events.map(\.eventType) + Array(ox.sensor.values) + Array(ox.beacon?.values ?? [:].values) } ?? [])
        for template in templates {
            for part in template.parts {
                switch part {
                case .file(let name) where !captures.contains(name):
                    throw MappingError(file: file, line: template.line, key: template.key,
                                       message: "{file.\(name)} in \"\(template.text)\" is not a named capture of source.file_name.pattern (captures: \(captures.sorted().joined(separator: ", ")))")
                case .id where long == nil:
                    throw MappingError(file: file, line: template.line, key: template.key, message: "{id} in \"\(template.text)\" is only for layout: long")
                default: continue
                }
            }
        }
    }
}
