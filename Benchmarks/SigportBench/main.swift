import Foundation

// `make bench`: every target of the performance issue measured in one run, on deterministic
// generated inputs, each repeated scenario run BENCH_RUNS times (medians), baselines (Miller,
// pyclarify) measured in the same run; one table printed and written to bench/results.md.
// Settings: see Bench. A scenario that fails becomes a row saying why; the others still run.

setvbuf(stdout, nil, _IOLBF, 0)
let started = monotonicSeconds()
let bench: Bench
do { bench = try Bench() } catch { print("bench: \(error)"); exit(1) }
print("sigport bench: BENCH_SIZE=\(bench.sizeText), BENCH_RUNS=\(bench.runs), work in \(bench.work)")

/// Runs one scenario; one that throws leaves a row per target saying it was not measured, and why.
func attempt(_ scenario: String, input: String, targets: [String] = [], _ body: () throws -> [ResultRow]) -> [ResultRow] {
    do { return try body() } catch {
        print("  \(scenario): \(error)")
        return [.failed(scenario, input: input, targets: targets, error: error)]
    }
}

print("inputs:")
let inputs: (wide: GeneratedInput, long: GeneratedInput, jsonl: GeneratedInput, wideSmall: GeneratedInput,
             longSmall: GeneratedInput, jsonlSmall: GeneratedInput, density: GeneratedInput, endToEnd: GeneratedInput)
do {
    let large = InputLimit.bytes(bench.size), small = InputLimit.bytes(10_000_000)
    inputs = (try .make(WideCSV(), large, in: bench.work), try .make(LongCSV(), large, in: bench.work),
              try .make(NestedJSONL(), large, in: bench.work), try .make(WideCSV(), small, in: bench.work),
              try .make(LongCSV(), small, in: bench.work), try .make(NestedJSONL(), small, in: bench.work),
              try .make(WideCSV(), .rows(PayloadDensityScenario.rows), in: bench.work),
              try .make(WideCSV(), .bytes(EndToEndScenario.inputBytes), in: bench.work))
} catch { print("bench: \(error)"); exit(1) }

var memory = MemoryCheck()
/// Each offline scenario on the large input (for throughput) and on 10 MB (for flat memory).
func plan(_ large: GeneratedInput, _ small: GeneratedInput, _ scenario: String) throws -> PlanScenario.Result {
    let result = try PlanScenario(input: large).run(bench, runs: bench.runs)
    let baseline = try PlanScenario(input: small).run(bench, runs: bench.runs)
    memory.pairs.append(.init(scenario: scenario, large: result.measured.peakRSSBytes, small: baseline.measured.peakRSSBytes))
    return result
}

print("offline: input → request bodies (sigport plan)")
let wideName = "wide CSV → integration.insert bodies (`sigport plan`)"
var widePlan: PlanScenario.Result?
var millerVersion: String?
let wideRows = attempt(wideName, input: inputs.wide.title, targets: ["≥ 100 MB/s of input", "≥ 5× Miller"]) {
    let result = try plan(inputs.wide, inputs.wideSmall, "wide plan")
    widePlan = result
    var row = result.row(wideName)
    row.checks = [Check(target: "≥ 100 MB/s of input", measured: String(format: "%.1f MB/s", result.megabytesPerSecond), met: result.megabytesPerSecond >= 100)]
    guard let path = bench.miller else {
        row.checks.append(Check(target: "≥ 5× Miller", measured: "Miller not installed", met: false))
        return [row]
    }
    let baseline = MillerBaseline(miller: path, input: inputs.wide)
    millerVersion = baseline.version()
    let miller = try baseline.run(bench, runs: bench.runs)
    let ratio = miller.medianSeconds / result.measured.medianSeconds
    row.versusBaseline = String(format: "%.2f× Miller", ratio)
    row.checks.append(Check(target: "≥ 5× Miller", measured: String(format: "%.2f×", ratio), met: ratio >= 5))
    let millerRow = ResultRow(scenario: "baseline: Miller `mlr --icsv --ojson cat`", input: inputs.wide.title, measured: miller,
                              bytes: inputs.wide.bytes, rows: result.report.total.read, values: result.report.total.values)
    return [row, millerRow]
}

