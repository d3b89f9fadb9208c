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
    public init(source: any ByteSource, file: String, paths: [String],
                chunkSize: Int = JSONLReader.defaultChunkSize,
                maxLineLength: Int = JSONLReader.defaultMaxLineLength) throws {
        precondition(chunkSize > 0 && maxLineLength > 0)
        let pointers = try paths.map { try JSONLPath.jsonPointer(for: $0) }
        fieldNames = paths
        state = try JSONLReaderState(source: source, file: file, paths: paths, pointers: pointers,
                                     chunkSize: chunkSize, maxLineLength: maxLineLength)
    }

    public mutating func next() throws -> ReadOutcome? {
        try state.next()
    }

    public var position: ReadPosition? { state.position }

    public mutating func resume(at position: ReadPosition) throws { try state.resume(at: position) }
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

    static let rawPrefixOfLongLine = 4096

    init(source: any ByteSource, file: String, paths: [String], pointers: [String],
         chunkSize: Int, maxLineLength: Int) throws {
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

        var values: [FieldValue] = []
        values.reserveCapacity(paths.count)
        csj_lookup_paths(parser, compiled, found)
        for index in 0..<paths.count {
            let value = found[index]
            switch value.type {
            case CSJ_NULL:
                values.append(.null)
            case CSJ_BOOL:
                values.append(.bool(value.boolean != 0))
            case CSJ_NUMBER:
                values.append(Self.number(value))
            case CSJ_STRING:
                values.append(.text(String(decoding: UnsafeRawBufferPointer(start: value.string, count: value.length), as: UTF8.self)))
            case CSJ_CONTAINER:
                return .problem(RowProblem(location: location(lineStart), rule: "jsonl-not-scalar",
                                           message: "\(paths[index]) is an object or an array, not a single value.",
                                           column: paths[index], raw: self.bytes(lineStart, count)))
            default:
                values.append(.missing)
            }
        }
        return .row(SourceRow(location: location(lineStart), values: values, raw: self.bytes(lineStart, count)))
    }

    /// A JSON number as a field value: integers beyond ±2^53 as their exact digits (see the type's
    /// documentation), anything else as the Double simdjson read.
    static func number(_ value: csj_value) -> FieldValue {
        guard value.is_integer != 0 else { return .number(value.number) }
        if value.fits_int64 == 0 { return .text(String(value.uint64)) }
        return value.int64.magnitude > 1 << 53 ? .text(String(value.int64)) : .number(value.number)
    }
}
