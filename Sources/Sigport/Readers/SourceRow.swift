/// Where a row came from: enough to show it to a person (file and line) and to resume after it
/// (byte offset in the decompressed stream).
public struct RowLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The path as the user named it; `-` for standard input.
    public var file: String
    /// 1-based physical line on which the row starts (a quoted CSV field may span lines).
    public var line: Int
    /// Offset of the row's first byte in the decompressed input.
    public var byteOffset: Int64

    public init(file: String, line: Int, byteOffset: Int64) {
        self.file = file
        self.line = line
        self.byteOffset = byteOffset
    }

    public var description: String { "\(file):\(line)" }
}

/// One field's value as read, before any mapping.
public enum FieldValue: Sendable, Hashable {
    /// The field is not in this row (a JSON path that leads nowhere).
    case missing
    /// JSON `null`.
    case null
    /// A CSV field, or a JSON string.
    case text(String)
    /// A JSON number.
    case number(Double)
    /// A JSON boolean.
    case bool(Bool)
}

/// A row read from an input: the values of the fields the reader was asked for, and the row's
/// raw bytes so that a rejected row can be written out again exactly as it came.
public struct SourceRow: Sendable {
    public var location: RowLocation
    public var values: [FieldValue]
    /// The row as in the input, without its line terminator.
    public var raw: [UInt8]
    /// With an array read element by element (`JSONLEach`): its element count, and each
    /// element's item fields, element after element.
    public var elements = 0
    public var items: [FieldValue] = []
    /// Elements of arrays read by position (`readings[0].v`) past the last position read.
    public var unreadElements = 0

    public init(location: RowLocation, values: [FieldValue], raw: [UInt8]) {
        self.location = location
        self.values = values
        self.raw = raw
    }
}

/// A row the reader could not read (ragged, invalid UTF-8, malformed JSON). It is reported and
/// rejected; reading goes on with the next row.
public struct RowProblem: Sendable, Error {
    public var location: RowLocation
    /// A stable rule id, as in `rejects.jsonl` (`csv-ragged`, `utf8`, `jsonl-syntax`, …).
    public var rule: String
    public var message: String
    public var column: String?
    public var raw: [UInt8]

    public init(location: RowLocation, rule: String, message: String, column: String? = nil, raw: [UInt8]) {
        self.location = location
        self.rule = rule
        self.message = message
        self.column = column
        self.raw = raw
    }
}

public enum ReadOutcome: Sendable {
    case row(SourceRow)
    case problem(RowProblem)
}

/// A streaming reader of rows: constant memory whatever the input's size.
public protocol RowReader {
    /// The names of the fields each row's `values` hold, in order: a CSV file's header (or the
    /// mapping's column list); for JSONL, the paths the reader was asked for.
    var fieldNames: [String] { get }
    /// The next row or problem; nil at the end of the input. Errors of the input itself (it
    /// cannot be read, it is not gzip) are thrown.
    mutating func next() throws -> ReadOutcome?
    /// Where reading continues after the last outcome handed out: a point a new reader of the
    /// same input can `resume(at:)`. Nil while inside a row (one reported as too long is still
    /// being skipped).
    var position: ReadPosition? { get }
    /// Continues at a position an earlier reader of the same input reported (after the header,
    /// which a new reader has read already): a resumed import skips what it sent without parsing it.
    mutating func resume(at position: ReadPosition) throws
}

/// A point between rows of an input: its byte offset, the (1-based) line of the byte there, and
/// whether the byte before it was a CR (an LF right after it then ends no new line). A row's
/// `RowLocation` is the point where it starts.
public struct ReadPosition: Sendable, Hashable, Codable {
    public var offset: Int64
    public var line: Int
    public var afterCR = false
    /// Blank lines (only spaces, tabs, `\r`) skipped before this point, from the input's start:
    /// they hold no row, but a report counts them, and a resumed reader goes on counting.
    public var blankLines = 0

    public init(offset: Int64, line: Int, afterCR: Bool = false, blankLines: Int = 0) {
        self.offset = offset
        self.line = line
        self.afterCR = afterCR
        self.blankLines = blankLines
    }
}
