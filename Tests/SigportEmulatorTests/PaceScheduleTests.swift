import Testing
@testable import SigportEmulator

/// The emulator's pace, judged on explicit instants: no sleeping, no wall clock.
@Suite("pace schedule (explicit instants)")
struct PaceScheduleTests {
    let t0 = ContinuousClock.now

    func lane(_ overRate: OverRatePolicy, _ name: String = "integration.insert", credential: String = "a") -> PaceLane {
        PaceLane(key: credential + "|" + name, interval: .seconds(1), overRate: overRate, name: name)
    }

    @Test("reject mode: refused within the interval, Retry-After to the first free slot; credentials and lanes apart")
    func reject() {
        var schedule = PaceSchedule(tolerance: .milliseconds(5), queueLimit: .seconds(10))
        let a = lane(.reject)
        #expect(schedule.admit(a, arrival: t0) == .serve(at: t0, overRate: false))
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(990)) == .refuse(retryAfter: .milliseconds(10)))
        #expect(schedule.admit(lane(.reject, credential: "b"), arrival: t0 + .milliseconds(990)) == .serve(at: t0 + .milliseconds(990), overRate: false),
                "credentials are paced apart")
        #expect(schedule.admit(lane(.reject, "integration.saveSignals"), arrival: t0 + .milliseconds(10)) == .serve(at: t0 + .milliseconds(10), overRate: false),
                "methods are paced apart")
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(996)) == .serve(at: t0 + .milliseconds(996), overRate: false), "within the tolerance")
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(1500)) == .refuse(retryAfter: .milliseconds(496)), "a refusal books nothing")
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(1996)) == .serve(at: t0 + .milliseconds(1996), overRate: false))
        // Concurrent connections reach the gate out of order: booked instants on either side count.
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(4000)) == .serve(at: t0 + .milliseconds(4000), overRate: false))
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(3500)) == .refuse(retryAfter: .milliseconds(1500)),
                "500 ms before a booked one: the next free slot is after it")
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(3000)) == .serve(at: t0 + .milliseconds(3000), overRate: false), "fits before it")
    }

    @Test("throttle mode: arrivals over the rate are served in order, an interval apart; past the queue limit one times out and books nothing")
    func throttle() {
        var schedule = PaceSchedule(tolerance: .milliseconds(5), queueLimit: .seconds(10))
        let a = lane(.throttle)
        for n in 0...10 {
            #expect(schedule.admit(a, arrival: t0 + .milliseconds(10 * n)) == .serve(at: t0 + .seconds(n), overRate: n > 0), "request \(n)")
        }
        // The 12th would be served 11 s after the first, 10.89 s after it arrived.
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(110)) == .timeOut)
        #expect(schedule.admit(a, arrival: t0 + .milliseconds(1200)) == .serve(at: t0 + .seconds(11), overRate: true),
                "9.8 s to wait: queued behind the others, the time-out took no slot")
        #expect(schedule.admit(lane(.throttle, "clarify.dataFrame"), arrival: t0 + .milliseconds(1200)) == .serve(at: t0 + .milliseconds(1200), overRate: false),
                "another method's queue is its own")
    }

    @Test("a zero interval paces nothing")
    func unpaced() {
        var schedule = PaceSchedule(tolerance: .zero, queueLimit: .seconds(10))
        let free = PaceLane(key: "a|*", interval: .zero, overRate: .reject, name: "*")
        for _ in 0..<3 { #expect(schedule.admit(free, arrival: t0) == .serve(at: t0, overRate: false)) }
    }
}
