import Foundation
import Testing
@testable import Sigport

@Suite("pacer (stepping clock, no sleeping)")
struct PacerTests {
    @Test("requests leave at least one interval apart; the first leaves at once")
    func spacing() async throws {
        let clock = SteppingClock()
        let pacer = Pacer(interval: .seconds(1), clock: clock)
        for _ in 0..<4 { try await pacer.waitForTurn() }
        #expect(clock.sleeps.map(\.offset) == [.seconds(1), .seconds(2), .seconds(3)])
    }

    @Test("time spent elsewhere counts toward the interval")
    func slowWork() async throws {
        let clock = SteppingClock()
        let pacer = Pacer(interval: .seconds(1), clock: clock)
        try await pacer.waitForTurn()
        clock.advance(by: .milliseconds(1500))
        try await pacer.waitForTurn()
        #expect(clock.sleeps.isEmpty, "a request later than its slot leaves at once")
        try await pacer.waitForTurn()
        #expect(clock.sleeps.map(\.offset) == [.milliseconds(2500)])
    }

    @Test("the slot after the first request counts from its answer (a cold connection arrives late)")
    func coldStart() async throws {
        let clock = SteppingClock()
        let pacer = Pacer(interval: .seconds(1), clock: clock)
        try await pacer.waitForTurn()
        clock.advance(by: .milliseconds(300))
        await pacer.answered()
        try await pacer.waitForTurn()
        clock.advance(by: .milliseconds(300))
        await pacer.answered()
        try await pacer.waitForTurn()
        #expect(clock.sleeps.map(\.offset) == [.milliseconds(1300), .milliseconds(2300)], "only the first answer moves the pace")
    }

    @Test("a request that leaves late pushes the next one back, booked before or after it left")
    func lateDeparture() async throws {
        let clock = SteppingClock()
        let pacer = Pacer(interval: .seconds(1), clock: clock)
        try await pacer.waitForTurn()
        pacer.leaving()
        // Its sleep ends 50 ms late: the next slot is booked from when it left.
        clock.wakeLate(by: .milliseconds(50))
        try await pacer.waitForTurn()
        pacer.leaving()
        try await pacer.waitForTurn()
        #expect(clock.sleeps.map(\.offset) == [.seconds(1), .milliseconds(2050)])
        // Its task resumes 30 ms after its slot, while the next one, booked already, sleeps: that
        // one wakes at its slot and waits again, until an interval after the other left.
        clock.duringNextSleep {
            clock.advance(by: .milliseconds(30))
            pacer.leaving()
        }
        try await pacer.waitForTurn()
        #expect(clock.sleeps.map(\.offset).suffix(2) == [.milliseconds(3050), .milliseconds(3080)])
        #expect(await pacer.waited == .milliseconds(3030), "the time asleep (not the late wake), nothing counted twice")
    }

    @Test("a Retry-After pauses the pace")
    func pause() async throws {
        let clock = SteppingClock()
        let pacer = Pacer(interval: .seconds(1), clock: clock)
        try await pacer.waitForTurn()
        await pacer.pause(for: .seconds(5))
        try await pacer.waitForTurn()
        #expect(clock.sleeps.map(\.offset) == [.seconds(5)])
    }

    @Test("Retry-After in seconds and as an HTTP date")
    func retryAfter() {
        #expect(RetryAfter.delay("3") == .seconds(3))
        #expect(RetryAfter.delay(nil) == nil)
        #expect(RetryAfter.delay("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_445_412_470) // Wed, 21 Oct 2015 07:27:50 GMT
        #expect(RetryAfter.delay("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .seconds(10))
    }
}
