/// What the emulator saw clients do, served at `GET /_emulator/stats` so end-to-end tests can
/// assert that a client never broke a documented limit.
public struct EmulatorStatsSnapshot: Codable, Sendable, Equatable {
    /// Requests that reached an API route.
    public var requests: Int = 0
    /// Requests that arrived faster than their lane's rate (client violations), whether they were
    /// queued (throttle mode) or refused with 429 (reject mode): a client that keeps the pace has 0.
    public var paceViolations: Int = 0
    /// The same, by lane (`integration.insert`, `oauth/token`, `*` where one limit counts all, `ox`).
    public var paceViolationsByLane: [String: Int] = [:]
    /// Over-rate requests that were queued and served late (throttle mode).
    public var throttled: Int = 0
    /// Over-rate requests that would have waited past the queue limit and timed out.
    public var queueTimeouts: Int = 0
    /// Requests refused with 413 for a body over the limit (client violations).
    public var sizeViolations: Int = 0
    /// The largest request body accepted, in bytes.
    public var largestBody: Int = 0
    /// Faults injected, by kind.
    public var faults: [String: Int] = [:]
    /// Requests by route key (`rpc:integration.insert`, `ox:POST /event`, …).
    public var byRoute: [String: Int] = [:]
    /// The most requests being handled at once (overlapping clients, or one client's overlapping requests).
    public var mostAtOnce: Int = 0
}

actor EmulatorStats {
    private(set) var snapshot = EmulatorStatsSnapshot()
    private var handling = 0

    func enter() {
        handling += 1
        snapshot.mostAtOnce = max(snapshot.mostAtOnce, handling)
    }

    func leave() { handling -= 1 }

    func record(route: String, bodyBytes: Int) {
        snapshot.requests += 1
        snapshot.byRoute[route, default: 0] += 1
        snapshot.largestBody = max(snapshot.largestBody, bodyBytes)
    }

    func recordPaceViolation(lane: String, outcome: PaceSchedule.Decision) {
        snapshot.paceViolations += 1
        snapshot.paceViolationsByLane[lane, default: 0] += 1
        switch outcome {
        case .serve: snapshot.throttled += 1
        case .timeOut: snapshot.queueTimeouts += 1
        case .refuse: break
        }
    }
    func recordSizeViolation() { snapshot.sizeViolations += 1 }
    func recordFault(_ kind: FaultConfiguration.Kind) { snapshot.faults[kind.rawValue, default: 0] += 1 }
}
