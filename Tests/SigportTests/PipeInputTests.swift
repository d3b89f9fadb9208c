import Foundation
import SigportEmulator
import Testing

/// A named pipe as an input: `validate` reads it as it comes; `import`, which must read its inputs
/// again to resume, refuses it at once instead of waiting on it.
@Suite("pipes as inputs", .serialized)
struct PipeInputTests {
    static let sample = ImportTests.root.appendingPathComponent("samples/gateway/gw-0042_2024-03.csv").path

    @Test("import refuses a FIFO at once, saying why (exit 4), without opening it", .timeLimit(.minutes(1)))
    func importRefuses() async throws {
        try await withEmulator { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                let creds = dir.appendingPathComponent("creds.json").path
                try credentials.write(to: creds)
                let fifo = dir.appendingPathComponent("gw-0042_2024-03.csv").path
                #expect(mkfifo(fifo, 0o600) == 0)
                // No writer: opening the FIFO would wait for ever.
                let run = try await CLITests.run(["import", "--credentials", creds, "--mapping", ImportTests.mapping, fifo,
                                                  "--run-dir", dir.appendingPathComponent("run").path], in: dir)
                #expect(run.status == 4, "\(run.output)")
                #expect(run.output.contains("is a pipe (FIFO): an import reads its inputs again to resume after a kill"), "\(run.output)")
            }
        }
    }

    @Test("validate reads a FIFO a writer feeds, every row", .timeLimit(.minutes(1)))
    func validateReads() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let fifo = dir.appendingPathComponent("gw-0042_2024-03.csv").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/bin/sh")
            writer.arguments = ["-c", "cat \"$0\" > \"$1\"", Self.sample, fifo]
            try writer.run()
            let run = try await CLITests.run(["validate", "--mapping", ImportTests.mapping, fifo, "--run-dir", dir.appendingPathComponent("run").path], in: dir)
            writer.waitUntilExit()
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("rows read 1440 = mapped 1440 + rejected 0 + filtered 0"), "\(run.output)")
        }
    }
}
