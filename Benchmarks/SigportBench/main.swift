import Foundation

// `make bench`: every target of the performance issue measured in one run, on deterministic
// generated inputs, each repeated scenario run BENCH_RUNS times (medians), baselines (Miller,
// pyclarify) measured in the same run; one table printed and written to bench/results.md.
// Settings: see Bench. A scenario that fails becomes a row saying why; the others still run.

let started = monotonicSeconds()
let bench: Bench
let inputs: BenchInputs
do {
    bench = try Bench()
    say("sigport bench: BENCH_SIZE=\(bench.sizeText), BENCH_LARGE_SIZE=\(bench.largeSizeText), BENCH_RUNS=\(bench.runs), work in \(bench.work)")
    say("inputs:")
    inputs = try BenchInputs(bench)
} catch { say("bench: \(error)"); exit(1) }

say("offline: input → request bodies (sigport plan)")
var throughput = ThroughputScenarios(bench: bench, inputs: inputs)
let throughputRows = throughput.run()
var memory = MemoryCheck(pairs: throughput.memory)

// On the large load, as the duplicates issue asks, once per shape: 2 GB a run.
say("duplicate times: two inputs of \(inputs.wideLarge.title), three shapes")
let duplicateRows = ResultRow.attempt(DuplicateScenario.name, input: "2 × \(inputs.wideLarge.title)", targets: DuplicateScenario.targets) {
    try DuplicateScenario(first: inputs.wideLarge, in: bench.work).run(bench, runs: 1)
}

say("large load: \(inputs.wideLarge.title), planned once")
let largePlan = Result { try LargeLoad(input: inputs.wideLarge).plan(bench, reusing: throughput.widePlan) }
let fillRows: [ResultRow]
switch largePlan {
case .success(let plan):
    memory.add("wide plan", largerInput: plan.input.bytes, peak: plan.measured.peakRSSBytes)
    fillRows = [RequestFillCheck(plan: plan).row()]
case .failure(let error):
    say("  large load: \(error)")
    fillRows = [RequestFillCheck.failed(input: inputs.wideLarge, error)]
}

say("payload density: sigport vs pyclarify")
let densityRows = ResultRow.attempt("payload density", input: inputs.density.title, targets: ["readings/MiB ≥ 1.2× pyclarify"]) {
    try PayloadDensityScenario(input: inputs.density).run(bench)
}

say("end to end at the documented pace")
let endToEndRows = ResultRow.attempt("end to end at 1 request/s", input: inputs.endToEnd.title, targets: ["wall ≤ 1.05 × requests s", "zero 429s"]) {
    let row = try EndToEndScenario(input: inputs.endToEnd).run(bench)
    memory.add("end-to-end import", row)
    return [row]
}

say("resume of a half-done import")
let resumeRows = ResultRow.attempt("resume of a half-done import", input: inputs.wideLarge.title, targets: ["first request ≤ 2 s after start"]) {
    guard let inserts = (try largePlan.get()).report.requests.byMethod["integration.insert"]?.requests else { throw BenchError("the large load's plan has no integration.insert") }
    let result = try ResumeScenario(input: inputs.wideLarge, inserts: inserts).run(bench, runs: bench.runs)
    let size = GeneratedInput.describe(bytes: inputs.wideLarge.bytes)
    memory.add("first half of a \(size) import", peak: result.firstHalf.peakRSSBytes)
    memory.add("resumed \(size) import", result.row)
    return [result.row]
}

say("export to long CSV")
let exportRows = ResultRow.attempt("export: emulator → long CSV", input: inputs.wideSmall.title, targets: ["≥ 50 MB/s of output"]) {
    let row = try ExportScenario(input: inputs.wideSmall).run(bench, runs: bench.runs)
    memory.add("export, 10 MB in", row)
    return [row]
}

let table = ResultTable(rows: throughputRows + duplicateRows + [memory.row()] + fillRows + densityRows + endToEndRows + resumeRows + exportRows)
let report = """
# Benchmark results

Written by `make bench` on \(ISO8601DateFormatter().string(from: Date())): BENCH_SIZE=\(bench.sizeText), BENCH_LARGE_SIZE=\(bench.largeSizeText), BENCH_RUNS=\(bench.runs) \
(medians; peak RSS is the highest run), \(String(format: "%.1f", (monotonicSeconds() - started) / 60)) minutes after the builds.
Machine: \(MachineDescription.current()). Baselines: \(throughput.millerVersion ?? "Miller not run"), pyclarify from PyPI (Tests/requirements.txt).

\(table.summary())

\(table.markdown())
\(table.notes())
"""
say("\n" + report)
do {
    try FileManager.default.createDirectory(atPath: bench.root + "/bench", withIntermediateDirectories: true)
    try report.write(toFile: bench.root + "/bench/results.md", atomically: true, encoding: .utf8)
    say("written to bench/results.md")
} catch { say("bench: cannot write bench/results.md: \(error)"); exit(1) }
