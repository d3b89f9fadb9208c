import Foundation
import GRDB
import NIOCore
import Testing
@testable import SigportEmulator

/// `clarify.dataFrame`'s answer is rendered straight to bytes (`DataFrameAnswer`, `JSONBytes`);
/// these tests hold it to the path it replaced: the frame built as a `JSONValue` (hashing times into
/// dictionaries) and the envelope encoded by `JSONEncoder`, as `Response.json` does.
@Suite("dataFrame answer: rendered bytes equal the JSONValue + JSONEncoder answer")
struct DataFrameRenderingTests {
    // MARK: The path it replaced, kept here as the reference

    static func referenceFrame(_ request: DataFrameRequest, itemIDs: [String], samples: [[Sample]]) -> JSONValue {
        var columns: [String: [Int64: Double]] = [:]
        var allTimes = Set<Int64>()
        for (id, rows) in zip(itemIDs, samples) {
            switch request.rollup {
            case .none:
                var column: [Int64: Double] = [:]
                for row in rows { column[row.time] = row.value; allTimes.insert(row.time) }
                columns[id] = column
            case .every, .window:
                var buckets: [Int64: (count: Double, min: Double, max: Double, sum: Double)] = [:]
                for row in rows {
                    let start = request.bucket(of: row.time)
                    let b = buckets[start] ?? (0, .infinity, -.infinity, 0)
                    buckets[start] = (b.count + 1, Swift.min(b.min, row.value), Swift.max(b.max, row.value), b.sum + row.value)
                }
                for (start, b) in buckets {
                    allTimes.insert(start)
                    columns["\(id)_count", default: [:]][start] = b.count
                    columns["\(id)_min", default: [:]][start] = b.min
                    columns["\(id)_max", default: [:]][start] = b.max
                    columns["\(id)_sum", default: [:]][start] = b.sum
                    columns["\(id)_avg", default: [:]][start] = b.sum / b.count
                }
            }
        }
        var times = allTimes.sorted()
        if request.last >= 0 { times = Array(times.suffix(request.last)) }
        let series = columns.mapValues { column in JSONValue.array(times.map { column[$0].map(JSONValue.number) ?? .null }) }
        return .object(["times": .array(times.map { .string(RFC3339Time.format(microseconds: $0)) }), "series": .object(series)])
    }

    /// The old answer's bytes: `Response.json(RPCResult(id:, result: Selection))`, nil where it failed.
    static func referenceAnswer(_ request: DataFrameRequest, id: JSONValue, meta: JSONValue, included: JSONValue?,
                                itemIDs: [String], samples: [[Sample]]) -> String? {
        let selection = IntegrationAPI.Selection(meta: meta, data: referenceFrame(request, itemIDs: itemIDs, samples: samples), included: included)
        return (try? JSONBytes.encoder.encode(RPCResult(id: id, result: AnyEncodable(selection)))).map { String(decoding: $0, as: UTF8.self) }
    }

    static func newAnswer(_ request: DataFrameRequest, id: JSONValue, meta: JSONValue, included: JSONValue?,
                          itemIDs: [String], samples: [[Sample]]) -> String? {
        let series = samples.map { StoredSeries(times: $0.map(\.time), values: $0.map(\.value)) }
        let frame = request.frame(itemIDs: itemIDs, series: series)
        let rendered = DataFrameAnswer(meta: meta, frame: frame, included: included).rendered()
        return RPCResult(id: id, result: rendered).body.map { String(buffer: $0) }
    }

    static func request(from: String, to: String, rollup: JSONValue = .null, origin: JSONValue = .null, last: Int = -1) throws -> DataFrameRequest {
        try DataFrameRequest(.object([
            "filter": .object(["times": .object(["$gte": .string(from), "$lt": .string(to)])]),
            "rollup": rollup, "timeZone": "UTC", "origin": origin, "last": .number(Double(last)),
        ]))
    }

    /// The text of the JSON array after `"key":` (arrays of numbers, nulls and times: no nesting).
    static func arrayText(_ text: String, key: String) -> Substring? {
        guard let start = text.range(of: "\"\(key)\":[") else { return nil }
        guard let end = text[start.upperBound...].firstIndex(of: "]") else { return nil }
        return text[start.upperBound..<end]
    }

