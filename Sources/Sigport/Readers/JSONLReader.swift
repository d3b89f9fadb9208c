import CSimdjson
import Foundation

/// Reads JSON Lines (one JSON object per line) through simdjson, streaming with constant memory,
/// and picks the values at the given paths out of each line.
///
/// Lines:
/// - Split on `\n`; a `\r` before it is dropped (CRLF). The last line needs no terminator.
/// - A UTF-8 byte order mark at the very start of the input is skipped; the first line's
///   `byteOffset` is then 3.
/// - Blank lines (only spaces, tabs, `\r`) are skipped, but counted in line numbers and in
///   `ReadPosition.blankLines`.
/// - `location.line` is the 1-based physical line, `location.byteOffset` the offset of the line's
///   first byte in the (decompressed) input, `raw` the line without its terminator.
///
/// Problems (reported as `.problem`; reading goes on with the next line):
/// - `jsonl-syntax`: not valid JSON (simdjson's message), including nesting deeper than 1024.
/// - `utf8`: the line is not valid UTF-8 (simdjson validates the whole line).
/// - `jsonl-not-object`: valid JSON that is not an object (`[1,2]`, `3`, `"x"`).
/// - `jsonl-not-scalar`: a path leads to an object or an array; `column` names the path. The
///   reader only hands out scalars; a mapping that wants a sub-object must name its fields.
/// - `jsonl-line-too-long`: a line longer than `maxLineLength` bytes. It is skipped to its end
///   without being held; `raw` holds only its first 4096 bytes.
///
/// Values, aligned with `paths` (`fieldNames == paths`):
/// - a path that leads nowhere (no such key, index out of range, a key on an array, a step
///   through a scalar) is `.missing`; JSON `null` is `.null`;
/// - strings are `.text` (escapes decoded), booleans `.bool`;
/// - numbers are `.number(Double)`, except integers a Double cannot hold exactly (beyond ±2^53):
///   those are `.text` of their exact digits, so an id of 64-bit or more keeps every digit in a
///   template, epoch nanoseconds keep their precision, and a reading still parses to the nearest
///   Double. simdjson refuses integers beyond UInt64 (`99999999999999999999`) and numbers beyond
///   a Double (`1e400`); for such a line the shim retries with those literals quoted, so one big
///   id does not reject the line, and a `1e400` reaches the mapper as the text it is, which
///   rejects it as `number-finite` with its column, as it does in a CSV (`raw` stays the line as
///   read). `-0` is simdjson's integer 0 (`.number(0)`, positive); `-0.0` keeps its sign.
/// - With duplicate keys, the first one wins.
///
/// Memory: the input is read in `chunkSize` pieces into one buffer that only grows for a line
/// longer than a chunk (to at most `maxLineLength` + `chunkSize`), and shrinks back after it.
/// simdjson parses each line in place (the buffer keeps 64 bytes of slack after its data).
///
/// The reader holds its state in a reference: copies of a `JSONLReader` share one position.
public struct JSONLReader: RowReader {
    public let fieldNames: [String]
    private let state: JSONLReaderState

    public static let defaultChunkSize = 1 << 20
    public static let defaultMaxLineLength = 64 << 20

    /// - Parameters:
    ///   - source: the input's bytes (already decompressed).
    ///   - file: the input's name for `RowLocation.file` (`-` for standard input).
    ///   - paths: the fields to read, in `JSONLPath` syntax (`payload.hr`, `readings[0].v`,
    ///     `["x.y"]`); invalid syntax throws `SigportError(.invalidArgument)` naming the path.
    ///   - each: an array to read element by element (`SourceRow.elements`, `.items`).
    public init(source: any ByteSource, file: String, paths: [String], each: JSONLEach? = nil,
                chunkSize: Int = JSONLReader.defaultChunkSize,
                maxLineLength: Int = JSONLReader.defaultMaxLineLength) throws {
        precondition(chunkSize > 0 && maxLineLength > 0)
        let pointers = try paths.map { try JSONLPath.jsonPointer(for: $0) }
        fieldNames = paths
        state = try JSONLReaderState(source: source, file: file, paths: paths, pointers: pointers, each: each,
                                     positional: try JSONLPath.positionalArrays(paths),
                                     chunkSize: chunkSize, maxLineLength: maxLineLength)
    }

    public mutating func next() throws -> ReadOutcome? {
        try state.next()
    }

    public var position: ReadPosition? { state.position }

