import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what an import would send, and how long it takes at the API's pace, offline.",
        discussion: """
        Runs the whole offline half of an import — read, map, validate, pack into request bodies \
        with the same builders the import uses — and prints the signals (or sensors, beacons and \
        events), values, requests per method, bytes, how full the requests are, the rows that would \
        be rejected by rule, and the time the requests take at each method's documented pace, \
        packed to the declared version's size limit (1.1: 8,000,000 bytes; ox: 9 MiB). Nothing is sent.

        Exit codes as for validate: 0 every row is valid; 1 rows would be rejected; 2 the mapping \
        file is invalid; 3 --max-rejects was exceeded; 4 an input cannot be read.

        Example:
          sigport plan --mapping Mappings/gateway-wide.yaml samples/gateway/
        """)

    @OptionGroup var options: MappingOptions

    @OptionGroup var limits: LimitOptions

    @OptionGroup var api: APIVersionOption

    struct Report: Encodable {
        let rows: MappingRun.Report
        let requests: RequestPlan
        let seconds: Double
        let rowsTooLargeForOneRequest: Int
    }

    func run() async throws {
        do {
            let mapping = try options.loadMapping()
            var planner = UploadPlanner(mapping: mapping, version: api.apiVersion, limit: limits.maxRequestBytes)
            let (rows, mapper) = try Validation.run(options, mapping: mapping) { row, mapper in planner.add(row, signals: mapper.signals) }
            let catalog = planner.finish(signals: mapper.signals, sensors: mapper.sensors, beacons: mapper.beacons)
            let seconds = catalog.seconds { planner.requestsPerSecond(of: $0, override: limits.requestsPerSecond) }
            print(Self.describe(catalog, seconds: seconds))
            if planner.rowsTooLarge > 0 { print("\(planner.rowsTooLarge) rows are too large for one request on their own") }
            try options.writeReport(Report(rows: rows, requests: catalog, seconds: seconds, rowsTooLargeForOneRequest: planner.rowsTooLarge))
            if rows.stoppedByRejectLimit != nil { throw ExitCode(SigportExitCode.rejectLimitExceeded.rawValue) }
            if rows.total.rejected > 0 { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    static func describe(_ plan: RequestPlan, seconds: Double) -> String {
        var lines = ["requests: \(plan.requests), \(plan.bytes) bytes, mean fill \(String(format: "%.1f", plan.meanFill * 100))% of \(plan.limit) bytes"]
        for (method, m) in plan.byMethod.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(method): \(m.requests) requests, \(m.bytes) bytes (largest \(m.largest))")
        }
        lines.append("at the documented pace: \(Self.duration(seconds))")
        return lines.joined(separator: "\n")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
