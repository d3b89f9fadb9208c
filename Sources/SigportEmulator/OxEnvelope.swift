import Foundation
import Hummingbird
import SigportContract

/// The ox API's JSend-style envelope around every answer.
struct OxEnvelope: Encodable {
    let program = OxContract.program
    let version = OxContract.version
    let datetime: String
    let timestamp: Int64
    let code: Int
    let status: String
    let message: String
    let data: JSONValue

    init(status: HTTPResponse.Status, message: String, data: JSONValue, now: Date = Date()) {
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        self.datetime = RFC3339Time.format(microseconds: millis * 1000)
        self.timestamp = millis
        self.code = status.code
        self.status = status.code < 400 ? "success" : status.code < 500 ? "failure" : "error"
        self.message = message
        self.data = data
    }

    static func success(_ data: JSONValue) -> Response {
        .json(OxEnvelope(status: .ok, message: "Call successful", data: data))
    }
}

/// The ox dialect of `APIError`: the envelope with `status: failure` and `data: {id, info}`.
struct OxDialect: APIDialect {
    func response(for error: APIError, requestID: JSONValue?) -> Response {
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        if error.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let data = error.oxData ?? .object(["id": .null, "info": .string(error.message)])
        return .json(OxEnvelope(status: error.status, message: error.message, data: data), status: error.status, headers: headers)
    }
}

extension APIError {
    /// An ox failure; `ids` names the entities it is about (`[{id, info}]`), if any.
    static func ox(_ status: HTTPResponse.Status, _ message: String, ids: [String] = []) -> APIError {
        let data: JSONValue = switch ids.count {
        case 0: .object(["id": .null, "info": .string(message)])
        case 1: .object(["id": .string(ids[0]), "info": .string(message)])
        default: .array(ids.map { .object(["id": .string($0), "info": .string(message)]) })
        }
        return APIError(status: status, rpcCode: .invalidRequest, message: message, oxData: data)
    }
}
