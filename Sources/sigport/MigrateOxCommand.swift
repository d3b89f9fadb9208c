import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct MigrateOxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ox",
        abstract: "Copy (or move) an ox org's sensors, beacons and their events to another org.",
        discussion: """
        The sensors and beacons are those the source org's IdMaps enable and those the ledgers' \
        events name. ox has no call that lists events, so the events come from what sigport \
        knows: the ledgers of earlier imports and migrations (--events-from RUN_DIR, repeatable) \
        and/or a file of event ids (--event-ids). Events of other entities are left alone.

        Copy (default) creates each entity again under the target org (event_sensor and \
        event_beacon rewritten to the new ids) and enables the new sensors and beacons in the \
        target's IdMaps; the source is unchanged. --move changes parent_org with update-many \
        calls, then disables the entities in the source's IdMaps and enables them in the target's.

        Both orgs need a client in the credentials file. Requests are paced per client, within \
        the size limit, and recorded in <run-dir>/checkpoint.sqlite: run the same command again \
        after a kill and it goes on where it stopped. At the end a sample of what was migrated \
        (--verify all: everything) is read back from the target and compared field by field.

        Example:
          sigport migrate ox --from-org 1700000000000001 --to-org 1700000000000002 \\
            --events-from sigport-run --credentials creds.json --dry-run
        """)

    @OptionGroup var target: TargetOptions

    @OptionGroup var source: MigrationSourceOptions

    @Option(help: ArgumentHelp("The org to migrate to (its entity id).", valueName: "org"))
    var toOrg: String

    @Flag(help: "Move instead of copy: the entities change org, keeping their ids.")
    var move = false

    @Flag(help: "Print what would be migrated and the requests it takes; change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Read back a sample of N per kind (default 20), or all, and compare.", valueName: "N|all"))
    var verify = "20"

    @Option(help: ArgumentHelp("What to do with a create whose answer was lost: resend (duplicates if it was created) or stop (exit 6).", valueName: "resend|stop"))
    var inDoubt: InDoubtPolicy = .stop

    @OptionGroup var limits: LimitOptions

    @Option(help: ArgumentHelp("Write the report as JSON to this file.", valueName: "file"))
    var report: String?

    @Flag(help: "Progress as one JSON object per line on standard error, instead of a status line.")
    var json = false

    func validate() throws {
        guard source.fromOrg != toOrg else { throw ValidationError("--from-org and --to-org must differ.") }
        guard inDoubt != .skip else { throw ValidationError("--in-doubt takes resend or stop here: a skipped entity would leave its events without a sensor.") }
        guard verify == "all" || Int(verify).map({ $0 >= 0 }) == true else { throw ValidationError("--verify takes a count or all.") }
    }

    func run() async throws {
        do { try await target.withTransport { try await run(transport: $0) } } catch { throw CommandFailure.exit(error) }
    }

    private func run(transport: HTTPTransport) async throws {
        do {
            let credentials = try Credentials.load(path: target.credentials)
            guard let ox = credentials.ox else { throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox section.") }
            func client(_ org: String) throws -> OxClient {
                guard let entry = ox.orgs.first(where: { $0.org == org }) else {
                    throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no client for org \(org).")
                }
                return try OxClient(apiUrl: ox.apiUrl, org: entry, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                    requestsPerSecond: limits.requestsPerSecond)
            }
            var options = OxMigration.Options(runDirectory: URL(fileURLWithPath: source.runDir))
            options.move = move
            options.ledgers = source.eventsFrom.map { URL(fileURLWithPath: $0) }
            options.eventIDFile = source.eventIds
            options.maxRequestBytes = limits.maxRequestBytes ?? OxContract.maxRequestBytes
            options.inDoubt = inDoubt
            options.verifySample = verify == "all" ? nil : Int(verify)
            options.dryRun = dryRun
            let feedback = ImportFeedback(json: json)
            let migration = try OxMigration(source: try client(source.fromOrg), target: try client(toOrg), options: options,
                                            onProgress: { feedback.handle($0) })
            let result: OxMigration.Report
            do { result = try await migration.run() } catch let error as SigportError {
                feedback.finish()
                throw CommandFailure(exitCode: SigportExitCode(error), message: "\(error)")
            }
            feedback.finish()
            print(Self.summary(result, dryRun: dryRun))
            if let report {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(result).write(to: URL(fileURLWithPath: report))
            }
            if !result.differences.isEmpty { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    static func summary(_ r: OxMigration.Report, dryRun: Bool) -> String {
        let all = r.sensors + r.beacons + r.events
        let earlier = dryRun || r.earlierRuns == 0 ? ""
            : r.earlierRuns == all ? "; nothing to do: an earlier run \(r.move ? "moved" : "copied") them all"
            : "; this session \(all - r.earlierRuns), earlier runs \(r.earlierRuns)"
        var lines = ["\(dryRun ? "would \(r.move ? "move" : "copy")" : r.move ? "moved" : "copied"): \(r.sensors) sensors, \(r.beacons) beacons, \(r.events) events"
                     + (r.eventsSkipped > 0 ? " (\(r.eventsSkipped) listed events not found or of other entities)" : "") + earlier]
        if dryRun {
            lines.append("requests: " + r.planned.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
            lines.append(String(format: "about %.0f s at the pace", r.estimatedSeconds))
        } else {
            lines.append("requests: \(r.requests); verified \(r.verified), differences \(r.differences.count)"
                         + ImportCommand.unanswered(r.unanswered, holder: "the target org"))
            lines += r.differences.prefix(20).map { "  " + $0 }
            lines.append(String(format: "time: %.1f s", r.seconds))
        }
        return lines.joined(separator: "\n")
    }
}
