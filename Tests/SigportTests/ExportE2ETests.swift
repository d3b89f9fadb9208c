import Foundation
import Testing
@testable import Sigport
@testable import SigportEmulator

/// `sigport export` end to end: small generated inputs imported into a real emulator on loopback
/// by the built binary, exported by it, and read back the way analysts do (pandas and DuckDB, by
/// `Tests/Python/export_readback.py`) value by value against the input. Time ranges, zones,
/// windows, manifests and resuming are in `ExportE2ETests+Windows.swift`.
@Suite("sigport export end to end", .serialized)
struct ExportE2ETests {
    /// The interpreter with pandas and DuckDB: `make test` sets it, as for the pyclarify conformance test.
    static let python = ProcessInfo.processInfo.environment["SIGPORT_PYTHON"]
    static let readbackScript = packageRoot.appendingPathComponent("Tests/Python/export_readback.py").path
    /// The emulator judges a 50 ms pace; sigport keeps 20 requests/second (plus its margin).
    static let fastEmulator = EmulatorConfiguration(requestInterval: .milliseconds(50))
    static let pace = ["--requests-per-second", "20"]

    // MARK: Tests

    @Test("integration: csv, wide-csv, jsonl and sqlite, read by pandas and DuckDB, hold every input value exactly",
          .enabled(if: python != nil, "needs SIGPORT_PYTHON with pandas and duckdb installed; `make test` sets it up"))
    func integrationRoundTrip() async throws {
        let fixture = IntegrationFixture()
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            var files: [String] = []
            for (i, format) in ["csv", "wide-csv", "jsonl", "sqlite"].enumerated() {
                let out = session.path("export-\(format).\(["wide-csv": "csv"][format] ?? format)")
                let run = try await session.exportIntegration(["--from", "2024-03-01", "--to", "2024-03-02", "--format", format, "--out", out])
                #expect(run.status == 0, "\(format): \(run.output)")
                #expect(run.output.contains("\(fixture.readings().count) readings of 3 series"), "\(format): \(run.output)")
                // The first export publishes the signals (hidden items); the next ones find them published.
                #expect(run.output.contains("note: published 3 signals as hidden items") == (i == 0), "\(format): \(run.output)")
                files.append("\(format)=\(out)")
            }
            let long = try String(contentsOfFile: session.path("export-csv.csv"), encoding: .utf8)
            #expect(long.hasPrefix("timestamp,integration,input_id,name,value,signal_id,item_id\r\n"))
            #expect(long.contains(#",e2e/a,"Tricky numbers, ""a""","#), "names quoted as RFC 4180 says")
            try await Self.readBack(fixture.expectedJSON(), files, in: session.dir)
        }
    }

    @Test("ox: csv and sqlite, read by pandas and DuckDB, hold every event (id, time, sensor, type, reading, beacon); --summary counts and gaps",
          .enabled(if: python != nil, "needs SIGPORT_PYTHON with pandas and duckdb installed; `make test` sets it up"))
    func oxRoundTrip() async throws {
        let fixture = OxFixture()
        try await Self.withSession { session in
            try await session.importOx(fixture)
            let ledger = try OxImportTests.ledger(session.dir)
            #expect(ledger.count == fixture.events.count)
            let csv = try await session.exportOx("staged", ["--out", session.path("ox.csv"), "--summary", "--gap", "60s"])
            #expect(csv.status == 0, "\(csv.output)")
            #expect(csv.output.contains("\(fixture.events.count) readings of 6 series"), "\(csv.output)")
            #expect(!csv.output.contains("note:"), "every ledger event found: \(csv.output)")
            // The same selection from the same run directory: the staged events, nothing read again.
            let sqlite = try await session.exportOx("staged", ["--out", session.path("ox.sqlite"), "--format", "sqlite"])
            #expect(sqlite.status == 0, "\(sqlite.output)")
            #expect(sqlite.output.contains("requests: 0;"), "\(sqlite.output)")

            // --summary: per sensor × type, counts, extremes, and W-2's deliberate hole (> 60 s) as its one gap.
            let summary = Self.summary(csv.output, keys: fixture.seriesKeys)
            for key in fixture.seriesKeys {
                let expected = fixture.summary(key, gapMs: 60_000)
                #expect(summary[key]?.columns == expected.columns, "\(key): \(csv.output)")
                #expect(summary[key]?.gaps == expected.gaps, "\(key): \(csv.output)")
            }
            #expect(summary["W-2/heart_rate"]?.gaps.count == 1 && summary["W-1/heart_rate"]?.gaps.isEmpty == true, "\(csv.output)")

            try await Self.readBack(fixture.expectedJSON(ledger: ledger), ["csv=\(session.path("ox.csv"))", "sqlite=\(session.path("ox.sqlite"))"], in: session.dir)
        }
    }

    @Test("--out - writes the file to standard output, byte for byte, and the report to standard error")
    func standardOutput() async throws {
        let fixture = IntegrationFixture()
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            for format in ["csv", "jsonl"] {
                let arguments = ["export", "integration", "--credentials", session.creds, "--publish", "--from", "2024-03-01", "--to", "2024-03-02",
                                 "--format", format, "--summary", "--gap", "10m"] + Self.pace
                let file = session.path("file.\(format)")
                let toFile = try await CommandRun.sigport(arguments + ["--out", file], in: session.dir)
                #expect(toFile.status == 0, "\(toFile.stderr)")
                let piped = try await CommandRun.sigport(arguments + ["--out", "-"], in: session.dir)
                #expect(piped.status == 0, "\(piped.stderr)")
                #expect(piped.stdout == (try String(contentsOfFile: file, encoding: .utf8)), "\(format): standard output holds the file only")
                #expect(piped.stderr.contains("\(fixture.readings().count) readings of 3 series"), "\(piped.stderr)")
                #expect(piped.stderr.contains("e2e/b") && piped.stderr.contains("1 over 600.0 s"), "the summary goes to standard error: \(piped.stderr)")
                #expect(toFile.stdout.contains("readings of 3 series"), "with a file, the report is on standard output")
            }
        }
    }

    @Test("--summary: counts, first/last, min/max/mean as the input; exactly the deliberate holes as gaps; windows merge to the same")
    func summary() async throws {
        let fixture = IntegrationFixture()
        try await Self.withSession { session in
            try await session.importIntegration(fixture)
            let range = ["--from", "2024-03-01", "--to", "2024-03-02", "--summary", "--gap", "10m"]
            let whole = try await session.exportIntegration(range + ["--out", session.path("whole.csv")])
            #expect(whole.status == 0, "\(whole.output)")
            let parsed = Self.summary(whole.output, keys: IntegrationFixture.inputIDs)
            for (i, id) in IntegrationFixture.inputIDs.enumerated() {
                // e2e/c declares gapDetection PT5M, which wins over --gap.
                let expected = fixture.summary(i, gapMs: id == "e2e/c" ? 300_000 : 600_000)
                #expect(parsed[id]?.columns == expected.columns, "\(id): \(whole.output)")
                #expect(parsed[id]?.gaps == expected.gaps, "\(id): \(whole.output)")
            }
            #expect(parsed["e2e/a"]?.columns.suffix(4) == ["0", "over", "600.0", "s"], "\(whole.output)")
            #expect(parsed["e2e/b"]?.gaps == ["gap 2024-03-01T01:59:00.000Z → 2024-03-01T02:32:00.000Z (1980.0 s)"], "\(whole.output)")
            #expect(parsed["e2e/c"]?.gaps == ["gap 2024-03-01T00:59:00.000Z → 2024-03-01T01:06:00.000Z (420.0 s)"], "\(whole.output)")

            // Hourly windows: both holes straddle a window boundary; merged, the summary is the same.
            let windowed = try await session.exportIntegration(range + ["--window", "1h", "--out", session.path("hours")])
            #expect(windowed.status == 0, "\(windowed.output)")
            let merged = Self.summary(windowed.output, keys: IntegrationFixture.inputIDs)
            for id in IntegrationFixture.inputIDs {
                #expect(merged[id]?.columns == parsed[id]?.columns, "\(id): \(windowed.output)")
                #expect(merged[id]?.gaps == parsed[id]?.gaps, "\(id): \(windowed.output)")
            }
        }
    }
}

