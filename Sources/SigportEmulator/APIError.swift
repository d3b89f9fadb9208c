import Foundation
import Hummingbird
import SigportContract

/// An error a handler answers with; each API renders it in its own dialect (a JSON-RPC error
/// object, or the ox JSend-style envelope).
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var rpcCode: RPCErrorCode
    var message: String
    /// Bad fields by path (`signalsByInput.a.labels`), for JSON-RPC `error.data.params`.
    var params: [String: [String]] = [:]
    /// ox failure payload: `{id, info}` or `[{id, info}]`.
    var oxData: JSONValue? = nil
    var retryAfterSeconds: Int? = nil

    static func invalidParams(_ params: [String: [String]]) -> APIError {
        APIError(status: .ok, rpcCode: .invalidParams, message: "Invalid params", params: params)
    }

    static func invalidParam(_ path: String, _ message: String) -> APIError {
        invalidParams([path: [message]])
    }
}

/// Collects every rule a request breaks before answering, so one error names all bad fields.
struct ParamProblems {
    private(set) var byPath: [String: [String]] = [:]
    var isEmpty: Bool { byPath.isEmpty }
    mutating func add(_ path: String, _ message: String) { byPath[path, default: []].append(message) }
    func throwIfAny() throws { if !byPath.isEmpty { throw APIError.invalidParams(byPath) } }

    /// Checks a value against a documented character-class regex.
    mutating func check(_ pattern: CharacterClassPattern, _ value: String, at path: String) {
        if !pattern.matches(value) { add(path, "must match \(pattern.pattern)") }
    }
}

extension DecodingError {
    /// The dotted path of the field a decoding error is about, and a message without the value.
    var pathAndMessage: (path: String, message: String) {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "must be \(Self.jsonTypeName(type))")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "must be \(Self.jsonTypeName(type)), not null")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is required")
        case .dataCorrupted(let context):
            return (path(context.codingPath), context.debugDescription)
        @unknown default:
            return ("", "invalid")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Double.Type, is Int.Type, is Int64.Type, is Optional<Double>.Type: "a number"
        case is [Any].Type: "an array"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
