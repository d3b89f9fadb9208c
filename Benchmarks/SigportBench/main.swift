import Foundation

// `make bench`: whole-process scenarios on generated inputs, each run several times, medians
// printed with their baselines (measured in the same run) and written to bench/results.md.
// Sizes: BENCH_SIZE=100M (default), 1G, …

struct Measurement {
    var seconds: Double
    var peakRSSBytes: Int
}

/// Runs a process to the end and measures its wall time and peak resident memory (wait4).
func measure(_ executable: String, _ arguments: [String], stdout: String = "/dev/null") -> Measurement {
    var pid: pid_t = 0
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let start = Date()
    guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { fatalError("cannot run \(executable)") }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    let seconds = Date().timeIntervalSince(start)
    argv.forEach { free($0) }
    return Measurement(seconds: seconds, peakRSSBytes: Int(usage.ru_maxrss) * 1024)
}

func median(_ values: [Double]) -> Double { let s = values.sorted(); return s[s.count / 2] }

/// A wide CSV with 10 signals per row, deterministic, `bytes` long (whole rows).
func generateWideCSV(_ path: String, bytes: Int) {
    guard !FileManager.default.fileExists(atPath: path) else { return }
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = FileHandle(forWritingAtPath: path)!
    var state: UInt64 = 42
    func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1; return state >> 33 }
    var buffer = "timestamp,site," + (0..<10).map { "s\($0)" }.joined(separator: ",") + "\n"
    var written = 0
    var t = 1_709_251_200
    let formatter = ISO8601DateFormatter()
    while written < bytes {
        buffer += formatter.string(from: Date(timeIntervalSince1970: TimeInterval(t))) + ",pier"
        for _ in 0..<10 { buffer += "," + String(Double(next() % 1_000_000) / 1000) }
        buffer += "\n"
        t += 1
        if buffer.utf8.count > 1 << 20 {
            handle.write(Data(buffer.utf8)); written += buffer.utf8.count; buffer = ""
        }
    }
    handle.write(Data(buffer.utf8))
    try? handle.close()
}

func parseSize(_ text: String) -> Int {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1_000_000, "G": 1_000_000_000]
    if let unit = text.last.flatMap({ units[$0] }), let n = Int(text.dropLast()) { return n * unit }
    return Int(text) ?? 100_000_000
}

let root = FileManager.default.currentDirectoryPath
let binary = ProcessInfo.processInfo.environment["SIGPORT_BIN"] ?? root + "/.build/release/sigport"
let work = ProcessInfo.processInfo.environment["BENCH_DIR"] ?? "/tmp/sigport-bench"
let size = parseSize(ProcessInfo.processInfo.environment["BENCH_SIZE"] ?? "100M")
let runs = Int(ProcessInfo.processInfo.environment["BENCH_RUNS"] ?? "3") ?? 3
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
let mapping = work + "/wide.yaml"
try """
version: 1
source:
  format: csv
  timestamp: {field: timestamp}
target: integration
signals:
\((0..<10).map { "  - {field: s\($0), input_id: \"{site}/s\($0)\"}" }.joined(separator: "\n"))
""".write(toFile: mapping, atomically: true, encoding: .utf8)

let large = work + "/wide-\(size).csv"
let small = work + "/wide-10000000.csv"
print("generating inputs in \(work) …")
generateWideCSV(large, bytes: size)
generateWideCSV(small, bytes: 10_000_000)
let largeBytes = Double((try FileManager.default.attributesOfItem(atPath: large)[.size] as? Int) ?? size)

var rows: [(String, String, String, String, String)] = []
@MainActor func scenario(_ name: String, _ executable: String, _ arguments: [String], input: Double) -> Measurement {
    var times: [Double] = []
    var peak = 0
    for _ in 0..<runs {
        let m = measure(executable, arguments)
        times.append(m.seconds)
        peak = max(peak, m.peakRSSBytes)
    }
    let seconds = median(times)
    let result = Measurement(seconds: seconds, peakRSSBytes: peak)
    rows.append((name, String(format: "%.1f", input / seconds / 1e6), String(format: "%.2f", seconds), String(format: "%.1f", Double(peak) / 1e6), ""))
    print("\(name): \(rows.last!.1) MB/s, peak RSS \(rows.last!.3) MB")
    return result
}

let plan = scenario("wide CSV → insert bodies (sigport plan)", binary, ["plan", "--mapping", mapping, large, "--run-dir", work + "/run"], input: largeBytes)
let validate = scenario("wide CSV → validate", binary, ["validate", "--mapping", mapping, large, "--run-dir", work + "/run"], input: largeBytes)
let validateSmall = scenario("wide CSV 10 MB → validate (memory baseline)", binary, ["validate", "--mapping", mapping, small, "--run-dir", work + "/run"], input: 10_000_000)
var millerNote = "miller not installed"
if FileManager.default.fileExists(atPath: "/usr/bin/mlr") {
    let miller = scenario("baseline: mlr --icsv --ojson cat", "/usr/bin/mlr", ["--icsv", "--ojson", "cat", large], input: largeBytes)
    millerNote = String(format: "sigport plan is %.1f× Miller (target ≥ 5×)", miller.seconds / plan.seconds)
}
let memoryNote = String(format: "validate peak RSS %.1f MB for %@ vs %.1f MB for 10 MB (target ≤ 100 MB and flat)",
                        Double(validate.peakRSSBytes) / 1e6, ProcessInfo.processInfo.environment["BENCH_SIZE"] ?? "100M",
                        Double(validateSmall.peakRSSBytes) / 1e6)
print(millerNote)
print(memoryNote)

var uname = utsname()
_ = Foundation.uname(&uname)
let machine = withUnsafeBytes(of: &uname.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
var table = "| scenario | MB/s of input | median s | peak RSS MB |\n|---|---|---|---|\n"
for row in rows { table += "| \(row.0) | \(row.1) | \(row.2) | \(row.3) |\n" }
let report = """
# Benchmark results

Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(machine), \(ProcessInfo.processInfo.physicalMemory / 1_000_000_000) GB; input \(Int(largeBytes)) bytes; \(runs) runs each, medians. Written by `make bench` on \(ISO8601DateFormatter().string(from: Date())).

\(table)
- \(millerNote)
- \(memoryNote)
"""
try FileManager.default.createDirectory(atPath: root + "/bench", withIntermediateDirectories: true)
try report.write(toFile: root + "/bench/results.md", atomically: true, encoding: .utf8)
print("\nwritten to bench/results.md")
