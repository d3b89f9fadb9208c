import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange at a time, with bounded answers and errors that never quote a URL (an ox
/// token URL carries the client's API key).
public struct HTTPTransport: Sendable {
    public struct Reply: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: ByteBuffer
    }

    let client: HTTPClient
    /// Largest answer read; larger ones are an error rather than unbounded memory.
    let maxResponseBytes: Int
    let timeout: TimeAmount

    public init(client: HTTPClient = .shared, maxResponseBytes: Int = 256 * 1024 * 1024, timeout: TimeAmount = .seconds(120)) {
        self.client = client
        self.maxResponseBytes = maxResponseBytes
        self.timeout = timeout
    }

    public func send(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil,
                     what: @autoclosure () -> String) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        if let body { request.body = .bytes(body) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: maxResponseBytes)
            return Reply(status: Int(response.status.code), headers: response.headers, body: bytes)
        } catch {
            throw SigportError(.unreachable, "No answer to \(what()).",
                               hint: "Check that the API is reachable (for the emulator: that `sigport emulator` runs).",
                               cause: TransportFailure(error))
        }
    }
}

/// A transport error described by its type only: AsyncHTTPClient's descriptions can include URLs.
struct TransportFailure: Error, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = String(describing: type(of: error)) + (error is HTTPClientError ? " \(error)" : "") }
}
