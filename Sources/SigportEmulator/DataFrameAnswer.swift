import Foundation
import GRDB
import NIOCore

/// One signal's samples in a window, as stored: ascending, distinct times and their values.
struct StoredSeries: Sendable, Equatable {
    var times: [Int64] = []
    var values: [Double] = []
}

/// The `data` of a `clarify.dataFrame` answer before it is rendered: the union of the times
/// (ascending, after `last`) and the columns, each with its own ascending times.
struct DataFrameColumns: Sendable {
    struct Column: Sendable {
        let name: String
        let times: [Int64]
        let values: [Double]
    }
    var times: [Int64]
    var columns: [Column]
}

extension DataFrameRequest {
    /// `{times, series}` for the items, one column per item (per aggregate with a rollup: `<id>_count`,
    /// `_min`, `_max`, `_sum`, `_avg`, and none for an item without values), `null` where a column has
    /// no value at a time. Each series is in time order, so buckets are runs of rows and the times of
    /// the frame are a merge of sorted lists: no hashing by time.
    func frame(itemIDs: [String], series: [StoredSeries]) -> DataFrameColumns {
        var columns: [DataFrameColumns.Column] = []
        var timeLists: [[Int64]] = []
        for (id, stored) in zip(itemIDs, series) {
            switch rollup {
            case .none:
                columns.append(.init(name: id, times: stored.times, values: stored.values))
                timeLists.append(stored.times)
            case .every, .window:
                guard !stored.times.isEmpty else { continue }
                var starts: [Int64] = [], counts: [Double] = [], mins: [Double] = [], maxs: [Double] = [], sums: [Double] = []
                for (time, value) in zip(stored.times, stored.values) {
                    let start = bucket(of: time)
                    if starts.last != start {
                        starts.append(start)
                        counts.append(0); mins.append(.infinity); maxs.append(-.infinity); sums.append(0)
                    }
                    // The same operations, in the same order, as a bucket always had.
                    let i = starts.count - 1
                    counts[i] += 1
                    mins[i] = Swift.min(mins[i], value)
                    maxs[i] = Swift.max(maxs[i], value)
                    sums[i] += value
                }
                let avgs = zip(sums, counts).map { $0 / $1 }
                for (suffix, values) in [("count", counts), ("min", mins), ("max", maxs), ("sum", sums), ("avg", avgs)] {
                    columns.append(.init(name: "\(id)_\(suffix)", times: starts, values: values))
                }
                timeLists.append(starts)
            }
        }
        var times = Self.union(timeLists)
        if last >= 0 && times.count > last { times = Array(times.suffix(last)) }
        return DataFrameColumns(times: times, columns: columns)
    }

