import Foundation
import GRDB
import Testing
@testable import Sigport
@testable import SigportEmulator

/// `sigport import` of an ox mapping SIGKILLed while a `POST /event` is in flight, then resumed:
/// ox creates are not idempotent, so a kill leaves a request that may or may not have created its
/// events. These tests check what the emulator really stored against the input and the ledger,
/// for `--in-doubt resend` (nothing lost, duplicates bounded by what was in doubt) and
/// `--in-doubt stop` then `skip` (nothing twice, only the skipped request's events may be missing).
@Suite("sigport import into the ox API, killed and resumed", .serialized)
struct OxKillTests {
    typealias Expected = OxImportTests.Expected

    /// Every answer comes 250 ms late (the delay is before the emulator handles the request), so
    /// a kill ~100 ms after a "sent POST /event" line lands while the next one is in flight, and
    /// the emulator still commits it after the client is gone. Pace: 20 requests/second.
    static let slow = EmulatorConfiguration(requestInterval: .milliseconds(50),
                                            faults: FaultConfiguration(rate: 1, kinds: [.delay], delay: .milliseconds(250)))

    /// 8 KiB bodies: about 60 POST /event requests for the sample, so there are many moments to kill at.
    static func arguments(_ dir: URL, _ extra: [String] = []) -> [String] {
        OxImportTests.arguments(dir, extra: ["--max-request-bytes", "8192"] + extra)
    }

    static func checkpoint(_ dir: URL) throws -> Checkpoint { try Checkpoint(directory: dir.appendingPathComponent("run")) }

    /// Runs `sigport import` and SIGKILLs it 100 ms after its `sent`-th "sent POST /event" log
    /// line (the line is written once that request is answered, so the next one has left by then).
    static func killImport(_ arguments: [String], in dir: URL, afterSent sent: Int) async throws {
        try await CLITests.runAndKill(arguments, in: dir, after: sent, of: "sent POST /event", delay: .milliseconds(100))
        // The emulator finishes the killed request on its own: wait so that what it stores is final.
        try await Task.sleep(for: .milliseconds(500))
    }

