/// One row's fields as the mapping sees them: by name, with the source's null texts, decimal
/// comma and defaults applied.
struct RowContext {
    let row: SourceRow
    let index: [String: Int]
    let source: SourceSpec

    /// The field's value; `.missing` when the row lacks it, with the default applied when empty.
    func value(_ field: String) -> FieldValue { value(at: index[field], field: field) }

    /// The same, with the field's position already known (the hot path: no lookup by name).
    func value(at position: Int?, field: String) -> FieldValue {
        let raw = position.flatMap { $0 < row.values.count ? row.values[$0] : nil } ?? .missing
        if isEmptyRaw(raw), let fallback = source.defaults[field] { return .text(fallback) }
        return raw
    }

    private func isEmptyRaw(_ value: FieldValue) -> Bool {
        switch value {
        case .missing, .null: true
        // Hash only texts short enough to be one of the null texts: most values are not.
        case .text(let text): text.utf8.count <= source.longestNull && source.nulls.contains(text)
        default: false
        }
    }

    func isEmpty(_ value: FieldValue) -> Bool { isEmptyRaw(value) }

    /// The field as text (numbers in their shortest form), nil when empty.
    func text(_ field: String) -> String? {
        let value = value(field)
        if isEmpty(value) { return nil }
        switch value {
        case .text(let text): return text
        case .number(let n): return NumberText.shortest(n)
        case .bool(let b): return b ? "true" : "false"
        case .missing, .null: return nil
        }
    }

    /// How a rejected field's value is shown in `rejects.jsonl`.
    func display(_ field: String) -> String? {
        switch index[field].flatMap({ $0 < row.values.count ? row.values[$0] : nil }) ?? .missing {
        case .text(let text): text
        case .number(let n): NumberText.shortest(n)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .missing: nil
        }
    }

    /// A number from a JSON number or from text (`-1.5e3`; `1,5` with decimal: ","). Text that
    /// Swift would read but JSON and people would not (`nan`, `inf`, `0x1p3`) is refused.
    func number(_ value: FieldValue) -> Result<Double, RejectRule> {
        switch value {
        case .number(let n): return n.isFinite ? .success(n) : .failure(.finite)
        case .text(let raw):
            var text = Substring(raw).trimmingSpaces
            var normalized: String?
            if source.decimalComma, text.contains(",") {
                normalized = text.replacingOccurrences(of: ",", with: ".")
                text = Substring(normalized!)
            }
            guard !text.isEmpty, text.utf8.allSatisfy(NumberText.allowed), text.utf8.contains(where: { $0 >= 48 && $0 <= 57 }),
                  let n = Double(text) else { return .failure(.number) }
            return n.isFinite ? .success(n) : .failure(.finite)
        default:
            return .failure(.number)
        }
    }
}

enum NumberText {
    /// Digits, sign, decimal point and exponent: nothing else can be part of a decimal number.
    static func allowed(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// `42`, `1.5`, `1e-07`: integers without a decimal point, the rest as Swift's shortest
    /// round-tripping form.
    static func shortest(_ n: Double) -> String {
        if n.rounded() == n, abs(n) < 1e15 { return String(Int64(n)) }
        return String(n)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        // Most values have no padding: decide from the bytes at the ends before touching Characters.
        let isPad: (UInt8?) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        if !isPad(utf8.first) && !isPad(utf8.last) { return self }
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}

/// Fills templates for one row.
struct TemplateRenderer {
    let context: RowContext
    let file: [String: String]
    let id: String?
    /// The long layout's id field, which `{id}` reads.
    let idField: String?
    let defaults: [String: String]

    /// The row field a template's failure is about: its first field, or the id field for `{id}`.
    func column(of template: Template) -> String? {
        for part in template.parts {
            switch part {
            case .field(let name): return name
            case .id: return idField
            case .literal, .file: continue
            }
        }
        return nil
    }

    func render(_ template: Template) -> Result<String, RowMapper.TemplateFailure> {
        if let constant = template.constant { return .success(constant) }
        var out = ""
        for part in template.parts {
            switch part {
            case .literal(let text): out += text
            case .field(let name):
                guard let text = context.text(name) else {
                    return .failure(.init(rule: .templateField, column: name, message: "field \"\(name)\" of template \"\(template.text)\" is empty"))
                }
                out += text
            case .file(let name):
                guard let text = file[name] else {
                    return .failure(.init(rule: .templateField, column: nil, message: "{file.\(name)} is not a capture of the file-name pattern"))
                }
                out += text
            case .id:
                guard let id else { return .failure(.init(rule: .templateField, column: idField, message: "{id} is empty")) }
                out += id
            }
        }
        return .success(out)
    }
}
