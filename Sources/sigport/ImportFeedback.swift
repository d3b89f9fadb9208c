import Foundation
import Sigport
import Synchronization

/// What an import shows while it runs, on standard error: on a terminal one status line redrawn
/// in place (rows, bytes, requests, rejects, req/s, ETA); otherwise a log line per request and a
/// progress line every 10 s; with `--json`, one JSON object per event.
final class ImportFeedback: Sendable {
    enum Mode: Sendable { case terminal, log, json }

    let mode: Mode
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var drawn = false
    }
    private let state = Mutex(State())

    init(json: Bool, terminal: Bool = isatty(STDERR_FILENO) == 1) {
        mode = json ? .json : terminal ? .terminal : .log
    }

    func handle(_ event: Importer.Event) {
        switch (event, mode) {
        case (.progress(let progress), .json):
            write(Self.json(progress))
        case (.progress(let progress), .terminal):
            draw(Self.status(progress), every: .milliseconds(200))
        case (.progress(let progress), .log):
            draw(Self.status(progress), every: .seconds(10))
        case (.sent, .terminal):
            break
        default:
            write(Self.line(event, json: mode == .json))
        }
    }

    /// Clears the status line before the summary is printed.
    func finish() {
        state.withLock { state in
            if state.drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            state.drawn = false
        }
    }

    func write(_ line: String) {
        state.withLock { state in
            let clear = state.drawn ? "\r\u{1B}[K" : ""
            state.drawn = false
            FileHandle.standardError.write(Data((clear + line + "\n").utf8))
        }
    }

    /// The status line, redrawn on a terminal, else logged as a `progress:` line; at most once an `interval`.
    func draw(_ status: String, every interval: Duration) {
        state.withLock { state in
            let now = ContinuousClock.now
            if let last = state.lastDraw, last.duration(to: now) < interval { return }
            state.lastDraw = now
            if mode == .terminal {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + status).utf8))
                state.drawn = true
            } else {
                FileHandle.standardError.write(Data(("progress: " + status + "\n").utf8))
            }
        }
    }

    static func status(_ p: ImportProgress) -> String {
        let share = p.bytesTotal > 0 ? Double(p.bytesDone) / Double(p.bytesTotal) * 100 : 100
        var parts = [
            "\(p.rowsRead) rows (\(p.rowsSent) sent, \(p.rejected) rejected, \(p.filtered) filtered)",
            String(format: "%@ of %@ (%.0f%%)", bytes(p.bytesDone), bytes(p.bytesTotal), share),
            String(format: "%d requests, %.2f req/s", p.requests, p.requestsPerSecond),
        ]
        if let eta = p.etaSeconds { parts.append("ETA " + duration(eta)) }
        return parts.joined(separator: " · ")
    }

    static func bytes(_ count: Int64) -> String {
        count >= 1 << 30 ? String(format: "%.2f GB", Double(count) / 1e9)
            : count >= 1 << 20 ? String(format: "%.1f MB", Double(count) / 1e6) : String(format: "%.1f kB", Double(count) / 1e3)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }

    /// A progress event as one JSON line: the value's fields after `"event":"progress"` (import and migrate alike).
    static func json(_ progress: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = (try? encoder.encode(progress)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return #"{"event":"progress",\#(body.dropFirst())"#
    }

    static func line(_ event: Importer.Event, json: Bool) -> String {
        switch event {
        case .resumed(let rows):
            json ? #"{"event":"resumed","rowsDone":\#(rows)}"# : "resuming: \(rows) rows were done"
        case .sent(let method, let bytes, let rows):
            json ? #"{"event":"sent","method":"\#(method)","bytes":\#(bytes),"rows":\#(rows)}"#
                : "sent \(method): \(rows) rows, \(bytes) bytes"
        case .retry(let method, let attempt, let reason):
            json ? #"{"event":"retry","method":"\#(method)","attempt":\#(attempt),"reason":"\#(reason)"}"#
                : "retrying \(method) (attempt \(attempt) failed: \(reason))"
        case .refused(let rows, let message):
            json ? #"{"event":"refused","rows":\#(rows),"message":\#(jsonString(message))}"#
                : "the API refused \(rows) row(s), rejected: \(message)"
        case .progress(let progress):
            json ? Self.json(progress) : "progress: " + status(progress)
        case .resending(let method, let items, let cause):
            json ? #"{"event":"resend","method":"\#(method)","items":\#(items),"cause":"\#(cause.rawValue)"}"#
                : "sending \(method) again (\(items) items; \(cause == .noAnswer ? "its answer was lost" : "an earlier session got no answer"): they may now exist twice)"
        }
    }

    private static func jsonString(_ text: String) -> String {
        (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
