import Foundation
import Testing
@testable import Sigport

/// The parts of `sigport plan --report` these tests read.
private struct PlanReport: Decodable {
    struct Method: Decodable { let requests: Int; let bytes: Int; let largest: Int }
    struct Requests: Decodable { let limit: Int; let byMethod: [String: Method] }
    let rows: MappingRun.Report
    let requests: Requests
    let seconds: Double
    let rowsTooLargeForOneRequest: Int

    var total: Int { requests.byMethod.values.map(\.requests).reduce(0, +) }
}

private func plan(_ arguments: [String], in dir: URL) async throws -> (CommandRun, PlanReport?) {
    let reportPath = dir.appendingPathComponent("plan-\(UUID().uuidString).json").path
    let run = try await CommandRun.sigport(["plan", "--run-dir", dir.path, "--report", reportPath] + arguments, in: dir)
    let report = try? JSONDecoder().decode(PlanReport.self, from: Data(contentsOf: URL(fileURLWithPath: reportPath)))
    return (run, report)
}

/// `requests: N, …` and `  method: N requests, …` from the printed plan.
private func printedRequests(_ stdout: String) -> (total: Int?, byMethod: [String: Int]) {
    var total: Int?
    var byMethod: [String: Int] = [:]
    for line in lines(stdout) {
        if line.hasPrefix("requests: ") { total = Int(line.dropFirst(10).prefix { $0.isNumber }) }
        if line.hasPrefix("  "), let colon = line.range(of: ": "), line.contains(" requests, ") {
            byMethod[String(line[line.index(line.startIndex, offsetBy: 2)..<colon.lowerBound])] = Int(line[colon.upperBound...].prefix { $0.isNumber })
        }
    }
    return (total, byMethod)
}

@Suite("sigport plan")
struct PlanCommandTests {
    @Test("the gateway sample: one insert, one saveSignals, one token; exit 1 for its one bad row")
    func gateway() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (run, report) = try await plan(["-m", samplePath("Mappings/gateway-wide.yaml"), samplePath("samples/gateway")], in: dir)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr == "")
            let r = try #require(report)
            #expect(r.requests.byMethod.mapValues(\.requests) == ["integration.insert": 1, "integration.saveSignals": 1, "oauth/token": 1])
            #expect(r.total == 3)
            #expect(r.seconds == 3)
            #expect(r.requests.limit == 8_000_000, "1.1's limit less sigport's margin")
            #expect(r.rows.total.values == 14381)
            #expect(r.rows.total.rejected == 1)
            #expect(r.rowsTooLargeForOneRequest == 0)
            let printed = printedRequests(run.stdout)
            #expect(printed.total == 3)
            #expect(printed.byMethod == ["integration.insert": 1, "integration.saveSignals": 1, "oauth/token": 1])
            #expect(lines(run.stdout).first == "rows read 2880 = mapped 2879 + rejected 1 + filtered 0")
            #expect(lines(run.stdout).last == "at the documented pace: 3 s")
        }
    }

    @Test("--api-version 1.1beta1 packs to 9 MiB and speaks its saveSignals dialect")
    func beta1() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (run, report) = try await plan(["-m", samplePath("Mappings/gateway-wide.yaml"), samplePath("samples/gateway"), "--api-version", "1.1beta1"], in: dir)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(try #require(report).requests.limit == 9 * 1024 * 1024)
        }
    }

    @Test("--max-request-bytes 20000 splits the inserts, each within the limit")
    func split() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let arguments = ["-m", samplePath("Mappings/gateway-wide.yaml"), samplePath("samples/gateway")]
            let (_, whole) = try await plan(arguments, in: dir)
            let (run, report) = try await plan(arguments + ["--max-request-bytes", "20000"], in: dir)
            #expect(run.status == 1, "\(run.stderr)")
            let r = try #require(report)
            let inserts = try #require(r.requests.byMethod["integration.insert"])
            #expect(inserts.requests > 1)
            #expect(inserts.largest <= 20000)
            #expect(inserts.bytes > (try #require(whole?.requests.byMethod["integration.insert"])).bytes)
            #expect(r.requests.byMethod["integration.saveSignals"]?.requests == 1)
            #expect(r.requests.byMethod["integration.saveSignals"].map { $0.largest <= 20000 } == true)
            #expect(r.total > (try #require(whole)).total)
            #expect(r.total == inserts.requests + 2)
            #expect(printedRequests(run.stdout).total == r.total)
            #expect(printedRequests(run.stdout).byMethod["integration.insert"] == inserts.requests)
            #expect(r.rows.total.values == 14381)
        }
    }

    @Test("the PLC sample (long) and the wearables sample (ox)")
    func otherSamples() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (plc, plcReport) = try await plan(["-m", samplePath("Mappings/plc-long.yaml"), samplePath("samples/plc/line-3_2024-03-31.csv")], in: dir)
            #expect(plc.status == 0, "\(plc.stderr)")
            #expect(plcReport?.requests.byMethod.mapValues(\.requests) == ["integration.insert": 1, "integration.saveSignals": 1, "oauth/token": 1])

            let (ox, oxReport) = try await plan(["-m", samplePath("Mappings/wearables-ox.yaml"), samplePath("samples/wearables")], in: dir)
            #expect(ox.status == 0, "\(ox.stderr)")
            let r = try #require(oxReport)
            #expect(r.requests.byMethod.mapValues(\.requests) == ["POST /event": 1, "POST /sensor": 1, "POST /beacon": 1, "GET /client/token": 1])
            #expect(r.rows.total.values == 3596)
            #expect(lines(ox.stdout).contains("3596 events for 2 sensors and 2 beacons"))

            let (small, smallReport) = try await plan(["-m", samplePath("Mappings/wearables-ox.yaml"), "--max-request-bytes", "20000", samplePath("samples/wearables")], in: dir)
            #expect(small.status == 0)
            let events = try #require(smallReport?.requests.byMethod["POST /event"])
            #expect(events.requests > 1)
            #expect(events.largest <= 20000)
        }
    }

    @Test("exit codes as for validate: 1 with rejects, 2 for a broken mapping, 3 past --max-rejects, 4 for a missing input, 64 for a tiny limit")
    func exitCodes() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", minuteMapping)
            let input = try dir.write("in.csv", minuteCSV(rows: 10, bad: [2, 4, 6]))
            let (rejects, report) = try await plan(["-m", mapping, input], in: dir)
            #expect(rejects.status == 1)
            #expect(report?.rows.total.rejected == 3)
            #expect(report?.requests.byMethod["integration.insert"]?.requests == 1)

            #expect(try await plan(["-m", mapping, "--max-rejects", "1", input], in: dir).0.status == 3)
            let broken = try dir.write("broken.yaml", minuteMapping.replacingOccurrences(of: "target: integration", with: "target: integratoin"))
            let (brokenRun, _) = try await plan(["-m", broken, input], in: dir)
            #expect(brokenRun.status == 2)
            #expect(brokenRun.stderr == "sigport: Error in the mapping file: \(broken):2: target: must be one of integration, ox, not \"integratoin\" (did you mean \"integration\"?)\n")
            #expect(try await plan(["-m", mapping, dir.path + "/none.csv"], in: dir).0.status == 4)
            let (tiny, _) = try await plan(["-m", mapping, "--max-request-bytes", "100", input], in: dir)
            #expect(tiny.status == 64)
            #expect(tiny.stderr.contains("--max-request-bytes must be at least 1024."))
        }
    }
}
