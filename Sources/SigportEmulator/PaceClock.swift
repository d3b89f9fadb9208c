/// The time the emulator judges the pace by, and waits on: the system's continuous clock by default.
///
/// Tests of the pace pass a clock they move by hand. With the wall clock, a loaded machine can
/// stretch the gap between two requests past the interval, and a request meant to be refused is
/// served; with a hand-moved clock, the gap is what the test says it is.
public struct PaceClock: Sendable {
    public let now: @Sendable () -> ContinuousClock.Instant
    /// Waits until the instant (of `now`'s clock) comes: a throttled request waits here for its turn.
    public let sleep: @Sendable (ContinuousClock.Instant) async -> Void

    public init(now: @escaping @Sendable () -> ContinuousClock.Instant,
                sleep: @escaping @Sendable (ContinuousClock.Instant) async -> Void = { try? await Task.sleep(until: $0, clock: .continuous) }) {
        self.now = now
        self.sleep = sleep
    }

    public static let continuous = PaceClock { ContinuousClock.now }
}
