import Foundation

/// What a run does with a second value for a signal at a time that already has one (two files
/// overlapping in time, a device logging twice within its clock's precision, a repeated row).
public enum DuplicatePolicy: String, Sendable, CaseIterable {
    /// The later row is rejected (rule `duplicate-time`), naming where the first value came from.
    case reject
    /// The later value is not sent; the row's other values are.
    case keepFirst = "keep-first"
    /// The later value is sent, replacing the first (sent after the request holding the first
    /// is answered, so the API ends with the later one).
    case keepLast = "keep-last"
}

/// Finds every value of a run that falls on a (signal, time) an earlier value of the run took,
/// across all inputs and across resumes, in memory that does not grow with the input.
///
/// The rows seen are cut into blocks (a range of rows of one input). What stays in memory is,
/// per signal, the earliest and latest time of all its values and, per block, the earliest and
/// latest of the block's values: a value later than every other of its signal, or earlier than
/// every other (sorted inputs, in either direction), is new without looking further, which is
/// nearly every value of a real load. Only a time inside the range of some block needs that
/// block's exact times, and these are not kept: the block's rows are read and mapped again from
/// the input (a few megabytes), the result cached while memory allows. Inputs that cannot be
/// read again (standard input, pipes) keep their exact times instead.
struct DuplicateTimes {
    /// Where a value was first seen.
    struct Origin: Sendable, Equatable {
        var input: Int
        var line: Int
    }

    /// One value of a row found to repeat a (signal, time): which of the row's values, and where
    /// the first came from.
    struct Repeat: Sendable {
        var index: Int
        var origin: Origin
    }

    enum Verdict {
        case new
        /// Under `reject`: the row is to be rejected; `first` is its first repeating value.
        case reject(MappedValue, origin: Origin)
        /// Under `keep-first`: how many values were removed from the row. Counts take them as
        /// values the row gave, so that the API holds values − duplicates.
        case removed(Int)
        /// Under `keep-last`: the signals (catalog indices) whose value in the row replaces an
        /// earlier one, each once per repeat.
        case replaces([Int])
    }

    let policy: DuplicatePolicy
    let reading: TimeBlockReader
    /// Rows after which an open block closes (at the next chance); a block of many signals
    /// with few values each grows longer, so that the spans it leaves stay few per value.
    var blockRows = 32_768

    /// Index-owned ids of signals by input ID (stable across sessions, where the mapper's
    /// indices follow the order signals are met), and the id of each mapper index.
    private var ids: [String: Int] = [:]
    private var names: [String] = []
    private var idOfSignal: [Int] = []
    /// Per id, what every value of it reads and writes, side by side (one array access a value).
    private struct IDState {
        /// The earliest and latest time of its values so far.
        var low = Int64.max
        var high = Int64.min
        /// The same within the open block (`.max`/`.min`: none there yet).
        var blockLow = Int64.max
        var blockHigh = Int64.min
        /// The number of the last row that gave it a value (a row naming it twice).
        var stamp = 0
        /// Where its last look-up in block `hintBlock` ended (`TimeBlockTimes.first`).
        var hintBlock = -1
        var hint = -1
    }
    private var state: [IDState] = []
    /// Per id: the blocks whose values include it, each with the id's time range there.
    private var spans: [SpanIndex] = []
    /// The blocks a look-up found (kept to be reused: a look-up per value inside a range).
    private var hits: [Int] = []
    private var rowCount = 0

    private(set) var blocks: [TimeBlock] = []
    private var open: OpenBlock?
    private var cache: TimeBlockCache
    /// What the last row checked registered: a row carried to the next request joins the next block.
    private var lastRow: (row: Int, line: Int, time: Int64, ids: [Int])?

    init(policy: DuplicatePolicy, reading: TimeBlockReader, cacheBytes: Int = 16 << 20) {
        self.policy = policy
        self.reading = reading
        cache = TimeBlockCache(budget: cacheBytes)
    }

