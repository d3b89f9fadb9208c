import Foundation
import NIOCore
import Testing
@testable import Sigport

@Suite("request bodies: exact sizes, packed full, valid JSON")
struct InsertFrameBuilderTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    /// Rows with random times (some repeated), random subsets of signals, awkward numbers.
    static func rows(seed: UInt64, count: Int) -> [(Int64, [(String, Double)])] {
        var g = Generator(state: seed)
        let ids = ["a", "site/gw-1/temp", "x:y.z#1", "long-" + String(repeating: "q", count: 100)]
        let numbers: [Double] = [0, -0.0, 1, -1.5, 21.25, 1e-7, 123456789.125, 1e300, -2.5e-300, 0.1 + 0.2, 9_007_199_254_740_992]
        var time: Int64 = 1_709_251_200_000_000
        return (0..<count).map { _ in
            if Int.random(in: 0..<4, using: &g) > 0 { time += Int64.random(in: 1...90_000_000, using: &g) }
            let n = Int.random(in: 1...ids.count, using: &g)
            return (time, (0..<n).map { _ in (ids.randomElement(using: &g)!, numbers.randomElement(using: &g)! * Double(Int.random(in: 1...3, using: &g))) })
        }
    }

    /// Rows as a wide CSV gives them — every series at each new time, in the order of the
    /// frame's series or not — broken now and then the ways the builder's column path must
    /// refuse (a signal twice, one left out, a new one, an earlier time), with texts too long for
    /// a cell among the values.
    static func wideRows(seed: UInt64, count: Int) -> [(Int64, [(String, Double)])] {
        var g = Generator(state: seed)
        var ids = ["a", "b", "c", "d"]
        let numbers: [Double] = [1, -1.5, 21.25, 0.1 + 0.2, 123456789.125, -2.5e-300, 670.487]
        var time: Int64 = 1_709_251_200_000_000
        return (0..<count).map { _ in
            var row = ids.shuffled(using: &g).map { ($0, numbers.randomElement(using: &g)! * Double(Int.random(in: 1...3, using: &g))) }
            switch Int.random(in: 0..<20, using: &g) {
            case 0: row[row.count - 1].0 = row[0].0
            case 1: row.removeLast()
            case 2 where ids.count < 8:
                ids.append("new-\(ids.count)")
                row.append((ids.last!, 7))
            case 3: return (time - 1_000_000, row)
            default: break
            }
            time += Int64.random(in: 1...5_000_000, using: &g)
            return (time, row)
        }
    }

    @Test("the size known while building is the size encoded, and the body is valid JSON with the values", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func exactSize(seed: UInt64) throws {
        try Self.checkExact(Self.rows(seed: seed, count: 300))
    }

    @Test("wide rows, written a column at a time, and the rows that break that pattern: exact sizes and values", arguments: [21, 22, 23] as [UInt64])
    func exactSizeWide(seed: UInt64) throws {
        try Self.checkExact(Self.wideRows(seed: seed, count: 400))
    }

    /// Adds `rows` to one frame, checking its size after each against its encoding, and its body
    /// at the end against the values the rows gave (a later value at the same time wins).
    static func checkExact(_ rows: [(Int64, [(String, Double)])]) throws {
        var builder = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: 12, limit: 1 << 30)
        var expected: [String: [Int64: Double]] = [:]
        for (time, values) in rows {
            let added = builder.add(time: time, values: values)
            #expect(added)
            for (id, value) in values { expected[id, default: [:]][time] = value }
            #expect(builder.encode().count == builder.bytes)
        }
        // JSONDecoder, not JSONSerialization: the latter rounds some decimals wrongly on Linux.
        struct Body: Decodable {
            struct Params: Decodable { let data: Frame }
            struct Frame: Decodable { let times: [String]; let series: [String: [Double?]] }
            let params: Params
        }
        let frame = try JSONDecoder().decode(Body.self, from: Data(builder.encode())).params.data
        let times = frame.times
        let series = frame.series
        #expect(Set(times).count == times.count, "times are unique")
        #expect(Set(series.keys) == Set(expected.keys))
        let parser = TimestampParser(TimestampSpec(field: "t", format: .iso8601, timeZone: nil, ambiguous: .reject, nonexistent: .reject))
        for (id, byTime) in expected {
            let column = try #require(series[id])
            #expect(column.count == times.count)
            for (i, text) in times.enumerated() {
                let micros = try parser.microseconds(.text(text)).get()
                #expect(column[i] == byTime[micros], "\(id) at \(text)")
            }
        }
    }

    @Test("a body read back (to split a refused request) is the same frame: same size, times and values", arguments: [1, 2, 3] as [UInt64])
    func decoding(seed: UInt64) throws {
        var builder = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: 7, limit: 1 << 30)
        for (time, values) in Self.rows(seed: seed, count: 200) { _ = builder.add(time: time, values: values) }
        let decoded = try InsertFrameBuilder(decoding: ByteBuffer(bytes: builder.encode()), limit: 1 << 30)
        #expect(decoded.bytes == builder.bytes && decoded.times == builder.times && decoded.requestID == 7)
        #expect(try Self.cells(decoded) == Self.cells(builder))
    }

    /// A body's values by series and time text (series order in a body carries no meaning).
    static func cells(_ frame: InsertFrameBuilder) throws -> [String: [String: Double]] {
        struct Body: Decodable {
            struct Params: Decodable { let data: Frame }
            struct Frame: Decodable { let times: [String]; let series: [String: [Double?]] }
            let params: Params
        }
        let data = try JSONDecoder().decode(Body.self, from: Data(frame.encode())).params.data
        return data.series.mapValues { column in
            Dictionary(uniqueKeysWithValues: zip(data.times, column).compactMap { time, value in value.map { (time, $0) } })
        }
    }

    @Test("ox event batches: entries written in place are valid JSON with exact integers, and a batch never passes its limit")
    func oxEvents() throws {
        // Integers two digits a step: every length, both sides of each power of ten, the extremes.
        var g = Generator(state: 5)
        var integers: [Int64] = [Int64.min, Int64.min + 1, -1, 0, 7, Int64.max]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            integers += [power - 1, power, power + 1, -power, -(power - 1)]
        }
        integers += (0..<2000).map { _ in Int64(bitPattern: g.next()) >> (g.next() % 64) }
        for n in integers {
            var written = [UInt8](repeating: 0, count: 20)
            let count = written.withUnsafeMutableBufferPointer { JSONText.writeInteger(n, to: $0.baseAddress!) }
            #expect(String(decoding: written[..<count], as: UTF8.self) == String(n))
        }
        var batch = OxEventBatchBuilder(limit: 400)
        var added = 0
        while batch.addEvent(org: 1_000_000_000_000_001, sensor: 42, beacon: added % 2 == 0 ? nil : -3, type: "t\"q\n",
                             reading: Int64.min, timestampMilliseconds: 1_709_251_200_000) { added += 1 }
        let body = batch.encode()
        #expect(body.count == batch.bytes && body.count <= 400 && batch.count == added && added > 0)
        let events = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]])
        #expect(events.count == added)
        #expect(events.first?["event_type"] as? String == "t\"q\n" && events.first?["event_beacon"] == nil && events.last?["event_sensor"] as? Int == 42)
        #expect(body.starts(with: Array(#"[{"parent_org":1000000000000001,"event_sensor":42,"event_reading":-9223372036854775808,"#.utf8)))
    }

    @Test("a frame emptied for the next body (removeAll) builds the same bodies as a new one", arguments: [7, 8] as [UInt64])
    func reuse(seed: UInt64) {
        var reused = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: 1, limit: 4096)
        var fresh = reused
        var bodies = 0
        for (time, values) in Self.rows(seed: seed, count: 400) {
            if reused.add(time: time, values: values) {
                let added = fresh.add(time: time, values: values)
                #expect(added)
                continue
            }
            #expect(reused.encode() == fresh.encode())
            bodies += 1
            reused.removeAll(requestID: bodies + 1)
            fresh = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: bodies + 1, limit: 4096)
            _ = reused.add(time: time, values: values)
            _ = fresh.add(time: time, values: values)
        }
        #expect(reused.encode() == fresh.encode() && reused.bytes == fresh.bytes && bodies > 3)
    }

    /// The series live behind a reference (`FrameSeries`): a copy of a builder must still be a
    /// value of its own, whichever of the two changes first, and through a removeAll.
    @Test("a copied frame and its original change on their own", arguments: [11, 12] as [UInt64])
    func copiesAreValues(seed: UInt64) {
        let rows = Self.rows(seed: seed, count: 240)
        func built(_ parts: ArraySlice<(Int64, [(String, Double)])>...) -> InsertFrameBuilder {
            var builder = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: 1, limit: 1 << 30)
            for part in parts { for (time, values) in part { _ = builder.add(time: time, values: values) } }
            return builder
        }
        var original = built(rows[..<80])
        var copy = original
        for (time, values) in rows[80..<160] { _ = original.add(time: time, values: values) }
        for (time, values) in rows[160...] { _ = copy.add(time: time, values: values) }
        #expect(original.encode() == built(rows[..<160]).encode())
        #expect(copy.encode() == built(rows[..<80], rows[160...]).encode())
        let kept = copy
        copy.removeAll(requestID: 1)
        for (time, values) in rows[..<40] { _ = copy.add(time: time, values: values) }
        #expect(kept.encode() == built(rows[..<80], rows[160...]).encode())
        #expect(copy.encode() == built(rows[..<40]).encode())
    }

    @Test("times out of order and revisited fill their own column: each time once in a body")
    func revisitedTimes() throws {
        var builder = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: 1, limit: 1 << 20)
        let base: Int64 = 1_709_251_200_000_000
        for (i, step) in [10, 20, 15, 20, 10, 25, 15, 30, 20].enumerated() {
            let added = builder.add(time: base + Int64(step) * 1_000_000, values: [(inputID: "s\(i % 3)", value: Double(i))])
            #expect(added)
        }
        #expect(builder.times.map { ($0 - base) / 1_000_000 } == [10, 20, 15, 25, 30])
        #expect(builder.encode().count == builder.bytes)
        let cells = try Self.cells(builder)
        #expect(cells["s0"] == ["2024-03-01T00:00:10Z": 0, "2024-03-01T00:00:20Z": 3, "2024-03-01T00:00:15Z": 6])
        #expect(cells["s2"] == ["2024-03-01T00:00:15Z": 2, "2024-03-01T00:00:25Z": 5, "2024-03-01T00:00:20Z": 8])
    }

    @Test("requests are packed to the limit and never over it", arguments: [false, true])
    func packing(wide: Bool) {
        let limit = 64 * 1024
        var frames: [Int] = []
        var builder = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: 1, limit: limit)
        var total = 0
        let rows = wide ? Self.wideRows(seed: 9, count: 20_000) : Self.rows(seed: 9, count: 20_000)
        for (i, (time, values)) in rows.enumerated() {
            if !builder.add(time: time, values: values) {
                frames.append(builder.bytes)
                total += builder.bytes
                builder = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: i, limit: limit)
                let added = builder.add(time: time, values: values)
                #expect(added)
            }
        }
        #expect(frames.allSatisfy { $0 <= limit })
        #expect(frames.dropLast().allSatisfy { $0 > limit - 1024 }, "every full frame is within one row of the limit")
        #expect(frames.count <= Int((Double(total) / Double(limit) * 1.02).rounded(.up)))
    }

    @Test("a row too large for an empty request does not fit")
    func tooLarge() {
        var builder = InsertFrameBuilder(integration: "c8ktonqsahsmemfs7lv0", requestID: 1, limit: 200)
        let added = builder.add(time: 0, values: [(String(repeating: "x", count: 128), 1)])
        #expect(!added)
        #expect(builder.isEmpty)
        #expect(builder.encode().count == builder.bytes)
    }

    @Test("numbers and times in their shortest exact forms")
    func text() {
        #expect(JSONText.number(42) == "42")
        #expect(JSONText.number(-0.0) == "0")
        #expect(JSONText.number(21.5) == "21.5")
        #expect(Double(JSONText.number(0.1 + 0.2)) == 0.1 + 0.2)
        #expect(JSONText.time(microseconds: 0) == "1970-01-01T00:00:00Z")
        #expect(JSONText.time(microseconds: 1_709_251_200_250_000) == "2024-03-01T00:00:00.250Z")
        #expect(JSONText.time(microseconds: 1_709_251_200_000_001) == "2024-03-01T00:00:00.000001Z")
        #expect(JSONText.time(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(JSONText.string("a\"b\\c\n\u{1}°") == "\"a\\\"b\\\\c\\n\\u0001°\"")
    }
}

