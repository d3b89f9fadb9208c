import SigportContract

/// One pacer per rate-limit lane of the integration API version a client declares: per method
/// from 1.1 (inserts at 1/s beside selectSignals pages at 10/s), one for all methods in 1.0 and
/// 1.1beta1, and the token endpoint's own in every version.
public struct IntegrationPacing: Sendable {
    public let limits: IntegrationLimits
    private let pacers: [String: Pacer<ContinuousClock>]

    /// - Parameters:
    ///   - requestsPerSecond: every lane at this rate instead of its documented one (nil: documented).
    ///   - ledger: where each lane's last request time is shared with other sigport processes.
    public init(limits: IntegrationLimits, apiUrl: String, credential: String, requestsPerSecond: Double? = nil,
                ledger: PaceLedger? = PaceLedger()) {
        self.limits = limits
        var pacers: [String: Pacer<ContinuousClock>] = [:]
        for (lane, rate) in limits.lanes {
            // The shared lane keeps the ledger key of a credential with one pace for everything.
            let key = PaceLedger.key(apiUrl: apiUrl, credential: lane == "*" ? credential : credential + "|" + lane)
            pacers[lane] = .documented(requestsPerSecond: requestsPerSecond ?? rate, ledger: ledger.map { ($0, key) })
        }
        self.pacers = pacers
    }

    /// The pacer of `method`'s lane (`IntegrationLimits.tokenLane` for token fetches).
    func pacer(for method: String) -> Pacer<ContinuousClock> {
        // `lanes` holds every lane `lane(of:)` can name, "*" included.
        pacers[method == IntegrationLimits.tokenLane ? method : limits.lane(of: method)]!
    }

    /// Time spent waiting for slots, over all lanes.
    public var waited: Duration {
        get async {
            var total = Duration.zero
            for pacer in pacers.values { total += await pacer.waited }
            return total
        }
    }

    /// 429 answers absorbed by the pacers, over all lanes.
    public var refusals: Int {
        get async {
            var total = 0
            for pacer in pacers.values { total += await pacer.refusals }
            return total
        }
    }
}
