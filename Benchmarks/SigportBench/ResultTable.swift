import Foundation

/// The one table `make bench` prints and writes to bench/results.md: every scenario's medians,
/// the extra columns, and each target with met/missed — then the notes the figures need.
struct ResultTable {
    var rows: [ResultRow]

    var checks: [Check] { rows.flatMap(\.checks) }

    func markdown() -> String {
        var text = "| scenario | input | runs | median s | MB/s | rows/s | values/s | peak RSS MB | requests | bytes/request | vs baseline | target | measured | result |\n"
        text += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for row in rows {
            let cells = [
                row.scenario, row.input, row.runs == 0 ? "–" : "\(row.runs)",
                Self.format(row.seconds, "%.2f"), Self.format(row.megabytesPerSecond, "%.1f"),
                Self.count(row.rowsPerSecond), Self.count(row.valuesPerSecond),
                Self.format(row.peakRSSBytes.map { Double($0) / 1e6 }, "%.1f"),
                row.requests.map(String.init) ?? "–", Self.count(row.bytesPerRequest),
                row.versusBaseline ?? "–",
                row.checks.map(\.target).joined(separator: "<br>"),
                row.checks.map(\.measured).joined(separator: "<br>"),
                row.checks.map { $0.met ? "met" : "**missed**" }.joined(separator: "<br>"),
            ]
            text += "| " + cells.map { $0.isEmpty ? "–" : $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        return text
    }

    /// Notes and failures, one bullet each, named by scenario.
    func notes() -> String {
        var text = ""
        for row in rows {
            if let failure = row.failure { text += "- **\(row.scenario)** could not be measured: \(failure)\n" }
            for note in row.notes { text += "- \(row.scenario): \(note)\n" }
        }
        return text
    }

    func summary() -> String {
        let met = checks.filter(\.met).count
        return "\(met) of \(checks.count) targets met."
    }

    private static func format(_ value: Double?, _ format: String) -> String {
        value.map { String(format: format, $0) } ?? "–"
    }

    /// Large counts readably: 1.2M, 853k, 512.
    private static func count(_ value: Double?) -> String {
        guard let value else { return "–" }
        if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
        if value >= 1e4 { return String(format: "%.0fk", value / 1e3) }
        return String(format: "%.0f", value)
    }
}