/// Times are written through a `DateTimeWriter` that keeps the day it wrote last: a run of times
/// through one writer must give the texts each would get alone, and read back as themselves.
@Suite struct JSONTimeTextTests {
    @Test("times through one writer, in and out of order, across days and years, read back exactly")
    func sweep() throws {
        var generator = SystemRandomNumberGenerator()
        var writer = DateTimeWriter()
        var bytes = [UInt8](repeating: 0, count: 32)
        let parser = TimestampParser.apiTime
        var micros: Int64 = -86_400_000_000
        for i in 0..<100_000 {
            // Mostly small steps (the same day), now and then a jump anywhere in 0001–9999.
            if i % 97 == 0 {
                micros = Int64.random(in: TimestampParser.minimum...TimestampParser.maximum, using: &generator)
            } else {
                micros += Int64.random(in: -2_000_000...600_000_000, using: &generator) / [1, 1000, 1_000_000].randomElement(using: &generator)! * [1, 1000, 1_000_000].randomElement(using: &generator)!
                micros = min(max(micros, TimestampParser.minimum), TimestampParser.maximum)
            }
            let count = bytes.withUnsafeMutableBytes { JSONText.writeTime(microseconds: micros, with: &writer, to: $0.baseAddress!) }
            let text = String(decoding: bytes[..<count], as: UTF8.self)
            #expect(text == JSONText.time(microseconds: micros))
            #expect(count == JSONText.timeLength(microseconds: micros))
            #expect(parser.microseconds(.text(text)) == .success(micros), "\(text)")
        }
    }

