import Foundation
import SigportContract

/// `sigport import` for the integration API: reads, maps and validates the inputs, packs values
/// into `integration.insert` requests under the size limit, saves signal metadata first, sends at
/// the documented pace with retries, and records everything in the checkpoint so that a killed
/// run resumes with nothing lost and nothing sent twice.
public final class Importer {
    public typealias Options = ImportOptions

    public struct Report: Codable, Sendable {
        public var total = MappingRun.Counts()
        public var files: [MappingRun.FileReport] = []
        public var signals = 0
        public var requests = RequestPlan(limit: 0)
        public var httpStatuses: [String: Int] = [:]
        public var retries = 0
        public var secondsWaitingOnPace = 0.0
        public var secondsRetrying = 0.0
        public var seconds = 0.0
        public var resumed = false
        /// Why the run stopped before the end (budget, deadline, reject limit), if it did.
        public var stopped: String?
        public var rejectsFile: String?
        /// ox target: sensors, beacons and events created (over all sessions of the run).
        public var sensors = 0
        public var beacons = 0
        public var events = 0
        /// ox target: creates whose answer was lost, skipped (left in doubt) and still undecided.
        public var inDoubtChunks = 0
        public var inDoubtEvents = 0
        public var undecidedChunks = 0
        public var undecidedEvents = 0
    }

    public enum Event: Sendable {
        case resumed(rowsDone: Int)
        case sent(method: String, bytes: Int, rows: Int, requestsSoFar: Int)
        case retry(method: String, attempt: Int, reason: String)
    }

    let mapping: Mapping
    let inputs: [InputFile]
    let client: IntegrationClient
    let options: Options
    let checkpoint: Checkpoint
    let onEvent: @Sendable (Event) -> Void
    private var mapper: RowMapper
    private var report = Report()
    private var savedSignals: [String: SignalIDRecord] = [:]
    private var nextRequestID = 1

    public init(mapping: Mapping, inputs: [InputFile], client: IntegrationClient, options: Options,
                onEvent: @escaping @Sendable (Event) -> Void = { _ in }) throws {
        guard mapping.target == .integration else {
            throw SigportError(.invalidArgument, "This mapping targets the ox API: load it with OxImporter.")
        }
        self.mapping = mapping
        self.inputs = inputs
        self.client = client
        self.options = options
        self.checkpoint = try Checkpoint(directory: options.runDirectory)
        self.onEvent = onEvent
        self.mapper = RowMapper(mapping: mapping)
        report.requests = RequestPlan(limit: options.maxRequestBytes)
    }

    public func run() async throws -> Report {
        let started = ContinuousClock.now
        let (resumed, records) = try checkpoint.begin(mapping: mapping, inputs: inputs)
        report.resumed = resumed
        savedSignals = try checkpoint.signalIDs()
        if resumed { onEvent(.resumed(rowsDone: records.reduce(0) { $0 + $1.rowsDone })) }
        do {
            for (input, record) in zip(inputs, records) where !record.finished {
                try await load(input, from: record)
            }
        } catch let stop as ImportStop {
            report.stopped = stop.reason
        }
        (report.files, report.total) = try checkpoint.totals()
        report.signals = try checkpoint.signalIDs().count
        report.secondsWaitingOnPace = Double(await client.pacer.waited.components.seconds) + Double(await client.pacer.waited.components.attoseconds) / 1e18
        report.seconds = Double(started.duration(to: .now).components.seconds) + Double(started.duration(to: .now).components.attoseconds) / 1e18
        if report.total.rejected > 0 { report.rejectsFile = try writeRejects() }
        return report
    }

    /// One input: skip what the checkpoint says is done, then map, pack and send the rest.
    private func load(_ input: InputFile, from record: InputRecord) async throws {
        var rows = try ImportRows(input, mapping: mapping, mapper: &mapper, rowsDone: record.rowsDone)
        var chunk = PendingChunk(ledger: ChunkLedger(firstRow: rows.row), frame: newFrame())
        while let step = try rows.next(mapper: &mapper, ledger: &chunk.ledger) {
            if case .mapped(let mapped, let source) = step {
                let values = mapped.values.map { (mapper.signals[$0.signal].inputID, $0.value) }
                if !chunk.frame.add(time: mapped.time, values: values) {
                    try await send(&chunk, input: input, endRow: rows.row - 1, offset: rows.offset)
                    if !chunk.frame.add(time: mapped.time, values: values) {
                        chunk.ledger.reject(rows.tooLarge(source, limit: options.maxRequestBytes))
                        continue
                    }
                }
                chunk.ledger.progress.mapped += 1
                chunk.ledger.progress.values += values.count
                chunk.signals.formUnion(values.map(\.0))
            }
            if let limit = options.maxRejects, limit.exceeded(rejected: record.rejected + chunk.ledger.progress.rejected, read: rows.row, final: false) {
                try await send(&chunk, input: input, endRow: rows.row, offset: rows.offset)
                throw ImportStop(reason: "more than \(limit) rows of \(input.path) rejected")
            }
        }
        try await send(&chunk, input: input, endRow: rows.row, offset: rows.offset, finished: true)
    }

    /// The rows since the last acknowledged request: their frame, rejects and counts.
    struct PendingChunk {
        var ledger: ChunkLedger
        var frame: InsertFrameBuilder
        var signals: Set<String> = []
    }

    private func newFrame() -> InsertFrameBuilder {
        defer { nextRequestID += 1 }
        return InsertFrameBuilder(integration: client.credentials.integration, requestID: nextRequestID, limit: options.maxRequestBytes)
    }

