import Foundation
import SigportContract

/// What an ox create whose answer was lost becomes on the next attempt (the integration API's
/// methods are idempotent and always resend).
public enum InDoubtPolicy: String, Sendable, CaseIterable { case resend, skip, stop }

/// The options of an import, for either API.
public struct ImportOptions: Sendable {
    public var runDirectory: URL
    public var maxRequestBytes = IntegrationContract.maxRequestBytes
    public var maxRejects: RejectLimit?
    /// Stop cleanly after this many requests (a quota), resumable.
    public var maxRequests: Int?
    /// Stop cleanly at this time (a maintenance window), resumable.
    public var deadline: Date?
    public var maxAttempts = 8
    /// ox only: see `InDoubtPolicy`.
    public var inDoubt = InDoubtPolicy.stop

    public init(runDirectory: URL) { self.runDirectory = runDirectory }

    /// Throws `ImportStop` when the request budget or the deadline is used up.
    func checkBudget(requestsSoFar: Int) throws {
        if let maxRequests, requestsSoFar >= maxRequests { throw ImportStop(reason: "the request budget of \(maxRequests) is used") }
        if let deadline, Date() >= deadline { throw ImportStop(reason: "the deadline passed") }
    }
}

/// Ends an import cleanly and resumably; the reason goes into the report.
struct ImportStop: Error { let reason: String }

/// Helpers both importers (integration and ox) use.
enum RetryBackoff {
    /// Exponential backoff with jitter: 0.5 s doubling per attempt, up to 30 s, times 0.5...1.
    static func seconds(afterAttempt attempt: Int) -> Double {
        min(30.0, 0.5 * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1.0)
    }

    static func sleep(seconds: Double) async throws {
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
    }
}

enum RejectsFile {
    /// `rejects.jsonl` and the per-input reject files, from the checkpoint (so a resumed run lists
    /// each rejected row once). Returns the log's path.
    static func write(directory: URL, mapping: Mapping, inputs: [InputFile], checkpoint: Checkpoint) throws -> String {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("rejects"))
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("rejects.jsonl"))
        let writer = RejectWriter(directory: directory)
        let byPath = Dictionary(uniqueKeysWithValues: inputs.map { ($0.path, $0) })
        var headers: [String: [UInt8]?] = [:]
        for record in try checkpoint.rejects() {
            guard let input = byPath[record.input] else { continue }
            if headers[input.path] == nil {
                headers[input.path] = mapping.source.format == .csv && mapping.source.csv.header
                    ? CSVWriter.line(try mapping.reader(for: input).fieldNames, dialect: mapping.source.csv) : nil
            }
            try writer.write(Rejection(location: RowLocation(file: record.input, line: record.line, byteOffset: 0), column: record.column, value: record.value,
                                       rule: record.rule, message: record.message, raw: [UInt8](record.raw)), input: input, header: headers[input.path] ?? nil)
        }
        return writer.logURL.path
    }
}

/// What a request's rows did besides being sent: their counts and rejects, recorded with the
/// request's acknowledgement.
struct ChunkLedger {
    var firstRow: Int
    var progress = Checkpoint.Progress(rowsDone: 0, byteOffsetDone: 0)
    var rejects: [RejectRecord] = []

    mutating func reject(_ record: RejectRecord) {
        rejects.append(record)
        progress.rejected += 1
    }
}

/// An input as an import reads it: positioned past the rows the checkpoint records as done,
/// handing on mapped rows and recording problems, rejects and filtered rows in the ledger.
struct ImportRows {
    let input: InputFile
    private var reader: any RowReader
    /// Rows read so far (1-based count of outcomes), and the offset of the last one.
    private(set) var row = 0
    private(set) var offset: Int64 = 0

    init(_ input: InputFile, mapping: Mapping, mapper: inout RowMapper, rowsDone: Int) throws {
        self.input = input
        reader = try mapping.reader(for: input)
        try mapper.start(file: input, fieldNames: reader.fieldNames)
        // Rows before rowsDone were sent and acknowledged (or rejected, or filtered): read past them.
        while row < rowsDone, let outcome = try reader.next() {
            row += 1
            offset = outcome.location.byteOffset
        }
    }

    enum Step {
        case mapped(MappedRow, SourceRow)
        /// Rejected or filtered; already in the ledger.
        case recorded
    }

    /// The next row, nil at the end of the input.
    mutating func next(mapper: inout RowMapper, ledger: inout ChunkLedger) throws -> Step? {
        guard let outcome = try reader.next() else { return nil }
        row += 1
        offset = outcome.location.byteOffset
        switch outcome {
        case .problem(let problem):
            ledger.reject(RejectRecord(problem, input: input))
        case .row(let source):
            switch mapper.map(source) {
            case .filtered: ledger.progress.filtered += 1
            case .rejected(let rejection): ledger.reject(RejectRecord(rejection, input: input))
            case .mapped(let mapped): return .mapped(mapped, source)
            }
        }
        return .recorded
    }

    /// A row too large for a request on its own: rejected, with the limit in the message.
    func tooLarge(_ source: SourceRow, limit: Int) -> RejectRecord {
        RejectRecord(Rejection(location: source.location, column: nil, value: nil, rule: "request-too-large",
                               message: "this row alone makes a request over \(limit) bytes", raw: source.raw), input: input)
    }
}