    /// Same JSON value, and the same text for `times` and every series (key order is the
    /// dictionary's, which `JSONEncoder` never fixed: it differs from one answer to the next).
    static func expectSameAnswer(_ request: DataFrameRequest, itemIDs: [String], samples: [[Sample]],
                                 id: JSONValue = .number(7), included: JSONValue? = nil,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let meta: JSONValue = .object(["total": .number(-1), "format": .object(["dataAsArray": .bool(true), "groupIncludedByType": .bool(true)])])
        let old = try #require(referenceAnswer(request, id: id, meta: meta, included: included, itemIDs: itemIDs, samples: samples), sourceLocation: sourceLocation)
        let new = try #require(newAnswer(request, id: id, meta: meta, included: included, itemIDs: itemIDs, samples: samples), sourceLocation: sourceLocation)
        let oldValue = try #require(JSONValue.parseStrict(Data(old.utf8)), sourceLocation: sourceLocation)
        let newValue = try #require(JSONValue.parseStrict(Data(new.utf8)), "the new answer parses", sourceLocation: sourceLocation)
        #expect(newValue == oldValue, sourceLocation: sourceLocation)
        let keys = ["times"] + (oldValue["result"]?["data"]?["series"]?.objectValue?.keys.sorted() ?? [])
        for key in keys {
            let oldText = Self.arrayText(old, key: key), newText = Self.arrayText(new, key: key)
            #expect(oldText != nil && newText == oldText, "\(key): \(String(newText?.prefix(200) ?? "-")) vs \(String(oldText?.prefix(200) ?? "-"))", sourceLocation: sourceLocation)
        }
    }

    static func rows(_ signal: String, _ pairs: [(Int64, Double)]) -> [Sample] {
        pairs.map { Sample(signalID: signal, time: $0.0, value: $0.1) }
    }

    static let t0: Int64 = 1_709_251_200_000_000 // 2024-03-01T00:00:00Z
    static let awkward: [Double] = [
        0, -0.0, 1, -1, 1e-7, -1e-7, 1e300, -1e300, 0.1 + 0.2, 123456789.125, 1e15, 1e16, 1e21, 1e22,
        9_007_199_254_740_991, 9_007_199_254_740_992, -9_007_199_254_740_992, 18_446_744_073_709_551_616, 1.8e19, 2e63,
        .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 313.527, 0.001, 100, 1234.5,
        4_503_599_627_370_496.5, 2.5e-5, 1.0 / 3.0, -2.0 / 3.0, 65536, 1e-300, 123_456_789_012_345_680,
    ]

    // MARK: Tests

