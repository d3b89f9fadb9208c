import Foundation
import GRDB
import NIOCore
import Testing
@testable import Sigport
@testable import SigportEmulator

/// `sigport verify` end to end: a run imported into a real emulator by the built binary, verified
/// untouched, then changed behind sigport's back through the emulator's own API (an insert of
/// another value, one at a new time, a removal; ox: an update and a delete) and verified again.
@Suite("sigport verify end to end", .serialized)
struct VerifyTests {
    static let emulator: EmulatorConfiguration = {
        var configuration = ExportE2ETests.fastEmulator
        configuration.tamperingHooks = true
        return configuration
    }()

    static func withSession(_ configuration: EmulatorConfiguration = emulator, _ body: @Sendable (ExportE2ETests.Session) async throws -> Void) async throws {
        try await withEmulator(configuration) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                let session = ExportE2ETests.Session(dir: dir, emulator: emulator, credentials: credentials)
                try credentials.write(to: session.creds)
                try await body(session)
            }
        }
    }

    static func verify(_ session: ExportE2ETests.Session, _ run: String, _ extra: [String] = []) async throws -> CLITests.Run {
        try await CLITests.run(["verify", session.path(run), "--credentials", session.creds] + extra + ExportE2ETests.pace, in: session.dir)
    }

    /// The `--json` report of a verify.
    static func report(_ run: CLITests.Run) throws -> [String: SeriesCheck] {
        struct Report: Decodable { var checks: [SeriesCheck] }
        let line = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("{") }, "\(run.output)")
        return Dictionary(uniqueKeysWithValues: try JSONDecoder().decode(Report.self, from: Data(line.utf8)).checks.map { ($0.series, $0) })
    }

    static func integrationClient(_ session: ExportE2ETests.Session) throws -> IntegrationClient {
        try IntegrationClient(credentials: try #require(try Credentials.load(path: session.creds).integration), transport: HTTPTransport(), requestsPerSecond: 20)
    }

    /// One value inserted with the API's own method, as another tool would.
    static func insert(_ client: IntegrationClient, _ inputID: String, ms: Int64, _ value: Double) async throws {
        struct Frame: Encodable { var times: [String]; var series: [String: [Double]] }
        struct Params: Encodable { var integration: String; var data: Frame }
        struct Result: Decodable {}
        _ = try await client.call("integration.insert", params: Params(integration: client.credentials.integration,
                                                                       data: Frame(times: [ExportE2ETests.rfc3339(ms)], series: [inputID: [value]])), as: Result.self)
    }

    @Test("integration: an untouched import matches; a value changed, one added in range and one removed are each found, exit 8")
    func integration() async throws {
        try await Self.withSession { session in
            let fixture = IntegrationFixture()
            try await session.importIntegration(fixture)
            let clean = try await Self.verify(session, "run-integration")
            #expect(clean.status == 0, "\(clean.output)")
            #expect(clean.output.contains("3 series: 3 match, 0 differ, 0 not read"), "\(clean.output)")
            #expect(clean.output.contains("verify: 3 series in 1 step, about 2 requests"), "\(clean.output)")
            #expect(clean.output.contains("verify: publishing 3 signals without an item as hidden items"), "said before it publishes: \(clean.output)")

            let client = try Self.integrationClient(session)
            try await Self.insert(client, "e2e/a", ms: fixture.times[10], 12345.5)
            try await Self.insert(client, "e2e/b", ms: fixture.times[50] + 30_000, 7)
            let removal = try JSONSerialization.data(withJSONObject: ["integration": session.credentials.integration.integration, "input": "e2e/c",
                                                                      "times": [fixture.times[100] * 1000, fixture.times[101] * 1000]])
            let answer = try await HTTPTransport().send(.POST, session.credentials.ox.apiUrl + "_emulator/integration/remove",
                                                        body: ByteBuffer(bytes: removal), what: "a removal").body
            #expect(String(buffer: answer) == #"{"removed":2}"#)

            let tampered = try await Self.verify(session, "run-integration", ["--json"])
            #expect(tampered.status == 8, "\(tampered.output)")
            let checks = try Self.report(tampered)
            let a = try #require(checks["e2e/a"]), b = try #require(checks["e2e/b"]), c = try #require(checks["e2e/c"])
            #expect(a.outcome == .mismatch && a.valuesDiffer && a.missing == 0 && a.extra == 0 && a.found.count == a.expected.count)
            #expect(b.outcome == .mismatch && b.extra == 1 && b.missing == 0 && b.found.count == b.expected.count + 1)
            #expect(c.outcome == .mismatch && c.missing == 2 && c.extra == 0)
            #expect(c.expected.count == fixture.readings().filter { $0.signal == 2 }.count)

            // A value put back as it was sent: that signal matches again.
            try await Self.insert(client, "e2e/a", ms: fixture.times[10], fixture.values[10][0]!)
            let mended = try Self.report(try await Self.verify(session, "run-integration", ["--json"]))
            #expect(mended["e2e/a"]?.outcome == .match)
        }
    }

    @Test("SIGKILLed after two of its five windows, then run again: it goes on from the windows done, reads each window once more at most, and matches")
    func resume() async throws {
        try await Self.withSession { session in
            // A value a day for 200 days: five 40-day windows.
            try await session.importIntegration(IntegrationFixture(stepSeconds: 86_400, rows: 200))
            let arguments = ["verify", session.path("run-integration"), "--credentials", session.creds, "--json"] + ExportE2ETests.pace
            // Integration requests: a selectSignals, a publishSignals, then a dataFrame per window.
            let rpc = { await session.emulator.stats().byRoute["rpc"] ?? 0 }
            let before = await rpc()
            try await CLITests.runAndKill(arguments, in: session.dir, after: 1, of: "verify: step 2 of 5 done")
            let killed = await rpc() - before
            #expect(killed >= 4 && killed < 7, "\(killed) requests before the kill")
            let again = try await Self.verify(session, "run-integration")
            #expect(again.status == 0, "\(again.output)")
            #expect(again.output.contains("verify: 3 series in 5 steps ("), "\(again.output)")
            #expect(again.output.contains("3 series: 3 match, 0 differ, 0 not read"), "\(again.output)")
            #expect(await rpc() - before <= 9, "each window read once, and the one in flight at the kill again; another selectSignals")
        }
    }

    @Test("rows the API refused are rejects, not values it holds: verify matches on what it took")
    func refused() async throws {
        var configuration = Self.emulator
        configuration.refusedValue = 42
        try await Self.withSession(configuration) { session in
            let fixture = IntegrationFixture()
            try session.dir.write("gateway.csv", fixture.csv())
            try session.dir.write("mapping.yaml", IntegrationFixture.mapping)
            let run = try await CLITests.run(["import", "--credentials", session.creds, "--mapping", session.path("mapping.yaml"), session.path("gateway.csv"),
                                              "--run-dir", session.path("run"), "--verify"] + ExportE2ETests.pace, in: session.dir)
            let refused = fixture.values.filter { $0[0] == 42 }.count
            #expect(refused > 0)
            #expect(run.status == 1, "rows rejected, and the API holds the rest: \(run.output)")
            #expect(run.output.contains("rejected by server-refused: \(refused)"), "\(run.output)")
            #expect(run.output.contains("3 series: 3 match, 0 differ, 0 not read"), "\(run.output)")
        }
    }

    @Test("a run whose answered inserts recorded nothing (a sigport from before verify): said, and not a match")
    func unrecorded() async throws {
        try await Self.withSession { session in
            try await session.importIntegration(IntegrationFixture(rows: 20))
            let queue = try DatabaseQueue(path: session.path("run-integration/checkpoint.sqlite"))
            try await queue.write { try $0.execute(sql: "DELETE FROM sentSeries") }
            let run = try await Self.verify(session, "run-integration")
            #expect(run.status == 8, "\(run.output)")
            #expect(run.output.contains("note: 1 answered inserts have no record of what they sent"), "\(run.output)")
            #expect(run.output.contains("note: the checkpoint records no values sent"), "\(run.output)")
        }
    }

    @Test("--no-publish reads only published signals: the others are reported as not read, exit 8")
    func noPublish() async throws {
        try await Self.withSession { session in
            try await session.importIntegration(IntegrationFixture(rows: 20))
            let run = try await Self.verify(session, "run-integration", ["--no-publish"])
            #expect(run.status == 8, "\(run.output)")
            #expect(run.output.contains("3 series: 0 match, 0 differ, 3 not read"), "\(run.output)")
            #expect(!run.output.contains("publishing"), "\(run.output)")
        }
    }

    @Test("ox: the events a run created match; an event updated and one deleted are found by id, exit 8")
    func ox() async throws {
        try await Self.withSession { session in
            let fixture = OxFixture()
            try await session.importOx(fixture)
            let clean = try await Self.verify(session, "run")
            #expect(clean.status == 0, "\(clean.output)")
            #expect(clean.output.contains("6 series: 6 match, 0 differ, 0 not read"), "\(clean.output)")

            let ledger = try OxImportTests.ledger(session.dir)
            let credentials = try Credentials.load(path: session.creds)
            let ox = try #require(credentials.ox)
            let client = try OxClient(apiUrl: ox.apiUrl, org: ox.orgs[0], transport: HTTPTransport(), requestsPerSecond: 20)
            let changed = ledger[3], deleted = ledger[8]
            let update = try await client.request(.PUT, "event", body: ByteBuffer(string: #"{"\#(changed.id)": {"event_reading": \#(changed.reading + 1)}}"#))
            #expect(update.status == 200, "\(String(decoding: update.data, as: UTF8.self))")
            let removal = try await client.request(.DELETE, "event/\(deleted.id)")
            #expect((200..<300).contains(removal.status))

            let tampered = try await Self.verify(session, "run", ["--json"])
            #expect(tampered.status == 8, "\(tampered.output)")
            let checks = try Self.report(tampered)
            let changedSeries = try #require(checks[changed.sensor + "/" + changed.type]), deletedSeries = try #require(checks[deleted.sensor + "/" + deleted.type])
            #expect(changedSeries.changed == 1 && changedSeries.outcome == .mismatch)
            #expect(deletedSeries.missing == 1 && deletedSeries.extra == nil)
            #expect(checks.values.filter { $0.outcome == .mismatch }.count == (changedSeries.series == deletedSeries.series ? 1 : 2))
        }
    }

    @Test("the fall-back night under ambiguous: infer: import --verify finds all ten readings held")
    func fallBackNight() async throws {
        try await Self.withSession { session in
            let mapping = try session.dir.write("m.yaml", AmbiguousInferTests.wide("infer"))
            let input = try session.dir.write("oslo.csv", AmbiguousInferTests.fallBackNight)
            let run = try await CLITests.run(["import", "--credentials", session.creds, "--mapping", mapping, input, "--run-dir", session.path("run"), "--verify"]
                                             + ExportE2ETests.pace, in: session.dir)
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("pier/v: match expected 10, found 10"), "\(run.output)")
        }
    }

    @Test("duplicates: keep-last: the replaced values are compared by count, and match")
    func keepLast() async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let run = try await DuplicateTimesTests.importDuplicates("keep-last", extra: ["--verify"], in: dir)
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("s-t: match expected 340, found 300"), "\(run.output)")
                #expect(run.output.contains("(40 replaced earlier values: compared by count)"), "\(run.output)")
            }
        }
    }
}
