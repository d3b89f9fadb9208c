import Foundation

/// Turns a timestamp field into microseconds since the Unix epoch (UTC), per the mapping's
/// `timestamp` spec. Local times (no offset in the text) are placed in the mapping's IANA zone,
/// with the DST gap and overlap handled as the mapping declares (`docs/mapping.md`).
struct TimestampParser: Sendable {
    enum Failure: Error, Equatable {
        /// The text is not in the declared format.
        case format
        /// A local time with no zone to place it in.
        case noZone
        /// A local time that does not exist in the zone (the clocks jumped over it).
        case gap
        /// A local time that happens twice, with `ambiguous: reject` or `infer` (which then
        /// picks one of the two instants by the row's place in its file).
        case ambiguous(earlier: Int64, later: Int64)
        /// Outside years 0001–9999.
        case range
    }

    let spec: TimestampSpec
    private let zone: LocalZone?
    private let pattern: [PatternPart]

    init(_ spec: TimestampSpec) {
        self.spec = spec
        zone = spec.timeZone.map(LocalZone.init)
        if case .pattern(let text) = spec.format { pattern = Self.compile(text) } else { pattern = [] }
    }

    /// The APIs' own RFC 3339 times (a data frame's `times`, a request body sigport wrote).
    static var apiTime: TimestampParser {
        TimestampParser(TimestampSpec(field: "", format: .iso8601, timeZone: nil, ambiguous: .earlier, nonexistent: .shift))
    }

