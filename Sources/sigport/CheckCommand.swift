import ArgumentParser
import Foundation
import Sigport

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the credentials work against each API they name.",
        discussion: """
        Fetches a token and makes one read-only request per API (paced like any other request), \
        then prints one line per target. Exits 1 if any target failed.

        Example:
          sigport check --credentials creds.json
        """)

    @OptionGroup var target: TargetOptions

    func run() async throws {
        do { try await target.withTransport { try await run(transport: $0) } } catch { throw CommandFailure.exit(error) }
    }

    private func run(transport: HTTPTransport) async throws {
        let credentials = try Credentials.load(path: target.credentials)
        let results = await TargetCheck.run(credentials, allowInsecureHTTP: target.allowInsecureHttp, transport: transport)
        for result in results {
            print("\(result.ok ? "ok  " : "FAIL") \(result.target): \(result.detail)")
        }
        if results.isEmpty { print("The credentials file names no API.") }
        if results.isEmpty || results.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }
}
