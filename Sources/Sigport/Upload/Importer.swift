import Foundation
import NIOCore
import SigportContract

/// `sigport import` for the integration API: reads, maps and validates the inputs, packs values
/// into `integration.insert` requests under the size limit (rows of all inputs together), saves
/// signal metadata first, sends at the documented pace with retries — the next request built
/// while the current one is in flight, up to `maxInFlight` at once — and records everything in
/// the checkpoint so that a killed run resumes with nothing lost and nothing sent twice.
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
        /// At a stop: about how many requests and seconds (at this session's rate) the rest takes.
        public var remainingRequests: Int?
        public var remainingSeconds: Double?
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
        /// ox target, over all sessions of the run: creates that got no answer (lost, a 500, a
        /// kill in flight). The org holds at most `events + unanswered.events` events of the
        /// run; those sent again (`--in-doubt resend`) may exist twice.
        public var unanswered = UnansweredCreates()

        mutating func add(_ stats: ExchangeStats) {
            requests.add(stats.requests)
            httpStatuses.merge(stats.httpStatuses, uniquingKeysWith: +)
            retries += stats.retries
            secondsRetrying += stats.secondsRetrying
        }
    }

    public enum Event: Sendable {
        case resumed(rowsDone: Int)
        case sent(method: String, bytes: Int, rows: Int)
        case retry(method: String, attempt: Int, reason: String)
        /// The API refused the values of some rows (isolated by splitting the request): rejected.
        case refused(rows: Int, message: String)
        case progress(ImportProgress)
        /// ox: a create is sent again although the last send of it may have created its items.
        case resending(method: String, items: Int, cause: ResendCause)
    }

    /// Why an ox create is sent again.
    public enum ResendCause: String, Sendable {
        /// This session sent it and got no answer (a lost connection, a 500).
        case noAnswer = "no answer"
        /// An earlier session sent it and ended (killed) before the answer.
        case earlierSession = "earlier session"
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
    private let inputIndex: [String: Int32]
    private var nextSequence = 0
    /// A row that did not fit the last request: it opens the next one.
    private var carried: (ledger: ChunkLedger, time: Int64, values: [MappedValue], unmapped: Int, ref: FrameRowRef)?
    private var tracker: ProgressTracker?

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
        inputIndex = Dictionary(uniqueKeysWithValues: inputs.enumerated().map { ($1.path, Int32($0)) })
        report.requests = RequestPlan(limit: options.maxRequestBytes)
    }

    public func run() async throws -> Report {
        let started = ContinuousClock.now
        let (resumed, records) = try checkpoint.begin(mapping: mapping, inputs: inputs)
        report.resumed = resumed
        savedSignals = try checkpoint.signalIDs()
        tracker = ProgressTracker(inputs: inputs, records: records)
        if resumed { onEvent(.resumed(rowsDone: records.reduce(0) { $0 + $1.rowsDone })) }
        var duplicates = DuplicateTimes(policy: mapping.duplicates, reading: TimeBlockReader(mapping: mapping, inputs: inputs))
        duplicates.restore(try checkpoint.timeBlocks(inputs: inputs))
        var cursor = InputCursor(mapping: mapping, inputs: inputs, records: records, duplicates: duplicates)
        do {
            if records.contains(where: { !$0.finished }) { try await client.authorize() }
            try await pipeline(&cursor)
        } catch let stop as ImportStop {
            report.stopped = stop.reason
            if let left = tracker?.remaining {
                report.remainingRequests = left.requests
                report.remainingSeconds = left.seconds
            }
        }
        (report.files, report.total) = try checkpoint.totals()
        report.signals = try checkpoint.signalIDs().count
        report.secondsWaitingOnPace = (await client.pacing.waited).seconds
        let refusals = await client.pacing.refusals
        if refusals > 0 { report.httpStatuses["429", default: 0] += refusals }
        report.seconds = started.duration(to: .now).seconds
        if report.total.rejected > 0 {
            report.rejectsFile = try RejectsFile.write(directory: options.runDirectory, mapping: mapping, inputs: inputs, checkpoint: checkpoint)
        }
        return report
    }

    /// Builds chunks and hands them to request tasks, at most `maxInFlight` at once; the next
    /// chunk is built while the previous ones are in flight. Answers may come out of order, but
    /// chunks are acknowledged in the checkpoint in order (a later one waits for the earlier),
    /// so an input's progress only ever covers rows whose every request was answered.
    private func pipeline(_ cursor: inout InputCursor) async throws {
        let sender = InsertSender(client: client, checkpoint: checkpoint, options: options, mapping: mapping, inputs: inputs, onEvent: onEvent)
        try await withThrowingTaskGroup(of: InsertSender.Delivery.self) { group in
            var ordered = OrderedAcknowledgements()
            var inFlight = 0
            /// Requests the chunks in flight will send (metadata and values, retries aside).
            var plannedInFlight = 0
            func settle(_ delivery: InsertSender.Delivery) throws {
                inFlight -= 1
                plannedInFlight -= delivery.planned
                try acknowledge(ordered.ready(delivery))
            }
            do {
                while let chunk = try build(&cursor) {
                    if chunk.frame.isEmpty {
                        try acknowledge(ordered.ready(InsertSender.Delivery(sequence: chunk.sequence, ledger: chunk.ledger, stats: ExchangeStats(limit: options.maxRequestBytes))))
                    } else {
                        // A chunk replacing values sent earlier waits for them to be answered.
                        let room = chunk.ledger.supersedes ? 1 : options.maxInFlight
                        while inFlight >= room, let delivery = try await group.next() { try settle(delivery) }
                        var chunk = chunk
                        chunk.metadata = metadata(for: chunk.frame.keys)
                        try options.checkBudget(sent: report.requests.requests + plannedInFlight, next: chunk.requests)
                        for signal in chunk.metadata.definitions { savedSignals[signal.inputID] = signal }
                        let chunkID = try checkpoint.chunkSent(input: chunk.ledger.firstInput, method: "integration.insert",
                                                               rows: chunk.ledger.firstRow..<(chunk.ledger.firstRow + chunk.ledger.rows), bytes: chunk.frame.bytes)
                        chunk.seal(signals: mapper.signals)
                        let sending = chunk
                        group.addTask { try await sender.deliver(sending, chunkID: chunkID) }
                        inFlight += 1
                        plannedInFlight += chunk.requests
                    }
                    if let reason = chunk.stop { throw ImportStop(reason: reason) }
                }
            } catch let stop as ImportStop {
                // A clean stop: what is in flight is answered and recorded first.
                while let delivery = try await group.next() { try settle(delivery) }
                throw stop
            }
            while let delivery = try await group.next() { try settle(delivery) }
        }
    }

    /// Records answered chunks, in order, each in one transaction with its inputs' progress.
    private func acknowledge(_ deliveries: [InsertSender.Delivery]) throws {
        for delivery in deliveries {
            report.add(delivery.stats)
            var records = delivery.signalIDs.compactMap { inputID, id in
                savedSignals[inputID].map { SignalIDRecord(inputID: inputID, signalID: id, saveView: $0.saveView) }
            }
            records += delivery.saved
            try checkpoint.acknowledge(chunk: delivery.chunkID, spans: delivery.ledger.spans, rejects: delivery.ledger.rejects, signals: records,
                                       blocks: delivery.ledger.blocks.map { ($0, inputs[$0.block.input].path) },
                                       series: delivery.series, replaced: delivery.ledger.replaced)
            tracker?.requests(report.requests.requests)
            tracker?.acknowledged(delivery.ledger.spans)
            if let tracker { onEvent(.progress(tracker.current)) }
        }
    }

    /// The next request's rows: mapped rows packed into a frame until the next would not fit,
    /// across inputs; nil when every input is done.
    private func build(_ cursor: inout InputCursor) throws -> BuiltChunk? {
        var chunk: BuiltChunk
        if let carried {
            self.carried = nil
            chunk = BuiltChunk(sequence: nextSequence, ledger: carried.ledger, frame: newFrame())
            let added = chunk.add(time: carried.time, values: carried.values, unmapped: carried.unmapped, ref: carried.ref, signals: mapper.signals)
            precondition(added, "a row that fits an empty request did not")
        } else {
            guard let ledger = try cursor.startLedger(mapper: &mapper) else { return nil }
            chunk = BuiltChunk(sequence: nextSequence, ledger: ledger, frame: newFrame())
        }
        nextSequence += 1
        while let step = try cursor.step(mapper: &mapper, ledger: &chunk.ledger) {
            guard let rows = cursor.rows else { continue }
            if case .mapped(let mapped, let source) = step {
                let values = mapped.values
                let ref = FrameRowRef(input: inputIndex[rows.input.path] ?? 0, values: Int32(values.count), time: mapped.time,
                                      line: source.location.line, offset: source.location.byteOffset)
                if !chunk.add(time: mapped.time, values: values, unmapped: mapped.unmapped, ref: ref, signals: mapper.signals) {
                    var empty = newFrame()
                    if !empty.add(time: mapped.time, values: values, name: { mapper.signals[$0].inputID }) {
                        chunk.ledger.reject(rows.tooLarge(source, limit: options.maxRequestBytes))
                        cursor.withdrawLast()
                    } else {
                        // The row opens the next request.
                        cursor.end(&chunk.ledger, at: rows.point(excludingLast: true), finished: false, carryingLast: true)
                        carried = (ChunkLedger(input: rows.input.path, firstRow: rows.row - 1), mapped.time, values, mapped.unmapped, ref)
                        return chunk
                    }
                }
            }
            if let limit = options.maxRejects, limit.exceeded(rejected: rows.rejected, read: rows.row, final: false) {
                cursor.end(&chunk.ledger, at: rows.point(), finished: false)
                chunk.stop = "more than \(limit) rows of \(rows.input.path) rejected"
                return chunk
            }
        }
        return chunk
    }

    private func newFrame() -> InsertFrameBuilder {
        InsertFrameBuilder(integration: client.credentials.integration, requestID: nextSequence + 1, limit: options.maxRequestBytes)
    }

    /// The metadata to save before values are sent to these signals: those not saved yet (or
    /// changed). Sent by the chunk's own task, first; recorded with its acknowledgement.
    private func metadata(for signals: [Int]) -> SignalMetadata {
        let definitions = signals.map { mapper.signals[$0] }
            .filter { savedSignals[$0.inputID]?.saveView != SaveSignalsBodies.saveView($0, version: client.version) }
        guard !definitions.isEmpty else { return SignalMetadata() }
        return SignalMetadata(bodies: SaveSignalsBodies.make(definitions, integration: client.credentials.integration, version: client.version, limit: options.maxRequestBytes, firstID: nextSequence),
                              definitions: definitions.map { SignalIDRecord(inputID: $0.inputID, signalID: "", saveView: SaveSignalsBodies.saveView($0, version: client.version)) })
    }
}

