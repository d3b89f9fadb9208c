import Foundation
import Testing
@testable import Sigport

/// A wide mapping over `ts,site,temp,note` that skips rows whose note is `skip`.
let messyMapping = """
    version: 1
    source:
      format: csv
      timestamp: {field: ts}
      nulls: ["", "NA"]
      filters: [{skip_if: {field: note, equals: skip}}]
    target: integration
    signals:
      - field: temp
        input_id: "{site}/temp"
    """

/// A CSV with a byte order mark, CRLF line ends, a quoted line break, a ragged row, invalid
/// UTF-8 and a bad timestamp, with the physical line each row starts on.
let messyRows: [(line: Int, raw: [UInt8])] = [
    (2, Array("2024-03-01T00:00:00Z,pier,21.5,ok".utf8)),
    (3, Array("2024-03-01T00:01:00Z,pier,\"21,6\",\"two\r\nlines\"".utf8)),
    (5, Array("2024-03-01T00:02:00Z,pier,21.7".utf8)),
    (6, Array("2024-03-01T00:03:00Z,p".utf8) + [0xFF] + Array("er,21.8,x".utf8)),
    (7, Array("yesterday,pier,21.9,x".utf8)),
    (8, Array("2024-03-01T00:05:00Z,pier,NA,x".utf8)),
    (9, Array("2024-03-01T00:06:00Z,pier,warm,x".utf8)),
    (10, Array("2024-03-01T00:07:00Z,pier,22.0,skip".utf8)),
]
let messyCSV: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("ts,site,temp,note\r\n".utf8) + messyRows.flatMap { $0.raw + [0x0D, 0x0A] }

/// What rejects.jsonl holds for `messyCSV` read from `path`.
func messyRejectLines(_ path: String) -> [String] {
    [
        #"{"column":"temp","file":"\#(path)","line":3,"message":"not a number","raw":"2024-03-01T00:01:00Z,pier,\"21,6\",\"two\r\nlines\"","rule":"number","value":"21,6"}"#,
        #"{"file":"\#(path)","line":5,"message":"row has 3 fields, the header has 4","raw":"2024-03-01T00:02:00Z,pier,21.7","rule":"csv-ragged"}"#,
        #"{"column":"site","file":"\#(path)","line":6,"message":"invalid UTF-8 in column \"site\": byte 0xFF at offset 1 of the field","raw":"2024-03-01T00:03:00Z,p\#u{FFFD}er,21.8,x","rule":"utf8"}"#,
        #"{"column":"ts","file":"\#(path)","line":7,"message":"the timestamp is not in the declared format","raw":"yesterday,pier,21.9,x","rule":"timestamp-format","value":"yesterday"}"#,
        #"{"column":"temp","file":"\#(path)","line":9,"message":"not a number","raw":"2024-03-01T00:06:00Z,pier,warm,x","rule":"number","value":"warm"}"#,
    ]
}

/// A CSV of `rows` rows over `ts,site,temp`, one a minute; `bad` row numbers (1-based) get `warm` as temp.
/// `site` names the signal: files meant to be loaded together take different sites, since the same minute
/// of one signal in two files is a duplicate time.
func minuteCSV(rows: Int, bad: Set<Int> = [], site: String = "pier") -> String {
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "ts,site,temp\n" + (1...rows).map { i in
        "2024-03-01T\(two((i - 1) / 60)):\(two((i - 1) % 60)):00Z,\(site)," + (bad.contains(i) ? "warm" : "\(i).5")
    }.joined(separator: "\n") + "\n"
}

let minuteMapping = """
    source: {format: csv, timestamp: {field: ts}}
    target: integration
    signals: [{field: temp, input_id: "{site}/temp"}]
    """

func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }

