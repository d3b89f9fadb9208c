import Crypto
import Foundation
import GRDB
import Hummingbird
import HTTPTypes
import NIOCore
import SigportContract

/// The integration API: JSON-RPC 2.0 at `POST /v1/rpc`, OAuth 2.0 client credentials at
/// `POST /v1/oauth/token`, HTTP Basic or Bearer auth.
struct IntegrationAPI: Sendable {
    let store: EmulatorStore
    let gate: RequestGate
    let configuration: EmulatorConfiguration
    private let dialect = RPCDialect()

    init(store: EmulatorStore, gate: RequestGate, configuration: EmulatorConfiguration) {
        self.store = store
        self.gate = gate
        self.configuration = configuration
    }

    func register(on router: Router<EmulatorRequestContext>) {
        router.post("/v1/rpc") { request, _ in
            let version = Self.declaredVersion(request)
            return await gate.run(request, route: "rpc", dialect: dialect, bodyLimit: configuration.bodyLimit(version ?? .latestStable),
                                  authenticate: { request, body in try await admitRPC(request, body: body, version: version) },
                                  handle: { request, _, caller in try await handleRPC(request, caller: caller) })
        }
        router.post("/v1/oauth/token") { request, _ in
            // A token request is no RPC method and declares no version: the latest's body limit,
            // and a lane of its own that answers over-rate requests with 429, as OAuth servers do.
            await gate.run(request, route: "oauth/token", dialect: OAuthDialect(), bodyLimit: configuration.bodyLimit(.latestStable),
                           authenticate: { _, body in
                               let record = try await clientCredentials(body)
                               return Admission(lane: gate.lane(IntegrationLimits.tokenLane, of: "integration:" + record.id,
                                                                requestsPerSecond: IntegrationLimits.tokenRequestsPerSecond, overRate: .reject),
                                                caller: record)
                           },
                           handle: { _, _, record in try await issueToken(for: record) })
        }
    }

    /// An authenticated RPC call, parsed as far as its envelope: the method names its lane.
    struct RPCCaller: Sendable {
        let integration: String
        let head: RPCHead
        let data: Data
    }

    private func admitRPC(_ request: Request, body: ByteBuffer, version: IntegrationAPIVersion?) async throws -> Admission<RPCCaller> {
        let integration = try await authenticate(request)
        let data = Data(buffer: body)
        let head = try RPCHead.parse(data)
        let limits = IntegrationLimits.of(version ?? .latestStable)
        let method = head.method?.stringValue ?? ""
        let lane = gate.lane(limits.lane(of: method), of: "integration:" + integration,
                             requestsPerSecond: limits.requestsPerSecond(of: method), overRate: configuration.overRate)
        return Admission(lane: lane, caller: RPCCaller(integration: integration, head: head, data: data))
    }

    /// The version a request declares; nil when it names none the emulator knows.
    static func declaredVersion(_ request: Request) -> IntegrationAPIVersion? {
        let text = request.headers[versionHeader] ?? IntegrationAPIVersion.latestStable.rawValue
        return IntegrationAPIVersion(rawValue: text.trimmingCharacters(in: .whitespaces))
    }

    // MARK: Authentication

