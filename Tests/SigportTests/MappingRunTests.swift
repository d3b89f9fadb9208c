import Foundation
import Testing
@testable import Sigport

private let march1: Int64 = 1_709_251_200_000_000

@Suite("Mapping run: read → map → reject")
struct MappingRunTests {
    @Test("a semicolon CSV with decimal commas: values, times, rejects and the reject file in the input's dialect")
    func semicolonDecimalComma() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mappingPath = try dir.write("m.yaml", """
                source:
                  format: csv
                  csv: {delimiter: ";"}
                  decimal: ","
                  timestamp: {field: Zeit, format: "%d.%m.%Y %H:%M:%S", timezone: Europe/Oslo}
                target: integration
                signals:
                  - field: Temp
                    input_id: "{Gerät}/temp"
                    scale: 10
                  - field: Zustand
                    input_id: "{Gerät}/state"
                    type: enum
                    states: {AUS: 0, AN: 1}
                """)
            let input = try dir.write("semi.csv", """
                Zeit;Gerät;Temp;Zustand
                01.03.2024 01:00:00;ofen-1;1,5;AN
                01.03.2024 01:05:00;ofen-1;-0,25;AUS
                01.03.2024 01:10:00;ofen-1;1.234,5;AN
                01.03.2024 01:15:00;"ofen;2";2;AN
                01.03.2024 01:20:00;ofen-1;"3,75";AN

                """)
            var run = MappingRun(mapping: try Mapping.load(path: mappingPath), inputs: [InputFile(path: input)],
                                 rejectDirectory: dir.appendingPathComponent("run"))
            var rows: [MappedRow] = []
            let report = try run.run { row, _ in rows.append(row) }
            #expect(rows.map(\.time) == [march1, march1 + 300_000_000, march1 + 1_200_000_000])
            #expect(rows.map { $0.values.map(\.signal) } == [[0, 1], [0, 1], [0, 1]])
            #expect(rows.map { $0.values.map(\.value) } == [[15, 1], [-2.5, 0], [37.5, 1]])
            #expect(run.mapper.signals.map(\.inputID) == ["ofen-1/temp", "ofen-1/state"])
            #expect(report.total == MappingRun.Counts(read: 5, mapped: 3, rejected: 2, filtered: 0, values: 6,
                                                      rejectsByRule: ["number": 1, "input-id": 1]))
            #expect(report.files.map(\.file) == [input])
            #expect(report.signals == 2)
            #expect(report.rejectsFile == dir.appendingPathComponent("run/rejects.jsonl").path)
            #expect(lines(try dir.text("run/rejects.jsonl")) == [
                #"{"column":"Temp","file":"\#(input)","line":4,"message":"not a number","raw":"01.03.2024 01:10:00;ofen-1;1.234,5;AN","rule":"number","value":"1.234,5"}"#,
                #"{"column":"Gerät","file":"\#(input)","line":5,"message":"input ID \"ofen;2/temp\" does not match ^[a-zA-Z0-9-_:.#+/]{1,128}$","raw":"01.03.2024 01:15:00;\"ofen;2\";2;AN","rule":"input-id","value":"ofen;2"}"#,
            ])
            #expect(try dir.text("run/rejects/semi.csv") == "Zeit;Gerät;Temp;Zustand\n01.03.2024 01:10:00;ofen-1;1.234,5;AN\n01.03.2024 01:15:00;\"ofen;2\";2;AN\n")
        }
    }

    @Test("columns the mapping does not read change nothing: the same rows, rejects (with their whole raw line) and signals")
    func unreadColumns() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mappingPath = try dir.write("m.yaml", """
                source:
                  format: csv
                  timestamp: {field: time}
                  filters:
                    - keep_if: {field: status, equals: ok}
                target: integration
                signals:
                  - field: temp
                    input_id: "{site}/temp"
                    labels: {line: ["{line}"]}
                """)
            let narrow = try dir.write("narrow.csv", """
                time,site,line,status,temp
                2024-03-01T00:00:00Z,pier,a,ok,1.5
                2024-03-01T00:00:01Z,pier,a,bad,2
                2024-03-01T00:00:02Z,dock,b,ok,x
                2024-03-01T00:00:03Z,dock,b,ok,4

                """)
            let wide = try dir.write("wide.csv", """
                note,time,firmware,site,line,status,temp,spare
                n1,2024-03-01T00:00:00Z,v1,pier,a,ok,1.5,
                n2,2024-03-01T00:00:01Z,v1,pier,a,bad,2,s
                n3,2024-03-01T00:00:02Z,v2,dock,b,ok,x,s
                "n4, quoted",2024-03-01T00:00:03Z,v2,dock,b,ok,4,s

                """)
            func run(_ input: String) throws -> (rows: [MappedRow], report: MappingRun.Report, labels: [[String: [String]]], rejects: String) {
                let rejects = dir.appendingPathComponent("run-" + URL(fileURLWithPath: input).lastPathComponent)
                var run = MappingRun(mapping: try Mapping.load(path: mappingPath), inputs: [InputFile(path: input)], rejectDirectory: rejects)
                var rows: [MappedRow] = []
                let report = try run.run { row, _ in rows.append(row) }
                return (rows, report, run.mapper.signals.map(\.labels), try String(contentsOf: rejects.appendingPathComponent("rejects.jsonl"), encoding: .utf8))
            }
            let a = try run(narrow), b = try run(wide)
            #expect(b.rows.map(\.time) == a.rows.map(\.time))
            #expect(b.rows.map { $0.values.map(\.value) } == [[1.5], [4]])
            #expect(b.rows.map { $0.values.map(\.value) } == a.rows.map { $0.values.map(\.value) })
            #expect(b.report.total == a.report.total)
            #expect(b.labels == a.labels && b.labels == [["line": ["a"]], ["line": ["b"]]])
            #expect(b.rejects.contains(#""raw":"n3,2024-03-01T00:00:02Z,v2,dock,b,ok,x,s""#), "\(b.rejects)")
            #expect(b.rejects.contains(#""column":"temp""#) && b.rejects.contains(#""value":"x""#))
        }
    }

    @Test("counts balance on every sample: read = mapped + rejected + filtered, per file and in total", arguments: [
        ("Mappings/gateway-wide.yaml", "samples/gateway"), ("Mappings/plc-long.yaml", "samples/plc"), ("Mappings/wearables-ox.yaml", "samples/wearables"),
    ])
    func samplesBalance(mapping: String, inputs: String) async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            var run = MappingRun(mapping: try Mapping.load(path: samplePath(mapping)), inputs: try InputFile.resolve([samplePath(inputs)]),
                                 rejectDirectory: dir)
            var values = 0
            let report = try run.run { row, _ in values += row.values.count + row.events.count }
            for counts in report.files.map(\.counts) + [report.total] {
                #expect(counts.read == counts.mapped + counts.rejected + counts.filtered)
                #expect(counts.rejected == counts.rejectsByRule.values.reduce(0, +))
            }
            #expect(report.total.read == report.files.map(\.counts.read).reduce(0, +))
            #expect(report.total.values == values)
            // The gateway sample has one row at hour 25.
            #expect(report.total.rejectsByRule == (inputs == "samples/gateway" ? ["timestamp-format": 1] : [:]))
            #expect(report.total.read == ["samples/gateway": 2880, "samples/plc": 252, "samples/wearables": 1200][inputs])
            #expect(report.total.values == ["samples/gateway": 14381, "samples/plc": 252, "samples/wearables": 3596][inputs])
            #expect([report.signals, report.sensors, report.beacons] == ["samples/gateway": [10, 0, 0], "samples/plc": [3, 0, 0], "samples/wearables": [0, 2, 2]][inputs])
        }
    }

    @Test("inputs with the same name in different directories get reject files of their own")
    func sameBaseName() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try Mapping.parse(minuteMapping, file: "m.yaml")
            let a = try dir.write("in/2024-01/x.csv", minuteCSV(rows: 2, bad: [1]))
            let b = try dir.write("in/2024-02/x.csv", minuteCSV(rows: 2, bad: [2]))
            var run = MappingRun(mapping: mapping, inputs: try InputFile.resolve([dir.appendingPathComponent("in").path]), rejectDirectory: dir.appendingPathComponent("run"))
            let report = try run.run()
            #expect(report.files.map(\.file) == [a, b])
            #expect(report.total.rejected == 2)
            #expect(try dir.text("run/rejects/x.csv") == "ts,site,temp\n2024-03-01T00:00:00Z,pier,warm\n")
            #expect(try dir.text("run/rejects/x-2.csv") == "ts,site,temp\n2024-03-01T00:01:00Z,pier,warm\n")
        }
    }

    @Test("--max-rejects as a count stops at the first reject past it, with the stopping file in the report")
    func maxRejectsCount() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try Mapping.parse(minuteMapping, file: "m.yaml")
            let clean = try dir.write("a.csv", minuteCSV(rows: 5))
            let bad = try dir.write("b.csv", minuteCSV(rows: 10, bad: [1, 2, 3, 4]))
            let never = try dir.write("c.csv", minuteCSV(rows: 10))
            var run = MappingRun(mapping: mapping, inputs: [clean, bad, never].map(InputFile.init(path:)),
                                 rejectDirectory: dir, maxRejects: RejectLimit("2"))
            let report = try run.run()
            #expect(report.stoppedByRejectLimit == "more than 2 rows rejected (\(bad) 3 of 3, all 3 of 8)")
            #expect(report.files.map(\.file) == [clean, bad])
            #expect(report.files.map(\.counts.read) == [5, 3])
            #expect(report.files.map(\.counts.rejected) == [0, 3])
            #expect(report.total == MappingRun.Counts(read: 8, mapped: 5, rejected: 3, filtered: 0, values: 5, rejectsByRule: ["number": 3]))
            #expect(lines(try dir.text("rejects.jsonl")).count == 3)
        }
    }

    @Test("--max-rejects as a share: judged from 100 rows on, per file at its end, and overall at the end")
    func maxRejectsPercent() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try Mapping.parse(minuteMapping, file: "m.yaml")
            func run(_ files: [String], _ limit: String) throws -> MappingRun.Report {
                var run = MappingRun(mapping: mapping, inputs: files.map(InputFile.init(path:)), rejectDirectory: dir, maxRejects: RejectLimit(limit))
                return try run.run()
            }
            // 20 bad rows first: past 10% once 100 rows are read, not before.
            let early = try dir.write("early.csv", minuteCSV(rows: 150, bad: Set(1...20)))
            let stopped = try run([early], "10%")
            #expect(stopped.total.read == 100)
            #expect(stopped.stoppedByRejectLimit == "more than 10.0% rows rejected (\(early) 20 of 100, all 20 of 100)")
            // A small file: judged at its end.
            let small = try dir.write("small.csv", minuteCSV(rows: 20, bad: [5, 10, 15]))
            let end = try run([small], "10%")
            #expect(end.total.read == 20)
            #expect(end.stoppedByRejectLimit == "more than 10.0% of the rows of \(small) rejected (3 of 20)")
            #expect(end.files.map(\.file) == [small])
            // 1 of 20 and 2 of 20: 5% and exactly 10%, 7.5% overall: not past the limit.
            let a = try dir.write("a.csv", minuteCSV(rows: 20, bad: [3]))
            let b = try dir.write("b.csv", minuteCSV(rows: 20, bad: [4, 8], site: "dock"))
            let fine = try run([a, b], "10%")
            #expect(fine.stoppedByRejectLimit == nil)
            #expect(fine.total.rejected == 3)
            // Past 7% in b: the overall share (a weighted mean of the files') cannot be past it unless one file is.
            #expect(try run([a, b], "7%").stoppedByRejectLimit == "more than 7.0% of the rows of \(b) rejected (2 of 20)")
        }
    }

    @Test("RejectLimit parses counts and percentages")
    func rejectLimit() {
        #expect(RejectLimit("0")?.count == 0)
        #expect(RejectLimit("100")?.count == 100)
        #expect(RejectLimit("2%")?.percent == 2)
        #expect(RejectLimit("0.5%")?.percent == 0.5)
        #expect(RejectLimit("100%")?.percent == 100)
        for bad in ["", "-1", "x", "101%", "-1%", "%", "1.5", "2 %"] { #expect(RejectLimit(bad) == nil, "\(bad)") }
        #expect(RejectLimit("2")?.description == "2")
        #expect(RejectLimit("10%")?.description == "10.0%")
        let zero = RejectLimit("0")!
        #expect(!zero.exceeded(rejected: 0, read: 10, final: false))
        #expect(zero.exceeded(rejected: 1, read: 1, final: false))
        let share = RejectLimit("10%")!
        #expect(!share.exceeded(rejected: 50, read: 99, final: false))
        #expect(share.exceeded(rejected: 11, read: 100, final: false))
        #expect(!share.exceeded(rejected: 10, read: 100, final: false))
        #expect(share.exceeded(rejected: 1, read: 2, final: true))
        #expect(!share.exceeded(rejected: 0, read: 0, final: true))
    }
}