@Suite("sigport validate")
struct ValidateCommandTests {
    @Test("a messy CSV: balanced counts, rejects.jsonl and the per-file reject file, exit 1")
    func messy() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", messyMapping)
            let input = try dir.write("messy.csv", messyCSV)
            let runDir = dir.appendingPathComponent("run").path
            let run = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", runDir, input], in: dir)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            #expect(run.stdout == """
                rows read 8 = mapped 2 + rejected 5 + filtered 1
                1 values for 1 signals
                  rejected by number: 2
                  rejected by csv-ragged: 1
                  rejected by timestamp-format: 1
                  rejected by utf8: 1
                rejects: \(runDir)/rejects.jsonl

                """)
            #expect(lines(try dir.text("run/rejects.jsonl")) == messyRejectLines(input))
            // The rejected rows as they came (LF after each), under the header: ready to fix and feed again.
            let rejected = messyRows.filter { [3, 5, 6, 7, 9].contains($0.line) }
            #expect(try dir.bytes("run/rejects/messy.csv") == Array("ts,site,temp,note\n".utf8) + rejected.flatMap { $0.raw + [0x0A] })
        }
    }

    @Test("exit 0 when every row is valid: the PLC sample (semicolons, decimal commas, Oslo time)")
    func clean() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let run = try await CommandRun.sigport(["validate", "--mapping", samplePath("Mappings/plc-long.yaml"), "--run-dir", dir.path,
                                                    samplePath("samples/plc/line-3_2024-03-31.csv")], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "rows read 252 = mapped 252 + rejected 0 + filtered 0\n252 values for 3 signals\n")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("rejects.jsonl").path))
        }
    }

    @Test("a directory of inputs: the gateway sample (one hour 25 in it), with per-file lines, and --report as JSON")
    func gatewayDirectory() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let samples = samplePath("samples/gateway")
            let report = dir.appendingPathComponent("report.json").path
            let run = try await CommandRun.sigport(["validate", "-m", samplePath("Mappings/gateway-wide.yaml"), "--run-dir", dir.path,
                                                    "--report", report, samples], in: dir)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stdout == """
                rows read 2880 = mapped 2879 + rejected 1 + filtered 0
                14381 values for 10 signals
                  \(samples)/gw-0042_2024-03.csv: read 1440, mapped 1440, rejected 0, filtered 0
                  \(samples)/gw-0107_2024-03.csv: read 1440, mapped 1439, rejected 1 (timestamp-format 1), filtered 0
                  rejected by timestamp-format: 1
                rejects: \(dir.path)/rejects.jsonl

