/// The integration API's request size and rate limits, per API version, as each version's pages
/// state them (`shared/seeds/README.md`; the decisions where a page is vague are in
/// `docs/integration-api.md`).
///
/// A *lane* is what one rate limit counts: in 1.0 and 1.1beta1 every method of a credential shares
/// one lane ("The API is rate-limited to 1 request/sec."); from 1.1 each method has a lane and a
/// rate of its own. Token fetches have a lane of their own in every version.
public struct IntegrationLimits: Sendable, Equatable {
    /// What a version's pages say the largest request body is, in bytes of uncompressed JSON.
    public let maxRequestBytes: Int
    /// Requests per second per lane, by method; methods not named get `otherMethods`.
    public let ratesByMethod: [String: Double]
    public let otherMethods: Double
    /// True where the limit counts every method of a credential together (1.0, 1.1beta1).
    public let sharedLane: Bool

    /// The lane of the token endpoint, in every version.
    public static let tokenLane = "oauth/token"

    /// The lane `method` is counted in: its own where the version's table names it, else `*`.
    public func lane(of method: String) -> String { sharedLane || ratesByMethod[method] == nil ? "*" : method }

    /// Requests per second allowed in `method`'s lane.
    public func requestsPerSecond(of method: String) -> Double {
        if method == Self.tokenLane { return Self.tokenRequestsPerSecond }
        return sharedLane ? otherMethods : ratesByMethod[method] ?? otherMethods
    }

    /// Every lane a client of this version may use, with its rate: the methods' (or `*` for all
    /// of them), `*` for methods the table does not name, and the token endpoint's.
    public var lanes: [String: Double] {
        var lanes = [Self.tokenLane: Self.tokenRequestsPerSecond, "*": otherMethods]
        if !sharedLane { lanes.merge(ratesByMethod) { a, _ in a } }
        return lanes
    }

    /// The token endpoint is in no version's table, and the README says only that token fetches
    /// are rate limited: 1 per second per client is sigport's decision (a client that caches its
    /// token until it expires fetches one an hour).
    public static let tokenRequestsPerSecond = 1.0

    /// 1.1's "Rate limits" page: a request over its method's rate is queued, not refused; one
    /// queued for more than this long times out.
    public static let maxQueueSeconds = 10.0

    /// The 1.1 page's per-method table.
    static let perMethod11: [String: Double] = [
        "integration.insert": 1,
        "integration.saveSignals": 1,
        "admin.selectSignals": 10,
        "admin.publishSignals": 5,
        "clarify.selectItems": 10,
        "clarify.dataFrame": 1,
        "clarify.evaluate": 1,
    ]

    /// The limits `version` declares.
    public static func of(_ version: IntegrationAPIVersion) -> IntegrationLimits {
        switch version {
        // "8 MiB", "1 request/second" (the 1.0 pages).
        case .v1_0: IntegrationLimits(maxRequestBytes: 8 * mebibyte, ratesByMethod: [:], otherMethods: 1, sharedLane: true)
        // "MUST not be more than 9MiB", "rate-limited to 1 request/sec." (the seed page).
        case .v1_1beta1: IntegrationLimits(maxRequestBytes: 9 * mebibyte, ratesByMethod: [:], otherMethods: 1, sharedLane: true)
        // No page of 1.1beta2 is at hand; it has 1.1's parameter shapes, so it is taken to have
        // 1.1's limits too. "About 8 MiB" is read as 8 MiB, the figure 1.0 states exactly.
        case .v1_1beta2, .v1_1: IntegrationLimits(maxRequestBytes: 8 * mebibyte, ratesByMethod: perMethod11, otherMethods: 1, sharedLane: false)
        }
    }

    public static let mebibyte = 1024 * 1024
}
