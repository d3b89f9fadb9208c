import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct ExportOxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ox",
        abstract: "Export an ox org's events: one reading per event.",
        discussion: """
        ox has no call that lists events, so the events are those sigport knows: the ledgers of \
        earlier imports and migrations into the org (--events-from RUN_DIR, repeatable) and/or a \
        file of event ids (--event-ids). --sensor, --beacon, --event-type, --from and --to narrow \
        them. They are read with retrieve-many calls (URLs under 2000 bytes, paced) into \
        <run-dir>/export.sqlite, so a killed export resumes without reading them again, and \
        written in time order.

        Columns: timestamp, org, beacon, sensor, sensor_type, event_type, reading, event_id, \
        sensor_entity_id, beacon_entity_id (beacon and sensor are the user-facing beacon_id and \
        sensor_id). A wide file has one column per sensor × event type, named <sensor_id>/<type>.

        Example:
          sigport export ox --org 1700000000000001 --events-from sigport-run --event-type heart_rate \\
            --from 2024-03-01 --to 2024-04-01 --format csv --out march.csv --credentials creds.json
        """)

    @OptionGroup var target: TargetOptions

    @OptionGroup var file: ExportFileOptions

    @Option(help: ArgumentHelp("The ox org to export (its entity id).", valueName: "org"))
    var org: String

    @Option(help: ArgumentHelp("A run directory whose ledger names events (an earlier import or migration); repeatable.", valueName: "run-dir"))
    var eventsFrom: [String] = []

    @Option(help: ArgumentHelp("A file of event ids, one per line.", valueName: "file"))
    var eventIds: String?

    @Option(help: ArgumentHelp("Only events of this sensor (entity id); repeatable.", valueName: "id"))
    var sensor: [String] = []

    @Option(help: ArgumentHelp("Only events of this beacon (entity id); repeatable.", valueName: "id"))
    var beacon: [String] = []

    @Option(help: ArgumentHelp("Only events of this type; repeatable.", valueName: "type"))
    var eventType: [String] = []

    @Option(help: ArgumentHelp("Where the fetched events are staged, for resuming.", valueName: "dir"))
    var runDir = "sigport-export"

    func validate() throws {
        guard !eventsFrom.isEmpty || eventIds != nil else {
            throw ValidationError("Name the events: --events-from RUN_DIR (an earlier import or migration) or --event-ids FILE; ox lists no events.")
        }
    }

    func run() async throws {
        do { try await target.withTransport { try await run(transport: $0) } } catch { throw CommandFailure.exit(error) }
    }

    private func run(transport: HTTPTransport) async throws {
        do {
            let credentials = try Credentials.load(path: target.credentials)
            guard let ox = credentials.ox, let client = ox.orgs.first(where: { $0.org == org }) else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no ox client for org \(org).")
            }
            let options = file.options
            let oxClient = try OxClient(apiUrl: ox.apiUrl, org: client, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                        requestsPerSecond: file.requestsPerSecond)
            var selection = OxExportSource.Selection()
            selection.ledgers = eventsFrom.map { URL(fileURLWithPath: $0) }
            selection.eventIDFile = eventIds
            selection.sensors = sensor
            selection.beacons = beacon
            selection.eventTypes = eventType
            selection.from = options.from
            selection.to = options.to
            let source = try OxExportSource(client: oxClient, selection: selection, runDirectory: URL(fileURLWithPath: runDir))
            try await file.run(Exporter(ox: source, options: options))
        } catch {
            throw CommandFailure.exit(error)
        }
    }
}