// MARK: - Harness

extension ExportE2ETests {
    /// A scratch directory with credentials of a running emulator: what every test works in.
    struct Session: Sendable {
        let dir: URL
        let emulator: Emulator
        let credentials: EmulatorCredentials
        var creds: String { path("creds.json") }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

        func importIntegration(_ fixture: IntegrationFixture) async throws {
            try dir.write("gateway.csv", fixture.csv())
            try dir.write("mapping.yaml", IntegrationFixture.mapping)
            try await runImport(["--mapping", path("mapping.yaml"), path("gateway.csv"), "--run-dir", path("run-integration")])
        }

        /// Into the first org, with the ledger in `run` (where `OxImportTests.ledger` reads it).
        func importOx(_ fixture: OxFixture) async throws {
            try dir.write("wrist.jsonl", fixture.jsonl())
            try await runImport(["--mapping", OxImportTests.mapping, path("wrist.jsonl"), "--run-dir", path("run")])
        }

        private func runImport(_ arguments: [String]) async throws {
            let run = try await CLITests.run(["import", "--credentials", creds] + arguments + ExportE2ETests.pace, in: dir)
            try #require(run.status == 0, "import: \(run.output)")
        }

        /// `sigport export integration --publish …` at the test pace.
        func exportIntegration(_ arguments: [String]) async throws -> CLITests.Run {
            try await CLITests.run(integrationArguments(arguments), in: dir)
        }

