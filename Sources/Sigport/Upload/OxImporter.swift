import Foundation
import NIOCore
import NIOHTTP1
import SigportContract

/// `sigport import` for the ox API: maps rows to events, creates the sensors and beacons they
/// name (once each, ids kept in the checkpoint), then creates the events in `POST /event` array
/// bodies under the size limit, recording every created event's id in the checkpoint's ledger.
///
/// ox creates are not idempotent: a `POST /event` whose answer was lost (dropped connection, HTTP
/// 500) may or may not have created its events. Such a chunk is marked `inDoubt`, and
/// `Options.inDoubt` decides: send it again (duplicates possible), skip it (its events counted as
/// in doubt), or stop (the default) so that someone can check before deciding.
public final class OxImporter {
    public typealias Options = ImportOptions

    public typealias Report = Importer.Report
    public typealias Event = Importer.Event

    let mapping: Mapping
    let inputs: [InputFile]
    let client: OxClient
    let org: String
    let orgNumber: Int64
    let options: Options
    let checkpoint: Checkpoint
    let onEvent: @Sendable (Event) -> Void
    private var mapper: RowMapper
    private var report = Report()
    /// kind → canonical fields → id.
    private var entityIDs: [String: [String: String]] = [:]

    public init(mapping: Mapping, inputs: [InputFile], client: OxClient, options: Options,
                onEvent: @escaping @Sendable (Event) -> Void = { _ in }) throws {
        guard mapping.target == .ox, mapping.ox != nil else {
            throw SigportError(.invalidArgument, "This mapping targets the integration API: load it with Importer.")
        }
        guard let number = Int64(client.org.org) else {
            throw SigportError(.credentials, "The ox org \(client.org.org) is not an entity id (a positive integer).")
        }
        self.mapping = mapping
        self.inputs = inputs
        self.client = client
        self.org = client.org.org
        self.orgNumber = number
        self.options = options
        self.checkpoint = try Checkpoint(directory: options.runDirectory)
        self.onEvent = onEvent
        self.mapper = RowMapper(mapping: mapping)
        report.requests = RequestPlan(limit: options.maxRequestBytes)
    }

    /// Which org of the credentials a mapping loads into: its `ox.org`, else the first.
    public static func org(for mapping: Mapping, in credentials: OxCredentials) throws -> OxCredentials.Org {
        if let wanted = mapping.ox?.org {
            guard let org = credentials.orgs.first(where: { $0.org == wanted }) else {
                throw SigportError(.credentials, "The credentials file has no client for org \(wanted), which the mapping names.")
            }
            return org
        }
        guard let first = credentials.orgs.first else { throw SigportError(.credentials, "The credentials file lists no ox org.") }
        return first
    }

    public func run() async throws -> Report {
        let started = ContinuousClock.now
        let (resumed, records) = try checkpoint.begin(mapping: mapping, inputs: inputs)
        report.resumed = resumed
        try checkpoint.markUnansweredInDoubt()
        entityIDs = try checkpoint.oxEntityIDs()
        if resumed { onEvent(.resumed(rowsDone: records.reduce(0) { $0 + $1.rowsDone })) }
        do {
            let open = try checkpoint.inDoubtCounts()
            if open.openChunks > 0 && options.inDoubt == .stop { throw ImportStop(reason: "in doubt") }
            for (input, record) in zip(inputs, records) where !record.finished {
                try await load(input, from: record)
            }
        } catch let stop as ImportStop {
            report.stopped = stop.reason
        }
        (report.files, report.total) = try checkpoint.totals()
        let ids = try checkpoint.oxEntityIDs()
        report.sensors = ids["sensor"]?.count ?? 0
        report.beacons = ids["beacon"]?.count ?? 0
        report.events = try checkpoint.oxEvents().count
        report.unanswered = try checkpoint.unansweredOxCreates()
        let doubt = try checkpoint.inDoubtCounts()
        (report.inDoubtChunks, report.inDoubtEvents, report.undecidedChunks, report.undecidedEvents) = doubt
        if report.stopped == "in doubt" {
            report.stopped = "\(doubt.openChunks) request(s) creating \(doubt.openEvents) events got no answer and may or may not have created them;"
                + " check the org, then run again with --in-doubt resend (send them again: duplicates if they were created) or --in-doubt skip (leave them as they are)"
        }
        report.secondsWaitingOnPace = await client.pacer.waited.seconds
        let refusals = await client.pacer.refusals
        if refusals > 0 { report.httpStatuses["429", default: 0] += refusals }
        report.seconds = started.duration(to: .now).seconds
        if report.total.rejected > 0 {
            report.rejectsFile = try RejectsFile.write(directory: options.runDirectory, mapping: mapping, inputs: inputs, checkpoint: checkpoint)
        }
        return report
    }

