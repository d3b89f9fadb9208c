import Foundation

/// What a request's rows did besides being sent: per input they came from, their counts and the
/// progress they make; and the rows rejected among them. Recorded with the request's
/// acknowledgement, in one transaction.
struct ChunkLedger: Sendable {
    private(set) var spans: [Checkpoint.ChunkSpan]
    private(set) var rejects: [RejectRecord] = []
    /// Blocks of rows `DuplicateTimes` closed within the chunk, recorded with it.
    var blocks: [ClosedBlock] = []
    /// A value of the chunk replaces one sent earlier (`duplicates: keep-last`): it is sent
    /// only after every earlier request is answered, so that the API ends with it.
    var supersedes = false
    /// Per signal (input ID), how many of the chunk's values replace one sent earlier: `verify`
    /// expects the API to hold that many fewer than were sent.
    var replaced: [String: Int] = [:]

    init(input: String, firstRow: Int) {
        spans = [Checkpoint.ChunkSpan(input: input, firstRow: firstRow, progress: .init(rowsDone: firstRow))]
    }

    var firstInput: String { spans[0].input }
    var firstRow: Int { spans[0].firstRow }

    /// The counts of the input being read.
    var progress: Checkpoint.Progress {
        get { spans[spans.count - 1].progress }
        set { spans[spans.count - 1].progress = newValue }
    }

    /// Rows done in this chunk, over all its inputs.
    var rows: Int { spans.reduce(0) { $0 + $1.progress.rowsDone - $1.firstRow } }

    mutating func reject(_ record: RejectRecord) {
        rejects.append(record)
        progress.rejected += 1
    }

    /// The rows of the current input end here (`finished`: the input ended) and the next ones
    /// come from `input`, from its row `firstRow`.
    mutating func close(at point: ImportRows.Point, finished: Bool) {
        progress.rowsDone = point.row
        progress.resume = point.resume
        progress.blankLines = point.blankLines
        progress.read = point.read
        progress.finished = finished
    }

    mutating func open(input: String, firstRow: Int) {
        spans.append(Checkpoint.ChunkSpan(input: input, firstRow: firstRow, progress: .init(rowsDone: firstRow)))
    }

    /// Rows the server refused after they were counted as mapped: moved to the rejected count.
    mutating func refused(_ records: [RejectRecord], values: [String: Int]) {
        for record in records {
            guard let i = spans.firstIndex(where: { $0.input == record.input }) else { continue }
            spans[i].progress.mapped -= 1
            spans[i].progress.rejected += 1
            rejects.append(record)
        }
        for (input, count) in values {
            if let i = spans.firstIndex(where: { $0.input == input }) { spans[i].progress.values -= count }
        }
    }
}

/// An input as an import reads it: positioned past the rows the checkpoint records as done (by
/// seeking to the recorded point, not by parsing them again), handing on mapped rows and
/// recording problems, rejects and filtered rows in the ledger.
struct ImportRows {
    let input: InputFile
    /// The input's rows past those already done.
    private var stream: RowStream
    /// Rows read so far (outcomes, counted from the input's start).
    private(set) var row = 0
    /// Rows of the input rejected so far (earlier sessions included), for `--max-rejects`.
    private(set) var rejected: Int
    /// The last point where reading could continue, before and after the latest row.
    private(set) var before: ResumePoint?
    private(set) var after: ResumePoint?

    /// Where the input ended, once it has (its trailing blank lines counted).
    private var end: ReadPosition?
    /// What this session read of the input, recorded with each acknowledgement.
    private let digest = ContentDigest()

    /// The reading point after `row` rows, with the last resumable position at or before it,
    /// and the blank lines before that position.
    struct Point {
        var row: Int
        var resume: ResumePoint?
        var blankLines = 0
        /// The input's bytes this session read up to now (at least those of the rows done).
        var read: [ContentRun] = []
    }

    init(_ input: InputFile, mapping: Mapping, mapper: inout RowMapper, record: InputRecord) throws {
        self.input = input
        rejected = record.rejected
        var reader = try mapping.reader(for: input, digest: digest)
        try mapper.start(file: input, fieldNames: reader.fieldNames)
        if let point = record.resumePoint, point.row <= record.rowsDone {
            try reader.resume(at: point.position)
            row = point.row
            after = point
        }
        // Rows between the resume point and rowsDone (after a row no reader can stop inside,
        // such as one too long) were done too: read past them.
        while row < record.rowsDone, try reader.next() != nil {
            row += 1
            if let position = reader.position { after = ResumePoint(row: row, position: position) }
        }
        before = after
        stream = RowStream(reader, input: input)
    }

    /// Where the rows done so far end; `excludingLast`: the latest row is not done yet.
    func point(excludingLast: Bool = false) -> Point {
        excludingLast ? Point(row: row - 1, resume: before, blankLines: before?.position.blankLines ?? 0, read: digest.snapshot)
            : Point(row: row, resume: after, blankLines: end?.blankLines ?? after?.position.blankLines ?? 0, read: digest.snapshot)
    }

    enum Step {
        /// The row is valid until the next step (a flat row is a view of its batch).
        case mapped(MappedRow, RowRef)
        /// Rejected or filtered; already in the ledger.
        case recorded
    }

