/// A cell of a frame's series, as `FrameSeries` stores it: 8 bytes, half a `CellText`. A full
/// 9 MiB body's frame holds about a million cells, and it is the largest thing an import holds
/// besides the bodies in flight; a wide CSV's readings (`313.527`) are 7 bytes or fewer.
///
/// The top byte is the text's count (1…7, the text in the bytes below it, zero past it) or a
/// tag: `null`; `spilled` (a text of 8–15 bytes, kept in the series' spill bytes at the offset
/// in bits 0–39, its count in bits 40–47); `elsewhere` (a `CellText.elsewhere`, its index in
/// bits 0–47).
struct FrameCell: Sendable {
    private(set) var word: UInt64

    private static let nullTag: UInt64 = 0xFE
    private static let spilledTag: UInt64 = 0xFD
    private static let elsewhereTag: UInt64 = 0xFC
    private static let low48: UInt64 = (1 << 48) - 1

    static let null = FrameCell(word: nullTag << 56)

    private init(word: UInt64) { self.word = word }

    /// `text` as a cell; nil for a text of 8–15 bytes (or none), which is spilled instead.
    @inline(__always)
    init?(_ text: CellText) {
        let count = text.count
        if count > 0, count <= 7 {
            word = text.firstWord | UInt64(count) << 56
        } else if text.isNull {
            word = Self.nullTag << 56
        } else if let index = text.elsewhereIndex {
            word = Self.elsewhereTag << 56 | UInt64(index)
        } else {
            return nil
        }
    }

    /// A spilled text: `count` bytes at `offset` of the series' spill bytes.
    init(spilledAt offset: Int, count: Int) {
        word = Self.spilledTag << 56 | UInt64(count) << 40 | UInt64(offset)
    }

    private var tag: UInt64 { word >> 56 }
    /// The count of an inline text; nil for a spilled or long text and `null`.
    @inline(__always)
    var inlineCount: Int? { tag <= 7 ? Int(tag) : nil }
    var isNull: Bool { tag == Self.nullTag }
    var elsewhereIndex: Int? { tag == Self.elsewhereTag ? Int(word & Self.low48) : nil }
    /// Offset and count of a spilled text.
    var spilled: (offset: Int, count: Int)? {
        tag == Self.spilledTag ? (Int(word & ((1 << 40) - 1)), Int((word >> 40) & 0xFF)) : nil
    }

    /// The `CellText` this cell was made from; `spill` is the series' spill bytes.
    func cellText(spill: UnsafePointer<UInt8>) -> CellText {
        if let count = inlineCount {
            // Little-endian, as `CellText` builds its words: the text's first byte lowest.
            var word = (word & ((1 << 56) - 1)).littleEndian
            return withUnsafeBytes(of: &word) { CellText(UnsafeBufferPointer(rebasing: $0.bindMemory(to: UInt8.self)[..<count]))! }
        }
        if isNull { return .null }
        if let index = elsewhereIndex { return .elsewhere(index) }
        let (offset, count) = spilled!
        return CellText(UnsafeBufferPointer(start: spill + offset, count: count))!
    }
}