/// `integration.saveSignals` bodies, and the signals they save (ids still unknown).
struct SignalMetadata: Sendable {
    var bodies: [[UInt8]] = []
    var definitions: [SignalIDRecord] = []
}

/// The rows of one request: their frame, the ledger of what they did, and what a split needs.
struct BuiltChunk: Sendable {
    let sequence: Int
    var ledger: ChunkLedger
    var frame: InsertFrameBuilder
    /// The encoded frame, once sealed: what a request in flight holds.
    private(set) var body = ByteBuffer()
    /// The frame's times, kept when it is sealed (a refused request of one time is split by row).
    private(set) var times = 0
    var rows: [FrameRowRef] = []
    /// What the frame gives each signal, by catalog index while rows are added and by input
    /// ID once sealed: recorded with the acknowledgement, for `sigport verify`.
    private var digests: [SeriesDigest] = []
    private(set) var series: [String: SeriesDigest] = [:]
    var metadata = SignalMetadata()
    /// Stop the run after this chunk (the reject limit was passed).
    var stop: String?

    init(sequence: Int, ledger: ChunkLedger, frame: InsertFrameBuilder) {
        self.sequence = sequence
        self.ledger = ledger
        self.frame = frame
    }

    /// Requests the chunk takes: its metadata, then its values.
    var requests: Int { metadata.bodies.count + 1 }

