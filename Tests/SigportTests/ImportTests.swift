import Foundation
import GRDB
import Testing
@testable import SigportEmulator
import Sigport

/// `sigport import` end to end: the built binary against a real emulator on loopback, checked
/// value by value against the input.
@Suite("sigport import against the emulator", .serialized)
struct ImportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let mapping = root.appendingPathComponent("Mappings/gateway-wide.yaml").path
    static let samples = root.appendingPathComponent("samples/gateway").path

    /// The gateway samples read independently of sigport: input ID → time (µs) → value.
    static func expected() throws -> [String: [Int64: Double]] {
        var out: [String: [Int64: Double]] = [:]
        let iso = ISO8601DateFormatter()
        for file in ["gw-0042_2024-03.csv", "gw-0107_2024-03.csv"] {
            let serial = String(file.dropFirst(3).prefix(4))
            let text = try String(contentsOfFile: samples + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\r\n").dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard let date = iso.date(from: f[0]) else { continue } // the sample's one bad timestamp
                let t = Int64(date.timeIntervalSince1970) * 1_000_000
                let base = "\(f[1])/gw-\(serial)/"
                for (column, name) in [(2, "temperature"), (3, "humidity"), (4, "pressure"), (5, "co2")] where !f[column].isEmpty {
                    out[base + name, default: [:]][t] = Double(f[column])!
                }
                out[base + "door", default: [:]][t] = f[6] == "OPEN" ? 1 : 0
            }
        }
        return out
    }

    static func stored(_ emulator: Emulator) async throws -> [String: [Int64: Double]] {
        try await emulator.store.read { db in
            var out: [String: [Int64: Double]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, inputID FROM signal") {
                let series = try SampleSegments.fetch(db, signalID: row[0], from: .min, to: .max)
                if !series.times.isEmpty { out[row[1]] = Dictionary(uniqueKeysWithValues: zip(series.times, series.values)) }
            }
            return out
        }
    }

    static func importArguments(_ dir: URL, extra: [String] = []) -> [String] {
        ["import", "--credentials", dir.appendingPathComponent("creds.json").path, "--mapping", mapping, samples,
         "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "20"] + extra
    }

    @Test("imports the gateway samples: every value stored exactly, metadata saved, no 429, no request over the limit")
    func importSamples() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let reportPath = dir.appendingPathComponent("report.json").path
                let run = try await CLITests.run(Self.importArguments(dir, extra: ["--report", reportPath]), in: dir)
                #expect(run.status == 1, "one sample row is rejected: \(run.output)")
                #expect(run.output.contains("rows read 2880 = sent 2879 + rejected 1 + filtered 0"), "\(run.output)")
                // Per input, with its rejects by rule, and all rejects by rule: in the summary and the report.
                #expect(run.output.contains("gw-0107_2024-03.csv: read 1440, sent 1439, rejected 1 (timestamp-format 1), filtered 0"), "\(run.output)")
                #expect(run.output.contains("gw-0042_2024-03.csv: read 1440, sent 1440, rejected 0, filtered 0"), "\(run.output)")
                #expect(run.output.contains("  rejected by timestamp-format: 1"), "\(run.output)")
                let report = try JSONDecoder().decode(Importer.Report.self, from: Data(contentsOf: URL(fileURLWithPath: reportPath)))
                #expect(report.total.rejectsByRule == ["timestamp-format": 1])
                #expect(report.files.map(\.counts.rejectsByRule) == [[:], ["timestamp-format": 1]])
                #expect(try await Self.stored(emulator) == (try Self.expected()))
                let stats = await emulator.stats()
                #expect(stats.paceViolations == 0)
                #expect(stats.sizeViolations == 0)
                let name = try await emulator.store.read { db in
                    try String.fetchOne(db, sql: "SELECT document FROM signal WHERE inputID = 'pier/gw-0042/temperature'")
                }
                #expect(name?.contains("\"name\":\"Temperature, pier\"") == true)
                #expect(name?.contains("\"engUnit\":\"°C\"") == true)
                let rejects = try String(contentsOf: dir.appendingPathComponent("run/rejects.jsonl"), encoding: .utf8)
                #expect(rejects.contains("\"line\":1002") && rejects.contains("timestamp-format"))

                // A second run finds everything done and sends nothing.
                let before = await emulator.stats().requests
                let again = try await CLITests.run(Self.importArguments(dir), in: dir)
                #expect(again.status == 1)
                #expect(await emulator.stats().requests == before)
            }
        }
    }

    @Test("a budget stop (--max-requests) exits 5 and the next run completes it, nothing sent twice")
    func budget() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let small = ["--max-request-bytes", "8192"]
                let first = try await CLITests.run(Self.importArguments(dir, extra: small + ["--max-requests", "5"]), in: dir)
                #expect(first.status == 5, "\(first.output)")
                #expect(first.output.contains("stopped: the request budget of 5 is used"))
                // A budget smaller than the first step (its signals' metadata, then its values)
                // says so, rather than that a budget nothing was sent from is used.
                let tight = try await CLITests.run(Self.importArguments(dir, extra: small + ["--max-requests", "1", "--run-dir", dir.appendingPathComponent("tight").path]), in: dir)
                #expect(tight.status == 5, "\(tight.output)")
                #expect(tight.output.contains("stopped: the next step takes 2 requests (its signals' metadata, then its values) and the request budget of 1 has 1 left"), "\(tight.output)")
                // Nothing was sent from it: status says so, not "requests: , 0 bytes".
                let status = try await CLITests.run(["status", dir.appendingPathComponent("tight").path], in: dir)
                #expect(status.status == 0 && status.output.contains("requests: none sent yet"), "\(status.output)")
                let second = try await CLITests.run(Self.importArguments(dir, extra: small), in: dir)
                #expect(second.status == 1, "\(second.output)")
                #expect(try await Self.stored(emulator) == (try Self.expected()))
                let inserts = await emulator.stats().byRoute["rpc"] ?? 0
                #expect(inserts > 5)
            }
        }
    }

    @Test("killed (SIGKILL) at several points and resumed: every value stored exactly once")
    func killAndResume() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let arguments = Self.importArguments(dir, extra: ["--max-request-bytes", "6000"])
                for killAfter in [3, 9, 17] {
                    try await CLITests.runAndKill(arguments, in: dir, after: killAfter, of: "sent integration.insert")
                }
                let last = try await CLITests.run(arguments, in: dir)
                #expect(last.status == 1, "\(last.output)")
                #expect(last.output.contains("rows read 2880 = sent 2879 + rejected 1 + filtered 0"), "\(last.output)")
                #expect(try await Self.stored(emulator) == (try Self.expected()))
                let rejects = try String(contentsOf: dir.appendingPathComponent("run/rejects.jsonl"), encoding: .utf8)
                #expect(rejects.split(separator: "\n").count == 1, "each rejected row is listed once")
            }
        }
    }

    @Test("with 30% faults (500, 503, 429, cut connections) the import completes exactly, within the limits")
    func faults() async throws {
        let faults = FaultConfiguration(rate: 0.3, kinds: [.error500, .error503, .tooManyRequests, .cutAfterCommit], seed: 7)
        // The emulator judges a 40 ms pace, sigport keeps 120 ms (10 rps + margin): cut connections
        // reconnect, and debug builds of every suite at once on 2 cores delay a request between its
        // paced departure and its arrival by tens of ms — jitter a real 1 s pace absorbs.
        try await withEmulator(.init(requestInterval: .milliseconds(40), faults: faults)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let run = try await CLITests.run(Self.importArguments(dir, extra: ["--max-request-bytes", "16384", "--requests-per-second", "10"]), in: dir)
                #expect(run.status == 1, "\(run.output)")
                #expect(run.output.contains("retries"), "\(run.output)")
                #expect(try await Self.stored(emulator) == (try Self.expected()))
                let stats = await emulator.stats()
                #expect(stats.paceViolations == 0)
                // 429s are sent again below the retries: the statuses still count each one.
                let refused = try #require(stats.faults["429"])
                #expect(run.output.contains("429 ×\(refused)"), "\(run.output)")
                #expect(stats.largestBody <= 16384)
                #expect(stats.faults.values.reduce(0, +) > 0)
            }
        }
    }

    @Test("refuses to resume when an input changed, saying what changed")
    func changedInput() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let input = dir.appendingPathComponent("gw-0042_2024-03.csv")
                try FileManager.default.copyItem(atPath: Self.samples + "/gw-0042_2024-03.csv", toPath: input.path)
                var arguments = Self.importArguments(dir, extra: ["--max-request-bytes", "8192", "--max-requests", "2"])
                arguments[arguments.firstIndex(of: Self.samples)!] = input.path
                #expect(try await CLITests.run(arguments, in: dir).status == 5)
                let handle = try FileHandle(forWritingTo: input)
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("2024-03-02T00:00:00Z,pier,1,2,3,4,OPEN\r\n".utf8))
                try handle.close()
                let refused = try await CLITests.run(arguments, in: dir)
                #expect(refused.status == 4)
                #expect(refused.output.contains("gw-0042_2024-03.csv grew from"), "\(refused.output)")
            }
        }
    }

    /// How an input changed between a half-done run and its resume.
    enum InputChange: String, Sendable { case truncated, rewrittenSameSize }

    @Test("refuses to resume an input that shrank or has other content at the same size, leaving the checkpoint as it was; restored, the run resumes exactly",
          arguments: [InputChange.truncated, .rewrittenSameSize])
    func shrunkOrRewrittenInput(change: InputChange) async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let inputs = dir.appendingPathComponent("gateway")
                try FileManager.default.copyItem(atPath: Self.samples, toPath: inputs.path)
                var arguments = Self.importArguments(dir, extra: ["--max-request-bytes", "8192", "--requests-per-second", "25"])
                arguments[arguments.firstIndex(of: Self.samples)!] = inputs.path
                #expect(try await CLITests.run(arguments + ["--max-requests", "2"], in: dir).status == 5)
                let input = inputs.appendingPathComponent("gw-0042_2024-03.csv")
                let original = try Data(contentsOf: input)
                let runDirectory = dir.appendingPathComponent("run")
                let before = try RunDirectoryFaultTests.snapshot(runDirectory)
                let sent = await RunDirectoryFaultTests.rpcRequests(emulator)
                let how: String
                switch change {
                case .truncated:
                    try original.prefix(original.count / 2).write(to: input)
                    how = "shrank from \(original.count) to \(original.count / 2) bytes"
                case .rewrittenSameSize:
                    // One digit of a reading past the rows already sent, changed in place.
                    var changed = original
                    let at = changed.lastIndex { (UInt8(ascii: "0")...UInt8(ascii: "8")).contains($0) }!
                    changed[at] += 1
                    try changed.write(to: input)
                    how = "has other content"
                }
                let refused = try await CLITests.run(arguments, in: dir)
                #expect(refused.status == 4, "\(refused.output)")
                #expect(refused.output.contains("gw-0042_2024-03.csv \(how) since this run started."), "\(refused.output)")
                #expect(refused.output.contains("Restore the file to resume, or load the new content as a new run with another --run-dir"))
                #expect(try RunDirectoryFaultTests.snapshot(runDirectory) == before, "the checkpoint is as it was")
                #expect(await RunDirectoryFaultTests.rpcRequests(emulator) == sent, "nothing is sent")
                try original.write(to: input)
                let resumed = try await CLITests.run(arguments, in: dir)
                #expect(resumed.status == 1, "the sample's one bad row: \(resumed.output)")
                #expect(resumed.output.contains("rows read 2880 = sent 2879 + rejected 1 + filtered 0"), "\(resumed.output)")
                #expect(try await Self.stored(emulator) == (try Self.expected()))
            }
        }
    }
    /// A gateway export of `rows` rows a second apart from 2024-03-01 (about 50 bytes a row),
    /// and what it holds: input ID → time (µs) → value.
    static func largeGatewayFile(rows: Int) -> (text: String, expected: [String: [Int64: Double]]) {
        var text = "timestamp,site,temp_c,humidity_pct,pressure_hpa,co2_ppm,door\r\n"
        var expected: [String: [Int64: Double]] = [:]
        let start: Int64 = 1_709_251_200
        let iso = ISO8601DateFormatter()
        for i in 0..<rows {
            let t = start + Int64(i)
            let temp = Double(i % 4000) / 100, humidity = Double(i % 900) / 10
            text += "\(iso.string(from: Date(timeIntervalSince1970: Double(t)))),pier,\(temp),\(humidity),1013.5,\(400 + i % 97),\(i % 2 == 0 ? "OPEN" : "CLOSED")\r\n"
            for (name, value) in [("temperature", temp), ("humidity", humidity), ("pressure", 1013.5), ("co2", Double(400 + i % 97)), ("door", Double(1 - i % 2))] {
                expected["pier/gw-0042/" + name, default: [:]][t * 1_000_000] = value
            }
        }
        return (text, expected)
    }

    @Test("refuses to resume an input edited, at the same size, inside the rows already sent and past its first and last MiB, naming the bytes; nothing is sent; restored (a new modification time, the same bytes), the run resumes exactly")
    func editedInTheMiddle() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let input = dir.appendingPathComponent("gw-0042_2024-03.csv")
                let (text, expected) = Self.largeGatewayFile(rows: 150_000)
                let original = Data(text.utf8)
                try original.write(to: input)
                var arguments = Self.importArguments(dir, extra: ["--max-request-bytes", "2000000", "--requests-per-second", "25"])
                arguments[arguments.firstIndex(of: Self.samples)!] = input.path
                let first = try await CLITests.run(arguments + ["--max-requests", "3"], in: dir)
                #expect(first.status == 5, "\(first.output)")
                let runDirectory = dir.appendingPathComponent("run")
                let done = try #require(try Checkpoint(directory: runDirectory).inputs().first).byteOffsetDone
                // A digit of a row already sent, outside what the size-and-ends fingerprint hashes.
                var changed = original
                let at = try #require(changed[..<Int(done)].lastIndex { (UInt8(ascii: "0")...UInt8(ascii: "8")).contains($0) })
                try #require(at > 1 << 20 && at < original.count - (1 << 20), "the edit is \(at) bytes in, of \(original.count); \(done) were done")
                changed[at] += 1
                try changed.write(to: input)
                let before = try RunDirectoryFaultTests.snapshot(runDirectory)
                let sent = await RunDirectoryFaultTests.rpcRequests(emulator)
                let refused = try await CLITests.run(arguments, in: dir)
                #expect(refused.status == 4, "\(refused.output)")
                let block = Int64(at) / ContentRun.blockSize * ContentRun.blockSize
                #expect(refused.output.contains("gw-0042_2024-03.csv has other content since this run read it (a change in bytes \(block)–"), "\(refused.output)")
                #expect(refused.output.contains("Restore the file to resume"), "\(refused.output)")
                #expect(try RunDirectoryFaultTests.snapshot(runDirectory) == before, "the checkpoint is as it was")
                #expect(await RunDirectoryFaultTests.rpcRequests(emulator) == sent, "nothing is sent")
                try original.write(to: input)
                let resumed = try await CLITests.run(arguments, in: dir)
                #expect(resumed.status == 0, "\(resumed.output)")
                #expect(resumed.output.contains("rows read 150000 = sent 150000 + rejected 0 + filtered 0"), "\(resumed.output)")
                #expect(try await Self.stored(emulator) == expected)
            }
        }
    }
    @Test("a NUL byte in a rejected field is kept whole in rejects.jsonl, which an import writes from its checkpoint: value, message and raw line")
    func nulInRejectedField() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let input = dir.appendingPathComponent("gw-0042_2024-03.csv")
                let text = "timestamp,site,temp_c,humidity_pct,pressure_hpa,co2_ppm,door\r\n"
                    + "2024-03-01T00:00:00Z,pier,1\u{0}5,70,1013,400,OPEN\r\n"
                    + "2024-03-01T00:01\u{0}:00Z,pier,2,70,1013,400,OPEN\r\n"
                    + "2024-03-01T00:02:00Z,pier,3,70,1013,400,OPEN\r\n"
                try Data(text.utf8).write(to: input)
                var arguments = Self.importArguments(dir)
                arguments[arguments.firstIndex(of: Self.samples)!] = input.path
                let run = try await CLITests.run(arguments, in: dir)
                #expect(run.status == 1, "\(run.output)")
                let rejects = try lines(String(contentsOf: dir.appendingPathComponent("run/rejects.jsonl"), encoding: .utf8))
                    .map { try JSONDecoder().decode(RejectLine.self, from: Data($0.utf8)) }
                #expect(rejects.map(\.rule) == ["number", "timestamp-format"])
                #expect(rejects.map(\.value) == ["1\u{0}5", "2024-03-01T00:01\u{0}:00Z"])
                #expect(rejects.map(\.raw) == ["2024-03-01T00:00:00Z,pier,1\u{0}5,70,1013,400,OPEN", "2024-03-01T00:01\u{0}:00Z,pier,2,70,1013,400,OPEN"])
                for reject in rejects where reject.message.contains("2024-03-01T00:01") {
                    #expect(reject.message.contains("2024-03-01T00:01\u{0}:00Z"), "\(reject.message)")
                }
            }
        }
    }
}
