import Foundation

/// Writes instants as RFC 3339 with milliseconds, in UTC (`2024-03-01T00:00:00.000Z`) or in a
/// named zone's offset at that instant (`2024-03-01T01:00:00.000+01:00`). Always three fraction
/// digits, so every timestamp of a column has one shape and pandas, DuckDB and R read it as one
/// format; both APIs show time to the millisecond.
public struct ExportTimeFormatter: Sendable {
    public let zone: TimeZone
    let isUTC: Bool
    /// The zone's offset and the span (µs) it holds for: found once per DST period, not per row.
    private var cached: (from: Int64, until: Int64, offset: Int64) = (1, 0, 0)
    /// The last time written and its text, its first `count` bytes: the readings of one instant
    /// (a wide row's signals) follow each other in an export, so most rows reuse it. Held inline:
    /// an array per instant was an allocation per instant.
    private var last: (micros: Int64, text: (UInt64, UInt64, UInt64, UInt64), count: Int) = (0, (0, 0, 0, 0), 0)
    private var clock = DateTimeWriter()

    public init(zone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.zone = zone
        isUTC = zone.identifier == "UTC" || zone.identifier == "GMT"
    }

    mutating func offset(at micros: Int64) -> Int64 {
        if isUTC { return 0 }
        if micros >= cached.from && micros < cached.until { return cached.offset }
        let date = Date(timeIntervalSince1970: Double(CivilDate.floorDivide(micros, 1_000_000)))
        let offset = Int64(zone.secondsFromGMT(for: date))
        let until = zone.nextDaylightSavingTimeTransition(after: date).map { Int64($0.timeIntervalSince1970) * 1_000_000 } ?? .max
        cached = (micros, until, offset)
        return offset
    }

    public mutating func string(_ micros: Int64) -> String {
        var out: [UInt8] = []
        append(micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    mutating func append(_ micros: Int64, to out: inout [UInt8]) {
        if last.count == 0 || last.micros != micros { format(micros) }
        let count = last.count
        withUnsafeBytes(of: last.text) { out.append(contentsOf: $0.prefix(count)) }
    }

    /// Writes `micros` into `last`.
    private mutating func format(_ micros: Int64) {
        let offset = offset(at: micros)
        let local = micros + offset * 1_000_000
        let seconds = CivilDate.floorDivide(local, 1_000_000)
        let millis = Int((local - seconds * 1_000_000) / 1000)
        // `…T00:00:00.000+01:00` is 29 bytes.
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let count = withUnsafeMutableBytes(of: &text) { raw in
            let base = raw.baseAddress!
            clock.write(seconds: seconds, to: base)
            base.storeBytes(of: UInt8(ascii: "."), toByteOffset: 19, as: UInt8.self)
            DateTimeWriter.digits(millis, width: 3, to: base + 20)
            if isUTC {
                base.storeBytes(of: UInt8(ascii: "Z"), toByteOffset: 23, as: UInt8.self)
                return 24
            }
            let minutes = Int(abs(offset) / 60)
            base.storeBytes(of: UInt8(ascii: offset < 0 ? "-" : "+"), toByteOffset: 23, as: UInt8.self)
            DateTimeWriter.digits(minutes / 60, width: 2, to: base + 24)
            base.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 26, as: UInt8.self)
            DateTimeWriter.digits(minutes % 60, width: 2, to: base + 27)
            return 29
        }
        last = (micros, text, count)
    }
}

/// The time windows a large export is split into: calendar periods in the export's zone (local
/// midnight, the first of a month), so file names say what they hold and do not depend on when
/// the export ran.
public enum ExportWindowSize: Sendable, Equatable, CustomStringConvertible {
    case hours(Int)
    case days(Int)
    case weeks(Int)
    case months(Int)

    /// `6h`, `1d`, `7d`, `1w`, `1mo`.
    public init?(_ text: String) {
        let digits = text.prefix { $0.isNumber }
        guard let n = Int(digits), n > 0, n <= 10_000 else { return nil }
        switch text.dropFirst(digits.count) {
        case "h":
            // Hours split each local day: a size must divide 24 (1, 2, 3, 4, 6, 8, 12, 24).
            guard 24 % n == 0 else { return nil }
            self = .hours(n)
        case "d": self = .days(n)
        case "w": self = .weeks(n)
        case "mo": self = .months(n)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .hours(let n): "\(n)h"
        case .days(let n): "\(n)d"
        case .weeks(let n): "\(n)w"
        case .months(let n): "\(n)mo"
        }
    }

