import Foundation
import NIOCore
import NIOHTTP1
import SigportContract

/// `sigport migrate ox`: copies (or moves) what an org owns to another org — the sensors and
/// beacons its IdMaps enable, and the events of them that a ledger or an id file names (ox can
/// list no events) — paced per credential, within the size limit, resumable from the checkpoint.
///
/// Copy re-creates each entity under the target org with its references rewritten through the
/// source → target id map, then enables the new sensors and beacons in the target's IdMaps. Move
/// changes `parent_org` with the documented update-many (`PUT {id: {parent_org: B}}`), then
/// disables the entities in the source's IdMaps (0) and enables them in the target's.
public final class OxMigration {
    public struct Options: Sendable {
        public var runDirectory: URL
        public var move = false
        /// Run directories of earlier imports and migrations, whose ledgers name events.
        public var ledgers: [URL] = []
        /// A file of event ids, one per line.
        public var eventIDFile: String?
        public var maxRequestBytes = OxContract.maxRequestBytes
        /// Longest URL a retrieve-many call builds (ids are split across calls past it).
        public var maxURLBytes = 2000
        public var inDoubt = InDoubtPolicy.stop
        /// Re-read this many migrated entities of each kind from the target and compare (nil: all).
        public var verifySample: Int? = 20
        /// Plan only: read the source, count the requests, change nothing and write no file (the
        /// checkpoint is kept in memory).
        public var dryRun = false
        public init(runDirectory: URL) { self.runDirectory = runDirectory }
    }

    public struct Report: Codable, Sendable {
        public var move = false
        public var sensors = 0
        public var beacons = 0
        public var events = 0
        /// Ledger or file event ids the source no longer has, or that belong to none of the entities.
        public var eventsSkipped = 0
        /// Of `sensors + beacons + events`, those an earlier run of this migration copied or moved
        /// (all of them: a finished migration run again, which has nothing to do).
        public var earlierRuns = 0
        public var requests = 0
        public var planned: [String: Int] = [:]
        public var estimatedSeconds = 0.0
        /// Creates in the target org that got no answer, over all sessions (`UnansweredCreates`).
        public var unanswered = UnansweredCreates()
        public var verified = 0
        public var differences: [String] = []
        public var seconds = 0.0
    }

    let source: OxClient
    let target: OxClient
    let options: Options
    let checkpoint: Checkpoint
    var report = Report()
    let onProgress: @Sendable (MigrationProgress) -> Void
    /// When this session's run began: progress and the report time it.
    private var started = ContinuousClock.now
    typealias Inventory = OxInventory

    public init(source: OxClient, target: OxClient, options: Options, onProgress: @escaping @Sendable (MigrationProgress) -> Void = { _ in }) throws {
        guard source.org.org != target.org.org else {
            throw SigportError(.invalidArgument, "The source and target orgs are the same (\(source.org.org)).")
        }
        self.source = source
        self.target = target
        self.options = options
        self.onProgress = onProgress
        checkpoint = options.dryRun ? try Checkpoint(inMemory: ()) : try Checkpoint(directory: options.runDirectory)
        report.move = options.move
    }

    public func run() async throws -> Report {
        let dryRun = options.dryRun
        started = .now
        _ = try checkpoint.begin(mappingText: "migrate ox \(source.org.org) -> \(target.org.org)\(options.move ? " move" : " copy")", target: "ox", inputs: [])
        if !options.move && !dryRun { try settlePending() }
        let reader = OxInventoryReader(source: source, fallback: target, ledgers: options.ledgers, eventIDFile: options.eventIDFile, maxURLBytes: options.maxURLBytes)
        let inventory = try await reader.take()
        report.requests += reader.requests
        report.eventsSkipped = inventory.skipped
        report.sensors = inventory.sensors.count
        report.beacons = inventory.beacons.count
        report.events = inventory.events.count
        let found = report.sensors + report.beacons + report.events
        progress(.reading, "", done: found, total: found)
        planRequests(inventory)
        if dryRun { return try finish() }
        if options.move { try await move(inventory) } else { try await copy(inventory) }
        try await verify(inventory)
        return try finish()
    }

    func progress(_ phase: MigrationProgress.Phase, _ kind: String, done: Int, total: Int) {
        onProgress(MigrationProgress(phase: phase, kind: kind, done: done, total: total, requests: report.requests, seconds: started.duration(to: .now).seconds))
    }

    private func finish() throws -> Report {
        report.unanswered = try checkpoint.unansweredOxCreates()
        report.seconds = started.duration(to: .now).seconds
        return report
    }
}
