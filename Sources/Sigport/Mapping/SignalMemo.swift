import Foundation

/// The signal each spec named in the flat row mapped last, kept while the fields the signals'
/// input IDs read stay the same: a wide row's ten values then find their signals with one
/// comparison of its key fields, not a cache lookup each (the lookups, each comparing the same
/// key field again, were 7% of a wide CSV plan once rows were flat).
///
/// Sound because a signal is a function of those fields (and of the file, fixed while the memo
/// lives): the same bytes name the same signal. A rejected row may take catalog entries back,
/// so a rejection makes the memo forget.
struct SignalMemo {
    /// The positions of every field some signal's input ID reads; the memo is off when some
    /// spec's cache is off (a field it reads is not in the file: it renders per row).
    private let positions: [Int]
    let isOn: Bool
    /// The key fields' bytes, one after the other, and where each ends.
    private var key: [UInt8] = []
    private var keyEnds: [Int] = []
    private var hasKey = false
    /// Per spec, its signal for rows with this key; -1 while not known.
    private var signals: [Int]
    /// Rows entered and rows whose key changed: a file whose rows take turns between devices
    /// (a long layout's between signals) changes key on most rows, and the memo then only costs.
    private var rows = 0
    private var changes = 0
    private static let trial = 1024

    init(caches: ArraySlice<TemplateKeyCache>) {
        positions = Set(caches.flatMap(\.positions)).sorted()
        isOn = !caches.isEmpty && caches.allSatisfy(\.isOn)
        signals = Array(repeating: -1, count: caches.count)
    }

    /// Whether it pays to `enter` rows: on, and (after a trial of rows) the key changed on at most
    /// a quarter of them.
    var isUseful: Bool { isOn && (rows < Self.trial || changes * 4 <= rows) }

    /// Takes a row: its key fields are the memo's, or the memo takes them and forgets its signals.
    mutating func enter(_ row: FlatRow) {
        let counting = rows < Self.trial
        if counting { rows += 1 }
        if hasKey && matches(row) { return }
        if counting { changes += 1 }
        key.removeAll(keepingCapacity: true)
        keyEnds.removeAll(keepingCapacity: true)
        for p in positions {
            key.append(contentsOf: row.field(p))
            keyEnds.append(key.count)
        }
        hasKey = true
        for s in signals.indices { signals[s] = -1 }
    }

    private func matches(_ row: FlatRow) -> Bool {
        key.withUnsafeBufferPointer { key in
            var start = 0
            for (k, p) in positions.enumerated() {
                let field = row.field(p)
                let end = keyEnds[k]
                guard field.count == end - start,
                      field.isEmpty || memcmp(field.baseAddress!, key.baseAddress! + start, field.count) == 0 else { return false }
                start = end
            }
            return true
        }
    }

    /// Spec `s`'s signal for the row entered last, if known.
    func signal(_ s: Int) -> Int? { signals[s] >= 0 ? signals[s] : nil }

    mutating func set(_ s: Int, signal: Int) { signals[s] = signal }

    /// Forgets the key and signals (a row was rejected).
    mutating func forget() {
        hasKey = false
    }
}