@Suite("sigport validate --max-rejects")
struct ValidateMaxRejectsTests {
    @Test("--max-rejects 2: exit 3, stops at the third reject")
    func count() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", minuteMapping)
            let input = try dir.write("in.csv", minuteCSV(rows: 10, bad: [2, 4, 6, 8]))
            let run = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, "--max-rejects", "2", input], in: dir)
            #expect(run.status == 3)
            #expect(run.stdout == """
                rows read 6 = mapped 3 + rejected 3 + filtered 0
                3 values for 1 signals
                  rejected by number: 3
                rejects: \(dir.path)/rejects.jsonl
                stopped: more than 2 rows rejected (\(input) 3 of 6, all 3 of 6)

                """)
            #expect(lines(try dir.text("rejects.jsonl")).count == 3)
            let within = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, "--max-rejects", "4", input], in: dir)
            #expect(within.status == 1)
            #expect(lines(within.stdout).first == "rows read 10 = mapped 6 + rejected 4 + filtered 0")
        }
    }

    @Test("--max-rejects 10%: exit 3 once 100 rows are read, with the report's reason")
    func percent() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", minuteMapping)
            let input = try dir.write("in.csv", minuteCSV(rows: 150, bad: Set(1...20)))
            let reportPath = dir.appendingPathComponent("report.json").path
            let run = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, "--max-rejects", "10%", "--report", reportPath, input], in: dir)
            #expect(run.status == 3)
            #expect(run.stdout == """
                rows read 100 = mapped 80 + rejected 20 + filtered 0
                80 values for 1 signals
                  rejected by number: 20
                rejects: \(dir.path)/rejects.jsonl
                stopped: more than 10.0% rows rejected (\(input) 20 of 100, all 20 of 100)

                """)
            let report = try JSONDecoder().decode(MappingRun.Report.self, from: Data(contentsOf: URL(fileURLWithPath: reportPath)))
            #expect(report.stoppedByRejectLimit == "more than 10.0% rows rejected (\(input) 20 of 100, all 20 of 100)")
            #expect(report.files.map(\.counts.read) == [100])
            #expect(report.total.rejectsByRule == ["number": 20])
            #expect(report.rejectsFile == "\(dir.path)/rejects.jsonl")
        }
    }
}
