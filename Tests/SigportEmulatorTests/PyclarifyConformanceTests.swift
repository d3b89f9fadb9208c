import Foundation
import Testing
@testable import SigportEmulator

/// The official Python SDK, from PyPI, against the running emulator: the emulator must satisfy
/// a real client of the integration API, not only sigport's own. `make test` installs pyclarify
/// into `.venv` and names its interpreter in `SIGPORT_PYTHON`.
@Suite("pyclarify conformance")
struct PyclarifyConformanceTests {
    static let python = ProcessInfo.processInfo.environment["SIGPORT_PYTHON"]

    @Test("pyclarify saves signals, inserts a frame and reads it all back through its own calls, against the emulator as it starts by default",
          .enabled(if: python != nil, "needs SIGPORT_PYTHON with pyclarify installed; `make test` sets it up"),
          .timeLimit(.minutes(2)))
    func pyclarify() async throws {
        // Pacing on, at the documented rates: pyclarify paces nothing, and the throttling queue
        // (not sleeps in the script) must carry its back-to-back calls.
        let text = try await Self.conversation(EmulatorConfiguration())
        #expect(text.contains(" 0 failed"), "\(text)")
        #expect(!text.contains("FAIL"), "\(text)")
        #expect(text.contains("PASS data_frame over 152 days: every window's reading arrived"), "\(text)")
    }

    @Test("strict mode (--over-rate reject): pyclarify's back-to-back data_frame windows earn 429s, and it loses their data",
          .enabled(if: python != nil, "needs SIGPORT_PYTHON with pyclarify installed; `make test` sets it up"),
          .timeLimit(.minutes(2)))
    func pyclarifyStrict() async throws {
        // A pace clock that stands still: every request after the first of its method comes
        // "at once", however slowly a loaded machine runs Python, so the windows after the first
        // are always over the rate (each other method is called once).
        let text = try await Self.conversation(EmulatorConfiguration(overRate: .reject, paceClock: HandMovedClock().pace), strict: true)
        #expect(text.contains(" 0 failed"), "\(text)")
        #expect(text.contains("strict: pyclarify's data_frame over 152 days returned"), "\(text)")
    }

    /// Runs the script against a fresh emulator; its output, after checking it exited 0.
    static func conversation(_ configuration: EmulatorConfiguration, strict: Bool = false) async throws -> String {
        try await EmulatorHarness.with(configuration) { (h: EmulatorHarness) async throws -> String in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sigport-conformance-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let credentials = directory.appendingPathComponent("clarify-credentials.json")
            try JSONEncoder().encode(h.credentials.integration).write(to: credentials)
            let output = directory.appendingPathComponent("output.txt")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../Conformance/pyclarify_conformance.py").standardized
            let status = try await Self.run(Self.python!, [script.path, credentials.path] + (strict ? ["--strict"] : []), output: output)
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(status == 0, "pyclarify conformance failed:\n\(text)")
            #expect(await h.emulator.stats().queueTimeouts == 0, "\(text)")
            return text
        }
    }

    /// Runs a process to completion without blocking a concurrency thread; output goes to a
    /// file so a chatty child can never fill a pipe and stall.
    static func run(_ executable: String, _ arguments: [String], output: URL) async throws -> Int32 {
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
