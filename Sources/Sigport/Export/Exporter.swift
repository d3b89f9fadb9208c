import Foundation
import GRDB

/// Where an export reads from: the ox API (events through sigport's ledgers) or the integration
/// API (signals and their data frames). Used by one task.
protocol ExportSource: AnyObject {
    var schema: ExportSchema { get }
    /// SQLite column type of the value: ox readings are integers, integration values reals.
    var valueType: String { get }
    /// What identifies the selection, for the manifest (a resumed export must ask the same).
    var parameters: [String: String] { get }
    var requests: Int { get }
    /// Reads what must be known before a file is written: the series, and the time range of
    /// the data where the source knows it (ox: after fetching the events).
    func prepare() async throws -> ExportSelection
    /// The readings in [window.from, window.to), each series' in time order.
    func records(in window: ExportWindow, _ emit: (ExportRecord) throws -> Void) async throws
}

struct ExportSelection {
    var series: [ExportSeries]
    /// [from, to) of the data, nil when there is none.
    var range: (from: Int64, to: Int64)?
    /// What the user should know (ids not found, signals without data).
    var notes: [String] = []
}

public struct ExportOptions: Sendable {
    public enum Format: String, CaseIterable, Sendable {
        case csv
        case wideCSV = "wide-csv"
        case jsonl
        case sqlite

        var fileExtension: String {
            switch self {
            case .csv, .wideCSV: "csv"
            case .jsonl: "jsonl"
            case .sqlite: "sqlite"
            }
        }
    }

    public var format: Format = .csv
    /// A file, a directory (with `window`) or `-` for standard output.
    public var out: String
    public var window: ExportWindowSize?
    public var zone = TimeZone(identifier: "UTC")!
    /// [from, to) in µs; an ox export without them covers all its events.
    public var from: Int64?
    public var to: Int64?
    /// The gap threshold (µs) for series whose metadata declares none.
    public var gap: Int64?
    public init(out: String) { self.out = out }
}

public struct ExportReport: Sendable {
    public struct Series: Sendable {
        public let key: String
        public let stats: SeriesStats
        public let gap: Int64?
    }

    /// Files written in this run (windows found done are not listed).
    public var written: [String] = []
    public var windows = 0
    public var windowsAlreadyDone = 0
    /// Readings and bytes this run wrote.
    public var rows = 0
    public var bytes: Int64 = 0
    /// Readings and bytes of the windows earlier runs wrote (from the manifest): with `rows` and
    /// `bytes`, the whole export's.
    public var earlierRows = 0
    public var earlierBytes: Int64 = 0
    public var requests = 0
    public var seconds = 0.0
    public var series: [Series] = []
    public var notes: [String] = []
}

/// Writes an export: one file, standard output, or a directory of windowed files with a
/// manifest, resumed window by window.
public final class Exporter {
    let source: any ExportSource
    let options: ExportOptions

    init(source: any ExportSource, options: ExportOptions) {
        self.source = source
        self.options = options
    }

    public convenience init(ox source: OxExportSource, options: ExportOptions) { self.init(source: source, options: options) }

    public convenience init(integration source: IntegrationExportSource, options: ExportOptions) { self.init(source: source, options: options) }

    private var parameters: [String: String] {
        var out = source.parameters
        out["format"] = options.format.rawValue
        out["window"] = options.window?.description ?? "none"
        out["timeZone"] = options.zone.identifier
        var formatter = ExportTimeFormatter()
        out["from"] = options.from.map { formatter.string($0) } ?? "all"
        out["to"] = options.to.map { formatter.string($0) } ?? "all"
        return out
    }

    public func run() async throws -> ExportReport {
        let started = ContinuousClock.now
        var report = ExportReport()
        if options.out == "-" && (options.window != nil || options.format == .sqlite) {
            throw SigportError(.invalidArgument, "Standard output takes one CSV or JSONL stream.",
                               hint: "Give --out a file for SQLite, and a directory for --window.")
        }
        let selection = try await source.prepare()
        report.notes = selection.notes
        let from = options.from ?? selection.range?.from ?? 0
        let to = options.to ?? selection.range?.to ?? 0
        var totals = Array(repeating: SeriesStats(), count: selection.series.count)
        if let size = options.window {
            let windows = size.windows(from: from, to: to, zone: options.zone)
            report.windows = windows.count
            try await writeWindows(windows, selection.series, &totals, &report)
        } else {
            report.windows = 1
            let path = options.out == "-" ? nil : options.out
            let file = try await writeFile(ExportWindow(from: from, to: to, name: ""), path: path, selection.series, &report)
            for (i, s) in selection.series.enumerated() { totals[i].merge(file.series[s.key] ?? SeriesStats(), gap: gap(s)) }
        }
        report.series = zip(selection.series, totals).map { ExportReport.Series(key: $0.key, stats: $1, gap: gap($0)) }
        report.requests = source.requests
        report.seconds = started.duration(to: .now).seconds
        return report
    }

    private func gap(_ series: ExportSeries) -> Int64? { series.gap ?? options.gap }

