import Foundation
import Testing
@testable import SigportEmulator

/// The upload pipeline end to end (built binary, emulator on loopback): requests packed across
/// input files, rows the API refuses isolated and rejected, requests overlapping when answers
/// are slow, and the feedback a user sees.
@Suite("sigport import: packing, refusals, overlap, progress", .serialized)
struct ImportPipelineTests {
    /// The gateway samples cut into files of `rows` rows (each with the header), named so that
    /// the mapping still finds the gateway serial: the same readings in many small files.
    static func splitSamples(into dir: URL, rows: Int, transform: (String) -> String = { $0 }) throws -> URL {
        let parts = dir.appendingPathComponent("parts")
        try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
        for file in ["gw-0042_2024-03.csv", "gw-0107_2024-03.csv"] {
            let lines = try String(contentsOfFile: ImportTests.samples + "/" + file, encoding: .utf8).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            let body = Array(lines.dropFirst())
            for (n, start) in stride(from: 0, to: body.count, by: rows).enumerated() {
                let text = ([lines[0]] + body[start..<min(start + rows, body.count)].map(transform)).joined(separator: "\r\n") + "\r\n"
                try text.write(to: parts.appendingPathComponent("\(file.prefix(7))_part-\(String(format: "%03d", n)).csv"), atomically: true, encoding: .utf8)
            }
        }
        return parts
    }

    static func arguments(_ dir: URL, inputs: String, extra: [String]) -> [String] {
        var arguments = ImportTests.importArguments(dir, extra: extra)
        arguments[arguments.firstIndex(of: ImportTests.samples)!] = inputs
        return arguments
    }

