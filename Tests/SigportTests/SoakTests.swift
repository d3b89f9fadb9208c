import Foundation
import Testing
@testable import Sigport
@testable import SigportEmulator

/// The long part of the reliability suite (`make soak`, SIGPORT_SOAK=1): SIGKILL at 20 seeded
/// random moments of an import and of a windowed export, each followed by a resume, and
/// migrate and export under 5% and 30% faults. Every time the result must be exact.
@Suite("soak: kills and faults", .serialized, .enabled(if: ProcessInfo.processInfo.environment["SIGPORT_SOAK"] == "1"))
struct SoakTests {
    /// A small deterministic generator, so a failing kill schedule can be replayed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    static let kills = 20

    @Test("import: SIGKILL at 20 seeded random moments, each resumed; the store is exact")
    func importKills() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(25))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let arguments = ImportTests.importArguments(dir, extra: ["--max-request-bytes", "4000", "--requests-per-second", "30"])
                var random = Seeded(state: 20261128)
                for _ in 0..<Self.kills {
                    try await CLITests.runAndKill(arguments, in: dir, after: 0, of: "", delay: .milliseconds(Int.random(in: 40...400, using: &random)))
                }
                let last = try await CLITests.run(arguments, in: dir)
                #expect(last.status == 1, "\(last.output)")
                #expect(last.output.contains("rows read 2880 = sent 2879 + rejected 1 + filtered 0"), "\(last.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
                #expect(await emulator.stats().paceViolations == 0)
            }
        }
    }

    /// The gateway samples in the integration API, then `export integration` arguments over
    /// their day in hourly windows.
    static func exportArguments(_ dir: URL, out: String) -> [String] {
        ["export", "integration", "--credentials", dir.appendingPathComponent("creds.json").path, "--from", "2024-03-01", "--to", "2024-03-02",
         "--window", "1h", "--publish", "--out", dir.appendingPathComponent(out).path, "--requests-per-second", "30"]
    }

    static func manifestFiles(_ dir: URL, _ out: String) throws -> [String: String] {
        let data = try Data(contentsOf: dir.appendingPathComponent("\(out)/manifest.json"))
        let files = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["files"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: files.map { ($0["name"] as! String, $0["sha256"] as! String) })
    }

    @Test("export: SIGKILL at 20 seeded random moments, each resumed; the files equal an uninterrupted export's")
    func exportKills() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(25))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                #expect(try await CLITests.run(ImportTests.importArguments(dir), in: dir).status == 1)
                let whole = try await CLITests.run(Self.exportArguments(dir, out: "whole"), in: dir)
                try #require(whole.status == 0, "\(whole.output)")
                var random = Seeded(state: 7)
                for _ in 0..<Self.kills {
                    try await CLITests.runAndKill(Self.exportArguments(dir, out: "killed"), in: dir, after: 0, of: "",
                                                  delay: .milliseconds(Int.random(in: 30...300, using: &random)))
                }
                let last = try await CLITests.run(Self.exportArguments(dir, out: "killed"), in: dir)
                #expect(last.status == 0, "\(last.output)")
                let expected = try Self.manifestFiles(dir, "whole")
                #expect(expected.count == 24)
                #expect(try Self.manifestFiles(dir, "killed") == expected)
                for (name, _) in expected {
                    let a = try Data(contentsOf: dir.appendingPathComponent("whole/\(name)"))
                    let b = try Data(contentsOf: dir.appendingPathComponent("killed/\(name)"))
                    #expect(a == b, "\(name)")
                }
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("killed").path).filter { $0.hasSuffix(".partial") }
                #expect(leftovers.isEmpty)
            }
        }
    }

    @Test("export under 5% and 30% faults (500, 503, 429, delays, cut connections) holds every stored value exactly", arguments: [0.05, 0.3])
    func exportFaults(rate: Double) async throws {
        let faults = FaultConfiguration(rate: rate, kinds: [.error500, .error503, .tooManyRequests, .delay, .cutAfterCommit], seed: 5)
        try await withEmulator(.init(requestInterval: .milliseconds(25), faults: faults)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let load = try await CLITests.run(ImportTests.importArguments(dir, extra: ["--requests-per-second", "30"]), in: dir)
                #expect(load.status == 1, "\(load.output)")
                let out = dir.appendingPathComponent("all.csv").path
                let export = try await CLITests.run(["export", "integration", "--credentials", dir.appendingPathComponent("creds.json").path,
                                                     "--from", "2024-03-01", "--to", "2024-04-01", "--publish", "--out", out, "--requests-per-second", "30"], in: dir)
                #expect(export.status == 0, "\(export.output)")
                var exported: [String: [Int64: Double]] = [:]
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                for line in try String(contentsOfFile: out, encoding: .utf8).split(separator: "\r\n").dropFirst() {
                    let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    let time = try #require(formatter.date(from: f[0]))
                    exported[f[2], default: [:]][Int64(time.timeIntervalSince1970.rounded()) * 1_000_000] = try #require(Double(f[f.count - 3]))
                }
                #expect(exported == (try ImportTests.expected()))
                if rate >= 0.3 { #expect(await emulator.stats().faults.values.reduce(0, +) > 0) }
            }
        }
    }

    /// Runs `migrate ox` with `extra` and SIGKILLs it `kills` times, each a seeded 0…`upTo` ms
    /// after `route` has seen a request of this migration, then runs it to the end.
    static func killedMigration(_ s: MigrateTests.Setup, _ extra: [String], route: String, seed: UInt64, upTo: Int) async throws -> CLITests.Run {
        let base = await MigrateTests.count(s.emulator, route)
        var random = Seeded(state: seed)
        for _ in 0..<kills {
            let delay = Duration.milliseconds(Int.random(in: 0...upTo, using: &random))
            try await MigrateTests.runKilled(s.arguments(rate: 20, extra), after: delay, expectRunning: false) {
                await MigrateTests.count(s.emulator, route) > base
            }
        }
        return try await s.migrate(rate: 20, extra)
    }

    @Test("migrate ox --move: SIGKILL at 20 seeded random moments, each resumed; everything in B under the same ids")
    func migrateMoveKills() async throws {
        try await MigrateTests.withImport(.init(requestInterval: .milliseconds(40))) { s in
            let a = MigrateTests.org(s.a, in: try await s.store())
            let resume = try await Self.killedMigration(s, ["--move", "--max-request-bytes", "4096"], route: "ox:PUT /event", seed: 3, upTo: 400)
            #expect(resume.status == 0, "\(resume.output)")
            let after = try await s.store()
            let b = MigrateTests.org(s.b, in: after), emptied = MigrateTests.org(s.a, in: after)
            #expect(b.events == a.events && b.sensors == a.sensors && b.beacons == a.beacons, "everything moved, ids kept")
            #expect(emptied.events.isEmpty && emptied.sensors.isEmpty && emptied.beacons.isEmpty)
        }
    }

    /// Each kill can land while a create is in flight; resumed with `--in-doubt resend`, such a
    /// request is sent again. So B holds every event, its extras are exactly the events the
    /// ledger does not list, and they come from at most one request per kill.
    @Test("migrate ox copy: SIGKILL at 20 seeded random moments, each resumed with --in-doubt resend; extras only from in-doubt requests")
    func migrateCopyKills() async throws {
        try await MigrateTests.withImport(.init(requestInterval: .milliseconds(40))) { s in
            let resume = try await Self.killedMigration(s, ["--max-request-bytes", "8192", "--in-doubt", "resend"], route: "ox:POST /event", seed: 4, upTo: 300)
            #expect(resume.status == 0, "\(resume.output)")
            let after = try await s.store()
            let b = MigrateTests.org(s.b, in: after)
            let extra = try await MigrateTests.checkCopy(s, after)
            #expect(MigrateTests.excess(s.expected, over: b.counts) == 0, "every input event is in B")
            #expect(MigrateTests.excess(b.counts, over: s.expected) == extra.count, "B's extras are the events the ledger does not list")
            #expect(Set(extra.keys.map { after[$0]!.createdAt }).count <= Self.kills, "extras come from at most one request per kill")
        }
    }

    /// A 500 or a connection cut after the commit leaves an ox create in doubt. With `--in-doubt
    /// resend` the run sends it again: every event then exists, and the duplicates are bounded
    /// by what the report says was in doubt — the report is exact in that sense.
    @Test("ox import under 5% and 30% faults (500, cut after commit) with --in-doubt resend: every event exists, extras ≤ reported without an answer",
          arguments: [0.05, 0.3])
    func oxImportDoubtfulFaults(rate: Double) async throws {
        let faults = FaultConfiguration(rate: rate, kinds: [.error500, .cutAfterCommit], seed: 13)
        try await withEmulator(.init(requestInterval: .milliseconds(50), faults: faults)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let (run, report) = try await OxKillTests.run(dir, ["--in-doubt", "resend"])
                #expect(run.status == 0, "\(run.output)")
                let summary = try #require(report, "\(run.output)")
                let expected = try OxImportTests.expected()
                let stored = try await OxImportTests.stored(emulator)
                let events = Array(stored.events.values)
                #expect(OxKillTests.minus(expected, events).isEmpty, "every input event exists at least once")
                #expect(OxKillTests.minus(events, expected).count <= summary.unanswered.events,
                        "extras within the \(summary.unanswered.events) events reported as sent without an answer")
                #expect(stored.sensors + stored.beacons <= Set(expected.map(\.sensor)).count + Set(expected.map(\.beacon)).count + summary.unanswered.entities)
                let ledger = try OxKillTests.checkpoint(dir).oxEvents()
                #expect(ledger.compactMap { stored.events[$0.id] }.sorted() == expected, "the ledger lists each input event once")
                if rate >= 0.3 { #expect(summary.unanswered.requests > 0, "faults made something in doubt") }
                #expect(summary.unanswered.requests == 0 || run.output.contains("without an answer (all sessions)"), "\(run.output)")
            }
        }
    }

    /// 503 and 429 are refusals before any work, so ox creates are resent and the result is
    /// exact; a 500 or a cut connection leaves a create in doubt, which OxKillTests and
    /// MigrateTests cover with kills in flight (the same loss of an answer).
    @Test("migrate ox copy under 5% and 30% faults (503, 429, delays): B holds every event exactly once", arguments: [0.05, 0.3])
    func migrateFaults(rate: Double) async throws {
        let faults = FaultConfiguration(rate: rate, kinds: [.error503, .tooManyRequests, .delay], seed: 9)
        try await MigrateTests.withImport(.init(requestInterval: .milliseconds(40), faults: faults)) { s in
            let run = try await s.migrate()
            #expect(run.status == 0, "\(run.output)")
            let after = try await s.store()
            #expect(MigrateTests.org(s.b, in: after).counts == s.expected, "B holds exactly the input events")
            #expect(try await MigrateTests.checkCopy(s, after).isEmpty)
        }
    }
}
