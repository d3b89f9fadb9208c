import Foundation

/// Keeps one bearer token until shortly before it expires; token fetches are rate limited like
/// any request, so sigport asks for a new one only when it must (expiry, or a 401). Requests in
/// flight together share one fetch: the first starts it, the others wait for its answer.
actor TokenCache {
    private var token: String?
    private var expiry: Date = .distantPast
    private var fetchedAt: Date = .distantPast
    /// The fetch under way, which concurrent callers await instead of starting their own.
    private var fetching: Task<(token: String, expiresAt: Date), any Error>?
    /// Renew this long before the stated expiry, so a request never leaves with a token that
    /// expires in flight.
    private let margin: TimeInterval

    init(margin: TimeInterval = 60) { self.margin = margin }

    func token(fetch: @escaping @Sendable () async throws -> (token: String, expiresAt: Date)) async throws -> String {
        // The margin, but at most a tenth of the token's life: a short-lived token is still reused.
        let early = min(margin, expiry.timeIntervalSince(fetchedAt) / 10)
        if let token, Date() < expiry.addingTimeInterval(-early) { return token }
        let task = fetching ?? Task { try await fetch() }
        fetching = task
        defer { if fetching == task { fetching = nil } }
        let fresh = try await task.value
        token = fresh.token
        fetchedAt = Date()
        expiry = fresh.expiresAt
        return fresh.token
    }

    func invalidate() { token = nil }
}
