import Synchronization
import SigportEmulator

/// A pace clock that stands still until the test moves it, so a pace test's gaps are exactly
/// what it says, however loaded the machine is.
final class HandMovedClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    /// Sleeping waits until the test has moved the clock to the instant (polled every millisecond).
    var pace: PaceClock {
        PaceClock(now: { self.instant.withLock { $0 } }, sleep: { until in
            while self.instant.withLock({ $0 }) < until, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(1)) }
        })
    }

    func advance(by duration: Duration) {
        instant.withLock { $0 += duration }
    }
}
