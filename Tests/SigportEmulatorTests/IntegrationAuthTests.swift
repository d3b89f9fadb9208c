import Foundation
import Testing
import SigportContract
@testable import SigportEmulator

@Suite("integration API auth")
struct IntegrationAuthTests {
    static func form(_ fields: [(String, String)]) -> Data {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return Data(fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
    }

    func token(_ h: EmulatorHarness, secret: String? = nil) async throws -> EmulatorHarness.Reply {
        let c = h.credentials.integration
        return try await h.send(.POST, "v1/oauth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Self.form([
            ("grant_type", "client_credentials"), ("client_id", c.credentials.clientId),
            ("client_secret", secret ?? c.credentials.clientSecret), ("audience", c.apiUrl),
        ]))
    }

    let params = #"{"integration":"$I","signalsByInput":{"a":{}}}"#

    @Test("OAuth 2.0 client credentials: a token, then Bearer calls")
    func oauth() async throws {
        try await EmulatorHarness.with { h in
            let reply = try await token(h)
            #expect(reply.status == 200)
            let accessToken = try #require(reply.json["access_token"]?.stringValue)
            #expect(reply.json["expires_in"] == .number(3600))
            #expect(reply.json["token_type"] == .string("Bearer"))
            let call = try await h.rpc("integration.saveSignals", params.replacingOccurrences(of: "$I", with: h.integrationID), auth: ("Authorization", "Bearer \(accessToken)"))
            #expect(call.json["result"]?["signalsByInput"]?["a"]?["created"] == .bool(true))
        }
    }

    @Test("a wrong client secret gets 401 and an RFC 6749 error body with exactly error and error_description")
    func wrongSecret() async throws {
        try await EmulatorHarness.with { h in
            let reply = try await token(h, secret: "wrong")
            #expect(reply.status == 401)
            #expect(Set(reply.json.objectValue?.keys.map { $0 } ?? []) == ["error", "error_description"])
            #expect(reply.json["error"] == .string("invalid_client"))
        }
    }

    @Test("missing, wrong and malformed credentials get 401 and change nothing", arguments: [
        nil, "Basic " + Data("aaaaaaaaaaaaaaaaaaaa:nope".utf8).base64EncodedString(), "Basic !!!", "Bearer not-a-token", "Digest x",
    ])
    func refused(authorization: String?) async throws {
        try await EmulatorHarness.with { h in
            var headers = [("Content-Type", "application/json"), ("X-API-Version", "1.1")]
            if let authorization { headers.append(("Authorization", authorization)) }
            let body = #"{"jsonrpc":"2.0","method":"integration.saveSignals","id":"1","params":\#(params.replacingOccurrences(of: "$I", with: h.integrationID))}"#
            let reply = try await h.send(.POST, "v1/rpc", headers: headers, body: Data(body.utf8))
            #expect(reply.status == 401)
            #expect(reply.json.rpcCode == -32003)
            let count = try await h.emulator.store.read { try SignalRecord.fetchCount($0) }
            #expect(count == 0)
        }
    }

    @Test("the right password for the wrong integration is refused")
    func wrongPassword() async throws {
        try await EmulatorHarness.with { h in
            let pair = "\(h.integrationID):\(h.credentials.integration.basicAuth.password)x"
            let reply = try await h.rpc("integration.saveSignals", params.replacingOccurrences(of: "$I", with: h.integrationID),
                                        auth: ("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
            #expect(reply.status == 401)
        }
    }

    @Test("an expired access token is refused (401) and a replay after expiry changes nothing")
    func expiredToken() async throws {
        try await EmulatorHarness.with(.init(requestInterval: .zero, accessTokenLifetime: .seconds(1))) { h in
            let accessToken = try #require(try await token(h).json["access_token"]?.stringValue)
            try await Task.sleep(for: .milliseconds(1100))
            let reply = try await h.rpc("integration.saveSignals", params.replacingOccurrences(of: "$I", with: h.integrationID), auth: ("Authorization", "Bearer \(accessToken)"))
            #expect(reply.status == 401)
            let count = try await h.emulator.store.read { try SignalRecord.fetchCount($0) }
            #expect(count == 0)
        }
    }
}

@Suite("documented limits and injected faults")
struct LimitTests {
    @Test("each version's size limit: 8 MiB for 1.1 and 1.0, 9 MiB for 1.1beta1 and ox; one byte over gets 413, the limit exactly is read")
    func sizeLimit() async throws {
        try await EmulatorHarness.with { h in
            for (version, limit) in [("1.1", 8 << 20), (nil, 8 << 20), ("1.0", 8 << 20), ("1.1beta1", 9 << 20)] {
                var headers = [h.basicAuth]
                if let version { headers.append(("X-API-Version", version)) }
                let over = try await h.send(.POST, "v1/rpc", headers: headers, body: Data(repeating: 0x20, count: limit + 1))
                #expect(over.status == 413, "\(version ?? "no version")")
                #expect(over.json.rpcCode == -32600)
                #expect(over.headers.first(name: "Connection") == "close")
                let at = try await h.send(.POST, "v1/rpc", headers: headers, body: Data(repeating: 0x20, count: limit))
                #expect(at.status == 200)
                #expect(at.json.rpcCode == -32700, "read, then refused as JSON, not as size")
            }
            let limit = OxContract.maxRequestBytes
            let ox = try await h.send(.POST, "event", headers: [("Authorization", "bearer \(try await h.oxToken())")], body: Data(repeating: 0x20, count: limit + 1))
            #expect(ox.status == 413)
            #expect(await h.emulator.stats().sizeViolations == 5)
        }
    }

    /// At the documented 1 s interval, on a clock the test moves: a loaded machine cannot stretch
    /// the gap between the two requests past the interval and make the test pass for nothing.
    @Test("reject mode: two requests of one method within the interval, the second gets 429 with Retry-After")
    func paceLimit() async throws {
        let clock = HandMovedClock()
        try await EmulatorHarness.with(.init(overRate: .reject, paceClock: clock.pace)) { (h: EmulatorHarness) async throws in
            let params = #"{"integration":"\#(h.integrationID)","signalsByInput":{}}"#
            let first = try await h.rpc("integration.saveSignals", params)
            #expect(first.status == 200)
            clock.advance(by: .milliseconds(400))
            let second = try await h.rpc("integration.saveSignals", params)
            #expect(second.status == 429)
            #expect(second.headers.first(name: "Retry-After") == "1")
            #expect(second.json.rpcCode == -32015)
            // Another credential is paced on its own.
            let ox = try await h.send(.GET, "client/token/\(h.credentials.ox.orgs[0].org)/\(h.credentials.ox.orgs[0].client)/\(h.credentials.ox.orgs[0].clientApiKey)")
            #expect(ox.status == 200)
            let stats = await h.emulator.stats()
            #expect(stats.paceViolations == 1)
            #expect(stats.paceViolationsByLane == ["integration.saveSignals": 1])
            #expect(stats.throttled == 0)
            // The interval less the 5 ms tolerance after the first, the same credential is served.
            clock.advance(by: .milliseconds(595))
            #expect(try await h.rpc("integration.saveSignals", params).status == 200)
        }
    }

    @Test("1.1 paces per method: an insert, a saveSignals, a dataFrame and a token in the same instant are all served at once")
    func perMethodLanes() async throws {
        let clock = HandMovedClock()
        try await EmulatorHarness.with(.init(overRate: .reject, paceClock: clock.pace)) { (h: EmulatorHarness) async throws in
            let i = h.integrationID
            #expect(try await h.rpc("integration.saveSignals", #"{"integration":"\#(i)","signalsByInput":{}}"#).status == 200)
            #expect(try await h.rpc("integration.insert", #"{"integration":"\#(i)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1]}}}"#).status == 200)
            #expect(try await h.rpc("clarify.dataFrame", #"{"query":{},"data":{"filter":{"times":{"$gte":"2024-03-01T00:00:00Z","$lt":"2024-03-02T00:00:00Z"}}}}"#).status == 200)
            let c = h.credentials.integration.credentials
            let form = "grant_type=client_credentials&client_id=\(c.clientId)&client_secret=\(c.clientSecret)&audience=x"
            #expect(try await h.send(.POST, "v1/oauth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(form.utf8)).status == 200)
            // selectSignals allows 10/s: a second one 100 ms later is served, one 50 ms after that is not.
            let select = #"{"integration":"\#(i)","query":{}}"#
            #expect(try await h.rpc("admin.selectSignals", select).status == 200)
            clock.advance(by: .milliseconds(100))
            #expect(try await h.rpc("admin.selectSignals", select).status == 200)
            clock.advance(by: .milliseconds(50))
            #expect(try await h.rpc("admin.selectSignals", select).status == 429)
            #expect(await h.emulator.stats().paceViolationsByLane == ["admin.selectSignals": 1])
        }
    }

    @Test("1.1beta1 has one limit for all methods: an insert right after a saveSignals is over the rate")
    func sharedLane() async throws {
        let clock = HandMovedClock()
        try await EmulatorHarness.with(.init(overRate: .reject, paceClock: clock.pace)) { (h: EmulatorHarness) async throws in
            let i = h.integrationID
            #expect(try await h.rpc("integration.saveSignals", #"{"integration":"\#(i)","inputs":{}}"#, version: "1.1beta1").status == 200)
            let insert = try await h.rpc("integration.insert", #"{"integration":"\#(i)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1]}}}"#, version: "1.1beta1")
            #expect(insert.status == 429)
            #expect(await h.emulator.stats().paceViolationsByLane == ["*": 1])
        }
    }

    @Test("the token endpoint has a limit of its own, 1/s per client, answered with 429 (slow_down)")
    func tokenLimit() async throws {
        let clock = HandMovedClock()
        try await EmulatorHarness.with(.init(paceClock: clock.pace)) { (h: EmulatorHarness) async throws in
            let auth = IntegrationAuthTests()
            #expect(try await auth.token(h).status == 200)
            let again = try await auth.token(h)
            #expect(again.status == 429)
            #expect(again.json["error"]?.stringValue == "slow_down")
            #expect(again.headers.first(name: "Retry-After") == "1")
            clock.advance(by: .seconds(1))
            #expect(try await auth.token(h).status == 200)
            #expect(await h.emulator.stats().paceViolationsByLane == [IntegrationLimits.tokenLane: 1])
        }
    }

    @Test("throttle mode (the default): requests over the rate are queued and served in order, one a second; past 10 s in the queue one times out")
    func throttling() async throws {
        let clock = HandMovedClock()
        try await EmulatorHarness.with(.init(queueLimit: .seconds(3), paceClock: clock.pace)) { (h: EmulatorHarness) async throws in
            let i = h.integrationID
            // Five inserts at the same instant, each writing its own time: slots 0, 1, 2, 3 s; the
            // fifth would wait 4 s, past the (shortened) queue limit. Each is sent once the one
            // before has reached the emulator (served, queued or timed out: each is counted once
            // by requests + paceViolations until the clock moves), so a loaded machine cannot
            // reorder them or let one arrive after the clock has moved.
            let arrived = { let s = await h.emulator.stats(); return s.requests + s.paceViolations }
            let replies = try await withThrowingTaskGroup(of: (Int, EmulatorHarness.Reply).self) { group in
                for n in 0..<5 {
                    group.addTask {
                        (n, try await h.rpc("integration.insert", #"{"integration":"\#(i)","data":{"times":["2024-03-01T00:00:0\#(n)Z"],"series":{"a":[\#(n)]}}}"#))
                    }
                    while await arrived() < n + 1 { try await Task.sleep(for: .milliseconds(5)) }
                }
                // Move the clock a second at a time; after each, the next queued one is served.
                for served in 2...4 {
                    clock.advance(by: .seconds(1))
                    while await h.emulator.stats().requests < served { try await Task.sleep(for: .milliseconds(5)) }
                }
                var replies: [Int: EmulatorHarness.Reply] = [:]
                for try await (n, reply) in group { replies[n] = reply }
                return replies
            }
            for n in 0..<4 { #expect(replies[n]?.status == 200 && replies[n]?.json["result"] != nil, "insert \(n) served") }
            #expect(replies[4]?.status == 200)
            #expect(replies[4]?.json.rpcCode == -32015, "timed out in the queue: try again")
            let stats = await h.emulator.stats()
            #expect(stats.paceViolations == 4)
            #expect(stats.throttled == 3)
            #expect(stats.queueTimeouts == 1)
            let stored = try await InsertTests.stored(h, "a")
            #expect(stored.sorted { $0.key < $1.key }.map(\.value) == [0, 1, 2, 3], "the timed-out one stored nothing")
        }
    }

    @Test("injected 500 and 503 answer before anything is stored")
    func injectedErrors() async throws {
        for (kind, status) in [(FaultConfiguration.Kind.error500, 500), (.error503, 503), (.tooManyRequests, 429)] {
            try await EmulatorHarness.with(.init(requestInterval: .zero, faults: .init(rate: 1, kinds: [kind]))) { h in
                let reply = try await h.rpc("integration.insert", #"{"integration":"\#(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1]}}}"#)
                #expect(reply.status == status)
                #expect(try await InsertTests.stored(h, "a").isEmpty)
            }
        }
    }

    @Test("a cut connection after commit: the client sees an error, the data is stored")
    func cutAfterCommit() async throws {
        try await EmulatorHarness.with(.init(requestInterval: .zero, faults: .init(rate: 1, kinds: [.cutAfterCommit]))) { h in
            await #expect(throws: (any Error).self) {
                let reply = try await h.rpc("integration.insert", #"{"integration":"\#(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1]}}}"#)
                // A truncated body that still arrives is not a valid answer either.
                if (try? JSONDecoder().decode(JSONValue.self, from: reply.body)) == nil { throw CancellationError() }
            }
            let stored = try await InsertTests.stored(h, "a")
            #expect(stored == [1_709_251_200_000_000: 1])
        }
    }

    @Test("faults follow the seed: the same seed draws the same sequence")
    func seededFaults() async {
        let configuration = FaultConfiguration(rate: 0.3, seed: 42)
        let a = FaultInjector(configuration: configuration)
        let b = FaultInjector(configuration: configuration)
        var first: [FaultConfiguration.Kind?] = []
        var second: [FaultConfiguration.Kind?] = []
        for _ in 0..<200 { first.append(await a.draw()); second.append(await b.draw()) }
        #expect(first == second)
        let rate = Double(first.compactMap { $0 }.count) / 200
        #expect(rate > 0.15 && rate < 0.45)
    }
}

