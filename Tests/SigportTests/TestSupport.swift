import Foundation
import Synchronization
import SigportEmulator

/// A clock whose sleeps return at once and move its time to the deadline: tests of pacing see
/// exactly when each request would leave, without waiting.
final class SteppingClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let state = Mutex<(now: Instant, sleeps: [Instant], lateBy: Duration, during: (@Sendable () -> Void)?)>((Instant(offset: .zero), [], .zero, nil))
    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }
    /// Every deadline slept until, in order.
    var sleeps: [Instant] { state.withLock { $0.sleeps } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let during = state.withLock { state in
            defer { state.during = nil }
            return state.during
        }
        during?()
        state.withLock { state in
            state.sleeps.append(deadline)
            if deadline > state.now { state.now = deadline.advanced(by: state.lateBy) }
            state.lateBy = .zero
        }
    }

    /// The next sleep wakes `lateness` after its deadline, as a task on a busy machine does.
    func wakeLate(by lateness: Duration) { state.withLock { $0.lateBy = lateness } }

    /// Runs `body` at the start of the next sleep: what another task does while this one sleeps.
    func duringNextSleep(_ body: @escaping @Sendable () -> Void) { state.withLock { $0.during = body } }

    func advance(by duration: Duration) { state.withLock { $0.now = $0.now.advanced(by: duration) } }
}

/// Runs a real emulator on 127.0.0.1 (random port) for the duration of `body`.
func withEmulator<T: Sendable>(
    _ configuration: EmulatorConfiguration = .init(),
    orgs: Int = 1,
    _ body: @Sendable (_ baseURL: String, _ credentials: EmulatorCredentials, _ emulator: Emulator) async throws -> T
) async throws -> T {
    try await Emulator.withRunning(configuration, orgs: orgs) { emulator, base, credentials in
        try await body(base, credentials, emulator)
    }
}

/// A scratch directory removed at the end of the test.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sigport-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

extension CLITests {
    /// Runs the built binary and SIGKILLs it `delay` after its standard error shows `marker`
    /// `count` times (or when it ends first): a crash at a chosen point of a run.
    static func runAndKill(_ arguments: [String], in dir: URL, after count: Int, of marker: String, delay: Duration = .zero) async throws {
        let log = dir.appendingPathComponent("kill-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<6000 where process.isRunning {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if text.components(separatedBy: marker).count - 1 >= count { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: delay)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