    /// A block still being filled: its rows so far, and its values' time range per id.
    private struct OpenBlock {
        var block: TimeBlock
        /// The ids with a value in the block, in the order met (their ranges: `IDState.blockLow`, `blockHigh`).
        var ids: [Int] = []
        /// Exact times, once a look-up needed them (or always, for an input that cannot be read again).
        var exact: [TimeKey: Int]?
        var values = 0
    }

    // MARK: - Rows

    /// Starts the blocks of an input at row `firstRow`, read from `start` (nil: its beginning).
    mutating func startInput(_ input: Int, from start: ResumePoint? = nil, firstRow: Int = 0) {
        for id in open?.ids ?? [] { clearBlockRange(id) }
        open = OpenBlock(block: TimeBlock(input: input, start: start, firstRow: firstRow, endRow: firstRow),
                         exact: reading.canReadAgain(input) ? nil : [:])
    }

    /// Decides a mapped row (row `row` of the current input, 0-based, starting on `line`) and
    /// records its values as taken, removing repeats from it under `keep-first`.
    mutating func check(_ mapped: inout MappedRow, row: Int, line: Int, signals: [SignalDefinition]) throws -> Verdict {
        rowCount += 1
        let time = mapped.time
        var repeats: [Repeat] = []
        // The last row's array, emptied: no allocation per row.
        var taken = lastRow?.ids ?? []
        lastRow = nil
        taken.removeAll(keepingCapacity: true)
        let keepsExact = open!.exact != nil
        for (i, value) in mapped.values.enumerated() {
            let id = self.id(of: value.signal, signals)
            switch Self.mark(&state[id], row: rowCount, time: time) {
            case .again:
                repeats.append(Repeat(index: i, origin: Origin(input: open!.block.input, line: line)))
                continue
            case .taken(let firstInBlock):
                if firstInBlock { open!.ids.append(id) }
                if keepsExact { noteExact(id, time, line: line) }
                taken.append(id)
                continue
            case .inside: break
            }
            if let origin = try firstOrigin(id, time, row: row, line: line, takenInRow: taken) {
                repeats.append(Repeat(index: i, origin: origin))
                continue
            }
            take(id, time, line: line, counted: true)
            taken.append(id)
        }
        open!.values += taken.count
        lastRow = (row, line, time, taken)
        open!.block.endRow = row + 1
        guard let first = repeats.first else { return .new }
        switch policy {
        case .reject:
            withdrawLast()
            return .reject(mapped.values[first.index], origin: first.origin)
        case .keepFirst:
            for r in repeats.reversed() { mapped.values.remove(at: r.index) }
            return .removed(repeats.count)
        case .keepLast:
            return .replaces(repeats.map { mapped.values[$0.index].signal })
        }
    }

    /// The last row checked is not sent after all (rejected as a duplicate, or too large for
    /// a request): its times are not taken, and reading its block again skips it.
    mutating func withdrawLast() {
        guard let last = lastRow, open != nil else { return }
        if open!.exact != nil {
            for id in last.ids where open!.exact![TimeKey(id: id, time: last.time)] == last.line {
                open!.exact![TimeKey(id: id, time: last.time)] = nil
            }
        }
        open!.block.exclude(last.row)
        lastRow = nil
    }

    /// Whether the open block is long enough to close after this row.
    var blockFull: Bool {
        guard let open else { return false }
        let rows = open.block.endRow - open.block.firstRow
        return rows >= blockRows && (open.ids.count * 8 <= open.values || rows >= blockRows * 16)
    }

