/// The duration grammar of RFC 3339 Appendix A, which the saveSignals page names for
/// `sampleInterval` and `gapDetection`:
///
///     duration  = "P" (dur-date / dur-time / dur-week)
///     dur-date  = (dur-day / dur-month / dur-year) [dur-time]
///     dur-time  = "T" (dur-hour / dur-minute / dur-second)
///     dur-year  = 1*DIGIT "Y" [dur-month]     dur-month  = 1*DIGIT "M" [dur-day]
///     dur-day   = 1*DIGIT "D"                 dur-week   = 1*DIGIT "W"
///     dur-hour  = 1*DIGIT "H" [dur-minute]    dur-minute = 1*DIGIT "M" [dur-second]
///     dur-second = 1*DIGIT "S"
///
/// One extension, documented in `docs/emulator.md`: the seconds may carry a decimal fraction
/// (`PT0.5S`), which ISO 8601 allows and the official SDKs send.
public enum RFC3339Duration {
    public static let rule = "rfc3339-duration"

    /// The duration in seconds, or nil when the text does not follow the grammar. Years and months
    /// count as 365 and 30 days, only for ordering (window limits, gap detection).
    public static func seconds(_ text: String) -> Double? {
        var bytes = Array(text.utf8)[...]
        guard bytes.popFirst() == UInt8(ascii: "P"), !bytes.isEmpty else { return nil }
        var total = 0.0
        // The designators allowed in order in the date part, then in the time part.
        let dateUnits: [(UInt8, Double)] = [
            (UInt8(ascii: "Y"), 365 * 86_400), (UInt8(ascii: "M"), 30 * 86_400), (UInt8(ascii: "D"), 86_400),
        ]
        let timeUnits: [(UInt8, Double)] = [(UInt8(ascii: "H"), 3_600), (UInt8(ascii: "M"), 60), (UInt8(ascii: "S"), 1)]

        if bytes.first != UInt8(ascii: "T") {
            // A week stands alone.
            var probe = bytes
            if let week = number(&probe), week.unit == UInt8(ascii: "W") {
                return probe.isEmpty && week.whole ? week.value * 7 * 86_400 : nil
            }
            guard let date = components(&bytes, units: dateUnits, fractionUnit: nil) else { return nil }
            total += date
            if bytes.isEmpty { return total }
        }
        guard bytes.popFirst() == UInt8(ascii: "T"), !bytes.isEmpty,
              let time = components(&bytes, units: timeUnits, fractionUnit: UInt8(ascii: "S")),
              bytes.isEmpty
        else { return nil }
        return total + time
    }

    public static func isValid(_ text: String) -> Bool { seconds(text) != nil }

    /// Reads one or more `<digits><unit>` components whose units follow `units` in order with none
    /// skipped after the first (`P1Y1D` is not in the grammar: a day must follow a month).
    private static func components(
        _ bytes: inout ArraySlice<UInt8>, units: [(UInt8, Double)], fractionUnit: UInt8?
    ) -> Double? {
        var total = 0.0
        var next = 0
        var first = true
        while let head = bytes.first, head != UInt8(ascii: "T") {
            guard let component = number(&bytes),
                  let index = units[next...].firstIndex(where: { $0.0 == component.unit })
            else { return nil }
            if !first && index != next { return nil }
            if !component.whole && component.unit != fractionUnit { return nil }
            total += component.value * units[index].1
            next = index + 1
            first = false
            if next == units.count { break }
        }
        return first ? nil : total
    }

    /// Digits, an optional `.digits` fraction, then the unit letter.
    private static func number(_ bytes: inout ArraySlice<UInt8>) -> (value: Double, whole: Bool, unit: UInt8)? {
        var integer = 0.0
        var digits = 0
        while let b = bytes.first, b >= 48, b <= 57 {
            integer = integer * 10 + Double(b - 48)
            digits += 1
            bytes.removeFirst()
        }
        guard digits > 0, digits <= 15 else { return nil }
        var value = integer
        var whole = true
        if bytes.first == UInt8(ascii: ".") || bytes.first == UInt8(ascii: ",") {
            bytes.removeFirst()
            var scale = 0.1
            var fractionDigits = 0
            while let b = bytes.first, b >= 48, b <= 57 {
                value += Double(b - 48) * scale
                scale /= 10
                fractionDigits += 1
                bytes.removeFirst()
            }
            guard fractionDigits > 0, fractionDigits <= 9 else { return nil }
            whole = false
        }
        guard let unit = bytes.popFirst() else { return nil }
        return (value, whole, unit)
    }
}
