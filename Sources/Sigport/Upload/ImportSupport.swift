import Foundation
import SigportContract

/// What an ox create whose answer was lost becomes on the next attempt (the integration API's
/// methods are idempotent and always resend).
public enum InDoubtPolicy: String, Sendable, CaseIterable { case resend, skip, stop }

/// The options of an import, for either API.
public struct ImportOptions: Sendable {
    public var runDirectory: URL
    /// The largest request body: the integration API's 1.1 limit less sigport's margin unless
    /// set (the CLI sets the declared version's, or ox's 9 MiB).
    public var maxRequestBytes = IntegrationClient.requestLimit(.v1_1)
    public var maxRejects: RejectLimit?
    /// Stop cleanly after this many requests (a quota), resumable.
    public var maxRequests: Int?
    /// Stop cleanly at this time (a maintenance window), resumable.
    public var deadline: Date?
    public var maxAttempts = 8
    /// Integration API: requests in flight at once (still paced); they overlap only when one takes
    /// longer than the pace's interval. ox creates go one at a time (they are not idempotent).
    public var maxInFlight = 2
    /// ox only: see `InDoubtPolicy`.
    public var inDoubt = InDoubtPolicy.stop

    public init(runDirectory: URL) { self.runDirectory = runDirectory }

    /// Throws `ImportStop` when the request budget or the deadline is used up.
    /// Stops before a step that would pass `--max-requests` (`sent` so far in this run, `next`
    /// for the step: a chunk whose signals need their metadata saved takes two) or `--deadline`.
    func checkBudget(sent: Int, next: Int = 1) throws {
        if let maxRequests, sent + next > maxRequests {
            throw ImportStop(reason: sent >= maxRequests ? "the request budget of \(maxRequests) is used"
                             : "the next step takes \(next) requests (its signals' metadata, then its values) and the request budget of \(maxRequests) has \(maxRequests - sent) left")
        }
        if let deadline, Date() >= deadline { throw ImportStop(reason: "the deadline passed") }
    }
}

/// Ends an import cleanly and resumably; the reason goes into the report.
struct ImportStop: Error { let reason: String }

/// How every job repeats a request the API did not answer: with exponential backoff and jitter,
/// up to a number of attempts.
enum RetryBackoff {
    /// What one attempt came to: the answer, or why it is worth trying again.
    enum Attempt<T> {
        case answered(T)
        case retry(reason: String)
    }

    /// Runs `attempt` until it answers, at most `maxAttempts` times, waiting between tries;
    /// `onRetry` hears of each retry, its reason and the wait. After the last try it throws
    /// "`request` failed N times (last: reason)`gaveUp`", with `hint`. Errors `attempt` throws
    /// end the loop as they are.
    static func run<T>(_ request: String, maxAttempts: Int, gaveUp: String = ".", hint: String,
                       onRetry: (_ attempt: Int, _ reason: String, _ wait: Double) -> Void = { _, _, _ in },
                       _ attempt: () async throws -> Attempt<T>) async throws -> T {
        var number = 0
        while true {
            number += 1
            let reason: String
            switch try await attempt() {
            case .answered(let answer): return answer
            case .retry(let why): reason = why
            }
            guard number < maxAttempts else {
                throw SigportError(.unreachable, "\(request) failed \(number) times (last: \(reason))\(gaveUp)", hint: hint)
            }
            let wait = seconds(afterAttempt: number)
            onRetry(number, reason, wait)
            try await sleep(seconds: wait)
        }
    }

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
