import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write readings out as files analysts open in pandas, DuckDB, R or a spreadsheet.",
        subcommands: [ExportOxCommand.self, ExportIntegrationCommand.self])
}

/// What an export writes and where; shared by both export commands.
struct ExportFileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("csv (long: one row per reading), wide-csv (one row per timestamp, one column per series), jsonl or sqlite.", valueName: "format"))
    var format: ExportOptions.Format = .csv

    @Option(help: ArgumentHelp("A file, - for standard output, or a directory with --window.", valueName: "path"))
    var out: String

    @Option(help: ArgumentHelp("Split into one file per calendar window (1h…24h dividing a day, Nd, Nw, Nmo) plus manifest.json; resumes window by window.", valueName: "size"))
    var window: String?

    @Option(help: ArgumentHelp("Start, inclusive: RFC 3339, or a local date/date-time in --time-zone.", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("End, exclusive: RFC 3339, or a local date/date-time in --time-zone.", valueName: "time"))
    var to: String?

    @Option(help: ArgumentHelp("IANA zone for timestamps, local --from/--to and window boundaries.", valueName: "zone"))
    var timeZone = "UTC"

    @Flag(help: "Print per-series counts, first/last time, min/max/mean and gaps.")
    var summary = false

    @Option(help: ArgumentHelp("Gap threshold for series whose metadata gives none (90s, 10m, 2h, 1d or PT10M).", valueName: "duration"))
    var gap: String?

    @Option(help: ArgumentHelp(
        "Pace every method at this many requests per second instead of its documented rate.",
        discussion: "Default: each method's documented rate (integration API 1.1: dataFrame 1/s, publishSignals 5/s, selectSignals 10/s; ox: 1/s)."))
    var requestsPerSecond: Double?

    func validate() throws {
        guard let zone = TimeZone(identifier: timeZone) else { throw ValidationError("--time-zone \(timeZone) is not an IANA zone such as Europe/Oslo.") }
        if let window, ExportWindowSize(window) == nil { throw ValidationError("--window takes a size such as 6h (hours dividing 24), 1d, 1w or 1mo.") }
        if out == "-" && window != nil { throw ValidationError("--window writes a directory of files: give --out a directory.") }
        if out == "-" && format == .sqlite { throw ValidationError("An SQLite export cannot go to standard output: give --out a file.") }
        for (flag, text) in [("--from", from), ("--to", to)] {
            if let text, ExportTimeArgument.microseconds(text, zone: zone) == nil {
                throw ValidationError("\(flag) \(text) is not RFC 3339 (2024-03-01T00:00:00Z) or a local date (2024-03-01).")
            }
        }
        if let a = from.flatMap({ ExportTimeArgument.microseconds($0, zone: zone) }), let b = to.flatMap({ ExportTimeArgument.microseconds($0, zone: zone) }), a >= b {
            throw ValidationError("--from must be before --to.")
        }
        if let gap, Self.microseconds(gap) == nil { throw ValidationError("--gap takes a duration up to 100 years, such as 90s, 10m, 2h, 1d or PT10M.") }
        if let requestsPerSecond, requestsPerSecond <= 0 { throw ValidationError("--requests-per-second must be positive.") }
    }

    static func microseconds(_ duration: String) -> Int64? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let seconds = duration.last.flatMap { units[$0] }.flatMap { scale in Double(duration.dropLast()).map { $0 * scale } }
            ?? RFC3339Duration.seconds(duration)
        // Up to 100 years: longer is no gap threshold, and would not fit in µs.
        guard let seconds, seconds > 0, seconds <= 3.2e9 else { return nil }
        return Int64(seconds * 1_000_000)
    }

    var options: ExportOptions {
        let zone = TimeZone(identifier: timeZone)!
        var options = ExportOptions(out: out)
        options.format = format
        options.window = window.flatMap(ExportWindowSize.init)
        options.zone = zone
        options.from = from.flatMap { ExportTimeArgument.microseconds($0, zone: zone) }
        options.to = to.flatMap { ExportTimeArgument.microseconds($0, zone: zone) }
        options.gap = gap.flatMap(Self.microseconds)
        return options
    }

    /// Runs the export and reports on standard error when the data goes to standard output.
    func run(_ exporter: Exporter) async throws {
        let report: ExportReport
        do { report = try await exporter.run() } catch let error as SigportError {
            throw CommandFailure(exitCode: SigportExitCode(error), message: "\(error)")
        }
        var text = ""
        for note in report.notes { text += "note: \(note)\n" }
        // The whole export's counts, so that a resumed run says what an uninterrupted one would, then this session's part.
        let (rows, bytes, files) = (report.rows + report.earlierRows, report.bytes + report.earlierBytes, report.written.count + report.windowsAlreadyDone)
        let session = report.windowsAlreadyDone == 0 ? ""
            : " (this session: \(report.rows) readings, \(report.bytes) bytes in \(report.written.count) files; \(report.windowsAlreadyDone) windows already written)"
        text += "\(rows) readings of \(report.series.count) series, \(bytes) bytes in \(files) files; \(report.windows) windows\(session)\n"
        text += String(format: "requests: %d; time: %.1f s\n", report.requests, report.seconds)
        if summary { text += ExportSummaryText.render(report, zone: options.zone) }
        if out == "-" { FileHandle.standardError.write(Data(text.utf8)) } else { print(text, terminator: "") }
    }
}

extension ExportOptions.Format: ExpressibleByArgument {}

/// `--summary` as a table: one line per series, then its first gaps.
enum ExportSummaryText {
    static func render(_ report: ExportReport, zone: TimeZone) -> String {
        var time = ExportTimeFormatter(zone: zone)
        func number(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "-" }
        let width = max(6, report.series.map(\.key.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var out = pad("series", width) + "  " + pad("count", 9) + pad("first", 31) + pad("last", 31) + pad("min", 13) + pad("max", 13) + pad("mean", 13) + "gaps\n"
        for series in report.series {
            let s = series.stats
            out += pad(series.key, width) + "  " + pad(String(s.count), 9) + pad(s.first.map { time.string($0) } ?? "-", 31)
                + pad(s.last.map { time.string($0) } ?? "-", 31) + pad(number(s.min), 13) + pad(number(s.max), 13) + pad(number(s.mean), 13)
                + (series.gap == nil ? "no threshold" : "\(s.gapCount) over \(Double(series.gap!) / 1e6) s") + "\n"
            for gap in s.gaps.prefix(5) {
                out += "    gap \(time.string(gap[0])) → \(time.string(gap[1])) (\(Double(gap[1] - gap[0]) / 1e6) s)\n"
            }
            if s.gapCount > 5 { out += "    … \(s.gapCount - 5) more\n" }
        }
        return out
    }
}
