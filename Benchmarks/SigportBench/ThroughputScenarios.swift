import Foundation

/// The offline scenarios: each input format to request bodies with `sigport plan` — on the large
/// input for throughput, and on 10 MB for the flat-memory comparison — with Miller on the same
/// wide CSV as the baseline of the first target.
struct ThroughputScenarios {
    static let wideName = "wide CSV → integration.insert bodies (`sigport plan`)"
    static let jsonlName = "nested JSONL → ox event bodies (`sigport plan`)"
    static let longName = "long CSV → integration.insert bodies (`sigport plan`)"

    let bench: Bench
    let inputs: BenchInputs
    /// The wide CSV's plan: the large load reuses it when it is the same file.
    private(set) var widePlan: PlanScenario.Result?
    private(set) var millerVersion: String?
    private(set) var memory: [MemoryCheck.Pair] = []

    init(bench: Bench, inputs: BenchInputs) {
        self.bench = bench
        self.inputs = inputs
    }

    /// The rows in table order: wide CSV, Miller, nested JSONL, long CSV.
    mutating func run() -> [ResultRow] {
        var rows = ResultRow.attempt(Self.wideName, input: inputs.wide.title, targets: ["≥ 100 MB/s of input", "≥ 5× Miller"]) { try wide() }
        rows += ResultRow.attempt(Self.jsonlName, input: inputs.jsonl.title, targets: ["≥ 50 MB/s of input"]) {
            let result = try plan(inputs.jsonl, small: inputs.jsonlSmall, memoryName: "JSONL plan")
            var row = result.row(Self.jsonlName)
            row.checks = [Self.rate(result, atLeast: 50)]
            row.notes.append("values/s counts ox events (3 a line).")
            return [row]
        }
        rows += ResultRow.attempt(Self.longName, input: inputs.long.title) {
            [try plan(inputs.long, small: inputs.longSmall, memoryName: "long plan").row(Self.longName)]
        }
        return rows
    }

    /// sigport and Miller take turns, run by run: this host's speed drifts by up to 1.7× within
    /// an hour, and three runs of one followed by three of the other measured the drift as much
    /// as the two programs.
    private mutating func wide() throws -> [ResultRow] {
        let baseline = bench.miller.map { MillerBaseline(miller: $0, input: inputs.wide) }
        millerVersion = baseline?.version(bench)
        var result = try PlanScenario(input: inputs.wide).run(bench, runs: 1)
        var miller = try baseline?.run(bench, runs: 1)
        for _ in 1..<max(bench.runs, 1) {
            result.measured.runs += try PlanScenario(input: inputs.wide).run(bench, runs: 1).measured.runs
            if let baseline { miller?.runs += try baseline.run(bench, runs: 1).runs }
        }
        try compareMemory(result, small: inputs.wideSmall, name: "wide plan")
        widePlan = result
        var row = result.row(Self.wideName)
        row.checks = [Self.rate(result, atLeast: 100)]
        guard let miller else {
            row.checks.append(Check(target: "≥ 5× Miller", measured: "Miller not installed", met: false))
            return [row]
        }
        row.notes.append("sigport and Miller ran in turns (sigport, Miller, sigport, …), so that both met the same moments of the host's speed.")
        let ratio = miller.medianSeconds / result.measured.medianSeconds
        row.versusBaseline = String(format: "%.2f× Miller", ratio)
        row.checks.append(Check(target: "≥ 5× Miller", measured: String(format: "%.2f×", ratio), met: ratio >= 5))
        let millerRow = ResultRow(scenario: "baseline: Miller `mlr --icsv --ojson cat`", input: inputs.wide.title, measured: miller,
                                  bytes: inputs.wide.bytes, rows: result.report.total.read, values: result.report.total.values)
        return [row, millerRow]
    }

    /// `large` for its figures, `small` for its peak memory only.
    private mutating func plan(_ large: GeneratedInput, small: GeneratedInput, memoryName: String) throws -> PlanScenario.Result {
        let result = try PlanScenario(input: large).run(bench, runs: bench.runs)
        try compareMemory(result, small: small, name: memoryName)
        return result
    }

    /// The peak memory of a plan of `small`, kept to compare with `result`'s.
    private mutating func compareMemory(_ result: PlanScenario.Result, small: GeneratedInput, name: String) throws {
        let baseline = try PlanScenario(input: small).run(bench, runs: bench.runs)
        memory.append(.init(scenario: name, largeBytes: result.input.bytes, large: result.measured.peakRSSBytes, small: baseline.measured.peakRSSBytes))
    }

    private static func rate(_ result: PlanScenario.Result, atLeast target: Double) -> Check {
        Check(target: String(format: "≥ %.0f MB/s of input", target), measured: String(format: "%.1f MB/s", result.megabytesPerSecond),
              met: result.megabytesPerSecond >= target)
    }
}
