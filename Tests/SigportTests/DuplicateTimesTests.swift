import Foundation
import Testing
@testable import Sigport
@testable import SigportEmulator

/// Two values for one signal at one time are never silent: `duplicates: reject` (the default)
/// rejects the later row naming both places, `keep-first` and `keep-last` load one of the two
/// and count the other, across files, blocks and resumed runs.
@Suite("duplicate times: found, counted and decided")
struct DuplicateTimesTests {
    static func longMapping(_ policy: String?) -> String {
        """
        source: {format: csv, timestamp: {field: ts, format: epoch_s}}
        target: integration
        layout: long
        long: {id_field: id, value_field: v}
        signal: {input_id: "s-{id}"}
        \(policy.map { "duplicates: \($0)" } ?? "")
        """
    }

    /// What each policy must decide, row by row, for rows of (signal, time, value): the model
    /// the index is checked against.
    struct Model {
        var rejectedLines: [Int] = []
        var duplicates = 0
        var held: [String: [Int64: Double]] = [:]

        init(_ rows: [[(signal: String, time: Int64, value: Double)]], policy: DuplicatePolicy, firstLine: Int = 2) {
            var taken = Set<String>()
            for (n, row) in rows.enumerated() {
                let keys = row.map { "\($0.signal)@\($0.time)" }
                let repeats = keys.enumerated().filter { i, key in taken.contains(key) || keys[..<i].contains(key) }.map(\.offset)
                if policy == .reject, !repeats.isEmpty {
                    rejectedLines.append(firstLine + n)
                    continue
                }
                duplicates += repeats.count
                for (i, value) in row.enumerated() {
                    let first = !taken.contains(keys[i])
                    if first || policy == .keepLast { held[value.signal, default: [:]][value.time * 1_000_000] = value.value }
                    taken.insert(keys[i])
                }
            }
        }
    }

