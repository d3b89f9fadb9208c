import Foundation
import Testing
@testable import Sigport

typealias TSFailure = TimestampParser.Failure

private func parser(_ format: TimestampSpec.Format, zone: String? = nil,
                    ambiguous: TimestampSpec.Ambiguous = .reject, nonexistent: TimestampSpec.Nonexistent = .reject) -> TimestampParser {
    TimestampParser(TimestampSpec(field: "t", format: format, timeZone: zone.map { TimeZone(identifier: $0)! },
                                  ambiguous: ambiguous, nonexistent: nonexistent))
}

private func parse(_ text: String, _ format: TimestampSpec.Format = .iso8601, zone: String? = nil,
                   ambiguous: TimestampSpec.Ambiguous = .reject, nonexistent: TimestampSpec.Nonexistent = .reject) -> Result<Int64, TSFailure> {
    parser(format, zone: zone, ambiguous: ambiguous, nonexistent: nonexistent).microseconds(.text(text))
}

/// 2024-03-01T00:00:00Z in microseconds since the epoch.
private let march1: Int64 = 1_709_251_200_000_000
private let hour: Int64 = 3_600_000_000

@Suite("Timestamp parser")
struct TimestampParserTests {
    // MARK: RFC 3339 / ISO 8601

    static let rfc3339Cases: [(String, Int64)] = [
        ("2024-03-01T00:00:00Z", march1),
        ("2024-03-01T00:00:00z", march1),
        ("2024-03-01t00:00:00Z", march1),
        ("2024-03-01 00:00:00Z", march1),
        ("2024-03-01T00:00Z", march1),
        ("2024-03-01T00:00:00.5Z", march1 + 500_000),
        ("2024-03-01T00:00:00.000001Z", march1 + 1),
        ("2024-03-01T00:00:00.123456Z", march1 + 123_456),
        ("2024-03-01T00:00:00.123456789Z", march1 + 123_456),
        ("2024-03-01T00:00:00,25Z", march1 + 250_000),
        ("2024-03-01T01:00:00+01:00", march1),
        ("2024-03-01T01:00:00+0100", march1),
        ("2024-02-29T23:00:00-01:00", march1),
        ("2024-03-01T05:30:00.75+05:30", march1 + 750_000),
        ("2024-03-01T14:00:00+14:00", march1),
        ("2024-02-29T10:00:00-14:00", march1),
        ("2024-03-01T00:00:00+00:00", march1),
        ("2024-03-01T00:00:00-00:00", march1),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000_000),
        ("1969-12-31T23:59:59Z", -1_000_000),
        ("1969-12-31T23:59:59.999999Z", -1),
        ("1970-01-01T00:00:00Z", 0),
        ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
    ]

    @Test("the fixed-position read of YYYY-MM-DDTHH:MM:SSZ agrees with the general parser, valid or not")
    func canonicalShape() {
        // The pattern path never takes the fixed-position read; for this shape it reads as ISO 8601 does.
        let general = parser(.pattern("%Y-%m-%dT%H:%M:%S%z"))
        let iso = parser(.iso8601)
        var generator = SystemRandomNumberGenerator()
        func two(_ range: ClosedRange<Int>) -> String {
            let n = Int.random(in: range, using: &generator)
            return n < 10 ? "0\(n)" : "\(n)"
        }
        var fast = 0
        for _ in 0..<100_000 {
            let year = [String(format: "%04d", Int.random(in: 0...9999, using: &generator)), "1970", "2024", "2023", "2000", "1900"]
                .randomElement(using: &generator)!
            let text = "\(year)-\(two(0...13))-\(two(0...32))T\(two(0...25)):\(two(0...61)):\(two(0...61))Z"
            #expect(iso.microseconds(.text(text)) == general.microseconds(.text(text)), "\(text)")
            var bytes = text
            if bytes.withUTF8({ TimestampParser.utcSeconds($0) }) != nil { fast += 1 }
        }
        #expect(fast > 10_000)
        for text in ["2024-02-29T23:59:60Z", "2023-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-03-01T00:00:00+", "2024-03-01T00:00:0aZ"] {
            #expect(iso.microseconds(.text(text)) == general.microseconds(.text(text)), "\(text)")
        }
    }

    @Test("RFC 3339 with Z, offsets and fractions", arguments: rfc3339Cases)
    func rfc3339(text: String, expected: Int64) {
        #expect(parse(text) == .success(expected))
    }

    @Test("not RFC 3339", arguments: [
        "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-04-31T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-03-01T24:00:00Z", "2024-03-01T23:60:00Z", "2024-03-01T00:00:61Z",
        "2024-03-01T00:00:00+15:00", "2024-03-01T00:00:00-15:00", "2024-03-01T00:00:00+01:60", "2024-03-01T00:00:00+1",
        "2024-03-01T00:00:00ZZ", "2024-03-01T00:00:00Z ", " 2024-03-01T00:00:00Z", "2024-03-01T00:00:00.Z",
        "2024-03-01X00:00:00Z", "24-03-01T00:00:00Z", "2024/03/01 00:00:00Z", "yesterday", "",
    ])
    func notRFC3339(text: String) {
        #expect(parse(text) == .failure(.format))
    }

    @Test("outside years 0001-9999, also once the offset is applied, and years of five digits or more", arguments: [
        "10000-01-01T00:00:00Z", "99999-03-01T00:01:00Z", "0000-12-31T23:59:59Z", "0001-01-01T00:00:00+00:01", "0001-01-01T00:59:59.999999+01:00", "9999-12-31T23:59:59-00:01",
    ])
    func outOfRange(text: String) {
        #expect(parse(text) == .failure(.range))
    }

    @Test("the edges of 0001-9999 with offsets that keep them inside")
    func edgesWithOffsets() {
        #expect(parse("0001-01-01T01:00:00+01:00") == .success(-62_135_596_800_000_000))
        #expect(parse("9999-12-31T22:59:59.999999-01:00") == .success(253_402_300_799_999_999))
    }

    @Test("leap days: 2024-02-29 exists, 2023-02-29 and 1900-02-29 do not, 2000-02-29 does")
    func leapDays() {
        #expect(parse("2024-02-29T12:00:00Z") == .success(1_709_164_800_000_000 + 12 * hour))
        #expect(parse("2023-02-29T12:00:00Z") == .failure(.format))
        #expect(parse("1900-02-29T00:00:00Z") == .failure(.format))
        #expect(parse("2000-02-29T00:00:00Z") == .success(951_782_400_000_000))
        #expect(parse("29.02.2024 00:00:00", .pattern("%d.%m.%Y %H:%M:%S"), zone: "UTC") == .success(1_709_164_800_000_000))
        #expect(parse("29.02.2023 00:00:00", .pattern("%d.%m.%Y %H:%M:%S"), zone: "UTC") == .failure(.format))
    }

    @Test("a local time needs a zone: without one it is timestamp-no-zone")
    func noZone() {
        #expect(parse("2024-03-01T00:00:00") == .failure(.noZone))
        #expect(parse("2024-03-01") == .failure(.noZone))
        #expect(parse("2024-03-01T00:00:00", zone: "UTC") == .success(march1))
        #expect(parse("2024-03-01", zone: "UTC") == .success(march1))
        #expect(parse("2024-03-01T01:00:00.25", zone: "Europe/Oslo") == .success(march1 + 250_000))
        #expect(parse("2024-06-01T02:00:00", zone: "Europe/Oslo") == .success(1_717_200_000_000_000))
        // An offset in the text wins over the zone.
        #expect(parse("2024-03-01T00:00:00Z", zone: "Europe/Oslo") == .success(march1))
        #expect(parse("2024-03-01T03:00:00+03:00", zone: "America/New_York") == .success(march1))
    }

    @Test("a number for an ISO timestamp is a format error")
    func numberForISO() {
        #expect(parser(.iso8601).microseconds(.number(1_709_251_200)) == .failure(.format))
        #expect(parser(.iso8601).microseconds(.bool(true)) == .failure(.format))
        #expect(parser(.pattern("%Y")).microseconds(.number(2024)) == .failure(.format))
    }

    // MARK: Epochs

    static let epochTextCases: [(TimestampSpec.Format, String, Int64)] = [
        (TimestampSpec.Format.epoch(unitsPerSecond: 1), "1709251200", march1),
        (.epoch(unitsPerSecond: 1), "1709251200.5", march1 + 500_000),
        (.epoch(unitsPerSecond: 1), "1709251200.123456", march1 + 123_456),
        (.epoch(unitsPerSecond: 1), "1709251200.000001", march1 + 1),
        (.epoch(unitsPerSecond: 1), "1709251200.9999999", march1 + 999_999),
        (.epoch(unitsPerSecond: 1), "0", 0),
        (.epoch(unitsPerSecond: 1), "-1", -1_000_000),
        (.epoch(unitsPerSecond: 1), "-1.5", -1_500_000),
        (.epoch(unitsPerSecond: 1), "1e3", 1_000_000_000),
        (.epoch(unitsPerSecond: 1), "-62135596800", -62_135_596_800_000_000),
        (.epoch(unitsPerSecond: 1), "253402300799", 253_402_300_799_000_000),
        (.epoch(unitsPerSecond: 1_000), "1709251200630", march1 + 630_000),
        (.epoch(unitsPerSecond: 1_000), "1709251200630.5", march1 + 630_500),
        (.epoch(unitsPerSecond: 1_000), "1709251200630.001", march1 + 630_001),
        (.epoch(unitsPerSecond: 1_000_000), "1709251200123456", march1 + 123_456),
        (.epoch(unitsPerSecond: 1_000_000), "1709251200123456.9", march1 + 123_456),
        (.epoch(unitsPerSecond: 1_000_000_000), "1709251200123456789", march1 + 123_456),
        (.epoch(unitsPerSecond: 1_000_000_000), "1709251200123456999", march1 + 123_456),
        // Towards the past, like the fractions of the other units: -1 ns is in the microsecond before the epoch.
        (.epoch(unitsPerSecond: 1_000_000_000), "-1", -1),
        (.epoch(unitsPerSecond: 1_000_000_000), "-1500", -2),
        (.epoch(unitsPerSecond: 1_000_000_000), "-1000", -1),
    ]

    @Test("epoch seconds, milliseconds, microseconds, nanoseconds, as text and as numbers", arguments: epochTextCases)
    func epochText(format: TimestampSpec.Format, text: String, expected: Int64) {
        #expect(parser(format).microseconds(.text(text)) == .success(expected))
    }

    static let epochNumberCases: [(TimestampSpec.Format, Double, Int64)] = [
        (TimestampSpec.Format.epoch(unitsPerSecond: 1), 1_709_251_200.0, march1),
        (.epoch(unitsPerSecond: 1), 1_709_251_200.5, march1 + 500_000),
        (.epoch(unitsPerSecond: 1_000), 1_709_251_200_630.0, march1 + 630_000),
        (.epoch(unitsPerSecond: 1_000), 1_709_251_200_630.5, march1 + 630_500),
        (.epoch(unitsPerSecond: 1_000_000), 1_709_251_200_123_456.0, march1 + 123_456),
        (.epoch(unitsPerSecond: 1), -1.0, -1_000_000),
    ]

    @Test("epoch as JSON numbers", arguments: epochNumberCases)
    func epochNumber(format: TimestampSpec.Format, number: Double, expected: Int64) {
        #expect(parser(format).microseconds(.number(number)) == .success(expected))
    }

    @Test("epoch texts that are not numbers", arguments: ["", "abc", "1709251200s", "2024-03-01", "0x10", "nan", "inf", "-inf", "1_000", " 1", "1,5"])
    func epochNotANumber(text: String) {
        #expect(parser(.epoch(unitsPerSecond: 1)).microseconds(.text(text)) == .failure(.format))
    }

    @Test("epochs outside 0001-9999")
    func epochRange() {
        let seconds = parser(.epoch(unitsPerSecond: 1))
        #expect(seconds.microseconds(.text("253402300800")) == .failure(.range))
        #expect(seconds.microseconds(.text("-62135596801")) == .failure(.range))
        #expect(seconds.microseconds(.text("9223372036854775807")) == .failure(.range))
        #expect(seconds.microseconds(.text("1e300")) == .failure(.range))
        #expect(seconds.microseconds(.number(1e300)) == .failure(.range))
        #expect(seconds.microseconds(.number(-1e300)) == .failure(.range))
        #expect(parser(.epoch(unitsPerSecond: 1_000)).microseconds(.text("253402300800000")) == .failure(.range))
        #expect(parser(.epoch(unitsPerSecond: 1_000_000_000)).microseconds(.text("9223372036854775807")) == .success(9_223_372_036_854_775))
        #expect(seconds.microseconds(.bool(false)) == .failure(.format))
        #expect(seconds.microseconds(.null) == .failure(.format))
    }

    // MARK: strptime patterns

    static let patternCases: [(String, String, String, Int64)] = [
        ("%d.%m.%Y %H:%M:%S", "01.03.2024 00:00:00", "UTC", march1),
        ("%d.%m.%Y %H:%M:%S", "1.3.2024 0:00:00", "UTC", march1),
        ("%d.%m.%Y %H:%M:%S", "30.03.2024 22:00:00", "Europe/Oslo", 1_711_832_400_000_000),
        ("%Y-%m-%d %H:%M:%S.%f", "2024-03-01 00:00:00.25", "UTC", march1 + 250_000),
        ("%Y-%m-%d %H:%M:%S.%f", "2024-03-01 00:00:00.000001", "UTC", march1 + 1),
        ("%Y-%m-%d %H:%M:%S.%f", "2024-03-01 00:00:00.1234567", "UTC", march1 + 123_456),
        ("%d %b %Y %H:%M", "01 Mar 2024 00:00", "UTC", march1),
        ("%d %b %Y %H:%M", "01 MAR 2024 00:00", "UTC", march1),
        ("%d %b %Y %H:%M", "1 mar 2024 01:00", "Europe/Oslo", march1),
        ("%b %e %Y", "Mar  1 2024", "UTC", march1),
        ("%b %e %Y", "Mar 1 2024", "UTC", march1),
        ("%d/%m/%y %H:%M", "01/03/24 00:00", "UTC", march1),
        ("%d/%m/%y %H:%M", "01/03/69 00:00", "UTC", -26_438_400_000_000),
        ("%d/%m/%y %H:%M", "01/03/68 00:00", "UTC", 3_097_785_600_000_000),
        ("%F %T", "2024-03-01 00:00:00", "UTC", march1),
        ("%Y%m%d%H%M%S", "20240301000000", "UTC", march1),
        ("%Y-%m-%dT%H:%M:%S%z", "2024-03-01T01:00:00+0100", "America/New_York", march1),
        ("%Y-%m-%dT%H:%M:%S%z", "2024-03-01T00:00:00Z", "UTC", march1),
        ("%Y-%m-%d 100%%", "2024-03-01 100%", "UTC", march1),
        ("%Y-%m-%d", "0001-01-01", "UTC", -62_135_596_800_000_000),
        ("%Y-%m-%d %H:%M:%S.%f", "9999-12-31 23:59:59.999999", "UTC", 253_402_300_799_999_999),
    ]

    @Test("strptime patterns", arguments: patternCases)
    func patterns(pattern: String, text: String, zone: String, expected: Int64) {
        #expect(parse(text, .pattern(pattern), zone: zone) == .success(expected))
    }

    static let patternMismatchCases: [(String, String)] = [
        ("%d.%m.%Y %H:%M:%S", "2024-03-01 00:00:00"),
        ("%d.%m.%Y %H:%M:%S", "01.03.2024 00:00"),
        ("%d.%m.%Y %H:%M:%S", "01.03.2024 00:00:00 "),
        ("%d.%m.%Y %H:%M:%S", "32.03.2024 00:00:00"),
        ("%d.%m.%Y %H:%M:%S", "01.03.2024 25:00:00"),
        ("%d %b %Y", "01 Mrz 2024"),
        ("%d %b %Y", "01 Ma 2024"),
        ("%Y-%m-%d %H:%M:%S.%f", "2024-03-01 00:00:00."),
        ("%Y-%m-%d %H:%M:%S.%f", "2024-03-01 00:00:00"),
        ("%Y-%m-%dT%H:%M:%S%z", "2024-03-01T00:00:00"),
    ]

    @Test("texts that do not follow the pattern", arguments: patternMismatchCases)
    func patternMismatch(pattern: String, text: String) {
        #expect(parse(text, .pattern(pattern), zone: "UTC") == .failure(.format))
    }

    @Test("a pattern without %z and without a zone cannot place the time")
    func patternNoZone() {
        #expect(parse("01.03.2024 00:00:00", .pattern("%d.%m.%Y %H:%M:%S")) == .failure(.noZone))
    }

    @Test("compiling patterns: %T and %F expand, unknown codes are literal (the loader refuses them first)")
    func compile() {
        #expect(TimestampParser.compile("%F") == [.year, .literal(45), .month, .literal(45), .day])
        #expect(TimestampParser.compile("%T") == [.hour, .literal(58), .minute, .literal(58), .second])
        #expect(TimestampParser.compile("%%%e") == [.literal(37), .day])
        #expect(TimestampParser.compile("x%") == [.literal(120), .literal(37)])
    }
}

