/// Rows read ahead, handed from the reader's thread to the mapper's in one piece: the reader's
/// outcomes, and (from the CSV reader) plain rows held flat — every field's bytes in one buffer,
/// their ends in another — with no `String`, `FieldValue` or array per row or field.
///
/// Why flat: a wide CSV plan spent a third of its CPU making, handing over, copying and freeing
/// each row's Swift values (a `String` per field, the values array, the raw bytes' array, their
/// reference counts on both threads). A batch is filled and read again and again (the read-ahead
/// recycles it), so a plain row costs no allocation at all. A row that is not plain (not all
/// ASCII, ragged, malformed, too long) and every row of other readers is an outcome as before.
final class RowBatch: @unchecked Sendable {
    /// One row or outcome of the batch, in reading order.
    struct Entry {
        /// Index in `outcomes`, or -1 for a flat row.
        var outcome: Int
        /// A flat row's first byte in `fields.bytes`, its first field's index in `fields.ends`, its raw bytes.
        var bytesStart = 0
        var firstField = 0
        var rawStart = 0
        var rawEnd = 0
        var line = 0
        var offset: Int64 = 0
        /// The reader's position after this row (see `RowReader.position`).
        var position: ReadPosition?
    }

    /// The batch's contents, behind a pointer: a class's stored properties are checked for
    /// exclusive access at run time, on every access (5% of a wide CSV plan's samples).
    struct Contents: ~Copyable {
        var entries: [Entry] = []
        var outcomes: [ReadOutcome] = []
        var raw = FlatBuffer<UInt8>()
        /// Raw bytes held (flat rows' and outcomes'): a batch ends at a byte budget too, since a
        /// row may be megabytes long.
        var rawBytes = 0
    }

    /// The file the rows are from, as the user named it, and the fields per flat row (the
    /// header's count): set once, before the batch is first filled.
    let file: String
    let width: Int
    let contents: UnsafeMutablePointer<Contents>
    /// Flat rows' fields, written there by the CSV reader's callbacks (see `CSVFieldSink`).
    let fields: UnsafeMutablePointer<FieldStore>
    var ended = false
    /// Where the input ended (with its trailing blank lines counted), set with `ended`.
    var endPosition: ReadPosition?
    var error: (any Error)?

    init(file: String, width: Int) {
        self.file = file
        self.width = width
        contents = .allocate(capacity: 1)
        contents.initialize(to: Contents())
        fields = .allocate(capacity: 1)
        fields.initialize(to: FieldStore())
    }

    deinit {
        contents.deinitialize(count: 1)
        contents.deallocate()
        fields.deinitialize(count: 1)
        fields.deallocate()
    }

    var count: Int { contents.pointee.entries.count }
    var rawBytes: Int { contents.pointee.rawBytes }
    /// Bytes of capacity a buffer keeps when the batch is emptied.
    private static let keptCapacity = 2 << 20

    /// Empties the batch for reuse, keeping its memory. Called on the reader's thread, which
    /// then frees the outcomes' rows (glibc frees memory under the lock of the arena it came
    /// from: freeing on the mapper's thread made the two wait on each other).
    func reset() {
        contents.pointee.entries.removeAll(keepingCapacity: true)
        contents.pointee.outcomes.removeAll(keepingCapacity: true)
        // A batch of very long rows does not keep their memory for good.
        fields.pointee.bytes.removeAll(keepingCapacityUpTo: Self.keptCapacity)
        fields.pointee.ends.removeAll(keepingCapacityUpTo: Self.keptCapacity / 8)
        contents.pointee.raw.removeAll(keepingCapacityUpTo: Self.keptCapacity)
        contents.pointee.rawBytes = 0
        ended = false
        endPosition = nil
        error = nil
    }

    func append(_ outcome: ReadOutcome) {
        switch outcome {
        case .row(let row): contents.pointee.rawBytes += row.raw.count
        case .problem(let problem): contents.pointee.rawBytes += problem.raw.count
        }
        contents.pointee.entries.append(Entry(outcome: contents.pointee.outcomes.count))
        contents.pointee.outcomes.append(outcome)
    }

    /// Appends a plain row: its `width` fields, already in `fields` from `bytesStart` (their ends
    /// from `firstField`), and its raw text in two pieces (bytes carried from an earlier chunk,
    /// then the rest).
    func appendFlat(bytesStart start: Int, firstField first: Int, rawHead: UnsafeBufferPointer<UInt8>,
                    rawTail: UnsafeBufferPointer<UInt8>, line: Int, offset: Int64) {
        let rawStart = contents.pointee.raw.count
        contents.pointee.raw.append(rawHead)
        contents.pointee.raw.append(rawTail)
        contents.pointee.rawBytes += rawHead.count + rawTail.count
        contents.pointee.entries.append(Entry(outcome: -1, bytesStart: start, firstField: first, rawStart: rawStart,
                                              rawEnd: contents.pointee.raw.count, line: line, offset: offset))
    }

