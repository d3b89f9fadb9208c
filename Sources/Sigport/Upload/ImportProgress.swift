import Foundation

/// How far an import is, for the progress display and `--json` events: counts over the whole run
/// (all sessions), the current request rate and an estimate of the time left.
public struct ImportProgress: Sendable, Codable {
    public var rowsRead = 0
    public var rowsSent = 0
    public var rejected = 0
    public var filtered = 0
    /// Input bytes whose rows are done, of `bytesTotal` (a gzip input counts when it is finished).
    public var bytesDone: Int64 = 0
    public var bytesTotal: Int64 = 0
    /// Requests this session.
    public var requests = 0
    /// Requests per second, this session.
    public var requestsPerSecond = 0.0
    /// Seconds left at this session's rate; nil until it can be told.
    public var etaSeconds: Double?
}

/// Keeps `ImportProgress` up to date as chunks are acknowledged.
struct ProgressTracker {
    private var progress = ImportProgress()
    private let sizes: [String: Int64]
    private let gzip: Set<String>
    private var done: [String: Int64] = [:]
    private let started = ContinuousClock.now
    private let bytesAtStart: Int64

    init(inputs: [InputFile], records: [InputRecord]) {
        sizes = Dictionary(uniqueKeysWithValues: records.map { ($0.path, $0.size) })
        gzip = Set(inputs.filter(\.isGzip).map(\.path))
        progress.bytesTotal = records.reduce(0) { $0 + $1.size }
        for record in records {
            progress.rowsRead += record.rowsDone
            progress.rowsSent += record.mapped
            progress.rejected += record.rejected
            progress.filtered += record.filtered
        }
        for record in records { done[record.path] = Self.bytes(record.finished, record.byteOffsetDone, size: record.size, gzip: gzip.contains(record.path)) }
        progress.bytesDone = done.values.reduce(0, +)
        bytesAtStart = progress.bytesDone
    }

    private static func bytes(_ finished: Bool, _ offset: Int64, size: Int64, gzip: Bool) -> Int64 {
        finished ? size : gzip ? 0 : min(offset, size)
    }

    var current: ImportProgress { progress }

    /// Seconds left, and requests left at this session's requests per input byte.
    var remaining: (seconds: Double, requests: Int)? {
        let doneThisSession = progress.bytesDone - bytesAtStart
        let elapsed = started.duration(to: .now).seconds
        guard doneThisSession > 0, elapsed > 0, progress.bytesTotal > progress.bytesDone else { return nil }
        let left = Double(progress.bytesTotal - progress.bytesDone)
        return (left / (Double(doneThisSession) / elapsed), Int((left * Double(sessionRequests) / Double(doneThisSession)).rounded(.up)))
    }
    private var sessionRequests = 0

    /// This session's requests so far (the report counts a session's requests).
    mutating func requests(_ total: Int) {
        sessionRequests = total
        progress.requests = total
        let elapsed = started.duration(to: .now).seconds
        progress.requestsPerSecond = elapsed > 0 ? Double(total) / elapsed : 0
    }

    mutating func acknowledged(_ spans: [Checkpoint.ChunkSpan]) {
        for span in spans {
            let p = span.progress
            progress.rowsRead += p.rowsDone - span.firstRow
            progress.rowsSent += p.mapped
            progress.rejected += p.rejected
            progress.filtered += p.filtered
            done[span.input] = Self.bytes(p.finished, p.resume?.position.offset ?? 0, size: sizes[span.input] ?? 0, gzip: gzip.contains(span.input))
        }
        progress.bytesDone = done.values.reduce(0, +)
        progress.etaSeconds = remaining?.seconds
    }

}

extension Duration {
    /// The duration in seconds, for reports.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
