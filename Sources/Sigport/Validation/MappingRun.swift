import Foundation

/// The offline half of every job: read the inputs, apply the mapping, check every rule, write
/// rejects, and hand each mapped row to `sink`. Counts always balance:
/// rows read = mapped + rejected + filtered.
public struct MappingRun {
    public struct Counts: Codable, Sendable, Equatable {
        public var read = 0
        public var mapped = 0
        public var rejected = 0
        public var filtered = 0
        /// Lines holding nothing (only spaces, tabs, `\r`): no row, so not in `read`.
        public var blankLines = 0
        /// Values (integration) or events (ox) in the mapped rows.
        public var values = 0
        /// Array elements of mapped rows that no part of the mapping read (`MappedRow.unmapped`).
        public var unmapped = 0
        /// Values of mapped rows at a (signal, time) an earlier value of the run had: not sent
        /// (`duplicates: keep-first`) or sent over the earlier one (`keep-last`). The API holds
        /// `values - duplicates` of them. Under `reject` such rows are rejected instead.
        public var duplicates = 0
        public var rejectsByRule: [String: Int] = [:]

        mutating func add(_ other: Counts) {
            read += other.read; mapped += other.mapped; rejected += other.rejected; filtered += other.filtered; values += other.values
            blankLines += other.blankLines; unmapped += other.unmapped; duplicates += other.duplicates
            for (rule, n) in other.rejectsByRule { rejectsByRule[rule, default: 0] += n }
        }
    }

    public struct FileReport: Codable, Sendable {
        public var file: String
        public var counts: Counts
    }

    public struct Report: Codable, Sendable {
        public var files: [FileReport] = []
        public var total = Counts()
        public var signals = 0
        public var sensors = 0
        public var beacons = 0
        /// Set when `--max-rejects` stopped the run.
        public var stoppedByRejectLimit: String?
        public var rejectsFile: String?
    }

    public let mapping: Mapping
    public let inputs: [InputFile]
    public let rejects: RejectWriter
    public var maxRejects: RejectLimit?
    public private(set) var mapper: RowMapper
    /// Integration target: the (signal, time) pairs taken so far.
    private var duplicates: DuplicateTimes?
    /// Rows per block of `DuplicateTimes` (tests make blocks small to cross their edges).
    var duplicateBlockRows: Int {
        get { duplicates?.blockRows ?? 0 }
        set { duplicates?.blockRows = newValue }
    }

    public init(mapping: Mapping, inputs: [InputFile], rejectDirectory: URL, maxRejects: RejectLimit? = nil) {
        self.mapping = mapping
        self.inputs = inputs
        self.rejects = RejectWriter(directory: rejectDirectory)
        self.maxRejects = maxRejects
        self.mapper = RowMapper(mapping: mapping)
        if mapping.target == .integration {
            duplicates = DuplicateTimes(policy: mapping.duplicates, reading: TimeBlockReader(mapping: mapping, inputs: inputs))
        }
    }

