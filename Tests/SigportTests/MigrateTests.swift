import Foundation
import GRDB
import Testing
@testable import Sigport
@testable import SigportEmulator

/// `sigport migrate ox` end to end: the wearables sample is imported into org A of a real emulator,
/// then the built binary copies or moves it to org B. ox can list no events, so the tests read the
/// emulator's store — the only complete view of what each org holds — and compare it field by
/// field with the input, resolving references inside each org.
@Suite("sigport migrate ox", .serialized)
struct MigrateTests {
    typealias Expected = OxImportTests.Expected

    /// One row of the emulator's `oxEntity` table as stored. Comparing whole tables tells whether
    /// a run changed anything at all: documents, owners, modification times.
    struct Entity: Equatable, Sendable {
        var kind: String, parentOrg: Int64?, document: String, createdAt: String, modifiedAt: String
        var fields: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(document.utf8))) as? [String: Any]) ?? [:] }
    }
    typealias Store = [Int64: Entity]

    static func store(_ emulator: Emulator) async throws -> Store {
        try await emulator.store.read { db in
            Dictionary(uniqueKeysWithValues: try OxEntityRecord.fetchAll(db).map {
                ($0.id, Entity(kind: $0.kind, parentOrg: $0.parentOrg, document: $0.document, createdAt: $0.createdAt, modifiedAt: $0.modifiedAt))
            })
        }
    }

    /// What differs between two snapshots, one line per entity, so a failure names what changed.
    static func changes(_ a: Store, _ b: Store) -> [String] {
        Set(a.keys).union(b.keys).sorted().compactMap { id in
            a[id] == b[id] ? nil : "\((a[id] ?? b[id])!.kind) \(id) \(a[id] == nil ? "added" : b[id] == nil ? "removed" : "changed")"
        }
    }

    /// What one org holds: sensors and beacons (their string fields), events resolved through
    /// references *inside the org only* (a reference to another org's entity resolves to nothing,
    /// so it cannot match the input), and the org's IdMaps.
    struct Org {
        var sensors: [Int64: [String: String]] = [:], beacons: [Int64: [String: String]] = [:]
        var events: [Int64: Expected] = [:]
        /// `org_sensors` / `org_beacons`: entity id → epoch ms (0: disabled).
        var idMaps: [String: [String: Int64]] = [:]
        var counts: [Expected: Int] { MigrateTests.counts(events.values) }
        /// Whether `field` enables exactly `ids` (value > 0) and nothing else.
        func enables(_ field: String, exactly ids: some Collection<Int64>) -> Bool {
            let enabled = (idMaps[field] ?? [:]).filter { $0.value > 0 }
            return Set(enabled.keys) == Set(ids.map(String.init))
        }
    }

    static func org(_ id: String, in store: Store) -> Org {
        var org = Org()
        let owned = store.filter { $0.value.parentOrg.map(String.init) == id }
        func strings(_ doc: [String: Any]) -> [String: String] { doc.compactMapValues { $0 as? String }.filter { !$0.key.hasSuffix("_at") } }
        for (key, entity) in owned {
            switch entity.kind {
            case "Sensor": org.sensors[key] = strings(entity.fields)
            case "Beacon": org.beacons[key] = strings(entity.fields)
            case "Org":
                for field in ["org_sensors", "org_beacons"] {
                    org.idMaps[field] = ((entity.fields[field] as? [String: Any]) ?? [:]).mapValues { ($0 as? NSNumber)?.int64Value ?? -1 }
                }
            default: break
            }
        }
        for (key, entity) in owned where entity.kind == "Event" {
            let doc = entity.fields
            func number(_ field: String) -> Int64? { (doc[field] as? NSNumber)?.int64Value }
            org.events[key] = Expected(sensor: number("event_sensor").flatMap { org.sensors[$0] } ?? [:],
                                       beacon: number("event_beacon").flatMap { org.beacons[$0] } ?? [:],
                                       type: doc["event_type"] as? String ?? "", reading: number("event_reading") ?? -1,
                                       timestamp: number("event_timestamp") ?? -1)
        }
        return org
    }

    /// Events as a multiset: hashing, not sorting (sorting by description is slow in debug builds).
    static func counts(_ events: some Sequence<Expected>) -> [Expected: Int] { Dictionary(events.map { ($0, 1) }, uniquingKeysWith: +) }

    /// How many events `a` holds more often than `b`.
    static func excess(_ a: [Expected: Int], over b: [Expected: Int]) -> Int { a.reduce(0) { $0 + max(0, $1.value - b[$1.key, default: 0]) } }

    /// An id as text, from a stored number (or string).
    static func text(_ value: Any?) -> String? { (value as? NSNumber).map { String($0.int64Value) } ?? value as? String }

    /// Requests that change something (creates, updates, deletes), from the emulator's counters.
    static func writes(_ emulator: Emulator) async -> [String: Int] {
        await emulator.stats().byRoute.filter { route, _ in ["ox:POST", "ox:PUT", "ox:DELETE"].contains { route.hasPrefix($0) } }
    }

    /// Events the emulator has committed in `org` (cheap enough to poll every few milliseconds).
    static func eventCount(_ emulator: Emulator, org: String) async throws -> Int {
        try await emulator.store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM oxEntity WHERE kind = 'Event' AND parentOrg = ?", arguments: [Int64(org)]) ?? 0 }
    }

    static func count(_ emulator: Emulator, _ route: String) async -> Int { await emulator.stats().byRoute[route, default: 0] }

    /// A test's emulator and scratch directory after the wearables sample went into org A
    /// (`run/` holds the import's ledger, `migrate/` is the migration's run directory).
    struct Setup: Sendable {
        let dir: URL, a: String, b: String, emulator: Emulator, expected: [Expected: Int]
        var total: Int { expected.values.reduce(0, +) }

        func arguments(rate: Int, _ extra: [String]) -> [String] {
            ["migrate", "ox", "--credentials", dir.appendingPathComponent("creds.json").path, "--from-org", a, "--to-org", b,
             "--events-from", dir.appendingPathComponent("run").path, "--run-dir", dir.appendingPathComponent("migrate").path,
             "--requests-per-second", String(rate)] + extra
        }

        func migrate(rate: Int = 10, _ extra: [String] = []) async throws -> CLITests.Run {
            try await CLITests.run(arguments(rate: rate, extra), in: dir)
        }

        /// The migration's ledger: every event it created, with its org.
        func ledger() throws -> [OxEventRecord] { try Checkpoint(directory: dir.appendingPathComponent("migrate")).oxEvents() }
        func store() async throws -> Store { try await MigrateTests.store(emulator) }
    }

    /// Runs `body` against a two-org emulator holding the imported sample in org A. `rate` paces
    /// the import too, so a slow emulator does not refuse it.
    static func withImport(_ configuration: EmulatorConfiguration, rate: Int = 20, _ body: @escaping @Sendable (Setup) async throws -> Void) async throws {
        try await withEmulator(configuration, orgs: 2) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let run = try await CLITests.run(["import", "--credentials", dir.appendingPathComponent("creds.json").path,
                                                  "--mapping", OxImportTests.mapping, OxImportTests.samples,
                                                  "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", String(rate)], in: dir)
                try #require(run.status == 0, "\(run.output)")
                let setup = Setup(dir: dir, a: credentials.ox.orgs[0].org, b: credentials.ox.orgs[1].org, emulator: emulator,
                                  expected: counts(try OxImportTests.expected()))
                let a = org(setup.a, in: try await setup.store())
                try #require(a.counts == setup.expected && a.sensors.count == 2 && a.beacons.count == 2, "the import filled org A")
                try await body(setup)
                #expect(await emulator.stats().paceViolations == 0, "sigport kept each client's pace")
            }
        }
    }

    /// Starts `arguments` and SIGKILLs the process `delay` after `ready` first holds (polled every
    /// 5 ms; migrate prints nothing per request, so the test watches the emulator), then waits
    /// for the emulator to finish a request the kill left in flight, so what it stores is final.
    static func runKilled(_ arguments: [String], after delay: Duration, expectRunning: Bool = true,
                          when ready: @Sendable () async throws -> Bool) async throws {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<12_000 where process.isRunning {
            if try await ready() { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: delay)
        if expectRunning { #expect(process.isRunning, "the migration was still running when killed") }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try await Task.sleep(for: .milliseconds(600))
    }

    /// The checks every completed copy must pass: the ledger lists each input event exactly once,
    /// in org B, matching what the emulator stores; sensors and beacons exist once in B.
    /// Returns B's events the ledger does not list (left by a killed request, then created again).
    static func checkCopy(_ s: Setup, _ store: Store) async throws -> [Int64: Expected] {
        let b = org(s.b, in: store)
        let ledger = try s.ledger()
        #expect(ledger.allSatisfy { $0.org == s.b }, "the ledger records org B")
        try await OxKillTests.checkLedger(ledger, s.emulator)
        #expect(Self.counts(ledger.compactMap { Int64($0.id).flatMap { b.events[$0] } }) == s.expected, "the ledger lists each input event once, all in B")
        #expect(b.sensors.count == 2 && b.beacons.count == 2, "sensors and beacons copied once each")
        #expect(Set(b.sensors.values) == Set(org(s.a, in: store).sensors.values))
        #expect(b.enables("org_sensors", exactly: b.sensors.keys) && b.enables("org_beacons", exactly: b.beacons.keys), "\(b.idMaps)")
        let listed = Set(ledger.map(\.id))
        return b.events.filter { !listed.contains(String($0.key)) }
    }

    @Test("copy: killed at 6 seeded moments under 50% faults (cut after commit, 500, delay), resumed with --in-doubt resend: B holds each event of A's ledger, and its events beyond the migration's ledger are at most those reported without an answer")
    func copyKillsUnderFaults() async throws {
        try await withEmulator(OxKillTests.faulty, orgs: 2) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                // The import meets the same faults: what A holds is what its ledger names.
                let load = try await CLITests.run(OxImportTests.arguments(dir, extra: ["--in-doubt", "resend"]), in: dir)
                try #require(load.status == 0, "\(load.output)")
                let s = Setup(dir: dir, a: credentials.ox.orgs[0].org, b: credentials.ox.orgs[1].org, emulator: emulator, expected: [:])
                let a = Self.org(s.a, in: try await s.store())
                let expected = Self.counts(try OxImportTests.ledger(dir).compactMap { Int64($0.id).flatMap { a.events[$0] } })
                try #require(expected.values.reduce(0, +) == (try OxImportTests.expected()).count)
                var random = SoakTests.Seeded(state: 26)
                for _ in 0..<6 {
                    try await Self.runKilled(s.arguments(rate: 10, ["--in-doubt", "resend", "--max-request-bytes", "8192"]), after: .milliseconds(Int.random(in: 200...2500, using: &random)),
                                             expectRunning: false) { true }
                }
                let file = dir.appendingPathComponent("migrate-report.json")
                let last = try await s.migrate(rate: 10, ["--in-doubt", "resend", "--max-request-bytes", "8192", "--report", file.path])
                #expect(last.status == 0, "\(last.output)")
                let report = try JSONDecoder().decode(OxMigration.Report.self, from: Data(contentsOf: file))
                let b = Self.org(s.b, in: try await s.store())
                let ledger = try s.ledger()
                #expect(Self.counts(ledger.compactMap { Int64($0.id).flatMap { b.events[$0] } }) == expected, "the migration's ledger lists each event of A's once, all in B")
                let listed = Set(ledger.map(\.id))
                let beyond = b.events.keys.filter { !listed.contains(String($0)) }.count
                #expect(beyond > 0, "the kills and faults left events in B the ledger does not name: \(last.output)")
                #expect(beyond <= report.unanswered.events, "\(beyond) events beyond the ledger, \(report.unanswered.events) reported without an answer")
                #expect(last.output.contains("without an answer (all sessions): \(report.unanswered.requests) create requests"), "\(last.output)")
            }
        }
    }

    @Test("copy: --dry-run changes nothing; then B holds every event of A once, A is untouched, B's IdMaps enable the copies, verify all finds no difference, and so does sigport verify")
    func copy() async throws {
        try await Self.withImport(.init(requestInterval: .milliseconds(50))) { s in
            let n = s.total
            let before = try await s.store(), writes = await Self.writes(s.emulator)
            let dry = try await s.migrate(["--dry-run"])
            #expect(dry.status == 0, "\(dry.output)")
            #expect(!FileManager.default.fileExists(atPath: s.dir.appendingPathComponent("migrate").path), "a dry run writes no file, not even its run directory")
            #expect(dry.output.contains("would copy: 2 sensors, 2 beacons, \(n) events\n"), "\(dry.output)")
            let changed = Self.changes(before, try await s.store())
            #expect(changed.isEmpty, "a dry run changes nothing: \(changed)")
            let writesNow = await Self.writes(s.emulator)
            #expect(writesNow == writes, "a dry run sends no write: \(writes) → \(writesNow)")

            let run = try await s.migrate(["--verify", "all"])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("copied: 2 sensors, 2 beacons, \(n) events\n"), "\(run.output)")
            #expect(run.output.contains("verified \(n + 4), differences 0"), "\(run.output)")
            // Progress, a line per batch (not a terminal here), from reading through verifying.
            for line in ["progress: read the source: \(n + 4) sensors, beacons and events", "progress: copying sensors: 2 of 2",
                         "progress: copying events: \(n) of \(n)", "progress: verifying events: \(n) of \(n)"] {
                #expect(run.output.contains(line), "\(line): \(run.output)")
            }
            let after = try await s.store()
            let ofA = { (store: Store) in store.filter { $0.value.parentOrg.map(String.init) == s.a } }
            #expect(Self.changes(ofA(before), ofA(after)) == [], "org A is unchanged")
            #expect(Self.org(s.b, in: after).counts == s.expected, "B holds exactly the input events")
            #expect(try await Self.checkCopy(s, after).isEmpty, "every event in B is in the ledger")

            // sigport verify reads the copies back by id, with org B's client, from the migration's ledger.
            let verify = try await CLITests.run(["verify", s.dir.appendingPathComponent("migrate").path, "--credentials", s.dir.appendingPathComponent("creds.json").path,
                                                 "--requests-per-second", "10"], in: s.dir)
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.output.contains("series: ") && verify.output.contains(" 0 differ, 0 not read"), "\(verify.output)")

            // The finished copy run again: no write, and it says there was nothing to do.
            let writesBefore = await Self.writes(s.emulator)
            let again = try await s.migrate(["--verify", "all"])
            #expect(again.status == 0, "\(again.output)")
            #expect(again.output.contains("copied: 2 sensors, 2 beacons, \(n) events; nothing to do: an earlier run copied them all\n"), "\(again.output)")
            #expect(again.output.contains("verified \(n + 4), differences 0"), "\(again.output)")
            #expect(await Self.writes(s.emulator) == writesBefore, "a finished copy run again sends no write")
        }
    }

    @Test("move: the entities keep their ids and change org, A's IdMaps disable and B's enable them; a second run changes nothing")
    func move() async throws {
        try await Self.withImport(.init(requestInterval: .milliseconds(50))) { s in
            let before = try await s.store()
            let a = Self.org(s.a, in: before)
            let run = try await s.migrate(["--move", "--verify", "all", "--json"])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("moved: 2 sensors, 2 beacons, \(s.total) events\n"), "\(run.output)")
            let progress = run.output.split(separator: "\n").filter { $0.hasPrefix(#"{"event":"progress""#) }
            let moving = progress.filter { $0.contains(#""kind":"event","phase":"moving""#) }
            #expect(moving.first?.contains(#""done":0,"#) == true && moving.last?.contains(#""done":\#(s.total),"#) == true
                    && moving.allSatisfy { $0.contains(#""total":\#(s.total)}"#) }, "\(progress)")
            #expect(run.output.contains("verified \(s.total + 4), differences 0"), "\(run.output)")

            let after = try await s.store()
            let moved = Array(a.sensors.keys) + Array(a.beacons.keys) + Array(a.events.keys)
            let owners = moved.map { after[$0].map { [$0.parentOrg.map(String.init), Self.text($0.fields["parent_org"])] } }
            #expect(owners.allSatisfy { $0 == [s.b, s.b] }, "every entity keeps its id, with parent_org B (column and document)")
            let b = Self.org(s.b, in: after), emptied = Self.org(s.a, in: after)
            #expect(b.events == a.events, "B holds the same events under the same ids")
            #expect(b.sensors == a.sensors && b.beacons == a.beacons)
            #expect(emptied.sensors.isEmpty && emptied.beacons.isEmpty && emptied.events.isEmpty, "nothing of them remains in A")
            #expect(after.values.filter { $0.kind == "Event" }.count == before.values.filter { $0.kind == "Event" }.count)
            for (field, ids) in [("org_sensors", a.sensors.keys), ("org_beacons", a.beacons.keys)] {
                #expect(ids.allSatisfy { emptied.idMaps[field]?[String($0)] == 0 }, "A's \(field) disables them: \(emptied.idMaps)")
                #expect(b.enables(field, exactly: ids), "B's \(field) enables them: \(b.idMaps)")
            }

            // Resuming a completed move has nothing left to do.
            let writes = await Self.writes(s.emulator)
            let again = try await s.migrate(["--move", "--verify", "all"])
            #expect(again.status == 0, "\(again.output)")
            #expect(again.output.contains("differences 0"), "\(again.output)")
            #expect(again.output.contains("moved: 2 sensors, 2 beacons, \(s.total) events; nothing to do: an earlier run moved them all\n"), "\(again.output)")
            let changed = Self.changes(after, try await s.store())
            #expect(changed.isEmpty, "a second run changes nothing: \(changed)")
            let writesNow = await Self.writes(s.emulator)
            #expect(writesNow == writes, "a second run sends no write: \(writes) → \(writesNow)")

            // The ledgers follow the events: the move's run directory names them under B, and
            // the import's (under A) finds them in B too, since a move keeps ids.
            func export(_ org: String, from ledger: String, _ name: String) async throws -> (CLITests.Run, Int) {
                let out = s.dir.appendingPathComponent("\(name).csv").path
                let run = try await CLITests.run(["export", "ox", "--credentials", s.dir.appendingPathComponent("creds.json").path, "--org", org,
                                                  "--events-from", s.dir.appendingPathComponent(ledger).path, "--out", out,
                                                  "--run-dir", s.dir.appendingPathComponent("export-\(name)").path, "--requests-per-second", "20"], in: s.dir)
                let rows = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline).count
                return (run, max(0, rows - 1))
            }
            let ledger = try Checkpoint(directory: s.dir.appendingPathComponent("migrate")).oxEvents()
            #expect(ledger.count == s.total && ledger.allSatisfy { $0.org == s.b }, "the move's ledger names every moved event under B")
            for (ledgerDir, name) in [("migrate", "from-move"), ("run", "from-import")] {
                let (run, rows) = try await export(s.b, from: ledgerDir, name)
                #expect(run.status == 0 && rows == s.total, "export of B with --events-from \(ledgerDir): \(rows) rows; \(run.output)")
            }
            let (empty, _) = try await export(s.a, from: "migrate", "a-after-move")
            #expect(empty.status == 4 && empty.output.contains("None of the \(s.total) events the ledgers name is in org \(s.a)"), "\(empty.output)")
        }
    }

    /// Every answer comes 200 ms late (the delay is before the emulator handles the request), and
    /// the client's pace is 120 ms: a POST /event is in flight nearly all the time, so a kill
    /// lands during one, which the emulator still commits after the client is gone. The first
    /// resume may stop on it (exit 6, as `import` does) or create its events again; either way at
    /// most that one request's events may exist twice.
    @Test("a resume with creates in doubt stops (exit 6) from the checkpoint alone, before any request: the source is not read again")
    func inDoubtBeforeReading() async throws {
        try await Self.withImport(.init(requestInterval: .milliseconds(50))) { s in
            // A killed session's marks: creates that left without an answer.
            let checkpoint = try Checkpoint(directory: s.dir.appendingPathComponent("migrate"))
            _ = try checkpoint.begin(mappingText: "migrate ox \(s.a) -> \(s.b) copy", target: "ox", inputs: [])
            try checkpoint.migrationPending(kind: "event", sourceIDs: ["1", "2", "3"])
            let before = await s.emulator.stats().requests
            let stop = try await s.migrate()
            #expect(stop.status == 6, "\(stop.output)")
            #expect(stop.output.contains("creating 3 event(s)") && stop.output.contains("--in-doubt resend"), "\(stop.output)")
            #expect(await s.emulator.stats().requests == before, "no request, not even a read of the source")
        }
    }

    @Test("copy SIGKILLed during a POST /event, then resumed: every event in B, extras only from the killed request, no sensor or beacon twice")
    func killedInFlight() async throws {
        let slow = EmulatorConfiguration(requestInterval: .milliseconds(50), faults: FaultConfiguration(rate: 1, kinds: [.delay], delay: .milliseconds(200)))
        try await Self.withImport(slow) { s in
            let small = ["--max-request-bytes", "8192"]
            let base = await Self.count(s.emulator, "ox:POST /event")
            try await Self.runKilled(s.arguments(rate: 10, small), after: .milliseconds(100)) {
                await Self.count(s.emulator, "ox:POST /event") >= base + 3
            }
            let killed = Self.org(s.b, in: try await s.store()).events.count
            #expect(killed > 0 && killed < s.total, "killed mid-copy (\(killed) events in B)")

            var resume = try await s.migrate(small)
            if resume.status == 6 {
                #expect(resume.output.contains("--in-doubt"), "\(resume.output)")
                resume = try await s.migrate(small + ["--in-doubt", "resend"])
            }
            #expect(resume.status == 0, "\(resume.output)")
            #expect(resume.output.contains("differences 0"), "\(resume.output)")

            let after = try await s.store()
            let b = Self.org(s.b, in: after)
            let extra = try await Self.checkCopy(s, after)
            #expect(Self.excess(s.expected, over: b.counts) == 0, "every input event is in B")
            #expect(Self.excess(b.counts, over: s.expected) == extra.count, "B's extra events are those the ledger does not list")
            // Entities of one create share its created_at: the extras must be one request, all of it.
            let requests = Set(extra.keys.map { after[$0]!.createdAt })
            #expect(requests.count <= 1, "extras come from one request")
            #expect(b.events.keys.filter { requests.contains(after[$0]!.createdAt) }.count == extra.count)
        }
    }

    /// A move only sends PUTs of `parent_org`, which can be sent again safely, so a move killed
    /// midway must simply resume — even though the killed run left some events in A, some in B.
    @Test("move SIGKILLed between PUT /event requests, then resumed: completes with everything in B under the same ids")
    func moveKilled() async throws {
        try await Self.withImport(.init(requestInterval: .milliseconds(50))) { s in
            let a = Self.org(s.a, in: try await s.store())
            let small = ["--move", "--max-request-bytes", "4096"]
            let base = await Self.count(s.emulator, "ox:PUT /event")
            try await Self.runKilled(s.arguments(rate: 10, small), after: .milliseconds(50)) {
                await Self.count(s.emulator, "ox:PUT /event") >= base + 3
            }
            let killed = try await Self.eventCount(s.emulator, org: s.b)
            #expect(killed > 0 && killed < s.total, "killed mid-move (\(killed) events in B)")

            let resume = try await s.migrate(small)
            try #require(resume.status == 0, "\(resume.output)")
            #expect(resume.output.contains("differences 0"), "\(resume.output)")
            let after = try await s.store()
            let b = Self.org(s.b, in: after), emptied = Self.org(s.a, in: after)
            #expect(b.events == a.events && b.sensors == a.sensors && b.beacons == a.beacons, "everything moved, ids kept")
            #expect(emptied.events.isEmpty && emptied.sensors.isEmpty && emptied.beacons.isEmpty, "nothing remains in A")
            #expect(b.enables("org_sensors", exactly: a.sensors.keys) && b.enables("org_beacons", exactly: a.beacons.keys), "\(b.idMaps)")
        }
    }

    /// A slow pace (a request per 520 ms; the emulator allows one per 400 ms) and small bodies
    /// (~95 events, committed ~100 ms after they arrive) leave a wide quiet gap after each POST
    /// /event: killed 200 ms after the first commit shows in the store, the process has recorded
    /// the answer and waits for its next slot, so the resume must create nothing twice.
    @Test("copy SIGKILLed between two POST /event requests, then resumed: B holds every event exactly once")
    func killedBetweenRequests() async throws {
        try await Self.withImport(.init(requestInterval: .milliseconds(400)), rate: 2) { s in
            let bodies = ["--max-request-bytes", "16384"]
            try await Self.runKilled(s.arguments(rate: 2, bodies), after: .milliseconds(200)) {
                try await Self.eventCount(s.emulator, org: s.b) > 0
            }
            let killed = try await Self.eventCount(s.emulator, org: s.b), listed = try s.ledger().count
            try #require(killed > 0 && killed == listed, "the kill landed between requests: B's \(killed) events are all in the ledger (\(listed))")

            let resume = try await s.migrate(rate: 2, bodies)
            #expect(resume.status == 0, "\(resume.output)")
            #expect(resume.output.contains("differences 0"), "\(resume.output)")
            let after = try await s.store()
            #expect(Self.org(s.b, in: after).counts == s.expected, "every event exactly once")
            #expect(try await Self.checkCopy(s, after).isEmpty)
        }
    }

    @Test("tokens living 2 s expire during a longer copy: it renews them and completes with no difference")
    func tokenExpiry() async throws {
        try await Self.withImport(.init(requestInterval: .milliseconds(50), oxTokenLifetime: .seconds(2))) { s in
            let tokens = await Self.count(s.emulator, "ox:GET /client/token")
            let started = ContinuousClock.now
            let run = try await s.migrate(rate: 10, ["--max-request-bytes", "65536"])
            let elapsed = started.duration(to: .now)
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("differences 0"), "\(run.output)")
            #expect(elapsed > .seconds(4), "the copy outlived a token (\(elapsed))")
            let fetched = await Self.count(s.emulator, "ox:GET /client/token") - tokens
            #expect(fetched > 2, "tokens were renewed during the run: \(fetched) fetches for two clients")
            let after = try await s.store()
            #expect(Self.org(s.b, in: after).counts == s.expected)
            #expect(try await Self.checkCopy(s, after).isEmpty)
        }
    }
}
