/// A documented regex of the form `^[class]{min,max}$`, checked byte by byte.
///
/// Every identifier rule in the two API contracts has this shape. Checking it as an ASCII set plus a
/// length is exact, allocation-free and fast enough for the client's hot path, and it pins down how
/// the seed pages' ambiguous classes are read (see `docs/emulator.md`: a `-` after a range is literal).
public struct CharacterClassPattern: Sendable, Hashable {
    /// The regex as the seed page prints it, for error messages and docs.
    public let pattern: String
    /// A stable rule id used in reject files and error data.
    public let rule: String
    public let lengths: ClosedRange<Int>
    @usableFromInline let low: UInt64
    @usableFromInline let high: UInt64

    /// - Parameter allowed: the class's members, spelled out (ranges expanded by the caller).
    public init(rule: String, pattern: String, allowed: String, lengths: ClosedRange<Int>) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for byte in allowed.utf8 {
            precondition(byte < 128, "character classes in the contract are ASCII")
            if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
        }
        self.rule = rule
        self.pattern = pattern
        self.lengths = lengths
        self.low = low
        self.high = high
    }

    @inlinable
    public func allows(_ byte: UInt8) -> Bool {
        if byte < 64 { return low & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return high & (1 << UInt64(byte - 64)) != 0 }
        return false
    }

    /// True when the whole string matches the pattern. Length is counted in characters of the
    /// class, which are all ASCII, so UTF-8 bytes and characters agree for any matching string.
    public func matches<S: StringProtocol>(_ string: S) -> Bool {
        var count = 0
        for byte in string.utf8 {
            guard allows(byte) else { return false }
            count += 1
        }
        return lengths.contains(count)
    }

    public func matches(bytes: UnsafeRawBufferPointer) -> Bool {
        guard lengths.contains(bytes.count) else { return false }
        for byte in bytes where !allows(byte) { return false }
        return true
    }
}

extension CharacterClassPattern {
    static let lowercase = "abcdefghijklmnopqrstuvwxyz"
    static let uppercase = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    static let digits = "0123456789"
}