    /// The rows since the last acknowledged request: their events, rejects and counts.
    struct PendingChunk {
        var ledger: ChunkLedger
        var events: [MappedEvent] = []
        var times: [Int64] = []
        /// `[` and `]`, then each entry and its comma (an estimate; see `entrySize`).
        var bytes = 2
    }

    /// An estimate of an event's entry size (ids up to 19 digits), to close a chunk before its
    /// body can pass the limit; the body itself is built and checked byte by byte when sent.
    private func entrySize(_ event: MappedEvent, time: Int64) -> Int {
        OxEventBatchBuilder.event(org: orgNumber, sensor: Int64.max, beacon: event.beacon == nil ? nil : Int64.max,
                                  type: event.eventType, reading: event.reading, timestampMilliseconds: Self.milliseconds(time)).count
    }

    /// Microseconds to the whole milliseconds `event_timestamp` holds (towards the past); the
    /// planner sizes its bodies with it too.
    static func milliseconds(_ microseconds: Int64) -> Int64 {
        microseconds >= 0 ? microseconds / 1000 : -((-microseconds + 999) / 1000)
    }

    private func load(_ input: InputFile, from record: InputRecord) async throws {
        var rows = try ImportRows(input, mapping: mapping, mapper: &mapper, record: record)
        // A chunk of an earlier session whose answer was lost: its rows are rebuilt and decided on.
        var doubt = try checkpoint.inDoubtChunks(input: input.path).first { $0.rows.upperBound > rows.row }
        if doubt != nil && options.inDoubt == .stop { throw ImportStop(reason: "in doubt") }
        var chunk = PendingChunk(ledger: ChunkLedger(input: input.path, firstRow: rows.row))
        // ox events are told apart by id, not by time: no duplicate times to find.
        var duplicates: DuplicateTimes?
        while let step = try rows.next(mapper: &mapper, ledger: &chunk.ledger, duplicates: &duplicates) {
            if case .mapped(let mapped, let source) = step {
                let size = mapped.events.reduce(0) { $0 + 1 + entrySize($1, time: mapped.time) }
                if chunk.bytes + size > options.maxRequestBytes {
                    if chunk.events.isEmpty {
                        chunk.ledger.reject(rows.tooLarge(source, limit: options.maxRequestBytes))
                        continue
                    }
                    try await send(&chunk, at: rows.point(excludingLast: true), doubt: &doubt)
                }
                chunk.bytes += size
                chunk.events += mapped.events
                chunk.times += Array(repeating: mapped.time, count: mapped.events.count)
                chunk.ledger.progress.mapped += 1
                chunk.ledger.progress.values += mapped.events.count
                chunk.ledger.progress.unmapped += mapped.unmapped
            }
            if let doubtful = doubt, rows.row == doubtful.rows.upperBound {
                try await send(&chunk, at: rows.point(), doubt: &doubt)
            }
            if let limit = options.maxRejects, limit.exceeded(rejected: rows.rejected, read: rows.row, final: false) {
                try await send(&chunk, at: rows.point(), doubt: &doubt)
                throw ImportStop(reason: "more than \(limit) rows of \(input.path) rejected")
            }
        }
        try await send(&chunk, at: rows.point(), finished: true, doubt: &doubt)
    }

