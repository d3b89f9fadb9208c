import Foundation

/// `sigport plan` on one generated input: the whole offline half of an import — read, map,
/// validate, and build every request body with the importer's own builders — timed as a process,
/// with nothing sent. "Input → request bodies, no network" in the issue is exactly this, and its
/// `--report` gives the rows, values, requests and body bytes the other columns need.
struct PlanScenario {
    struct Result {
        var input: GeneratedInput
        var measured: RepeatedMeasurement
        var report: RunReport
    }

    let input: GeneratedInput

    func run(_ bench: Bench, runs: Int) throws -> Result {
        let name = (input.path as NSString).lastPathComponent
        let directory = try bench.freshDirectory("plan-\(name)")
        let report = directory + "/report.json"
        let process = bench.sigport(["plan", "--mapping", input.mappingPath, input.path, "--run-dir", directory, "--report", report],
                                    log: "plan-\(name)")
        say("  sigport plan \(input.title) × \(runs) …")
        let measured = try RepeatedMeasurement.of(process, runs: runs)
        return Result(input: input, measured: measured, report: try RunReport.read(report))
    }
}

extension PlanScenario.Result {
    /// The row: MB/s of input, rows/s, values/s, peak RSS, and the requests the bodies fill.
    func row(_ scenario: String) -> ResultRow {
        var row = ResultRow(scenario: scenario, input: input.title, measured: measured, bytes: input.bytes,
                            rows: report.total.read, values: report.total.values)
        row.setRequests(from: report)
        let paced = Double(input.bytes) / Double(max(report.bodyBytes, 1)) * Double(report.requests.limit) / 1e6
        row.notes.append(String(format: "builds request bodies %.1f× as fast as the documented pace sends them ", paceMargin)
            + String(format: "(1 request/s of \(GeneratedInput.describe(bytes: report.requests.limit)) takes %.1f MB/s of this input)", paced))
        return row
    }

    /// Body bytes built per second over the bytes the pace sends per second: below 1, this
    /// input's import would wait on sigport rather than on the API.
    var paceMargin: Double { Double(report.bodyBytes) / measured.medianSeconds / Double(report.requests.limit) }

    var megabytesPerSecond: Double { Double(input.bytes) / measured.medianSeconds / 1e6 }
}