    public mutating func resume(at position: ReadPosition) throws { try state.resume(at: position) }
}

/// An array whose elements are read one by one, as `source.each` says: its path, and the
/// fields read in each element (`item.k` for the element's `k`, `item` for the element itself).
public struct JSONLEach: Sendable {
    public var path: String
    public var items: [String]

    public init(path: String, items: [String]) {
        self.path = path
        self.items = items
    }
}

final class JSONLReaderState {
    private var source: any ByteSource
    private let file: String
    private let paths: [String]
    private let parser: OpaquePointer
    /// The paths' JSON pointers compiled into one tree, found in one walk of each line.
    private let compiled: OpaquePointer
    /// What the walk found, path by path (reused for every line).
    private let found: UnsafeMutablePointer<csj_value>

    private let chunkSize: Int
    private let maxLineLength: Int
    private let padding: Int
    /// Data bytes the buffer holds; `padding` more are allocated after them.
    private var capacity: Int
    private var buffer: UnsafeMutableRawPointer
    /// Unconsumed data is `buffer[start..<end]`; no `\n` in `buffer[start..<scan]`.
    private var start = 0
    private var end = 0
    private var scan = 0
    /// Input offset of `buffer[0]`.
    private var base: Int64 = 0
    private var lineNumber = 0
    /// Blank lines skipped so far (see `ReadPosition.blankLines`).
    private var blankLines = 0
    private var atEOF = false
    private var skippingLongLine = false
    private var checkedBOM = false

    /// `each`'s array pointer and, per item field, its pointer inside an element.
    private let each: (pointer: String, path: String, items: [String], suffixes: [String])?
    /// Arrays read by position, and how many positions.
    private let positional: [(pointer: String, reads: Int)]

    static let rawPrefixOfLongLine = 4096

    init(source: any ByteSource, file: String, paths: [String], pointers: [String], each: JSONLEach?,
         positional: [(pointer: String, reads: Int)], chunkSize: Int, maxLineLength: Int) throws {
        self.each = try each.map { each in
            (try JSONLPath.jsonPointer(for: each.path), each.path, each.items,
             try each.items.map { item in item == "item" ? "" : try JSONLPath.jsonPointer(for: String(item.dropFirst(5))) })
        }
        self.positional = positional
        guard let parser = csj_parser_create() else {
            throw SigportError(.invalidArgument, "Cannot create a JSON parser: out of memory.")
        }
        // The pointers back to back; the shim copies what it keeps.
        let lengths = pointers.map(\.utf8.count)
        let bytes = pointers.flatMap { $0.utf8.map { CChar(bitPattern: $0) } }
        let compiled = bytes.withUnsafeBufferPointer { all in
            var starts: [UnsafePointer<CChar>?] = []
            var offset = 0
            for length in lengths {
                starts.append(all.baseAddress.map { $0 + offset })
                offset += length
            }
            return csj_paths_create(starts, lengths, lengths.count)
        }
        guard let compiled else {
            csj_parser_destroy(parser)
            throw SigportError(.invalidArgument, "Cannot create a JSON parser: out of memory.")
        }
        self.parser = parser
        self.compiled = compiled
        self.source = source
        self.file = file
        self.paths = paths
        found = .allocate(capacity: max(paths.count, 1))
        self.chunkSize = chunkSize
        self.maxLineLength = maxLineLength
        padding = max(csj_padding(), 64)
        capacity = chunkSize
        buffer = .allocate(byteCount: capacity + padding, alignment: 64)
    }

    deinit {
        csj_parser_destroy(parser)
        csj_paths_destroy(compiled)
        found.deallocate()
        buffer.deallocate()
    }

    func next() throws -> ReadOutcome? {
        while true {
            if !checkedBOM {
                if end - start >= 3 || atEOF {
                    let b = buffer.assumingMemoryBound(to: UInt8.self)
                    if base == 0, start == 0, end >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF {
                        start = 3
                        scan = 3
                    }
                    checkedBOM = true
                } else {
                    try fill()
                    continue
                }
            }

            if scan < end, let found = memchr(buffer + scan, 0x0A, end - scan) {
                let newline = buffer.distance(to: found)
                let lineStart = start
                start = newline + 1
                scan = start
                if skippingLongLine {
                    // The end of a line already reported as too long.
                    skippingLongLine = false
                    continue
                }
                lineNumber += 1
                if let outcome = try line(from: lineStart, to: newline) { return outcome }
                continue
            }
            scan = end

            if skippingLongLine {
                base += Int64(end)
                start = 0
                end = 0
                scan = 0
            } else if end - start > maxLineLength + 1 {
                // No newline within the limit (+1 for a possible `\r`): report and skip it.
                lineNumber += 1
                let problem = tooLong(at: start, count: end - start)
                skippingLongLine = true
                base += Int64(end)
                start = 0
                end = 0
                scan = 0
                return .problem(problem)
            }

            if atEOF {
                guard !skippingLongLine, start < end else { return nil }
                let lineStart = start
                start = end
                scan = end
                lineNumber += 1
                return try line(from: lineStart, to: end)
            }
            try fill()
        }
    }