    static func run(_ yaml: String, files: [(String, String)], blockRows: Int? = nil) async throws -> (report: MappingRun.Report, rejects: [RejectLine], rows: [MappedRow], names: [String]) {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let inputs = try files.map { InputFile(path: try dir.write($0.0, $0.1)) }
            var run = MappingRun(mapping: try Mapping.parse(yaml, file: "m.yaml"), inputs: inputs, rejectDirectory: dir.appendingPathComponent("run"))
            if let blockRows { run.duplicateBlockRows = blockRows }
            var rows: [MappedRow] = []
            let report = try run.run { row, _ in rows.append(row) }
            let log = dir.appendingPathComponent("run/rejects.jsonl")
            let text = FileManager.default.fileExists(atPath: log.path) ? try String(contentsOf: log, encoding: .utf8) : ""
            let rejects = try lines(text).map { try JSONDecoder().decode(RejectLine.self, from: Data($0.utf8)) }
            #expect(report.total.read == report.total.mapped + report.total.rejected + report.total.filtered)
            return (report, rejects, rows, run.mapper.signals.map(\.inputID))
        }
    }

    @Test("two overlapping files: the later rows are rejected as duplicate-time, each naming the first file's line")
    func acrossFiles() async throws {
        let a = "ts,id,v\n100,a,1\n101,a,2\n102,a,3\n"
        let b = "ts,id,v\n102,a,30\n103,a,4\n101,a,20\n101,b,5\n"
        let run = try await Self.run(Self.longMapping(nil), files: [("a.csv", a), ("b.csv", b)])
        #expect(run.rejects.map { "\(($0.file as NSString).lastPathComponent):\($0.line) \($0.rule) \($0.column ?? "-") \($0.value ?? "-")" } == [
            "b.csv:2 duplicate-time ts 1970-01-01T00:01:42Z", "b.csv:4 duplicate-time ts 1970-01-01T00:01:41Z",
        ])
        #expect(run.rejects[0].message.contains("signal s-a already has a value at 1970-01-01T00:01:42Z, from ") && run.rejects[0].message.hasSuffix("a.csv:4; with duplicates: keep-first or keep-last in the mapping, one of the two is loaded"), "\(run.rejects[0].message)")
        #expect(run.rejects[1].message.contains("a.csv:3;"), "\(run.rejects[1].message)")
        #expect(run.report.total.mapped == 5 && run.report.total.rejectsByRule == ["duplicate-time": 2] && run.report.total.duplicates == 0)
    }

    @Test("keep-first drops the later value and keeps the row's others; keep-last keeps it; both count it", arguments: [DuplicatePolicy.keepFirst, .keepLast])
    func keep(_ policy: DuplicatePolicy) async throws {
        let yaml = """
            source: {format: csv, timestamp: {field: ts, format: epoch_s}}
            target: integration
            duplicates: \(policy.rawValue)
            signals:
              - {field: x, input_id: x}
              - {field: y, input_id: y}
              - {field: z, input_id: x}
            """
        // Line 3 names x twice (columns x and z); line 4 repeats time 100 for x only.
        let run = try await Self.run(yaml, files: [("w.csv", "ts,x,y,z\n100,1,2,\n101,3,4,5\n100,6,,\n")])
        let got = run.rows.map { row in row.values.map { "\(run.names[$0.signal])=\(NumberText.shortest($0.value))" } }
        #expect(run.rejects.isEmpty)
        #expect(run.report.total.duplicates == 2 && run.report.total.mapped == 3 && run.report.total.values == 6)
        switch policy {
        case .keepFirst: #expect(got == [["x=1", "y=2"], ["x=3", "y=4"], []])
        default: #expect(got == [["x=1", "y=2"], ["x=3", "y=4", "x=5"], ["x=6"]])
        }
    }

    @Test("shuffled long rows with many repeats, in blocks of 7 rows: every policy decides as the model does", arguments: DuplicatePolicy.allCases)
    func shuffled(_ policy: DuplicatePolicy) async throws {
        var generator = SplitMix64(seed: 24)
        var rows: [[(signal: String, time: Int64, value: Double)]] = []
        var text = "ts,id,v\n"
        for i in 0..<600 {
            let signal = "\(Int.random(in: 0..<4, using: &generator))"
            // Mostly ascending with jitter, sometimes far back: repeats inside and across blocks.
            let time = Int64.random(in: 0..<10, using: &generator) < 2 ? Int64.random(in: 0..<200, using: &generator) : Int64(i / 3 + Int.random(in: 0..<4, using: &generator))
            rows.append([(signal: "s-\(signal)", time: time, value: Double(i))])
            text += "\(time),\(signal),\(i)\n"
        }
        let model = Model(rows, policy: policy)
        #expect(model.rejectedLines.count + model.duplicates > 50, "the input repeats times often")
        let half = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Two files: the second half's repeats of the first are found across inputs too.
        let first = half[0...300].joined(separator: "\n") + "\n", second = "ts,id,v\n" + half[301...].joined(separator: "\n")
        for blockRows in [7, 65_536] {
            let run = try await Self.run(Self.longMapping(policy.rawValue), files: [("1.csv", first), ("2.csv", second)], blockRows: blockRows)
            let lines = run.rejects.map { $0.file.hasSuffix("1.csv") ? $0.line : $0.line + 300 }
            #expect(lines == model.rejectedLines, "blocks of \(blockRows)")
            #expect(run.report.total.duplicates == model.duplicates, "blocks of \(blockRows)")
            var held: [String: [Int64: Double]] = [:]
            for row in run.rows {
                for value in row.values {
                    if policy == .keepLast || held[run.names[value.signal]]?[row.time] == nil { held[run.names[value.signal], default: [:]][row.time] = value.value }
                }
            }
            #expect(held == model.held, "blocks of \(blockRows)")
        }
    }

    @Test("a mapping's duplicates: is checked: only for the integration target, one of three words")
    func loaderErrors() throws {
        #expect(throws: MappingError.self) { try Mapping.parse(Self.longMapping("keep_last"), file: "m.yaml") }
        do {
            _ = try Mapping.parse(Self.longMapping("keep_last"), file: "m.yaml")
        } catch let error as MappingError {
            #expect("\(error)".contains("must be one of reject, keep-first, keep-last, not \"keep_last\""), "\(error)")
            #expect(error.line == 6 && error.key == "duplicates", "\(error)")
        }
    }
}

/// Split out of the suite above so its imports run beside the in-memory checks.
extension DuplicateTimesTests {
    /// Two gateway logs of one signal: `a` at times 0…239 s, `b` at 200…299 s (its first 40
    /// rows repeat `a`'s last 40, with other values).
    static let a = "ts,id,v\n" + (0..<240).map { "\($0),t,\($0)\n" }.joined()
    static let b = "ts,id,v\n" + (200..<300).map { "\($0),t,\(1000 + $0)\n" }.joined()

    /// What the API holds when a's values are kept: a's 240, then b's 60 past a's end.
    static let firstKept: [Int64: Double] = {
        var out: [Int64: Double] = [:]
        for t in 0..<300 { out[Int64(t) * 1_000_000] = Double(t < 240 ? t : 1000 + t) }
        return out
    }()

    static func importDuplicates(_ policy: String?, extra: [String] = [], in dir: URL, run: String = "run") async throws -> (status: Int32, output: String) {
        let mapping = try dir.write("m.yaml", longMapping(policy))
        let a = try dir.write("a.csv", Self.a), b = try dir.write("b.csv", Self.b)
        let result = try await CLITests.run(["import", "--credentials", dir.appendingPathComponent("creds.json").path, "--mapping", mapping, a, b,
                                             "--run-dir", dir.appendingPathComponent(run).path, "--requests-per-second", "50",
                                             "--max-request-bytes", "1500"] + extra, in: dir)
        return (result.status, result.output)
    }