    private func writeWindows(_ windows: [ExportWindow], _ series: [ExportSeries], _ totals: inout [SeriesStats], _ report: inout ExportReport) async throws {
        let directory = URL(fileURLWithPath: options.out)
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw Self.outputFailure(directory.path, error)
        }
        let manifestURL = directory.appendingPathComponent("manifest.json")
        var manifest = ExportManifest(parameters: parameters, windows: windows.count, complete: false, files: [])
        if let data = try? Data(contentsOf: manifestURL) {
            guard let existing = try? JSONDecoder().decode(ExportManifest.self, from: data) else {
                throw SigportError(.invalidArgument, "\(manifestURL.path) is not a sigport export manifest.",
                                   hint: "Move it away or export into another directory.")
            }
            guard existing.parameters == manifest.parameters else {
                let differing = Set(existing.parameters.keys).union(manifest.parameters.keys)
                    .filter { existing.parameters[$0] != manifest.parameters[$0] }.sorted()
                throw SigportError(.invalidArgument, "\(directory.path) holds an export asked for differently (\(differing.joined(separator: ", "))).",
                                   hint: "Repeat the same command to resume it, or export into another directory.")
            }
            manifest.files = existing.files
            manifest.complete = existing.complete
        }
        for window in windows {
            let name = "readings-\(window.name).\(options.format.fileExtension)"
            let path = directory.appendingPathComponent(name).path
            let file: ExportManifest.File
            if let done = manifest.files.first(where: { $0.name == name }),
               let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64, size == done.bytes {
                file = done
                report.windowsAlreadyDone += 1
                report.earlierRows += done.rows
                report.earlierBytes += done.bytes
            } else {
                file = try await writeFile(window, path: path, series, &report)
                manifest.files.removeAll { $0.name == name }
                manifest.files.append(file)
                manifest.files.sort { $0.name < $1.name }
                manifest.complete = manifest.files.count == windows.count
                try save(manifest, to: manifestURL)
            }
            for (i, s) in series.enumerated() { totals[i].merge(file.series[s.key] ?? SeriesStats(), gap: gap(s)) }
        }
        if !manifest.complete {
            manifest.complete = true
            try save(manifest, to: manifestURL)
        }
    }

    private func save(_ manifest: ExportManifest, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let partial = url.appendingPathExtension("partial")
        do { try encoder.encode(manifest).write(to: partial) } catch { throw Self.outputFailure(partial.path, error) }
        guard rename(partial.path, url.path) == 0 else { throw ExportOutput.failure("rename into place", url.path) }
    }

    /// An output that cannot be written (an SQLite or scratch file, the directory, the manifest):
    /// the same kind of error as a file sink's, exit 4.
    static func outputFailure(_ path: String, _ error: any Error) -> SigportError {
        SigportError(.invalidArgument, "Could not write \(path).",
                     hint: "Check that the directory exists, is writable and has space; the export resumes where it stopped.", cause: error)
    }

    private func writeFile(_ window: ExportWindow, path: String?, _ series: [ExportSeries], _ report: inout ExportReport) async throws -> ExportManifest.File {
        do {
            return try await writeFileUnguarded(window, path: path, series, &report)
        } catch let error as DatabaseError {
            throw Self.outputFailure(path ?? "a scratch file", error)
        }
    }

    private func writeFileUnguarded(_ window: ExportWindow, path: String?, _ series: [ExportSeries], _ report: inout ExportReport) async throws -> ExportManifest.File {
        let time = ExportTimeFormatter(zone: options.zone)
        let sink: any ExportSink
        switch options.format {
        case .csv: sink = try LongCSVSink(ExportOutput(path: path), schema: source.schema, series: series, time: time)
        case .jsonl: sink = JSONLSink(try ExportOutput(path: path), schema: source.schema, series: series, time: time)
        case .wideCSV:
            let spill = (path.map { $0 + ".cells" }) ?? FileManager.default.temporaryDirectory.appendingPathComponent("sigport-wide-\(getpid()).cells").path
            sink = try WideCSVSink(ExportOutput(path: path), series: series, time: time, spillPath: spill)
        case .sqlite:
            guard let path else { throw SigportError(.invalidArgument, "An SQLite export needs a file: give --out a path.") }
            var about = parameters.sorted { $0.key < $1.key }
            about += [("windowFrom", String(window.from)), ("windowTo", String(window.to)), ("epochUnit", "ms")]
            sink = try SQLiteSink(path: path, schema: source.schema, series: series, time: time, valueType: source.valueType, about: about)
        }
        var stats = Array(repeating: SeriesStats(), count: series.count)
        var rows = 0
        var first: Int64?, last: Int64?
        let gaps = series.map(gap)
        try await source.records(in: window) { record in
            stats[record.series].add(time: record.time, value: record.value.double, gap: gaps[record.series])
            rows += 1
            first = min(first ?? record.time, record.time)
            last = max(last ?? record.time, record.time)
            try sink.write(record)
        }
        let (bytes, sha256) = try sink.finish()
        report.rows += rows
        report.bytes += bytes
        if let path { report.written.append(path) }
        var formatter = time
        return ExportManifest.File(
            name: path.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "-", window: window.name,
            from: formatter.string(window.from), to: formatter.string(window.to), rows: rows,
            firstTimestamp: first.map { formatter.string($0) }, lastTimestamp: last.map { formatter.string($0) },
            bytes: bytes, sha256: sha256,
            series: Dictionary(zip(series, stats).filter { $1.count > 0 }.map { ($0.key, $1) }, uniquingKeysWith: { a, _ in a }))
    }
}