    /// Creates the chunk's sensors and beacons not created yet, then its events; records them.
    private func send(_ chunk: inout PendingChunk, at point: ImportRows.Point, finished: Bool = false,
                      doubt: inout (id: Int64, rows: Range<Int>, events: Int)?) async throws {
        let input = chunk.ledger.firstInput
        let endRow = point.row
        var ledger: [OxEventRecord] = []
        var chunkID: Int64?
        var answered: String?
        var skipped = false
        // The rebuilt rows of an in-doubt chunk of an earlier session.
        let redo = doubt.flatMap { $0.rows.lowerBound < endRow ? $0 : nil }
        if redo != nil { doubt = nil }
        if !chunk.events.isEmpty {
            if redo != nil, options.inDoubt == .skip {
                skipped = true
            } else {
                if let redo { onEvent(.resending(method: "POST /event", items: redo.events, cause: .earlierSession)) }
                try await createEntities(kind: "sensor", Set(chunk.events.map(\.sensor)).sorted(), catalog: mapper.sensors)
                try await createEntities(kind: "beacon", Set(chunk.events.compactMap(\.beacon)).sorted(), catalog: mapper.beacons)
                var batch = OxEventBatchBuilder(limit: options.maxRequestBytes)
                var rows: [OxEventRecord] = []
                for (event, time) in zip(chunk.events, chunk.times) {
                    let sensor = entityIDs["sensor"]![key(mapper.sensors[event.sensor])]!
                    let beacon = event.beacon.map { entityIDs["beacon"]![key(mapper.beacons[$0])]! }
                    let ms = Self.milliseconds(time)
                    let added = batch.addEvent(org: orgNumber, sensor: Int64(sensor)!, beacon: beacon.map { Int64($0)! },
                                               type: event.eventType, reading: event.reading, timestampMilliseconds: ms)
                    precondition(added, "an ox event chunk was sized over the limit")
                    rows.append(OxEventRecord(id: "", org: org, sensor: sensor, beacon: beacon, type: event.eventType, timestampMs: ms, reading: event.reading))
                }
                let body = batch.encode()
                try checkBudget()
                if let redo {
                    chunkID = redo.id
                    try checkpoint.setChunk(redo.id, state: .sent, bytes: body.count, events: rows.count)
                } else {
                    chunkID = try checkpoint.oxChunkSent(input: input, method: "POST /event", rows: chunk.ledger.firstRow..<endRow, bytes: body.count, events: rows.count)
                }
                switch try await create(body, path: "event", count: rows.count, chunk: chunkID) {
                case .created(let ids, let create):
                    answered = create
                    ledger = zip(rows, ids).map { row, id in var row = row; row.id = id; return row }
                    // The rows whose events the request carries: not those of its range rejected or filtered.
                    onEvent(.sent(method: "POST /event", bytes: body.count, rows: chunk.ledger.spans.reduce(0) { $0 + $1.progress.mapped }))
                case .inDoubt:
                    skipped = true
                }
            }
        }
        chunk.ledger.close(at: point, finished: finished)
        // Skipped: left in doubt, the rows are done (their events may exist), the chunk stays inDoubt.
        try checkpoint.acknowledgeOx(chunk: skipped ? nil : chunkID, answered: answered, spans: chunk.ledger.spans,
                                     rejects: chunk.ledger.rejects, events: skipped ? [] : ledger)
        chunk = PendingChunk(ledger: ChunkLedger(input: input, firstRow: endRow))
    }

    /// The canonical JSON of an entity's rendered fields: its key in the checkpoint.
    private func key(_ entity: EntityDefinition) -> String {
        "{" + entity.fields.sorted { $0.key < $1.key }.map { JSONText.string($0.key) + ":" + JSONText.string($0.value) }.joined(separator: ",") + "}"
    }

    private func createEntities(kind: String, _ indices: [Int], catalog: [EntityDefinition]) async throws {
        var seen = Set<String>()
        let missing = indices.map { catalog[$0] }.filter { entityIDs[kind]?[key($0)] == nil && seen.insert(key($0)).inserted }
        guard !missing.isEmpty else { return }
        var done = 0
        for body in OxEntityBodies.make(missing, org: orgNumber, limit: options.maxRequestBytes) {
            let count = ((try? JSONSerialization.jsonObject(with: Data(body))) as? [Any])?.count ?? 0
            // The ids the create gave, and its `OxCreateRecord` to mark answered with them.
            var created: (ids: [String], mark: String)?
            while created == nil {
                try checkBudget()
                if case .created(let ids, let mark) = try await create(body, path: kind, count: count, chunk: nil) {
                    created = (ids, mark)
                    continue
                }
                // ox cannot list an org's sensors or beacons (creating one adds it to no IdMap), so a
                // lost answer cannot be looked up: with --in-doubt stop, stop; else create them again.
                guard options.inDoubt != .stop else {
                    throw SigportError(.unreachable, "POST /\(kind) got no answer: the \(count) \(kind)(s) it held may or may not have been created.",
                                       hint: "Run again with --in-doubt resend to create them again (any created the first time stay unused: ox cannot list them).")
                }
                onEvent(.resending(method: "POST /\(kind)", items: count, cause: .noAnswer))
            }
            let records = zip(missing[done..<(done + count)], created!.ids).map { OxEntityIDRecord(kind: kind, key: key($0), id: $1) }
            try checkpoint.saveOxEntities(records, answered: created!.mark)
            for record in records { entityIDs[kind, default: [:]][record.key] = record.id }
            done += count
        }
    }

