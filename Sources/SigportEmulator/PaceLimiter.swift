/// How the emulator answers a request that comes faster than its lane's rate.
public enum OverRatePolicy: String, Sendable, CaseIterable {
    /// Queued and served later, in order, at the lane's rate, as the integration API's 1.1 "Rate
    /// limits" page says the service does; a request that would wait longer than the queue limit
    /// times out instead.
    case throttle
    /// Refused at once with HTTP 429 and `Retry-After`: a strict mode for clients that want to see
    /// every time they came too fast.
    case reject
}

/// The budget one request is counted in: a credential's lane (one method, or all of them where a
/// version has one limit for everything), its interval and what happens over the rate.
struct PaceLane: Sendable, Equatable {
    let key: String
    let interval: Duration
    let overRate: OverRatePolicy
    /// The lane's name as clients know it (`integration.insert`, `*`), for messages and stats.
    let name: String
}

/// When each request of a lane may be served. A request is served at the first instant at least
/// an interval (less `tolerance`) from every request booked in its lane, at or after its arrival.
///
/// Arrival is when the request's head arrived, before its body was read: how long a body takes to
/// transfer does not move it. Requests on concurrent connections reach the gate out of order, so
/// the booked instants on either side of an arrival count, not only the latest.
///
/// A pure function of the instants given, so queue order and time-outs are tested without sleeping.
struct PaceSchedule: Sendable {
    let tolerance: Duration
    let queueLimit: Duration
    /// Booked instants per lane, ascending; pruned to those near enough to matter.
    private var booked: [String: [ContinuousClock.Instant]] = [:]

    init(tolerance: Duration, queueLimit: Duration) {
        self.tolerance = tolerance
        self.queueLimit = queueLimit
    }

    enum Decision: Equatable, Sendable {
        /// Serve at this instant; `overRate` when that is later than the arrival (throttled).
        case serve(at: ContinuousClock.Instant, overRate: Bool)
        /// Refused (reject mode); the client may try again after this long.
        case refuse(retryAfter: Duration)
        /// It would wait longer than the queue limit (throttle mode): it times out, booking nothing.
        case timeOut
    }

    mutating func admit(_ lane: PaceLane, arrival: ContinuousClock.Instant) -> Decision {
        guard lane.interval > .zero else { return .serve(at: arrival, overRate: false) }
        let gap = lane.interval - tolerance
        var instants = booked[lane.key] ?? []
        // Far enough back that no out-of-order arrival can meet them.
        instants.removeAll { $0 < arrival - lane.interval - .seconds(2) }
        var slot = arrival
        for instant in instants {
            if instant + gap <= slot { continue }
            if slot + gap <= instant { break }
            slot = instant + lane.interval
        }
        let wait = arrival.duration(to: slot)
        switch lane.overRate {
        case .reject where wait > .zero:
            booked[lane.key] = instants
            return .refuse(retryAfter: wait)
        case .throttle where wait > queueLimit:
            booked[lane.key] = instants
            return .timeOut
        default:
            instants.insert(slot, at: instants.firstIndex { $0 > slot } ?? instants.endIndex)
            booked[lane.key] = instants
            return .serve(at: slot, overRate: wait > .zero)
        }
    }
}

/// The shared, mutable pace state of a running emulator.
actor PaceLimiter {
    private var schedule: PaceSchedule
    init(tolerance: Duration, queueLimit: Duration) { schedule = PaceSchedule(tolerance: tolerance, queueLimit: queueLimit) }
    func admit(_ lane: PaceLane, arrivedAt arrival: ContinuousClock.Instant) -> PaceSchedule.Decision {
        schedule.admit(lane, arrival: arrival)
    }
}
