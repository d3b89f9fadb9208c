import ArgumentParser
import Foundation
import Sigport

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check every row of the inputs against the mapping and the APIs' documented rules, offline.",
        discussion: """
        Reads the inputs as the mapping says, and reports each row that breaks a rule: in \
        <run-dir>/rejects.jsonl (file, line, column, value, rule, message, raw row) and, per input, \
        in <run-dir>/rejects/<file> in the input's own format, ready to fix and feed again. \
        Nothing is sent anywhere.

        Exit codes: 0 every row is valid; 1 rows were rejected; 2 the mapping file is invalid; \
        3 --max-rejects was exceeded; 4 an input cannot be read.

        Example:
          sigport validate --mapping Mappings/gateway-wide.yaml samples/gateway/
        """)

    @OptionGroup var options: MappingOptions

    func run() async throws {
        do {
            let (report, _) = try Validation.run(options, mapping: try options.loadMapping())
            try options.writeReport(report)
            if report.stoppedByRejectLimit != nil { throw ExitCode(SigportExitCode.rejectLimitExceeded.rawValue) }
            if report.total.rejected > 0 { throw ExitCode(SigportExitCode.rowsRejected.rawValue) }
        } catch {
            throw CommandFailure.exit(error)
        }
    }
}

/// The mapping pass shared by `validate` and `plan`, with the summary they print.
enum Validation {
    static func run(_ options: MappingOptions, mapping: Mapping,
                    sink: (MappedRow, RowMapper) throws -> Void = { _, _ in }) throws -> (MappingRun.Report, RowMapper) {
        let inputs = try options.resolveInputs()
        var run = MappingRun(mapping: mapping, inputs: inputs, rejectDirectory: URL(fileURLWithPath: options.runDir),
                             maxRejects: options.maxRejects.flatMap(RejectLimit.init))
        let report: MappingRun.Report
        do { report = try run.run(sink) } catch let error as SigportError {
            throw CommandFailure(exitCode: .inputUnreadable, message: "\(error)")
        }
        print(summary(report, target: mapping.target))
        return (report, run.mapper)
    }

    /// The summary's lines under its balance: each input's counts when there are several, with
    /// its rejects by rule, then all rejects by rule and the blank lines skipped (`mapped`:
    /// "sent" for an import).
    static func breakdown(_ files: [MappingRun.FileReport], total: MappingRun.Counts, mapped: String) -> [String] {
        func rules(_ counts: [String: Int]) -> [(String, Int)] { counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) } }
        var lines: [String] = []
        if files.count > 1 {
            for file in files {
                let c = file.counts
                let byRule = c.rejectsByRule.isEmpty ? "" : " (" + rules(c.rejectsByRule).map { "\($0) \($1)" }.joined(separator: ", ") + ")"
                let extra = (c.duplicates > 0 ? ", \(c.duplicates) duplicate values" : "") + (c.unmapped > 0 ? ", \(c.unmapped) unmapped elements" : "")
                    + (c.blankLines > 0 ? ", \(c.blankLines) blank lines" : "")
                lines.append("  \(file.file): read \(c.read), \(mapped) \(c.mapped), rejected \(c.rejected)\(byRule), filtered \(c.filtered)\(extra)")
            }
        }
        for (rule, n) in rules(total.rejectsByRule) { lines.append("  rejected by \(rule): \(n)") }
        if total.duplicates > 0 {
            lines.append("  duplicate values (a signal's time already had one; one of the two kept, as the mapping's duplicates: says): \(total.duplicates), so the API holds \(total.values - total.duplicates) of the \(total.values) values")
        }
        if total.unmapped > 0 { lines.append("  array elements no field of the mapping read (unmapped): \(total.unmapped)") }
        if total.blankLines > 0 { lines.append("  blank lines skipped (no rows, so not in rows read): \(total.blankLines)") }
        return lines
    }

    static func summary(_ report: MappingRun.Report, target: Mapping.Target) -> String {
        let t = report.total
        var lines = ["rows read \(t.read) = mapped \(t.mapped) + rejected \(t.rejected) + filtered \(t.filtered)"]
        lines.append(target == .integration
            ? "\(t.values) values for \(report.signals) signals"
            : "\(t.values) events for \(report.sensors) sensors and \(report.beacons) beacons")
        lines += breakdown(report.files, total: t, mapped: "mapped")
        if let file = report.rejectsFile { lines.append("rejects: \(file)") }
        if let stop = report.stoppedByRejectLimit { lines.append("stopped: \(stop)") }
        return lines.joined(separator: "\n")
    }
}
