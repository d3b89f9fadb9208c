extension NumberText {
    /// A plain decimal's value and, when the text is the value's JSON text, that text as a cell:
    /// what `plainDecimal` reads, with its text kept inline. Nil for anything `plainDecimal` refuses.
    ///
    /// A text of at most 8 bytes (most sensor readings: `-12.375`, `313.527`) is read from one
    /// word, all bytes at once, with no branch per byte: the cell's loads bring it into a
    /// register anyway. Measured in place, the wide CSV plan went 1.08 → 1.01 s with it (medians
    /// of ten, interleaved) against the byte loop for every length; in a loop over the same
    /// texts alone it is no faster (13 against 12 ns a value): what it saves is in how it runs
    /// beside the mapper's other work, not in its own instructions. Longer texts go through the
    /// loop.
    static func plainDecimalAndText(_ bytes: UnsafeBufferPointer<UInt8>) -> (value: Double, text: CellText)? {
        if bytes.count <= 8, let cell = CellText(bytes) {
            guard let plain = plainDecimal(word: cell.firstWord, count: bytes.count) else { return nil }
            return (plain.value, plain.isJSONText ? cell : .absent)
        }
        return plainDecimal(bytes).map { ($0.value, $0.isJSONText ? CellText(bytes) ?? .absent : .absent) }
    }

    /// 10^0 … 10^7, loaded by index: the `powerOfTen` switch's jump mispredicted as the
    /// number of fraction digits changed from value to value.
    private static var powersOfTen: SIMD8<Double> { SIMD8(1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7) }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080
    private static let zeros: UInt64 = 0x3030_3030_3030_3030

    /// `plainDecimal` of the `count` (≤ 8) bytes in `word`, the first in the lowest byte, the
    /// rest zero: the same value and verdict, branching only on the sign and on the point.
    static func plainDecimal(word: UInt64, count: Int) -> (value: Double, isJSONText: Bool)? {
        precondition(count <= 8, "a word holds at most 8 bytes")
        var word = word
        var count = count
        let negative = count > 0 && word & 0xFF == UInt64(UInt8(ascii: "-"))
        if negative {
            word >>= 8
            count -= 1
        }
        guard count > 0 else { return nil }
        let within = count == 8 ? UInt64.max : (1 << (8 * UInt64(count))) &- 1
        // The high bit of each byte equal to "." (exact: no borrow between bytes).
        let notPoint = word ^ (Self.ones &* UInt64(UInt8(ascii: ".")))
        let points = ~(((notPoint & ~Self.highBits) &+ ~Self.highBits) | notPoint | ~Self.highBits) & within
        var digits = word
        var digitCount = count
        var fraction = 0
        if points != 0 {
            let point = points.trailingZeroBitCount / 8
            // One point, after a digit and before one.
            guard points & (points &- 1) == 0, point > 0, point < count - 1 else { return nil }
            let below = (UInt64(1) << (8 * UInt64(point))) &- 1
            digits = (word & below) | ((word >> 8) & ~below)
            digitCount = count - 1
            fraction = count - 1 - point
        }
        // Every digit byte in "0"…"9" (bytes past the digits read as "0"): the lowest byte that is
        // not gets its high bit set, before any carry or borrow from it can reach a higher one.
        let digitBytes = digitCount == 8 ? UInt64.max : (1 << (8 * UInt64(digitCount))) &- 1
        let padded = (digits & digitBytes) | (Self.zeros & ~digitBytes)
        guard ((padded &+ Self.ones &* 0x46) | (padded &- Self.zeros)) & Self.highBits == 0 else { return nil }
        // The digits' values, the last in the highest byte, then eight digits to an integer in
        // three multiplications (as fast_float's parse_eight_digits_unrolled).
        var value = (padded &- Self.zeros) << (8 * UInt64(8 - digitCount))
        value = value &* 10 &+ (value >> 8)
        value = ((value & 0x0000_00FF_0000_00FF) &* 0x000F_4240_0000_0064 &+ ((value >> 16) & 0x0000_00FF_0000_00FF) &* 0x0000_2710_0000_0001) >> 32
        let mantissa = UInt32(truncatingIfNeeded: value)
        let whole = Double(Int32(bitPattern: mantissa))
        // A division by 1 is exact: no branch on whether there is a fraction.
        let magnitude = whole / Self.powersOfTen[fraction]
        let first = word & 0xFF, second = (word >> 8) & 0xFF
        let leadingZero = count > 1 && first == UInt64(UInt8(ascii: "0")) && second != UInt64(UInt8(ascii: "."))
        let last = UInt8(truncatingIfNeeded: word >> (8 * UInt64(count - 1)))
        return (negative ? -magnitude : magnitude,
                isJSONText(leadingZero: leadingZero, negativeZero: negative && mantissa == 0, fraction: fraction, last: last, magnitude: magnitude))
    }
}
