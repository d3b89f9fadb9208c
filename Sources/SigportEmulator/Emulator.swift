import Foundation
import GRDB
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Logging
import NIOCore
import SigportContract

/// A local emulator of both APIs: a real HTTP server on loopback, state in SQLite, the documented
/// limits, auth and errors. sigport's embedded default target and every end-to-end test's peer.
public struct Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    let store: EmulatorStore
    let statistics: EmulatorStats
    let authority: OxAuthority
    let logger: Logger

    public init(configuration: EmulatorConfiguration = .init(), logger: Logger = Logger(label: "sigport.emulator")) async throws {
        self.configuration = configuration
        self.store = try EmulatorStore(path: configuration.databasePath)
        self.statistics = EmulatorStats()
        self.authority = try await OxAuthority.make(store: store, lifetime: configuration.oxTokenLifetime)
        self.logger = logger
    }

    /// Serves until the surrounding task is cancelled (or, with `handleSignals`, until SIGINT or
    /// SIGTERM). `onRunning` gets the bound port, which matters when `port` is 0.
    public func run(handleSignals: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: EmulatorRequestContext.self)
        let gate = RequestGate(configuration: configuration, stats: statistics)
        IntegrationAPI(store: store, gate: gate, configuration: configuration).register(on: router)
        OxAPI(store: store, gate: gate, authority: authority).register(on: router)
        let statistics = self.statistics
        router.get("/_emulator/stats") { _, _ in Response.json(await statistics.snapshot) }
        if configuration.tamperingHooks { SampleRemoval.register(on: router, store: store) }
        let http: HTTPServerBuilder = .http1(configuration: .init(additionalChannelHandlers: [ArrivalStamp(clock: configuration.paceClock)]))
        let app = Application(
            router: router,
            server: try configuration.tls.map { files in try .tls(http, tlsConfiguration: Self.serverTLS(files)) } ?? http,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sigport-emulator"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        if handleSignals { try await app.runService() } else { try await app.run() }
    }

    static func serverTLS(_ files: EmulatorConfiguration.TLSFiles) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
    }

    /// Runs an emulator on its own port for the duration of `body`, with fresh credentials for
    /// `orgs` ox orgs: how tests, benchmarks and embedding programs get a live peer.
    public static func withRunning<T: Sendable>(
        _ configuration: EmulatorConfiguration = .init(),
        orgs: Int = 1,
        logger: Logger = { var logger = Logger(label: "sigport.emulator"); logger.logLevel = .critical; return logger }(),
        _ body: @Sendable (_ emulator: Emulator, _ baseURL: String, _ credentials: EmulatorCredentials) async throws -> T
    ) async throws -> T {
        let emulator = try await Emulator(configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await emulator.run { continuation.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            defer { group.cancelAll() }
            let base = "\(configuration.scheme)://\(configuration.host):\(port)/"
            return try await body(emulator, base, try await emulator.bootstrap(baseURL: base, orgs: orgs))
        }
    }

    /// What clients did to the documented limits so far.
    public func stats() async -> EmulatorStatsSnapshot { await statistics.snapshot }

    /// Creates an integration (Basic and OAuth credentials), `orgs` ox orgs each with a client,
    /// and an admin token — everything a user needs to try sigport offline.
    public func bootstrap(baseURL: String, orgs: Int = 1) async throws -> EmulatorCredentials {
        let base = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        let integrationID = Identifiers.resourceID()
        let password = Identifiers.secret()
        let clientID = Identifiers.resourceID()
        let clientSecret = Identifiers.secret()
        let now = RFC3339Time.format(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
        let oxOrgs = try await store.write { db -> [EmulatorCredentials.OxOrg] in
            try IntegrationRecord(id: integrationID, name: "sigport emulator integration", passwordHash: IntegrationAPI.hash(password),
                                  clientID: clientID, clientSecretHash: IntegrationAPI.hash(clientSecret), createdAt: Date()).insert(db)
            return try (0..<orgs).map { index in
                let org = Identifiers.oxID()
                let client = Identifiers.oxID()
                let key = Identifiers.secret()
                let orgDocument: JSONValue = .object([
                    "org_owner": .number(Double(Identifiers.oxID())), "org_active": .bool(true), "org_alias": .string("Emulator org \(index + 1)"),
                    "org_sensors": .object([:]), "org_beacons": .object([:]), "org_users": .object([:]),
                    "org_clients": .object([String(client): .number(Double(Int64(Date().timeIntervalSince1970 * 1000)))]),
                ])
                try OxEntityRecord(id: org, kind: "Org", parentOrg: org, document: orgDocument.jsonText(), createdAt: now, modifiedAt: now).insert(db)
                let clientDocument: JSONValue = .object([
                    "client_id": .string("sigport/\(index + 1)"), "client_name": .string("sigport"), "parent_org": .number(Double(org)),
                ])
                try OxEntityRecord(id: client, kind: "Client", parentOrg: org, document: clientDocument.jsonText(), createdAt: now, modifiedAt: now).insert(db)
                try OxClientKeyRecord(clientEntityID: client, keyHash: IntegrationAPI.hash(key)).insert(db)
                return .init(org: String(org), client: String(client), clientApiKey: key)
            }
        }
        return EmulatorCredentials(
            integration: .init(apiUrl: base + "v1/", integration: integrationID,
                               credentials: .init(type: "client-credentials", clientId: clientID, clientSecret: clientSecret),
                               basicAuth: .init(username: integrationID, password: password)),
            ox: .init(apiUrl: base, adminToken: try await authority.adminToken(), orgs: oxOrgs))
    }
}

/// The credentials `sigport emulator --bootstrap FILE` writes. Its `integration` object is also
/// a credentials file as pyclarify and the other official SDKs read it.
public struct EmulatorCredentials: Codable, Sendable {
    public struct Integration: Codable, Sendable {
        public var apiUrl: String
        public var integration: String
        public var credentials: ClientCredentials
        public var basicAuth: BasicAuth
    }
    public struct ClientCredentials: Codable, Sendable {
        public var type: String
        public var clientId: String
        public var clientSecret: String
    }
    public struct BasicAuth: Codable, Sendable {
        public var username: String
        public var password: String
    }
    public struct Ox: Codable, Sendable {
        public var apiUrl: String
        /// Acts as Signal, the only one who may create orgs.
        public var adminToken: String
        public var orgs: [OxOrg]
    }
    public struct OxOrg: Codable, Sendable {
        public var org: String
        /// The client's entity id, as `/client/token/{org}/{client}/{key}` takes it.
        public var client: String
        public var clientApiKey: String
    }

    public var integration: Integration
    public var ox: Ox

    /// Writes the file readable by its owner only (0600): it holds secrets.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: data)
    }
}
