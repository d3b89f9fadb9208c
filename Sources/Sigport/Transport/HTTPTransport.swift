import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

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

    /// The client of a transport made without one: configured as `with` configures its own, for
    /// the process's lifetime. Not AsyncHTTPClient's `.shared`: that one sets a 90 s idle read
    /// timeout, and with one set, an answer a server gives before it has read the whole request
    /// can trip a precondition in AsyncHTTPClient's HTTP/1 handler (it crashed a test run once).
    /// Requests are bounded by `timeout` instead.
    public static let defaultClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration(tls: nil))

    public init(client: HTTPClient = HTTPTransport.defaultClient, maxResponseBytes: Int = 256 * 1024 * 1024, timeout: TimeAmount = .seconds(120)) {
        self.client = client
        self.maxResponseBytes = maxResponseBytes
        self.timeout = timeout
    }

    /// Runs `body` with a transport of its own client, shut down when `body` ends. Servers are
    /// verified against the system's trust store, or with `caFile` only against the certificates
    /// in that PEM file (a private CA, like curl's `--cacert`). A connection that cannot be made
    /// (refused, TLS handshake failed) fails the request at once instead of being retried inside
    /// the client until the request times out: sigport's own retry loops decide what is worth
    /// another try, and a certificate that does not verify is not.
    public static func with<T>(caFile: String?, _ body: (HTTPTransport) async throws -> T) async throws -> T {
        var tls: TLSConfiguration?
        if let caFile {
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(caFile) } catch {
                throw SigportError(.invalidArgument, "The CA file \(caFile) holds no PEM certificate sigport can read.",
                                   hint: "Give --ca-file the PEM file of the CA that signed the API's certificate.", cause: error)
            }
            guard !roots.isEmpty else {
                throw SigportError(.invalidArgument, "The CA file \(caFile) holds no PEM certificate sigport can read.",
                                   hint: "Give --ca-file the PEM file of the CA that signed the API's certificate.")
            }
            tls = TLSConfiguration.makeClientConfiguration()
            tls?.trustRoots = .certificates(roots)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration(tls: tls))
        do {
            let result = try await body(HTTPTransport(client: client))
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func configuration(tls: TLSConfiguration?) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(15)
        configuration.tlsConfiguration = tls
        return configuration
    }

    /// A handshake the certificate check failed, or a certificate for another host name: final,
    /// unlike other TLS errors (an unclean shutdown is a dropped connection, worth a retry).
    static func isCertificateRefusal(_ error: any Error) -> Bool {
        if case .handshakeFailed = error as? NIOSSLError { return true }
        return (error as? NIOSSLExtraError) == .failedToValidateHostname
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
        } catch let error where Self.isCertificateRefusal(error) {
            throw SigportError(.insecureTransport, "The TLS connection for \(what()) failed: the server's certificate was not accepted.",
                               hint: "If the API uses a private CA, pass its PEM file with --ca-file; check the URL's host name.",
                               cause: TransportFailure(error))
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
