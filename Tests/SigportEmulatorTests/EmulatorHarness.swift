import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import SigportEmulator

/// A running emulator on 127.0.0.1 (random port) with fresh credentials, for one test.
struct EmulatorHarness: Sendable {
    let emulator: Emulator
    let baseURL: String
    let credentials: EmulatorCredentials

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
        var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null }
    }

    /// Starts an emulator, runs `body` against it, and stops it.
    static func with<T: Sendable>(
        _ configuration: EmulatorConfiguration = .init(requestInterval: .zero),
        orgs: Int = 1,
        _ body: @Sendable (EmulatorHarness) async throws -> T
    ) async throws -> T {
        try await Emulator.withRunning(configuration, orgs: orgs) { emulator, base, credentials in
            try await body(EmulatorHarness(emulator: emulator, baseURL: base, credentials: credentials))
        }
    }

    /// AsyncHTTPClient's `.shared` client sets a 90 s idle read timeout, and with one set, an
    /// answer the emulator gives before it has read the whole request (a refused Basic-auth pair)
    /// can trip a precondition in its HTTP/1 handler and crash the test process (seen once in CI).
    /// sigport's own clients set no read timeout either; this one lives as long as the process.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration())

    func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    var basicAuth: (String, String) {
        let pair = "\(credentials.integration.basicAuth.username):\(credentials.integration.basicAuth.password)"
        return ("Authorization", "Basic " + Data(pair.utf8).base64EncodedString())
    }

    var integrationID: String { credentials.integration.integration }

    /// A JSON-RPC call with Basic auth; `params` is JSON text so tests send exactly what they mean.
    func rpc(_ method: String, _ params: String, version: String? = "1.1", id: String = "\"1\"",
             auth: (String, String)? = nil) async throws -> Reply {
        var headers = [auth ?? basicAuth, ("Content-Type", "application/json")]
        if let version { headers.append(("X-API-Version", version)) }
        let body = "{\"jsonrpc\":\"2.0\",\"method\":\"\(method)\",\"id\":\(id),\"params\":\(params)}"
        return try await send(.POST, "v1/rpc", headers: headers, body: Data(body.utf8))
    }

    /// An ox client's token from the token endpoint.
    func oxToken(org index: Int = 0) async throws -> String {
        let org = credentials.ox.orgs[index]
        let reply = try await send(.GET, "client/token/\(org.org)/\(org.client)/\(org.clientApiKey)")
        guard let token = reply.json["data"]?["token"]?.stringValue else { throw HarnessError.noToken(reply.status) }
        return token
    }

    func ox(_ method: HTTPMethod, _ path: String, token: String, body: String? = nil) async throws -> Reply {
        try await send(method, path, headers: [("Authorization", "bearer \(token)"), ("Content-Type", "application/json")],
                       body: body.map { Data($0.utf8) })
    }

    enum HarnessError: Error { case noToken(Int) }
}

extension JSONValue {
    /// `error.data.params` of a JSON-RPC error: which fields were bad.
    var badParams: Set<String> { Set(self["error"]?["data"]?["params"]?.objectValue?.keys.map { $0 } ?? []) }
    var rpcCode: Int? { self["error"]?["code"]?.integerValue.map(Int.init) }
}
