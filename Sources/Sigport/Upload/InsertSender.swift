import Foundation
import NIOCore
import SigportContract

/// What a session's requests did: sent, answered how, retried how often. Each request task keeps
/// its own and the importer adds them up, so concurrent requests share no mutable state.
struct ExchangeStats: Sendable {
    var requests: RequestPlan
    var httpStatuses: [String: Int] = [:]
    var retries = 0
    var secondsRetrying = 0.0

    init(limit: Int) { requests = RequestPlan(limit: limit) }

    mutating func add(_ other: ExchangeStats) {
        requests.add(other.requests)
        httpStatuses.merge(other.httpStatuses, uniquingKeysWith: +)
        retries += other.retries
        secondsRetrying += other.secondsRetrying
    }
}

/// The server refused a request for what it holds (JSON-RPC -32602, HTTP 400 or 413): the
/// importer splits it to find the rows at fault instead of stopping.
struct ContentRefusal: Error, Sendable {
    let message: String
}

/// A row of a request, light enough to keep for every row in flight: where to read it again
/// (for the reject file, should the server refuse it) and what it put in the frame.
struct FrameRowRef: Sendable {
    var input: Int32
    var values: Int32
    var time: Int64
    var line: Int
    var offset: Int64
}

/// Sends integration API requests: one until answered, retrying what the contract says may be
/// retried; an insert the server refuses for its content is split in halves (by time) until the
/// times at fault are isolated, their rows rejected with the server's message and the rest sent.
/// A value type with no mutable state, so that several requests can be in flight at once.
struct InsertSender: Sendable {
    let client: IntegrationClient
    let checkpoint: Checkpoint
    let options: ImportOptions
    let mapping: Mapping
    let inputs: [InputFile]
    let onEvent: @Sendable (Importer.Event) -> Void

    struct SignalsByInput: Decodable, Sendable {
        struct Summary: Decodable, Sendable { let id: String }
        let signalsByInput: [String: Summary]
    }

    /// What became of a chunk: its ledger (with the rows the server refused), the ids the server
    /// gave to signals, and the requests it took.
    struct Delivery: Sendable {
        var sequence: Int
        var chunkID: Int64?
        var ledger: ChunkLedger
        var signalIDs: [String: String] = [:]
        /// Signals whose metadata this chunk saved, with the ids the API gave.
        var saved: [SignalIDRecord] = []
        var stats: ExchangeStats
        /// What the API took of each signal: the chunk's values less those it refused.
        var series: [String: SeriesDigest] = [:]
        var rows = 0
        /// The requests it was planned to take.
        var planned = 0
    }

    func deliver(_ chunk: BuiltChunk, chunkID: Int64) async throws -> Delivery {
        var delivery = Delivery(sequence: chunk.sequence, chunkID: chunkID, ledger: chunk.ledger, stats: ExchangeStats(limit: options.maxRequestBytes))
        delivery.rows = chunk.ledger.rows
        delivery.planned = chunk.requests
        delivery.series = chunk.series
        for body in chunk.metadata.bodies {
            let result: SignalsByInput
            do {
                result = try await exchange(ByteBuffer(bytes: body), method: "integration.saveSignals", stats: &delivery.stats)
            } catch let refusal as ContentRefusal {
                throw SigportError(.rejectedByServer, refusal.message, hint: "Fix the signal's metadata in the mapping; the run resumes where it stopped.")
            }
            for var record in chunk.metadata.definitions {
                guard let summary = result.signalsByInput[record.inputID] else { continue }
                record.signalID = summary.id
                delivery.saved.append(record)
            }
        }
        try await send(chunk.body, times: chunk.times, rows: chunk.rows, into: &delivery)
        return delivery
    }

    private func send(_ body: ByteBuffer, times timeCount: Int, rows: [FrameRowRef], into delivery: inout Delivery) async throws {
        do {
            let result = try await exchange(body, method: "integration.insert", stats: &delivery.stats)
            for (inputID, summary) in result.signalsByInput { delivery.signalIDs[inputID] = summary.id }
            onEvent(.sent(method: "integration.insert", bytes: body.readableBytes, rows: rows.count))
        } catch let refusal as ContentRefusal {
            guard timeCount > 1 else {
                // One time, maybe several rows (of several inputs, or a long layout): by row.
                let again = try readAgain(rows)
                for row in again where row.values.isEmpty {
                    refuse(row.ref, raw: row.raw, values: [], message: refusal.message + " (and the row maps to no values when read again)", into: &delivery)
                }
                try await bisect(again.filter { !$0.values.isEmpty }[...], into: &delivery, refusal: refusal)
                return
            }
            let frame = try InsertFrameBuilder(decoding: body, limit: options.maxRequestBytes)
            let half = frame.times.count / 2
            for part in [0..<half, half..<frame.times.count] {
                let times = Set(frame.times[part])
                let subframe = frame.subframe(times: part)
                try await send(subframe.encodedBuffer(), times: subframe.times.count,
                               rows: rows.filter { times.contains($0.time) }, into: &delivery)
            }
        }
    }