    /// After the last line handed out (`line` is the next line's number). Nil while a line
    /// reported as too long is being skipped.
    var position: ReadPosition? {
        skippingLongLine ? nil : ReadPosition(offset: base + Int64(start), line: lineNumber + 1, blankLines: blankLines)
    }

    func resume(at position: ReadPosition) throws {
        try source.seek(to: position.offset, current: base + Int64(end))
        base = position.offset
        start = 0
        end = 0
        scan = 0
        lineNumber = position.line - 1
        blankLines = position.blankLines
        atEOF = false
        skippingLongLine = false
        // At the very start a byte order mark is still to be skipped.
        checkedBOM = position.offset > 0
    }

    /// Moves the unconsumed bytes to the buffer's start, grows (or shrinks) the buffer as the
    /// pending line needs, and reads more.
    private func fill() throws {
        let pending = end - start
        if start > 0 {
            if pending > 0 { memmove(buffer, buffer + start, pending) }
            base += Int64(start)
            scan -= start
            end = pending
            start = 0
        }
        if capacity > 2 * chunkSize, pending <= chunkSize / 2 {
            resize(to: chunkSize)
        } else if end == capacity {
            resize(to: min(max(capacity * 2, chunkSize), maxLineLength + chunkSize + 2))
        }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
        if count == 0 {
            atEOF = true
        } else {
            end += count
        }
    }

    private func resize(to newCapacity: Int) {
        let newBuffer = UnsafeMutableRawPointer.allocate(byteCount: newCapacity + padding, alignment: 64)
        if end > 0 { newBuffer.copyMemory(from: buffer, byteCount: end) }
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
    }

    private func location(_ offset: Int) -> RowLocation {
        RowLocation(file: file, line: lineNumber, byteOffset: base + Int64(offset))
    }

