import Crypto
import Foundation
import Testing
@testable import SigportEmulator

/// `sigport export` in time: --from/--to edges, offsets across a DST change, local dates, windows
/// at local midnight, manifest.json, a second run that writes nothing, a refused run with other
/// parameters, and SIGKILLed exports resumed to the same bytes.
extension ExportE2ETests {
    static let oslo = TimeZone(identifier: "Europe/Oslo")!

    @Test("--from is inclusive and --to exclusive, to the reading, for both sources; windows clip to them")
    func timeRangeEdges() async throws {
        let integration = IntegrationFixture(), ox = OxFixture()
        try await Self.withSession { session in
            try await session.importIntegration(integration)
            try await session.importOx(ox)

            // Integration: readings every minute; 00:10 is in, 00:20 is out.
            let run = try await session.exportIntegration(["--from", "2024-03-01T00:10:00Z", "--to", "2024-03-01T00:20:00.000Z", "--out", session.path("edges.csv")])
            #expect(run.status == 0, "\(run.output)")
            let stamps = Self.column(0, try Self.rows(session.path("edges.csv")))
            let from = Self.epochMs("2024-03-01T00:10:00Z"), to = Self.epochMs("2024-03-01T00:20:00Z")
            #expect(stamps == integration.readings(from: from, to: to).map { Self.rfc3339($0.ms) })
            #expect(stamps.first == "2024-03-01T00:10:00.000Z")
            #expect(stamps.last == "2024-03-01T00:19:00.000Z")

            // Windows clip to --from/--to: 00:30-01:00 and 01:00-01:30.
            let windowed = try await session.exportIntegration(["--from", "2024-03-01T00:30:00Z", "--to", "2024-03-01T01:30:00Z", "--window", "1h", "--out", session.path("clipped")])
            #expect(windowed.status == 0, "\(windowed.output)")
            let manifest = try Manifest.load(session.dir.appendingPathComponent("clipped"))
            #expect(manifest.files.map(\.name) == ["readings-2024-03-01T00Z.csv", "readings-2024-03-01T01Z.csv"])
            #expect(manifest.files.map(\.from) == ["2024-03-01T00:30:00.000Z", "2024-03-01T01:00:00.000Z"])
            #expect(manifest.files.map(\.to) == ["2024-03-01T01:00:00.000Z", "2024-03-01T01:30:00.000Z"])
            #expect(manifest.files.map(\.firstTimestamp) == ["2024-03-01T00:30:00.000Z", "2024-03-01T01:00:00.000Z"])
            #expect(manifest.files.map(\.lastTimestamp) == ["2024-03-01T00:59:00.000Z", "2024-03-01T01:29:00.000Z"])

            // ox: events at millisecond times; the bounds are two events' own times.
            let times = Array(Set(ox.events.map(\.ms))).sorted()
            let (oxFrom, oxTo) = (times[10], times[40])
            let oxRun = try await session.exportOx("edges", ["--from", Self.rfc3339(oxFrom), "--to", Self.rfc3339(oxTo), "--out", session.path("ox-edges.csv")])
            #expect(oxRun.status == 0, "\(oxRun.output)")
            let ledger = try OxImportTests.ledger(session.dir)
            let exported = Self.column(7, try Self.rows(session.path("ox-edges.csv")))
            #expect(Set(exported) == Set(ledger.filter { $0.timestampMs >= oxFrom && $0.timestampMs < oxTo }.map(\.id)))
            #expect(exported.count == ox.events.filter { $0.ms >= oxFrom && $0.ms < oxTo }.count)
            let oxStamps = Self.column(0, try Self.rows(session.path("ox-edges.csv")))
            #expect(oxStamps.first == Self.rfc3339(oxFrom), "the events at --from are in")
            #expect(!oxStamps.contains(Self.rfc3339(oxTo)), "the events at --to are out")
        }
    }

