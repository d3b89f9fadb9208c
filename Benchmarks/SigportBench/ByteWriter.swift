import Foundation

/// A buffered file writer with the few formatters the generators need, writing bytes directly:
/// a gigabyte of input must be generated in seconds, not in the minutes that `String`
/// concatenation and `ISO8601DateFormatter` take, or `BENCH_SIZE=1G` spends its time generating.
final class ByteWriter {
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private(set) var bytesWritten = 0

    init(path: String) throws {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))") }
        self.file = file
        buffer.reserveCapacity(1 << 21)
    }

    func append(_ text: StaticString) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
        flushIfFull()
    }

    func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        flushIfFull()
    }

    /// A non-negative integer in decimal.
    func append(_ value: Int) {
        if value >= 10 { append(value / 10) }
        buffer.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// `value` with exactly `width` digits, zero-padded (dates, fractions).
    func append(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// `units / 10^decimals` in the shortest form that reads back as the same Double, with at
    /// least one fraction digit: 72297 → "72.297", 5000 → "5.0" (what Swift's `Double.description`
    /// writes for these values, so the files match the earlier generator's).
    func appendDecimal(_ units: Int, decimals: Int) {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        append(units / scale)
        buffer.append(UInt8(ascii: "."))
        var fraction = units % scale
        var width = decimals
        while width > 1 && fraction % 10 == 0 { fraction /= 10; width -= 1 }
        append(fraction, width: width)
    }

    /// Seconds since the epoch as RFC 3339 UTC (`2024-03-01T00:00:00Z`), by civil-date arithmetic.
    /// `half`: half a second later (`…:00.5Z`).
    func appendRFC3339(epochSeconds: Int, half: Bool = false) {
        let days = epochSeconds / 86_400, second = epochSeconds % 86_400
        // Howard Hinnant's days → civil date.
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        append(year, width: 4); append("-"); append(month, width: 2); append("-"); append(day, width: 2)
        append("T"); append(second / 3600, width: 2); append(":"); append(second / 60 % 60, width: 2)
        append(":"); append(second % 60, width: 2); append(half ? ".5Z" : "Z")
    }

    private func flushIfFull() {
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        bytesWritten += written
        buffer.removeAll(keepingCapacity: true)
    }

    /// Bytes written so far, buffered ones included: what a size limit compares with.
    var size: Int { bytesWritten + buffer.count }

    func close() throws {
        flush()
        guard fclose(file) == 0 else { throw BenchError("cannot close a generated file: \(String(cString: strerror(errno)))") }
    }
}

/// The generators' random numbers: a 64-bit LCG (Knuth's MMIX constants), the same sequence on
/// every machine and Swift version, so two runs of `make bench` read byte-identical inputs.
struct DeterministicRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The next number, 31 bits.
    mutating func next() -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1
        return Int(state >> 33)
    }

    /// A number in `range`.
    mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + next() % (range.upperBound - range.lowerBound + 1)
    }
}