    /// Rows of one time, sent in halves until each refused row is alone: rejected whole (none
    /// of its values sent), the others sent.
    private func bisect(_ rows: ArraySlice<(ref: FrameRowRef, raw: [UInt8], values: [(inputID: String, value: Double)])>,
                        into delivery: inout Delivery, refusal: ContentRefusal) async throws {
        guard rows.count > 1 else {
            if let row = rows.first { refuse(row.ref, raw: row.raw, values: row.values, message: refusal.message, into: &delivery) }
            return
        }
        let half = rows.startIndex + rows.count / 2
        for part in [rows[..<half], rows[half...]] {
            var frame = InsertFrameBuilder(integration: client.credentials.integration, requestID: delivery.sequence + 1, limit: options.maxRequestBytes)
            for row in part { _ = frame.add(time: row.ref.time, values: row.values) }
            do {
                let result = try await exchange(frame.encodedBuffer(), method: "integration.insert", stats: &delivery.stats)
                for (inputID, summary) in result.signalsByInput { delivery.signalIDs[inputID] = summary.id }
            } catch let again as ContentRefusal {
                try await bisect(part, into: &delivery, refusal: again)
            }
        }
    }

    /// The rows again, from their inputs (their raw bytes for the reject file, their values to
    /// send them one by one): only rows of a refused time are kept in memory this way.
    private func readAgain(_ rows: [FrameRowRef]) throws -> [(ref: FrameRowRef, raw: [UInt8], values: [(inputID: String, value: Double)])] {
        var mapper = RowMapper(mapping: mapping)
        var out: [(ref: FrameRowRef, raw: [UInt8], values: [(inputID: String, value: Double)])] = []
        // The mapper starts once per input, not per row: starting reads an `ambiguous: infer` input whole.
        var started: Int32?
        for row in rows {
            let input = inputs[Int(row.input)]
            var reader = try mapping.reader(for: input)
            if started != row.input {
                try mapper.start(file: input, fieldNames: reader.fieldNames)
                started = row.input
            }
            try reader.resume(at: ReadPosition(offset: row.offset, line: row.line))
            switch try reader.next() {
            case .row(let source):
                if case .mapped(let mapped) = mapper.map(source) {
                    out.append((row, source.raw, mapped.values.map { (mapper.signals[$0.signal].inputID, $0.value) }))
                } else {
                    out.append((row, source.raw, []))
                }
            case .problem(let problem): out.append((row, problem.raw, []))
            case nil: out.append((row, [], []))
            }
        }
        return out
    }

    /// A row the API refused: rejected, and its values (as read again) taken out of what the API holds.
    private func refuse(_ row: FrameRowRef, raw: [UInt8], values: [(inputID: String, value: Double)], message: String, into delivery: inout Delivery) {
        for value in values {
            var refused = SeriesDigest()
            refused.add(time: row.time, value: value.value)
            delivery.series[value.inputID]?.remove(refused)
        }
        let input = inputs[Int(row.input)].path
        let record = RejectRecord(input: input, line: row.line, column: nil, value: nil, rule: "server-refused",
                                  message: "the API refused this row's values: \(message)", raw: Data(raw))
        delivery.ledger.refused([record], values: [input: Int(row.values)])
        onEvent(.refused(rows: 1, message: message))
    }

    func exchange(_ body: ByteBuffer, method: String, stats: inout ExchangeStats) async throws -> SignalsByInput {
        try await RPCExchange(client: client, checkpoint: checkpoint, maxAttempts: options.maxAttempts, onEvent: onEvent)
            .exchange(body, method: method, stats: &stats)
    }
}

/// One integration API request until it is answered, shared by every job that writes to it.
struct RPCExchange: Sendable {
    let client: IntegrationClient
    let checkpoint: Checkpoint
    let maxAttempts: Int
    let onEvent: @Sendable (Importer.Event) -> Void

    /// One request until it is answered: retried with exponential backoff and jitter on 429,
    /// 5xx, JSON-RPC -32015/-32603/-32000 and dropped connections (both methods are idempotent,
    /// so a request whose answer was lost is simply sent again). A refusal of the content throws
    /// `ContentRefusal`; any other refusal is final.
    func exchange(_ body: ByteBuffer, method: String, stats: inout ExchangeStats) async throws -> InsertSender.SignalsByInput {
        try await RetryBackoff.run(method, maxAttempts: maxAttempts, gaveUp: "; the run is saved and resumes where it stopped.",
                                   hint: "Run the same command again once the API answers.", onRetry: { attempt, reason, wait in
            stats.retries += 1
            stats.secondsRetrying += wait
            onEvent(.retry(method: method, attempt: attempt, reason: reason))
        }) {
            stats.requests.add(method, size: body.readableBytes)
            try checkpoint.noteRequest()
            do {
                let answer = try await client.send(body, method: method, as: InsertSender.SignalsByInput.self)
                stats.httpStatuses[String(answer.status), default: 0] += 1
                if answer.status == 200, let result = answer.result { return .answered(result) }
                // A refused content is split by the sender; every other answer is read as any job's.
                if let error = answer.error, answer.status == 200, error.code == RPCErrorCode.invalidParams.rawValue {
                    throw ContentRefusal(message: "\(IntegrationClient.rejected(method, error))")
                }
                if answer.status == 400 || answer.status == 413 {
                    throw ContentRefusal(message: "HTTP \(answer.status)" + (answer.error.map { ": \($0.message)" } ?? ""))
                }
                return .retry(reason: try IntegrationClient.retryReason(method, status: answer.status, error: answer.error))
            } catch let error as SigportError where error.code == .unreachable {
                stats.httpStatuses["no answer", default: 0] += 1
                return .retry(reason: "no answer")
            }
        }
    }
}
