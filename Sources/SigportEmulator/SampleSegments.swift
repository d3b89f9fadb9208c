import Foundation
import GRDB

/// A run of one signal's samples, as the emulator stores them: up to `SampleSegments.capacity`
/// points in ascending time, times and values packed as little-endian 8-byte blobs.
///
/// Why not a row per sample: a 9 MiB `integration.insert` holds about a million values, and
/// SQLite took 4.7 s to upsert them one row each (a b-tree probe, a foreign-key check and a
/// 40-byte row apiece), six times the documented pace of one request a second; half of a 1 GB
/// import made a 2.5 GB database. As segments, an insert is a few hundred rows, and a value
/// costs its 16 bytes.
struct SegmentRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "segment"
    /// Assigned in write order (AUTOINCREMENT, never reused): where segments overlap, the
    /// value of the segment written last is the stored one.
    var id: Int64?
    var signalID: String
    var firstTime: Int64
    var lastTime: Int64
    var count: Int
    var timeBytes: Data
    var valueBytes: Data
}

enum SampleSegments {
    /// Points per segment: small enough that a short `dataFrame` window reads little more than
    /// it answers with (64 KiB of times and values at most per segment it touches).
    static let capacity = 4096

    /// The schema of `segment` (migration `v2-sample-segments`).
    static func createTable(_ db: Database) throws {
        try db.create(table: SegmentRecord.databaseTableName) { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("signalID", .text).notNull().references("signal", onDelete: .cascade)
            t.column("firstTime", .integer).notNull()
            t.column("lastTime", .integer).notNull()
            t.column("count", .integer).notNull()
            t.column("timeBytes", .blob).notNull()
            t.column("valueBytes", .blob).notNull()
            t.check(sql: "count BETWEEN 1 AND \(capacity) AND firstTime <= lastTime AND length(timeBytes) = 8 * count AND length(valueBytes) = 8 * count")
        }
        // A window's segments are a range of this index (lastTime ≥ from), filtered on firstTime
        // inside the index.
        try db.create(index: "segment_signalID_lastTime", on: SegmentRecord.databaseTableName, columns: ["signalID", "lastTime", "firstTime"])
    }

    /// Stores a signal's samples. `times` ascend strictly; `values` has one value per time.
    static func append(_ db: Database, signalID: String, times: [Int64], values: [Double]) throws {
        precondition(times.count == values.count)
        var start = 0
        while start < times.count {
            let end = min(start + capacity, times.count)
            let record = SegmentRecord(id: nil, signalID: signalID, firstTime: times[start], lastTime: times[end - 1], count: end - start,
                                       timeBytes: pack(times[start..<end].lazy.map { UInt64(bitPattern: $0) }),
                                       valueBytes: pack(values[start..<end].lazy.map(\.bitPattern)))
            try record.insert(db)
            start = end
        }
    }

    private static func pack(_ words: some Collection<UInt64>) -> Data {
        var data = Data(count: words.count * 8)
        data.withUnsafeMutableBytes { raw in
            for (index, word) in words.enumerated() { raw.storeBytes(of: word.littleEndian, toByteOffset: index * 8, as: UInt64.self) }
        }
        return data
    }

    static let selectSQL = "SELECT id, firstTime, timeBytes, valueBytes FROM segment WHERE signalID = ? AND lastTime >= ? AND firstTime < ?"

    /// The signal's samples with `from ≤ time < to`, ascending, one value per time: where
    /// segments overlap (an insert sent again, a time overwritten), the segment written last wins.
    static func fetch(_ db: Database, signalID: String, from: Int64, to: Int64) throws -> StoredSeries {
        struct Slice {
            var id: Int64
            var firstTime: Int64
            var times: [Int64]
            var values: [Double]
        }
        var slices: [Slice] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: selectSQL), arguments: [signalID, from, to])
        while let row = try rows.next() {
            let timeBytes: Data = row[2], valueBytes: Data = row[3]
            let times = unpack(timeBytes, 0..<timeBytes.count / 8) { Int64(bitPattern: $0) }
            // The window's part of the segment: its times ascend.
            let lower = firstIndex(in: times) { $0 >= from }, upper = firstIndex(in: times) { $0 >= to }
            guard lower < upper else { continue }
            let values = unpack(valueBytes, lower..<upper) { Double(bitPattern: $0) }
            slices.append(Slice(id: row[0], firstTime: row[1], times: Array(times[lower..<upper]), values: values))
        }
        slices.sort { ($0.firstTime, $0.id) < ($1.firstTime, $1.id) }
        var series = StoredSeries()
        var disjoint = true
        for slice in slices {
            if let last = series.times.last, slice.times[0] <= last { disjoint = false; break }
            series.times += slice.times
            series.values += slice.values
        }
        if disjoint { return series }
        // Overlapping segments: every point with the order it was written in, the last one per time kept.
        var points: [(time: Int64, id: Int64, value: Double)] = []
        for slice in slices { for (time, value) in zip(slice.times, slice.values) { points.append((time, slice.id, value)) } }
        points.sort { ($0.time, $0.id) < ($1.time, $1.id) }
        series = StoredSeries()
        for (index, point) in points.enumerated() where index + 1 == points.count || points[index + 1].time != point.time {
            series.times.append(point.time)
            series.values.append(point.value)
        }
        return series
    }

    /// The words at `range` (indexes of 8-byte words) of a packed blob.
    private static func unpack<T>(_ data: Data, _ range: Range<Int>, _ make: (UInt64) -> T) -> [T] {
        data.withUnsafeBytes { raw in
            range.map { make(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }

    /// The first index whose time satisfies `isAtOrAfter` (which holds from some index on).
    private static func firstIndex(in times: [Int64], where isAtOrAfter: (Int64) -> Bool) -> Int {
        var low = 0, high = times.count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrAfter(times[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