    /// The windows covering [from, to), the first and last clipped to it, each named by the
    /// start of its whole period in `zone`: `2024-03-01`, `2024-03`, `2024-03-01T06Z`.
    public func windows(from: Int64, to: Int64, zone: TimeZone) -> [ExportWindow] {
        guard from < to else { return [] }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        calendar.firstWeekday = 2
        let first = Date(timeIntervalSince1970: Double(CivilDate.floorDivide(from, 1_000_000)))
        var boundaries: [Date] = []
        let end = Date(timeIntervalSince1970: Double(CivilDate.floorDivide(to + 999_999, 1_000_000)))
        switch self {
        case .hours(let n):
            // Local hours 0, n, 2n, … of each local day: the clock, not elapsed time, so a DST
            // change does not shift the windows after it (a skipped hour starts at the next
            // one). Hourly windows also start at a DST change, so the hour the clocks repeat is
            // a window of its own, named by its offset.
            var starts = Set<Date>()
            var day = calendar.startOfDay(for: first)
            while day <= end {
                guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
                for hour in stride(from: 0, to: 24, by: n) {
                    if let date = calendar.date(bySettingHour: hour, minute: 0, second: 0, of: day), date < next { starts.insert(date) }
                }
                if n == 1, let change = zone.nextDaylightSavingTimeTransition(after: day), change < next { starts.insert(change) }
                day = next
            }
            starts.insert(day)
            boundaries = starts.sorted()
        case .days(let n):
            boundaries = Self.steps(from: calendar.startOfDay(for: first), by: DateComponents(day: n), until: end, calendar)
        case .weeks(let n):
            let start = calendar.dateInterval(of: .weekOfYear, for: first)?.start ?? calendar.startOfDay(for: first)
            boundaries = Self.steps(from: start, by: DateComponents(day: 7 * n), until: end, calendar)
        case .months(let n):
            let start = calendar.dateInterval(of: .month, for: first)?.start ?? calendar.startOfDay(for: first)
            boundaries = Self.steps(from: start, by: DateComponents(month: n), until: end, calendar)
        }
        var out: [ExportWindow] = []
        var formatter = ExportTimeFormatter(zone: zone)
        for (startDate, nextDate) in zip(boundaries, boundaries.dropFirst()) {
            let (a, b) = (Int64(startDate.timeIntervalSince1970) * 1_000_000, Int64(nextDate.timeIntervalSince1970) * 1_000_000)
            guard a < to, b > from else { continue }
            let stamp = formatter.string(a)
            let name: String = switch self {
            case .hours: String(stamp.prefix(13)) + (formatter.isUTC ? "Z" : String(stamp.suffix(6)).replacingOccurrences(of: ":", with: ""))
            case .months: String(stamp.prefix(7))
            case .days, .weeks: String(stamp.prefix(10))
            }
            out.append(ExportWindow(from: max(a, from), to: min(b, to), name: name))
        }
        return out
    }
}

extension ExportWindowSize {
    /// `start`, then every `step` after it, until one passes `end`.
    fileprivate static func steps(from start: Date, by step: DateComponents, until end: Date, _ calendar: Calendar) -> [Date] {
        var out = [start]
        while let last = out.last, last <= end, let next = calendar.date(byAdding: step, to: last) { out.append(next) }
        return out
    }
}

/// One window of an export: [from, to) in µs, and the name its file carries.
public struct ExportWindow: Sendable, Equatable, Codable {
    public var from: Int64
    public var to: Int64
    public var name: String
}

public enum ExportTimeArgument {
    /// `--from`/`--to`: RFC 3339 with an offset, or a local date or date-time (`2024-03-01`,
    /// `2024-03-01T06:00`) placed in the export's zone.
    public static func microseconds(_ text: String, zone: TimeZone) -> Int64? {
        let full = text.count == 10 ? text + "T00:00:00" : text
        let spec = TimestampSpec(field: "", format: .iso8601, timeZone: zone, ambiguous: .earlier, nonexistent: .shift)
        return try? TimestampParser(spec).microseconds(.text(full)).get()
    }
}
