/// The time the emulator judges the pace by: the system's continuous clock by default.
///
/// Tests of the pace pass a clock they move by hand. With the wall clock, a loaded machine can
/// stretch the gap between two requests past the interval, and a request meant to be refused is
/// served; with a hand-moved clock, the gap is what the test says it is.
public struct PaceClock: Sendable {
    public let now: @Sendable () -> ContinuousClock.Instant

    public init(now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.now = now
    }

    public static let continuous = PaceClock { ContinuousClock.now }
}
