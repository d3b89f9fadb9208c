/// A value's JSON text as a frame holds it: up to 15 UTF-8 bytes and their count, inline in 16
/// bytes, so that a frame's million cells and the mapper's values hold their texts without a
/// reference to count. A wide CSV plan spent about a tenth of its time retaining and releasing
/// the `String?`s it held before (and checking their storage unique on every write).
///
/// The last byte is the count (0…15), or a tag: `absent` (no text: format the number), `null`
/// (a frame's empty cell), or `elsewhere` (a longer text, kept in the frame's side list at the
/// index in the first 8 bytes: `JSONText.number` writes up to 24 bytes, rarely more than 15).
struct CellText: Sendable, Equatable {
    private var storage: (UInt64, UInt64)

    private static let absentTag: UInt8 = 0xFF
    private static let nullTag: UInt8 = 0xFE
    private static let elsewhereTag: UInt8 = 0xFD

    private init(tag: UInt8, word: UInt64 = 0) {
        storage = (word, UInt64(tag) << 56)
    }

    static let absent = CellText(tag: absentTag)
    static let null = CellText(tag: nullTag)
    /// A text kept at `index` of a frame's list of long texts.
    static func elsewhere(_ index: Int) -> CellText { CellText(tag: elsewhereTag, word: UInt64(index)) }

    /// The text inline; nil when it is longer than 15 bytes.
    ///
    /// Built in registers from loads that stay inside the text (overlapping where it is not a
    /// whole number of words). Copying the bytes into the storage's memory and storing the count
    /// byte before reading both words back made the reload wait on those narrower stores: the
    /// profile put a third of the mapper's own samples there (the wall time moved within noise).
    init?(_ utf8: UnsafeBufferPointer<UInt8>) {
        let count = utf8.count
        guard count <= 15 else { return nil }
        var low: UInt64 = 0, high: UInt64 = 0
        if count > 0, let base = utf8.baseAddress {
            let raw = UnsafeRawPointer(base)
            if count >= 8 {
                low = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
                // The 8 bytes ending at the text's end, shifted down past the 16 - count first
                // ones (those already in `low`).
                if count > 8 { high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) >> (8 * (16 - count)) }
            } else if count >= 4 {
                let head = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                let tail = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
                low = head | tail << (8 * (count - 4))
            } else {
                for i in 0..<count { low |= UInt64(base[i]) << (8 * i) }
            }
        }
        storage = (low, high | UInt64(count) << 56)
    }

    init?(_ text: String) {
        var text = text
        guard let inline = text.withUTF8({ CellText($0) }) else { return nil }
        self = inline
    }

    /// The same text (or tag): the bytes past a text are zero, so all 16 compare.
    static func == (a: CellText, b: CellText) -> Bool { a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1 }

    private var tag: UInt8 { UInt8(truncatingIfNeeded: storage.1 >> 56) }
    var isAbsent: Bool { tag == Self.absentTag }
    var isNull: Bool { tag == Self.nullTag }
    /// The index of a text kept elsewhere.
    var elsewhereIndex: Int? { tag == Self.elsewhereTag ? Int(storage.0) : nil }
    /// An inline text's first 8 bytes, the first in the lowest byte (zero past the text).
    var firstWord: UInt64 { storage.0 }
    /// The byte count of an inline text (0 for the tags).
    var count: Int { tag <= 15 ? Int(tag) : 0 }

    /// Stores all 16 bytes at `destination` and returns the text's byte count: the bytes past the
    /// text are scratch the next write overwrites, so the destination needs 16 bytes of room.
    /// Two plain stores, where a `ByteBuffer` write per cell checked capacity and moved indices.
    func store(to destination: UnsafeMutableRawPointer) -> Int {
        withUnsafeBytes(of: storage) { destination.copyMemory(from: $0.baseAddress!, byteCount: 16) }
        return count
    }

    /// An inline text as a `String`; nil for the tags.
    var string: String? {
        guard tag <= 15 else { return nil }
        var storage = storage
        return withUnsafeBytes(of: &storage) { String(decoding: $0[..<count], as: UTF8.self) }
    }
}
