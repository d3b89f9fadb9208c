import Foundation

/// What reading a field takes of the source spec and the file: its null texts, decimal comma,
/// defaults, and the position of each field name in the file's rows. Made once per file and held
/// by reference, so a row's context costs one retain for it, not a copy of the whole
/// `SourceSpec`, which retains each of its many references (a profile showed that copy and its
/// release in every row).
final class FieldRules: Sendable {
    let nulls: Set<String>
    let longestNull: Int
    let decimalComma: Bool
    let defaults: [String: String]
    /// Field name → position in a row's values.
    let index: [String: Int]

    init(_ source: SourceSpec, index: [String: Int] = [:]) {
        nulls = source.nulls
        longestNull = source.longestNull
        decimalComma = source.decimalComma
        defaults = source.defaults
        self.index = index
    }
}

/// One row's fields as the mapping sees them: by name, with the source's null texts, decimal
/// comma and defaults applied. It holds the row's values (or a view of a flat row, read in
/// place), not the row: two references to count per row, not five.
struct RowContext {
    let values: [FieldValue]
    /// A flat row's fields (see `RowBatch`); `values` is then empty.
    let flat: FlatRow?
    let rules: FieldRules

    init(values: [FieldValue], rules: FieldRules) {
        self.values = values
        flat = nil
        self.rules = rules
    }

    init(flat: FlatRow, rules: FieldRules) {
        values = []
        self.flat = flat
        self.rules = rules
    }

    /// The field's value as read, before null texts and defaults; `.missing` when the row lacks it.
    func raw(at position: Int?) -> FieldValue {
        guard let position else { return .missing }
        if let flat { return position < flat.fieldCount ? .text(flat.string(position)) : .missing }
        return position < values.count ? values[position] : .missing
    }

    /// Whether the field as read is `value` (a template key's part): a flat row's bytes are
    /// compared in place.
    @inline(__always)
    func raw(at position: Int, equals value: FieldValue) -> Bool {
        guard let flat else {
            // Compared where it lies: a copy of the value would retain its text.
            guard position < values.count else { return value == .missing }
            return values.withUnsafeBufferPointer { $0[position] == value }
        }
        guard position < flat.fieldCount, case .text(var text) = value else { return false }
        let field = flat.field(position)
        return text.withUTF8 { $0.count == field.count && ($0.isEmpty || memcmp($0.baseAddress!, field.baseAddress!, $0.count) == 0) }
    }

    /// A flat row's field bytes, when they are too long to be a null text (so no default
    /// applies either): the hot path reads numbers and times from them in place. Nil otherwise;
    /// `value(at:field:)` then says what the field is.
    func plainBytes(at position: Int?) -> UnsafeBufferPointer<UInt8>? {
        guard let flat, let position, position < flat.fieldCount else { return nil }
        let bytes = flat.field(position)
        return bytes.count > rules.longestNull ? bytes : nil
    }

    /// The field's value; `.missing` when the row lacks it, with the default applied when empty.
    func value(_ field: String) -> FieldValue { value(at: rules.index[field], field: field) }

    /// The same, with the field's position already known (the hot path: no lookup by name).
    func value(at position: Int?, field: String) -> FieldValue {
        let raw = raw(at: position)
        if isEmptyRaw(raw), let fallback = rules.defaults[field] { return .text(fallback) }
        return raw
    }

    private func isEmptyRaw(_ value: FieldValue) -> Bool {
        switch value {
        case .missing, .null: true
        // Hash only texts short enough to be one of the null texts: most values are not.
        case .text(let text): text.utf8.count <= rules.longestNull && rules.nulls.contains(text)
        default: false
        }
    }

    func isEmpty(_ value: FieldValue) -> Bool { isEmptyRaw(value) }

    /// The field as text (numbers in their shortest form), nil when empty.
    func text(_ field: String) -> String? { text(at: rules.index[field], field: field) }

    /// The same, with the field's position already known.
    func text(at position: Int?, field: String) -> String? {
        let value = value(at: position, field: field)
        return isEmpty(value) ? nil : Self.text(of: value)
    }

    /// How a rejected field's value is shown in `rejects.jsonl`: as read (no default applied),
    /// `null` for JSON null.
    func display(_ field: String) -> String? {
        let value = raw(at: rules.index[field])
        if case .null = value { return "null" }
        return Self.text(of: value)
    }

    /// A value's text: numbers in their shortest form; nil for null and missing.
    private static func text(of value: FieldValue) -> String? {
        switch value {
        case .text(let text): text
        case .number(let n): NumberText.shortest(n)
        case .bool(let b): b ? "true" : "false"
        case .missing, .null: nil
        }
    }

    /// A number from a JSON number or from text (`-1.5e3`; `1,5` with decimal: ","). Text that
    /// Swift would read but JSON and people would not (`nan`, `inf`, `0x1p3`) is refused.
    func number(_ value: FieldValue) -> Result<Double, RejectRule> { numberAndText(value).map(\.value) }

    /// The number, and the field's text when that is already the number's JSON text.
    func numberAndText(_ value: FieldValue) -> Result<(value: Double, text: CellText), RejectRule> {
        switch value {
        case .number(let n): return n.isFinite ? .success((n, .absent)) : .failure(.finite)
        case .text(var raw):
            // The text's bytes once, for reading the number and keeping its text.
            let plain = raw.withUTF8 { NumberText.plainDecimalAndText($0) }
            if let plain { return .success(plain) }
            var text = Substring(raw).trimmingSpaces
            var normalized: String?
            if rules.decimalComma, text.contains(",") {
                normalized = text.replacingOccurrences(of: ",", with: ".")
                text = Substring(normalized!)
            }
            guard !text.isEmpty, text.utf8.allSatisfy(NumberText.allowed), text.utf8.contains(where: { $0 >= 48 && $0 <= 57 }),
                  let n = Double(text) else { return .failure(.number) }
            guard n.isFinite else { return .failure(.finite) }
            return NumberText.isChanged(text, by: n) ? .failure(.precision) : .success((n, .absent))
        default:
            return .failure(.number)
        }
    }
}

