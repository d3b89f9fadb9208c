/// RFC 3339 timestamps as the integration API takes and shows them: parsed to microseconds since
/// the Unix epoch (its storage precision), shown in UTC to the millisecond.
///
/// Civil-date arithmetic (Hinnant's days-from-civil) instead of Foundation's calendars: exact for
/// years 0001–9999, no allocation, and independent of the machine's time zone data.
enum RFC3339Time {
    /// `2024-03-01T12:00:00Z`, `2024-03-01T12:00:00.123456+01:00`; `t`/`z` and a space separator are
    /// accepted as RFC 3339 §5.6 allows. More than 6 fraction digits are truncated.
    static func microseconds(_ text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 20 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard i < utf8.count, utf8[i] >= 48, utf8[i] <= 57 else { return nil }
                value = value * 10 + Int(utf8[i] - 48)
            }
            return value
        }
        guard let year = digits(0..<4), utf8[4] == 45, let month = digits(5..<7), utf8[7] == 45,
              let day = digits(8..<10), [84, 116, 32].contains(utf8[10]),
              let hour = digits(11..<13), utf8[13] == 58, let minute = digits(14..<16), utf8[16] == 58,
              let second = digits(17..<19)
        else { return nil }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = 19
        var micros = 0
        if index < utf8.count, utf8[index] == 46 {
            index += 1
            var count = 0
            while index < utf8.count, utf8[index] >= 48, utf8[index] <= 57 {
                if count < 6 { micros = micros * 10 + Int(utf8[index] - 48) }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 6) { micros *= 10 }
        }
        guard index < utf8.count else { return nil }
        var offsetSeconds = 0
        switch utf8[index] {
        case 90, 122: // Z z
            index += 1
        case 43, 45: // + -
            guard let oh = digits((index + 1)..<(index + 3)), index + 3 < utf8.count, utf8[index + 3] == 58,
                  let om = digits((index + 4)..<(index + 6)), oh <= 23, om <= 59
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (utf8[index] == 45 ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == utf8.count else { return nil }
        // A leap second (:60) is folded into the next second, as most stores do.
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return seconds * 1_000_000 + Int64(micros)
    }

    /// UTC, millisecond precision: `2024-03-01T11:00:00.123Z`.
    static func format(microseconds: Int64) -> String {
        let millis = floorDiv(microseconds, 1000)
        let seconds = floorDiv(millis, 1000)
        let ms = Int(millis - seconds * 1000)
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (y, m, d) = civilFromDays(Int(days))
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(ms, 3))Z"
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// Identifiers in the shapes the APIs use.
enum Identifiers {
    private static let base32hex = Array("0123456789abcdefghijklmnopqrstuv".utf8)

    /// A 20-character id over `[a-v0-9]` (the integration API's resource id format).
    static func resourceID<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String(decoding: (0..<20).map { _ in base32hex[Int(generator.next() % 32)] }, as: UTF8.self)
    }

    static func resourceID() -> String {
        var generator = SystemRandomNumberGenerator()
        return resourceID(using: &generator)
    }

    /// A 16-digit ox entity id, below 2^53 so that every JSON client can send it back exactly.
    static func oxID() -> Int64 { Int64.random(in: 1_000_000_000_000_000 ..< 9_007_199_254_740_992) }

    /// A random secret of `bytes` bytes, hex encoded.
    static func secret(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8(truncatingIfNeeded: generator.next())
            return String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }
}
