import Foundation

/// Resume of a half-done import: the first new request must reach the API within 2 s of the
/// process starting, which holds only if a resumed run seeks to the recorded offset instead of
/// parsing the done half again. The first half is loaded once (`--max-requests`, emulator pacing
/// off, so it takes as long as sigport and the emulator need, not the pace); each measured run then
/// resumes from its own copy of that checkpoint with `--max-requests 1`. The time is taken from
/// spawn to the moment the emulator has counted the run's first JSON-RPC request (its stats polled
/// every 20 ms), not to sigport's `sent` event: that comes with the answer, and the emulator takes
/// seconds to store a 9 MiB insert.
struct ResumeScenario {
    let input: GeneratedInput
    /// The integration.insert requests the whole input needs (from `sigport plan`).
    let inserts: Int

    func run(_ bench: Bench, runs: Int) throws -> ResultRow {
        let directory = try bench.freshDirectory("resume")
        let database = directory + "/emulator.sqlite"
        // The emulator keeps the loaded half on disk, not in its memory, and it is removed
        // afterwards: at BENCH_SIZE=1G it is gigabytes.
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) } }
        return try bench.withEmulator("resume-emulator", flags: ["--requests-per-second", "0", "--db", database]) { emulator in
            let half = directory + "/half-done"
            // --max-requests counts saveSignals too: one more than half the inserts.
            let budget = inserts / 2 + 1
            say("  loading the first half of \(input.title) (\(budget) requests) …")
            let load = try bench.sigport(importArguments(bench, emulator, runDirectory: half) + ["--max-requests", "\(budget)"], log: "resume-first-half").run()
            guard load.exitStatus == 5 else { throw BenchError("the first half's import exited with \(load.exitStatus), not 5 (see \(bench.logPath("resume-first-half")))") }

            var firstArrival: [Double] = []
            var firstSent: [Double] = []
            var resumedEvent: [Double] = []
            var peak = 0
            say("  resuming it × \(runs) …")
            for index in 0..<runs {
                let copy = directory + "/resume-\(index)"
                try? FileManager.default.removeItem(atPath: copy)
                try FileManager.default.copyItem(atPath: half, toPath: copy)
                let process = bench.sigport(importArguments(bench, emulator, runDirectory: copy) + ["--json", "--max-requests", "1"], log: "resume-\(index)")
                let rpcBefore = try emulator.stats().byRoute["rpc", default: 0]
                var arrivedAt: Double?
                var sentAt: Double?
                var resumedAt: Double?
                let measurement = try process.run(onStderrLine: { line, seconds in
                    if sentAt == nil && line.contains(#""event":"sent""#) { sentAt = seconds }
                    if resumedAt == nil && line.contains(#""event":"resumed""#) { resumedAt = seconds }
                }, onTick: { seconds in
                    if arrivedAt == nil, let stats = try? emulator.stats(), stats.byRoute["rpc", default: 0] > rpcBefore { arrivedAt = seconds }
                })
                if arrivedAt == nil, try emulator.stats().byRoute["rpc", default: 0] > rpcBefore { arrivedAt = measurement.seconds }
                guard [0, 5].contains(measurement.exitStatus), let arrivedAt, let sentAt else {
                    throw BenchError("the resumed import exited with \(measurement.exitStatus) without sending a request (see \(process.stdoutPath))")
                }
                firstArrival.append(arrivedAt)
                firstSent.append(sentAt)
                if let resumedAt { resumedEvent.append(resumedAt) }
                peak = max(peak, measurement.peakRSSBytes)
            }

            var row = ResultRow(scenario: "resume of a half-done import: first new request",
                                input: input.title + (input.bytes < 1_000_000_000 ? " (issue: 1 GB)" : ""))
            row.runs = runs
            let seconds = median(firstArrival)
            row.seconds = seconds
            row.peakRSSBytes = peak
            row.checks = [Check(target: "first request ≤ 2 s after start", measured: String(format: "%.2f s", seconds), met: seconds <= 2)]
            row.notes.append(String(format: "the first half (%d requests) loaded in %.1f s; resumed runs: `resumed` printed after %.2f s, the first request at the emulator after %.2f s, its answer (`sent`) after %.2f s (medians).",
                                    budget, load.seconds, median(resumedEvent), seconds, median(firstSent)))
            if input.bytes < 1_000_000_000 {
                row.notes.append("on \(bench.sizeText); the issue's condition is a 1 GB import: `make bench BENCH_SIZE=1G`.")
            }
            return row
        }
    }

    private func importArguments(_ bench: Bench, _ emulator: EmulatorProcess, runDirectory: String) -> [String] {
        bench.importArguments(input, into: emulator, runDirectory: runDirectory) + ["--requests-per-second", "1000"]
    }
}
