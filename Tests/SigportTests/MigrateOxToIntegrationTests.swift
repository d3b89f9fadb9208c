import Foundation
import Testing
@testable import SigportEmulator

/// `sigport migrate ox-to-integration` end to end: the wearables sample imported into an ox org,
/// then moved onto the integration API, every value checked against the input.
@Suite("sigport migrate ox-to-integration", .serialized)
struct MigrateOxToIntegrationTests {
    /// An emulator with the wearables sample imported into its ox org (ledger in `run/`): the
    /// scratch directory, the credentials file, the org.
    static func withImportedSample(_ body: @escaping @Sendable (URL, String, String, Emulator) async throws -> Void) async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                let creds = dir.appendingPathComponent("creds.json").path
                try credentials.write(to: creds)
                let org = try #require(credentials.ox.orgs.first?.org)
                let imported = try await CLITests.run(["import", "--credentials", creds, "--mapping", OxImportTests.mapping, OxImportTests.samples,
                                                       "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "10"], in: dir)
                try #require(imported.status == 0, "\(imported.output)")
                try await body(dir, creds, org, emulator)
            }
        }
    }

    @Test("every event becomes the value of its sensor × type signal, exactly; a second run sends nothing; verify matches")
    func oxToIntegration() async throws {
        try await Self.withImportedSample { dir, creds, org, emulator in
            let migrate = ["migrate", "ox-to-integration", "--credentials", creds, "--from-org", org,
                           "--events-from", dir.appendingPathComponent("run").path, "--run-dir", dir.appendingPathComponent("m").path,
                           "--requests-per-second", "10", "--max-request-bytes", "16384", "--enum", "steps=0:none"]
            let run = try await CLITests.run(migrate, in: dir)
            // Step counts are small integers: as enum keys (0-9999) they make an enum signal.
            #expect(run.status == 0, "\(run.output)")
            var expected: [String: [Int64: Double]] = [:]
            for event in try OxImportTests.expected() {
                expected["\(event.sensor["sensor_id"]!)/\(event.type)", default: [:]][event.timestamp * 1000] = Double(event.reading)
            }
            #expect(try await ImportTests.stored(emulator) == expected)
            let documents = try await emulator.store.read { db in
                try Dictionary(uniqueKeysWithValues: SignalRecord.fetchAll(db).map { ($0.inputID, $0.document) })
            }
            let steps = try #require(documents.first { $0.key.hasSuffix("/steps") }?.value)
            #expect(steps.contains(#""valueType":"enum""#), "\(steps)")
            let heart = try #require(documents.first { $0.key.hasSuffix("/heart_rate") }?.value)
            #expect(heart.contains(#""sensor_type":["wrist\/v2"]"#) || heart.contains(#""sensor_type":["wrist/v2"]"#), "\(heart)")
            #expect(await emulator.stats().paceViolations == 0)

            let before = await emulator.stats().byRoute["rpc"] ?? 0
            let again = try await CLITests.run(migrate, in: dir)
            #expect(again.status == 0, "\(again.output)")
            #expect(await emulator.stats().byRoute["rpc"] ?? 0 == before, "a finished migration sends nothing again")

            // verify reads back the migration's inserts, from its checkpoint alone.
            let verify = try await CLITests.run(["verify", dir.appendingPathComponent("m").path, "--credentials", creds, "--requests-per-second", "10"], in: dir)
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.output.contains("\(expected.count) series: \(expected.count) match, 0 differ, 0 not read"), "\(verify.output)")
        }
    }

    @Test("a signal says what its number is: the reading as ox stores it by default; --scale spo2_tenths=0.1 undoes the import's scale (94.3, not 943 or 94.30000000000001)")
    func scale() async throws {
        try await Self.withImportedSample { dir, creds, org, emulator in
            let run = try await CLITests.run(["migrate", "ox-to-integration", "--credentials", creds, "--from-org", org,
                                              "--events-from", dir.appendingPathComponent("run").path, "--run-dir", dir.appendingPathComponent("m").path,
                                              "--requests-per-second", "10", "--scale", "spo2_tenths=0.1"], in: dir)
            #expect(run.status == 0, "\(run.output)")
            var expected: [String: [Int64: Double]] = [:]
            for event in try OxImportTests.expected() {
                let value = event.type == "spo2_tenths" ? Double(event.reading) / 10 : Double(event.reading)
                expected["\(event.sensor["sensor_id"]!)/\(event.type)", default: [:]][event.timestamp * 1000] = value
            }
            #expect(try await ImportTests.stored(emulator) == expected)
            let documents = try await emulator.store.read { db in
                try Dictionary(uniqueKeysWithValues: SignalRecord.fetchAll(db).map { ($0.inputID, $0.document) })
            }
            let spo2 = try #require(documents.first { $0.key.hasSuffix("/spo2_tenths") }?.value)
            #expect(spo2.contains("event type spo2_tenths × 0.1."), "\(spo2)")
            let heart = try #require(documents.first { $0.key.hasSuffix("/heart_rate") }?.value)
            #expect(heart.contains("as ox stores it (an integer; a scale an import applied is not undone"), "\(heart)")
            let bad = try await CLITests.run(["migrate", "ox-to-integration", "--credentials", creds, "--from-org", org, "--scale", "spo2_tenths=0"], in: dir)
            #expect(bad.status == 64 && bad.output.contains("--scale takes type=factor"), "\(bad.output)")
        }
    }

    @Test("two events of one sensor × type at one millisecond: one becomes the value, the other is reported, not overwritten silently")
    func sameTime() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                let creds = dir.appendingPathComponent("creds.json").path
                try credentials.write(to: creds)
                let line = #"{"t":1709251200630,"device":{"serial":"W-17","model":"wrist/v2","fw":"2.1.4"},"relay":{"id":"phone-3","os":"Android 14","kind":"phone","app":"4.2.0"},"payload":{"hr":HR}}"#
                let input = try dir.write("twice.jsonl", line.replacingOccurrences(of: "HR", with: "97") + "\n" + line.replacingOccurrences(of: "HR", with: "98") + "\n")
                let imported = try await CLITests.run(["import", "--credentials", creds, "--mapping", OxImportTests.mapping, input,
                                                       "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "10"], in: dir)
                #expect(imported.status == 0, "ox keeps both: \(imported.output)")
                let run = try await CLITests.run(["migrate", "ox-to-integration", "--credentials", creds, "--from-org", credentials.ox.orgs[0].org,
                                                  "--events-from", dir.appendingPathComponent("run").path, "--run-dir", dir.appendingPathComponent("m").path,
                                                  "--requests-per-second", "10"], in: dir)
                #expect(run.status == 1, "\(run.output)")
                #expect(run.output.contains("1 events as values of 1 signals; 1 events not migrated"), "\(run.output)")
                #expect(run.output.contains("already has event"), "\(run.output)")
                let stored = try await ImportTests.stored(emulator)
                #expect(stored.values.map(\.count) == [1])
            }
        }
    }
}
