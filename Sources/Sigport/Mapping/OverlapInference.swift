import Foundation

/// `ambiguous: infer`: which of its two instants a local time in a DST overlap is, decided by
/// the order of a file's rows, as pandas' `tz_localize(ambiguous="infer")` decides it. A log
/// written through the night clocks fall back reads 02:00 … 02:59, then 02:00 … 02:59 again:
/// the rows before the clock goes back are the earlier offset (CEST), those after it the later
/// (CET). Whether a row is before or after can only be known once the overlap has ended, so the
/// file's timestamps are read once before its rows are mapped; only the rows inside overlaps
/// are remembered, by byte offset.
///
/// Each series is decided on its own: the rows naming the same signals (the same values of the
/// fields the input IDs, or the ox sensor and beacon, are made of, and of a long layout's id
/// field), since two devices in one file each go through the overlap.
struct OverlapInference: Sendable {
    enum Choice: Sendable, Equatable {
        case earlier, later
        /// The series passes through the overlap once: nothing says which pass it was.
        case noRepeat
        /// The series goes back more than once in the overlap: its order is not a clock's.
        case outOfOrder
    }

    private var choices: [Int64: Choice] = [:]

    /// No overlap rows: every policy but `infer`.
    init() {}

    func choice(atByte offset: Int64) -> Choice? { choices[offset] }

    /// Reads `input`'s timestamps (and series fields) and decides each overlap row's instant.
    static func scan(_ input: InputFile, mapping: Mapping) throws -> OverlapInference {
        guard !input.isStandardInput else {
            throw SigportError(.invalidArgument, "ambiguous: infer reads each input twice (once to see where the clocks go back), which standard input cannot be.",
                               hint: "Save the input to a file first, or choose ambiguous: earlier, later or reject in \(mapping.file).")
        }
        let reader = try mapping.reader(for: input)
        let index = Dictionary(reader.fieldNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let rules = FieldRules(mapping.source, index: index)
        let parser = TimestampParser(mapping.source.timestamp)
        let seriesFields = mapping.seriesFields
        var rows = RowStream(reader, input: input)
        var inference = OverlapInference()
        var open: [String: [Passage]] = [:]
        while let item = try rows.next() {
            let context: RowContext, offset: Int64
            switch item {
            case .outcome(.problem): continue
            case .outcome(.row(let row)): context = RowContext(values: row.values, rules: rules); offset = row.location.byteOffset
            case .flat(let row): context = RowContext(flat: row, rules: rules); offset = row.location.byteOffset
            }
            let series = seriesFields.map { context.text($0) ?? "" }.joined(separator: "\u{1F}")
            let time = context.value(mapping.source.timestamp.field)
            if case .failure(.ambiguous(let earlier, _)) = parser.microseconds(time) {
                // A row a day away from the open run's first belongs to another overlap.
                if let first = open[series]?.first, abs(first.earlier - earlier) > 86_400_000_000 {
                    inference.decide(open.removeValue(forKey: series)!)
                }
                open[series, default: []].append(Passage(offset: offset, earlier: earlier))
            } else if let run = open.removeValue(forKey: series) {
                inference.decide(run)
            }
        }
        for run in open.values { inference.decide(run) }
        return inference
    }

    /// An overlap row: where it is, and its earlier instant (which orders the wall times).
    private struct Passage {
        var offset: Int64
        var earlier: Int64
    }

    /// A series' consecutive overlap rows: the clock may go back once (not at all, and nothing
    /// says which offset; more than once, and it is not a clock).
    private mutating func decide(_ run: [Passage]) {
        let backs = run.indices.dropFirst().filter { run[$0].earlier <= run[$0 - 1].earlier }
        for (i, passage) in run.enumerated() {
            let choice: Choice
            switch backs.count {
            case 0: choice = .noRepeat
            case 1: choice = i < backs[0] ? .earlier : .later
            default: choice = .outOfOrder
            }
            choices[passage.offset] = choice
        }
    }
}

extension Mapping {
    /// The fields whose values say which signals (or ox sensor and beacon) a row is for.
    var seriesFields: [String] {
        var fields = Set<String>()
        if let id = long?.idField { fields.insert(id) }
        for signal in signals { fields.formUnion(signal.inputID.fields) }
        if let ox {
            for template in Array(ox.sensor.values) + (ox.beacon.map { Array($0.values) } ?? []) { fields.formUnion(template.fields) }
        }
        return fields.sorted()
    }
}
