import Synchronization
import SigportEmulator

/// A pace clock that stands still until the test moves it, so a pace test's gaps are exactly
/// what it says, however loaded the machine is.
final class HandMovedClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var pace: PaceClock { PaceClock { self.instant.withLock { $0 } } }

    func advance(by duration: Duration) {
        instant.withLock { $0 += duration }
    }
}
