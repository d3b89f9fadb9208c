import Foundation
import Hummingbird
import NIOCore
import SigportContract

/// The JSON-RPC 2.0 request head: everything but `params`, read first so a malformed envelope is
/// told apart from malformed params (-32600 versus -32602).
struct RPCHead: Decodable, Sendable {
    var jsonrpc: JSONValue?
    var method: JSONValue?
    var id: JSONValue?
    /// A request without `id` is a notification: processed, answered with 204 and no body.
    var isNotification: Bool
    var hasParams: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        jsonrpc = try container.decodeIfPresent(JSONValue.self, forKey: AnyKey("jsonrpc"))
        method = try container.decodeIfPresent(JSONValue.self, forKey: AnyKey("method"))
        id = try container.decodeIfPresent(JSONValue.self, forKey: AnyKey("id"))
        isNotification = !container.contains(AnyKey("id"))
        hasParams = container.contains(AnyKey("params"))
    }

    /// Parses and checks the envelope, throwing the JSON-RPC error a bad one gets.
    static func parse(_ data: Data) throws -> RPCHead {
        let head: RPCHead
        do {
            guard !JSONValue.hasTrailingComma(data) else { throw APIError(status: .ok, rpcCode: .parseError, message: "") }
            head = try JSONDecoder().decode(RPCHead.self, from: data)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            let isArray = data.first(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) }) == UInt8(ascii: "[")
            throw APIError(status: .ok, rpcCode: .invalidRequest,
                           message: isArray ? "Batch requests are not supported: send one request per call" : "The request must be a JSON object")
        } catch {
            throw APIError(status: .ok, rpcCode: .parseError, message: "Parse error: the body is not valid JSON")
        }
        guard head.jsonrpc == .string("2.0") else {
            throw APIError(status: .ok, rpcCode: .invalidRequest, message: "Invalid request: \"jsonrpc\" must be \"2.0\"")
        }
        guard case .string = head.method else {
            throw APIError(status: .ok, rpcCode: .invalidRequest, message: "Invalid request: \"method\" must be a string")
        }
        switch head.id {
        case nil, .string?, .number?, .null?: break
        default: throw APIError(status: .ok, rpcCode: .invalidRequest, message: "Invalid request: \"id\" must be a string, a number or null")
        }
        return head
    }
}

/// Decodes `params` of a request into `P`, turning decoding failures into -32602 with the path.
struct RPCParams<P: Decodable>: Decodable {
    var params: P

    static func decode(_ data: Data, version: IntegrationAPIVersion) throws -> P {
        let decoder = JSONDecoder()
        decoder.userInfo[.apiVersion] = version
        do {
            return try decoder.decode(RPCParams<P>.self, from: data).params
        } catch let error as DecodingError {
            let (path, message) = error.pathAndMessage
            let field = path.hasPrefix("params.") ? String(path.dropFirst("params.".count)) : path
            throw APIError.invalidParam(field == "params" ? "params" : field, message)
        } catch let error as APIError {
            throw error
        }
    }
}

extension CodingUserInfoKey {
    static let apiVersion = CodingUserInfoKey(rawValue: "sigport.apiVersion")!
}

extension Decoder {
    var apiVersion: IntegrationAPIVersion { userInfo[.apiVersion] as? IntegrationAPIVersion ?? .latestStable }
}

/// A coding key for any name: maps keyed by user data (input ids, signal ids) and key checks.
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { Int(stringValue) }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = String(intValue) }
}

extension KeyedDecodingContainer where Key == AnyKey {
    /// Refuses keys outside `known`: a field the API does not know is a client's mistake (often the
    /// other API version's name for it), not something to drop silently.
    func refuseUnknownKeys(_ known: Set<String>, hint: (String) -> String? = { _ in nil }) throws {
        for key in allKeys where !known.contains(key.stringValue) {
            let message = hint(key.stringValue) ?? "is not a known field (expected one of: \(known.sorted().joined(separator: ", ")))"
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: message))
        }
    }
}

/// A JSON-RPC success answer.
struct RPCResult<R: Encodable>: Encodable {
    let jsonrpc = "2.0"
    let id: JSONValue
    let result: R
}

/// A `result` already rendered to JSON bytes (`clarify.dataFrame`'s, by `DataFrameAnswer`), for
/// `RPCResult.response` to splice into the envelope instead of encoding a value tree.
struct RenderedJSON: Encodable, Sendable {
    let bytes: ByteBuffer
    /// False when the value held something `JSONEncoder` refuses (a non-finite number).
    let encodable: Bool

    /// The generic way, for anyone encoding it as a value: parsed back and encoded.
    func encode(to encoder: any Encoder) throws {
        guard encodable, let value = JSONValue.parseStrict(Data(buffer: bytes)) else {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath, debugDescription: "not encodable JSON"))
        }
        try value.encode(to: encoder)
    }
}

extension RPCResult where R == RenderedJSON {
    /// What `Response.json(self)` answers — `{"jsonrpc":"2.0","id":…,"result":…}`, the id through
    /// the same encoder — with the rendered result copied in as is.
    var response: Response {
        guard let body else { return .json(self) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }

    /// The envelope's bytes; nil when the result cannot be encoded (`Response.json` answers `{}`).
    var body: ByteBuffer? {
        guard result.encodable, let idBytes = try? JSONBytes.encoder.encode(id) else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: result.bytes.readableBytes + idBytes.count + 32)
        buffer.writeStaticString("{\"jsonrpc\":\"2.0\",\"id\":")
        buffer.writeBytes(idBytes)
        buffer.writeStaticString(",\"result\":")
        buffer.writeImmutableBuffer(result.bytes)
        buffer.writeStaticString("}")
        return buffer
    }
}

/// The JSON-RPC dialect of `APIError`: `{code, message, data: {trace, params}}`.
struct RPCDialect: APIDialect {
    struct ErrorBody: Encodable {
        let jsonrpc = "2.0"
        let id: JSONValue
        let error: ErrorObject
    }
    struct ErrorObject: Encodable {
        let code: Int
        let message: String
        let data: ErrorData
    }
    struct ErrorData: Encodable {
        let trace: String
        let params: [String: [String]]
    }

    func response(for error: APIError, requestID: JSONValue?) -> Response {
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        if error.status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"integration\", Bearer" }
        let body = ErrorBody(
            id: requestID ?? .null,
            error: ErrorObject(code: error.rpcCode.rawValue, message: error.message,
                               data: ErrorData(trace: Identifiers.resourceID(), params: error.params)))
        return .json(body, status: error.status, headers: headers)
    }
}
