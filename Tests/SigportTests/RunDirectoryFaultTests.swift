import Foundation
import Testing
@testable import SigportEmulator

/// The run directory failing under an import: a full disk, a checkpoint deleted mid-run, a
/// damaged checkpoint. Each is a clear error (exit 7) that says what to do, never a silent
/// restart from zero, and the checkpoint stays usable: the next run completes exactly.
@Suite("run directory faults", .serialized)
struct RunDirectoryFaultTests {
    /// `sigport` under a file-size limit (`ulimit -f`, SIGXFSZ ignored): writes past it fail
    /// as they do on a full disk.
    static func runWithFileLimit(kilobytes: Int, _ arguments: [String], in dir: URL) async throws -> CLITests.Run {
        let quoted = ([CLITests.binary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try await CLITests.run(["-c", "trap '' XFSZ; ulimit -f \(kilobytes); exec \(quoted)"], in: dir, executable: URL(fileURLWithPath: "/bin/bash"))
    }

    @Test("a full disk stops the import with exit 7 and what to do; after space is freed the run completes exactly", arguments: [40, 160])
    func fullDisk(kilobytes: Int) async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let arguments = ImportTests.importArguments(dir, extra: ["--max-request-bytes", "8192", "--requests-per-second", "25"])
                let full = try await Self.runWithFileLimit(kilobytes: kilobytes, arguments, in: dir)
                #expect(full.status == 7, "\(full.output)")
                #expect(full.output.contains("cannot be written"))
                #expect(full.output.contains("Free space"))
                let resumed = try await CLITests.run(arguments, in: dir)
                #expect(resumed.status == 1, "the sample's one bad row: \(resumed.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
            }
        }
    }

    @Test("a checkpoint deleted during the run stops it at the next write (exit 7), saying what happened")
    func deletedMidRun() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(100))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let checkpoint = dir.appendingPathComponent("run/checkpoint.sqlite")
                let process = Process()
                process.executableURL = CLITests.binary
                process.arguments = ImportTests.importArguments(dir, extra: ["--max-request-bytes", "8192", "--requests-per-second", "5"])
                let log = dir.appendingPathComponent("log.txt")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                process.standardOutput = try FileHandle(forWritingTo: log)
                process.standardError = process.standardOutput
                try process.run()
                for _ in 0..<2000 where process.isRunning {
                    if ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("sent integration.insert") { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                try FileManager.default.removeItem(at: checkpoint)
                process.waitUntilExit()
                let output = try String(contentsOf: log, encoding: .utf8)
                #expect(process.terminationStatus == 7, "\(output)")
                #expect(output.contains("was deleted or replaced while this run was going on"))
            }
        }
    }

    @Test("a damaged checkpoint is refused (exit 7) with the way out, not silently started over")
    func damaged() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let arguments = ImportTests.importArguments(dir, extra: ["--max-requests", "2", "--max-request-bytes", "8192"])
                #expect(try await CLITests.run(arguments, in: dir).status == 5)
                let checkpoint = dir.appendingPathComponent("run/checkpoint.sqlite")
                for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: checkpoint.path + suffix) }
                try Data(repeating: 0x5A, count: 8192).write(to: checkpoint)
                let run = try await CLITests.run(arguments, in: dir)
                #expect(run.status == 7, "\(run.output)")
                #expect(run.output.contains("is damaged"))
                #expect(run.output.contains("Move the run directory aside"))
            }
        }
    }
}