    /// Sends the chunk's metadata and values, then records it done, and starts the next chunk.
    private func send(_ chunk: inout PendingChunk, input: InputFile, endRow: Int, offset: Int64, finished: Bool = false) async throws {
        var signalRecords: [SignalIDRecord] = []
        var chunkID: Int64?
        if !chunk.frame.isEmpty {
            try await saveSignals(chunk.signals)
            try checkBudget()
            let body = chunk.frame.encode()
            chunkID = try checkpoint.chunkSent(input: input.path, method: "integration.insert", rows: chunk.ledger.firstRow..<endRow, bytes: body.count)
            let result = try await exchange(body, method: "integration.insert")
            signalRecords = result.signalsByInput.compactMap { inputID, summary in
                savedSignals[inputID].map { SignalIDRecord(inputID: inputID, signalID: summary.id, saveView: $0.saveView) }
            }
            onEvent(.sent(method: "integration.insert", bytes: body.count, rows: endRow - chunk.ledger.firstRow, requestsSoFar: report.requests.requests))
        }
        chunk.ledger.progress.rowsDone = endRow
        chunk.ledger.progress.byteOffsetDone = offset
        chunk.ledger.progress.finished = finished
        try checkpoint.acknowledge(chunk: chunkID, input: input.path, progress: chunk.ledger.progress, rejects: chunk.ledger.rejects, signals: signalRecords)
        chunk = PendingChunk(ledger: ChunkLedger(firstRow: endRow), frame: newFrame())
    }

    /// Saves the metadata of signals not saved yet (or changed), before values are sent to them.
    private func saveSignals(_ inputIDs: Set<String>) async throws {
        let definitions = mapper.signals.filter { inputIDs.contains($0.inputID) }
            .filter { savedSignals[$0.inputID]?.saveView != SaveSignalsBodies.saveView($0) }
        guard !definitions.isEmpty else { return }
        for body in SaveSignalsBodies.make(definitions, integration: client.credentials.integration, limit: options.maxRequestBytes, firstID: nextRequestID) {
            nextRequestID += 1
            try checkBudget()
            let result = try await exchange(body, method: "integration.saveSignals")
            var records: [SignalIDRecord] = []
            for definition in definitions {
                guard let summary = result.signalsByInput[definition.inputID] else { continue }
                let record = SignalIDRecord(inputID: definition.inputID, signalID: summary.id, saveView: SaveSignalsBodies.saveView(definition))
                savedSignals[definition.inputID] = record
                records.append(record)
            }
            try checkpoint.saveSignals(records)
        }
    }

    private func checkBudget() throws { try options.checkBudget(requestsSoFar: report.requests.requests) }

    struct SignalsByInput: Decodable, Sendable {
        struct Summary: Decodable, Sendable { let id: String }
        let signalsByInput: [String: Summary]
    }

    /// One request until it is answered: retried with exponential backoff and jitter on 5xx,
    /// JSON-RPC -32015/-32603/-32000 and dropped connections (both methods are idempotent, so a
    /// request whose answer was lost is simply sent again); any other refusal is final.
    private func exchange(_ body: [UInt8], method: String) async throws -> SignalsByInput {
        var attempt = 0
        while true {
            attempt += 1
            report.requests.add(method, size: body.count)
            try checkpoint.noteRequest()
            let reason: String
            do {
                let answer = try await client.send(body, method: method, as: SignalsByInput.self)
                report.httpStatuses[String(answer.status), default: 0] += 1
                if answer.status == 200, let result = answer.result { return result }
                if let error = answer.error, answer.status == 200, !(RPCErrorCode(rawValue: error.code)?.isRetryable ?? false) {
                    throw IntegrationClient.rejected(method, error)
                }
                guard answer.status >= 500 || answer.status == 429 || answer.status == 200 else {
                    throw SigportError(.rejectedByServer, "\(method) got HTTP \(answer.status).", hint: answer.error.map { "Server: \($0.message)" })
                }
                reason = answer.error.map { "JSON-RPC \($0.code)" } ?? "HTTP \(answer.status)"
            } catch let error as SigportError where error.code == .unreachable {
                report.httpStatuses["no answer", default: 0] += 1
                reason = "no answer"
            }
            guard attempt < options.maxAttempts else {
                throw SigportError(.unreachable, "\(method) failed \(attempt) times (last: \(reason)); the run is saved and resumes where it stopped.",
                                   hint: "Run the same command again once the API answers.")
            }
            report.retries += 1
            onEvent(.retry(method: method, attempt: attempt, reason: reason))
            let backoff = RetryBackoff.seconds(afterAttempt: attempt)
            report.secondsRetrying += backoff
            try await RetryBackoff.sleep(seconds: backoff)
        }
    }

    private func writeRejects() throws -> String {
        try RejectsFile.write(directory: options.runDirectory, mapping: mapping, inputs: inputs, checkpoint: checkpoint)
    }
}

extension RejectRecord {
    init(_ rejection: Rejection, input: InputFile) {
        self.init(input: input.path, line: rejection.location.line, column: rejection.column, value: rejection.value,
                  rule: rejection.rule, message: rejection.message, raw: Data(rejection.raw))
    }

    init(_ problem: RowProblem, input: InputFile) {
        self.init(input: input.path, line: problem.location.line, column: problem.column, value: nil,
                  rule: problem.rule, message: problem.message, raw: Data(problem.raw))
    }
}

extension ReadOutcome {
    var location: RowLocation {
        switch self {
        case .row(let row): row.location
        case .problem(let problem): problem.location
        }
    }
}
