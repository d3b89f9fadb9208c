/// Writes the `YYYY-MM-DDTHH:MM:SS` of RFC 3339 texts as bytes, for the upload's times
/// (`JSONText`) and the export's (`ExportTimeFormatter`): one formatter, not two.
///
/// It keeps the text of the day it wrote last. The times of a request body or of an export come
/// one after another and mostly share their day with the time before, so most cost the clock's
/// six digits only: formatting each time whole, digit by digit into an array, was 4% of a wide
/// CSV plan.
struct DateTimeWriter {
    /// Days since 1970-01-01 of `date`.
    private var day = Int64.min
    /// `YYYY-MM-DDT` of `day`, in the first 11 of 16 bytes.
    private var date: (UInt64, UInt64) = (0, 0)

    /// The date and time of `seconds` since 1970-01-01T00:00 (of UTC, or of a local clock):
    /// 19 bytes at `base`. Years 1…9999.
    mutating func write(seconds: Int64, to base: UnsafeMutableRawPointer) {
        let days = CivilDate.floorDivide(seconds, 86_400)
        if days != day {
            day = days
            date = Self.dateText(days: Int(days))
        }
        withUnsafeBytes(of: date) { base.copyMemory(from: $0.baseAddress!, byteCount: 11) }
        let second = Int(seconds - days * 86_400)
        Self.digits(second / 3600, width: 2, to: base + 11)
        base.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 13, as: UInt8.self)
        Self.digits(second / 60 % 60, width: 2, to: base + 14)
        base.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 16, as: UInt8.self)
        Self.digits(second % 60, width: 2, to: base + 17)
    }

    /// `value` in `width` decimal digits, zero-padded (0 ≤ value < 10^width).
    static func digits(_ value: Int, width: Int, to base: UnsafeMutableRawPointer) {
        var rest = value
        for i in stride(from: width - 1, through: 0, by: -1) {
            base.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: i, as: UInt8.self)
            rest /= 10
        }
    }

    private static func dateText(days: Int) -> (UInt64, UInt64) {
        let (year, month, day) = CivilDate.date(days: days)
        var text: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &text) { raw in
            let base = raw.baseAddress!
            digits(year, width: 4, to: base)
            base.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 4, as: UInt8.self)
            digits(month, width: 2, to: base + 5)
            base.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 7, as: UInt8.self)
            digits(day, width: 2, to: base + 8)
            base.storeBytes(of: UInt8(ascii: "T"), toByteOffset: 10, as: UInt8.self)
        }
        return text
    }
}
