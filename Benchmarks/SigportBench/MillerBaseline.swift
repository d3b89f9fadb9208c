import Foundation

/// Miller (`mlr --icsv --ojson cat`) on the same wide CSV in the same run: a fast, general CSV →
/// JSON converter, so "≥ 5× Miller" says sigport's parse-and-encode is good on this machine
/// today, whatever the machine.
struct MillerBaseline {
    let miller: String
    let input: GeneratedInput

    func run(_ bench: Bench, runs: Int) throws -> RepeatedMeasurement {
        say("  mlr --icsv --ojson cat \(input.title) × \(runs) …")
        let process = ChildProcess(executable: miller, arguments: ["--icsv", "--ojson", "cat", input.path],
                                   stderrPath: bench.logPath("miller"))
        return try RepeatedMeasurement.of(process, runs: runs)
    }

    /// "mlr 6.8.0", for the machine line.
    func version(_ bench: Bench) -> String {
        let path = bench.logPath("mlr-version")
        _ = try? ChildProcess(executable: miller, arguments: ["--version"], stdoutPath: path).run()
        return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "mlr").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