    /// Encodes the frame and lets it go: a request in flight holds its body (one copy, reused by
    /// every attempt) and its row references, not the frame's per-value texts, which take about
    /// twice the body's size. A refused body is decoded again to be split (rare).
    mutating func seal(signals catalog: [SignalDefinition]) {
        body = frame.encodedBuffer()
        times = frame.times.count
        for (signal, digest) in digests.enumerated() where digest.count > 0 { series[catalog[signal].inputID] = digest }
        digests = []
        frame = InsertFrameBuilder(integration: frame.integration, requestID: frame.requestID, limit: frame.limit)
    }

    /// Adds a mapped row if it fits; false when it would pass the limit.
    mutating func add(time: Int64, values: [MappedValue], unmapped: Int, ref: FrameRowRef, signals catalog: [SignalDefinition]) -> Bool {
        guard frame.add(time: time, values: values, name: { catalog[$0].inputID }) else { return false }
        for value in values {
            if value.signal >= digests.count { digests += repeatElement(SeriesDigest(), count: value.signal + 1 - digests.count) }
            digests[value.signal].add(time: time, value: value.value)
        }
        ledger.progress.mapped += 1
        ledger.progress.values += values.count
        ledger.progress.unmapped += unmapped
        rows.append(ref)
        return true
    }
}

/// Hands out answered requests in the order they were built, holding back those answered early.
struct OrderedAcknowledgements {
    private var next = 0
    private var waiting: [Int: InsertSender.Delivery] = [:]

    mutating func ready(_ delivery: InsertSender.Delivery) -> [InsertSender.Delivery] {
        waiting[delivery.sequence] = delivery
        var out: [InsertSender.Delivery] = []
        while let first = waiting.removeValue(forKey: next) {
            out.append(first)
            next += 1
        }
        return out
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
