import Foundation
import NIOHTTP1

/// Sends requests at the pace, and when the server still answers 429, pauses the pace for its
/// `Retry-After` (seconds or an HTTP date) and sends again, a bounded number of times.
struct PacedExchange: Sendable {
    let pacer: Pacer<ContinuousClock>
    var maxAttempts = 6

    func send(_ attempt: @Sendable () async throws -> HTTPTransport.Reply) async throws -> HTTPTransport.Reply {
        for _ in 1..<maxAttempts {
            try await pacer.waitForTurn()
            pacer.leaving()
            let reply: HTTPTransport.Reply
            do { reply = try await attempt() } catch {
                await pacer.connectionLost()
                throw error
            }
            await pacer.answered()
            guard reply.status == 429 else { return reply }
            await pacer.refused(retryAfter: RetryAfter.delay(reply.headers.first(name: "Retry-After")) ?? pacer.interval)
        }
        try await pacer.waitForTurn()
        pacer.leaving()
        return try await attempt()
    }

    /// `send`, also retried with backoff on 5xx and on connections that failed or dropped: for
    /// requests that change nothing (token fetches), which every other step waits on. The last
    /// answer or error stands after `attempts`.
    func sendRetryingFailures(attempts: Int = 6, _ attempt: @Sendable () async throws -> HTTPTransport.Reply) async throws -> HTTPTransport.Reply {
        for number in 1... {
            do {
                let reply = try await send(attempt)
                guard reply.status >= 500, number < attempts else { return reply }
            } catch let error as SigportError where error.code == .unreachable && number < attempts {}
            try await RetryBackoff.sleep(seconds: RetryBackoff.seconds(afterAttempt: number))
        }
        fatalError("unreachable: the loop returns or throws")
    }
}

enum RetryAfter {
    /// `Retry-After: 3` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT` as a delay from `now`.
    static func delay(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1000)))
    }
}