    /// The hot path's time, from a text's bytes: `YYYY-MM-DDTHH:MM:SSZ` read by position when
    /// the format is ISO 8601, as `microseconds` reads it first; nil for anything else (the caller
    /// then asks `microseconds`, which answers or says why not).
    func positionalMicroseconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard case .iso8601 = spec.format else { return nil }
        return Self.utcSeconds(bytes).map { $0 * 1_000_000 }
    }

    func microseconds(_ value: FieldValue) -> Result<Int64, Failure> {
        switch (spec.format, value) {
        case (.epoch(let units), .number(let n)): return Self.epoch(n, units: units)
        case (.epoch(let units), .text(let text)): return Self.epoch(text: Array(text.utf8), units: units)
        case (.iso8601, .text(var text)):
            return text.withUTF8 { bytes in Self.utcSeconds(bytes).map { .success($0 * 1_000_000) } ?? Self.year(parse(bytes, parts: Self.iso8601Parts), bytes) }
        case (.pattern, .text(var text)): return text.withUTF8 { Self.year(parse($0, parts: pattern), $0) }
        default: return .failure(.format)
        }
    }

    /// A text refused for its shape that starts with a year of five or more digits (`99999-03-01…`)
    /// is a year out of range, not a wrong format: the reject says what is wrong with it.
    private static func year(_ result: Result<Int64, Failure>, _ bytes: UnsafeBufferPointer<UInt8>) -> Result<Int64, Failure> {
        guard case .failure(.format) = result else { return result }
        var i = bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") ? 1 : 0
        let start = i
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        return i - start >= 5 && i < bytes.count && bytes[i] == UInt8(ascii: "-") ? .failure(.range) : result
    }

    /// Epoch text in decimal notation (`-1709251200.123456`) is converted exactly, towards the
    /// past like any fraction of a microsecond; an exponent (`1.7e9`) goes through `Double`. Text
    /// that Swift would read but JSON and people would not (`nan`, `inf`, `0x10`) is refused.
    private static func epoch(text bytes: [UInt8], units: Int64) -> Result<Int64, Failure> {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        guard bytes.contains(where: isDigit), bytes.allSatisfy(NumberText.allowed) else { return .failure(.format) }
        let negative = bytes.first == UInt8(ascii: "-")
        var rest = bytes[...]
        if negative || bytes.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
        let whole = rest.prefix(while: isDigit)
        rest = rest.dropFirst(whole.count)
        var fraction: ArraySlice<UInt8> = []
        if rest.first == UInt8(ascii: ".") {
            fraction = rest.dropFirst().prefix(while: isDigit)
            rest = rest.dropFirst(1 + fraction.count)
        }
        guard rest.isEmpty else {
            guard let n = Double(String(decoding: bytes, as: UTF8.self)) else { return .failure(.format) }
            return epoch(n, units: units)
        }
        // Move the decimal point to microseconds: 6, 3, 0 or -3 places to the right.
        let shift = units == 1 ? 6 : units == 1_000 ? 3 : units == 1_000_000 ? 0 : -3
        let digits = Array(whole) + Array(fraction)
        let point = whole.count + shift
        let integer = digits.prefix(max(0, point)) + Array(repeating: UInt8(ascii: "0"), count: max(0, point - digits.count))
        let remainder = digits.dropFirst(max(0, point))
        var magnitude: Int64 = 0
        for digit in integer {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit - 48))
            guard !o1, !o2 else { return .failure(.range) }
            magnitude = sum
        }
        let micros = negative ? -magnitude - (remainder.contains { $0 != UInt8(ascii: "0") } ? 1 : 0) : magnitude
        guard micros >= minimum, micros <= maximum else { return .failure(.range) }
        return .success(micros)
    }

    private static func epoch(_ n: Double, units: Int64) -> Result<Int64, Failure> {
        // Scale by the exact factor (×1000 for ms), so whole milliseconds stay exact.
        let micros = (units <= 1_000_000 ? n * Double(1_000_000 / units) : n / Double(units / 1_000_000)).rounded(.down)
        guard micros.isFinite, micros >= Double(minimum), micros <= Double(maximum) else { return .failure(.range) }
        return .success(Int64(micros))
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
    static let minimum: Int64 = -62_135_596_800_000_000
    static let maximum: Int64 = 253_402_300_799_999_999

    // MARK: Patterns

    enum PatternPart: Equatable, Sendable {
        case literal(UInt8)
        case year, year2, month, monthName, day, hour, minute, second, fraction, offset
        /// `T` or a space between date and time (ISO 8601 allows both).
        case dateTimeSeparator
        /// Everything from here on may be absent (ISO 8601 seconds, fraction and offset).
        case optionalRest
    }

    static let iso8601Parts: [PatternPart] = compile("%Y-%m-%d") + [.dateTimeSeparator] + compile("%H:%M") + [.optionalRest]

    static func compile(_ text: String) -> [PatternPart] {
        var parts: [PatternPart] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%"), let code = bytes.popFirst() else { parts.append(.literal(byte)); continue }
            switch code {
            case UInt8(ascii: "Y"): parts.append(.year)
            case UInt8(ascii: "y"): parts.append(.year2)
            case UInt8(ascii: "m"): parts.append(.month)
            case UInt8(ascii: "b"): parts.append(.monthName)
            case UInt8(ascii: "d"), UInt8(ascii: "e"): parts.append(.day)
            case UInt8(ascii: "H"): parts.append(.hour)
            case UInt8(ascii: "M"): parts.append(.minute)
            case UInt8(ascii: "S"): parts.append(.second)
            case UInt8(ascii: "f"): parts.append(.fraction)
            case UInt8(ascii: "z"): parts.append(.offset)
            case UInt8(ascii: "T"): parts += compile("%H:%M:%S")
            case UInt8(ascii: "F"): parts += compile("%Y-%m-%d")
            default: parts.append(.literal(code))
            }
        }
        return parts
    }

    /// The strptime codes sigport knows; anything else after `%` is refused when the mapping loads.
    static func checkPattern(_ text: String, at value: YAMLValue) throws {
        let known = Set("YymbdeHMSfzTF%")
        var iterator = text.makeIterator()
        var hasDate = false
        while let c = iterator.next() {
            guard c == "%" else { continue }
            guard let code = iterator.next(), known.contains(code) else {
                throw value.error("uses an unknown code; sigport knows %Y %y %m %b %d %e %H %M %S %f %z %T %F %%")
            }
            if "YyFbm".contains(code) { hasDate = true }
        }
        if !hasDate { throw value.error("must contain a date (%Y or %F)") }
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map { Array($0.utf8) }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the shape most logs and both APIs write, read by position (the
    /// general parser walks its table of parts byte by byte: 2–3% of a wide CSV plan). Nil for
    /// any other shape and for a field out of range, which the general parser then reads or
    /// refuses as it always did; what this reads, it reads as that parser does.
    static func utcSeconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z") else { return nil }
        func pair(_ i: Int) -> Int? {
            let tens = bytes[i] &- 48, ones = bytes[i + 1] &- 48
            return tens < 10 && ones < 10 ? Int(tens) * 10 + Int(ones) : nil
        }
        guard let century = pair(0), let yearOfCentury = pair(2), let month = pair(5), let day = pair(8),
              let hour = pair(11), let minute = pair(14), let second = pair(17) else { return nil }
        let year = century * 100 + yearOfCentury
        guard year >= 1, (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        return Int64(CivilDate.days(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Reads the text's own bytes, without copying them per row.
    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, parts: [PatternPart]) -> Result<Int64, Failure> {
        var i = 0
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0
        var offset: Int?
        func digits(_ min: Int, _ max: Int) -> Int? {
            var value = 0, count = 0
            while i < bytes.count, count < max, bytes[i] >= 48, bytes[i] <= 57 { value = value * 10 + Int(bytes[i] - 48); i += 1; count += 1 }
            return count >= min ? value : nil
        }
        var index = 0
        while index < parts.count {
            let part = parts[index]
            index += 1
            if part == .optionalRest {
                // ISO 8601 tail: [:SS[.frac]][offset]
                if i < bytes.count, bytes[i] == UInt8(ascii: ":") {
                    i += 1
                    guard let s = digits(2, 2) else { return .failure(.format) }
                    second = s
                    if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        guard let f = fraction() else { return .failure(.format) }
                        micros = f
                    }
                }
                if i < bytes.count { guard let o = parseOffset() else { return .failure(.format) }; offset = o }
                continue
            }
            switch part {
            case .literal(let byte):
                guard i < bytes.count, bytes[i] == byte else { return .failure(.format) }
                i += 1
            case .dateTimeSeparator:
                guard i < bytes.count, bytes[i] == UInt8(ascii: "T") || bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "t") else {
                    // A date alone is midnight.
                    if i == bytes.count { index = parts.count; continue }
                    return .failure(.format)
                }
                i += 1
            case .year: guard let v = digits(4, 4) else { return .failure(.format) }; year = v
            case .year2: guard let v = digits(2, 2) else { return .failure(.format) }; year = v < 69 ? 2000 + v : 1900 + v
            case .month: guard let v = digits(1, 2) else { return .failure(.format) }; month = v
            case .monthName:
                guard i + 3 <= bytes.count, let m = Self.months.firstIndex(of: bytes[i..<i + 3].map { $0 | 0x20 }) else { return .failure(.format) }
                month = m + 1
                i += 3
            case .day:
                if i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
                guard let v = digits(1, 2) else { return .failure(.format) }; day = v
            case .hour: guard let v = digits(1, 2) else { return .failure(.format) }; hour = v
            case .minute: guard let v = digits(2, 2) else { return .failure(.format) }; minute = v
            case .second: guard let v = digits(2, 2) else { return .failure(.format) }; second = v
            case .fraction: guard let f = fraction() else { return .failure(.format) }; micros = f
            case .offset: guard let o = parseOffset() else { return .failure(.format) }; offset = o
            case .optionalRest: break
            }
        }
        guard i == bytes.count else { return .failure(.format) }
        guard (1...9999).contains(year) else { return .failure(.range) }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60 else { return .failure(.format) }
        let wall = Int64(CivilDate.days(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let utcSeconds: Int64
        if let offset {
            utcSeconds = wall - Int64(offset)
        } else {
            guard let zone else { return .failure(.noZone) }
            switch zone.resolve(wall: wall) {
            case .unique(let s): utcSeconds = s
            case .ambiguous(let earlier, let later):
                switch spec.ambiguous {
                case .earlier: utcSeconds = earlier
                case .later: utcSeconds = later
                case .reject, .infer: return .failure(.ambiguous(earlier: earlier * 1_000_000 + Int64(micros), later: later * 1_000_000 + Int64(micros)))
                }
            case .gap(let shifted):
                guard spec.nonexistent == .shift else { return .failure(.gap) }
                utcSeconds = shifted
            }
        }
        let result = utcSeconds * 1_000_000 + Int64(micros)
        // An offset can move a time at the edge of 0001-9999 outside it.
        guard result >= Self.minimum, result <= Self.maximum else { return .failure(.range) }
        return .success(result)

        func fraction() -> Int? {
            var value = 0, count = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                if count < 6 { value = value * 10 + Int(bytes[i] - 48) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 6) { value *= 10 }
            return value
        }

        func parseOffset() -> Int? {
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "Z") || bytes[i] == UInt8(ascii: "z") { i += 1; return 0 }
            guard bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { return nil }
            let sign = bytes[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let h = digits(2, 2), h <= 14 else { return nil }
            var m = 0
            if i < bytes.count, bytes[i] == UInt8(ascii: ":") { i += 1; guard let v = digits(2, 2) else { return nil }; m = v }
            else if let v = digits(2, 2) { m = v }
            // Real offsets run from -12:00 to +14:00; nothing past ±14:00 is a time zone.
            guard m <= 59, h * 60 + m <= 14 * 60 else { return nil }
            return sign * (h * 3600 + m * 60)
        }
    }
}

/// Local wall-clock time in an IANA zone → UTC, with DST transitions made explicit.
struct LocalZone: Sendable {
    let zone: TimeZone

    enum Resolution: Equatable {
        case unique(Int64)
        /// The wall time happens twice (clocks turned back): both instants.
        case ambiguous(earlier: Int64, later: Int64)
        /// The wall time never happens (clocks jumped forward): the instant it would be if the
        /// clock had not jumped, i.e. shifted forward by the gap.
        case gap(shifted: Int64)
    }

    /// `wall` is the local time counted as seconds from 1970-01-01T00:00 local.
    func resolve(wall: Int64) -> Resolution {
        // The zone's offsets a day either side bracket any transition near `wall`.
        let before = offset(at: wall - 86_400)
        let after = offset(at: wall + 86_400)
        let candidates = Set([before, after]).map { wall - Int64($0) }.filter { Int64(offset(at: $0)) == wall - $0 }.sorted()
        switch candidates.count {
        case 0: return .gap(shifted: wall - Int64(before))
        case 1: return .unique(candidates[0])
        default: return .ambiguous(earlier: candidates[0], later: candidates[1])
        }
    }

    private func offset(at utc: Int64) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utc))) }
}

/// Proleptic Gregorian calendar arithmetic, exact for years 1–9999.
enum CivilDate {
    /// `a / b` rounded towards minus infinity (instants before 1970 belong to the second, the
    /// day, that starts before them).
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01.
    static func days(year: Int, month: Int, day: Int) -> Int {
        // Day of year counted from March, so the leap day is last.
        let y = month <= 2 ? year - 1 : year
        let m = month <= 2 ? month + 9 : month - 3
        return 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + day - 1 - 719_468
    }

    /// The date `days` after 1970-01-01: the inverse of `days(year:month:day:)`.
    static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfYear - (153 * mp + 2) / 5 + 1)
    }
}