enum NumberText {
    /// `-12.375`-style text (no spaces, exponent or comma; at most 15 digits) read exactly without
    /// strtod: the digits make an integer below 2^53 and the power of ten is exact, so the one
    /// division is correctly rounded — the same Double strtod gives. Nil for anything else.
    ///
    /// `isJSONText` says the text is exactly what `JSONText.number` writes for the value: no
    /// leading zero, no `-0`, and for a fraction at most 6 digits, the last not 0, and at least
    /// 1e-4 in magnitude (`shortDecimal`'s range). Two decimals of at most 15 digits never read
    /// as the same Double, so no shorter text gives the value back: this text is the shortest.
    static func plainDecimal(_ text: String) -> (value: Double, isJSONText: Bool)? {
        var text = text
        return text.withUTF8 { plainDecimal($0) }
    }

    /// The same, of a text's UTF-8 bytes. One pass with wrapping arithmetic (a run of more than
    /// 15 digits may wrap, and is refused after the loop) and the point's index, not a running
    /// count of fraction digits: this runs for every value of a CSV input.
    static func plainDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> (value: Double, isJSONText: Bool)? {
        let count = bytes.count
        guard count > 0 else { return nil }
        let negative = bytes[0] == UInt8(ascii: "-")
        let first = negative ? 1 : 0
        var i = first
        var mantissa: UInt64 = 0
        var digits = 0
        var point = -1
        while i < count {
            let digit = bytes[i] &- 48
            if digit < 10 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                digits += 1
            } else if bytes[i] == UInt8(ascii: "."), point < 0, digits > 0 {
                point = i
            } else {
                return nil
            }
            i += 1
        }
        // More than 15 digits would lose exactness: `Double(text)` reads those.
        guard digits > 0, digits <= 15, point != count - 1 else { return nil }
        let fraction = point < 0 ? 0 : count - 1 - point
        // Below 2^53 here, so through Int64: one conversion instruction, where UInt64's takes four.
        let whole = Double(Int64(truncatingIfNeeded: mantissa))
        let magnitude = fraction > 0 ? whole / powerOfTen(fraction) : whole
        let leadingZero = first + 1 < count && bytes[first] == UInt8(ascii: "0") && bytes[first + 1] != UInt8(ascii: ".")
        return (negative ? -magnitude : magnitude,
                isJSONText(leadingZero: leadingZero, negativeZero: negative && mantissa == 0, fraction: fraction, last: bytes[count - 1], magnitude: magnitude))
    }

    /// The `isJSONText` verdict of a plain decimal (see `plainDecimal`), from what its reader
    /// found: one rule for the byte loop and the word reader.
    @inline(__always)
    static func isJSONText(leadingZero: Bool, negativeZero: Bool, fraction: Int, last: UInt8, magnitude: Double) -> Bool {
        !leadingZero && !negativeZero && (fraction == 0 || (fraction <= 6 && last != UInt8(ascii: "0") && magnitude >= 1e-4))
    }

    /// 10^n for 1 ≤ n ≤ 15, exact in a Double. A switch, not a table: a static array costs a
    /// lazy-initialisation check per call.
    @inline(__always)
    private static func powerOfTen(_ n: Int) -> Double {
        switch n {
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        default: 1e15
        }
    }

    /// Whether the nearest double `value` changes the number `text` (a decimal the plain reader
    /// refused: long, or with an exponent) in a way its reader would see: a nonzero number that
    /// became 0, or a whole number written as digits that became another whole number. Every other
    /// decimal is held as its nearest double, as the API holds every number (`0.1` too), and reads
    /// back as the same number to 15 significant digits.
    static func isChanged(_ text: Substring, by value: Double) -> Bool {
        var digits = Array(text.utf8)
        if digits.first == UInt8(ascii: "-") || digits.first == UInt8(ascii: "+") { digits.removeFirst() }
        if value == 0 {
            // The digits before an exponent: any that is not 0 made a nonzero number.
            let mantissa = digits.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
            return mantissa.contains { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }
        }
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        var number = Array(digits.map { $0 - 48 }.drop { $0 == 0 })
        guard number.count > 15 else { return false }
        // A whole number is a double exactly when its odd part (halved while even) is below 2^53.
        while let last = number.last, last % 2 == 0 {
            var carry: UInt8 = 0
            for i in number.indices {
                let current = carry * 10 + number[i]
                number[i] = current / 2
                carry = current % 2
            }
            number = Array(number.drop { $0 == 0 })
        }
        guard number.count <= 16 else { return true }
        return number.reduce(UInt64(0)) { $0 * 10 + UInt64($1) } >= 1 << 53
    }

    /// Digits, sign, decimal point and exponent: nothing else can be part of a decimal number.
    static func allowed(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// `42`, `1.5`, `1e-07`: whole numbers below 2^53 (every integer a JSON number holds
    /// exactly, ids included) without a decimal point, the rest as Swift's shortest
    /// round-tripping form.
    static func shortest(_ n: Double) -> String { JSONText.number(n) }
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
