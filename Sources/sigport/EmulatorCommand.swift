import ArgumentParser
import Foundation
import Logging
import SigportContract
import SigportEmulator

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run a local emulator of the integration API and the ox API.",
        discussion: """
        A real HTTP server on 127.0.0.1 with the documented limits, auth and errors. The \
        integration API answers at /v1/rpc and /v1/oauth/token, the ox API at /, /client, /org, \
        /beacon, /sensor and /event.

        Each integration API request gets the limits of the version its X-API-Version header \
        declares: 1.1 (the default) allows 8 MiB per request and a rate per method \
        (integration.insert, integration.saveSignals, clarify.dataFrame 1/s; \
        admin.publishSignals 5/s; admin.selectSignals, clarify.selectItems 10/s), and queues a \
        request over its method's rate instead of refusing it, timing it out after 10 s in the \
        queue; 1.1beta1 allows 9 MiB and 1 request/second for all methods together, 1.0 8 MiB. \
        Token requests: 1/s per client. ox: 9 MiB, 1 request/second per client, 429 over it. \
        GET /_emulator/stats counts every request that came over its rate (throttled or refused).

        Example:
          sigport emulator --port 0 --bootstrap creds.json
        prints the port it picked and writes creds.json (mode 0600) with an integration's \
        credentials, an ox org with a client and key, and an ox admin token.
        """)

    @Option(help: "Interface to listen on. Anything but loopback exposes test credentials.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one and prints it.")
    var port = 8080

    @Option(help: ArgumentHelp("SQLite file to keep the state in (default: in memory).", valueName: "file"))
    var db: String?

    @Option(help: ArgumentHelp("Write fresh credentials for both APIs to this file (0600).", valueName: "file"))
    var bootstrap: String?

    @Option(help: "How many ox orgs --bootstrap creates, each with a client.")
    var orgs = 1

    @Option(help: "Largest accepted request body in bytes, for every version (default: each declared version's limit).")
    var maxRequestBytes: Int?

    @Option(help: "What a method documented at 1 request/second allows, the others in proportion (documented: 1). 0 turns pacing off.")
    var requestsPerSecond = 1.0

    @Option(help: ArgumentHelp("Integration API requests over their method's rate: throttle (queue them, as the service does) or reject (429 with Retry-After).", valueName: "throttle|reject"))
    var overRate: OverRatePolicy = .throttle

    @Option(help: "Fraction of requests (0...1) that get an injected fault.")
    var faultRate = 0.0

    @Option(help: "Seed of the fault sequence, to replay a run.")
    var faultSeed: UInt64 = 1

    @Option(help: "Faults to inject, comma separated: 500,503,429,delay,cut.")
    var faults = "500,503,429,delay,cut"

    @Option(help: ArgumentHelp("integration.insert refuses frames holding this value (JSON-RPC -32602), standing for an undocumented rule of the real service; to watch sigport isolate and reject such rows.", valueName: "number"))
    var refuseValue: Double?

    @Option(help: ArgumentHelp("PEM certificate chain: serve HTTPS only (with --tls-key), to try clients' certificate checks.", valueName: "file"))
    var tlsCertificate: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-certificate.", valueName: "file"))
    var tlsKey: String?

    func validate() throws {
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-certificate and --tls-key go together.") }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1.") }
        if let maxRequestBytes, maxRequestBytes < 1024 { throw ValidationError("--max-request-bytes must be at least 1024.") }
        guard requestsPerSecond >= 0 else { throw ValidationError("--requests-per-second must not be negative.") }
        guard orgs >= 1 else { throw ValidationError("--orgs must be at least 1.") }
        for kind in faults.split(separator: ",") where FaultConfiguration.Kind(rawValue: String(kind)) == nil {
            throw ValidationError("Unknown fault '\(kind)'; use 500, 503, 429, delay or cut.")
        }
    }

    func run() async throws {
        let interval: Duration = requestsPerSecond == 0 ? .zero : .nanoseconds(Int64(1e9 / requestsPerSecond))
        var configuration = EmulatorConfiguration(
            host: host, port: port, databasePath: db, maxRequestBytes: maxRequestBytes, requestInterval: interval,
            overRate: overRate,
            faults: FaultConfiguration(rate: faultRate, kinds: faults.split(separator: ",").compactMap { FaultConfiguration.Kind(rawValue: String($0)) }, seed: faultSeed),
            refusedValue: refuseValue)
        if let tlsCertificate, let tlsKey { configuration.tls = .init(certificateChain: tlsCertificate, privateKey: tlsKey) }
        var logger = Logger(label: "sigport.emulator")
        logger.logLevel = .warning
        let emulator = try await Emulator(configuration: configuration, logger: logger)
        let bootstrapPath = bootstrap
        let host = self.host
        let orgs = self.orgs
        let scheme = configuration.scheme
        try await emulator.run(handleSignals: true) { port in
            let base = "\(scheme)://\(host):\(port)/"
            if let bootstrapPath {
                do {
                    try await emulator.bootstrap(baseURL: base, orgs: orgs).write(to: bootstrapPath)
                } catch {
                    FileHandle.standardError.write(Data("sigport emulator: could not write \(bootstrapPath): \(error)\n".utf8))
                }
            }
            // Written in one go, unbuffered: scripts wait for this line to know the port.
            FileHandle.standardOutput.write(Data("sigport emulator listening on \(base) (integration API at \(base)v1/rpc, ox API at \(base))\n".utf8))
        }
    }
}

extension OverRatePolicy: ExpressibleByArgument {}