    /// Ends the open block after row `endRow` (0-based, exclusive) and opens the next there, at
    /// `next`; `carryingLast`: the last row checked is not part of it (it did not fit the
    /// request and opens the next one), so it moves to the next block. The closed block and
    /// its signals' time ranges, for the checkpoint.
    @discardableResult
    mutating func closeBlock(endRow: Int, next: ResumePoint?, carryingLast: Bool = false) -> ClosedBlock? {
        guard var open else { return nil }
        // Alone with the block's arrays, so that they are emptied in place for the next block.
        self.open = nil
        open.block.endRow = endRow
        let carried = carryingLast ? lastRow : nil
        var closed: ClosedBlock?
        if open.block.endRow > open.block.firstRow || !open.ids.isEmpty {
            let index = blocks.count
            var ranges: [ClosedBlock.Range] = []
            for id in open.ids {
                let (low, high) = (state[id].blockLow, state[id].blockHigh)
                spans[id].insert(low: low, high: high, block: index)
                ranges.append(ClosedBlock.Range(inputID: names[id], low: low, high: high))
            }
            if let exact = open.exact {
                // Never read again: its exact times stay.
                cache.pin(index, TimeBlockTimes(exact))
            }
            blocks.append(open.block)
            closed = ClosedBlock(block: open.block, ranges: ranges)
        }
        for id in open.ids { clearBlockRange(id) }
        open.ids.removeAll(keepingCapacity: true)
        let firstRow = carried?.row ?? endRow
        self.open = OpenBlock(block: TimeBlock(input: open.block.input, start: next, firstRow: firstRow, endRow: firstRow),
                              ids: open.ids, exact: reading.canReadAgain(open.block.input) ? nil : [:])
        if let carried {
            for id in carried.ids { take(id, carried.time, line: carried.line) }
            self.open!.block.endRow = carried.row + 1
        }
        return closed
    }

    /// The reject of a row whose `value` repeats one from `origin`.
    func rejection(of value: MappedValue, at time: Int64, from origin: Origin, row: RowRef, signals: [SignalDefinition]) -> Rejection {
        let first = origin.input == open?.block.input && origin.line == row.location.line ? "this row" : "\(reading.inputs[origin.input].path):\(origin.line)"
        return Rejection(location: row.location, column: reading.mapping.source.timestamp.field, value: JSONText.time(microseconds: time),
                         rule: RejectRule.duplicateTime.rawValue,
                         message: "signal \(signals[value.signal].inputID) already has a value at \(JSONText.time(microseconds: time)), from \(first); with duplicates: keep-first or keep-last in the mapping, one of the two is loaded",
                         raw: row.raw)
    }

    // MARK: - Restoring

    /// Blocks an earlier session of the run recorded (its acknowledged rows), their spans by
    /// input ID: a resumed run finds repeats of what was sent before the kill.
    mutating func restore(_ restored: [ClosedBlock]) {
        for closed in restored {
            let index = blocks.count
            blocks.append(closed.block)
            for span in closed.ranges {
                let id = self.id(named: span.inputID)
                spans[id].insert(low: span.low, high: span.high, block: index)
                state[id].low = min(state[id].low, span.low)
                state[id].high = max(state[id].high, span.high)
            }
        }
    }

    // MARK: - Inside

    private mutating func id(of signal: Int, _ signals: [SignalDefinition]) -> Int {
        if signal < idOfSignal.count { return idOfSignal[signal] }
        while idOfSignal.count <= signal { idOfSignal.append(id(named: signals[idOfSignal.count].inputID)) }
        return idOfSignal[signal]
    }

    private mutating func id(named name: String) -> Int {
        if let id = ids[name] { return id }
        let id = state.count
        ids[name] = id
        names.append(name)
        state.append(IDState())
        spans.append(SpanIndex())
        return id
    }

    /// Rows read again, their signals given this index's ids.
    private mutating func times(_ read: consuming TimeBlockReader.Values) -> TimeBlockTimes {
        let idOfLocal = read.inputIDs.map { id(named: $0) }
        var entries = read.entries
        for i in entries.indices { entries[i].id = Int32(idOfLocal[Int(entries[i].id)]) }
        return TimeBlockTimes(entries)
    }

    /// What a value is to its id's state: a second one in the row, taken (outside every range
    /// so far: new without looking further), or inside the range, to be looked up.
    private enum Mark {
        case again
        case taken(firstInBlock: Bool)
        case inside
    }

    /// Stamps the id with the row and, for a time outside its range, takes it: in one access.
    private static func mark(_ s: inout IDState, row: Int, time: Int64) -> Mark {
        if s.stamp == row { return .again }
        s.stamp = row
        guard time > s.high || time < s.low else { return .inside }
        return .taken(firstInBlock: widen(&s, time))
    }

