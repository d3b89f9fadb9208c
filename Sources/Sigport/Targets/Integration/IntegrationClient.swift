import Foundation
import NIOCore
import NIOHTTP1
import SigportContract

/// A client of the integration API: JSON-RPC 2.0 over HTTP, Basic or OAuth 2.0 client
/// credentials, every request (token fetches included) paced in its lane at the declared
/// version's documented rate.
public struct IntegrationClient: Sendable {
    public let credentials: IntegrationCredentials
    public let endpoint: Endpoint
    public let version: IntegrationAPIVersion
    let transport: HTTPTransport
    public let pacing: IntegrationPacing
    private let tokens = TokenCache()

    /// - Parameter requestsPerSecond: every method at this rate instead of its documented one.
    public init(credentials: IntegrationCredentials, version: IntegrationAPIVersion = .v1_1, allowInsecureHTTP: Bool = false,
                transport: HTTPTransport = HTTPTransport(), requestsPerSecond: Double? = nil) throws {
        self.credentials = credentials
        self.endpoint = try Endpoint(credentials.apiUrl, allowInsecureHTTP: allowInsecureHTTP)
        self.version = version
        self.transport = transport
        self.pacing = IntegrationPacing(limits: .of(version), apiUrl: credentials.apiUrl, credential: credentials.integration,
                                        requestsPerSecond: requestsPerSecond)
        guard IntegrationContract.integrationID.matches(credentials.integration) else {
            throw SigportError(.credentials, "The integration ID in the credentials does not match \(IntegrationContract.integrationID.pattern).",
                               hint: "Copy it again from the integration's page.")
        }
    }

    /// The largest body sigport sends when declaring `version`: the documented limit, less a margin
    /// where the page gives only an approximate figure. 1.1's "about 8 MiB" gets 8,000,000 bytes,
    /// under 8 MiB by 4.6% and equal to 8 MB, should "about" mean the decimal figure
    /// (docs/integration-api.md).
    public static func requestLimit(_ version: IntegrationAPIVersion) -> Int {
        switch version {
        case .v1_0, .v1_1beta1: IntegrationLimits.of(version).maxRequestBytes
        case .v1_1beta2, .v1_1: 8_000_000
        }
    }

    /// `requestLimit` of the version this client declares.
    public var requestLimit: Int { Self.requestLimit(version) }

    /// Calls `method` with `params` and decodes its `result`.
    public func call<P: Encodable, R: Decodable>(_ method: String, params: P, as: R.Type) async throws -> R {
        let envelope = RPCRequestEnvelope(method: method, params: params)
        let body = try JSONEncoder().encode(envelope)
        let reply = try await post(ByteBuffer(bytes: body), method: method)
        guard reply.status == 200 else { throw SigportError(.rejectedByServer, "\(method) got HTTP \(reply.status).", cause: BodyExcerpt(reply.body)) }
        do {
            let decoded = try JSONDecoder().decode(RPCResponseEnvelope<R>.self, from: Data(reply.body.readableBytesView))
            if let error = decoded.error { throw Self.rejected(method, error) }
            guard let result = decoded.result else { throw SigportError(.unexpectedResponse, "\(method) answered with neither result nor error.") }
            return result
        } catch let error as SigportError {
            throw error
        } catch {
            throw SigportError(.unexpectedResponse, "\(method) answered with a body sigport cannot read.", cause: error)
        }
    }

    /// The answer to a prepared request: the HTTP status, and the JSON-RPC result or error.
    public struct Answer<R: Decodable & Sendable>: Sendable {
        public let status: Int
        public let result: R?
        public let error: RPCErrorObject?
        public let retryAfter: Duration?
    }

    /// Sends a body built elsewhere (the upload path's byte-exact builders) and reads the answer;
    /// HTTP errors come back as a status, for the caller's retry policy to judge.
    public func send<R: Decodable & Sendable>(_ body: ByteBuffer, method: String, as: R.Type) async throws -> Answer<R> {
        let reply = try await post(body, method: method)
        let envelope = try? JSONDecoder().decode(RPCResponseEnvelope<R>.self, from: Data(reply.body.readableBytesView))
        return Answer(status: reply.status, result: envelope?.result, error: envelope?.error,
                      retryAfter: RetryAfter.delay(reply.headers.first(name: "Retry-After")))
    }