    /// POST /event chunks the killed run left `sent`: in flight at the kill, they are what the
    /// next run marks in doubt.
    static func inFlight(_ dir: URL) throws -> (chunks: Int, events: Int) {
        try checkpoint(dir).queue.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, COALESCE(SUM(events), 0) AS e FROM chunk WHERE method = 'POST /event' AND state = 'sent'")!
            return (row["n"], row["e"])
        }
    }

    /// Kills a default import after its third "sent POST /event" until a kill lands while a
    /// create is in flight (one may land between requests, leaving nothing in doubt; then the
    /// next attempt resumes and is killed again); returns what it left in flight.
    static func killInFlight(_ dir: URL) async throws -> (chunks: Int, events: Int) {
        var open = (chunks: 0, events: 0)
        for _ in 1...3 where open.chunks == 0 {
            try await killImport(arguments(dir), in: dir, afterSent: 3)
            open = try inFlight(dir)
        }
        try #require(open.chunks == 1, "no kill landed while a POST /event was in flight")
        return open
    }

    /// `sigport import` with `--report`: the run and its report (nil if none was written).
    static func run(_ dir: URL, _ extra: [String] = []) async throws -> (run: CLITests.Run, report: Importer.Report?) {
        let file = dir.appendingPathComponent("report-\(UUID().uuidString).json")
        let run = try await CLITests.run(arguments(dir, extra + ["--report", file.path]), in: dir)
        return (run, try? JSONDecoder().decode(Importer.Report.self, from: Data(contentsOf: file)))
    }

    /// Runs without a decision (`--in-doubt stop`) after a kill that left a request in flight: it
    /// must stop with exit 6, send nothing, and report what is in doubt; returns the events reported.
    static func stopOnDoubt(_ dir: URL, _ emulator: Emulator, open: (chunks: Int, events: Int)) async throws -> Int {
        let before = await emulator.stats().requests
        let (stop, report) = try await run(dir)
        #expect(stop.status == 6, "\(stop.output)")
        #expect(stop.output.contains("in doubt") && stop.output.contains("--in-doubt"), "\(stop.output)")
        #expect(await emulator.stats().requests == before, "a stop on doubt sends nothing")
        let reported = try #require(report, "\(stop.output)")
        #expect(reported.undecidedChunks == open.chunks && reported.undecidedEvents == open.events, "\(stop.output)")
        return reported.undecidedEvents
    }

    /// The expected events of input rows `rows` (0-based lines; each line's timestamp is unique
    /// in the sample, so the timestamp names the line).
    static func expected(rows: Range<Int>) throws -> [Expected] {
        let lines = try String(contentsOfFile: OxImportTests.samples + "/wrist-2024-03-01.jsonl", encoding: .utf8).split(separator: "\n")
        let times = Set(try lines[rows].map { ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["t"] as! NSNumber).int64Value })
        return try OxImportTests.expected().filter { times.contains($0.timestamp) }
    }

    static func inputRows() throws -> Int {
        try String(contentsOfFile: OxImportTests.samples + "/wrist-2024-03-01.jsonl", encoding: .utf8).split(separator: "\n").count
    }

    /// `a` minus `b` as multisets: what `a` holds more often than `b`.
    static func minus(_ a: [Expected], _ b: [Expected]) -> [Expected] {
        var left = Dictionary(b.map { ($0, 1) }, uniquingKeysWith: +)
        return a.filter { event in
            guard let n = left[event], n > 0 else { return true }
            left[event] = n - 1
            return false
        }
    }

    /// An event as the ledger records it (ids of org, sensor, beacon), to compare the two directly.
    struct Fields: Hashable, Sendable {
        var org: String, sensor: String, beacon: String?, type: String, timestampMs: Int64, reading: Int64
        init(_ r: OxEventRecord) { (org, sensor, beacon, type, timestampMs, reading) = (r.org, r.sensor, r.beacon, r.type, r.timestampMs, r.reading) }
        init(_ doc: [String: Any]) {
            func id(_ key: String) -> String? { (doc[key] as? NSNumber).map { String($0.int64Value) } }
            func int(_ key: String) -> Int64 { (doc[key] as? NSNumber)?.int64Value ?? -1 }
            (org, sensor, beacon, type) = (id("parent_org") ?? "", id("event_sensor") ?? "", id("event_beacon"), doc["event_type"] as? String ?? "")
            (timestampMs, reading) = (int("event_timestamp"), int("event_reading"))
        }
    }

    /// Every ledger row names an event the emulator stores, with the same org, ids and values:
    /// later jobs (migrate, export) find events through the ledger only.
    static func checkLedger(_ ledger: [OxEventRecord], _ emulator: Emulator) async throws {
        let stored = try await emulator.store.read { db in
            var out: [String: Fields] = [:]
            for record in try OxEntityRecord.filter(sql: "kind = 'Event'").fetchAll(db) {
                out[String(record.id)] = Fields(try JSONSerialization.jsonObject(with: Data(record.document.utf8)) as! [String: Any])
            }
            return out
        }
        #expect(Set(ledger.map(\.id)).count == ledger.count, "no id twice in the ledger")
        for entry in ledger {
            #expect(stored[entry.id] == Fields(entry), "ledger row \(entry.id)")
        }
    }

    @Test("killed during POST /event at 3 points, resumed with --in-doubt resend: every event exists, extras ≤ in doubt")
    func killResend() async throws {
        try await withEmulator(Self.slow) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let resend = ["--in-doubt", "resend"]
                var inDoubt = 0, killsInFlight = 0
                // Later runs resend the earlier kill's request first, then go past it.
                for sent in [2, 4, 6] {
                    try await Self.killImport(Self.arguments(dir, resend), in: dir, afterSent: sent)
                    let open = try Self.inFlight(dir)
                    if open.chunks > 0 {
                        killsInFlight += 1
                        inDoubt += try await Self.stopOnDoubt(dir, emulator, open: open)
                    }
                }
                #expect(killsInFlight >= 1, "at least one kill landed while a POST /event was in flight")

                let (last, report) = try await Self.run(dir, resend)
                #expect(last.status == 0, "\(last.output)")
                #expect(last.output.contains("in doubt: 0 requests, 0 events"), "\(last.output)")
                #expect(try #require(report, "\(last.output)").total.read == (try Self.inputRows()))

                let expected = try OxImportTests.expected()
                let stored = try await OxImportTests.stored(emulator)
                let events = Array(stored.events.values)
                #expect(Self.minus(expected, events).isEmpty, "every input event exists at least once")
                let extra = Self.minus(events, expected)
                #expect(extra.count <= inDoubt, "\(extra.count) extra events, \(inDoubt) were in doubt over \(killsInFlight) kills")
                // Known limitation (docs/import.md): a killed POST /sensor or /beacon creates them twice.
                #expect(stored.sensors == Set(expected.map(\.sensor)).count, "sensors created once")
                #expect(stored.beacons == Set(expected.map(\.beacon)).count, "beacons created once")

                let ledger = try Self.checkpoint(dir).oxEvents()
                try await Self.checkLedger(ledger, emulator)
                #expect(ledger.compactMap { stored.events[$0.id] }.sorted() == expected, "the ledger lists each input event once")
            }
        }
    }

    @Test("killed during POST /event: a default run stops (exit 6); --in-doubt skip completes, nothing twice, only the skipped request may be missing")
    func killStopSkip() async throws {
        try await withEmulator(Self.slow) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let open = try await Self.killInFlight(dir)
                let reported = try await Self.stopOnDoubt(dir, emulator, open: open)

                let (skip, report) = try await Self.run(dir, ["--in-doubt", "skip"])
                #expect(skip.status == 0, "\(skip.output)")
                #expect(skip.output.contains("in doubt: 1 requests, \(reported) events"), "\(skip.output)")
                let summary = try #require(report, "\(skip.output)")
                #expect(summary.inDoubtChunks == 1 && summary.inDoubtEvents == reported && summary.undecidedChunks == 0)
                #expect(summary.total.read == (try Self.inputRows()))

                let rows = try await Self.checkpoint(dir).queue.read { db in
                    try Row.fetchAll(db, sql: "SELECT firstRow, endRow FROM chunk WHERE state = 'inDoubt'").map { ($0["firstRow"] as Int)..<($0["endRow"] as Int) }
                }
                let skipped = try Self.expected(rows: try #require(rows.first))
                #expect(rows.count == 1 && skipped.count == reported, "the skipped chunk's rows hold the events reported in doubt")

                let expected = try OxImportTests.expected()
                let stored = try await OxImportTests.stored(emulator).events
                #expect(Self.minus(Array(stored.values), expected).isEmpty, "no event exists twice")
                let missing = Self.minus(expected, Array(stored.values))
                #expect(missing.count <= summary.inDoubtEvents)
                #expect(Self.minus(missing, skipped).isEmpty, "only events of the skipped request may be missing")

                let ledger = try Self.checkpoint(dir).oxEvents()
                try await Self.checkLedger(ledger, emulator)
                let skippedSet = Set(skipped)
                let notSkipped = Set(stored.filter { !skippedSet.contains($0.value) }.keys)
                #expect(Set(ledger.map(\.id)) == notSkipped, "the ledger lists exactly the stored events not from the skipped request")
                let committed = stored.count - notSkipped.count
                #expect(ledger.count + committed == stored.count)
                #expect(committed == 0 || committed == skipped.count, "a request creates all its events or none (\(committed) of \(skipped.count))")
            }
        }
    }
    /// Faults that lose answers (a cut after the commit: the events exist; a 500: they do not)
    /// and slow ones (300 ms, so that kills land while a create is in flight).
    static let faulty = EmulatorConfiguration(requestInterval: .milliseconds(50),
                                              faults: FaultConfiguration(rate: 0.5, kinds: [.delay, .cutAfterCommit, .error500], seed: 25, delay: .milliseconds(300)))

    /// Events the emulator holds that no ledger row names: what lost answers and kills added.
    static func beyondLedger(_ stored: [String: Expected], _ ledger: [OxEventRecord]) -> Int {
        stored.count - Set(ledger.map(\.id)).intersection(stored.keys).count
    }

    @Test("killed at 6 seeded moments under 50% faults (cut after commit, 500, delay), resumed with --in-doubt resend: the events beyond the ledger are at most those reported without an answer")
    func killsUnderFaults() async throws {
        try await withEmulator(Self.faulty) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                var random = SoakTests.Seeded(state: 25)
                for _ in 0..<6 {
                    try await CLITests.runAndKill(Self.arguments(dir, ["--in-doubt", "resend"]), in: dir, after: 0, of: "",
                                                  delay: .milliseconds(Int.random(in: 300...3000, using: &random)))
                    try await Task.sleep(for: .milliseconds(400))
                }
                let (last, report) = try await Self.run(dir, ["--in-doubt", "resend"])
                #expect(last.status == 0, "\(last.output)")
                let summary = try #require(report, "\(last.output)")
                let expected = try OxImportTests.expected()
                let stored = try await OxImportTests.stored(emulator)
                let ledger = try Self.checkpoint(dir).oxEvents()
                #expect(Self.minus(expected, Array(stored.events.values)).isEmpty, "every input event exists at least once")
                #expect(ledger.compactMap { stored.events[$0.id] }.sorted() == expected, "the ledger lists each input event once")
                let beyond = Self.beyondLedger(stored.events, ledger)
                #expect(beyond > 0, "the kills and faults left events the ledger does not name")
                #expect(beyond <= summary.unanswered.events, "\(beyond) events beyond the ledger, \(summary.unanswered.events) reported without an answer")
                #expect(stored.sensors + stored.beacons <= Set(expected.map(\.sensor)).count + Set(expected.map(\.beacon)).count + summary.unanswered.entities)
                #expect(last.output.contains("without an answer (all sessions): \(summary.unanswered.requests) create requests of \(summary.unanswered.events) events"),
                        "\(last.output)")
            }
        }
    }

    @Test("a create an earlier session left in flight is announced before it is sent again (--json resend event) and counted in the report")
    func resendAnnounced() async throws {
        try await withEmulator(Self.slow) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let open = try await Self.killInFlight(dir)
                let (run, report) = try await Self.run(dir, ["--in-doubt", "resend", "--json"])
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains(#"{"event":"resend","method":"POST /event","items":\#(open.events),"cause":"earlier session"}"#), "\(run.output)")
                let summary = try #require(report, "\(run.output)")
                #expect(summary.unanswered.requests >= 1 && summary.unanswered.events >= open.events, "\(summary.unanswered)")
                let stored = try await OxImportTests.stored(emulator)
                #expect(Self.beyondLedger(stored.events, try Self.checkpoint(dir).oxEvents()) <= summary.unanswered.events)
            }
        }
    }
}