    static func report(_ dir: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))) as! [String: Any]
    }

    @Test("120 small files make full requests: as many as the bytes need, not one per file")
    func packsAcrossFiles() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let parts = try Self.splitSamples(into: dir, rows: 24)
                let limit = 32768
                let run = try await CLITests.run(Self.arguments(dir, inputs: parts.path, extra: [
                    "--max-request-bytes", String(limit), "--report", dir.appendingPathComponent("report.json").path]), in: dir)
                #expect(run.status == 1, "\(run.output)")
                #expect(run.output.contains("rows read 2880 = sent 2879 + rejected 1 + filtered 0"), "\(run.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
                let methods = (try Self.report(dir)["requests"] as! [String: Any])["byMethod"] as! [String: [String: Int]]
                let inserts = methods["integration.insert"]!
                let needed = (inserts["bytes"]! + limit - 1) / limit
                #expect(needed >= 4)
                #expect(inserts["requests"]! <= needed + 1, "\(inserts) for 120 files")
                let stats = await emulator.stats()
                #expect(stats.paceViolations == 0)
                #expect(stats.largestBody <= limit)
            }
        }
    }

    @Test("values the API refuses: the request is split until the rows at fault are alone; they are rejected with the API's message, the rest stored")
    func bisectsRefusals() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(20), refusedValue: 666.5)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                // Two rows (of two files, at the same time as rows of the other gateway) get a refused temperature.
                let poisoned = ["2024-03-01T03:07:00Z,pier", "2024-03-01T11:30:00Z,yard"]
                var refusedTimes = Set<String>()
                let parts = try Self.splitSamples(into: dir, rows: 720) { line in
                    guard let prefix = poisoned.first(where: { line.hasPrefix($0) }) else { return line }
                    refusedTimes.insert(prefix)
                    var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    fields[2] = "666.5"
                    return fields.joined(separator: ",")
                }
                #expect(refusedTimes.count == 2, "the sample has rows at those times")
                let run = try await CLITests.run(Self.arguments(dir, inputs: parts.path, extra: ["--max-request-bytes", "65536", "--requests-per-second", "40"]), in: dir)
                #expect(run.status == 1, "\(run.output)")
                #expect(run.output.contains("rows read 2880 = sent 2877 + rejected 3 + filtered 0"), "\(run.output)")
                let rejects = try String(contentsOf: dir.appendingPathComponent("run/rejects.jsonl"), encoding: .utf8)
                    .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
                let refused = rejects.filter { $0["rule"] as? String == "server-refused" }
                #expect(refused.count == 2)
                #expect(refused.allSatisfy { ($0["message"] as? String)?.contains("666.5 is refused") == true }, "\(refused)")
                // Everything else is stored exactly: the refused rows' values are all left out.
                var expected = try ImportTests.expected()
                let iso = ISO8601DateFormatter()
                for prefix in poisoned {
                    let time = Int64(iso.date(from: String(prefix.prefix(20)))!.timeIntervalSince1970) * 1_000_000
                    let site = prefix.dropFirst(21)
                    for key in expected.keys where key.hasPrefix("\(site)/") {
                        // Only the poisoned gateway's row: the other gateway's row at that time is stored.
                        let serial = site == "pier" ? "gw-0042" : "gw-0107"  // yard
                        if key.contains(serial) { expected[key]![time] = nil }
                    }
                }
                #expect(try await ImportTests.stored(emulator) == expected)
                let reject = try String(contentsOf: dir.appendingPathComponent("run/rejects/gw-0042_part-000.csv"), encoding: .utf8)
                #expect(reject.contains("2024-03-01T03:07:00Z,pier,666.5"), "the reject file holds the row as read: \(reject)")
            }
        }
    }

    @Test("slow answers: up to --max-in-flight requests overlap, still paced, acknowledged in order")
    func overlapsSlowRequests() async throws {
        let slow = FaultConfiguration(rate: 1, kinds: [.delay], seed: 3, delay: .milliseconds(2000))
        try await withEmulator(.init(requestInterval: .milliseconds(100), faults: slow)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let started = ContinuousClock.now
                let run = try await CLITests.run(ImportTests.importArguments(dir, extra: [
                    "--max-request-bytes", "20000", "--requests-per-second", "8", "--max-in-flight", "4",
                    "--report", dir.appendingPathComponent("report.json").path]), in: dir)
                let elapsed = started.duration(to: .now)
                #expect(run.status == 1, "\(run.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
                let requests = (try Self.report(dir)["requests"] as! [String: Any])["byMethod"] as! [String: [String: Int]]
                let count = requests.values.reduce(0) { $0 + $1["requests"]! }
                #expect(count >= 8)
                // The emulator saw requests overlap, never more than --max-in-flight (wall time on a
                // loaded 2-core machine says little; this says what happened).
                let stats = await emulator.stats()
                #expect((2...4).contains(stats.mostAtOnce), "\(stats.mostAtOnce) requests at once; \(count) took \(elapsed)")
                #expect(stats.paceViolations == 0)
            }
        }
    }

    @Test("--json prints progress events whose counts reach the totals; a budget stop tells how much is left")
    func progressAndETA() async throws {
        try await withEmulator(.init(requestInterval: .milliseconds(50))) { (_: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let small = ["--max-request-bytes", "8192"]
                let first = try await CLITests.run(ImportTests.importArguments(dir, extra: small + ["--max-requests", "6"]), in: dir)
                #expect(first.status == 5)
                #expect(first.output.contains("more requests remain"), "\(first.output)")
                let second = try await CLITests.run(ImportTests.importArguments(dir, extra: small + ["--json"]), in: dir)
                #expect(second.status == 1, "\(second.output)")
                let progress = try second.output.split(separator: "\n").filter { $0.hasPrefix(#"{"event":"progress""#) }
                    .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
                #expect(progress.count >= 2)
                let last = try #require(progress.last)
                #expect(last["rowsRead"] as? Int == 2880)
                #expect(last["rowsSent"] as? Int == 2879)
                #expect(last["rejected"] as? Int == 1)
                #expect(last["bytesDone"] as? Int == last["bytesTotal"] as? Int)
            }
        }
    }
}