@Suite("Timestamp parser: daylight saving time")
struct TimestampDSTTests {
    static let oslo = "%d.%m.%Y %H:%M:%S"

    @Test("Europe/Oslo, spring: 02:00-02:59 on 2024-03-31 does not exist")
    func osloGap() {
        #expect(parse("31.03.2024 02:30:00", .pattern(Self.oslo), zone: "Europe/Oslo") == .failure(.gap))
        #expect(parse("31.03.2024 02:00:00", .pattern(Self.oslo), zone: "Europe/Oslo") == .failure(.gap))
        #expect(parse("31.03.2024 02:59:59", .pattern(Self.oslo), zone: "Europe/Oslo") == .failure(.gap))
        // shift: as if the clock had not jumped, i.e. still +01:00.
        #expect(parse("31.03.2024 02:30:00", .pattern(Self.oslo), zone: "Europe/Oslo", nonexistent: .shift) == .success(1_711_848_600_000_000)) // 01:30Z
        #expect(parse("2024-03-31T02:30:00", zone: "Europe/Oslo", nonexistent: .shift) == .success(1_711_848_600_000_000))
        #expect(parse("2024-03-31T02:00:00", zone: "Europe/Oslo", nonexistent: .shift) == .success(1_711_846_800_000_000)) // 01:00Z
        // Either side of the gap.
        #expect(parse("31.03.2024 01:59:59", .pattern(Self.oslo), zone: "Europe/Oslo") == .success(1_711_846_799_000_000)) // 00:59:59Z
        #expect(parse("31.03.2024 03:00:00", .pattern(Self.oslo), zone: "Europe/Oslo") == .success(1_711_846_800_000_000)) // 01:00Z
        // An explicit offset is never in a gap.
        #expect(parse("2024-03-31T02:30:00+01:00", zone: "Europe/Oslo") == .success(1_711_848_600_000_000))
    }

