import Foundation

/// What a set of values of one series comes to: how many, the earliest and latest time, and a
/// checksum of the (time, value) pairs that does not depend on their order and adds up across
/// requests. An import keeps one per request and signal; `sigport verify` makes one from what
/// the API answers and compares the two, so it needs neither the inputs nor memory that grows
/// with them.
///
/// Times count at the millisecond: the integration API stores microseconds but shows
/// milliseconds (ox events hold milliseconds), so a finer difference cannot be read back.
public struct SeriesDigest: Sendable, Equatable, Codable {
    public var count = 0
    /// Earliest and latest time in µs (meaningless while `count` is 0).
    public var first = Int64.max
    public var last = Int64.min
    /// The wrapping sum of a 64-bit mix of each (millisecond, value) pair.
    public var checksum: UInt64 = 0

    public init() {}

    init(count: Int, first: Int64, last: Int64, checksum: UInt64) {
        self.count = count
        self.first = first
        self.last = last
        self.checksum = checksum
    }

    public mutating func add(time: Int64, value: Double) {
        count += 1
        first = min(first, time)
        last = max(last, time)
        checksum &+= Self.mix(time: time, bits: (value == 0 ? 0 : value).bitPattern)
    }

    /// An ox reading: an integer, mixed as its own bits so that readings beyond 2^53 stay exact.
    public mutating func add(time: Int64, reading: Int64) {
        count += 1
        first = min(first, time)
        last = max(last, time)
        checksum &+= Self.mix(time: time, bits: UInt64(bitPattern: reading))
    }

    public mutating func merge(_ other: SeriesDigest) {
        count += other.count
        first = min(first, other.first)
        last = max(last, other.last)
        checksum &+= other.checksum
    }

    /// Takes out values counted before (a part of a request the API refused). The time range
    /// stays as it was: it is where verify reads, and reading a little more costs nothing.
    public mutating func remove(_ other: SeriesDigest) {
        count -= other.count
        checksum &-= other.checksum
    }

    /// The millisecond a time falls in (toward the past, as the API shows times before 1970).
    static func millisecond(_ micros: Int64) -> Int64 {
        micros >= 0 ? micros / 1000 : (micros - 999) / 1000
    }

    /// splitmix64's finalizer over the millisecond and the value: a value changed in one bit, or
    /// moved by a millisecond, changes the sum.
    private static func mix(time: Int64, bits: UInt64) -> UInt64 {
        var z = UInt64(bitPattern: millisecond(time)) &* 0x9E37_79B9_7F4A_7C15 ^ bits
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