    /// Widens the id's ranges (all values, the open block's) to `time`; true when it is the
    /// id's first value in the block.
    private static func widen(_ s: inout IDState, _ time: Int64) -> Bool {
        s.low = min(s.low, time)
        s.high = max(s.high, time)
        let first = s.blockLow == .max && s.blockHigh == .min
        s.blockLow = min(s.blockLow, time)
        s.blockHigh = max(s.blockHigh, time)
        return first
    }

    /// A time found new after a look-up: taken as `mark` takes one. `counted`: the block's value
    /// count is the caller's (a row adds its own at its end).
    private mutating func take(_ id: Int, _ time: Int64, line: Int, counted: Bool = false) {
        if Self.widen(&state[id], time) { open!.ids.append(id) }
        if !counted { open!.values += 1 }
        if open!.exact != nil { noteExact(id, time, line: line) }
    }

    /// The open block's exact times, for an input that cannot be read again (or once looked up).
    private mutating func noteExact(_ id: Int, _ time: Int64, line: Int) {
        if open!.exact![TimeKey(id: id, time: time)] == nil { open!.exact![TimeKey(id: id, time: time)] = line }
    }

    private mutating func clearBlockRange(_ id: Int) {
        state[id].blockLow = .max
        state[id].blockHigh = .min
    }

    /// Where (id, time) was first taken, looking at earlier blocks first; nil if it was not.
    /// `row`/`line`: the row being checked (a block read again may hold it: not a repeat of itself),
    /// `takenInRow`: ids this row already took (the open block's exact times, if made now, lack them).
    private mutating func firstOrigin(_ id: Int, _ time: Int64, row: Int, line: Int, takenInRow: [Int]) throws -> Origin? {
        let input = open!.block.input
        spans[id].blocks(holding: time, into: &hits)
        for index in hits {
            let times: TimeBlockTimes
            if let cached = cache.times(of: index) {
                times = cached
            } else {
                times = try self.times(reading.read(blocks[index]))
                cache.insert(index, times)
            }
            var hint = state[id].hintBlock == index ? state[id].hint : -1
            let found = times.first(id: id, time: time, hint: &hint)
            (state[id].hintBlock, state[id].hint) = (index, hint)
            if let first = found, !(blocks[index].input == input && first == line) {
                return Origin(input: blocks[index].input, line: first)
            }
        }
        guard state[id].blockLow <= time, time <= state[id].blockHigh else { return nil }
        if open!.exact == nil {
            var exact = try times(reading.read(open!.block)).dictionary
            for taken in takenInRow where exact[TimeKey(id: taken, time: time)] == nil { exact[TimeKey(id: taken, time: time)] = line }
            open!.exact = exact
        }
        return open!.exact![TimeKey(id: id, time: time)].map { Origin(input: input, line: $0) }
    }
}

/// A range of rows of one input, and how to read them again.
struct TimeBlock: Sendable, Equatable {
    var input: Int
    /// Where reading them again starts (nil: the input's beginning); rows before `firstRow`
    /// from there are skipped.
    var start: ResumePoint?
    var firstRow: Int
    var endRow: Int
    /// Rows in the range whose values were not sent (rejected as duplicates), as row ranges.
    var excluded: [Range<Int>] = []

    mutating func exclude(_ row: Int) {
        if let last = excluded.last, last.upperBound == row {
            excluded[excluded.count - 1] = last.lowerBound..<(row + 1)
        } else {
            excluded.append(row..<(row + 1))
        }
    }

    func isExcluded(_ row: Int) -> Bool {
        // Binary search: the ranges are in order.
        var lo = 0, hi = excluded.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if excluded[mid].upperBound <= row { lo = mid + 1 } else { hi = mid }
        }
        return lo < excluded.count && excluded[lo].contains(row)
    }
}

/// A block as the checkpoint records it: its rows and its signals' time ranges.
struct ClosedBlock: Sendable, Equatable {
    struct Range: Sendable, Equatable {
        var inputID: String
        var low: Int64
        var high: Int64
    }
    var block: TimeBlock
    var ranges: [Range]
}

struct TimeKey: Hashable {
    var id: Int
    var time: Int64
}