    static let osloOverlapCases: [(TimestampSpec.Ambiguous, Result<Int64, TSFailure>)] = [
        (TimestampSpec.Ambiguous.earlier, Result<Int64, TSFailure>.success(1_729_989_000_000_000)), // 00:30Z (+02:00)
        (.later, .success(1_729_992_600_000_000)), // 01:30Z (+01:00)
        (.reject, .failure(.ambiguous(earlier: 1_729_989_000_000_000, later: 1_729_992_600_000_000))),
        // infer leaves the choice to the row's place in its file (OverlapInference): both instants.
        (.infer, .failure(.ambiguous(earlier: 1_729_989_000_000_000, later: 1_729_992_600_000_000))),
    ]

    @Test("Europe/Oslo, autumn: 02:00-02:59 on 2024-10-27 happens twice", arguments: osloOverlapCases)
    func osloOverlap(ambiguous: TimestampSpec.Ambiguous, expected: Result<Int64, TSFailure>) {
        #expect(parse("27.10.2024 02:30:00", .pattern(Self.oslo), zone: "Europe/Oslo", ambiguous: ambiguous) == expected)
        #expect(parse("2024-10-27T02:30:00", zone: "Europe/Oslo", ambiguous: ambiguous) == expected)
        let halfSecondLater = expected.map { $0 + 500_000 }.mapError { failure in
            guard case .ambiguous(let earlier, let later) = failure else { return failure }
            return .ambiguous(earlier: earlier + 500_000, later: later + 500_000)
        }
        #expect(parse("2024-10-27 02:30:00.5", zone: "Europe/Oslo", ambiguous: ambiguous) == halfSecondLater)
        // Either side of the overlap is unique whatever the policy.
        #expect(parse("27.10.2024 01:59:59", .pattern(Self.oslo), zone: "Europe/Oslo", ambiguous: ambiguous) == .success(1_729_987_199_000_000))
        #expect(parse("27.10.2024 03:00:00", .pattern(Self.oslo), zone: "Europe/Oslo", ambiguous: ambiguous) == .success(1_729_994_400_000_000))
    }

