import Foundation

/// Keeps one bearer token until shortly before it expires; token fetches are rate limited like
/// any request, so sigport asks for a new one only when it must (expiry, or a 401).
actor TokenCache {
    private var token: String?
    private var expiry: Date = .distantPast
    /// Renew this long before the stated expiry, so a request never leaves with a token that
    /// expires in flight.
    private let margin: TimeInterval

    init(margin: TimeInterval = 60) { self.margin = margin }

    func token(fetch: @Sendable () async throws -> (token: String, expiresAt: Date)) async throws -> String {
        if let token, Date() < expiry.addingTimeInterval(-margin) { return token }
        let fresh = try await fetch()
        token = fresh.token
        expiry = fresh.expiresAt
        return fresh.token
    }

    func invalidate() { token = nil }
}
