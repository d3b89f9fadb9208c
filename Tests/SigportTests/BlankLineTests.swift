import Foundation
import Testing
@testable import Sigport
import SigportEmulator

/// Blank lines hold no row, so they are not in `rows read`; they are counted and shown, in
/// validate's and import's summaries and reports, and a resumed import does not count them twice.
@Suite("blank lines are counted, not hidden")
struct BlankLineTests {
    /// 300 rows, a blank line (empty, spaces, a tab, CRLF-empty in turn) after every tenth, and
    /// two more at the end: 32 blank lines.
    static func input(jsonl: Bool) -> String {
        let blanks = ["", "   ", "\t", "\r"]
        var text = jsonl ? "" : "ts,site,v\n"
        for i in 0..<300 {
            let minute = String(format: "2024-03-01T%02d:%02d:00Z", i / 60, i % 60)
            text += jsonl ? #"{"ts":"\#(minute)","site":"pier","v":\#(i)}"# + "\n" : "\(minute),pier,\(i)\n"
            if i % 10 == 9 { text += blanks[(i / 10) % 4] + "\n" }
        }
        return text + "\n\n"
    }

    @Test("validate: 300 rows read, 32 blank lines skipped, in the summary and the report", arguments: [false, true])
    func validate(jsonl: Bool) async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", jsonl ? EdgeMappings.jsonl : EdgeMappings.csv)
            let input = try dir.write(jsonl ? "in.jsonl" : "in.csv", Self.input(jsonl: jsonl))
            let report = dir.appendingPathComponent("report.json").path
            let run = try await CommandRun.sigport(["validate", "-m", mapping, "--run-dir", dir.path, "--report", report, input], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("rows read 300 = mapped 300 + rejected 0 + filtered 0"), "\(run.stdout)")
            #expect(run.stdout.contains("blank lines skipped (no rows, so not in rows read): 32"), "\(run.stdout)")
            let decoded = try JSONDecoder().decode(MappingRun.Report.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
            #expect(decoded.total.blankLines == 32 && decoded.files.map(\.counts.blankLines) == [32])
        }
    }

    @Test("import stopped by its budget and resumed: 32 blank lines in all, none counted twice; every value stored", arguments: [false, true])
    func importResumed(jsonl: Bool) async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let mapping = try dir.write("m.yaml", jsonl ? EdgeMappings.jsonl : EdgeMappings.csv)
                let input = try dir.write(jsonl ? "in.jsonl" : "in.csv", Self.input(jsonl: jsonl))
                let report = dir.appendingPathComponent("report.json").path
                let arguments = ["import", "--credentials", dir.appendingPathComponent("creds.json").path, "--mapping", mapping, input,
                                 "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "50",
                                 "--max-request-bytes", "2048", "--report", report]
                let first = try await CLITests.run(arguments + ["--max-requests", "4"], in: dir)
                #expect(first.status == 5, "\(first.output)")
                let partial = try JSONDecoder().decode(Importer.Report.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
                #expect(partial.total.read < 300 && partial.total.blankLines < 32, "\(first.output)")
                let second = try await CLITests.run(arguments, in: dir)
                #expect(second.status == 0, "\(second.output)")
                #expect(second.output.contains("blank lines skipped (no rows, so not in rows read): 32"), "\(second.output)")
                let whole = try JSONDecoder().decode(Importer.Report.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
                #expect(whole.total.read == 300 && whole.total.blankLines == 32)
                let stored = try await ImportTests.stored(emulator)
                #expect(stored["pier/v"]?.count == 300)
            }
        }
    }
}
