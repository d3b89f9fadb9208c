import Foundation
import Synchronization

/// Spaces requests to one API credential at least `interval` apart, counted across every method
/// (token fetches included), so sigport never earns a 429 from its own pace.
///
/// Generic over the clock so tests drive it with a manual clock instead of sleeping.
public actor Pacer<C: Clock> where C.Duration == Duration {
    private let clock: C
    public let interval: Duration
    private var next: C.Instant?
    /// Whether an answer came back yet. The first request opens a connection, so it reaches the
    /// server later after leaving than warm ones do; the slot after it counts from its answer.
    private var warm = false
    /// Time spent waiting for slots: how much of a run the pace, not sigport, decided.
    public private(set) var waited: Duration = .zero
    private var waitedUntil: C.Instant?
    /// When the last request really left (`leaving()`): its slot, or later on a busy machine.
    /// Behind a lock, not the actor, so the request's own task records it with no hop.
    private let lastLeft = Mutex<C.Instant?>(nil)
    /// Where this credential's last request time is shared with other sigport processes.
    private let ledger: (PaceLedger, key: String)?
    private var consultedLedger = false

    public init(interval: Duration, clock: C, ledger: (PaceLedger, key: String)? = nil) {
        self.interval = interval
        self.clock = clock
        self.ledger = ledger
    }

    /// Tells the pacer an answer arrived; see `warm`.
    public func answered() {
        guard !warm else { return }
        warm = true
        let earliest = clock.now.advanced(by: interval)
        next = next.map { max($0, earliest) } ?? earliest
    }

    /// A connection dropped: the next request opens a new one, and reaches the server later after
    /// leaving than warm ones do, like the first. The slot after its answer counts from it.
    public func connectionLost() { warm = false }

    /// 429 answers: requests the server refused for the pace, each sent again after its
    /// `Retry-After`. A run's report counts them among its HTTP statuses: they are absorbed here,
    /// below the retries a run counts, and would otherwise go unseen.
    public private(set) var refusals = 0

    /// The server answered 429: count it, and pause for its `Retry-After`.
    public func refused(retryAfter delay: Duration) {
        refusals += 1
        pause(for: delay)
    }

    /// Pushes the next slot back, when the server asked for a pause (`Retry-After`).
    public func pause(for delay: Duration) {
        let now = clock.now
        let earliest = now.advanced(by: delay)
        next = next.map { max($0, earliest) } ?? earliest
    }

    /// Waits until the next request may be sent and books that slot.
    public func waitForTurn() async throws {
        if let (ledger, key) = ledger {
            if !consultedLedger, let last = ledger.last(key) {
                let since = Date().timeIntervalSince(last)
                let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
                if since < seconds { pause(for: .milliseconds(Int64((seconds - since) * 1000))) }
            }
            consultedLedger = true
        }
        let now = clock.now
        var slot = next.map { max($0, now) } ?? now
        if let left = lastLeft.withLock({ $0 }) { slot = max(slot, left.advanced(by: interval)) }
        next = slot.advanced(by: interval)
        try await wait(until: slot)
        // The request before may have left after its slot; this one leaves an interval after it.
        while let left = lastLeft.withLock({ $0 }), clock.now < left.advanced(by: interval) {
            try await wait(until: left.advanced(by: interval))
        }
        if let (ledger, key) = ledger { ledger.record(key) }
    }

    /// The request whose turn came is leaving now: call it right before sending. On a busy
    /// machine its task can resume tens of milliseconds after its slot (55 ms seen in the bench,
    /// with both cores building the next 9 MiB body), and the request after it must leave an
    /// interval after this moment, not after the slot, or the server sees the two less than an
    /// interval apart and answers 429. Slots booked later count from it too.
    public nonisolated func leaving() {
        let now = clock.now
        lastLeft.withLock { $0 = max($0 ?? now, now) }
    }

    private func wait(until instant: C.Instant) async throws {
        let now = clock.now
        guard instant > now else { return }
        // Requests in flight together wait together: count the union of the waits, not their sum.
        let from = waitedUntil.map { max($0, now) } ?? now
        if instant > from { waited += from.duration(to: instant) }
        waitedUntil = max(waitedUntil ?? instant, instant)
        try await clock.sleep(until: instant, tolerance: nil)
    }
}

extension Pacer where C == ContinuousClock {
    public init(interval: Duration, ledger: (PaceLedger, key: String)? = nil) {
        self.init(interval: interval, clock: ContinuousClock(), ledger: ledger)
    }

    /// The pace plus a margin: the server measures arrivals, sigport measures departures, and a
    /// request on a fresh connection arrives later than one on a warm one. 20 ms (a tenth of the
    /// interval for lanes faster than 5/s) costs 2% of throughput and keeps sigport clear of the
    /// server's over-rate count.
    public static func documented(requestsPerSecond: Double, ledger: (PaceLedger, key: String)? = nil) -> Pacer {
        let interval = Duration.nanoseconds(Int64(1e9 / requestsPerSecond))
        return Pacer(interval: interval + min(.milliseconds(20), interval / 10), ledger: ledger)
    }
}
