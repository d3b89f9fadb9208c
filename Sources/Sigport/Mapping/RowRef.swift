/// A row as the mapper takes it: read into values, or flat in its read-ahead batch.
enum RowRef {
    case source(SourceRow)
    case flat(FlatRow)

    var location: RowLocation {
        switch self {
        case .source(let row): row.location
        case .flat(let row): row.location
        }
    }

    /// The row as in the input, for its reject.
    var raw: [UInt8] {
        switch self {
        case .source(let row): row.raw
        case .flat(let row): row.raw
        }
    }
}