    @Test("sub-millisecond --from/--to bound an integration export exactly (the API keeps microseconds)")
    func subMillisecondBounds() async throws {
        let fixture = IntegrationFixture()
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            // 00:10:00.000 is half a millisecond before --from; 00:12:00.000 half a millisecond before --to.
            let run = try await session.exportIntegration(["--from", "2024-03-01T00:10:00.0005Z", "--to", "2024-03-01T00:12:00.0005Z",
                                                           "--input", "e2e/c", "--out", session.path("sub.csv")])
            #expect(run.status == 0, "\(run.output)")
            let stamps = Self.column(0, try Self.rows(session.path("sub.csv")))
            #expect(stamps == ["2024-03-01T00:11:00.000Z", "2024-03-01T00:12:00.000Z"], "readings in [--from, --to) only")
        }
    }

    @Test("Europe/Oslo across the DST change: +01:00 then +02:00, the same UTC instants read back; local --from; days split at local midnight",
          .enabled(if: python != nil, "needs SIGPORT_PYTHON with pandas and duckdb installed; `make test` sets it up"))
    func timeZoneAcrossDST() async throws {
        // Every 15 minutes from 2024-03-30T20:00Z to 2024-03-31T05:45Z; clocks go forward at 01:00Z.
        let fixture = IntegrationFixture(start: "2024-03-30T20:00:00Z", stepSeconds: 900, rows: 40)
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            let zone = ["--time-zone", "Europe/Oslo"]
            for (format, name) in [("csv", "zone.csv"), ("sqlite", "zone.sqlite")] {
                let run = try await session.exportIntegration(zone + ["--from", "2024-03-30T20:00:00Z", "--to", "2024-03-31T06:00:00Z",
                                                                      "--format", format, "--out", session.path(name)])
                #expect(run.status == 0, "\(run.output)")
            }
            let all = try Self.rows(session.path("zone.csv"))
            let stamps = Self.column(0, all)
            let change = Self.epochMs("2024-03-31T01:00:00Z")
            #expect(stamps == fixture.readings().map { Self.rfc3339($0.ms, zone: Self.oslo) })
            #expect(zip(fixture.readings(), stamps).allSatisfy { $1.hasSuffix($0.ms < change ? "+01:00" : "+02:00") }, "\(stamps)")
            #expect(stamps.contains("2024-03-31T01:45:00.000+01:00") && stamps.contains("2024-03-31T03:00:00.000+02:00"), "00:45Z and 01:00Z")
            #expect(!stamps.contains { $0.hasPrefix("2024-03-31T02:") }, "02:00-02:59 local does not exist that night")
            // pandas.to_datetime(utc=True) and DuckDB give back the imported instants.
            try await Self.readBack(fixture.expectedJSON(), ["csv=\(session.path("zone.csv"))", "sqlite=\(session.path("zone.sqlite"))"], in: session.dir)

            // A local date is local midnight: --from 2024-03-31 is 2024-03-30T23:00Z.
            let local = try await session.exportIntegration(zone + ["--from", "2024-03-31", "--to", "2024-04-01", "--out", session.path("local.csv")])
            #expect(local.status == 0, "\(local.output)")
            let midnight = Self.epochMs("2024-03-30T23:00:00Z")
            let fromMidnight = try Self.rows(session.path("local.csv"))
            #expect(fromMidnight == Array(all[fixture.readings().firstIndex { $0.ms >= midnight }!...]))
            #expect(fromMidnight.first?.hasPrefix("2024-03-31T00:00:00.000+01:00,") == true, "\(fromMidnight.prefix(1))")

            // --window 1d in the zone: files by local date, split at local midnight (23:00Z), the day 23 hours long.
            let days = try await session.exportIntegration(zone + ["--from", "2024-03-30", "--to", "2024-04-01", "--window", "1d", "--out", session.path("days")])
            #expect(days.status == 0, "\(days.output)")
            let dir = session.dir.appendingPathComponent("days")
            #expect(try Self.listing(dir) == ["manifest.json", "readings-2024-03-30.csv", "readings-2024-03-31.csv"])
            let first = try Self.rows(dir.appendingPathComponent("readings-2024-03-30.csv").path)
            let second = try Self.rows(dir.appendingPathComponent("readings-2024-03-31.csv").path)
            #expect(first + second == all, "the days hold every reading once, in order")
            #expect(first.last?.hasPrefix("2024-03-30T23:45:00.000+01:00,") == true)
            #expect(second.first?.hasPrefix("2024-03-31T00:00:00.000+01:00,") == true)
            let manifest = try Manifest.load(dir)
            #expect(manifest.files.map(\.from) == ["2024-03-30T00:00:00.000+01:00", "2024-03-31T00:00:00.000+01:00"])
            #expect(manifest.files.map(\.to) == ["2024-03-31T00:00:00.000+01:00", "2024-04-01T00:00:00.000+02:00"])
        }
    }

    @Test("6h windows in Europe/Oslo follow the local clock across DST (00, 06, 12, 18), whatever --from is")
    func sixHourWindowsAcrossDST() async throws {
        let fixture = IntegrationFixture(start: "2024-03-30T20:00:00Z", stepSeconds: 900, rows: 40)
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            let zone = ["--time-zone", "Europe/Oslo", "--window", "6h", "--to", "2024-04-02"]
            let long = try await session.exportIntegration(zone + ["--from", "2024-03-30", "--out", session.path("long")])
            #expect(long.status == 0, "\(long.output)")
            var expected: [String] = ["manifest.json"]
            for (day, offsets) in [("2024-03-30", ["+0100", "+0100", "+0100", "+0100"]), ("2024-03-31", ["+0100", "+0200", "+0200", "+0200"]),
                                   ("2024-04-01", ["+0200", "+0200", "+0200", "+0200"])] {
                for (hour, offset) in zip(["00", "06", "12", "18"], offsets) { expected.append("readings-\(day)T\(hour)\(offset).csv") }
            }
            let names = try Self.listing(session.dir.appendingPathComponent("long"))
            // docs/export.md: "hours aligned within the local day"; a DST day's 00-06 window is 5 hours long.
            #expect(names == expected.sorted())
            // Aligned so, a day exported alone names its windows as the longer export does.
            let short = try await session.exportIntegration(zone + ["--from", "2024-04-01", "--out", session.path("short")])
            #expect(short.status == 0, "\(short.output)")
            let alone = try Self.listing(session.dir.appendingPathComponent("short"))
            #expect(Set(alone).isSubset(of: Set(names)), "alone: \(alone); in the longer export: \(names)")
        }
    }

    @Test("--window 1h: files named by window, a manifest whose rows, times and SHA-256 are the files'; a rerun writes nothing; other parameters are refused")
    func windowsAndManifest() async throws {
        let fixture = IntegrationFixture()
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            let range = ["--from", "2024-03-01T00:00:00Z", "--to", "2024-03-01T04:00:00Z"]
            let arguments = range + ["--window", "1h", "--out", session.path("hours"), "--summary", "--gap", "10m"]
            let first = try await session.exportIntegration(arguments)
            #expect(first.status == 0, "\(first.output)")
            let total = fixture.readings(from: Self.epochMs("2024-03-01T00:00:00Z"), to: Self.epochMs("2024-03-01T04:00:00Z")).count
            #expect(first.output.contains("\(total) readings of 3 series"), "\(first.output)")
            #expect(first.output.contains("in 4 files; 4 windows\n"), "\(first.output)")

            let dir = session.dir.appendingPathComponent("hours")
            let names = (0..<4).map { "readings-2024-03-01T0\($0)Z.csv" }
            #expect(try Self.listing(dir) == ["manifest.json"] + names)
            let manifest = try Manifest.load(dir)
            #expect(manifest.manifest == "sigport-export/1" && manifest.windows == 4 && manifest.complete)
            #expect(manifest.files.map(\.name) == names)
            #expect(manifest.files.map(\.rows).reduce(0, +) == total)
            var pooled: [String] = []
            for file in manifest.files {
                let path = dir.appendingPathComponent(file.name).path
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let rows = try Self.rows(path)
                pooled += rows
                #expect(file.sha256 == SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined(), "\(file.name)")
                #expect(file.bytes == data.count && file.rows == rows.count, "\(file.name)")
                #expect(file.firstTimestamp == Self.column(0, rows).first && file.lastTimestamp == Self.column(0, rows).last, "\(file.name)")
            }
            // The windows partition the range: together they are the single-file export.
            let single = try await session.exportIntegration(range + ["--out", session.path("single.csv")])
            #expect(single.status == 0, "\(single.output)")
            #expect(pooled == (try Self.rows(session.path("single.csv"))))

            // The same command again: every window found written, nothing rewritten, the same summary.
            let before = try Self.stamps(dir)
            let again = try await session.exportIntegration(arguments)
            #expect(again.status == 0, "\(again.output)")
            #expect(again.output.contains("in 4 files; 4 windows (this session: 0 readings, 0 bytes in 0 files; 4 windows already written)"), "\(again.output)")
            #expect(Self.headline(again.output) == Self.headline(first.output), "a run again counts the whole export, as the first did: \(again.output)")
            let after = try Self.stamps(dir)
            #expect(after.filter { $0.key != "manifest.json" } == before.filter { $0.key != "manifest.json" }, "no window file rewritten (same inode and mtime)")
            #expect(after["manifest.json"] == before["manifest.json"], "manifest.json rewritten by a run that found everything done")
            let summaries = (Self.summary(first.output, keys: IntegrationFixture.inputIDs), Self.summary(again.output, keys: IntegrationFixture.inputIDs))
            for id in IntegrationFixture.inputIDs {
                #expect(summaries.0[id]?.columns == summaries.1[id]?.columns && summaries.0[id]?.gaps == summaries.1[id]?.gaps, "\(again.output)")
            }

            // Other parameters into the same directory: refused, naming what differs; nothing touched.
            for (flag, value, differing) in [("--to", "2024-03-01T03:00:00Z", "(to)"), ("--format", "jsonl", "(format)"),
                                             ("--time-zone", "Europe/Oslo", "(timeZone)")] {
                var other = arguments
                if let i = other.firstIndex(of: flag) { other[i + 1] = value } else { other += [flag, value] }
                let before = try Self.stamps(dir)
                let refused = try await session.exportIntegration(other)
                #expect(refused.status == 4, "\(flag) \(value): \(refused.output)")
                #expect(refused.output.contains("holds an export asked for differently \(differing)"), "\(flag) \(value): \(refused.output)")
                #expect(try Self.stamps(dir) == before, "\(flag) \(value): nothing touched")
            }
        }
    }

    /// A summary's first line up to the windows' count: readings, series, bytes, files, windows.
    static func headline(_ output: String) -> String? {
        output.split(separator: "\n").first { $0.contains(" readings of ") }.map { String($0.prefix { $0 != "(" }).trimmingCharacters(in: .whitespaces) }
    }

    @Test("an export SIGKILLed after its first window, then resumed, ends with the bytes of an uninterrupted one; no .partial left")
    func killedAndResumed() async throws {
        // Every 2 minutes for 8 hours: 8 one-hour windows, one data request each.
        let fixture = IntegrationFixture(stepSeconds: 120, rows: 240)
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            func arguments(_ out: String, pace: [String] = Self.pace) -> [String] {
                session.integrationArguments(["--from", "2024-03-01T00:00:00Z", "--to", "2024-03-01T08:00:00Z", "--window", "1h",
                                              "--out", session.path(out)], pace: pace)
            }
            let whole = try await CLITests.run(arguments("whole"), in: session.dir)
            #expect(whole.status == 0, "\(whole.output)")

            // Two requests a second: killed as soon as the manifest records a first window (a file
            // renamed into place but not yet in the manifest would be written again, as it should).
            let killedDir = session.dir.appendingPathComponent("killed")
            let manifestPath = killedDir.appendingPathComponent("manifest.json").path
            let launched = try Self.launch(CLITests.binary, arguments("killed", pace: ["--requests-per-second", "2"]), in: session.dir)
            for _ in 0..<3000 where launched.process.isRunning && !FileManager.default.fileExists(atPath: manifestPath) {
                try await Task.sleep(for: .milliseconds(5))
            }
            let killed = launched.process.isRunning
            if killed { kill(launched.process.processIdentifier, SIGKILL) }
            launched.process.waitUntilExit()
            let log = (try? String(contentsOf: launched.log, encoding: .utf8)) ?? ""
            try #require(killed, "the export ended before it could be killed: \(log)")
            let listed = try Manifest.load(killedDir).files.count
            #expect(listed >= 1 && listed < 8, "killed mid-way: \(listed) of 8 windows done")
            let left = try Self.listing(killedDir)
            #expect(left.contains { $0.hasSuffix(".partial") } || left.count == listed + 1, "the window in progress is only a .partial: \(left)")

            let resumed = try await CLITests.run(arguments("killed"), in: session.dir)
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(resumed.output.contains("in \(8 - listed) files; \(listed) windows already written)"), "\(resumed.output)")
            #expect(Self.headline(resumed.output) == Self.headline(whole.output), "the resumed export's summary counts the whole run, as an uninterrupted one's")

            let wholeDir = session.dir.appendingPathComponent("whole")
            let names = try Self.listing(wholeDir)
            #expect(names.count == 9)
            #expect(try Self.listing(killedDir) == names, "the same files, and no .partial or scratch file left")
            for name in names {
                let a = try Data(contentsOf: wholeDir.appendingPathComponent(name)), b = try Data(contentsOf: killedDir.appendingPathComponent(name))
                #expect(SHA256.hash(data: a) == SHA256.hash(data: b), "\(name) differs after the resume")
            }
        }
    }
    @Test("ox: an export SIGKILLed while reading events resumes from its staging store: no batch read twice, the same bytes")
    func oxKilledAndResumed() async throws {
        let fixture = OxFixture(rows: 200) // about 110 event ids a call: 5 calls
        try await Self.withSession { session in
            try await session.importOx(fixture)
            func reads() async -> Int { await session.emulator.stats().byRoute["ox:GET /event"] ?? 0 }
            let before = await reads()
            let whole = try await session.exportOx("staged-whole", ["--out", session.path("whole.csv")])
            #expect(whole.status == 0, "\(whole.output)")
            let uninterrupted = await reads() - before
            #expect(uninterrupted >= 3, "the events take several retrieve-many calls")

            // Two requests a second: killed once the first batch of events is answered.
            let start = await reads()
            let launched = try Self.launch(CLITests.binary, session.oxArguments("staged-killed", ["--out", session.path("killed.csv")],
                                                                               pace: ["--requests-per-second", "2"]), in: session.dir)
            for _ in 0..<3000 where launched.process.isRunning {
                if await reads() > start { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let killed = launched.process.isRunning
            if killed { kill(launched.process.processIdentifier, SIGKILL) }
            launched.process.waitUntilExit()
            try #require(killed, "the export ended before it could be killed")
            try await Task.sleep(for: .milliseconds(100))
            let beforeKill = await reads() - start
            #expect(beforeKill >= 1 && beforeKill < uninterrupted)
            #expect(!FileManager.default.fileExists(atPath: session.path("killed.csv")))

            let resumed = try await session.exportOx("staged-killed", ["--out", session.path("killed.csv")])
            #expect(resumed.status == 0, "\(resumed.output)")
            let total = await reads() - start
            // The batch answered at the kill is not read again (one more is allowed: answered, but killed before it was recorded).
            #expect(total == uninterrupted || total == uninterrupted + 1, "\(total) retrieve-many calls with a kill, \(uninterrupted) without")
            #expect(try Data(contentsOf: URL(fileURLWithPath: session.path("killed.csv"))) == Data(contentsOf: URL(fileURLWithPath: session.path("whole.csv"))))
            #expect(!(try Self.listing(session.dir)).contains { $0.hasSuffix(".partial") })
        }
    }
}

// MARK: - Files of a windowed export

extension ExportE2ETests {
    /// manifest.json as documented, decoded here (not with sigport's own type).
    struct Manifest: Decodable {
        struct File: Decodable {
            var name: String
            var window: String
            var from: String
            var to: String
            var rows: Int
            var firstTimestamp: String?
            var lastTimestamp: String?
            var bytes: Int
            var sha256: String
        }

        var manifest: String
        var windows: Int
        var complete: Bool
        var files: [File]

        static func load(_ directory: URL) throws -> Manifest {
            try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        }
    }

    /// The names in a directory, sorted.
    static func listing(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// Each file's inode and modification time: a rewrite (a new file renamed into place) changes both.
    static func stamps(_ directory: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in try listing(directory) {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            out[name] = "\(attributes[.systemFileNumber] ?? "?") \(date)"
        }
        return out
    }
}
