import Foundation
import SigportContract

/// `sigport verify RUN_DIR`: reads back from the API what a run's checkpoint records as sent and
/// compares it series by series. The checkpoint keeps, per answered request and signal, the
/// count, time range and a checksum of the (time, value) pairs (`SeriesDigest`); ox runs keep
/// every created event. So verify needs neither the inputs nor memory that grows with them.
///
/// Integration: each signal is read with `clarify.dataFrame` over its own time range, in the
/// contract's windows (40 days, 50 items a call), and what it holds there is summed into a
/// digest of its own. ox: the events are retrieved by id and compared field by field. Every step
/// (a window, a batch of events) is recorded in the checkpoint as it ends: a killed verify goes
/// on from the last step done.
public final class Verifier {
    public enum Target: Sendable {
        case integration(IntegrationClient)
        case ox(OxClient)
    }

    public struct Options: Sendable {
        public var runDirectory: URL
        /// Integration: give signals without an item a hidden one so they can be read (the API
        /// reads data through items only); without it such signals are reported as not read.
        public var publish = true
        public var maxAttempts = 8
        /// ox: events read per step.
        public var eventsPerStep = 400
        public init(runDirectory: URL) { self.runDirectory = runDirectory }
    }

    /// What the verification will take, said before its first request.
    public struct Estimate: Codable, Sendable, Equatable {
        public var series: Int
        public var steps: Int
        /// Steps an earlier, killed verify of the same run already did.
        public var stepsDone: Int
        /// Requests the steps left take (retries aside; integration: plus up to one publish call per 200 signals without an item).
        public var requests: Int
    }

    public enum Event: Sendable {
        case estimate(Estimate)
        /// Integration: this many signals have no item and are about to be published as hidden items.
        case publishing(signals: Int)
        case step(done: Int, of: Int)
    }

    public struct Report: Codable, Sendable {
        public var target = ""
        public var checks: [SeriesCheck] = []
        public var estimate = Estimate(series: 0, steps: 0, stepsDone: 0, requests: 0)
        public var requests = 0
        public var seconds = 0.0
        public var notes: [String] = []
        /// Every series matched (and there was something to compare).
        public var allMatch: Bool { !checks.isEmpty && checks.allSatisfy { $0.outcome == .match } }
    }

    let target: Target
    let options: Options
    let checkpoint: Checkpoint
    let onEvent: @Sendable (Event) -> Void

    public init(target: Target, options: Options, onEvent: @escaping @Sendable (Event) -> Void = { _ in }) throws {
        guard FileManager.default.fileExists(atPath: options.runDirectory.appendingPathComponent("checkpoint.sqlite").path) else {
            throw SigportError(.invalidArgument, "\(options.runDirectory.path) has no checkpoint: no import or migration ran there.",
                               hint: "Give verify the --run-dir of an import or a migration.")
        }
        self.target = target
        self.options = options
        checkpoint = try Checkpoint(directory: options.runDirectory)
        self.onEvent = onEvent
    }

    /// The API a run directory's checkpoint wrote to (`integration` or `ox`), nil when none.
    public static func runTarget(_ runDirectory: URL) throws -> String? {
        guard FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent("checkpoint.sqlite").path) else { return nil }
        return try Checkpoint(directory: runDirectory).runTarget()
    }

    /// The ox org of a run's events (nil when it created none).
    public static func oxOrg(_ runDirectory: URL) throws -> String? {
        let orgs = try Checkpoint(directory: runDirectory).oxEventOrgs()
        guard orgs.count <= 1 else {
            throw SigportError(.invalidArgument, "\(runDirectory.path) records events of \(orgs.count) ox orgs.",
                               hint: "Each import or migration writes into one org; verify the run directory of each.")
        }
        return orgs.keys.first
    }

    public func run() async throws -> Report {
        let started = ContinuousClock.now
        let recorded = try checkpoint.runTarget()
        var report: Report
        switch target {
        case .integration(let client):
            guard recorded == "integration" else { throw wrongTarget(recorded, "integration") }
            report = try await verifyIntegration(client)
        case .ox(let client):
            guard recorded == "ox" else { throw wrongTarget(recorded, "ox") }
            report = try await verifyOx(client)
        }
        report.checks.sort { $0.series < $1.series }
        report.seconds = started.duration(to: .now).seconds
        return report
    }

    private func wrongTarget(_ recorded: String?, _ asked: String) -> SigportError {
        SigportError(.invalidArgument, "The run in \(options.runDirectory.path) wrote to \(recorded.map { "the \($0) API" } ?? "no API"), not the \(asked) API.")
    }

    /// Steps `from..<steps.count`, each recorded with what it found as it ends.
    func walk<Step>(_ steps: [Step], from done: Int, found: inout [String: FoundSeries],
                    _ read: (Step, inout [String: FoundSeries]) async throws -> Set<String>) async throws {
        for index in steps.indices where index >= done {
            let touched = try await read(steps[index], &found)
            try checkpoint.verifyStepDone(index + 1, found: found.filter { touched.contains($0.key) }, finished: index == steps.count - 1)
            onEvent(.step(done: index + 1, of: steps.count))
        }
        if steps.isEmpty { try checkpoint.verifyStepDone(0, found: [:], finished: true) }
    }
}
