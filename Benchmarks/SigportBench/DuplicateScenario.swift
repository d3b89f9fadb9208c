import Foundation

/// What finding duplicate times costs where it has work to do: `sigport plan` of two wide CSVs
/// of one size, the second in three shapes. Its baseline, in the same run, is the shape where
/// the check has the least to do — the second file's rows for other signals — since a run
/// without the check does not exist: a silent overwrite is what it prevents.
///
/// - another site: every value is the latest of its signal so far (the check's fast path);
/// - times +0.5 s: the same signals, every time inside the first file's range but none equal,
///   so every block of the first file is read again for its exact times (an irregular clock's
///   hard shape, and the worst case for time);
/// - the same file again under `duplicates: keep-last`: every value of the second file is a
///   duplicate, found, counted and sent.
///
/// The three take turns run by run, so that the host's drifting speed meets them alike.
struct DuplicateScenario {
    static let name = "duplicate times: two wide CSVs → insert bodies (`sigport plan`)"
    static let targets = ["≥ 100 MB/s of input", "≤ 100 MB RSS"]

    struct Shape {
        var label: String
        var second: GeneratedInput
        var mapping: String
    }

    let first: GeneratedInput
    let shapes: [Shape]

    /// The second files are generated beside `first`, of its size.
    init(first: GeneratedInput, in work: String) throws {
        self.first = first
        let limit = InputLimit.bytes(first.bytes)
        let dock = try GeneratedInput.make(WideCSV(shape: .dock), limit, in: work)
        let half = try GeneratedInput.make(WideCSV(shape: .halfSecondLater), limit, in: work)
        let keepLast = (first.mappingPath as NSString).deletingPathExtension + "-keep-last.yaml"
        try (WideCSV().mapping + "duplicates: keep-last\n").write(toFile: keepLast, atomically: true, encoding: .utf8)
        shapes = [
            Shape(label: "another site (baseline)", second: dock, mapping: first.mappingPath),
            Shape(label: "the same signals, times +0.5 s", second: half, mapping: first.mappingPath),
            Shape(label: "the same file again, keep-last", second: first, mapping: keepLast),
        ]
    }

    func run(_ bench: Bench, runs: Int) throws -> [ResultRow] {
        var measured: [RepeatedMeasurement] = shapes.map { _ in RepeatedMeasurement(runs: []) }
        var reports: [RunReport?] = shapes.map { _ in nil }
        for _ in 0..<max(runs, 1) {
            for (index, shape) in shapes.enumerated() {
                let directory = try bench.freshDirectory("duplicates-\(index)")
                let report = directory + "/report.json"
                let process = bench.sigport(["plan", "--mapping", shape.mapping, first.path, shape.second.path, "--run-dir", directory, "--report", report],
                                            log: "duplicates-\(index)")
                say("  sigport plan \(first.title) + \(shape.label) …")
                measured[index].runs += try RepeatedMeasurement.of(process, runs: 1).runs
                reports[index] = try RunReport.read(report)
            }
        }
        let baseline = measured[0].medianSeconds
        return shapes.indices.map { index in
            let report = reports[index]!
            let bytes = first.bytes + shapes[index].second.bytes
            var row = ResultRow(scenario: "\(Self.name): \(shapes[index].label)", input: "2 × \(first.title)", measured: measured[index],
                                bytes: bytes, rows: report.total.read, values: report.total.values)
            row.setRequests(from: report)
            let rate = Double(bytes) / measured[index].medianSeconds / 1e6
            let peak = Double(measured[index].peakRSSBytes) / 1e6
            row.checks = [Check(target: Self.targets[0], measured: String(format: "%.1f MB/s", rate), met: rate >= 100),
                          Check(target: Self.targets[1], measured: String(format: "%.1f MB", peak), met: peak <= 100)]
            if index > 0 { row.versusBaseline = String(format: "%.2f× the baseline's time", measured[index].medianSeconds / baseline) }
            row.notes.append("\(report.total.duplicates) duplicate values found; the three shapes ran in turns.")
            return row
        }
    }
}
