import Foundation

/// What every scenario shares: where things are, how big and how often, read from the
/// environment `make bench` passes on.
///
/// - `BENCH_SIZE`: the inputs of the throughput rows (default `100M`, three runs each; `1G` runs
///   them all at the 1 GB). Units K, M, G are powers of ten.
/// - `BENCH_LARGE_SIZE`: the "large load" (default `1G`): the wide CSV planned once for the
///   request-fill and 1 GB memory figures, and imported half-way for the resume scenario.
/// - `BENCH_RUNS`: runs of each repeated scenario (default 3; medians).
/// - `BENCH_DIR`: work directory (default /tmp/sigport-bench); generated inputs are kept there
///   and reused by later runs.
/// - `SIGPORT_BIN`, `BENCH_PYTHON`: the sigport binary (default: the one beside this binary) and
///   the Python with pyclarify and pandas.
struct Bench {
    /// An emulator's flags and sigport's for the runs the documented pace would only slow down
    /// (loads that set up a scenario's state, the export row): no pace enforced, and one sigport
    /// never waits for.
    static let unpacedEmulator = ["--requests-per-second", "0"]
    static let unpacedSigport = ["--requests-per-second", "1000"]

    let root: String
    let binary: String
    let work: String
    let sizeText: String
    let size: Int
    let largeSizeText: String
    let largeSize: Int
    let runs: Int
    let python: String
    let miller: String?
    /// Given to every child: sigport's pace files go to the work directory, not the user's home.
    let environment: [String: String]

    init(environment variables: [String: String] = ProcessInfo.processInfo.environment) throws {
        root = FileManager.default.currentDirectoryPath
        // By default the sigport beside this binary: both are products of one release build,
        // wherever the build engine puts them.
        let beside = Bundle.main.executablePath.map { ($0 as NSString).deletingLastPathComponent } ?? root + "/.build/release"
        binary = variables["SIGPORT_BIN"] ?? beside + "/sigport"
        work = variables["BENCH_DIR"] ?? "/tmp/sigport-bench"
        sizeText = variables["BENCH_SIZE"] ?? "100M"
        guard let size = Self.parseSize(sizeText) else { throw BenchError("BENCH_SIZE=\(sizeText): use a byte count with K, M or G, e.g. 100M or 1G") }
        self.size = size
        largeSizeText = variables["BENCH_LARGE_SIZE"] ?? "1G"
        guard let largeSize = Self.parseSize(largeSizeText) else { throw BenchError("BENCH_LARGE_SIZE=\(largeSizeText): use a byte count with K, M or G, e.g. 1G") }
        self.largeSize = largeSize
        runs = max(1, Int(variables["BENCH_RUNS"] ?? "3") ?? 3)
        python = variables["BENCH_PYTHON"] ?? root + "/.venv/bin/python"
        miller = ChildProcess.which("mlr")
        environment = ["XDG_STATE_HOME": work + "/state"]
        guard access(binary, X_OK) == 0 else { throw BenchError("no sigport binary at \(binary): `make bench` builds both, or set SIGPORT_BIN") }
        for folder in ["logs", "state"] {
            try FileManager.default.createDirectory(atPath: work + "/" + folder, withIntermediateDirectories: true)
        }
    }

    /// `100M` → 100,000,000.
    static func parseSize(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1000, "M": 1_000_000, "G": 1_000_000_000]
        if let unit = text.last.flatMap({ units[$0] }) { return Int(text.dropLast()).map { $0 * unit } }
        return Int(text)
    }

    /// A sigport command, its output and errors logged to `logs/<log>.log` (what to read when a
    /// scenario fails).
    func sigport(_ arguments: [String], log: String) -> ChildProcess {
        ChildProcess(executable: binary, arguments: arguments, environment: environment,
                     stdoutPath: logPath(log), stderrPath: logPath(log))
    }

    /// `sigport import` of `input` into `emulator`: what every network scenario starts from.
    func importArguments(_ input: GeneratedInput, into emulator: EmulatorProcess, runDirectory: String) -> [String] {
        ["import", "--credentials", emulator.credentialsPath, "--mapping", input.mappingPath, input.path, "--run-dir", runDirectory]
    }

    func logPath(_ name: String) -> String { "\(work)/logs/\(name).log" }

    /// A fresh directory under the work directory (a run directory, an emulator's state).
    func freshDirectory(_ name: String) throws -> String {
        let path = work + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// An emulator for one scenario, stopped when `body` returns or throws.
    func withEmulator<T>(_ name: String, flags: [String], _ body: (EmulatorProcess) throws -> T) throws -> T {
        try EmulatorProcess.with(binary: binary, flags: flags, directory: try freshDirectory(name), environment: environment, body)
    }
}