    /// The integration a request acts for, from `Authorization: Basic …` or `Bearer …`.
    func authenticate(_ request: Request) async throws -> String {
        let unauthorized = APIError(status: .unauthorized, rpcCode: .forbidden,
                                    message: "Unauthorized: the credentials are missing, invalid or expired")
        guard let header = request.headers[.authorization] else { throw unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw unauthorized }
        let scheme = parts[0].lowercased()
        let value = String(parts[1])
        if scheme == "basic" {
            guard let decoded = Data(base64Encoded: value).map({ String(decoding: $0, as: UTF8.self) }),
                  let colon = decoded.firstIndex(of: ":")
            else { throw unauthorized }
            let id = String(decoded[..<colon])
            let password = String(decoded[decoded.index(after: colon)...])
            let record = try await store.read { try IntegrationRecord.fetchOne($0, key: id) }
            guard let record, record.passwordHash == Self.hash(password) else { throw unauthorized }
            return record.id
        }
        if scheme == "bearer" {
            let hash = Self.hash(value)
            let token = try await store.read { try AccessTokenRecord.fetchOne($0, key: hash) }
            guard let token, token.expiresAt > Date() else { throw unauthorized }
            return token.integration
        }
        throw unauthorized
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: OAuth 2.0 client credentials

    /// Checks a form-encoded client-credentials request and names the integration it is for.
    private func clientCredentials(_ body: ByteBuffer) async throws -> IntegrationRecord {
        let form = Self.parseForm(String(buffer: body))
        func refuse(_ error: String, _ description: String, status: HTTPResponse.Status = .badRequest) -> APIError {
            APIError(status: status, rpcCode: .forbidden, message: description, oxData: .object(["error": .string(error)]))
        }
        guard form["grant_type"] == "client_credentials" else {
            throw refuse("unsupported_grant_type", "grant_type must be client_credentials")
        }
        guard let clientID = form["client_id"], let secret = form["client_secret"] else {
            throw refuse("invalid_request", "client_id and client_secret are required")
        }
        let record = try await store.read { db in
            try IntegrationRecord.filter(Column("clientID") == clientID).fetchOne(db)
        }
        guard let record, record.clientSecretHash == Self.hash(secret) else {
            throw refuse("invalid_client", "unknown client or wrong secret", status: .unauthorized)
        }
        return record
    }

    private func issueToken(for record: IntegrationRecord) async throws -> Response {
        let token = Identifiers.secret()
        let lifetime = configuration.accessTokenLifetime.components.seconds
        let expiry = Date().addingTimeInterval(TimeInterval(lifetime))
        try await store.write { db in
            try AccessTokenRecord(tokenHash: Self.hash(token), integration: record.id, expiresAt: expiry).insert(db)
        }
        struct TokenResponse: Encodable {
            let access_token: String
            let expires_in: Int64
            let token_type = "Bearer"
            let scope = "clarify.integration"
        }
        return .json(TokenResponse(access_token: token, expires_in: lifetime))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            fields[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return fields
    }

    // MARK: JSON-RPC dispatch

    private static let versionHeader = HTTPField.Name(IntegrationContract.versionHeader)!

    private func handleRPC(_ request: Request, caller: RPCCaller) async throws -> Response {
        let head = caller.head
        let id = head.id ?? .null
        do {
            guard let version = Self.declaredVersion(request) else {
                throw APIError(status: .ok, rpcCode: .invalidRequest, message: "Unsupported X-API-Version: use one of \(IntegrationAPIVersion.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard head.hasParams else { throw APIError.invalidParam("params", "is required") }
            let call = RPCCall(data: caller.data, version: version, integration: caller.integration)
            let result: any Encodable & Sendable
            switch head.method?.stringValue {
            case "integration.saveSignals": result = try await saveSignals(call)
            case "integration.insert": result = try await insert(call)
            case "admin.selectSignals": result = try await selectSignals(call)
            case "admin.publishSignals": result = try await publishSignals(call)
            case "clarify.selectItems": result = try await selectItems(call)
            case "clarify.dataFrame": result = try await dataFrame(call)
            default:
                throw APIError(status: .ok, rpcCode: .methodNotFound, message: "Method not found: \(head.method?.stringValue ?? "")")
            }
            if head.isNotification { return Response(status: .noContent) }
            if let rendered = result as? RenderedJSON { return RPCResult(id: id, result: rendered).response }
            return .json(RPCResult(id: id, result: AnyEncodable(result)))
        } catch let error as APIError {
            if head.isNotification && error.status == .ok { return Response(status: .noContent) }
            return dialect.response(for: error, requestID: id)
        }
    }
}

/// One decoded call: the raw body (params are decoded per method), the version and the caller.
struct RPCCall: Sendable {
    let data: Data
    let version: IntegrationAPIVersion
    let integration: String

    func params<P: Decodable>(_ type: P.Type) throws -> P {
        try RPCParams<P>.decode(data, version: version)
    }

    /// "An integration can only interact with its own signals."
    func checkIntegration(_ id: String) throws {
        var problems = ParamProblems()
        problems.check(IntegrationContract.integrationID, id, at: "integration")
        try problems.throwIfAny()
        guard id == integration else {
            throw APIError(status: .ok, rpcCode: .forbidden, message: "Forbidden: these credentials are not for integration \(id)")
        }
    }
}

struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// OAuth errors are plain JSON (`{"error": "invalid_client", …}`), as RFC 6749 §5.2 has them.
struct OAuthDialect: APIDialect {
    func response(for error: APIError, requestID: JSONValue?) -> Response {
        var body = error.oxData?.objectValue ?? ["error": .string(error.status == .tooManyRequests ? "slow_down" : "server_error")]
        body["error_description"] = .string(error.message)
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return .json(JSONValue.object(body), status: error.status, headers: headers)
    }
}
