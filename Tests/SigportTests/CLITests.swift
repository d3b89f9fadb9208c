import Foundation
import Testing

/// The built `sigport` binary, driven as a user would: help and error text as snapshots, and
/// the emulator + check commands end to end.
@Suite("sigport CLI")
struct CLITests {
    static var binary: URL {
        // The test bundle sits in the build products directory, next to the executable.
        Bundle.main.bundleURL.appendingPathComponent("sigport")
    }

    struct Run { let status: Int32; let output: String }

    static func run(_ arguments: [String], in directory: URL, executable: URL = binary) async throws -> Run {
        let log = directory.appendingPathComponent("run-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        // A default terminal's width: help text is read there, so the snapshots show it there.
        process.environment = ["COLUMNS": "80", "PATH": "/usr/bin:/bin"]
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return Run(status: status, output: try String(contentsOf: log, encoding: .utf8))
    }

    /// Compares with `Tests/SigportTests/Snapshots/<name>.txt`; `SIGPORT_UPDATE_SNAPSHOTS=1` rewrites it.
    static func snapshot(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/\(name).txt")
        if ProcessInfo.processInfo.environment["SIGPORT_UPDATE_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "help text changed; if on purpose, rerun with SIGPORT_UPDATE_SNAPSHOTS=1", sourceLocation: sourceLocation)
    }

    @Test("help text", arguments: [["--help"], ["emulator", "--help"], ["check", "--help"], ["import", "--help"],
                                   ["validate", "--help"], ["plan", "--help"], ["status", "--help"], ["verify", "--help"],
                                   ["migrate", "ox", "--help"], ["migrate", "ox-to-integration", "--help"],
                                   ["export", "ox", "--help"], ["export", "integration", "--help"]])
    func help(arguments: [String]) async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let run = try await Self.run(arguments, in: dir)
            #expect(run.status == 0)
            try Self.snapshot(run.output, "help-" + (arguments.count > 1 ? arguments.dropLast().joined(separator: "-") : "sigport"))
        }
    }

    @Test("export flag errors name the flag and what it takes", arguments: [
        (["export", "ox", "--org", "1", "--out", "x.csv"], "error-export-no-events"),
        (["export", "integration", "--out", "x.csv", "--from", "2024-03-01"], "error-export-no-range"),
        (["export", "integration", "--out", "-", "--from", "2024-03-01", "--to", "2024-03-02", "--window", "1d"], "error-export-stdout-window"),
        (["export", "integration", "--out", "x", "--from", "2024-03-02", "--to", "2024-03-01"], "error-export-range-order"),
        (["export", "integration", "--out", "x", "--from", "2024-03-01", "--to", "2024-03-02", "--time-zone", "Mars/Olympus"], "error-export-zone"),
    ])
    func exportFlagErrors(arguments: [String], snapshot: String) async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let run = try await Self.run(arguments, in: dir)
            #expect(run.status == 64)
            try Self.snapshot(run.output, snapshot)
        }
    }

    @Test("flag errors say what is wrong and exit 64")
    func flagErrors() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let run = try await Self.run(["emulator", "--fault-rate", "2"], in: dir)
            #expect(run.status == 64)
            try Self.snapshot(run.output, "error-fault-rate")
            let unknown = try await Self.run(["emulator", "--faults", "500,flood"], in: dir)
            #expect(unknown.status == 64)
            #expect(unknown.output.contains("Unknown fault 'flood'; use 500, 503, 429, delay or cut."))
        }
    }

    @Test("sigport emulator --port 0 --bootstrap, then sigport check against it")
    func emulatorAndCheck() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let credentials = dir.appendingPathComponent("creds.json")
            let log = dir.appendingPathComponent("emulator.txt")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let emulator = Process()
            emulator.executableURL = Self.binary
            emulator.arguments = ["emulator", "--port", "0", "--bootstrap", credentials.path, "--orgs", "2"]
            emulator.standardOutput = try FileHandle(forWritingTo: log)
            try emulator.run()
            defer { if emulator.isRunning { emulator.terminate() } }
            var banner = ""
            for _ in 0..<200 where !banner.contains("listening") {
                try await Task.sleep(for: .milliseconds(50))
                banner = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            }
            #expect(banner.hasPrefix("sigport emulator listening on http://127.0.0.1:"))
            let mode = try FileManager.default.attributesOfItem(atPath: credentials.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let check = try await Self.run(["check", "--credentials", credentials.path], in: dir)
            #expect(check.status == 0, "\(check.output)")
            #expect(check.output.components(separatedBy: "\n").filter { $0.hasPrefix("ok ") }.count == 3, "\(check.output)")
            let secret = try String(contentsOf: credentials, encoding: .utf8)
            for key in ["clientSecret", "clientApiKey", "password"] {
                let value = secret.components(separatedBy: "\"\(key)\" : \"").dropFirst().first?.prefix { $0 != "\"" } ?? ""
                #expect(!value.isEmpty && !check.output.contains(value), "no secret in the output")
            }

            emulator.terminate()
            emulator.waitUntilExit()
            #expect(emulator.terminationReason == .exit, "SIGTERM shuts the server down gracefully")
        }
    }
}
