/// Request fill: at 1 request/second a load's wall time is its request count, so the count must
/// be within 2% of the fewest requests its body bytes could travel in at 9 MiB each. Every
/// request counts — the token fetch and `saveSignals` take a slot of the pace like an insert.
struct RequestFillCheck {
    static let maxRequestBytes = 9 * 1024 * 1024
    static let tolerance = 1.02

    let plan: PlanScenario.Result

    func row() -> ResultRow {
        let report = plan.report
        var row = ResultRow(scenario: "request fill, wide CSV at 9 MiB a request (`sigport plan`)", input: plan.input.title)
        row.setRequests(from: report)
        let fewest = (report.bodyBytes + Self.maxRequestBytes - 1) / Self.maxRequestBytes
        let ratio = Double(report.requestCount) / Double(max(fewest, 1))
        row.checks = [Check(target: "requests ≤ 1.02 × ⌈body bytes / 9 MiB⌉",
                            measured: String(format: "%d vs ⌈%d / 9 MiB⌉ = %d (%.3f×)", report.requestCount, report.bodyBytes, fewest, ratio),
                            met: ratio <= Self.tolerance)]
        row.notes.append("requests: \(report.breakdown).")
        let extra = report.requestCount - fewest
        if ratio > Self.tolerance && extra > 0 {
            // Requests beyond the fewest are mostly fixed (token fetch, saveSignals): say from what
            // size of load they would fit the tolerance, so a miss on a small load reads right.
            let needed = Int((Double(extra) / (Self.tolerance - 1)).rounded(.up))
            row.notes.append("\(extra) requests over the fewest possible (\(fewest)); at that many extra, a load needs at least \(needed) requests (about \(GeneratedInput.describe(bytes: needed * Self.maxRequestBytes)) of body) to be within 2%.")
        }
        return row
    }
}