    private func checkBudget() throws { try options.checkBudget(sent: report.requests.requests) }

    /// `created` names the create's `OxCreateRecord`, to be marked answered with what it made.
    enum Outcome { case created([String], answered: String); case inDoubt }

    struct CreateAnswer: Decodable {
        struct IDs: Decodable { let ids: [String] }
        let data: IDs
    }

    /// One create until answered. 429 and 503 (refused before any work) and other 5xx answered
    /// before the request was read are retried; a lost answer or a 500 makes the request in doubt
    /// and `Options.inDoubt` decides (resend retries it, skip and stop give up on it). Each
    /// attempt is recorded as it leaves (`OxCreateRecord`), so that whatever a killed session
    /// sent counts among the unanswered creates.
    private func create(_ body: [UInt8], path: String, count: Int, chunk: Int64?) async throws -> Outcome {
        try await RetryBackoff.run("POST /\(path)", maxAttempts: options.maxAttempts, gaveUp: "; the run is saved and resumes where it stopped.",
                                   hint: "Run the same command again once the API answers.", onRetry: { attempt, reason, wait in
            report.retries += 1
            report.secondsRetrying += wait
            onEvent(.retry(method: "POST /\(path)", attempt: attempt, reason: reason))
        }) {
            report.requests.add("POST /\(path)", size: body.count)
            try checkpoint.noteRequest()
            let reason: String
            let doubtful: Bool
            let (checkpoint, mark) = (checkpoint, OxCreateRecord(method: "POST /\(path)", items: count))
            do {
                let (status, data) = try await client.request(.POST, path, body: ByteBuffer(bytes: body)) { try checkpoint.oxCreateLeaving(mark) }
                report.httpStatuses[String(status), default: 0] += 1
                if status == 200 || status == 201 {
                    guard let answer = try? JSONDecoder().decode(CreateAnswer.self, from: data), answer.data.ids.count == count else {
                        throw SigportError(.unexpectedResponse, "POST /\(path) answered without \(count) ids.")
                    }
                    return .answered(.created(answer.data.ids, answered: mark.id))
                }
                // 429, 503 and 4xx refuse before any work; another 5xx may come after it.
                if status < 500 || status == 503 { try checkpoint.oxCreateRefused(mark.id) }
                guard status == 429 || status >= 500 else {
                    throw SigportError(.rejectedByServer, "POST /\(path) got HTTP \(status).",
                                       hint: String(data: data.prefix(300), encoding: .utf8).map { "Server: \($0)" })
                }
                reason = "HTTP \(status)"
                doubtful = status != 429 && status != 503
            } catch let error as SigportError where error.code == .unreachable {
                report.httpStatuses["no answer", default: 0] += 1
                reason = "no answer"
                doubtful = true
            }
            if doubtful {
                if let chunk { try checkpoint.setChunk(chunk, state: .inDoubt) }
                switch (chunk, options.inDoubt) {
                case (nil, _): return .answered(.inDoubt)
                case (_, .stop): throw ImportStop(reason: "in doubt")
                case (_, .skip): return .answered(.inDoubt)
                case (_, .resend):
                    if let chunk {
                        try checkpoint.setChunk(chunk, state: .sent)
                        onEvent(.resending(method: "POST /\(path)", items: count, cause: .noAnswer))
                    }
                }
            }
            return .retry(reason: reason)
        }
    }
}
