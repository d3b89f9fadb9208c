import Foundation

/// Export, emulator to long CSV, no pacing: the 10 MB wide CSV (a million readings) is imported
/// into an emulator with pacing off, then `sigport export integration --publish` writes it back out
/// as long CSV, timed as a process. The target is MB/s of output: a long file is many times its
/// source (one row per reading, ids repeated), and writing it is the export's own work.
struct ExportScenario {
    /// The generated series start 2024-03-01; a 10 MB wide file spans about a day, a 1 GB one
    /// about 4 months — the month below covers the former.
    static let from = "2024-03-01T00:00:00Z"
    static let to = "2024-04-01T00:00:00Z"

    let input: GeneratedInput

    func run(_ bench: Bench, runs: Int) throws -> ResultRow {
        try bench.withEmulator("export-emulator", flags: Bench.unpacedEmulator) { emulator in
            let directory = try bench.freshDirectory("export")
            let report = directory + "/import.json"
            say("  loading \(input.title) into the emulator …")
            let load = try bench.sigport(bench.importArguments(input, into: emulator, runDirectory: directory + "/import-run") + Bench.unpacedSigport + ["--report", report],
                                         log: "export-load").run()
            guard load.exitStatus == 0 else { throw BenchError("loading the export's data exited with \(load.exitStatus) (see \(bench.logPath("export-load")))") }
            let loaded = try RunReport.read(report).total.values

            let output = directory + "/readings.csv"
            let before = try emulator.stats().requests
            say("  sigport export integration → long CSV × \(runs) …")
            let process = bench.sigport(["export", "integration", "--credentials", emulator.credentialsPath, "--publish"]
                                        + Bench.unpacedSigport + ["--from", Self.from, "--to", Self.to, "--out", output],
                                        log: "export")
            let measured = try RepeatedMeasurement.of(process, runs: runs) { try? FileManager.default.removeItem(atPath: output) }
            let requests = (try emulator.stats().requests - before) / runs
            let bytes = (try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            let readings = try Self.lines(in: output) - 1

            var row = ResultRow(scenario: "export: emulator → long CSV, no pacing (MB/s of output)",
                                input: "\(input.title) in, \(GeneratedInput.describe(bytes: bytes)) out",
                                measured: measured, bytes: bytes, rows: readings, values: readings)
            row.requests = requests
            let rate = Double(bytes) / measured.medianSeconds / 1e6
            row.checks = [Check(target: "≥ 50 MB/s of output", measured: String(format: "%.1f MB/s", rate), met: rate >= 50)]
            if readings != loaded {
                row.notes.append("the export wrote \(readings) readings of the \(loaded) loaded.")
            }
            return row
        }
    }

    /// Line ends in a file (CRLF counts once): the readings written, plus the header.
    static func lines(in path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot read \(path)") }
        defer { try? handle.close() }
        var count = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            count += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        return count
    }
}
