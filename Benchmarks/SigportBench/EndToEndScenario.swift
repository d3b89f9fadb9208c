import Foundation

/// End to end at the documented pace: `sigport import` of about 60 full requests' worth of the
/// wide CSV (1.1's 8,000,000 bytes each: 480 MB of input) into an emulator at its default pace
/// (1.1: 1 insert a second). Wall time must stay within 1.05 × the request count in seconds — building, sending and
/// checkpointing hide behind the pace — and the emulator must count no 429. (Until the emulator
/// stored samples in segments it took 5–7 s per 9 MiB insert, and this row used 1 MiB requests.)
/// One run: a run is a minute by construction, and its figure is set by the pace, not by noise.
struct EndToEndScenario {
    /// 59 inserts of up to 8,000,000 bytes (the wide CSV's body is 0.97 bytes per byte of input),
    /// plus the token fetch and saveSignals: 61 requests.
    static let inputBytes = 480_000_000

    let input: GeneratedInput

    func run(_ bench: Bench) throws -> ResultRow {
        try bench.withEmulator("e2e-emulator", flags: []) { emulator in
            let directory = try bench.freshDirectory("e2e-run")
            let report = directory + "/report.json"
            let process = bench.sigport(bench.importArguments(input, into: emulator, runDirectory: directory) + ["--report", report],
                                        log: "e2e-import")
            say("  sigport import \(input.title) at 1 request/s (about a minute) …")
            let measured = try RepeatedMeasurement.of(process, runs: 1)
            let stats = try emulator.stats()
            let run = try RunReport.read(report)

            var row = ResultRow(scenario: "end to end: `sigport import` → emulator at 1 request/s", input: input.title,
                                measured: measured, bytes: input.bytes, rows: run.total.read, values: run.total.values)
            row.setRequests(from: run)
            // What reached the API, the token fetch included (the import's report leaves it out).
            row.requests = stats.requests
            let seconds = measured.medianSeconds
            let ratio = seconds / Double(max(stats.requests, 1))
            row.checks = [
                Check(target: "wall ≤ 1.05 × requests s", measured: String(format: "%.1f s for %d requests (%.3f×)", seconds, stats.requests, ratio),
                      met: ratio <= 1.05),
                Check(target: "zero 429s", measured: "\(stats.paceViolations)", met: stats.paceViolations == 0),
            ]
            row.notes.append("one run (a minute, set by the pace), requests of up to \(GeneratedInput.describe(bytes: run.requests.limit)); the emulator counted \(stats.requests) requests (sigport: \(run.breakdown)), \(stats.paceViolations) pace violations, \(stats.sizeViolations) size violations.")
            return row
        }
    }
}