    /// The sorted union of ascending, duplicate-free lists, merged pairwise (O(n log k)).
    static func union(_ lists: [[Int64]]) -> [Int64] {
        var level = lists
        while level.count > 1 {
            var next: [[Int64]] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(merge(level[i], level[i + 1]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level.first ?? []
    }

    private static func merge(_ a: [Int64], _ b: [Int64]) -> [Int64] {
        if a == b { return a }
        var out: [Int64] = []
        out.reserveCapacity(max(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let x = a[i], y = b[j]
            if x < y { out.append(x); i += 1 } else if y < x { out.append(y); j += 1 } else { out.append(x); i += 1; j += 1 }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }
}

/// The `result` of `clarify.dataFrame` (`{meta, data: {times, series}, included?}`), rendered
/// straight to bytes. `meta` and `included` are small and go through `JSONEncoder`; the frame is
/// written by `JSONBytes`, number for number as `JSONValue` + `JSONEncoder` would write it.
struct DataFrameAnswer {
    var meta: JSONValue
    var frame: DataFrameColumns
    var included: JSONValue?

    func rendered() -> RenderedJSON {
        let cells = frame.times.count * (frame.columns.count + 1)
        var out = JSONBytes(capacity: 256 + frame.times.count * 28 + cells * 12)
        out.ascii("{\"meta\":")
        out.encoded(meta)
        out.ascii(",\"data\":{\"times\":[")
        for (i, time) in frame.times.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.time(time)
        }
        out.ascii("],\"series\":{")
        for (c, column) in frame.columns.enumerated() {
            if c > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(column.name)
            out.ascii(":[")
            // The column's first time at or after the frame's first (`last` may have cut some).
            var j = frame.times.first.map { first in column.times.partitioningIndex { $0 >= first } } ?? column.times.count
            for (i, time) in frame.times.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                if j < column.times.count && column.times[j] == time {
                    out.number(column.values[j])
                    j += 1
                } else {
                    out.ascii("null")
                }
            }
            out.byte(UInt8(ascii: "]"))
        }
        out.ascii("}}")
        if let included {
            out.ascii(",\"included\":")
            out.encoded(included)
        }
        out.byte(UInt8(ascii: "}"))
        return RenderedJSON(bytes: out.buffer, encodable: out.encodable)
    }
}

extension Array where Element == Int64 {
    /// The first index whose element satisfies `predicate`, which must be false then true along the array.
    func partitioningIndex(where predicate: (Int64) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

/// A JSON writer for the data frame's shapes, matching `Response.json`'s `JSONEncoder`
/// (`.withoutEscapingSlashes`) on `JSONValue` byte for byte where it writes the same value.
struct JSONBytes {
    private(set) var buffer: ByteBuffer
    /// False once a value `JSONEncoder` refuses (a non-finite number) was met: the answer is then
    /// what `Response.json` gives an unencodable value.
    private(set) var encodable = true

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    mutating func byte(_ byte: UInt8) { buffer.writeInteger(byte) }

    mutating func ascii(_ text: StaticString) { buffer.writeStaticString(text) }

    /// Anything, through the encoder `Response.json` uses.
    mutating func encoded(_ value: some Encodable) {
        guard let data = try? Self.encoder.encode(value) else { encodable = false; return }
        buffer.writeBytes(data)
    }

    /// A string: written as is when nothing in it needs escaping, otherwise by the encoder.
    mutating func string(_ text: String) {
        let plain = text.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != 0x7F && $0 < 0x80 }
        guard plain else { encoded(text); return }
        byte(UInt8(ascii: "\""))
        buffer.writeString(text)
        byte(UInt8(ascii: "\""))
    }

    /// A number as `JSONValue.number` encodes: an integral value under 2^53 as an integer (`1`,
    /// `0` for -0.0), anything else as Swift's shortest round-trip `description` without a
    /// trailing `.0` (`0.30000000000000004`, `1e-07`, `1e+300`, `9007199254740992`).
    mutating func number(_ value: Double) {
        if value.rounded() == value, abs(value) < 9.007_199_254_740_992e15 {
            integer(Int64(value))
        } else if value.isFinite {
            let text = value.description.utf8
            // Only integral values (at or above 2^53 here) end in ".0"; bytes, not String.hasSuffix.
            let integral = text.count > 2 && text.last == UInt8(ascii: "0") && text[text.index(text.endIndex, offsetBy: -2)] == UInt8(ascii: ".")
            buffer.writeBytes(integral ? text.dropLast(2) : text[...])
        } else {
            encodable = false
        }
    }

    mutating func integer(_ value: Int64) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { raw in
            var magnitude = value.magnitude
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch, enough for 20 digits
            return withUnsafeMutableBytes(of: &digits) { scratch in
                var n = 0
                repeat {
                    scratch[n] = UInt8(truncatingIfNeeded: magnitude % 10) + 48
                    magnitude /= 10
                    n += 1
                } while magnitude > 0
                var w = 0
                if value < 0 { raw[0] = UInt8(ascii: "-"); w = 1 }
                while n > 0 { n -= 1; raw[w] = scratch[n]; w += 1 }
                return w
            }
        }
    }

    /// A time as `RFC3339Time.format` shows it (`"2024-03-01T11:00:00.123Z"`), quoted.
    mutating func time(_ microseconds: Int64) {
        let millis = Self.floorDiv(microseconds, 1000)
        let seconds = Self.floorDiv(millis, 1000)
        let days = Self.floorDiv(seconds, 86_400)
        let (y, m, d) = RFC3339Time.civilFromDays(Int(days))
        guard (0...9999).contains(y) else {
            // Years outside four digits: rare enough to go the long way.
            byte(UInt8(ascii: "\""))
            buffer.writeString(RFC3339Time.format(microseconds: microseconds))
            byte(UInt8(ascii: "\""))
            return
        }
        let ms = Int(millis - seconds * 1000)
        let secondOfDay = Int(seconds - days * 86_400)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 26) { raw in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for k in stride(from: offset + width - 1, through: offset, by: -1) {
                    raw[k] = UInt8(truncatingIfNeeded: v % 10) + 48
                    v /= 10
                }
            }
            raw[0] = UInt8(ascii: "\"")
            put(y, 4, at: 1); raw[5] = UInt8(ascii: "-")
            put(m, 2, at: 6); raw[8] = UInt8(ascii: "-")
            put(d, 2, at: 9); raw[11] = UInt8(ascii: "T")
            put(secondOfDay / 3600, 2, at: 12); raw[14] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, 2, at: 15); raw[17] = UInt8(ascii: ":")
            put(secondOfDay % 60, 2, at: 18); raw[20] = UInt8(ascii: ".")
            put(ms, 3, at: 21); raw[24] = UInt8(ascii: "Z")
            raw[25] = UInt8(ascii: "\"")
            return 26
        }
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