    @Test("a reused body buffer holds exactly the next body")
    func reusedBuffer() {
        var large = InsertFrameBuilder(integration: "i", requestID: 1, limit: 1 << 20)
        for t in 0..<500 { _ = large.add(time: Int64(t) * 86_399_000_000, values: [(inputID: "a", value: Double(t) + 0.5)]) }
        var small = InsertFrameBuilder(integration: "i", requestID: 2, limit: 1 << 20)
        _ = small.add(time: 1_709_251_200_000_000, values: [(inputID: "b", value: 1)])
        var body = ByteBuffer()
        large.encode(into: &body)
        #expect(Array(body.readableBytesView) == large.encode())
        small.encode(into: &body)
        #expect(Array(body.readableBytesView) == small.encode())
        #expect(body.readableBytes == small.bytes)
    }
}

/// `JSONText.number`'s arithmetic path must give exactly the text Swift's shortest-digits
/// algorithm gives wherever it answers.
@Suite struct JSONNumberTextTests {
    @Test("short decimals by arithmetic equal String(value), over random and edge values")
    func shortDecimalsMatchSwift() {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<200_000 {
            let k = Int.random(in: 0...8, using: &generator)
            let m = Int64.random(in: -10_000_000_000...10_000_000_000, using: &generator)
            let value = Double(m) / pow(10, Double(k))
            if let text = JSONText.shortDecimal(value) {
                #expect(text == String(value), "\(m)e-\(k)")
                checked += 1
            }
        }
        #expect(checked > 100_000)
        for value in [0.1, -0.1, 0.0001, -0.0001, 670.487, 1e14 + 0.5, 999_999.999999, 0.3, 1.005, 123.456789] {
            if let text = JSONText.shortDecimal(value) { #expect(text == String(value)) }
            #expect(Double(JSONText.number(value)) == value)
        }
        #expect(JSONText.shortDecimal(0.1 + 0.2) == nil)
        #expect(JSONText.shortDecimal(1e-5) == nil)
        #expect(JSONText.number(1e-7) == "1e-07")
    }
}

extension InsertFrameBuilder {
    /// The body as bytes, for comparing and decoding in tests (requests send `encodedBuffer`).
    func encode() -> [UInt8] { Array(encodedBuffer().readableBytesView) }
}

@Suite("CellText: a value's text inline in 16 bytes")
struct CellTextTests {
    @Test("every length from 0 to 15 holds its bytes, zeros after them and the count in the last byte; 16 does not fit")
    func layout() {
        for count in 0...16 {
            let text = (0..<count).map { UInt8(ascii: "0") + UInt8(($0 * 7 + count) % 10) }
            let cell = text.withUnsafeBufferPointer { CellText($0) }
            guard count <= 15 else {
                #expect(cell == nil)
                continue
            }
            var stored = [UInt8](repeating: 0xAA, count: 16)
            let written = stored.withUnsafeMutableBytes { cell!.store(to: $0.baseAddress!) }
            #expect(written == count)
            #expect(stored == text + Array(repeating: 0, count: 15 - count) + [UInt8(count)], "length \(count)")
            #expect(cell!.string == String(decoding: text, as: UTF8.self))
        }
    }
}