        func integrationArguments(_ arguments: [String], pace: [String] = ExportE2ETests.pace) -> [String] {
            ["export", "integration", "--credentials", creds, "--publish"] + arguments + pace
        }

        /// `sigport export ox` of the events the ox import's ledger names, staged in `runDir`.
        func exportOx(_ runDir: String, _ arguments: [String]) async throws -> CLITests.Run {
            try await CLITests.run(oxArguments(runDir, arguments), in: dir)
        }

        func oxArguments(_ runDir: String, _ arguments: [String], pace: [String] = ExportE2ETests.pace) -> [String] {
            ["export", "ox", "--credentials", creds, "--org", credentials.ox.orgs[0].org, "--events-from", path("run"),
             "--run-dir", path(runDir)] + arguments + pace
        }
    }

    /// A fast emulator and a scratch directory holding its credentials.
    static func withSession(_ body: @Sendable (Session) async throws -> Void) async throws {
        try await withEmulator(fastEmulator) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                let session = Session(dir: dir, emulator: emulator, credentials: credentials)
                try credentials.write(to: session.creds)
                try await body(session)
            }
        }
    }

    /// Starts `executable` with both outputs going to a fresh file in `dir`; `wait` for it, or kill it.
    static func launch(_ executable: URL, _ arguments: [String], in dir: URL) throws -> (process: Process, log: URL) {
        let log = dir.appendingPathComponent("launch-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, log)
    }

    /// Waits for a launched process without holding a thread.
    static func wait(_ launched: (process: Process, log: URL)) async throws -> CLITests.Run {
        while launched.process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        launched.process.waitUntilExit()
        return CLITests.Run(status: launched.process.terminationStatus, output: try String(contentsOf: launched.log, encoding: .utf8))
    }

    /// `export_readback.py`: pandas and DuckDB read `files` (`format=path`) and compare every
    /// reading with `expected` (its JSON); it prints the first differences.
    static func readBack(_ expected: String, _ files: [String], in dir: URL, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let path = try dir.write("expected-\(UUID().uuidString).json", expected)
        let run = try await wait(try launch(URL(fileURLWithPath: try #require(python)), [readbackScript, path] + files, in: dir))
        #expect(run.status == 0, "read back by pandas and DuckDB:\n\(run.output)", sourceLocation: sourceLocation)
        #expect(run.output.contains("0 failed"), "\(run.output)", sourceLocation: sourceLocation)
    }

    // MARK: Reading files and output

    /// The data rows of a long CSV export (CRLF line ends, header dropped).
    static func rows(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.isEmpty || text.hasSuffix("\r\n"), "\(path) ends its last row with CRLF")
        return Array(text.components(separatedBy: "\r\n").dropFirst().dropLast())
    }

    /// Field `index` of each row (for columns before any quoted one, or files without quotes).
    static func column(_ index: Int, _ rows: [String]) -> [String] {
        rows.map { row in
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            return index < fields.count ? String(fields[index]) : ""
        }
    }

    /// `--summary`'s lines by series: the words after the key (count, first, last, min, max, mean,
    /// and the gap count) and the gap lines under it, trimmed.
    static func summary(_ output: String, keys: [String]) -> [String: (columns: [String], gaps: [String])] {
        var out: [String: (columns: [String], gaps: [String])] = [:]
        var current: String?
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            if let first = words.first, keys.contains(first), !line.hasPrefix(" ") {
                current = first
                out[first] = (Array(words.dropFirst()), [])
            } else if let key = current, line.hasPrefix("    ") {
                out[key]?.gaps.append(line.trimmingCharacters(in: .whitespaces))
            } else {
                current = nil
            }
        }
        return out
    }

    /// The summary's words for a series, as computed here from the input: count, first, last,
    /// min, max, mean (`%.6g`), then "<n> over <threshold> s", and its gap lines.
    static func summaryWords(_ readings: [(ms: Int64, value: Double)], gapMs: Int64) -> (columns: [String], gaps: [String]) {
        let values = readings.map(\.value)
        func g(_ x: Double) -> String { String(format: "%.6g", x) }
        var gaps: [String] = []
        for (a, b) in zip(readings, readings.dropFirst()) where b.ms - a.ms > gapMs {
            gaps.append("gap \(rfc3339(a.ms)) → \(rfc3339(b.ms)) (\(Double(b.ms - a.ms) / 1000) s)")
        }
        let columns = ["\(readings.count)", rfc3339(readings.first!.ms), rfc3339(readings.last!.ms), g(values.min()!), g(values.max()!),
                       g(values.reduce(0, +) / Double(values.count)), "\(gaps.count)", "over", "\(Double(gapMs) / 1000)", "s"]
        return (columns, gaps)
    }

    // MARK: Time, independent of sigport's formatter

    /// RFC 3339 with milliseconds, `Z` in UTC and `+01:00` elsewhere: what an export writes.
    static func rfc3339(_ ms: Int64, zone: TimeZone = TimeZone(identifier: "UTC")!) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX"
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    static func epochMs(_ text: String) -> Int64 {
        Int64((ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970 * 1000).rounded())
    }
}

// MARK: - Fixtures

/// Three integration signals in one wide CSV at a fixed step: `e2e/a` cycles through values a
/// text round trip gets wrong first (decimals with no binary form, negatives, extremes; not a
/// subnormal, which pandas.read_json cannot read whoever writes it); `e2e/b` has one missing
/// value and a 33-minute hole; `e2e/c` (gapDetection PT5M) a 7-minute hole.
struct IntegrationFixture: Sendable {
    static let inputIDs = ["e2e/a", "e2e/b", "e2e/c"]
    static let names = ["e2e/a": #"Tricky numbers, "a""#, "e2e/b": "Smooth, with a hole", "e2e/c": "Counts"]
    static let tricky: [Double] = [0.1, -0.1, 0.1 + 0.2, -273.15, 1e15, 1.5e-7, 123_456_789.123_456, -0.5, 0, 42, -1e-300,
                                   1e300, 9_007_199_254_740_994, 2.5e-12, -98_765.4321, .leastNormalMagnitude, 1234.5678e-20]
    static let mapping = """
        version: 1
        source:
          format: csv
          timestamp: {field: timestamp, format: rfc3339}
          nulls: [""]
        target: integration
        layout: wide
        signals:
          - field: a
            input_id: e2e/a
            name: 'Tricky numbers, "a"'
          - field: b
            input_id: e2e/b
            name: "Smooth, with a hole"
          - field: c
            input_id: e2e/c
            name: Counts
            gap_detection: PT5M

        """

    /// Epoch milliseconds of each row.
    let times: [Int64]
    /// Per row, per signal (in `inputIDs` order); nil is an empty field.
    let values: [[Double?]]

    init(start: String = "2024-03-01T00:00:00Z", stepSeconds: Int64 = 60, rows: Int = 200) {
        let first = ExportE2ETests.epochMs(start)
        times = (0..<rows).map { first + Int64($0) * stepSeconds * 1000 }
        values = (0..<rows).map { i in
            let b = i == 17 || (120..<152).contains(i) ? nil : Double(String(format: "%.2f", 20 * sin(Double(i) / 10)))
            let c = (60..<66).contains(i) ? nil : Double(i * 3 - 100)
            return [Self.tricky[i % Self.tricky.count], b, c]
        }
    }

    func csv() -> String {
        var text = "timestamp,a,b,c\n"
        for (time, row) in zip(times, values) {
            text += ExportE2ETests.rfc3339(time) + "," + row.map { $0.map { "\($0)" } ?? "" }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Every reading in [from, to) (ms), in time then signal order: what a long export lists.
    func readings(from: Int64 = .min, to: Int64 = .max) -> [(ms: Int64, signal: Int, value: Double)] {
        zip(times, values).filter { $0.0 >= from && $0.0 < to }.flatMap { time, row in
            row.enumerated().compactMap { signal, value in value.map { (time, signal, $0) } }
        }
    }

    /// `export_readback.py`'s expected file; numbers written as Swift prints them (shortest round trip).
    func expectedJSON(from: Int64 = .min, to: Int64 = .max) throws -> String {
        let rows = readings(from: from, to: to).map { "[\($0.ms),\"\(Self.inputIDs[$0.signal])\",\($0.value)]" }
        let names = String(decoding: try JSONEncoder().encode(Self.names), as: UTF8.self)
        return #"{"source":"integration","names":\#(names),"readings":["# + rows.joined(separator: ",\n") + "]}"
    }

    func summary(_ signal: Int, gapMs: Int64) -> (columns: [String], gaps: [String]) {
        ExportE2ETests.summaryWords(readings().filter { $0.signal == signal }.map { ($0.ms, $0.value) }, gapMs: gapMs)
    }
}

/// Wrist sensors relayed by phones, in the shape of `samples/wearables` (read with
/// `Mappings/wearables-ox.yaml`): two sensors, two beacons, readings including a negative one and
/// one above 2^32, spo2 scaled ×10, some rows without steps, and a ~110 s hole in W-2's rows.
struct OxFixture: Sendable {
    struct Event: Hashable, Sendable {
        var ms: Int64, sensor: String, type: String, reading: Int64, beacon: String
    }

    let lines: [String]
    let events: [Event]
    let seriesKeys = ["W-1/heart_rate", "W-1/spo2_tenths", "W-1/steps", "W-2/heart_rate", "W-2/spo2_tenths", "W-2/steps"]

    init(rows: Int = 80) {
        var lines: [String] = [], events: [Event] = []
        let base = ExportE2ETests.epochMs("2024-03-01T00:00:00Z")
        for i in 0..<rows {
            let sensor = i % 2 == 0 ? "W-1" : "W-2"
            if sensor == "W-2" && (40..<60).contains(i) { continue }
            let beacon = i % 3 == 0 ? "phone-A" : "phone-B"
            let t = base + Int64(i) * 5000 + Int64(i * 37 % 1000)
            let hr: Int64 = i == 7 ? -3 : i == 9 ? 2_000_000_000_000 : Int64(55 + i * 7 % 50)
            let spo2 = "\(90 + i % 10).37"
            let steps: Int64? = sensor == "W-1" && (i == 10 || i == 12) ? nil : Int64(i % 26)
            var payload = #""hr":\#(hr),"spo2":\#(spo2)"#
            if let steps { payload += #","steps":\#(steps)"# }
            lines.append(#"{"t":\#(t),"device":{"serial":"\#(sensor)","model":"wrist/v2","fw":"2.1.4"},"relay":{"id":"\#(beacon)","os":"Android 14","kind":"phone","app":"4.2.0"},"payload":{\#(payload)}}"#)
            events.append(Event(ms: t, sensor: sensor, type: "heart_rate", reading: hr, beacon: beacon))
            events.append(Event(ms: t, sensor: sensor, type: "spo2_tenths", reading: Int64((Double(spo2)! * 10).rounded()), beacon: beacon))
            if let steps { events.append(Event(ms: t, sensor: sensor, type: "steps", reading: steps, beacon: beacon)) }
        }
        self.lines = lines
        self.events = events
    }

    func jsonl() -> String { lines.joined(separator: "\n") + "\n" }

    /// The expected file of `export_readback.py`: the input's events, and the ledger's ids for them.
    func expectedJSON(ledger: [OxEventRecord]) -> String {
        let readings = events.map { #"[\#($0.ms),"\#($0.sensor)","\#($0.type)",\#($0.reading),"\#($0.beacon)"]"# }
        let ids = ledger.map { #""\#($0.id)":[\#($0.timestampMs),"\#($0.type)",\#($0.reading)]"# }
        return #"{"source":"ox","readings":["# + readings.joined(separator: ",\n") + #"],"events":{"# + ids.joined(separator: ",\n") + "}}"
    }

    func summary(_ key: String, gapMs: Int64) -> (columns: [String], gaps: [String]) {
        let series = events.filter { "\($0.sensor)/\($0.type)" == key }.sorted { $0.ms < $1.ms }
        return ExportE2ETests.summaryWords(series.map { ($0.ms, Double($0.reading)) }, gapMs: gapMs)
    }
}
