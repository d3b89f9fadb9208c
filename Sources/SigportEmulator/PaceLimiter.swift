/// The documented rate limit, per credential: a request is accepted only if at least `interval`
/// (less `tolerance`) passed since that credential's last accepted request.
///
/// Refused requests do not move the window, so a client that retries after `Retry-After` is
/// served. The decision is a pure function of the instants given, so it is tested without sleeping.
struct PaceWindow: Sendable {
    let interval: Duration
    let tolerance: Duration
    private var lastAccepted: [String: ContinuousClock.Instant] = [:]

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
        if let last = lastAccepted[credential] {
            let elapsed = last.duration(to: now)
            if elapsed < interval - tolerance {
                return .refuse(retryAfter: interval - elapsed)
            }
        }
        lastAccepted[credential] = now
        return .accept
    }
}

/// The shared, mutable pace state of a running emulator.
actor PaceLimiter {
    private var window: PaceWindow
    init(interval: Duration, tolerance: Duration) { window = PaceWindow(interval: interval, tolerance: tolerance) }
    func admit(_ credential: String) -> PaceWindow.Decision { window.admit(credential, at: .now) }
}
