import Foundation
import Testing
@testable import SigportEmulator

/// The size limit an import packs to is the one its declared API version publishes, and the
/// emulator, pacing as it does by default, holds every value afterwards: checked on an input that
/// needs several full inserts.
@Suite("sigport import packs to the declared version's size limit", .serialized)
struct RequestLimitTests {
    /// One gateway file with a reading every second: 400,000 rows, about 24 MB of CSV and 21 MB
    /// of insert bodies, so that each version's inserts come out full more than once.
    static func writeInput(in dir: URL) throws -> (path: String, values: Int) {
        let rows = 400_000
        var text = "timestamp,site,temp_c,humidity_pct,pressure_hpa,co2_ppm,door\n"
        text.reserveCapacity(rows * 64)
        let start = 1_709_251_200 // 2024-03-01T00:00:00Z
        let format = ISO8601DateFormatter()
        for i in 0..<rows {
            let time = format.string(from: Date(timeIntervalSince1970: TimeInterval(start + i)))
            text += "\(time),pier,\(Double(i % 4000) / 100 - 10),\(Double(i % 700) / 10 + 20),\(Double(i % 900) / 10 + 960),\(400 + i % 1500),\(i % 7 == 0 ? "OPEN" : "CLOSED")\n"
        }
        let path = dir.appendingPathComponent("gw-0042_2024-03.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, rows * 5)
    }

    @Test("declaring 1.1 every insert stays under 8,000,000 bytes, declaring 1.1beta1 they fill 9 MiB; nothing over the limit or the rate, every value stored",
          arguments: [("1.1", 7_500_000, 8_000_000), ("1.1beta1", 9_000_000, 9 * 1024 * 1024)])
    func packsToTheLimit(version: String, atLeast: Int, atMost: Int) async throws {
        try await withEmulator { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let input = try Self.writeInput(in: dir)
                let run = try await CLITests.run(["import", "--credentials", dir.appendingPathComponent("creds.json").path,
                                                  "--mapping", ImportTests.mapping, input.path,
                                                  "--run-dir", dir.appendingPathComponent("run").path,
                                                  "--api-version", version], in: dir)
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("rows read 400000 = sent 400000 + rejected 0 + filtered 0"), "\(run.output)")
                let stats = await emulator.stats()
                #expect(stats.largestBody <= atMost, "largest body \(stats.largestBody)")
                #expect(stats.largestBody >= atLeast, "largest body \(stats.largestBody): the packer leaves room unused")
                #expect(stats.sizeViolations == 0)
                #expect(stats.paceViolations == 0, "\(stats.paceViolationsByLane)")
                let stored = try await ImportTests.stored(emulator)
                #expect(stored.values.reduce(0) { $0 + $1.count } == input.values)
                #expect(stored["pier/gw-0042/co2"]?[Int64(1_709_251_200 + 1_499) * 1_000_000] == 1_899)
            }
        }
    }

    @Test("a request that times out in the emulator's rate-limit queue (HTTP 200, -32015) is sent again until it is served: every value stored once")
    func queueTimeoutIsRetried() async throws {
        // No queueing allowed: any insert sent inside the 1 s lane's interval times out at once.
        // sigport paced at 4/s sends every second insert too early, and must retry it.
        try await withEmulator(.init(queueLimit: .zero)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let run = try await CLITests.run(["import", "--credentials", dir.appendingPathComponent("creds.json").path,
                                                  "--mapping", ImportTests.mapping, ImportTests.samples,
                                                  "--run-dir", dir.appendingPathComponent("run").path,
                                                  "--max-request-bytes", "20000", "--requests-per-second", "4"], in: dir)
                #expect(run.status == 1, "one sample row is rejected: \(run.output)")
                #expect(run.output.contains("rows read 2880 = sent 2879 + rejected 1 + filtered 0"), "\(run.output)")
                #expect(try await ImportTests.stored(emulator) == (try ImportTests.expected()))
                let stats = await emulator.stats()
                #expect(stats.queueTimeouts > 0, "the test needs timed-out requests: \(stats)")
                #expect(!run.output.contains("(0 retries)"), "\(run.output)")
            }
        }
    }
}
