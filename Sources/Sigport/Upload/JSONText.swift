/// The JSON text sigport writes on the upload path, byte by byte: exact sizes are known before
/// anything is encoded, so requests are packed full without encoding twice.
enum JSONText {
    /// A number in its shortest exact form: whole numbers without a fraction (`42`), others as the
    /// shortest text that reads back as the same Double (`21.5`, `1e-07`). JSON has no NaN or
    /// Infinity; callers never pass them (validation rejects them).
    static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 9.007_199_254_740_992e15 {
            return value == 0 ? "0" : String(Int64(value))
        }
        return shortDecimal(value) ?? String(value)
    }

    /// Sensor readings are mostly decimals with a few fraction digits (`670.487`). For those the
    /// shortest text is found by arithmetic, without the general shortest-digits algorithm: the
    /// smallest k ≤ 6 for which m = value·10^k is a whole number below 2^53 and m / 10^k gives
    /// value back. Both are exact doubles and IEEE division is correctly rounded, so the text
    /// "m with k fraction digits" reads back as the same double; no shorter one exists, as a
    /// smaller k failed. In 1e-4 ≤ |value| < 1e15 Swift writes plain decimals too, so the text
    /// is the one `String(value)` gives. Nil outside that range or past 6 digits.
    static func shortDecimal(_ value: Double) -> String? {
        let magnitude = abs(value)
        guard magnitude >= 1e-4, magnitude < 1e15 else { return nil }
        var scale = 1.0
        for k in 1...6 {
            scale *= 10
            let m = (value * scale).rounded()
            guard abs(m) < 9.007_199_254_740_992e15 else { return nil }
            guard m / scale == value else { continue }
            var digits = UInt64(abs(m))
            let negative = m < 0
            var integerDigits = 1
            var whole = digits / UInt64(scale)
            while whole >= 10 { whole /= 10; integerDigits += 1 }
            let count = (negative ? 1 : 0) + integerDigits + 1 + k
            return String(unsafeUninitializedCapacity: count) { buffer in
                var i = count - 1
                for _ in 0..<k {
                    buffer[i] = UInt8(ascii: "0") + UInt8(digits % 10)
                    digits /= 10
                    i -= 1
                }
                buffer[i] = UInt8(ascii: ".")
                i -= 1
                repeat {
                    buffer[i] = UInt8(ascii: "0") + UInt8(digits % 10)
                    digits /= 10
                    i -= 1
                } while digits > 0
                if negative { buffer[0] = UInt8(ascii: "-") }
                return count
            }
        }
        return nil
    }

    /// RFC 3339 in UTC with as many fraction digits as the value needs (none, 3 or 6):
    /// `2024-03-01T00:00:00Z`, `…00.250Z`, `…00.000001Z`.
    static func time(microseconds: Int64) -> String {
        var writer = DateTimeWriter()
        return String(unsafeUninitializedCapacity: 27) { buffer in
            writeTime(microseconds: microseconds, with: &writer, to: UnsafeMutableRawPointer(buffer.baseAddress!))
        }
    }

    /// The length of `time(microseconds:)`, by arithmetic (years 0…9999).
    static func timeLength(microseconds: Int64) -> Int {
        let micros = microseconds - CivilDate.floorDivide(microseconds, 1_000_000) * 1_000_000
        return micros == 0 ? 20 : micros % 1000 == 0 ? 24 : 27
    }

    /// Writes `time(microseconds:)` at `base` (room for 27 bytes) and returns its length; the
    /// writer keeps the day's text for the next time.
    static func writeTime(microseconds: Int64, with writer: inout DateTimeWriter, to base: UnsafeMutableRawPointer) -> Int {
        let seconds = CivilDate.floorDivide(microseconds, 1_000_000)
        let micros = Int(microseconds - seconds * 1_000_000)
        writer.write(seconds: seconds, to: base)
        var at = 19
        if micros != 0 {
            base.storeBytes(of: UInt8(ascii: "."), toByteOffset: at, as: UInt8.self)
            if micros % 1000 == 0 {
                DateTimeWriter.digits(micros / 1000, width: 3, to: base + at + 1)
                at += 4
            } else {
                DateTimeWriter.digits(micros, width: 6, to: base + at + 1)
                at += 7
            }
        }
        base.storeBytes(of: UInt8(ascii: "Z"), toByteOffset: at, as: UInt8.self)
        return at + 1
    }

    /// A JSON string literal, quotes included (RFC 8259 escapes; non-ASCII kept as UTF-8).
    static func string(_ value: String) -> String {
        // Most texts (ids, event types, names) need no escape: one scan, one concatenation.
        if !needsEscape(value) { return "\"" + value + "\"" }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Whether `string` has to escape anything in `value`.
    static func needsEscape(_ value: String) -> Bool {
        func escaped(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }
        return value.utf8.withContiguousStorageIfAvailable { $0.contains(where: escaped) } ?? value.utf8.contains(where: escaped)
    }

    /// `string(value)`, appended as bytes.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        if needsEscape(value) {
            out.append(contentsOf: string(value).utf8)
        } else {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Writes `value`'s decimal digits (and sign) at `out`, at most 20 bytes; returns how many.
    /// Two digits a step, from a table: an ox event writes five integers, most of 13 to 16
    /// digits, and one digit a step was the JSONL plan's busiest function (7% of its samples).
    static func writeInteger(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var sign = 0
        if value < 0 {
            out[0] = UInt8(ascii: "-")
            sign = 1
        }
        var magnitude = value.magnitude
        // Written backwards into 24 bytes on the stack, then moved into place.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { raw in
            let digits = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let pairs = digitPairs.utf8Start
            var i = 24
            while magnitude >= 100 {
                let pair = 2 * Int(magnitude % 100)
                magnitude /= 100
                i -= 2
                digits[i] = pairs[pair]
                digits[i + 1] = pairs[pair + 1]
            }
            if magnitude >= 10 {
                i -= 2
                digits[i] = pairs[2 * Int(magnitude)]
                digits[i + 1] = pairs[2 * Int(magnitude) + 1]
            } else {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(magnitude)
            }
            (out + sign).update(from: digits + i, count: 24 - i)
            return sign + 24 - i
        }
    }

    /// "00" to "99", one after the other: a literal's bytes are a constant, no table to set up.
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }
}