    @Test("America/New_York: 2024-03-10 02:30 does not exist, 2024-11-03 01:30 happens twice")
    func newYork() {
        let pattern = TimestampSpec.Format.pattern("%Y-%m-%d %H:%M")
        #expect(parse("2024-03-10 02:30", pattern, zone: "America/New_York") == .failure(.gap))
        #expect(parse("2024-03-10 02:30", pattern, zone: "America/New_York", nonexistent: .shift) == .success(1_710_055_800_000_000)) // 07:30Z
        #expect(parse("2024-11-03 01:30", pattern, zone: "America/New_York") == .failure(.ambiguous(earlier: 1_730_611_800_000_000, later: 1_730_615_400_000_000)))
        #expect(parse("2024-11-03 01:30", pattern, zone: "America/New_York", ambiguous: .earlier) == .success(1_730_611_800_000_000)) // 05:30Z
        #expect(parse("2024-11-03 01:30", pattern, zone: "America/New_York", ambiguous: .later) == .success(1_730_615_400_000_000)) // 06:30Z
        #expect(parse("2024-07-01 12:00", pattern, zone: "America/New_York") == .success(1_719_849_600_000_000)) // 16:00Z
    }

    @Test("southern hemisphere and half-hour shifts: Sydney and Lord Howe Island")
    func southern() {
        #expect(parse("2024-04-07T02:30:00", zone: "Australia/Sydney", ambiguous: .earlier) == .success(1_712_417_400_000_000)) // 15:30Z
        #expect(parse("2024-04-07T02:30:00", zone: "Australia/Sydney", ambiguous: .later) == .success(1_712_421_000_000_000)) // 16:30Z
        // Lord Howe moves its clocks by 30 minutes: 02:00-02:29 on 2024-10-06 does not exist.
        #expect(parse("2024-10-06T02:15:00", zone: "Australia/Lord_Howe") == .failure(.gap))
        #expect(parse("2024-10-06T02:15:00", zone: "Australia/Lord_Howe", nonexistent: .shift) == .success(1_728_143_100_000_000)) // 15:45Z
        #expect(parse("2024-04-07T01:45:00", zone: "Australia/Lord_Howe", ambiguous: .earlier) == .success(1_712_414_700_000_000)) // 14:45Z
        #expect(parse("2024-04-07T01:45:00", zone: "Australia/Lord_Howe", ambiguous: .later) == .success(1_712_416_500_000_000)) // 15:15Z
    }