    @Test("numbers are written as JSONValue.number goes through JSONEncoder: awkward and random values")
    func numbers() {
        var generator = SeededGenerator(seed: 42)
        var values = Self.awkward
        for _ in 0..<20_000 {
            let bits = Double(bitPattern: generator.next())
            if bits.isFinite { values.append(bits) }
            values.append(Double(Int64.random(in: -2_000_000...2_000_000, using: &generator)) / 1000)
            values.append(Double(Int64.random(in: Int64.min...Int64.max, using: &generator)))
            values.append(Double.random(in: -1e6...1e6, using: &generator))
        }
        var mismatches: [String] = []
        for value in values {
            var out = JSONBytes(capacity: 32)
            out.number(value)
            let new = String(buffer: out.buffer)
            let old = String(decoding: (try? JSONBytes.encoder.encode(JSONValue.number(value))) ?? Data(), as: UTF8.self)
            if new != old { mismatches.append("\(value.bitPattern): \(new) vs \(old)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test("times are written as RFC3339Time.format shows them, across and outside four-digit years")
    func times() {
        var generator = SeededGenerator(seed: 7)
        var times: [Int64] = [0, -1, 1, 999, 1000, -1000, -1001, Self.t0, Self.t0 + 123_456, Self.t0 - 1,
                              -62_135_596_800_000_000, -62_135_596_800_000_001, -62_167_219_200_000_000, -62_167_219_200_000_001,
                              253_402_300_799_999_999, 253_402_300_800_000_000, 951_782_400_000_000, 4_107_542_400_000_000]
        for _ in 0..<50_000 { times.append(Int64.random(in: -70_000_000_000_000_000...260_000_000_000_000_000, using: &generator)) }
        var mismatches: [String] = []
        for time in times {
            var out = JSONBytes(capacity: 32)
            out.time(time)
            let new = String(buffer: out.buffer)
            let old = String(decoding: (try? JSONBytes.encoder.encode(JSONValue.string(RFC3339Time.format(microseconds: time)))) ?? Data(), as: UTF8.self)
            if new != old { mismatches.append("\(time): \(new) vs \(old)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test("raw frames: gaps, series without values, awkward numbers, last, string and null ids")
    func rawFrames() throws {
        let a = "a0000000000000000000", b = "b0000000000000000000", c = "c0000000000000000000"
        let aRows = Self.rows(a, Self.awkward.enumerated().map { (Self.t0 + Int64($0.offset) * 1_000_000, $0.element) })
        let bRows = Self.rows(b, Self.awkward.enumerated().filter { $0.offset % 3 == 0 }.map { (Self.t0 + Int64($0.offset) * 1_000_000 + 500, $0.element * 3) })
        let request = try Self.request(from: "2024-03-01T00:00:00Z", to: "2024-03-02T00:00:00Z")
        try Self.expectSameAnswer(request, itemIDs: [a, b, c], samples: [aRows, bRows, []])
        try Self.expectSameAnswer(request, itemIDs: [a, b], samples: [aRows, bRows], id: .string("req/1 \"x\""))
        try Self.expectSameAnswer(request, itemIDs: [a], samples: [aRows], id: .null, included: .object(["items": .array([.object(["id": .string(a), "name": "é/\\\"\n"])])]))
        try Self.expectSameAnswer(request, itemIDs: [], samples: [])
        try Self.expectSameAnswer(request, itemIDs: [c], samples: [[]])
        for last in [0, 1, 5, 20, 1000] {
            try Self.expectSameAnswer(try Self.request(from: "2024-03-01T00:00:00Z", to: "2024-03-02T00:00:00Z", last: last),
                                      itemIDs: [a, b, c], samples: [aRows, bRows, []])
        }
    }

    @Test("rollups: fixed buckets with and without origin, the whole window, last, empty series")
    func rollupFrames() throws {
        var generator = SeededGenerator(seed: 3)
        let ids = (0..<5).map { "s\($0)000000000000000000" }
        let samples = ids.enumerated().map { index, id in
            var time = Self.t0 + Int64(index) * 7_000_000
            var pairs: [(Int64, Double)] = []
            for n in 0..<(index == 4 ? 0 : 400) {
                time += Int64.random(in: 1...90_000_000, using: &generator)
                pairs.append((time, n % 17 == 0 ? Self.awkward[n % Self.awkward.count] : Double(Int.random(in: -99_999...99_999, using: &generator)) / 1000))
            }
            return Self.rows(id, pairs)
        }
        let to = "2024-03-02T00:00:00Z"
        for rollup: JSONValue in ["PT1M", "PT7M", "PT1H", "P1D", "window"] {
            for origin: JSONValue in [.null, "2024-03-01T00:00:13.5Z", "2023-12-31T23:59:59Z"] {
                for last in [-1, 0, 3] {
                    try Self.expectSameAnswer(try Self.request(from: "2024-03-01T00:00:00Z", to: to, rollup: rollup, origin: origin, last: last),
                                              itemIDs: ids, samples: samples)
                }
            }
        }
    }

    @Test("a value JSONEncoder refuses (an infinite sum) gives the answer it gave: {} from Response.json")
    func unencodable() throws {
        let a = "a0000000000000000000"
        let request = try Self.request(from: "2024-03-01T00:00:00Z", to: "2024-03-02T00:00:00Z", rollup: "window")
        let samples = [Self.rows(a, [(Self.t0, .greatestFiniteMagnitude), (Self.t0 + 1, .greatestFiniteMagnitude)])]
        let meta: JSONValue = .object(["total": .number(1)])
        #expect(Self.referenceAnswer(request, id: .number(1), meta: meta, included: nil, itemIDs: [a], samples: samples) == nil)
        #expect(Self.newAnswer(request, id: .number(1), meta: meta, included: nil, itemIDs: [a], samples: samples) == nil)
    }

    @Test("a window of stored samples: across segments, ascending, through the (signalID, lastTime, firstTime) index")
    func storeReads() async throws {
        let store = try EmulatorStore(path: nil)
        let n = SampleSegments.capacity * 2 + 100
        try await store.write { db in
            try db.execute(sql: "INSERT INTO integration VALUES ('i0000000000000000000', 'n', 'h', 'c', 'h', '2024-01-01 00:00:00')")
            for (index, signal) in ["x0000000000000000000", "y0000000000000000000"].enumerated() {
                try db.execute(sql: "INSERT INTO signal VALUES (?, 'i0000000000000000000', ?, '{}', '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
                               arguments: [signal, "in\(index)"])
                let times = (0..<n).map { Self.t0 + Int64($0 * (index + 1)) }
                let values = (0..<n).map { $0 % 50 == 0 ? Self.awkward[$0 / 50 % Self.awkward.count] : Double($0) / 8 }
                try SampleSegments.append(db, signalID: signal, times: times, values: values)
                // Windows inside one segment, across both boundaries, before and after everything.
                for (from, to) in [(10, 400), (4000, 4200), (1, n * 2 + 10), (-5, 0), (n * 2, n * 3)] {
                    let lower = Self.t0 + Int64(from), upper = Self.t0 + Int64(to)
                    let read = try SampleSegments.fetch(db, signalID: signal, from: lower, to: upper)
                    let kept = times.indices.filter { times[$0] >= lower && times[$0] < upper }
                    #expect(read == StoredSeries(times: kept.map { times[$0] }, values: kept.map { values[$0] }), "\(signal) [\(from), \(to))")
                    #expect(zip(read.values, kept.map { values[$0] }).allSatisfy { $0.bitPattern == $1.bitPattern }, "-0.0 and every bit of a value kept")
                }
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM segment") == 6)
            let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SampleSegments.selectSQL, arguments: ["x", 0, 1]).map { $0["detail"] as String? ?? "" }
            #expect(plan == ["SEARCH segment USING INDEX segment_signalID_lastTime (signalID=? AND lastTime>?)"], "a range of the index, no table scan")
        }
    }

    @Test("a database from before segments keeps its samples (migration v2-sample-segments)")
    func migratesRowsToSegments() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sigport-v1-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let n = SampleSegments.capacity + 7
        do {
            let queue = try DatabaseQueue(path: path)
            try EmulatorStore.migrator.migrate(queue, upTo: "v1-ox")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO integration VALUES ('i0000000000000000000', 'n', 'h', 'c', 'h', '2024-01-01 00:00:00')")
                for signal in ["x0000000000000000000", "y0000000000000000000"] {
                    try db.execute(sql: "INSERT INTO signal VALUES (?, 'i0000000000000000000', ?, '{}', '2024-01-01 00:00:00', '2024-01-01 00:00:00')", arguments: [signal, signal])
                    for i in (0..<n).reversed() {
                        try db.execute(sql: "INSERT INTO sample (signalID, time, value) VALUES (?, ?, ?)", arguments: [signal, Self.t0 + Int64(i), Double(i) / 4])
                    }
                }
            }
        }
        let store = try EmulatorStore(path: path)
        try store.queue.read { db in
            #expect(try db.tableExists("sample") == false)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM segment") == 4)
            for signal in ["x0000000000000000000", "y0000000000000000000"] {
                let read = try SampleSegments.fetch(db, signalID: signal, from: .min, to: .max)
                #expect(read == StoredSeries(times: (0..<n).map { Self.t0 + Int64($0) }, values: (0..<n).map { Double($0) / 4 }))
            }
        }
    }
}

/// A stored value, for building the reference answers.
struct Sample {
    var signalID: String
    var time: Int64
    var value: Double
}

/// SplitMix64: reproducible random values for the comparisons.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
