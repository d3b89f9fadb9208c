/// How a CSV file is written: its delimiter and quote, and where its column names come from.
///
/// Unquoted fields lose their leading and trailing spaces and tabs (libcsv's rule: `a, b` reads
/// as `a` and `b`); quoted fields keep everything between their quotes.
public struct CSVDialect: Sendable, Equatable {
    /// The field separator: `,`, `;`, tab or `|` (any ASCII byte other than the quote, a space,
    /// CR or LF is accepted).
    public var delimiter: UInt8
    /// The quote around fields that hold delimiters, quotes (doubled) or line breaks.
    public var quote: UInt8
    /// Whether the first row names the columns.
    public var header: Bool
    /// The column names when there is no header row; with a header row, names that replace the
    /// header's (the header row is then read and dropped; it must have as many columns).
    public var columns: [String]?

    public init(delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8 = UInt8(ascii: "\""),
                header: Bool = true, columns: [String]? = nil) {
        self.delimiter = delimiter
        self.quote = quote
        self.header = header
        self.columns = columns
    }

    public static let comma = CSVDialect(delimiter: UInt8(ascii: ","))
    public static let semicolon = CSVDialect(delimiter: UInt8(ascii: ";"))
    public static let tab = CSVDialect(delimiter: UInt8(ascii: "\t"))
    public static let pipe = CSVDialect(delimiter: UInt8(ascii: "|"))

    /// Throws when the dialect cannot be parsed unambiguously, or when it lacks column names.
    func validate(file: String) throws {
        func shown(_ byte: UInt8) -> String {
            switch byte {
            case UInt8(ascii: "\t"): return "tab"
            case 0x20...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
            default: return "byte 0x" + String(byte, radix: 16, uppercase: true)
            }
        }
        let lineBreaks: Set<UInt8> = [0x0A, 0x0D]
        if delimiter >= 0x80 || lineBreaks.contains(delimiter) || delimiter == 0x20 {
            throw SigportError(.invalidArgument, "\(shown(delimiter)) cannot be a CSV delimiter.",
                               hint: "Use ',', ';', tab or '|'.")
        }
        if quote >= 0x80 || lineBreaks.contains(quote) || quote == 0x20 || quote == 0x09 {
            throw SigportError(.invalidArgument, "\(shown(quote)) cannot be a CSV quote character.",
                               hint: "Use '\"' (the default) or another printable ASCII character.")
        }
        if quote == delimiter {
            throw SigportError(.invalidArgument, "The CSV delimiter and quote are both \(shown(quote)).")
        }
        if let columns {
            if columns.isEmpty {
                throw SigportError(.invalidArgument, "The column list for \(file) is empty.")
            }
            try Self.checkNames(columns, where: "The column list for \(file)")
        } else if !header {
            throw SigportError(.invalidArgument, "\(file) has no header row and no column names were given.",
                               hint: "Give the mapping's column list, or read the file with its header row.")
        }
    }

    /// Names must be non-empty and distinct: rows are matched to columns by name.
    static func checkNames(_ names: [String], where place: String) throws {
        var seen: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            if name.allSatisfy({ $0 == " " || $0 == "\t" }) {
                throw SigportError(.invalidArgument, "\(place): column \(index + 1) has no name.",
                                   hint: "Name every column, or give the mapping's column list.")
            }
            if let first = seen[name] {
                throw SigportError(.invalidArgument,
                                   "\(place): column \"\(name)\" appears twice (columns \(first + 1) and \(index + 1)).",
                                   hint: "Column names must be unique; give the mapping's column list to rename them.")
            }
            seen[name] = index
        }
    }
}