    /// Records the reader's position after the entry added last.
    func setLastPosition(_ position: ReadPosition?) {
        contents.pointee.entries[contents.pointee.entries.count - 1].position = position
    }

    /// The reader's position after entry `i`.
    func position(after i: Int) -> ReadPosition? { contents.pointee.entries[i].position }

    /// Entry `i`, as the stream hands it on: a view of a flat row (valid while the batch is not
    /// reset), or the outcome.
    func item(_ i: Int) -> ReadItem {
        let entry = contents.pointee.entries[i]
        guard entry.outcome < 0 else { return .outcome(contents.pointee.outcomes[entry.outcome]) }
        return .flat(FlatRow(batch: self, entry: entry))
    }
}

/// What a row stream hands on: an outcome, or a plain row held flat in its batch.
enum ReadItem {
    case outcome(ReadOutcome)
    case flat(FlatRow)
}

/// A plain CSV row in its batch: every field is text (ASCII, as libcsv gave it), the row has the
/// header's field count. A view: it counts no reference, and is valid until the stream moves to
/// its next batch (that is, while the caller handles the row). A column nothing reads
/// (`CSVReader.readOnly`) is empty here where a `SourceRow` has `.missing`: the mapper reads
/// only the mapping's `referencedFields`, the columns the reader keeps.
struct FlatRow {
    private unowned(unsafe) let batch: RowBatch
    private let bytes: UnsafePointer<UInt8>
    private let ends: UnsafePointer<Int>
    private let start: Int
    let fieldCount: Int
    private let rawRange: Range<Int>
    let line: Int
    let offset: Int64

    fileprivate init(batch: RowBatch, entry: RowBatch.Entry) {
        self.batch = batch
        bytes = UnsafePointer(batch.fields.pointee.bytes.base)
        ends = UnsafePointer(batch.fields.pointee.ends.base + entry.firstField)
        start = entry.bytesStart
        fieldCount = batch.width
        rawRange = entry.rawStart..<entry.rawEnd
        line = entry.line
        offset = entry.offset
    }

    /// Field `i`'s bytes (`i` < `fieldCount`).
    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let from = i == 0 ? start : ends[i - 1]
        return UnsafeBufferPointer(start: bytes + from, count: ends[i] - from)
    }

    /// Field `i` as a `String` (for everything but the hot path's numbers, times and keys), made
    /// as `CSVFieldSink.values` makes a `SourceRow`'s: the two paths give the same texts.
    func string(_ i: Int) -> String { String(decoding: field(i), as: UTF8.self) }

    var location: RowLocation { RowLocation(file: batch.file, line: line, byteOffset: offset) }
    var raw: [UInt8] { Array(UnsafeBufferPointer(start: batch.contents.pointee.raw.base + rawRange.lowerBound, count: rawRange.count)) }
}

/// A growable buffer of plain values whose address the rows' views hold: a Swift array's
/// storage may only be pointed at inside `withUnsafeBufferPointer`.
struct FlatBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    /// Empties the buffer, keeping its memory unless it holds more than `limit` elements.
    mutating func removeAll(keepingCapacityUpTo limit: Int) {
        count = 0
        guard capacity > limit else { return }
        base.deallocate()
        capacity = 1024
        base = .allocate(capacity: capacity)
    }

    /// Drops the last `k` elements, keeping the memory.
    mutating func removeLast(_ k: Int) {
        precondition(k >= 0 && k <= count, "removing more than a buffer holds")
        count -= k
    }

    @inline(__always)
    fileprivate mutating func reserve(_ more: Int) {
        if count + more > capacity { grow(more) }
    }

    @inline(never)
    private mutating func grow(_ more: Int) {
        capacity = max(capacity * 2, count + more)
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
    }

    @inline(__always)
    mutating func append(_ elements: UnsafeBufferPointer<Element>) {
        guard let from = elements.baseAddress, !elements.isEmpty else { return }
        reserve(elements.count)
        (base + count).initialize(from: from, count: elements.count)
        count += elements.count
    }
}

extension FlatBuffer where Element == UInt8 {
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawPointer, count: Int) {
        append(UnsafeBufferPointer(start: bytes.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// Appends `count` (at most 16) bytes from memory that has 16 readable bytes at `bytes`:
    /// two word loads and stores (what is stored past `count` is overwritten by the next append),
    /// where a `memmove` call per CSV field was 3% of a wide CSV plan.
    @inline(__always)
    mutating func appendShort(_ bytes: UnsafeRawPointer, count: Int) {
        precondition(count <= 16, "a short append is at most 16 bytes")
        reserve(16)
        let to = UnsafeMutableRawPointer(base + self.count)
        to.storeBytes(of: bytes.loadUnaligned(as: UInt64.self), as: UInt64.self)
        to.storeBytes(of: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        self.count += count
    }
}

extension FlatBuffer where Element == Int {
    @inline(__always)
    mutating func append(_ element: Int) {
        reserve(1)
        base[count] = element
        count += 1
    }
}
