import CLibCSV

// What libcsv's callbacks fill in for `CSVStream` (CSVReaderStream.swift), and the records a row
// becomes.

/// One row as libcsv split it, or why it could not be split.
enum CSVRecord {
    case fields(location: RowLocation, raw: [UInt8], values: [FieldValue], invalidUTF8: CSVInvalidUTF8?)
    /// Malformed quoting; `field` is the 0-based index of the field where it was noticed.
    case quote(location: RowLocation, raw: [UInt8], message: String, field: Int)
    /// The row passed the size limit; `raw` holds its first bytes only.
    case oversized(location: RowLocation, raw: [UInt8])
    /// A plain row, appended flat to the batch being read (see `RowBatch`).
    case flat
}

struct CSVInvalidUTF8 {
    var field: Int
    /// Offset of the first invalid byte in the field, and that byte.
    var offset: Int
    var byte: UInt8
}

/// Fields' bytes one after the other, and where each ends (an offset in `bytes`).
struct FieldStore: ~Copyable {
    var bytes = FlatBuffer<UInt8>()
    var ends = FlatBuffer<Int>()
}

/// What libcsv's callbacks fill in for the row being parsed: its fields' bytes and where each
/// ends. Values (`String`s) are made from them only for a row that does not go flat into a batch.
///
/// The fields are written where they are kept: into the batch being filled (see `begin`), so a
/// plain row's fields are copied once, by the callback, not once more into the batch when the
/// row ends; a row that is not plain is made into values and taken back out of the batch. With
/// no batch, into the sink's own store.
struct CSVFieldSink: ~Copyable {
    private let own: UnsafeMutablePointer<FieldStore>
    /// The store the row's fields go to, and where the row starts in it: what is before the marks
    /// belongs to earlier rows of the batch.
    private(set) var store: UnsafeMutablePointer<FieldStore>
    private(set) var bytesMark = 0
    private(set) var endsMark = 0
    var fieldCount = 0
    /// Fields completed while every byte of the row fed so far was ASCII: their bytes need no
    /// UTF-8 validation, and those of unread columns were not kept.
    var asciiFields = 0
    /// Every byte of the row fed so far is ASCII (set before libcsv sees them, so it covers every
    /// field the callback gets).
    var asciiSoFar = true
    var rowEnded = false
    /// The row is over the size limit: count fields, keep nothing.
    var discarding = false
    var expectedFields = 8
    /// Per column, whether nothing reads it (`CSVReader.readOnly`): its value is `.missing`.
    var unread: [Bool] = []
    /// The parser whose callbacks fill the sink: a field in its entry buffer has room to be read
    /// a word at a time.
    var parser: UnsafeMutablePointer<csv_parser>?

    init() {
        own = .allocate(capacity: 1)
        own.initialize(to: FieldStore())
        store = own
    }

    deinit {
        own.deinitialize(count: 1)
        own.deallocate()
    }

    /// Whether the row can go flat into a batch: all ASCII, as many fields as the header.
    var isPlain: Bool { asciiSoFar && fieldCount == expectedFields }

    /// Sends the next row's fields to `batch` (nil: the sink's own store). Called between rows
    /// only, when the current store holds nothing past the marks.
    mutating func begin(in batch: UnsafeMutablePointer<FieldStore>?) {
        store = batch ?? own
        bytesMark = store.pointee.bytes.count
        endsMark = store.pointee.ends.count
    }

