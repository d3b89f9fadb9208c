import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move what an org owns to another org.",
        subcommands: [MigrateOxCommand.self, MigrateOxToIntegrationCommand.self])
}

struct MigrateOxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ox",
        abstract: "Copy (or move) an ox org's sensors, beacons and their events to another org.",
        discussion: """
        The sensors and beacons are those the source org's IdMaps enable and those the ledgers'
        events name. ox has no call that lists events, so the events come from what sigport
        knows: the ledgers of earlier imports and migrations (--events-from RUN_DIR, repeatable)
        and/or a file of event ids (--event-ids). Events of other entities are left alone.

        Copy (default) creates each entity again under the target org (event_sensor and
        event_beacon rewritten to the new ids) and enables the new sensors and beacons in the
        target's IdMaps; the source is unchanged. --move changes parent_org with update-many
        calls, then disables the entities in the source's IdMaps and enables them in the target's.

        Both orgs need a client in the credentials file. Requests are paced per client, within
        the size limit, and recorded in <run-dir>/checkpoint.sqlite: run the same command again
        after a kill and it goes on where it stopped. At the end a sample of what was migrated
        (--verify all: everything) is read back from the target and compared field by field.

        Example:
          sigport migrate ox --from-org 1700000000000001 --to-org 1700000000000002 \\
            --events-from sigport-run --credentials creds.json --dry-run
        """)

    @OptionGroup var target: TargetOptions

    @Option(help: ArgumentHelp("The org to migrate from (its entity id).", valueName: "org"))
    var fromOrg: String

    @Option(help: ArgumentHelp("The org to migrate to (its entity id).", valueName: "org"))
    var toOrg: String

    @Flag(help: "Move instead of copy: the entities change org, keeping their ids.")
    var move = false

    @Option(help: ArgumentHelp("A run directory whose ledger names events (an earlier import or migration); repeatable.", valueName: "run-dir"))
    var eventsFrom: [String] = []

    @Option(help: ArgumentHelp("A file of event ids, one per line.", valueName: "file"))
    var eventIds: String?

    @Option(help: ArgumentHelp("Where the migration's checkpoint goes.", valueName: "dir"))
    var runDir = "sigport-migrate"

    @Flag(help: "Print what would be migrated and the requests it takes; change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Read back a sample of N per kind (default 20), or all, and compare.", valueName: "N|all"))
    var verify = "20"

    @Option(help: ArgumentHelp("What to do with a create whose answer was lost: resend (duplicates if it was created) or stop (exit 6).", valueName: "resend|stop"))
    var inDoubt: InDoubtPolicy = .stop

    @Option(help: "Largest request body in bytes (documented: 9 MiB).")
    var maxRequestBytes = IntegrationContract.maxRequestBytes

    @Option(help: "Requests per second each client may send (documented: 1).")
    var requestsPerSecond = Double(OxContract.requestsPerSecond)

    @Option(help: ArgumentHelp("Write the report as JSON to this file.", valueName: "file"))
    var report: String?

    func validate() throws {
        guard fromOrg != toOrg else { throw ValidationError("--from-org and --to-org must differ.") }
        guard inDoubt != .skip else { throw ValidationError("--in-doubt takes resend or stop here: a skipped entity would leave its events without a sensor.") }
        guard verify == "all" || Int(verify).map({ $0 >= 0 }) == true else { throw ValidationError("--verify takes a count or all.") }
        guard maxRequestBytes >= 1024 else { throw ValidationError("--max-request-bytes must be at least 1024.") }
        guard requestsPerSecond > 0 else { throw ValidationError("--requests-per-second must be positive.") }
    }

    func run() async throws {
        do {
            let credentials = try Credentials.load(path: target.credentials)
            guard let ox = credentials.ox else { throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox section.") }
            func client(_ org: String) throws -> OxClient {
                guard let entry = ox.orgs.first(where: { $0.org == org }) else {
                    throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no client for org \(org).")
                }
                let pacer = Pacer.documented(requestsPerSecond: requestsPerSecond, ledger: (PaceLedger(), PaceLedger.key(apiUrl: ox.apiUrl, credential: entry.client)))
                return try OxClient(apiUrl: ox.apiUrl, org: entry, allowInsecureHTTP: target.allowInsecureHttp, pacer: pacer)
            }
            var options = OxMigration.Options(runDirectory: URL(fileURLWithPath: runDir))
            options.move = move
            options.ledgers = eventsFrom.map { URL(fileURLWithPath: $0) }
            options.eventIDFile = eventIds
            options.maxRequestBytes = maxRequestBytes
            options.inDoubt = inDoubt
            options.verifySample = verify == "all" ? nil : Int(verify)
            let migration = try OxMigration(source: try client(fromOrg), target: try client(toOrg), options: options)
            let result: OxMigration.Report
            do { result = try await migration.run(dryRun: dryRun) } catch let error as SigportError {
                throw CommandFailure(exitCode: error.code == .invalidArgument ? .inputUnreadable : .apiFailed, message: "\(error)")
            }
            print(Self.summary(result, dryRun: dryRun))
            if let report {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(result).write(to: URL(fileURLWithPath: report))
            }
            if !result.differences.isEmpty { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("sigport: \(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode.rawValue)
        }
    }

    static func summary(_ r: OxMigration.Report, dryRun: Bool) -> String {
        var lines = ["\(dryRun ? "would \(r.move ? "move" : "copy")" : r.move ? "moved" : "copied"): \(r.sensors) sensors, \(r.beacons) beacons, \(r.events) events"
                     + (r.eventsSkipped > 0 ? " (\(r.eventsSkipped) listed events not found or of other entities)" : "")]
        if dryRun {
            lines.append("requests: " + r.planned.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
            lines.append(String(format: "about %.0f s at the pace", r.estimatedSeconds))
        } else {
            lines.append("requests: \(r.requests); verified \(r.verified), differences \(r.differences.count)")
            lines += r.differences.prefix(20).map { "  " + $0 }
            lines.append(String(format: "time: %.1f s", r.seconds))
        }
        return lines.joined(separator: "\n")
    }
}

struct MigrateOxToIntegrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ox-to-integration",
        abstract: "Move an ox org's history onto the integration API: sensors × event types become signals.",
        discussion: """
        Reads the org's sensors and beacons and the events sigport's ledgers (or an id file) name —
        ox lists no events — and turns each sensor × event type into a signal: its input ID from
        --input-id (fields sensor_id, sensor_type, sensor_version, sensor, event_type, org), its
        name "<event type>, <sensor_id>", labels from the sensor's and its beacons' fields. Event
        types named with --enum become enum signals. Each event becomes a value at its timestamp,
        sent in integration.insert requests packed under the size limit and paced; the run
        resumes where it stopped (inserts are idempotent).

        Needs both sections of the credentials file: ox (a client of the org) and integration.

        Example:
          sigport migrate ox-to-integration --from-org 1700000000000001 --events-from sigport-run \\
            --enum door=0:closed,1:open --credentials creds.json
        """)

    @OptionGroup var target: TargetOptions

    @Option(help: ArgumentHelp("The ox org to read (its entity id).", valueName: "org"))
    var fromOrg: String

    @Option(help: ArgumentHelp("A run directory whose ledger names events; repeatable.", valueName: "run-dir"))
    var eventsFrom: [String] = []

    @Option(help: ArgumentHelp("A file of event ids, one per line.", valueName: "file"))
    var eventIds: String?

    @Option(help: ArgumentHelp("Template of the signals' input IDs.", valueName: "template"))
    var inputId = "{sensor_id}/{event_type}"

    @Option(help: ArgumentHelp("An event type whose readings are enum keys, with their names; repeatable.", valueName: "type=key:name,…"))
    var `enum`: [String] = []

    @Option(help: ArgumentHelp("Where the migration's checkpoint goes.", valueName: "dir"))
    var runDir = "sigport-migrate"

    @Option(help: "Largest request body in bytes (documented: 9 MiB).")
    var maxRequestBytes = IntegrationContract.maxRequestBytes

    @Option(help: "Requests per second each API allows (documented: 1).")
    var requestsPerSecond = 1.0

    func validate() throws {
        for entry in self.enum { _ = try Self.parseEnum(entry) }
        guard maxRequestBytes >= 1024 else { throw ValidationError("--max-request-bytes must be at least 1024.") }
        guard requestsPerSecond > 0 else { throw ValidationError("--requests-per-second must be positive.") }
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
        do {
            let credentials = try Credentials.load(path: target.credentials)
            guard let ox = credentials.ox, let org = ox.orgs.first(where: { $0.org == fromOrg }) else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox client for org \(fromOrg).")
            }
            guard let integration = credentials.integration else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no integration section.")
            }
            let oxClient = try OxClient(apiUrl: ox.apiUrl, org: org, allowInsecureHTTP: target.allowInsecureHttp,
                                        pacer: .documented(requestsPerSecond: requestsPerSecond, ledger: (PaceLedger(), PaceLedger.key(apiUrl: ox.apiUrl, credential: org.client))))
            let client = try IntegrationClient(credentials: integration, allowInsecureHTTP: target.allowInsecureHttp,
                                               pacer: .documented(requestsPerSecond: requestsPerSecond, ledger: (PaceLedger(), PaceLedger.key(apiUrl: integration.apiUrl, credential: integration.integration))))
            var options = OxToIntegration.Options(runDirectory: URL(fileURLWithPath: runDir))
            options.ledgers = eventsFrom.map { URL(fileURLWithPath: $0) }
            options.eventIDFile = eventIds
            options.inputID = inputId
            options.enumTypes = Dictionary(try self.enum.map(Self.parseEnum), uniquingKeysWith: { _, b in b })
            options.maxRequestBytes = maxRequestBytes
            let report: OxToIntegration.Report
            do { report = try await OxToIntegration(source: oxClient, integration: client, options: options).run() } catch let error as SigportError {
                throw CommandFailure(exitCode: error.code == .invalidArgument ? .inputUnreadable : .apiFailed, message: "\(error)")
            }
            print("\(report.events) events as values of \(report.signals) signals; \(report.rejected.count) events not migrated")
            for line in report.rejected.prefix(20) { print("  " + line) }
            print(String(format: "requests: %d; time: %.1f s", report.requests, report.seconds))
            if !report.rejected.isEmpty { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("sigport: \(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode.rawValue)
        }
    }
}
