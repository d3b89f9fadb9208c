/// An input's rows as `plan`, `validate` and `import` read them: on the second core
/// (`ReadAhead`) for a plain file, on the caller's thread for standard input, pipes and devices.
/// The choice is made here, once, for all three.
struct RowStream {
    /// The reader, when it is read in place; nil once handed to `ahead`, so that no copy of it
    /// is used by mistake.
    private var reader: (any RowReader)?
    private let ahead: ReadAhead?

    /// `reader` as positioned now (after its header, or resumed).
    init(_ reader: any RowReader, input: InputFile) {
        if ReadAhead.worthwhile(input) {
            ahead = ReadAhead(reader)
        } else {
            ahead = nil
            self.reader = reader
        }
    }

    /// The next row or outcome; a flat row is valid until the next call.
    mutating func next() throws -> ReadItem? {
        if let ahead { return try ahead.nextItem() }
        return try reader!.next().map { .outcome($0) }
    }

    /// Where reading continues after the last outcome (see `RowReader.position`).
    var position: ReadPosition? { ahead?.position ?? reader?.position }
}