let jsonlName = "nested JSONL → ox event bodies (`sigport plan`)"
let jsonlRows = attempt(jsonlName, input: inputs.jsonl.title, targets: ["≥ 50 MB/s of input"]) {
    let result = try plan(inputs.jsonl, inputs.jsonlSmall, "JSONL plan")
    var row = result.row(jsonlName)
    row.checks = [Check(target: "≥ 50 MB/s of input", measured: String(format: "%.1f MB/s", result.megabytesPerSecond), met: result.megabytesPerSecond >= 50)]
    row.notes.append("values/s counts ox events (3 a line).")
    return [row]
}

let longName = "long CSV → integration.insert bodies (`sigport plan`)"
let longRows = attempt(longName, input: inputs.long.title) {
    [try plan(inputs.long, inputs.longSmall, "long plan").row(longName)]
}

let fillName = "request fill, wide CSV at 9 MiB a request (`sigport plan`)"
let fillRows = widePlan.map { [RequestFillCheck(plan: $0).row()] }
    ?? [.failed(fillName, input: inputs.wide.title, targets: ["requests ≤ 1.02 × ⌈body bytes / 9 MiB⌉"], error: BenchError("the wide CSV plan failed"))]

print("payload density: sigport vs pyclarify")
let densityRows = attempt("payload density", input: inputs.density.title, targets: ["readings/MiB ≥ 1.2× pyclarify"]) {
    try PayloadDensityScenario(input: inputs.density).run(bench)
}

print("end to end at the documented pace")
let endToEndRows = attempt("end to end at 1 request/s", input: inputs.endToEnd.title, targets: ["wall ≤ 1.05 × requests s", "zero 429s"]) {
    let row = try EndToEndScenario(input: inputs.endToEnd).run(bench)
    if let peak = row.peakRSSBytes { memory.others.append(("end-to-end import", peak)) }
    return [row]
}

print("resume of a half-done import")
let resumeRows = attempt("resume of a half-done import", input: inputs.wide.title, targets: ["first request ≤ 2 s after start"]) {
    guard let inserts = widePlan?.report.requests.byMethod["integration.insert"]?.requests else { throw BenchError("the wide CSV plan failed") }
    let row = try ResumeScenario(input: inputs.wide, inserts: inserts).run(bench, runs: bench.runs)
    if let peak = row.peakRSSBytes { memory.others.append(("resumed import", peak)) }
    return [row]
}

print("export to long CSV")
let exportRows = attempt("export: emulator → long CSV", input: inputs.wideSmall.title, targets: ["≥ 50 MB/s of output"]) {
    [try ExportScenario(input: inputs.wideSmall).run(bench, runs: bench.runs)]
}

let table = ResultTable(rows: wideRows + jsonlRows + longRows + [memory.row(bench: bench)] + fillRows + densityRows
                        + endToEndRows + resumeRows + exportRows)
let minutes = (monotonicSeconds() - started) / 60
let report = """
# Benchmark results

Written by `make bench` on \(ISO8601DateFormatter().string(from: Date())): BENCH_SIZE=\(bench.sizeText), BENCH_RUNS=\(bench.runs) \
(medians; peak RSS is the highest run), \(String(format: "%.1f", minutes)) minutes.
Machine: \(MachineDescription.current()). Baselines: \(millerVersion ?? "Miller not run"), pyclarify from PyPI (Tests/requirements.txt).

\(table.summary())

\(table.markdown())
\(table.notes())
"""
print("\n" + report)
do {
    try FileManager.default.createDirectory(atPath: bench.root + "/bench", withIntermediateDirectories: true)
    try report.write(toFile: bench.root + "/bench/results.md", atomically: true, encoding: .utf8)
    print("written to bench/results.md")
} catch { print("bench: cannot write bench/results.md: \(error)"); exit(1) }