    /// Runs through every input. Throws for an input that cannot be read at all; a bad row is a
    /// reject, never an error.
    public mutating func run(_ sink: (MappedRow, RowMapper) throws -> Void = { _, _ in }) throws -> Report {
        var report = Report()
        for (index, input) in inputs.enumerated() {
            let reader = try mapping.reader(for: input)
            duplicates?.startInput(index)
            try mapper.start(file: input, fieldNames: reader.fieldNames)
            let header = mapping.source.format == .csv && mapping.source.csv.header ? CSVWriter.line(reader.fieldNames, dialect: mapping.source.csv) : nil
            var rows = RowStream(reader, input: input)
            var counts = Counts()
            while let item = try rows.next() {
                counts.read += 1
                switch item {
                case .outcome(.problem(let problem)):
                    try reject(Rejection(location: problem.location, column: problem.column, value: nil, rule: problem.rule, message: problem.message, raw: problem.raw),
                               input: input, header: header, counts: &counts)
                case .outcome(.row(let row)): try take(mapper.map(row), .source(row), rows: rows, input: input, header: header, counts: &counts, sink)
                case .flat(let row): try take(mapper.map(row), .flat(row), rows: rows, input: input, header: header, counts: &counts, sink)
                }
                if let limit = maxRejects {
                    var total = report.total
                    total.add(counts)
                    if limit.exceeded(rejected: counts.rejected, read: counts.read, final: false)
                        || limit.exceeded(rejected: total.rejected, read: total.read, final: false) {
                        counts.blankLines = rows.position?.blankLines ?? 0
                        report.stoppedByRejectLimit = "more than \(limit) rows rejected (\(input.path) \(counts.rejected) of \(counts.read), all \(total.rejected) of \(total.read))"
                        report.total = total
                        report.files.append(FileReport(file: input.path, counts: counts))
                        return finish(report)
                    }
                }
            }
            counts.blankLines = rows.position?.blankLines ?? 0
            duplicates?.closeBlock(endRow: counts.read, next: nil)
            report.total.add(counts)
            report.files.append(FileReport(file: input.path, counts: counts))
            if let limit = maxRejects, limit.exceeded(rejected: counts.rejected, read: counts.read, final: true) {
                report.stoppedByRejectLimit = "more than \(limit) of the rows of \(input.path) rejected (\(counts.rejected) of \(counts.read))"
                return finish(report)
            }
        }
        if let limit = maxRejects, limit.exceeded(rejected: report.total.rejected, read: report.total.read, final: true) {
            report.stoppedByRejectLimit = "more than \(limit) of all rows rejected (\(report.total.rejected) of \(report.total.read))"
        }
        return finish(report)
    }

    /// One row's outcome counted: a mapped row's values checked for duplicate times, then handed
    /// to `sink`. A method rather than a function nested in `run`: reading the mapper from a
    /// nested function that also changed `duplicates` copied the whole mapper per row (half of a
    /// wide plan's time).
    private mutating func take(_ outcome: MapOutcome, _ row: RowRef, rows: borrowing RowStream, input: InputFile, header: [UInt8]?,
                               counts: inout Counts, _ sink: (MappedRow, RowMapper) throws -> Void) throws {
        switch outcome {
        case .filtered: counts.filtered += 1
        case .rejected(let rejection): try reject(rejection, input: input, header: header, counts: &counts)
        case .mapped(var mapped):
            if duplicates != nil {
                switch try duplicates!.check(&mapped, row: counts.read - 1, line: row.location.line, signals: mapper.signals) {
                case .new: break
                case .removed(let n):
                    counts.duplicates += n
                    counts.values += n
                case .replaces(let signals): counts.duplicates += signals.count
                case .reject(let value, let origin):
                    return try reject(duplicates!.rejection(of: value, at: mapped.time, from: origin, row: row, signals: mapper.signals),
                                      input: input, header: header, counts: &counts)
                }
                if duplicates!.blockFull, let position = rows.position {
                    duplicates!.closeBlock(endRow: counts.read, next: ResumePoint(row: counts.read, position: position))
                }
            }
            counts.mapped += 1
            counts.values += mapped.values.count + mapped.events.count
            counts.unmapped += mapped.unmapped
            try sink(mapped, mapper)
        }
    }

    private func finish(_ report: Report) -> Report {
        var report = report
        report.signals = mapper.signals.count
        report.sensors = mapper.sensors.count
        report.beacons = mapper.beacons.count
        if report.total.rejected > 0 { report.rejectsFile = rejects.logURL.path }
        return report
    }

    private func reject(_ rejection: Rejection, input: InputFile, header: [UInt8]?, counts: inout Counts) throws {
        counts.rejected += 1
        counts.rejectsByRule[rejection.rule, default: 0] += 1
        try rejects.write(rejection, input: input, header: header)
    }

}

/// Writes CSV lines (RFC 4180 quoting) for reject files' headers.
enum CSVWriter {
    static func line(_ fields: [String], dialect: CSVDialect) -> [UInt8] {
        let quote = Character(UnicodeScalar(dialect.quote))
        let delimiter = Character(UnicodeScalar(dialect.delimiter))
        return Array(fields.map { field in
            field.contains(where: { $0 == quote || $0 == delimiter || $0 == "\n" || $0 == "\r" })
                ? String(quote) + field.replacingOccurrences(of: String(quote), with: String([quote, quote])) + String(quote) : field
        }.joined(separator: String(delimiter)).utf8)
    }
}
