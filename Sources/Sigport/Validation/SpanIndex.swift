/// One signal's time ranges in the blocks of a run, found by time in a few steps rather than by
/// looking at every block: a long load leaves hundreds of blocks per signal, and a value inside
/// the signal's overall range (an irregular clock, a second file of the same signals) is looked
/// up here.
///
/// Ranges are kept sorted by their low end, with the running maximum of their high ends: the
/// ranges holding a time are among those whose low end is at or before it, and the walk back
/// from there stops where no earlier range reaches the time.
struct SpanIndex {
    private var lows: [Int64] = []
    private var highs: [Int64] = []
    private var blocks: [Int] = []
    /// `reach[i]`: the highest high end of ranges 0...i.
    private var reach: [Int64] = []

    var isEmpty: Bool { lows.isEmpty }

    mutating func insert(low: Int64, high: Int64, block: Int) {
        // Blocks of an input read in time order arrive in order: the common case appends.
        var at = lows.count
        if let last = lows.last, low < last { at = Self.firstIndex(in: lows) { $0 > low } }
        lows.insert(low, at: at)
        highs.insert(high, at: at)
        blocks.insert(block, at: at)
        reach.insert(high, at: at)
        for i in at..<reach.count { reach[i] = max(highs[i], i > 0 ? reach[i - 1] : .min) }
    }

    /// The blocks whose range holds `time`, earliest block first, into `found` (emptied first:
    /// a buffer the caller keeps, since this runs for every value inside a signal's range).
    func blocks(holding time: Int64, into found: inout [Int]) {
        found.removeAll(keepingCapacity: true)
        var i = Self.firstIndex(in: lows) { $0 > time } - 1
        while i >= 0, reach[i] >= time {
            if highs[i] >= time { found.append(blocks[i]) }
            i -= 1
        }
        if found.count > 1 { found.sort() }
    }

    /// The first index whose value satisfies `isAfter` (which holds from some index on).
    private static func firstIndex(in values: [Int64], where isAfter: (Int64) -> Bool) -> Int {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if isAfter(values[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
