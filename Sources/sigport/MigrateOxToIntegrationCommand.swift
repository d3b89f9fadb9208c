import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct MigrateOxToIntegrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ox-to-integration",
        abstract: "Move an ox org's history onto the integration API: sensors × event types become signals.",
        discussion: """
        Reads the org's sensors and beacons and the events sigport's ledgers (or an id file) name — \
        ox lists no events — and turns each sensor × event type into a signal: its input ID from \
        --input-id (fields sensor_id, sensor_type, sensor_version, sensor, event_type, org), its \
        name "<event type>, <sensor_id>", labels from the sensor's and its beacons' fields. Event \
        types named with --enum become enum signals. A signal holds the reading as ox stores it (an \
        integer: a scale an import applied is not undone, and its description says so) unless \
        --scale names a factor for its type. Each event becomes a value at its timestamp, \
        sent in integration.insert requests packed under the size limit and paced; the run \
        resumes where it stopped (inserts are idempotent).

        Needs both sections of the credentials file: ox (a client of the org) and integration.

        Example:
          sigport migrate ox-to-integration --from-org 1700000000000001 --events-from sigport-run \\
            --enum door=0:closed,1:open --credentials creds.json
        """)

    @OptionGroup var target: TargetOptions

    @OptionGroup var source: MigrationSourceOptions

    @Option(help: ArgumentHelp("Template of the signals' input IDs.", valueName: "template"))
    var inputId = "{sensor_id}/{event_type}"

    @Option(help: ArgumentHelp("An event type whose readings are multiplied by a factor, to undo the scale an import applied (0.1 for tenths); repeatable. Without it a signal holds the reading as ox stores it, and its description says so.", valueName: "type=factor"))
    var scale: [String] = []

    @Option(help: ArgumentHelp("An event type whose readings are enum keys, with their names; repeatable.", valueName: "type=key:name,…"))
    var `enum`: [String] = []

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        for entry in self.enum { _ = try Self.parseEnum(entry) }
        for entry in scale { _ = try Self.parseScale(entry) }
    }

    static func parseScale(_ entry: String) throws -> (String, Double) {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let factor = Double(parts[1]), factor.isFinite, factor != 0 else {
            throw ValidationError("--scale takes type=factor with a finite, nonzero factor, e.g. spo2_tenths=0.1.")
        }
        return (parts[0], factor)
    }

    static func parseEnum(_ entry: String) throws -> (String, [Int: String]) {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--enum takes type=key:name,…, e.g. door=0:closed,1:open.") }
        var names: [Int: String] = [:]
        for pair in parts[1].split(separator: ",") {
            let kv = pair.split(separator: ":", maxSplits: 1).map(String.init)
            guard kv.count == 2, let key = Int(kv[0]), IntegrationContract.enumKeys.contains(key), !kv[1].isEmpty else {
                throw ValidationError("--enum \(parts[0]): \"\(pair)\" is not key:name with a key in 0-9999.")
            }
            names[key] = kv[1]
        }
        return (parts[0], names)
    }

    func run() async throws {
        do { try await target.withTransport { try await run(transport: $0) } } catch { throw CommandFailure.exit(error) }
    }

    private func run(transport: HTTPTransport) async throws {
        do {
            let credentials = try Credentials.load(path: target.credentials)
            guard let ox = credentials.ox, let org = ox.orgs.first(where: { $0.org == source.fromOrg }) else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox client for org \(source.fromOrg).")
            }
            guard let integration = credentials.integration else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no integration section.")
            }
            let oxClient = try OxClient(apiUrl: ox.apiUrl, org: org, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                        requestsPerSecond: limits.requestsPerSecond)
            let client = try IntegrationClient(credentials: integration, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                               requestsPerSecond: limits.requestsPerSecond)
            var options = OxToIntegration.Options(runDirectory: URL(fileURLWithPath: source.runDir))
            options.ledgers = source.eventsFrom.map { URL(fileURLWithPath: $0) }
            options.eventIDFile = source.eventIds
            options.inputID = inputId
            options.enumTypes = Dictionary(try self.enum.map(Self.parseEnum), uniquingKeysWith: { _, b in b })
            options.scales = Dictionary(try scale.map(Self.parseScale), uniquingKeysWith: { _, b in b })
            options.maxRequestBytes = limits.maxRequestBytes ?? client.requestLimit
            let report: OxToIntegration.Report
            do { report = try await OxToIntegration(source: oxClient, integration: client, options: options).run() } catch let error as SigportError {
                throw CommandFailure(exitCode: SigportExitCode(error), message: "\(error)")
            }
            print("\(report.events) events as values of \(report.signals) signals; \(report.rejected.count) events not migrated")
            for line in report.rejected.prefix(20) { print("  " + line) }
            print(String(format: "requests: %d; time: %.1f s", report.requests, report.seconds))
            if !report.rejected.isEmpty { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
        } catch {
            throw CommandFailure.exit(error)
        }
    }
}