    private func bytes(_ from: Int, _ count: Int) -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: buffer + from, count: count))
    }

    private func tooLong(at lineStart: Int, count: Int) -> RowProblem {
        RowProblem(location: location(lineStart), rule: "jsonl-line-too-long",
                   message: "The line is longer than \(maxLineLength) bytes; it was skipped (raw holds its first \(Self.rawPrefixOfLongLine) bytes).",
                   raw: bytes(lineStart, min(count, Self.rawPrefixOfLongLine)))
    }

    /// The outcome for the line `buffer[lineStart..<lineEnd]` (`lineEnd` at its `\n` or the
    /// input's end); nil for a blank line.
    private func line(from lineStart: Int, to lineEnd: Int) throws -> ReadOutcome? {
        let bytes = buffer.assumingMemoryBound(to: UInt8.self)
        var lineEnd = lineEnd
        if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let count = lineEnd - lineStart
        if count > maxLineLength { return .problem(tooLong(at: lineStart, count: count)) }

        if count == 0 || bytes[lineStart] != 0x7B {  // not `{`: maybe blank
            var i = lineStart
            while i < lineEnd, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
            if i == lineEnd { blankLines += 1; return nil }
        }

        let status = csj_parse(parser, UnsafeRawPointer(bytes + lineStart).assumingMemoryBound(to: CChar.self), count)
        if status != CSJ_OK {
            let message = String(cString: csj_error_message(status))
            if status == CSJ_ERROR_MEMALLOC {
                throw SigportError(.invalidArgument, "Out of memory parsing line \(lineNumber) of \(file): \(message)")
            }
            return .problem(RowProblem(location: location(lineStart), rule: status == CSJ_ERROR_UTF8 ? "utf8" : "jsonl-syntax",
                                       message: message, raw: self.bytes(lineStart, count)))
        }
        var isObject: Int32 = 0
        _ = csj_root_type(parser, &isObject)
        guard isObject != 0 else {
            return .problem(RowProblem(location: location(lineStart), rule: "jsonl-not-object",
                                       message: "The line is valid JSON but not an object.", raw: self.bytes(lineStart, count)))
        }

        func notScalar(_ path: String) -> ReadOutcome {
            .problem(RowProblem(location: location(lineStart), rule: "jsonl-not-scalar",
                                message: "\(path) is an object or an array, not a single value.",
                                column: path, raw: self.bytes(lineStart, count)))
        }
        // A 0 read from a literal with a point or an exponent may be a nonzero number too small
        // for a double (`1e-400`): then the line is parsed again with such literals as text, which
        // the mapper rejects as `number-precision` (a second parse only for lines holding one).
        var reparsed = false
        func reparse(_ value: csj_value) -> Bool {
            guard !reparsed, Self.isZeroFraction(value) else { return false }
            reparsed = true
            return csj_parse_quoting_underflow(parser, UnsafeRawPointer(bytes + lineStart).assumingMemoryBound(to: CChar.self), count) == 1
        }
        var row: SourceRow
        extraction: while true {
            var values: [FieldValue] = []
            values.reserveCapacity(paths.count)
            csj_lookup_paths(parser, compiled, found)
            if (0..<paths.count).contains(where: { reparse(found[$0]) }) { continue extraction }
            for index in 0..<paths.count {
                guard let value = Self.scalar(found[index]) else { return notScalar(paths[index]) }
                values.append(value)
            }
            row = SourceRow(location: location(lineStart), values: values, raw: [])
            guard let each else { break }
            var array = csj_value()
            // No array (missing, null) is no readings; an object or a single value is not an array.
            let type = lookUp(each.pointer, &array)
            let n = type == CSJ_CONTAINER ? arrayCount(each.pointer) : type == CSJ_MISSING || type == CSJ_NULL ? 0 : -1
            if n < 0 {
                return .problem(RowProblem(location: location(lineStart), rule: "jsonl-not-array",
                                           message: "\(each.path) (source.each) is not an array of readings.",
                                           column: each.path, raw: self.bytes(lineStart, count)))
            }
            row.elements = n
            row.items.reserveCapacity(n * each.items.count)
            for element in 0..<n {
                for (item, suffix) in zip(each.items, each.suffixes) {
                    var found = csj_value()
                    _ = lookUp("\(each.pointer)/\(element)\(suffix)", &found)
                    if reparse(found) { continue extraction }
                    guard let value = Self.scalar(found) else { return notScalar("\(each.path)[\(element)].\(item.dropFirst(5))") }
                    row.items.append(value)
                }
            }
            break
        }
        for array in positional { row.unreadElements += max(0, arrayCount(array.pointer) - array.reads) }
        row.raw = self.bytes(lineStart, count)
        return .row(row)
    }

    private func lookUp(_ pointer: String, _ out: inout csj_value) -> csj_type {
        var pointer = pointer
        return pointer.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { csj_lookup(parser, $0.baseAddress, $0.count, &out) }
        }
    }

    /// The element count of the array at `pointer`; -1 when there is none (or not an array).
    private func arrayCount(_ pointer: String) -> Int {
        var pointer = pointer
        return pointer.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { Int(csj_array_begin(parser, $0.baseAddress, $0.count)) }
        }
    }

    /// A found value as a field value; nil for an object or an array.
    private static func scalar(_ value: csj_value) -> FieldValue? {
        switch value.type {
        case CSJ_NULL: .null
        case CSJ_BOOL: .bool(value.boolean != 0)
        case CSJ_NUMBER: number(value)
        case CSJ_STRING: .text(String(decoding: UnsafeRawBufferPointer(start: value.string, count: value.length), as: UTF8.self))
        case CSJ_CONTAINER: nil
        default: .missing
        }
    }

    /// A number written with a point or an exponent that simdjson read as 0.
    private static func isZeroFraction(_ value: csj_value) -> Bool {
        value.type == CSJ_NUMBER && value.is_integer == 0 && value.number == 0
    }

    /// A JSON number as a field value: integers beyond ±2^53 as their exact digits (see the type's
    /// documentation), anything else as the Double simdjson read.
    static func number(_ value: csj_value) -> FieldValue {
        guard value.is_integer != 0 else { return .number(value.number) }
        if value.fits_int64 == 0 { return .text(String(value.uint64)) }
        return value.int64.magnitude > 1 << 53 ? .text(String(value.int64)) : .number(value.number)
    }
}