    @Test("LocalZone resolves wall times to one instant, two, or a gap")
    func localZone() throws {
        let zone = LocalZone(zone: try #require(TimeZone(identifier: "Europe/Oslo")))
        let wall = Int64(CivilDate.days(year: 2024, month: 3, day: 31)) * 86_400 + 2 * 3600 + 30 * 60
        #expect(zone.resolve(wall: wall) == .gap(shifted: 1_711_848_600))
        let autumn = Int64(CivilDate.days(year: 2024, month: 10, day: 27)) * 86_400 + 2 * 3600 + 30 * 60
        #expect(zone.resolve(wall: autumn) == .ambiguous(earlier: 1_729_989_000, later: 1_729_992_600))
        #expect(zone.resolve(wall: wall + 3600) == .unique(1_711_848_600)) // 03:30 CEST
    }

    @Test("civil dates round-trip from 0001 to 9999")
    func civilDates() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 2024, month: 3, day: 1) == 19_783)
        #expect(CivilDate.days(year: 1, month: 1, day: 1) == -719_162)
        #expect(CivilDate.days(year: 9999, month: 12, day: 31) == 2_932_896)
        for days in stride(from: -719_162, through: 2_932_896, by: 997) {
            let date = CivilDate.date(days: days)
            #expect(CivilDate.days(year: date.year, month: date.month, day: date.day) == days)
        }
        #expect(CivilDate.daysIn(month: 2, year: 2024) == 29)
        #expect(CivilDate.daysIn(month: 2, year: 2023) == 28)
        #expect(CivilDate.daysIn(month: 2, year: 2100) == 28)
        #expect(CivilDate.daysIn(month: 2, year: 2000) == 29)
    }
}
