/// Catalog indices by the raw values of the row fields some templates read: a row whose fields
/// were seen before names the same signal, sensor or beacon, so it is found without rendering
/// its templates, building a key or hashing a text the templates make.
///
/// Long layouts are why it is keyed by all the values seen, not only the last: their rows take
/// turns between signals, and a cache of the last one missed on every row (rendering the input
/// ID and hashing it was most of a long CSV plan's mapping time).
///
/// The values are compared as read, before null texts and defaults are applied; those are fixed
/// for a file, and the cache lives as long as one file's rows.
struct TemplateKeyCache {
    /// The positions in a row of the fields the templates read.
    let positions: [Int]
    /// False for a cache that finds nothing: a field the templates read is not in the file.
    let isOn: Bool
    /// Keyed by the hash of the values, computed in place (no key array per row).
    private var byHash: [Int: [(key: [FieldValue], index: Int)]] = [:]
    /// The entry found or added last: rows of one device repeat it, and need no hashing.
    private var last: (key: [FieldValue], index: Int)?
    /// For a key of one field, the last few keys seen, inline (texts of up to 15 bytes): a long
    /// layout's rows take turns between a few signals, and a flat row's field is compared with
    /// these 16 bytes at a time, where hashing it made a `String` and ran `Hasher` (a tenth of
    /// a long CSV plan's mapping thread).
    private var recent: [(key: CellText, index: Int)] = []
    private var recentNext = 0
    private static let recentCount = 16

    init(positions: [Int]) {
        self.positions = positions
        isOn = true
    }

    private init() {
        positions = []
        isOn = false
    }

    /// A cache that finds nothing (so rows render their templates). Caches are held in an array
    /// of this type, not of optionals: optional chaining into the array copied the cache, its
    /// three references retained and released, once per value.
    static let off = TemplateKeyCache()

    /// A row's key, found or not: give it back to `insert` after a miss.
    struct Probe {
        let hash: Int
        let index: Int?
    }

    /// The catalog index if the row repeats the entry found last (most rows): read-only, so the
    /// caller's array of caches is not written (and its storage not checked unique) per value.
    func repeated(_ row: RowContext) -> Int? {
        guard isOn else { return nil }
        if let last, matches(last.key, row) { return last.index }
        guard positions.count == 1, !recent.isEmpty, let flat = row.flat, let key = CellText(flat.field(positions[0])) else { return nil }
        for entry in recent where entry.key == key { return entry.index }
        return nil
    }

    /// Keeps a one-field key among the recent ones (see `recent`), replacing the oldest.
    private mutating func remember(_ key: [FieldValue], index: Int) {
        guard key.count == 1, case .text(let text) = key[0], let inline = CellText(text) else { return }
        if recent.count < Self.recentCount {
            recent.append((inline, index))
        } else {
            recent[recentNext] = (inline, index)
            recentNext = (recentNext + 1) % Self.recentCount
        }
    }

    /// The row looked up by the hash of its values, after `repeated` missed; nil when the cache
    /// is off.
    mutating func probe(_ row: RowContext) -> Probe? {
        guard isOn else { return nil }
        var hasher = Hasher()
        for p in positions { row.raw(at: p).hash(into: &hasher) }
        let hash = hasher.finalize()
        for entry in byHash[hash] ?? [] where matches(entry.key, row) {
            last = entry
            remember(entry.key, index: entry.index)
            return Probe(hash: hash, index: entry.index)
        }
        return Probe(hash: hash, index: nil)
    }

    /// Records the catalog index a missed row's templates gave.
    mutating func insert(_ probe: Probe, row: RowContext, index: Int) {
        let entry = (key: positions.map { row.raw(at: $0) }, index: index)
        byHash[probe.hash, default: []].append(entry)
        last = entry
        remember(entry.key, index: index)
    }

    /// Takes back the latest `insert` under `hash`: the row that made it was rejected, and its
    /// catalog entry is gone.
    mutating func removeLast(hash: Int) {
        byHash[hash]?.removeLast()
        last = nil
        recent.removeAll()
        recentNext = 0
    }

    private func matches(_ key: [FieldValue], _ row: RowContext) -> Bool {
        for i in positions.indices where !row.raw(at: positions[i], equals: key[i]) { return false }
        return true
    }
}
