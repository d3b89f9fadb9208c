import Foundation
import Testing
@testable import Sigport
@testable import SigportEmulator

/// `sigport import` of an ox mapping end to end: the built binary against a real emulator,
/// every event checked field by field against the input.
@Suite("sigport import into the ox API", .serialized)
struct OxImportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let mapping = root.appendingPathComponent("Mappings/wearables-ox.yaml").path
    static let samples = root.appendingPathComponent("samples/wearables").path

    /// An event as a comparable line: sensor fields, beacon fields, type, reading, timestamp (ms).
    struct Expected: Hashable, Comparable, CustomStringConvertible {
        var sensor: [String: String]
        var beacon: [String: String]
        var type: String
        var reading: Int64
        var timestamp: Int64
        var description: String { "\(timestamp) \(type)=\(reading) \(sensor.sorted { $0.key < $1.key }) \(beacon.sorted { $0.key < $1.key })" }
        static func < (a: Expected, b: Expected) -> Bool { a.description < b.description }
    }

    /// The wearables sample read independently of sigport.
    static func expected() throws -> [Expected] {
        var out: [Expected] = []
        let text = try String(contentsOfFile: samples + "/wrist-2024-03-01.jsonl", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let device = row["device"] as! [String: Any], relay = row["relay"] as! [String: Any], payload = row["payload"] as! [String: Any]
            let sensor = ["sensor_id": device["serial"] as! String, "sensor_type": device["model"] as! String, "sensor_version": device["fw"] as! String]
            let beacon = ["beacon_id": relay["id"] as! String, "beacon_env": relay["os"] as! String,
                          "beacon_type": relay["kind"] as! String, "beacon_version": relay["app"] as! String]
            let t = (row["t"] as! NSNumber).int64Value
            for (field, type, scale) in [("hr", "heart_rate", 1.0), ("spo2", "spo2_tenths", 10.0), ("steps", "steps", 1.0)] {
                guard let value = payload[field] as? NSNumber else { continue }
                out.append(Expected(sensor: sensor, beacon: beacon, type: type, reading: Int64((value.doubleValue * scale).rounded()), timestamp: t))
            }
        }
        return out.sorted()
    }

    /// The emulator's events of `org`, resolved to their sensor's and beacon's fields; by id.
    static func stored(_ emulator: Emulator) async throws -> (events: [String: Expected], sensors: Int, beacons: Int) {
        try await emulator.store.read { db in
            func document(_ text: String) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any] }
            func fields(_ doc: [String: Any]) -> [String: String] { doc.compactMapValues { $0 as? String }.filter { !$0.key.hasSuffix("_at") } }
            var entities: [String: [Int64: [String: String]]] = [:]
            for record in try OxEntityRecord.filter(sql: "kind IN ('Sensor', 'Beacon')").fetchAll(db) {
                entities[record.kind, default: [:]][record.id] = fields(try document(record.document))
            }
            var events: [String: Expected] = [:]
            for record in try OxEntityRecord.filter(sql: "kind = 'Event'").fetchAll(db) {
                let doc = try document(record.document)
                let sensor = entities["Sensor"]?[(doc["event_sensor"] as! NSNumber).int64Value] ?? [:]
                let beacon = (doc["event_beacon"] as? NSNumber).flatMap { entities["Beacon"]?[$0.int64Value] } ?? [:]
                events[String(record.id)] = Expected(sensor: sensor, beacon: beacon, type: doc["event_type"] as! String,
                                                     reading: (doc["event_reading"] as! NSNumber).int64Value,
                                                     timestamp: (doc["event_timestamp"] as! NSNumber).int64Value)
            }
            return (events, entities["Sensor"]?.count ?? 0, entities["Beacon"]?.count ?? 0)
        }
    }

    /// Paced at half the emulator's rate (`requestInterval` 50 ms): fault tests count requests,
    /// and an arrival made early by a loaded machine would take a 429 and shift every fault.
    static func arguments(_ dir: URL, extra: [String] = []) -> [String] {
        ["import", "--credentials", dir.appendingPathComponent("creds.json").path, "--mapping", mapping, samples,
         "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "10"] + extra
    }

    static func ledger(_ dir: URL) throws -> [OxEventRecord] { try Checkpoint(directory: dir.appendingPathComponent("run")).oxEvents() }

    @Test("imports the wearables sample: every event field by field, sensors and beacons created once, ledger complete")
    func importSample() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let run = try await CLITests.run(Self.arguments(dir, extra: ["--max-request-bytes", "65536"]), in: dir)
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("rows read 1200 = sent 1200 + rejected 0 + filtered 0"), "\(run.output)")
                #expect(run.output.contains("3596 events created for 2 sensors and 2 beacons; in doubt: 0 requests, 0 events"), "\(run.output)")
                let stored = try await Self.stored(emulator)
                #expect(stored.sensors == 2)
                #expect(stored.beacons == 2)
                #expect(stored.events.values.sorted() == (try Self.expected()))
                let org = credentials.ox.orgs[0].org
                let documents = try await emulator.store.read { db in try String.fetchAll(db, sql: "SELECT document FROM oxEntity WHERE kind = 'Event'") }
                #expect(documents.allSatisfy { $0.contains("\"parent_org\":\(org)") })
                let ledger = try Self.ledger(dir)
                #expect(ledger.count == 3596)
                for entry in ledger {
                    let event = try #require(stored.events[entry.id])
                    #expect(event.type == entry.type && event.reading == entry.reading && event.timestamp == entry.timestampMs && entry.org == org)
                }
                let stats = await emulator.stats()
                #expect(stats.paceViolations == 0)
                #expect(stats.largestBody <= 65536)

                // A second run finds everything done and sends nothing.
                let before = await emulator.stats().requests
                let again = try await CLITests.run(Self.arguments(dir, extra: ["--max-request-bytes", "65536"]), in: dir)
                #expect(again.status == 0, "\(again.output)")
                #expect(await emulator.stats().requests == before)
            }
        }
    }

    @Test("the sent lines count the rows whose events a request carries, not the rejected rows of its range")
    func sentLinesCountSentRows() async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let sample = try String(contentsOfFile: Self.samples + "/wrist-2024-03-01.jsonl", encoding: .utf8)
                let good = sample.split(separator: "\n").prefix(20).map(String.init)
                let input = try dir.write("w.jsonl", (good[..<10] + ["not json", #"{"t":"yesterday"}"#] + good[10...]).joined(separator: "\n") + "\n")
                let run = try await CLITests.run(["import", "--credentials", dir.appendingPathComponent("creds.json").path, "--mapping", Self.mapping, input,
                                                  "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "20", "--max-request-bytes", "4096"], in: dir)
                #expect(run.status == 1, "\(run.output)")
                #expect(run.output.contains("rows read 22 = sent 20 + rejected 2 + filtered 0"), "\(run.output)")
                let sent = run.output.split(separator: "\n").compactMap { line -> Int? in
                    guard let range = line.range(of: "sent POST /event: ") else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                }
                #expect(sent.count > 1, "\(run.output)")
                #expect(sent.reduce(0, +) == 20, "\(run.output)")
            }
        }
    }

    /// A seed whose fault draws spare the first `clean` requests, cut request `clean + 1`, and
    /// spare the next `after` (the emulator draws once per request, and once more on a fault).
    /// The token request is gated like any other, so a rate of 1 would cut it too and no create
    /// would ever be sent: one cut at a chosen request is what the test needs.
    static func seed(rate: Double, clean: Int, after: Int) -> UInt64 {
        for seed in UInt64(1)... {
            var generator = SplitMix64(seed: seed)
            var faults: [Bool] = []
            for _ in 0..<(clean + 1 + after) {
                let roll = Double(generator.next() >> 11) / Double(1 << 53)
                faults.append(roll < rate)
                if roll < rate { _ = generator.next() }
            }
            if faults == Array(repeating: false, count: clean) + [true] + Array(repeating: false, count: after) { return seed }
        }
        fatalError()
    }

    /// Requests: token, POST /sensor, POST /beacon, then the first POST /event is cut after commit.
    static func cutFirstEvents() -> EmulatorConfiguration {
        .init(requestInterval: .milliseconds(50),
              faults: FaultConfiguration(rate: 0.1, kinds: [.cutAfterCommit], seed: seed(rate: 0.1, clean: 3, after: 30)))
    }

    @Test("a POST /event whose answer is lost stops the run (exit 6, in doubt); --in-doubt skip leaves it and goes on")
    func inDoubtSkip() async throws {
        try await withEmulator(Self.cutFirstEvents()) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let small = ["--max-request-bytes", "65536"]
                let first = try await CLITests.run(Self.arguments(dir, extra: small), in: dir)
                #expect(first.status == 6, "\(first.output)")
                #expect(first.output.contains("1 request(s) creating"), "\(first.output)")
                #expect(first.output.contains("--in-doubt resend"), "\(first.output)")
                #expect(try Self.ledger(dir).isEmpty)
                let cut = try await Self.stored(emulator).events.count
                #expect(cut > 0, "the cut request's events were committed")

                // Running again without a decision stops again and sends nothing.
                let before = await emulator.stats().requests
                let again = try await CLITests.run(Self.arguments(dir, extra: small), in: dir)
                #expect(again.status == 6, "\(again.output)")
                #expect(await emulator.stats().requests == before)

                let skip = try await CLITests.run(Self.arguments(dir, extra: small + ["--in-doubt", "skip"]), in: dir)
                #expect(skip.status == 0, "\(skip.output)")
                #expect(skip.output.contains("in doubt: 1 requests, \(cut) events"), "\(skip.output)")
                let stored = try await Self.stored(emulator)
                #expect(stored.events.values.sorted() == (try Self.expected()), "the skipped events exist once (they were committed)")
                #expect(stored.sensors == 2 && stored.beacons == 2)
                let ledger = try Self.ledger(dir)
                #expect(ledger.count == 3596 - cut)
                #expect(ledger.allSatisfy { stored.events[$0.id] != nil })

                // Done: a default run now completes without stopping on the skipped request.
                let last = try await CLITests.run(Self.arguments(dir, extra: small), in: dir)
                #expect(last.status == 0, "\(last.output)")
            }
        }
    }

    @Test("--in-doubt resend sends the in-doubt request again: its events exist twice, the ledger lists each created event")
    func inDoubtResend() async throws {
        try await withEmulator(Self.cutFirstEvents()) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let small = ["--max-request-bytes", "65536"]
                let first = try await CLITests.run(Self.arguments(dir, extra: small), in: dir)
                #expect(first.status == 6, "\(first.output)")
                let cut = try await Self.stored(emulator).events.count
                let resend = try await CLITests.run(Self.arguments(dir, extra: small + ["--in-doubt", "resend"]), in: dir)
                #expect(resend.status == 0, "\(resend.output)")
                #expect(resend.output.contains("in doubt: 0 requests, 0 events"), "\(resend.output)")
                let stored = try await Self.stored(emulator)
                #expect(stored.events.count == 3596 + cut)
                let ledger = try Self.ledger(dir)
                #expect(ledger.count == 3596)
                #expect(ledger.compactMap { stored.events[$0.id] }.sorted() == (try Self.expected()))
            }
        }
    }
}
