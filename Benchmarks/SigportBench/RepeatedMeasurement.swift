import Foundation

/// A scenario's runs summed up: the median wall time, which one slow run on a shared 2-core
/// machine does not move, and the highest peak RSS of any run, because a memory target is a limit
/// and the worst run is the one that hits it.
struct RepeatedMeasurement {
    var runs: [Measurement]

    var medianSeconds: Double { median(runs.map(\.seconds)) }
    var peakRSSBytes: Int { runs.map(\.peakRSSBytes).max() ?? 0 }

    /// Runs `process` `count` times; `prepare` runs before each (a fresh copy of a checkpoint, …).
    /// An exit status outside `accepting` fails the scenario: a figure from a run that failed
    /// would measure the failure.
    static func of(_ process: ChildProcess, runs count: Int, accepting: Set<Int32> = [0],
                   prepare: () throws -> Void = {}) throws -> RepeatedMeasurement {
        var runs: [Measurement] = []
        for _ in 0..<max(count, 1) {
            try prepare()
            let measurement = try process.run()
            guard accepting.contains(measurement.exitStatus) else {
                throw BenchError("\((process.executable as NSString).lastPathComponent) \(process.arguments.prefix(2).joined(separator: " ")) exited with \(measurement.exitStatus) (see \(process.stderrPath))")
            }
            runs.append(measurement)
        }
        return RepeatedMeasurement(runs: runs)
    }
}

/// The middle value (the upper middle for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}
