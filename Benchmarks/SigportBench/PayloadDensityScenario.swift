import Foundation

/// Payload density: readings per MiB of request body, sigport against pyclarify (the official
/// SDK, from PyPI) on the same data frame — the first `rows` rows of the wide CSV. Fewer bytes per
/// reading is fewer requests, and requests are the wall time. pyclarify's body is the one it
/// really posts (Benchmarks/scripts/pyclarify_density.py records it on the way to an emulator);
/// sigport's is every body `sigport plan` builds for the same rows, saveSignals included.
struct PayloadDensityScenario {
    static let rows = 20_000

    struct Baseline: Decodable {
        var readings: Int
        var bodyBytes: Int
        var requests: Int
        var pyclarify: String
    }

    let input: GeneratedInput

    func run(_ bench: Bench) throws -> [ResultRow] {
        let sigport = try PlanScenario(input: input).run(bench, runs: 1)
        say("  pyclarify insert of the same frame …")
        let baseline = try measureBaseline(bench)

        let ours = Self.readingsPerMiB(sigport.report.total.values, bytes: sigport.report.bodyBytes)
        let theirs = Self.readingsPerMiB(baseline.readings, bytes: baseline.bodyBytes)
        let ratio = ours / theirs

        var row = ResultRow(scenario: "payload density: wide CSV → insert bodies (`sigport plan`)", input: input.title)
        row.setRequests(from: sigport.report)
        row.versusBaseline = String(format: "%.2f× pyclarify", ratio)
        row.checks = [Check(target: "readings/MiB ≥ 1.2× pyclarify",
                            measured: String(format: "%.0f vs %.0f readings/MiB (%.2f×)", ours, theirs, ratio),
                            met: ratio >= 1.2)]
        if sigport.report.total.values != baseline.readings {
            row.notes.append("sigport mapped \(sigport.report.total.values) values, pyclarify's frame holds \(baseline.readings): not the same data.")
        }

        var reference = ResultRow(scenario: "baseline: pyclarify \(baseline.pyclarify) `Client.insert(pandas frame)`", input: input.title)
        reference.requests = baseline.requests
        reference.bytesPerRequest = Double(baseline.bodyBytes) / Double(max(baseline.requests, 1))
        reference.notes.append(String(format: "%d readings in %d body bytes = %.0f readings/MiB (sigport: %d readings in %d bytes)",
                                      baseline.readings, baseline.bodyBytes, theirs, sigport.report.total.values, sigport.report.bodyBytes))
        return [row, reference]
    }

    private func measureBaseline(_ bench: Bench) throws -> Baseline {
        let script = bench.root + "/Benchmarks/scripts/pyclarify_density.py"
        guard access(bench.python, X_OK) == 0 else { throw BenchError("no Python at \(bench.python): make conformance-env") }
        // pyclarify does not pace itself: the emulator's pacing is off for it.
        return try bench.withEmulator("density-emulator", flags: Bench.unpacedEmulator) { emulator in
            let output = bench.logPath("pyclarify-density.json")
            let process = ChildProcess(executable: bench.python, arguments: [script, input.path, emulator.credentialsPath],
                                       stdoutPath: output, stderrPath: bench.logPath("pyclarify-density"))
            let measurement = try process.run()
            guard measurement.exitStatus == 0, let data = FileManager.default.contents(atPath: output) else {
                throw BenchError("pyclarify_density.py exited with \(measurement.exitStatus) (see \(bench.logPath("pyclarify-density")))")
            }
            return try JSONDecoder().decode(Baseline.self, from: data)
        }
    }

    static func readingsPerMiB(_ readings: Int, bytes: Int) -> Double {
        Double(readings) / (Double(bytes) / 1_048_576)
    }
}
