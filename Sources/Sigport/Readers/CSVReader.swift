import Foundation

/// Reads CSV rows through libcsv, streaming: the input is read in fixed chunks and memory stays
/// bounded whatever its size (a row may be up to `maxRowBytes` long, costing up to about twice
/// that while it is read; a longer one is reported as a `csv-row-size` problem and skipped).
///
/// - Every field is returned as `.text` (`.missing` for a column `readOnly` leaves out), in the
///   order of `fieldNames`; converting values is the mapping's job (`1,5` stays the text `1,5`).
///   Unquoted fields lose leading and trailing spaces and tabs (libcsv's rule); quoted fields are
///   kept as they are.
/// - A UTF-8 byte order mark is skipped; lines end with LF, CRLF or CR; blank lines are skipped.
/// - Quoting is strict: a quote inside an unquoted field, text after a closing quote, or a
///   quoted field left open at the end of the file are `csv-quote` problems.
/// - Rows whose field count differs from the header's are `csv-ragged` problems, rows with
///   invalid UTF-8 are `utf8` problems; reading goes on with the next row.
///
/// Copies of a reader share one position (the parser is a reference).
public struct CSVReader: RowReader {
    public static let defaultMaxRowBytes = 64 << 20
    /// Small enough that the bytes `read` copies are still in the cache when libcsv reads them:
    /// against 256 KiB, system time per 100 MB went 0.14 → 0.08 s.
    public static let defaultChunkSize = 64 << 10

    public let file: String
    public let dialect: CSVDialect
    public let fieldNames: [String]
    /// Whether the names came from the file's header (for messages).
    private let namesFromHeader: Bool
    private let stream: CSVStream

    /// Opens the CSV input and reads its header row (if the dialect says it has one).
    ///
    /// Throws when the dialect is unusable, when the header has an empty or duplicate name, is
    /// malformed or not UTF-8, and when there is no header and no column list.
    public init(source: any ByteSource, file: String, dialect: CSVDialect,
                maxRowBytes: Int = CSVReader.defaultMaxRowBytes, chunkSize: Int = CSVReader.defaultChunkSize) throws {
        try dialect.validate(file: file)
        self.file = file
        self.dialect = dialect
        stream = try CSVStream(source: source, file: file, dialect: dialect, maxRowBytes: maxRowBytes, chunkSize: chunkSize)
        guard dialect.header else {
            fieldNames = dialect.columns ?? []
            namesFromHeader = false
            stream.expectedFields = fieldNames.count
            return
        }
        let header = try Self.readHeader(stream, file: file)
        if let columns = dialect.columns {
            if let header, header.names.count != columns.count {
                throw SigportError(.invalidArgument,
                                   "\(file):\(header.line): the header has \(header.names.count) columns, the column list \(columns.count).",
                                   hint: "A column list that replaces the header must name every column.")
            }
            fieldNames = columns
            namesFromHeader = false
        } else {
            fieldNames = header?.names ?? []
            namesFromHeader = true
            if let header {
                try CSVDialect.checkNames(header.names, where: "\(file):\(header.line): the header")
            }
        }
        stream.expectedFields = fieldNames.count
    }

    /// Reads only the columns named in `names`; the others' values are `.missing` (their count
    /// still checked, their bytes still in `raw`). An export from a PLC or gateway often has
    /// dozens of columns of which a mapping reads a few, and making a `String` of each field is
    /// most of what the reader's thread does besides libcsv.
    public mutating func readOnly(_ names: Set<String>) {
        stream.sink.pointee.unread = fieldNames.map { !names.contains($0) }
    }

    /// Opens an input named on the command line (decompressing `.gz`).
    public init(input: InputFile, dialect: CSVDialect) throws {
        try self.init(source: input.open(), file: input.path, dialect: dialect)
    }

    public mutating func next() throws -> ReadOutcome? {
        guard let record = try stream.nextRecord() else { return nil }
        return outcome(record)
    }

    /// Plain rows go into the batch flat (no `String` per field); others as outcomes.
    mutating func next(into batch: RowBatch) throws -> Bool {
        guard let record = try stream.nextRecord(into: batch) else { return false }
        if case .flat = record { return true }
        batch.append(outcome(record))
        return true
    }

    private func outcome(_ record: consuming CSVRecord) -> ReadOutcome {
        switch consume record {
        case let .fields(location, raw, values, invalidUTF8):
            if values.count != fieldNames.count {
                let names = namesFromHeader ? "the header" : "the column list"
                return .problem(RowProblem(location: location, rule: "csv-ragged",
                                           message: "row has \(values.count) fields, \(names) has \(fieldNames.count)",
                                           raw: raw))
            }
            if let invalid = invalidUTF8 {
                let column = fieldNames[invalid.field]
                return .problem(RowProblem(location: location, rule: "utf8",
                                           message: "invalid UTF-8 in column \"\(column)\": " + Self.describe(invalid),
                                           column: column, raw: raw))
            }
            return .row(SourceRow(location: location, values: values, raw: raw))
        case let .quote(location, raw, message, field):
            return .problem(RowProblem(location: location, rule: "csv-quote", message: message,
                                       column: field < fieldNames.count ? fieldNames[field] : nil, raw: raw))
        case let .oversized(location, raw):
            return .problem(RowProblem(location: location, rule: "csv-row-size",
                                       message: "row is longer than \(stream.state.pointee.maxRowBytes) bytes, the limit; it is skipped (only its first \(raw.count) bytes are kept)",
                                       raw: raw))
        case .flat:
            preconditionFailure("a row went flat without a batch")
        }
    }

    public var position: ReadPosition? { stream.position }

    public mutating func resume(at position: ReadPosition) throws { try stream.resume(at: position) }

    private static func describe(_ invalid: CSVInvalidUTF8) -> String {
        "byte 0x\(String(invalid.byte, radix: 16, uppercase: true)) at offset \(invalid.offset) of the field"
    }

    /// The header's names and line; nil for an empty input.
    private static func readHeader(_ stream: CSVStream, file: String) throws -> (names: [String], line: Int)? {
        guard let record = try stream.nextRecord() else { return nil }
        switch record {
        case let .fields(location, _, values, invalidUTF8):
            if let invalid = invalidUTF8 {
                throw SigportError(.invalidArgument,
                                   "\(location): the header's column \(invalid.field + 1) is not valid UTF-8 (\(describe(invalid))).",
                                   hint: "Save the file as UTF-8.")
            }
            let names = values.map { value in
                if case .text(let name) = value { return name }
                return ""
            }
            return (names, location.line)
        case let .quote(location, _, message, _):
            throw SigportError(.invalidArgument, "\(location): the header row is malformed: \(message).")
        case let .oversized(location, _):
            throw SigportError(.invalidArgument, "\(location): the header row is longer than \(stream.state.pointee.maxRowBytes) bytes.")
        case .flat:
            preconditionFailure("the header went flat without a batch")
        }
    }
}