                """)
            let raw = "2024-03-01T25:40:00Z,yard,0.87,67.0,1012.1,455,OPEN"
            #expect(lines(try dir.text("rejects.jsonl")) == [
                #"{"column":"timestamp","file":"\#(samples)/gw-0107_2024-03.csv","line":1002,"message":"the timestamp is not in the declared format","raw":"\#(raw)","rule":"timestamp-format","value":"2024-03-01T25:40:00Z"}"#,
            ])
            #expect(try dir.text("rejects/gw-0107_2024-03.csv") == "timestamp,site,temp_c,humidity_pct,pressure_hpa,co2_ppm,door\n\(raw)\n")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("rejects/gw-0042_2024-03.csv").path))
            let decoded = try JSONDecoder().decode(MappingRun.Report.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
            #expect(decoded.total == MappingRun.Counts(read: 2880, mapped: 2879, rejected: 1, filtered: 0, values: 14381, rejectsByRule: ["timestamp-format": 1]))
            #expect(decoded.files.map(\.file) == ["\(samples)/gw-0042_2024-03.csv", "\(samples)/gw-0107_2024-03.csv"])
            #expect(decoded.files.map(\.counts.values) == [7193, 7188])
            #expect(decoded.signals == 10)
            #expect(decoded.rejectsFile == "\(dir.path)/rejects.jsonl")
            #expect(decoded.stoppedByRejectLimit == nil)
        }
    }

    @Test("a glob and a .gz input: the file-name capture reads through .gz")
    func globAndGzip() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let source = try String(contentsOfFile: samplePath("samples/gateway/gw-0042_2024-03.csv"), encoding: .utf8)
            let head = source.components(separatedBy: "\r\n").prefix(11).joined(separator: "\r\n") + "\r\n"
            try dir.write("in/gw-0001_a.csv", head)
            try dir.write("in/gw-0002_b.csv", head)
            try dir.write("in/notes.txt", "not matched by the glob")
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gzip.arguments = ["-k", dir.appendingPathComponent("in/gw-0002_b.csv").path]
            try gzip.run()
            gzip.waitUntilExit()
            try FileManager.default.moveItem(atPath: dir.appendingPathComponent("in/gw-0002_b.csv.gz").path,
                                             toPath: dir.appendingPathComponent("gw-0003_c.csv.gz").path)
            let report = dir.appendingPathComponent("r.json").path
            let run = try await CommandRun.sigport(["validate", "-m", samplePath("Mappings/gateway-wide.yaml"), "--run-dir", dir.path, "--report", report,
                                                    dir.appendingPathComponent("in").path + "/gw-*.csv", dir.appendingPathComponent("gw-0003_c.csv.gz").path], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(lines(run.stdout).first == "rows read 30 = mapped 30 + rejected 0 + filtered 0")
            // Three gateways (0001, 0002, 0003) × five signals, all at the pier.
            #expect(lines(run.stdout)[1].hasSuffix(" values for 15 signals"))
            let decoded = try JSONDecoder().decode(MappingRun.Report.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
            #expect(decoded.files.map { ($0.file as NSString).lastPathComponent } == ["gw-0001_a.csv", "gw-0002_b.csv", "gw-0003_c.csv.gz"])
            #expect(decoded.files.map(\.counts.read) == [10, 10, 10])
        }
    }

    @Test("standard input as -: rejects name the file -, the reject file is rejects/stdin")
    func standardInput() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", minuteMapping)
            let run = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", "run", "-"], in: dir,
                                                   stdin: Array(minuteCSV(rows: 3, bad: [2]).utf8))
            #expect(run.status == 1)
            #expect(run.stdout == """
                rows read 3 = mapped 2 + rejected 1 + filtered 0
                2 values for 1 signals
                  rejected by number: 1
                rejects: \(dir.path)/run/rejects.jsonl

