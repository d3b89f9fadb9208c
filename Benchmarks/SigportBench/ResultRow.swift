import Foundation

/// One of the targets checked against a figure of this run. The threshold is the issue's
/// own; a miss is printed as a miss.
struct Check {
    var target: String
    var measured: String
    var met: Bool
}

/// One line of the results table: a scenario's medians, its extra columns where they mean
/// something (nil prints as "–"), and the targets it answers for.
struct ResultRow {
    var scenario: String
    var input: String
    var runs = 0
    /// The median wall time of a run.
    var seconds: Double?
    /// Megabytes a second of input (of output, for export).
    var megabytesPerSecond: Double?
    var rowsPerSecond: Double?
    var valuesPerSecond: Double?
    var peakRSSBytes: Int?
    var requests: Int?
    var bytesPerRequest: Double?
    /// This scenario against its baseline of the same run: "1.7× Miller".
    var versusBaseline: String?
    var checks: [Check] = []
    /// What the figures need to be read right (how it was measured, where it falls short of the
    /// issue's conditions), printed under the table.
    var notes: [String] = []
    /// Why the scenario could not be measured, if it could not.
    var failure: String?

    init(scenario: String, input: String) {
        self.scenario = scenario
        self.input = input
    }

    /// The figures every whole-process scenario has, from its measurement: input bytes, rows and
    /// values per second of the median run, and the highest peak RSS.
    init(scenario: String, input: String, measured: RepeatedMeasurement, bytes: Int, rows: Int?, values: Int?) {
        self.init(scenario: scenario, input: input)
        let seconds = measured.medianSeconds
        self.runs = measured.runs.count
        self.seconds = seconds
        megabytesPerSecond = Double(bytes) / seconds / 1e6
        rowsPerSecond = rows.map { Double($0) / seconds }
        valuesPerSecond = values.map { Double($0) / seconds }
        peakRSSBytes = measured.peakRSSBytes
    }

    /// The request columns from sigport's report: every request (token fetches too, as each takes
    /// a slot of the pace), and body bytes over the requests that carry one.
    mutating func setRequests(from report: RunReport) {
        requests = report.requestCount
        bytesPerRequest = Double(report.bodyBytes) / Double(max(report.requestsWithBody, 1))
    }

    /// Runs one scenario; one that throws leaves a row saying why, its targets not measured, and
    /// the bench goes on with the next.
    static func attempt(_ scenario: String, input: String, targets: [String] = [], _ body: () throws -> [ResultRow]) -> [ResultRow] {
        do { return try body() } catch {
            say("  \(scenario): \(error)")
            return [.failed(scenario, input: input, targets: targets, error: error)]
        }
    }

    /// A row for a scenario that failed, so the table still shows each target.
    static func failed(_ scenario: String, input: String, targets: [String], error: Error) -> ResultRow {
        var row = ResultRow(scenario: scenario, input: input)
        row.failure = "\(error)"
        row.checks = targets.map { Check(target: $0, measured: "not measured", met: false) }
        return row
    }
}
