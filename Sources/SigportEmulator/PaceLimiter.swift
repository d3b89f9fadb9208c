/// The documented rate limit, per credential: a request is accepted only if it arrived at least
/// `interval` (less `tolerance`) apart from each of that credential's accepted requests.
///
/// Arrival is when the request's head arrived, before its body was read: how long a body takes
/// to transfer does not move it. Requests on concurrent connections may be judged out of order,
/// so the nearest accepted arrival on either side counts, not only the latest.
///
/// Refused requests do not move the window, so a client that retries after `Retry-After` is
/// served. The decision is a pure function of the instants given, so it is tested without sleeping.
struct PaceWindow: Sendable {
    let interval: Duration
    let tolerance: Duration
    /// The latest accepted arrivals per credential (a few: out-of-order judging spans little).
    private var accepted: [String: [ContinuousClock.Instant]] = [:]

    init(interval: Duration, tolerance: Duration) {
        self.interval = interval
        self.tolerance = tolerance
    }

    enum Decision: Equatable, Sendable {
        case accept
        /// Refused; the credential may try again after this long.
        case refuse(retryAfter: Duration)
    }

    mutating func admit(_ credential: String, at now: ContinuousClock.Instant) -> Decision {
        var arrivals = accepted[credential] ?? []
        for earlier in arrivals {
            let apart = earlier < now ? earlier.duration(to: now) : now.duration(to: earlier)
            if apart < interval - tolerance {
                return .refuse(retryAfter: interval - apart)
            }
        }
        arrivals.append(now)
        if arrivals.count > 16 { arrivals.removeFirst(arrivals.count - 16) }
        accepted[credential] = arrivals
        return .accept
    }
}

/// The shared, mutable pace state of a running emulator.
actor PaceLimiter {
    private var window: PaceWindow
    init(interval: Duration, tolerance: Duration) { window = PaceWindow(interval: interval, tolerance: tolerance) }
    func admit(_ credential: String, arrivedAt arrival: ContinuousClock.Instant) -> PaceWindow.Decision { window.admit(credential, at: arrival) }
}
