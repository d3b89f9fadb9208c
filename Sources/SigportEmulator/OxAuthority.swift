import Foundation
import GRDB
import JWTKit
import SigportContract

/// The claims of an ox JWT: the client and its org, as the sample token carries them.
struct OxClaims: JWTPayload {
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var parent_org: KeyObject?
    var client_id: String
    var client_name: String
    /// "signal" for the emulator's admin (the only one who may create orgs); absent for clients.
    var role: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }

    var isAdmin: Bool { role == "signal" }
    var org: Int64? { parent_org.flatMap { Int64($0.id) } }
}

/// A Key object: how ox shows a reference (`{id, kind, path}`).
struct KeyObject: Codable, Sendable, Equatable {
    var id: String
    var kind: String
    var path: [String]

    init(id: Int64, kind: String) {
        self.id = String(id)
        self.kind = kind
        self.path = [kind, String(id)]
    }

    var json: JSONValue { .object(["id": .string(id), "kind": .string(kind), "path": .array(path.map(JSONValue.string))]) }
}

/// Issues and checks ox tokens: HS256 with a key kept in the store, so tokens outlive a restart
/// of an emulator that keeps its state in a file.
struct OxAuthority: Sendable {
    let keys: JWTKeyCollection
    let lifetime: Duration

    static func make(store: EmulatorStore, lifetime: Duration) async throws -> OxAuthority {
        let secret = try await store.write { db -> Data in
            if let existing = try SettingRecord.fetchOne(db, key: "ox.hmacKey") { return existing.value }
            // jwt-kit refuses HMAC keys under 32 bytes; 64 random bytes.
            let key = Data((0..<64).map { _ in UInt8.random(in: .min ... .max) })
            try SettingRecord(name: "ox.hmacKey", value: key).insert(db)
            return key
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return OxAuthority(keys: keys, lifetime: lifetime)
    }

    func token(forClient id: Int64, clientID: String, name: String, org: Int64, now: Date = Date()) async throws -> String {
        try await keys.sign(OxClaims(
            sub: .init(value: String(id)), iat: .init(value: now),
            exp: .init(value: now.addingTimeInterval(TimeInterval(lifetime.components.seconds))),
            parent_org: KeyObject(id: org, kind: "Org"), client_id: clientID, client_name: name, role: nil))
    }

    func adminToken(lifetime: TimeInterval = 10 * 365 * 86_400) async throws -> String {
        let now = Date()
        return try await keys.sign(OxClaims(
            sub: .init(value: "signal"), iat: .init(value: now), exp: .init(value: now.addingTimeInterval(lifetime)),
            parent_org: nil, client_id: "signal", client_name: "Signal Biometrics (emulator admin)", role: "signal"))
    }

    /// The claims of a valid, unexpired token signed with this emulator's key; anything else
    /// (no token, a forged or `alg: none` token, an expired one) is a 401.
    func claims(authorization: String?) async throws -> OxClaims {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw APIError.ox(.unauthorized, "Unauthorized: send 'Authorization: bearer <jwt>' (get one from /client/token/…)")
        }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        do {
            return try await keys.verify(token, as: OxClaims.self)
        } catch {
            throw APIError.ox(.unauthorized, "Unauthorized: the token is invalid or expired; fetch a new one from /client/token/…")
        }
    }
}