    /// The next row, nil at the end of the input; `duplicates` decides a mapped row's repeats.
    mutating func next(mapper: inout RowMapper, ledger: inout ChunkLedger, duplicates: inout DuplicateTimes?) throws -> Step? {
        before = after
        guard let item = try stream.next() else {
            end = stream.position
            return nil
        }
        row += 1
        if let position = stream.position { after = ResumePoint(row: row, position: position) }
        let source: RowRef
        switch item {
        case .outcome(.problem(let problem)):
            ledger.reject(RejectRecord(problem, input: input))
            rejected += 1
            return .recorded
        case .outcome(.row(let row)): source = .source(row)
        case .flat(let row): source = .flat(row)
        }
        switch mapper.map(source) {
        case .filtered: ledger.progress.filtered += 1
        case .rejected(let rejection):
            ledger.reject(RejectRecord(rejection, input: input))
            rejected += 1
        case .mapped(var mapped):
            guard duplicates != nil else { return .mapped(mapped, source) }
            if duplicates!.blockFull, let closed = duplicates!.closeBlock(endRow: row - 1, next: before) { ledger.blocks.append(closed) }
            switch try duplicates!.check(&mapped, row: row - 1, line: source.location.line, signals: mapper.signals) {
            case .new: break
            case .removed(let n):
                ledger.progress.duplicates += n
                // Removed values are counted here; the chunk counts those it sends.
                ledger.progress.values += n
            case .replaces(let signals):
                ledger.progress.duplicates += signals.count
                ledger.supersedes = true
                for signal in signals { ledger.replaced[mapper.signals[signal].inputID, default: 0] += 1 }
            case .reject(let value, let origin):
                ledger.reject(RejectRecord(duplicates!.rejection(of: value, at: mapped.time, from: origin, row: source, signals: mapper.signals), input: input))
                rejected += 1
                return .recorded
            }
            return .mapped(mapped, source)
        }
        return .recorded
    }

    /// A row too large for a request on its own: rejected, with the limit in the message.
    func tooLarge(_ source: RowRef, limit: Int) -> RejectRecord {
        RejectRecord(Rejection(location: source.location, column: nil, value: nil, rule: "request-too-large",
                               message: "this row alone makes a request over \(limit) bytes", raw: source.raw), input: input)
    }
}

/// All inputs of a run as one sequence of rows, so that a request packs rows of several inputs
/// (a thousand small files make full requests, not a thousand small ones). When an input ends,
/// its span in the ledger is closed as finished and the next input's begins.
struct InputCursor {
    private let mapping: Mapping
    private let pending: [(index: Int, input: InputFile, record: InputRecord)]
    private var next = 0
    private(set) var rows: ImportRows?
    /// Integration target: the (signal, time) pairs the run took, earlier sessions' included.
    private var duplicates: DuplicateTimes?

    init(mapping: Mapping, inputs: [InputFile], records: [InputRecord], duplicates: DuplicateTimes? = nil) {
        self.mapping = mapping
        pending = zip(inputs, records).enumerated().filter { !$0.element.1.finished }.map { ($0.offset, $0.element.0, $0.element.1) }
        self.duplicates = duplicates
    }

    /// Where the next chunk's ledger starts; nil when every input is done.
    mutating func startLedger(mapper: inout RowMapper) throws -> ChunkLedger? {
        if rows == nil { try openNext(mapper: &mapper) }
        guard let rows else { return nil }
        return ChunkLedger(input: rows.input.path, firstRow: rows.row)
    }

    /// The next row of any input; nil when all are read. Closes and opens spans as inputs end.
    mutating func step(mapper: inout RowMapper, ledger: inout ChunkLedger) throws -> ImportRows.Step? {
        while rows != nil {
            if let step = try rows!.next(mapper: &mapper, ledger: &ledger, duplicates: &duplicates) { return step }
            end(&ledger, at: rows!.point(), finished: true)
            rows = nil
            try openNext(mapper: &mapper)
            if let opened = rows { ledger.open(input: opened.input.path, firstRow: opened.row) }
        }
        return nil
    }

    /// The chunk's rows of the current input end at `point`: its ledger and the block of
    /// duplicate times close there. `carryingLast`: the latest row opens the next chunk.
    mutating func end(_ ledger: inout ChunkLedger, at point: ImportRows.Point, finished: Bool, carryingLast: Bool = false) {
        ledger.close(at: point, finished: finished)
        if let closed = duplicates?.closeBlock(endRow: point.row, next: point.resume, carryingLast: carryingLast) { ledger.blocks.append(closed) }
    }

    /// The latest row is not sent (too large for any request): its times are not taken.
    mutating func withdrawLast() { duplicates?.withdrawLast() }

    private mutating func openNext(mapper: inout RowMapper) throws {
        guard next < pending.count else { return }
        let (index, input, record) = pending[next]
        next += 1
        rows = try ImportRows(input, mapping: mapping, mapper: &mapper, record: record)
        duplicates?.startInput(index, from: record.resumePoint, firstRow: record.rowsDone)
    }
}