    /// The row's values, as `CSVReader` hands them on in a `SourceRow`, and its first invalid
    /// UTF-8 field. A row that is not all ASCII is validated whole, unread columns included
    /// (those completed while the row was still ASCII excepted: their bytes were not kept, and
    /// could not be invalid).
    func values() -> (values: [FieldValue], invalidUTF8: CSVInvalidUTF8?) {
        let ends = UnsafeBufferPointer(rebasing: store.pointee.ends.buffer[endsMark...])
        var values: [FieldValue] = []
        values.reserveCapacity(ends.count)
        var invalid: CSVInvalidUTF8?
        let all = store.pointee.bytes.buffer
        var start = bytesMark
        for (index, end) in ends.enumerated() {
            defer { start = end }
            let field = UnsafeBufferPointer(rebasing: all[start..<end])
            if index < asciiFields {
                if index < unread.count, unread[index] {
                    values.append(.missing)
                } else {
                    values.append(.text(String(decoding: field, as: UTF8.self)))
                }
            } else if let text = String(validating: field, as: UTF8.self) {
                values.append(.text(text))
            } else {
                if invalid == nil { invalid = firstInvalidUTF8(field, field: index) }
                values.append(.text(String(decoding: field, as: UTF8.self)))
            }
        }
        return (values, invalid)
    }

    /// Elements of capacity the sink's own buffers keep from one row to the next.
    private static let keptCapacity = 1 << 20

    /// Keeps the row's fields where they are (it went flat into the batch): the next row starts
    /// after them.
    mutating func keepRow() {
        bytesMark = store.pointee.bytes.count
        endsMark = store.pointee.ends.count
    }

    /// Takes back the fields of the row since the marks (made into values, or dropped); the sink's
    /// own store also gives back the memory of a very long row (`limit` elements of capacity).
    mutating func dropFields(keepingCapacityUpTo limit: Int = keptCapacity) {
        if store == own {
            own.pointee.bytes.removeAll(keepingCapacityUpTo: limit)
            own.pointee.ends.removeAll(keepingCapacityUpTo: limit)
        } else {
            store.pointee.bytes.removeLast(store.pointee.bytes.count - bytesMark)
            store.pointee.ends.removeLast(store.pointee.ends.count - endsMark)
        }
    }

    mutating func resetRow() {
        dropFields()
        fieldCount = 0
        asciiFields = 0
        asciiSoFar = true
        rowEnded = false
    }
}

/// Keeps a field's bytes (not for a column nothing reads, while the row is ASCII: in any other
/// row every field is validated, so invalid UTF-8 rejects the row whichever column holds it).
func csvFieldCallback(_ bytes: UnsafeMutableRawPointer?, _ count: Int, _ context: UnsafeMutableRawPointer?) {
    let sink = context.unsafelyUnwrapped.assumingMemoryBound(to: CSVFieldSink.self)
    let index = sink.pointee.fieldCount
    sink.pointee.fieldCount = index + 1
    if sink.pointee.discarding { return }
    let store = sink.pointee.store
    if sink.pointee.asciiSoFar {
        sink.pointee.asciiFields = index + 1
        if index < sink.pointee.unread.count, sink.pointee.unread[index] {
            store.pointee.ends.append(store.pointee.bytes.count)
            return
        }
    }
    if count > 0, let bytes {
        // libcsv hands over its entry buffer, blocks of `CSVStream`'s 4096 bytes: a short field
        // can be copied as two words. Checked, not assumed.
        if count <= 16, let parser = sink.pointee.parser, UnsafeMutableRawPointer(parser.pointee.entry_buf) == bytes,
           parser.pointee.entry_size >= 16 {
            store.pointee.bytes.appendShort(bytes, count: count)
        } else {
            store.pointee.bytes.append(bytes, count: count)
        }
    }
    store.pointee.ends.append(store.pointee.bytes.count)
}

/// Marks the row ended: `CSVStream` hands it on once `csv_parse` returns.
func csvRowCallback(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
    context.unsafelyUnwrapped.assumingMemoryBound(to: CSVFieldSink.self).pointee.rowEnded = true
}

private func firstInvalidUTF8(_ buffer: UnsafeBufferPointer<UInt8>, field: Int) -> CSVInvalidUTF8 {
    var iterator = buffer.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let scalar): offset += scalar.count
        case .error: return CSVInvalidUTF8(field: field, offset: offset, byte: buffer[offset])
        case .emptyInput: return CSVInvalidUTF8(field: field, offset: 0, byte: buffer.first ?? 0)
        }
    }
}
