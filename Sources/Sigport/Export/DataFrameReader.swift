import CSimdjson
import NIOCore

/// Reads `clarify.dataFrame` answers with simdjson. Foundation's `JSONDecoder` spent 40% of an
/// export's CPU building a value tree of every number in the answer, and held that tree next to
/// the answer; here the answer is parsed once (in a padded copy, as simdjson needs) and walked
/// array by array into one column of Doubles per item.
final class DataFrameReader {
    /// One answer: its times in microseconds, and per requested item its values aligned with the
    /// times (`nil` for an item the answer does not hold; NaN where a value is `null` — the API
    /// stores no NaN).
    struct Frame {
        var times: [Int64]
        var columns: [[Double]?]
    }

    private let parser: OpaquePointer
    private let time = TimestampParser.apiTime

    init() throws {
        guard let parser = csj_parser_create() else { throw SigportError(.unexpectedResponse, "Out of memory for a JSON parser.") }
        self.parser = parser
    }

    deinit { csj_parser_destroy(parser) }

    /// The frame in a JSON-RPC answer's `result.data`; nil when the body has none (an error
    /// answer, or one that is not JSON), for the caller's error handling to read. Throws for a
    /// frame whose times or values are not what the API documents.
    func read(_ body: ByteBuffer, items: [String]) throws -> Frame? {
        let padding = max(csj_padding(), 64)
        let parsed = body.withUnsafeReadableBytes { bytes -> Bool in
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + padding, alignment: 64)
            defer { copy.deallocate() }
            copy.copyMemory(from: bytes)
            copy[bytes.count...].initializeMemory(as: UInt8.self, repeating: 0)
            return csj_parse(parser, copy.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count) == 0
        }
        // simdjson's DOM keeps its own copy of strings, so the padded copy can go before the walk.
        guard parsed, Self.begin(parser, "/result/data/times") >= 0 else { return nil }
        var times: [Int64] = []
        var value = csj_value()
        while csj_array_next(parser, &value) != CSJ_MISSING {
            guard value.type == CSJ_STRING,
                  case .success(let micros) = time.microseconds(.text(String(decoding: UnsafeRawBufferPointer(start: value.string, count: value.length), as: UTF8.self)))
            else { throw Self.unreadable("a time") }
            times.append(micros)
        }
        var columns: [[Double]?] = []
        columns.reserveCapacity(items.count)
        for item in items {
            // Item ids are 20 characters of [a-v0-9]: nothing in them needs escaping in a pointer.
            guard Self.begin(parser, "/result/data/series/" + item) >= 0 else { columns.append(nil); continue }
            var column: [Double] = []
            column.reserveCapacity(times.count)
            while true {
                switch csj_array_next(parser, &value) {
                case CSJ_MISSING: break
                case CSJ_NUMBER: column.append(value.number); continue
                case CSJ_NULL: column.append(.nan); continue
                default: throw Self.unreadable("a value of item \(item)")
                }
                break
            }
            guard column.count == times.count else { throw Self.unreadable("item \(item)'s \(column.count) values for \(times.count) times") }
            columns.append(column)
        }
        return Frame(times: times, columns: columns)
    }

    private static func begin(_ parser: OpaquePointer, _ pointer: String) -> Int {
        var pointer = pointer
        return pointer.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { csj_array_begin(parser, $0.baseAddress, $0.count) }
        }
    }

    private static func unreadable(_ what: String) -> SigportError {
        SigportError(.unexpectedResponse, "clarify.dataFrame answered \(what) sigport cannot read.",
                     hint: "The answer does not match the API's documentation (docs/integration-api.md).")
    }
}