                """)
            #expect(lines(try dir.text("run/rejects.jsonl")) == [
                #"{"column":"temp","file":"-","line":3,"message":"not a number","raw":"2024-03-01T00:01:00Z,pier,warm","rule":"number","value":"warm"}"#,
            ])
            #expect(try dir.text("run/rejects/stdin") == "ts,site,temp\n2024-03-01T00:01:00Z,pier,warm\n")
        }
    }

    @Test("JSONL: a malformed line and a line that is no object are rejects; the reject file holds the raw lines")
    func jsonl() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let good = #"{"t":1709251200630,"device":{"serial":"W-17","model":"wrist/v2","fw":"2.1.4"},"relay":{"id":"phone-3","os":"Android 14","kind":"phone","app":"4.2.0"},"payload":{"hr":97,"spo2":99.4,"steps":10}}"#
            let broken = #"{"t":1709251210275,"device":{"serial":"W-17""#
            let notObject = "[1,2]"
            let fraction = good.replacingOccurrences(of: #""hr":97"#, with: #""hr":97.5"#)
            let input = try dir.write("w.jsonl", [good, broken, notObject, fraction, good].joined(separator: "\n") + "\n")
            let run = try await CommandRun.sigport(["validate", "-m", samplePath("Mappings/wearables-ox.yaml"), "--run-dir", dir.path, input], in: dir)
            #expect(run.status == 1)
            #expect(lines(run.stdout).prefix(2) == ["rows read 5 = mapped 2 + rejected 3 + filtered 0", "6 events for 1 sensors and 1 beacons"])
            #expect(lines(run.stdout).contains("  rejected by jsonl-syntax: 1"))
            #expect(lines(run.stdout).contains("  rejected by jsonl-not-object: 1"))
            #expect(lines(run.stdout).contains("  rejected by ox-reading-integer: 1"))
            let rejects = try lines(dir.text("rejects.jsonl")).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(rejects.map { $0["line"] as? Int } == [2, 3, 4])
            #expect(rejects.map { $0["rule"] as? String } == ["jsonl-syntax", "jsonl-not-object", "ox-reading-integer"])
            #expect(rejects.map { $0["raw"] as? String } == [broken, notObject, fraction])
            #expect(rejects.map { $0["file"] as? String } == [input, input, input])
            #expect(rejects[2]["column"] as? String == "payload.hr")
            #expect(rejects[2]["value"] as? String == "97.5")
            #expect(rejects[2]["message"] as? String == "event_reading must be an integer (the mapping says reading: reject)")
            #expect(try dir.text("rejects/w.jsonl") == [broken, notObject, fraction].map { $0 + "\n" }.joined())
        }
    }

    @Test("exit 2 for a broken mapping: standard error names file:line: key")
    func brokenMapping() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", minuteMapping.replacingOccurrences(of: "input_id", with: "inpt_id"))
            let input = try dir.write("in.csv", minuteCSV(rows: 1))
            let run = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, input], in: dir)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr == "sigport: Error in the mapping file: \(mapping):3: signals[0].inpt_id: unknown key; did you mean \"input_id\"?\n")
            let missing = try await CommandRun.sigport(["validate", "-m", dir.appendingPathComponent("none.yaml").path, input], in: dir)
            #expect(missing.status == 2)
            #expect(missing.stderr.hasPrefix("sigport: Error in the mapping file: \(dir.path)/none.yaml:0: (file): cannot be read: "))
        }
    }

    @Test("exit 4: a missing input, a missing column, a file name that does not match the pattern")
    func unreadableInputs() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", minuteMapping)
            let absent = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, dir.path + "/none.csv"], in: dir)
            #expect(absent.status == 4)
            #expect(absent.stdout == "")
            #expect(absent.stderr == "sigport: No input matches \(dir.path)/none.csv.\n  hint: Check the path or the pattern.\n")

            let noTemp = try dir.write("no-temp.csv", "ts,site\n2024-03-01T00:00:00Z,pier\n")
            let column = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, noTemp], in: dir)
            #expect(column.status == 4)
            #expect(column.stderr == "sigport: \(noTemp) has no column \"temp\", which \(mapping) reads.\n  hint: Its columns are: ts, site.\n")

            let other = try dir.write("gateway-42.csv", "timestamp,site,temp_c,humidity_pct,pressure_hpa,co2_ppm,door\n")
            let name = try await CommandRun.sigport(["validate", "-m", samplePath("Mappings/gateway-wide.yaml"), "--run-dir", dir.path, other], in: dir)
            #expect(name.status == 4)
            #expect(name.stderr == """
                sigport: The file name gateway-42.csv does not match the mapping's file_name pattern gw-(?<serial>\\d+)_.
                  hint: Rename the file or adjust source.file_name.pattern in \(samplePath("Mappings/gateway-wide.yaml")).

                """)

            let empty = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, dir.appendingPathComponent("nothing").path + "/"], in: dir)
            #expect(empty.status == 4)
        }
    }

    @Test("--max-rejects takes a count or a percentage; anything else is a usage error")
    func maxRejectsArgument() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", minuteMapping)
            let input = try dir.write("in.csv", minuteCSV(rows: 1))
            let run = try await CommandRun.sigport(["validate", "-m", mapping, "--max-rejects", "lots", input], in: dir)
            #expect(run.status == 64)
            #expect(run.stderr.contains("--max-rejects takes a count (100) or a percentage (2%), not 'lots'."))
        }
    }
}