    @Test("imported into the emulator: b's repeats of a are rejected by default (the rejects name a's line), or loaded per policy, in small requests sent 4 at a time",
          arguments: [nil, "keep-first", "keep-last"])
    func importOverlap(_ policy: String?) async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let run = try await Self.importDuplicates(policy, extra: ["--max-in-flight", "4"], in: dir)
                let stored = try await ImportTests.stored(emulator)["s-t"] ?? [:]
                let s: Int64 = 1_000_000
                var expected = Self.firstKept
                if policy == "keep-last" { for t in 200..<240 { expected[Int64(t) * s] = Double(1000 + t) } }
                #expect(stored == expected)
                if policy == nil {
                    #expect(run.status == 1, "\(run.output)")
                    #expect(run.output.contains("rows read 340 = sent 300 + rejected 40 + filtered 0"), "\(run.output)")
                    #expect(run.output.contains("rejected by duplicate-time: 40"), "\(run.output)")
                    let rejects = try lines(String(contentsOf: dir.appendingPathComponent("run/rejects.jsonl"), encoding: .utf8))
                        .map { try JSONDecoder().decode(RejectLine.self, from: Data($0.utf8)) }
                    #expect(rejects.map(\.line) == Array(2...41))
                    #expect(rejects.allSatisfy { $0.file.hasSuffix("b.csv") && $0.rule == "duplicate-time" })
                    #expect(rejects.first?.message.contains("a.csv:202;") == true, "\(rejects.first?.message ?? "")")
                } else {
                    #expect(run.status == 0, "\(run.output)")
                    #expect(run.output.contains("rows read 340 = sent 340 + rejected 0 + filtered 0"), "\(run.output)")
                    #expect(run.output.contains("duplicate values (a signal's time already had one; one of the two kept, as the mapping's duplicates: says): 40, so the API holds 300 of the 340 values"), "\(run.output)")
                }
            }
        }
    }

    @Test("stopped after a's requests and resumed: the repeats in b are found against what the first session sent")
    func acrossResume() async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let first = try await Self.importDuplicates(nil, extra: ["--max-requests", "4"], in: dir)
                #expect(first.status == 5, "\(first.output)")
                let done = try Checkpoint(directory: dir.appendingPathComponent("run")).inputs()
                #expect(done[0].rowsDone > 0 && !done[1].finished, "\(done)")
                let second = try await Self.importDuplicates(nil, in: dir)
                #expect(second.status == 1, "\(second.output)")
                #expect(second.output.contains("rows read 340 = sent 300 + rejected 40 + filtered 0"), "\(second.output)")
                let stored = try await ImportTests.stored(emulator)["s-t"] ?? [:]
                #expect(stored == Self.firstKept)
            }
        }
    }
}


@Suite("SpanIndex finds the blocks whose range holds a time")
struct SpanIndexTests {
    @Test("against every range looked at one by one: ascending, shuffled and nested ranges, earliest block first")
    func model() {
        var random = SplitMix64(seed: 11)
        for shape in 0..<3 {
            var index = SpanIndex()
            var ranges: [(low: Int64, high: Int64, block: Int)] = []
            for block in 0..<300 {
                let low: Int64 = shape == 0 ? Int64(block) * 100 : Int64.random(in: 0...30_000, using: &random)
                let width: Int64 = shape == 2 && block % 7 == 0 ? 9_000 : Int64.random(in: 0...150, using: &random)
                ranges.append((low, low + width, block))
                index.insert(low: low, high: low + width, block: block)
            }
            for _ in 0..<2_000 {
                let time = Int64.random(in: -10...31_000, using: &random)
                var found: [Int] = []
                index.blocks(holding: time, into: &found)
                #expect(found == ranges.filter { $0.low <= time && time <= $0.high }.map(\.block), "shape \(shape), time \(time)")
            }
        }
    }
}

@Suite("TimeBlockTimes finds a (signal, time) from any hint")
struct TimeBlockTimesTests {
    @Test("from hints before, at, after the answer and far off: the same line as a search without one")
    func hints() {
        var random = SplitMix64(seed: 5)
        let entries = (0..<2_000).map { _ in
            TimeBlockTimes.Entry(time: Int64.random(in: 0...3_000, using: &random), id: Int32.random(in: 0...3, using: &random), line: Int.random(in: 1...9_999, using: &random))
        }
        let times = TimeBlockTimes(entries)
        for _ in 0..<3_000 {
            let id = Int.random(in: 0...3, using: &random), time = Int64.random(in: -5...3_005, using: &random)
            var none = -1
            let expected = times.first(id: id, time: time, hint: &none)
            var hint = Int.random(in: -1...2_001, using: &random)
            #expect(times.first(id: id, time: time, hint: &hint) == expected, "id \(id), time \(time)")
            #expect(hint == none, "the hint ends where the search does")
        }
    }
}
