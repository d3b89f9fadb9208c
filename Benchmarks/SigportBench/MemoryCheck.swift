/// Peak memory: the issue asks ≤ 100 MB RSS on a 1 GB input in any scenario, and the same as on a
/// 10 MB input — memory must not grow with the input. Each offline scenario runs on both sizes;
/// the network scenarios' peaks (on the large input) count toward the limit.
struct MemoryCheck {
    static let limitBytes = 100_000_000
    /// "The same": within 10% of the 10 MB run, which allocator and page-cache noise stay inside
    /// and growth with the input (100× more rows) would not.
    static let flatTolerance = 1.10

    struct Pair {
        var scenario: String
        var large: Int
        var small: Int
    }

    var pairs: [Pair] = []
    var others: [(scenario: String, peak: Int)] = []

    /// A network scenario's peak, which counts toward the limit (it has no 10 MB twin).
    mutating func add(_ scenario: String, _ row: ResultRow) {
        if let peak = row.peakRSSBytes { others.append((scenario, peak)) }
    }

    func row(bench: Bench) -> ResultRow {
        var row = ResultRow(scenario: "peak memory, any scenario",
                            input: "\(GeneratedInput.describe(bytes: bench.size)) vs 10 MB" + (bench.size < 1_000_000_000 ? " (issue: 1 GB)" : ""))
        let all = pairs.map { ($0.scenario, $0.large) } + others
        guard let worst = all.max(by: { $0.1 < $1.1 }) else {
            row.checks = [Check(target: "≤ 100 MB RSS", measured: "not measured", met: false)]
            return row
        }
        row.peakRSSBytes = worst.1
        let growth = pairs.max { Double($0.large) / Double($0.small) < Double($1.large) / Double($1.small) }
        row.checks = [Check(target: "≤ 100 MB RSS", measured: String(format: "%.1f MB (%@)", Double(worst.1) / 1e6, worst.0),
                            met: worst.1 <= Self.limitBytes)]
        if let growth {
            let ratio = Double(growth.large) / Double(growth.small)
            row.checks.append(Check(target: "same as on 10 MB (≤ \(Self.flatTolerance)×)",
                                    measured: String(format: "%.2f× (%@: %.1f vs %.1f MB)", ratio, growth.scenario,
                                                     Double(growth.large) / 1e6, Double(growth.small) / 1e6),
                                    met: ratio <= Self.flatTolerance))
        }
        row.notes.append("peak RSS per scenario, large input vs 10 MB: "
            + pairs.map { String(format: "%@ %.1f vs %.1f MB", $0.scenario, Double($0.large) / 1e6, Double($0.small) / 1e6) }.joined(separator: "; ")
            + others.map { String(format: "; %@ %.1f MB", $0.scenario, Double($0.peak) / 1e6) }.joined())
        if bench.size < 1_000_000_000 {
            row.notes.append("measured on \(bench.sizeText) inputs; the issue's condition is 1 GB: `make bench BENCH_SIZE=1G`.")
        }
        return row
    }
}
