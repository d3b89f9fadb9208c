import Foundation
import Testing
@testable import SigportEmulator

/// Secrets never leave the credentials file: after imports into both APIs (with faults, so that
/// retries are reported), an export, `--json` events, reports, checkpoints, reject files and
/// failing checks, no output and no file sigport wrote holds a secret.
@Suite("secrets stay out of outputs, errors, events and checkpoints", .serialized)
struct SecretsTests {
    static let root = ImportTests.root

    /// Every file under `directory`, as bytes.
    static func files(under directory: URL) -> [(String, Data)] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        var out: [(String, Data)] = []
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, let data = try? Data(contentsOf: url) {
                out.append((url.path, data))
            }
        }
        return out
    }

    @Test("no secret in stdout, stderr, --json events, reports, checkpoints or exports")
    func nothingLeaks() async throws {
        let faults = FaultConfiguration(rate: 0.3, kinds: [.error500, .error503, .tooManyRequests, .cutAfterCommit], seed: 11)
        try await withEmulator(.init(requestInterval: .milliseconds(40), faults: faults)) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                let creds = dir.appendingPathComponent("creds.json").path
                try credentials.write(to: creds)
                let work = dir.appendingPathComponent("work")
                func path(_ name: String) -> String { work.appendingPathComponent(name).path }
                let org = try #require(credentials.ox.orgs.first)
                let runs: [[String]] = [
                    ["import", "--credentials", creds, "--mapping", Self.root.appendingPathComponent("Mappings/gateway-wide.yaml").path,
                     Self.root.appendingPathComponent("samples/gateway").path, "--run-dir", path("run"), "--json", "--report", path("report.json"),
                     "--requests-per-second", "10", "--max-request-bytes", "16384"],
                    ["import", "--credentials", creds, "--mapping", Self.root.appendingPathComponent("Mappings/wearables-ox.yaml").path,
                     Self.root.appendingPathComponent("samples/wearables").path, "--run-dir", path("run-ox"), "--json",
                     "--requests-per-second", "10", "--in-doubt", "resend"],
                    ["export", "ox", "--credentials", creds, "--org", org.org, "--events-from", path("run-ox"), "--out", path("ox.csv"),
                     "--run-dir", path("export"), "--requests-per-second", "10", "--summary"],
                    ["status", path("run")],
                ]
                try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
                var outputs: [String] = []
                for arguments in runs {
                    let run = try await CLITests.run(arguments, in: dir)
                    outputs.append(run.output)
                }
                #expect(outputs[0].contains("\"retry\""), "faults gave retry events to look through: \(outputs[0].prefix(400))")
                // Failing checks: a wrong secret and a wrong key must not be echoed back either.
                var wrong = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: creds))) as! [String: Any]
                var integration = wrong["integration"] as! [String: Any]
                var oauth = integration["credentials"] as! [String: Any]
                oauth["clientSecret"] = "WRONG-" + credentials.integration.credentials.clientSecret
                integration["credentials"] = oauth
                wrong["integration"] = integration
                var ox = wrong["ox"] as! [String: Any]
                var orgs = ox["orgs"] as! [[String: Any]]
                orgs[0]["clientApiKey"] = "WRONG-" + org.clientApiKey
                ox["orgs"] = orgs
                wrong["ox"] = ox
                let wrongPath = dir.appendingPathComponent("wrong.json").path
                FileManager.default.createFile(atPath: wrongPath, contents: try JSONSerialization.data(withJSONObject: wrong), attributes: [.posixPermissions: 0o600])
                let check = try await CLITests.run(["check", "--credentials", wrongPath], in: dir)
                #expect(check.status == 1)
                outputs.append(check.output)

                let secrets = [credentials.integration.credentials.clientSecret, credentials.integration.basicAuth.password,
                               org.clientApiKey, credentials.ox.adminToken]
                for (i, output) in outputs.enumerated() {
                    for secret in secrets { #expect(!output.contains(secret), "run \(i) printed a secret") }
                }
                let written = Self.files(under: work)
                #expect(written.contains { $0.0.hasSuffix("checkpoint.sqlite") })
                #expect(written.contains { $0.0.hasSuffix("ox.csv") })
                for (file, data) in written {
                    for secret in secrets { #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret") }
                }
            }
        }
    }
}
