import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct ExportIntegrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integration",
        abstract: "Export an integration's signals: one reading per value.",
        discussion: """
        Lists the integration's signals with admin.selectSignals (all of them, or those --input \
        and --filter select) and reads their data through their items with clarify.dataFrame:
        50 items and 40 days per call, paced and retried. The API reads data through items only; \
        --publish gives signals without one a hidden item (visible: false) first.

        Columns: timestamp, integration, input_id, name, value, signal_id, item_id. A wide file \
        has one column per signal, named by its input ID. --summary's gaps use each signal's \
        gapDetection, or --gap.

        Example:
          sigport export integration --from 2024-03-01 --to 2024-04-01 --window 1d \\
            --format sqlite --out march/ --credentials creds.json
        """)

    @OptionGroup var target: TargetOptions

    @OptionGroup var file: ExportFileOptions

    @Option(help: ArgumentHelp("Only the signal with this input ID; repeatable.", valueName: "input-id"))
    var input: [String] = []

    @Option(help: ArgumentHelp("A resource filter on the signals, as JSON: {\"labels.site\": \"pier\"}.", valueName: "json"))
    var filter: String?

    @Flag(help: "Publish selected signals that have no item as hidden items, so their data can be read.")
    var publish = false

    func validate() throws {
        guard file.from != nil, file.to != nil else { throw ValidationError("An integration export needs --from and --to (the API reads data by time window).") }
    }

    func run() async throws {
        do { try await target.withTransport { try await run(transport: $0) } } catch { throw CommandFailure.exit(error) }
    }

    private func run(transport: HTTPTransport) async throws {
        do {
            let credentials = try Credentials.load(path: target.credentials)
            guard let integration = credentials.integration else {
                throw CommandFailure(exitCode: .inputUnreadable, message: "The credentials file has no integration section.")
            }
            let client = try IntegrationClient(credentials: integration, allowInsecureHTTP: target.allowInsecureHttp, transport: transport,
                                               requestsPerSecond: file.requestsPerSecond)
            var selection = IntegrationExportSource.Selection()
            selection.inputIDs = input
            selection.filter = filter
            selection.publish = publish
            try await file.run(Exporter(integration: IntegrationExportSource(client: client, selection: selection), options: file.options))
        } catch {
            throw CommandFailure.exit(error)
        }
    }
}