    /// Sends a prepared JSON-RPC body (paced, authenticated), renewing an OAuth token once on 401.
    func post(_ body: ByteBuffer, method: String) async throws -> HTTPTransport.Reply {
        for attempt in 0..<2 {
            var headers: HTTPHeaders = ["Content-Type": "application/json", IntegrationContract.versionHeader: version.rawValue]
            headers.add(name: "Authorization", value: try await authorization())
            let (transport, url, what) = (transport, endpoint.url(IntegrationContract.rpcPath), "\(method) at \(endpoint.base)")
            let reply = try await PacedExchange(pacer: pacing.pacer(for: method)).send { [headers] in
                try await transport.send(.POST, url, headers: headers, body: body, what: what)
            }
            if reply.status == 401 && attempt == 0 && credentials.credentials != nil {
                await tokens.invalidate()
                continue
            }
            if reply.status == 401 || reply.status == 403 {
                throw SigportError(.unauthorized, "The integration API refused the credentials of integration \(credentials.integration) (HTTP \(reply.status)).",
                                   hint: "Check the client ID and secret (or password) in the credentials file.")
            }
            return reply
        }
        throw SigportError(.unauthorized, "The integration API refused a freshly issued token.")
    }

    /// Fetches the OAuth token now if the credentials use OAuth and none is held (Basic auth
    /// needs none). An import calls it before building its first request, so that the token
    /// fetch's slot of the pace passes while the request is built: fetched on first use, it
    /// put a resumed run's first insert a full second after the request was ready.
    func authorize() async throws { _ = try await authorization() }

    private func authorization() async throws -> String {
        if let oauth = credentials.credentials {
            let token = try await tokens.token { try await fetchToken(oauth) }
            return "Bearer " + token
        }
        guard let basic = credentials.basicAuth else {
            throw SigportError(.credentials, "The integration credentials have neither client credentials nor a Basic-auth pair.")
        }
        return "Basic " + Data("\(basic.username):\(basic.password)".utf8).base64EncodedString()
    }

    private func fetchToken(_ oauth: IntegrationCredentials.ClientCredentials) async throws -> (token: String, expiresAt: Date) {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        let form = "grant_type=client_credentials&client_id=\(encode(oauth.clientId))&client_secret=\(encode(oauth.clientSecret))&audience=\(encode(endpoint.base))"
        let (transport, url, what) = (transport, endpoint.url(IntegrationContract.oauthTokenPath), "the token request at \(endpoint.base)")
        let reply = try await PacedExchange(pacer: pacing.pacer(for: IntegrationLimits.tokenLane)).sendRetryingFailures {
            try await transport.send(.POST, url, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: ByteBuffer(string: form), what: what)
        }
        struct TokenReply: Decodable { let access_token: String; let expires_in: Double }
        guard reply.status == 200, let token = try? JSONDecoder().decode(TokenReply.self, from: Data(reply.body.readableBytesView)) else {
            throw SigportError(reply.status == 401 || reply.status == 400 ? .unauthorized : .unexpectedResponse,
                               "The integration API did not issue a token to client \(oauth.clientId) (HTTP \(reply.status)).",
                               hint: "Check clientId and clientSecret in the credentials file.")
        }
        return (token.access_token, Date().addingTimeInterval(token.expires_in))
    }

    /// What an answer that holds no usable result means, the same for every job that retries: a
    /// JSON-RPC error not worth repeating, or an HTTP status other than 200, 429 and 5xx, is final
    /// (thrown); anything else is worth sending again, for the reason returned.
    static func retryReason(_ method: String, status: Int, error: RPCErrorObject?) throws -> String {
        if status == 200, let error, !(RPCErrorCode(rawValue: error.code)?.isRetryable ?? false) { throw rejected(method, error) }
        guard status >= 500 || status == 429 || status == 200 else {
            throw SigportError(.rejectedByServer, "\(method) got HTTP \(status).", hint: error.map { "Server: \($0.message)" })
        }
        return error.map { "JSON-RPC \($0.code)" } ?? (status == 200 ? "an answer sigport cannot read" : "HTTP \(status)")
    }

    static func rejected(_ method: String, _ error: RPCErrorObject) -> SigportError {
        let fields = error.data?.params?.map { "\($0.key): \($0.value.joined(separator: "; "))" }.sorted().joined(separator: ", ")
        return SigportError(.rejectedByServer, "\(method) was refused: \(error.message) (JSON-RPC \(error.code)).",
                            hint: fields.map { "Fields: \($0)" })
    }
}

struct RPCRequestEnvelope<P: Encodable>: Encodable {
    let jsonrpc = "2.0"
    let method: String
    let id = "1"
    let params: P
}

struct RPCResponseEnvelope<R: Decodable>: Decodable {
    let result: R?
    let error: RPCErrorObject?
}

public struct RPCErrorObject: Decodable, Sendable {
    public struct ErrorData: Decodable, Sendable { public let params: [String: [String]]? }
    public let code: Int
    public let message: String
    public let data: ErrorData?
}

/// The start of an answer body, for error causes (server answers hold no secrets of ours).
struct BodyExcerpt: Error, CustomStringConvertible {
    let description: String
    init(_ body: ByteBuffer) { description = String(buffer: body.getSlice(at: body.readerIndex, length: min(body.readableBytes, 300)) ?? body) }
}
