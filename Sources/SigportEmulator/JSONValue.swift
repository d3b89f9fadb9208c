import Foundation

/// A JSON document of unknown shape: ox payloads, resource filters and stored signal metadata.
///
/// The emulator decodes the integration API's large inputs (data frames) into typed structs instead;
/// this type is for the small, free-form parts where the server must see exactly what was sent
/// (a `true` is not a `1`, a missing key is not a `null`).
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    var numberValue: Double? { if case .number(let n) = self { n } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }

    /// An integral number that fits in Int64 exactly.
    var integerValue: Int64? {
        guard case .number(let n) = self, n.rounded() == n, abs(n) < 9.007_199_254_740_992e15 else { return nil }
        return Int64(n)
    }

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// Follows a dotted path (`labels.location`) through nested objects.
    func value(atPath path: Substring) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }
}

extension JSONValue: Codable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n):
            if n.rounded() == n, abs(n) < 9.007_199_254_740_992e15 { try container.encode(Int64(n)) } else { try container.encode(n) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Compact, key-sorted JSON text: how documents are stored, so equal documents store equally.
    func jsonText() -> String {
        // Encoding a JSONValue cannot fail: every case maps to a JSON value and numbers are finite.
        String(decoding: (try? Self.encoder.encode(self)) ?? Data("null".utf8), as: UTF8.self)
    }

    static func parse(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// Parses a client's body as RFC 8259 JSON, refusing what Foundation's decoder forgives.
    static func parseStrict(_ data: Data) -> JSONValue? {
        guard !hasTrailingComma(data) else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Whether a comma outside strings is followed (after whitespace) by `}` or `]`. Foundation's
    /// decoder accepts `{"a": 1,}`, which is not JSON and which some of the ox page's examples have:
    /// a server that took them would teach clients to send them.
    static func hasTrailingComma(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var inString = false, escaped = false, afterComma = false
            for byte in bytes {
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                    continue
                }
                switch byte {
                case UInt8(ascii: ","): afterComma = true
                case UInt8(ascii: "}"), UInt8(ascii: "]"): if afterComma { return true }
                case 0x20, 0x09, 0x0A, 0x0D: break
                case UInt8(ascii: "\""): inString = true; afterComma = false
                default: afterComma = false
                }
            }
            return false
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}
