import Foundation
import JWTKit
import NIOHTTP1
import SigportContract
import Testing
@testable import SigportEmulator

@Suite("ox auth, tiers, limits and envelope")
struct OxAuthTests {
    // MARK: GET /

    @Test("GET / answers 200 OK to a client or admin token, 401 without one")
    func root() async throws {
        try await OxFixture.with { ox in
            for token in [try await ox.token(), ox.admin] {
                let reply = try await ox.call(.GET, "", token: token)
                expectOxEnvelope(reply, code: 200)
                #expect(reply.json["data"] == .object(["status": .string("success"), "message": .string("OK"), "code": .number(200)]))
            }
            let anonymous = try await ox.h.send(.GET, "")
            expectOxFailure(anonymous, code: 401, info: "Unauthorized")
            #expect(anonymous.json["data"]?["id"] == .null)
            #expect(anonymous.headers.first(name: "WWW-Authenticate") == "Bearer")
            for header in ["Basic c2lncG9ydDpzaWdwb3J0", "bearer", "bearer not.a.jwt", "Token \(try await ox.token())"] {
                let reply = try await ox.h.send(.GET, "", headers: [("Authorization", header)])
                expectOxFailure(reply, code: 401)
            }
        }
    }

    @Test("every CRUD endpoint of every kind refuses a call without a token (401) and changes nothing")
    func everyEndpointNeedsAToken() async throws {
        try await OxFixture.with { ox in
            let before = try await ox.snapshot()
            for kind in OxContract.Kind.allCases {
                let body = kind == .org ? OxSamples.org() : OxSamples.sensor(org: ox.orgID())
                let calls: [(HTTPMethod, String, String?)] = [
                    (.POST, kind.path, body), (.GET, "\(kind.path)/\(ox.orgID())", nil),
                    (.PUT, kind.path, #"{"\#(ox.orgID())": {}}"#), (.DELETE, "\(kind.path)/\(ox.orgID())", nil),
                ]
                for (method, path, payload) in calls {
                    let reply = try await ox.call(method, path, token: nil, body: payload)
                    expectOxFailure(reply, code: 401)
                }
            }
            #expect(try await ox.snapshot() == before)
        }
    }

    // MARK: Token endpoint

    @Test("the token endpoint needs no Authorization header and returns the client with an HS256 JWT")
    func tokenIssued() async throws {
        try await OxFixture.with { ox in
            let org = ox.org()
            let reply = try await ox.h.send(.GET, "client/token/\(org.org)/\(org.client)/\(org.clientApiKey)")
            expectOxEnvelope(reply, code: 200)
            let data = try #require(reply.json["data"])
            #expect(data["parent_org"] == OxSamples.key(org.org, "Org"))
            let clientID = JSONValue.string("sigport/\(ox.indices[0] + 1)")  // as bootstrap names it
            #expect(data["client_id"] == clientID)
            #expect(data["client_name"] == .string("sigport"))
            #expect(data["created_at"]?.stringValue != nil && data["modified_at"]?.stringValue != nil)
            let secret = try #require(data["client_secret"]?.stringValue, "the key's hash, as the page shows client_secret")
            #expect(!secret.contains(org.clientApiKey))

            let token = try #require(data["token"]?.stringValue)
            #expect(token.split(separator: ".", omittingEmptySubsequences: false).count == 3)
            #expect(JWTText.part(0, of: token)?["alg"] == .string("HS256"))
            let claims = try #require(JWTText.part(1, of: token))
            #expect(claims["sub"] == .string(org.client))
            #expect(claims["parent_org"] == OxSamples.key(org.org, "Org"))
            #expect(claims["client_id"] == clientID)
            #expect(claims["client_name"] == .string("sigport"))
            #expect(claims["role"] == nil || claims["role"] == .null, "a client token carries no admin role")
            let iat = try #require(claims["iat"]?.numberValue)
            let exp = try #require(claims["exp"]?.numberValue)
            #expect(abs(iat - Date().timeIntervalSince1970) < 60)
            #expect(abs(exp - iat - Double(OxContract.tokenLifetimeSeconds)) < 2, "lives 3 days, as the sample token")

            expectOxEnvelope(try await ox.call(.GET, "", token: token), code: 200)
        }
    }

    @Test("the token endpoint: wrong key 403; unknown client, wrong org or a non-client 404")
    func tokenRefused() async throws {
        try await OxFixture.with(orgs: 2) { ox in
            let a = ox.org(0), b = ox.org(1)
            let wrongKey = try await ox.h.send(.GET, "client/token/\(a.org)/\(a.client)/\(b.clientApiKey)")
            expectOxFailure(wrongKey, code: 403, info: "API key")
            #expect(wrongKey.json["data"]?["id"] == .string(a.client))
            #expect(wrongKey.json["data"]?["token"] == nil)

            let sensor = try await ox.createOne(.sensor, token: try await ox.token(), OxSamples.sensor(org: a.org))
            for path in ["client/token/\(a.org)/1234123412341234/\(a.clientApiKey)",   // no such client
                         "client/token/\(b.org)/\(a.client)/\(a.clientApiKey)",         // a client of another org
                         "client/token/\(a.org)/\(sensor)/\(a.clientApiKey)",           // not a client
                         "client/token/\(a.org)/sigport-1/\(a.clientApiKey)",           // not an id
                         "client/token/x/\(a.client)/\(a.clientApiKey)"] {
                let reply = try await ox.h.send(.GET, path)
                expectOxFailure(reply, code: 404, info: "not found")
            }
        }
    }

    @Test("the token endpoint paces refused requests per source: guesses of client ids or keys, each a URL of its own, get one answer per interval (then 429), as a client's valid fetches do")
    func tokenPacedPerSource() async throws {
        // A long interval: a loaded machine cannot stretch the five requests past it.
        try await OxFixture.with(.init(requestInterval: .seconds(30))) { ox in
            let a = ox.org(0)
            let guesses = (1...3).map { "client/token/\(a.org)/\(1_000_000_000_000_000 + $0)/\(a.clientApiKey)" }
            let paths = ["client/token/\(a.org)/\(a.client)/\(a.clientApiKey)"] + guesses + ["client/token/\(a.org)/\(a.client)/wrong-key"]
            var statuses: [Int] = []
            for path in paths { statuses.append(try await ox.h.send(.GET, path).status) }
            // The valid fetch is paced in its client's lane; the guesses share their source's.
            #expect(statuses == [200, 404, 429, 429, 429], "\(statuses)")
            #expect(try await ox.h.send(.GET, paths[0]).status == 429, "a second valid fetch within the interval")
        }
    }

    // MARK: Tokens that must not pass

    /// The claims a real token of org `index`'s client carries.
    func claims(_ ox: OxFixture, org index: Int = 0, role: String? = nil, issued: Date = Date(), lifetime: TimeInterval = 3600) -> OxClaims {
        let org = ox.org(index)
        return OxClaims(sub: .init(value: org.client), iat: .init(value: issued), exp: .init(value: issued.addingTimeInterval(lifetime)),
                        parent_org: KeyObject(id: Int64(org.org)!, kind: "Org"), client_id: "sigport/\(ox.indices[index] + 1)",
                        client_name: "sigport", role: role)
    }

    /// Tries `token` on a read, a create and an org create: each 401, nothing stored.
    func expectRefused(_ ox: OxFixture, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await ox.snapshot()
        expectOxFailure(try await ox.call(.GET, "", token: token), code: 401, info: "token", sourceLocation: sourceLocation)
        expectOxFailure(try await ox.call(.GET, "org/\(ox.orgID())", token: token), code: 401, sourceLocation: sourceLocation)
        expectOxFailure(try await ox.call(.POST, "sensor", token: token, body: OxSamples.sensor(org: ox.orgID())), code: 401,
                        sourceLocation: sourceLocation)
        expectOxFailure(try await ox.call(.POST, "org", token: token, body: OxSamples.org()), code: 401, sourceLocation: sourceLocation)
        expectOxFailure(try await ox.call(.DELETE, "org/\(ox.orgID())", token: token), code: 401, sourceLocation: sourceLocation)
        #expect(try await ox.snapshot() == before, "a refused token changes nothing", sourceLocation: sourceLocation)
    }

    @Test("a token signed with another HMAC key is refused (401), client or admin claims alike")
    func forgedToken() async throws {
        try await OxFixture.with { ox in
            let forger = JWTKeyCollection()
            await forger.add(hmac: HMACKey(from: Data((0..<64).map { _ in UInt8.random(in: .min ... .max) })), digestAlgorithm: .sha256)
            try await expectRefused(ox, token: try await forger.sign(claims(ox)))
            var admin = claims(ox, role: "signal")
            admin.parent_org = nil
            try await expectRefused(ox, token: try await forger.sign(admin))
        }
    }

    @Test("an `alg: none` token, or a real signature over changed claims, is refused (401)")
    func unsignedOrTamperedToken() async throws {
        try await OxFixture.with(orgs: 2) { ox in
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            let payload = try encoder.encode(claims(ox, role: "signal"))
            for header in [#"{"alg":"none","typ":"JWT"}"#, #"{"alg":"none"}"#, #"{"alg":"None","typ":"JWT"}"#] {
                let unsigned = JWTText.encode(Data(header.utf8)) + "." + JWTText.encode(payload) + "."
                try await expectRefused(ox, token: unsigned)
            }
            // A genuine token of org 0's client whose claims are swapped for org 1's.
            let real = try await ox.token(0).split(separator: ".")
            let other = JWTText.encode(try encoder.encode(claims(ox, org: 1)))
            try await expectRefused(ox, token: "\(real[0]).\(other).\(real[2])")
        }
    }

    @Test("an expired token signed with the emulator's own key is refused (401)")
    func expiredToken() async throws {
        try await OxFixture.with { ox in
            let org = ox.org()
            let expired = try await ox.h.emulator.authority.token(
                forClient: Int64(org.client)!, clientID: "sigport/\(ox.indices[0] + 1)", name: "sigport", org: Int64(org.org)!,
                now: Date().addingTimeInterval(-4 * 86_400))
            try await expectRefused(ox, token: expired)
        }
    }

    @Test("a token from the endpoint stops working when oxTokenLifetime has passed")
    func tokenLifetime() async throws {
        // `exp` is in whole seconds, so a token lives between lifetime - 1 and lifetime seconds:
        // 3 s leaves a loaded machine time for the first call.
        try await OxFixture.with(.init(requestInterval: .zero, oxTokenLifetime: .seconds(3))) { ox in
            let token = try await ox.token()
            expectOxEnvelope(try await ox.call(.GET, "", token: token), code: 200)
            try await Task.sleep(for: .milliseconds(3500))
            try await expectRefused(ox, token: token)
            expectOxEnvelope(try await ox.call(.GET, "", token: try await ox.token()), code: 200)
        }
    }

    // MARK: Tiers

    @Test("a client acts only inside its org: other orgs' entities are 403 to read, update, delete or create into")
    func otherOrg() async throws {
        try await OxFixture.with(orgs: 2) { ox in
            let a = try await ox.token(0), b = try await ox.token(1)
            let orgA = ox.orgID(0), orgB = ox.orgID(1)
            let beacon = try await ox.createOne(.beacon, token: a, OxSamples.beacon(org: orgA))
            let sensor = try await ox.createOne(.sensor, token: a, OxSamples.sensor(org: orgA))
            let event = try await ox.createOne(.event, token: a, OxSamples.event(org: orgA, beacon: beacon, sensor: sensor))
            let ownSensor = try await ox.createOne(.sensor, token: b, OxSamples.sensor(org: orgB))
            let before = try await ox.snapshot()

            let foreign: [(OxContract.Kind, String, String)] = [
                (.org, orgA, #"{"org_active": false}"#), (.client, ox.org(0).client, #"{"client_name": "taken"}"#),
                (.beacon, beacon, #"{"beacon_env": "iOS 10.0"}"#), (.sensor, sensor, #"{"sensor_version": "8"}"#),
                (.event, event, #"{"event_reading": 1}"#),
            ]
            for (kind, id, change) in foreign {
                let read = try await ox.call(.GET, "\(kind.path)/\(id)", token: b)
                expectOxFailure(read, code: 403, info: "own org")
                #expect(failedIDs(read) == [id])
                #expect(read.json["data"]?[kind == .org ? "org_active" : "created_at"] == nil, "nothing of the entity leaks")
                expectOxFailure(try await ox.call(.PUT, kind.path, token: b, body: #"{"\#(id)": \#(change)}"#), code: 403)
                if kind != .org { expectOxFailure(try await ox.call(.DELETE, "\(kind.path)/\(id)", token: b), code: 403) }
            }
            // Many at once: refused as a whole, naming only the foreign ones.
            let mixed = try await ox.call(.GET, "sensor/\(ownSensor),\(sensor)", token: b)
            expectOxFailure(mixed, code: 403)
            #expect(failedIDs(mixed) == [sensor])
            expectOxFailure(try await ox.call(.DELETE, "sensor/\(ownSensor),\(sensor)", token: b), code: 403)
            expectOxFailure(try await ox.call(.PUT, "sensor", token: b,
                                              body: #"{"\#(ownSensor)": {"sensor_version": "8"}, "\#(sensor)": {"sensor_version": "8"}}"#), code: 403)

            // Creating into org A, one or among many.
            for (kind, body) in [(OxContract.Kind.client, OxSamples.client(org: orgA)), (.beacon, OxSamples.beacon(org: orgA)),
                                 (.sensor, OxSamples.sensor(org: orgA)), (.event, OxSamples.event(org: orgA, beacon: beacon, sensor: sensor)),
                                 (.sensor, "[\(OxSamples.sensor(org: orgB)), \(OxSamples.sensor(org: orgA))]")] {
                expectOxFailure(try await ox.call(.POST, kind.path, token: b, body: body), code: 403, info: "parent_org must be \(orgB)")
            }
            #expect(try await ox.snapshot() == before, "refused calls change nothing")

            // Org A's client still sees all of it.
            expectOxEnvelope(try await ox.call(.GET, "event/\(event)", token: a), code: 200)

            // An org's client may give its own entity to another org (a move, as the page's
            // update examples do); from then on it belongs to the other org only.
            expectOxEnvelope(try await ox.call(.PUT, "sensor", token: b, body: #"{"\#(ownSensor)": {"parent_org": \#(orgA)}}"#), code: 200)
            expectOxFailure(try await ox.call(.GET, "sensor/\(ownSensor)", token: b), code: 403)
            let moved = try await ox.call(.GET, "sensor/\(ownSensor)", token: a)
            #expect(moved.json["data"]?["parent_org"]?["id"] == .string(orgA))
            // Moving into an org that does not exist is refused.
            expectOxFailure(try await ox.call(.PUT, "sensor", token: a, body: #"{"\#(ownSensor)": {"parent_org": 1000000000000001}}"#), code: 400)
        }
    }

    @Test("a client reads and updates its own org (IdMaps are not maintained for it) but cannot create or delete orgs")
    func ownOrg() async throws {
        try await OxFixture.with { ox in
            let token = try await ox.token()
            let org = ox.orgID()
            let beacon = try await ox.createOne(.beacon, token: token, OxSamples.beacon(org: org))
            let read = try await ox.call(.GET, "org/\(org)", token: token)
            expectOxEnvelope(read, code: 200)
            #expect(read.json["data"]?["org_beacons"] == .object([:]), "creating a beacon does not add it to org_beacons")
            #expect(read.json["data"]?["org_clients"]?[ox.org().client]?.integerValue != nil)

            let update = try await ox.call(.PUT, "org", token: token, body: #"{"\#(org)": {"org_beacons": {"\#(beacon)": 1515513419829}}}"#)
            expectOxEnvelope(update, code: 200)
            #expect(update.json["data"] == .object(["ids": .array([.string(org)]), "info": .string("done")]))
            let after = try await ox.call(.GET, "org/\(org)", token: token)
            #expect(after.json["data"]?["org_beacons"] == .object([beacon: .number(1515513419829)]))
            #expect(after.json["data"]?["org_alias"] == read.json["data"]?["org_alias"], "fields not named are kept")

            let before = try await ox.snapshot()
            expectOxFailure(try await ox.call(.POST, "org", token: token, body: OxSamples.org()), code: 403, info: "Only Signal")
            expectOxFailure(try await ox.call(.POST, "org", token: token, body: "[\(OxSamples.org())]"), code: 403)
            expectOxFailure(try await ox.call(.DELETE, "org/\(org)", token: token), code: 403, info: "Only Signal")
            #expect(try await ox.snapshot() == before)
        }
    }

    @Test("the admin token creates, reads and deletes orgs and acts in every org")
    func admin() async throws {
        try await OxFixture.with(orgs: 2) { ox in
            let org = try await ox.createOne(.org, token: ox.admin, OxSamples.org(alias: "New Co."))
            let client = try await ox.call(.POST, "client", token: ox.admin, body: OxSamples.client(org: org))
            expectOxEnvelope(client, code: 200)
            let clientID = try #require(client.json["data"]?["ids"]?.arrayValue?.first?.stringValue)
            let key = try #require(client.json["data"]?["client_api_key"]?.stringValue)
            // The new org's client gets a token and works inside the new org.
            let token = try #require(try await ox.h.send(.GET, "client/token/\(org)/\(clientID)/\(key)").json["data"]?["token"]?.stringValue)
            _ = try await ox.createOne(.sensor, token: token, OxSamples.sensor(org: org))
            expectOxFailure(try await ox.call(.GET, "org/\(ox.orgID(0))", token: token), code: 403)

            let both = try await ox.call(.GET, "org/\(ox.orgID(1)),\(ox.orgID(0))", token: ox.admin)
            expectOxEnvelope(both, code: 200)
            #expect(both.json["data"]?.arrayValue?.map { $0["org_alias"] } == [.string("Emulator org \(ox.indices[1] + 1)"), .string("Emulator org \(ox.indices[0] + 1)")])
            _ = try await ox.createOne(.beacon, token: ox.admin, OxSamples.beacon(org: ox.orgID(1)))

            expectOxEnvelope(try await ox.call(.DELETE, "org/\(org)", token: ox.admin), code: 200)
            expectOxFailure(try await ox.call(.GET, "org/\(org)", token: ox.admin), code: 404)
        }
    }

    // MARK: Limits

    @Test("a body over 9 MiB is refused with 413 and stores nothing; exactly 9 MiB is accepted")
    func bodyLimit() async throws {
        try await OxFixture.with { ox in
            let token = try await ox.token()
            let limit = OxContract.maxRequestBytes
            #expect(limit == 9 * 1024 * 1024)
            let sensor = OxSamples.sensor(org: ox.orgID())
            let before = try await ox.snapshot()
            let over = try await ox.call(.POST, "sensor", token: token, body: sensor + String(repeating: " ", count: limit + 1 - sensor.utf8.count))
            expectOxFailure(over, code: 413, info: "\(limit)")
            #expect(try await ox.snapshot() == before)

            let exact = try await ox.call(.POST, "sensor", token: token, body: sensor + String(repeating: " ", count: limit - sensor.utf8.count))
            expectOxEnvelope(exact, code: 200)
            #expect(try await ox.count(.sensor) == 1)
        }
    }

    /// At the documented 1 s interval, on a clock the test moves: a loaded machine cannot stretch
    /// the gap between the two requests past the interval.
    @Test("one request per interval per client: the second within it is 429 with Retry-After; other clients are not affected")
    func pacing() async throws {
        let clock = HandMovedClock()
        try await OxFixture.with(.init(paceClock: clock.pace), orgs: 2) { ox in
            let a = try await ox.token(0), b = try await ox.token(1)
            // The token endpoint counts against the client's pace too.
            expectOxFailure(try await ox.call(.GET, "", token: a), code: 429, info: "Rate limit")
            clock.advance(by: .seconds(1))
            expectOxEnvelope(try await ox.call(.GET, "", token: a), code: 200)
            let before = try await ox.snapshot()
            clock.advance(by: .milliseconds(990))
            let second = try await ox.call(.POST, "sensor", token: a, body: OxSamples.sensor(org: ox.orgID(0)))
            expectOxFailure(second, code: 429, info: "Rate limit")
            #expect(second.headers.first(name: "Retry-After") == "1")
            #expect(try await ox.snapshot() == before, "a paced-out request is not processed")

            expectOxEnvelope(try await ox.call(.GET, "", token: b), code: 200)
            expectOxEnvelope(try await ox.call(.GET, "", token: ox.admin), code: 200)

            clock.advance(by: .milliseconds(10))
            expectOxEnvelope(try await ox.call(.POST, "sensor", token: a, body: OxSamples.sensor(org: ox.orgID(0))), code: 200)
        }
    }

    // MARK: Envelope

    @Test("failures carry the envelope: 4xx is `failure` with {id, info} or [{id, info}], 5xx is `error`")
    func failureEnvelopes() async throws {
        try await OxFixture.with { ox in
            let token = try await ox.token()
            let bad = try await ox.call(.POST, "sensor", token: token, body: "{")
            expectOxFailure(bad, code: 400, info: "JSON")
            #expect(bad.json["data"] == .object(["id": .null, "info": .string(bad.json["message"]?.stringValue ?? "")]))

            let one = try await ox.call(.GET, "sensor/1111222233334444", token: token)
            expectOxFailure(one, code: 404)
            #expect(one.json["data"]?["id"] == .string("1111222233334444"))
            #expect(one.json["data"]?["info"]?.stringValue?.isEmpty == false)

            let many = try await ox.call(.GET, "sensor/1111222233334444,1111222233335555", token: token)
            expectOxFailure(many, code: 404)
            #expect(many.json["data"]?.arrayValue?.allSatisfy { $0.objectValue.map { Set($0.keys) } == ["id", "info"] } == true)
            #expect(failedIDs(many) == ["1111222233334444", "1111222233335555"])
        }
        for (kind, code) in [(FaultConfiguration.Kind.error500, 500), (.error503, 503), (.tooManyRequests, 429)] {
            try await OxFixture.with(.init(requestInterval: .zero, faults: FaultConfiguration(rate: 1, kinds: [kind], seed: 7))) { ox in
                let reply = try await ox.call(.GET, "", token: ox.admin)
                expectOxFailure(reply, code: code)
                if code == 429 { #expect(reply.headers.first(name: "Retry-After") == "1") }
                let token = try await ox.h.send(.GET, "client/token/\(ox.org().org)/\(ox.org().client)/\(ox.org().clientApiKey)")
                expectOxFailure(token, code: code)
            }
        }
    }

    // MARK: Ids

    @Test("ox ids are 16 digits and JSON-safe (below 2^53): clients send them back as JSON numbers")
    func createdIDsAreJSONSafe() async throws {
        try await OxFixture.with { ox in
            let body = "[" + (0..<100).map { OxSamples.sensor(org: ox.orgID(), sensorID: "s\($0)") }.joined(separator: ",") + "]"
            let ids = try await ox.create(.sensor, token: ox.admin, body)
            #expect(ids.count == 100)
            #expect(Set(ids).count == 100)
            for id in ids {
                #expect(id.count == OxContract.idDigits)
                #expect(Int64(id).map { $0 < OxFixture.maxJSONSafeID } == true, "\(id)")
            }
        }
    }

    @Test("bootstrapped org ids are JSON-safe: a client can name its own org in parent_org, and GET shows Key objects")
    func bootstrapIDsAreJSONSafe() async throws {
        // Ids past 2^53 could not be sent back exactly as JSON numbers; 40 orgs would show one.
        try await EmulatorHarness.with(orgs: 40) { h in
            var problems: [String] = []
            for (index, org) in h.credentials.ox.orgs.enumerated() {
                if Int64(org.org).map({ $0 >= OxFixture.maxJSONSafeID }) ?? true { problems.append("org id \(org.org) ≥ 2^53") }
                let token = try await h.oxToken(org: index)
                let reply = try await h.ox(.POST, "sensor", token: token, body: OxSamples.sensor(org: org.org))
                if reply.status != 200 { problems.append("org \(org.org): POST /sensor → \(reply.status)") }
                let client = try await h.ox(.GET, "client/\(org.client)", token: token)
                if client.json["data"]?["parent_org"] != OxSamples.key(org.org, "Org") { problems.append("org \(org.org): its client's parent_org is not its Key") }
                let read = try await h.ox(.GET, "org/\(org.org)", token: token)
                if read.json["data"]?["org_owner"]?["kind"] != .string("User") { problems.append("org \(org.org): org_owner is not a Key") }
            }
            #expect(problems.isEmpty, "\(problems.joined(separator: "; "))")
        }
    }

    @Test("a 16-digit id with a fraction is not an integer")
    func fractionalID() async throws {
        try await OxFixture.with { ox in
            let before = try await ox.snapshot()
            // JSONValue holds numbers as Double, where numbers from 2^52 on have no fraction:
            // 5000000000000000.5 parses as the integer 5000000000000000 (so this is a 400 for an
            // unknown org, not for a wrong type). Needs exact number parsing in JSONValue.swift.
            let reply = try await ox.call(.POST, "sensor", token: ox.admin, body: OxSamples.sensor(org: "5000000000000000.5"))
            withKnownIssue("JSON numbers are parsed as Double") {
                expectOxFailure(reply, code: 400, info: #""parent_org" must be an integer"#)
            }
            #expect(reply.status == 400)
            #expect(try await ox.snapshot() == before)
        }
    }
}
