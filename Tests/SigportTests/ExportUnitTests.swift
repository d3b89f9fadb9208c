import Foundation
import Testing
@testable import Sigport

/// The export's pieces that need no server: how times are written, how windows are cut, CSV
/// quoting, and the summary's arithmetic.
@Suite struct ExportUnitTests {
    static let oslo = TimeZone(identifier: "Europe/Oslo")!
    static let utc = TimeZone(identifier: "UTC")!

    static func micros(_ text: String) -> Int64 { ExportTimeArgument.microseconds(text, zone: utc)! }

    @Test("timestamps: three fraction digits, Z in UTC, the zone's offset at each instant across DST")
    func timeFormatting() {
        var utc = ExportTimeFormatter()
        #expect(utc.string(0) == "1970-01-01T00:00:00.000Z")
        #expect(utc.string(Self.micros("2024-02-29T23:59:59.999Z")) == "2024-02-29T23:59:59.999Z")
        #expect(utc.string(-1) == "1969-12-31T23:59:59.999Z")
        var oslo = ExportTimeFormatter(zone: Self.oslo)
        // Clocks go forward at 01:00Z on 2024-03-31 and back at 01:00Z on 2024-10-27.
        #expect(oslo.string(Self.micros("2024-03-31T00:59:59.999Z")) == "2024-03-31T01:59:59.999+01:00")
        #expect(oslo.string(Self.micros("2024-03-31T01:00:00Z")) == "2024-03-31T03:00:00.000+02:00")
        #expect(oslo.string(Self.micros("2024-10-27T00:30:00Z")) == "2024-10-27T02:30:00.000+02:00")
        #expect(oslo.string(Self.micros("2024-10-27T01:30:00Z")) == "2024-10-27T02:30:00.000+01:00")
        // Going back in time after the cache moved forward still finds the right offset.
        #expect(oslo.string(Self.micros("2024-01-01T00:00:00Z")) == "2024-01-01T01:00:00.000+01:00")
        var newYork = ExportTimeFormatter(zone: TimeZone(identifier: "America/New_York")!)
        #expect(newYork.string(Self.micros("2024-07-01T12:00:00Z")) == "2024-07-01T08:00:00.000-04:00")
    }

    @Test("--from/--to: RFC 3339 with an offset, or a local date or date-time in the zone")
    func timeArguments() {
        #expect(ExportTimeArgument.microseconds("2024-03-31", zone: Self.oslo) == Self.micros("2024-03-30T23:00:00Z"))
        #expect(ExportTimeArgument.microseconds("2024-04-01", zone: Self.oslo) == Self.micros("2024-03-31T22:00:00Z"))
        #expect(ExportTimeArgument.microseconds("2024-03-01T06:00", zone: Self.oslo) == Self.micros("2024-03-01T05:00:00Z"))
        #expect(ExportTimeArgument.microseconds("2024-03-01T06:00:00+05:00", zone: Self.oslo) == Self.micros("2024-03-01T01:00:00Z"))
        #expect(ExportTimeArgument.microseconds("March 1st", zone: Self.oslo) == nil)
    }

