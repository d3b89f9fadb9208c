import Foundation

/// Reads a block of rows again and maps them, for the exact times `DuplicateTimes` does not
/// keep: the rows' mapping is deterministic, so mapping them again gives the values they gave.
final class TimeBlockReader {
    let mapping: Mapping
    let inputs: [InputFile]
    /// One mapper for every block of an input, started once: starting reads an `ambiguous:
    /// infer` input whole.
    private var mapper: RowMapper
    private var started: Int?
    private var readable: [Int: Bool] = [:]

    /// The values of a block's rows: each with its signal (`id`: an index into `inputIDs`), time
    /// and line, in the shape the block's times are kept in, so that they are not copied.
    struct Values {
        var inputIDs: [String]
        var entries: [TimeBlockTimes.Entry]
    }

    init(mapping: Mapping, inputs: [InputFile]) {
        self.mapping = mapping
        self.inputs = inputs
        mapper = RowMapper(mapping: mapping)
    }

    /// Whether input `index` can be read again: a plain file (gzip included), not standard
    /// input, a pipe or a device.
    func canReadAgain(_ index: Int) -> Bool {
        if let known = readable[index] { return known }
        let input = inputs[index]
        var info = stat()
        let plain = !input.isStandardInput && stat(input.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        readable[index] = plain
        return plain
    }

    /// The values of `block`'s rows that were sent (its excluded rows skipped).
    func read(_ block: TimeBlock) throws -> Values {
        let input = inputs[block.input]
        var reader = try mapping.reader(for: input)
        if started != block.input {
            try mapper.start(file: input, fieldNames: reader.fieldNames)
            started = block.input
        }
        var row = 0
        if let start = block.start {
            try reader.resume(at: start.position)
            row = start.row
        }
        var entries: [TimeBlockTimes.Entry] = []
        // The mapper as a local while the block is read: through the class's property, each
        // row's map copied its template caches.
        var mapper = self.mapper
        defer { self.mapper = mapper }
        while row < block.endRow, let outcome = try reader.next() {
            defer { row += 1 }
            guard row >= block.firstRow, case .row(let source) = outcome, !block.isExcluded(row),
                  case .mapped(let mapped) = mapper.map(source) else { continue }
            for value in mapped.values {
                entries.append(TimeBlockTimes.Entry(time: mapped.time, id: Int32(value.signal), line: source.location.line))
            }
        }
        return Values(inputIDs: mapper.signals.map(\.inputID), entries: entries)
    }
}

/// A block's values, sorted by signal, time and line: the first line of a (signal, time) is
/// found by binary search.
struct TimeBlockTimes {
    struct Entry {
        var time: Int64
        var id: Int32
        var line: Int
    }

    private let entries: [Entry]

    /// Sorted in place: a block read again holds a few hundred thousand entries, and a sorted
    /// copy beside them would add that much to the peak.
    init(_ entries: consuming [Entry]) {
        entries.sort { ($0.id, $0.time, $0.line) < ($1.id, $1.time, $1.line) }
        self.entries = entries
    }

    init(_ exact: [TimeKey: Int]) {
        self.init(exact.map { Entry(time: $0.key.time, id: Int32($0.key.id), line: $0.value) })
    }

    /// Bytes held, for the cache's budget.
    var bytes: Int { entries.count * MemoryLayout<Entry>.stride }

    /// The first line with a value of `id` at `time`. `hint`: where the last look-up of this
    /// id in this block ended, or -1; set to where this one ends. A signal's times are mostly
    /// looked up in order, so the search gallops from the hint (a few steps) rather than
    /// bisecting the whole block (about 19 for a block of ten signals).
    func first(id: Int, time: Int64, hint: inout Int) -> Int? {
        let key = (Int32(id), time)
        var lo = 0, hi = entries.count
        if hint >= 0, hint < entries.count, (entries[hint].id, entries[hint].time) < key {
            lo = hint + 1
            var step = 1
            while lo + step < hi, (entries[lo + step].id, entries[lo + step].time) < key {
                lo += step + 1
                step *= 2
            }
            hi = min(hi, lo + step + 1)
        }
        defer { hint = lo }
        while lo < hi {
            let mid = (lo + hi) / 2
            if (entries[mid].id, entries[mid].time) < key { lo = mid + 1 } else { hi = mid }
        }
        guard lo < entries.count, entries[lo].id == key.0, entries[lo].time == time else { return nil }
        return entries[lo].line
    }

    /// As a dictionary, for a block still growing: (id, time) → first line.
    var dictionary: [TimeKey: Int] {
        var out: [TimeKey: Int] = [:]
        out.reserveCapacity(entries.count)
        for entry in entries where out[TimeKey(id: Int(entry.id), time: entry.time)] == nil {
            out[TimeKey(id: Int(entry.id), time: entry.time)] = entry.line
        }
        return out
    }
}

/// Blocks' exact times read again, kept while they fit a byte budget (the least recently used
/// dropped first); those of inputs that cannot be read again are pinned and never dropped.
struct TimeBlockCache {
    let budget: Int
    private var held: [Int: (times: TimeBlockTimes, used: Int, pinned: Bool)] = [:]
    private var bytes = 0
    private var clock = 0

    init(budget: Int) { self.budget = budget }

    /// The block looked up last, which the next look-up asks for again nearly always (values
    /// of one stretch of time fall in one block): found without hashing, its use not restamped.
    private var last: (block: Int, times: TimeBlockTimes)?

    mutating func times(of block: Int) -> TimeBlockTimes? {
        if let last, last.block == block { return last.times }
        guard let entry = held[block] else { return nil }
        clock += 1
        held[block]!.used = clock
        last = (block, entry.times)
        return entry.times
    }

    mutating func insert(_ block: Int, _ times: TimeBlockTimes) {
        // The block served as `last` was in use up to now.
        if let last { clock += 1; held[last.block]?.used = clock }
        clock += 1
        held[block] = (times, clock, false)
        bytes += times.bytes
        while bytes > budget, let oldest = held.filter({ !$0.value.pinned && $0.key != block }).min(by: { $0.value.used < $1.value.used }) {
            bytes -= oldest.value.times.bytes
            held[oldest.key] = nil
            if last?.block == oldest.key { last = nil }
        }
    }

    mutating func pin(_ block: Int, _ times: TimeBlockTimes) {
        held[block] = (times, 0, true)
    }
}
