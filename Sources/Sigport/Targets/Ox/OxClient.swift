import Foundation
import NIOCore
import NIOHTTP1
import SigportContract

/// A client of the ox API acting for one org's client: fetches its JWT from the token endpoint,
/// reuses it until shortly before `exp`, renews it on expiry or a 401, and paces every request.
public struct OxClient: Sendable {
    public let org: OxCredentials.Org
    public let endpoint: Endpoint
    let transport: HTTPTransport
    let pacer: Pacer<ContinuousClock>
    private let tokens = TokenCache()

    /// - Parameter requestsPerSecond: the client's pace instead of the 1 request/second sigport reads ox to allow.
    public init(apiUrl: String, org: OxCredentials.Org, allowInsecureHTTP: Bool = false,
                transport: HTTPTransport = HTTPTransport(), requestsPerSecond: Double? = nil) throws {
        self.org = org
        self.endpoint = try Endpoint(apiUrl, allowInsecureHTTP: allowInsecureHTTP)
        self.transport = transport
        self.pacer = .documented(requestsPerSecond: requestsPerSecond ?? Double(OxContract.requestsPerSecond),
                                 ledger: (PaceLedger(), PaceLedger.key(apiUrl: apiUrl, credential: org.client)))
    }

    /// The `data` of the envelope of a request, as JSON bytes; 401 renews the token once.
    /// - Parameter leaving: called once the request's paced slot came, just before it leaves
    ///   (to record it as sent: a kill while waiting on the pace leaves nothing in doubt).
    public func request(_ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil,
                        leaving: (@Sendable () throws -> Void)? = nil) async throws -> (status: Int, data: Data) {
        for attempt in 0..<2 {
            let token = try await tokens.token { try await fetchToken() }
            var headers: HTTPHeaders = ["Authorization": "bearer \(token)"]
            if body != nil { headers.add(name: "Content-Type", value: "application/json") }
            let (transport, url, what) = (transport, endpoint.url(path), "\(method) /\(path.prefix(40)) at \(endpoint.base)")
            let reply = try await PacedExchange(pacer: pacer).send { [headers] in
                try leaving?()
                return try await transport.send(method, url, headers: headers, body: body, what: what)
            }
            if reply.status == 401 && attempt == 0 {
                await tokens.invalidate()
                continue
            }
            return (reply.status, Data(reply.body.readableBytesView))
        }
        throw SigportError(.unauthorized, "The ox API refused a freshly issued token for \(org).")
    }

    /// `GET /client/token/{org}/{client}/{key}`. The URL holds the key: it is never logged.
    private func fetchToken() async throws -> (token: String, expiresAt: Date) {
        let (transport, url, what) = (transport, endpoint.url("client/token/\(org.org)/\(org.client)/\(org.clientApiKey)"),
                                      "the token request for client \(org.client) at \(endpoint.base)")
        let reply = try await PacedExchange(pacer: pacer).sendRetryingFailures { try await transport.send(.GET, url, what: what) }
        switch reply.status {
        case 200: break
        case 403: throw SigportError(.forbidden, "The ox API says the API key of client \(org.client) (org \(org.org)) is wrong.",
                                     hint: "Check clientApiKey in the credentials file; keys are shown once, when a client is created.")
        case 404: throw SigportError(.credentials, "The ox API knows no client \(org.client) in org \(org.org).",
                                     hint: "Check org and client (the client's entity id) in the credentials file.")
        default: throw SigportError(.unexpectedResponse, "The ox token request got HTTP \(reply.status).", cause: BodyExcerpt(reply.body))
        }
        struct Envelope: Decodable { struct TokenData: Decodable { let token: String }; let data: TokenData }
        guard let token = try? JSONDecoder().decode(Envelope.self, from: Data(reply.body.readableBytesView)).data.token else {
            throw SigportError(.unexpectedResponse, "The ox token answer has no data.token.")
        }
        return (token, Self.expiry(ofJWT: token) ?? Date().addingTimeInterval(TimeInterval(OxContract.tokenLifetimeSeconds)))
    }

    /// The `exp` claim of a JWT, read without verifying it (the server verifies; sigport only
    /// needs to know when to renew).
    static func expiry(ofJWT token: String) -> Date? {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        struct Claims: Decodable { let exp: Double }
        guard let data = Data(base64Encoded: payload), let claims = try? JSONDecoder().decode(Claims.self, from: data) else { return nil }
        return Date(timeIntervalSince1970: claims.exp)
    }
}