    @Test("window sizes parse and print back")
    func windowSizes() {
        for text in ["6h", "1d", "7d", "2w", "1mo"] { #expect(ExportWindowSize(text)?.description == text) }
        for text in ["", "d", "0d", "1y", "-1d", "1.5h", "5h", "48h"] { #expect(ExportWindowSize(text) == nil) }
        #expect(ExportWindowSize.days(1).windows(from: 5, to: 5, zone: Self.oslo).isEmpty, "an empty range has no window")
    }

    @Test("day windows follow local midnight, clipped to [from, to); a DST day has 23 hours")
    func dayWindows() {
        let from = ExportTimeArgument.microseconds("2024-03-30T12:00", zone: Self.oslo)!
        let to = ExportTimeArgument.microseconds("2024-04-01T06:00", zone: Self.oslo)!
        let windows = ExportWindowSize.days(1).windows(from: from, to: to, zone: Self.oslo)
        #expect(windows.map(\.name) == ["2024-03-30", "2024-03-31", "2024-04-01"])
        #expect(windows.first?.from == from)
        #expect(windows.last?.to == to)
        #expect(windows[1].to - windows[1].from == 23 * 3_600_000_000)
        #expect(zip(windows, windows.dropFirst()).allSatisfy { $0.to == $1.from })
    }

    @Test("hour windows are named with the offset, so the repeated hour of a DST end stays unique")
    func hourWindows() {
        let from = Self.micros("2024-10-26T23:00:00Z")
        let windows = ExportWindowSize.hours(1).windows(from: from, to: from + 4 * 3_600_000_000, zone: Self.oslo)
        #expect(windows.map(\.name) == ["2024-10-27T01+0200", "2024-10-27T02+0200", "2024-10-27T02+0100", "2024-10-27T03+0100"])
        let utcWindows = ExportWindowSize.hours(6).windows(from: Self.micros("2024-03-01T05:00:00Z"), to: Self.micros("2024-03-01T13:00:00Z"), zone: Self.utc)
        #expect(utcWindows.map(\.name) == ["2024-03-01T00Z", "2024-03-01T06Z", "2024-03-01T12Z"])
    }

    @Test("week windows start on Monday, month windows on the first")
    func weekAndMonthWindows() {
        let from = Self.micros("2024-02-28T00:00:00Z"), to = Self.micros("2024-03-12T00:00:00Z")
        #expect(ExportWindowSize.weeks(1).windows(from: from, to: to, zone: Self.utc).map(\.name) == ["2024-02-26", "2024-03-04", "2024-03-11"])
        #expect(ExportWindowSize.months(1).windows(from: from, to: to, zone: Self.utc).map(\.name) == ["2024-02", "2024-03"])
        #expect(ExportWindowSize.days(1).windows(from: from, to: from, zone: Self.utc).isEmpty)
    }

    @Test("CSV fields are quoted only when RFC 4180 needs it")
    func csvQuoting() {
        func quoted(_ text: String) -> String {
            var out: [UInt8] = []
            LongCSVSink.appendField(text, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(quoted("pier/gw-0042") == "pier/gw-0042")
        #expect(quoted("Door, pier") == "\"Door, pier\"")
        #expect(quoted("5\" pipe") == "\"5\"\" pipe\"")
        #expect(quoted("two\nlines") == "\"two\nlines\"")
        #expect(quoted("Ørsta ✓") == "Ørsta ✓")
    }

    @Test("values are written exactly: ox integers beyond 2^53, the shortest text of a double")
    func values() {
        func text(_ value: ExportValue) -> String {
            var out: [UInt8] = []
            value.append(to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text(.integer(9_007_199_254_740_993)) == "9007199254740993")
        #expect(text(.real(0.1)) == "0.1")
        #expect(text(.real(-3)) == "-3")
        #expect(text(.real(1e-7)) == "1e-07")
    }

    @Test("summary stats: gaps over the threshold, merged across windows including the gap between them")
    func seriesStats() {
        let minute: Int64 = 60_000_000
        var first = SeriesStats()
        for (t, v) in [(0, 1.0), (1, 3.0), (10, 2.0)] { first.add(time: Int64(t) * minute, value: v, gap: 5 * minute) }
        #expect(first.count == 3 && first.min == 1 && first.max == 3 && first.mean == 2)
        #expect(first.gaps == [[1 * minute, 10 * minute]])
        var second = SeriesStats()
        for t in [20, 21] { second.add(time: Int64(t) * minute, value: 10, gap: 5 * minute) }
        var total = SeriesStats()
        total.merge(first, gap: 5 * minute)
        total.merge(SeriesStats(), gap: 5 * minute)
        total.merge(second, gap: 5 * minute)
        #expect(total.count == 5 && total.max == 10 && total.first == 0 && total.last == 21 * minute)
        #expect(total.gapCount == 2)
        #expect(total.gaps == [[1 * minute, 10 * minute], [10 * minute, 20 * minute]])
        var noThreshold = SeriesStats()
        for t in [0, 100] { noThreshold.add(time: Int64(t) * minute, value: 0, gap: nil) }
        #expect(noThreshold.gapCount == 0)
    }
}
