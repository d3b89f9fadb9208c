import Foundation
import NIOHTTP1
import SigportContract
import Testing
@testable import SigportEmulator

@Suite("ox CRUD and validation")
struct OxCRUDTests {
    /// How a test creates and changes entities of one kind: who may, and sample bodies by number.
    struct Subject {
        let token: String
        let payload: @Sendable (Int) -> String
        /// Changes for `PUT`, by number (1…3).
        let changes: @Sendable (Int) -> String
    }

    func subject(_ kind: OxContract.Kind, _ ox: OxFixture) async throws -> Subject {
        let org = ox.orgID()
        switch kind {
        case .org:
            return Subject(token: ox.admin, payload: { OxSamples.org(alias: "Co \($0)") }, changes: {
                [#"{"org_active": false}"#, #"{"org_alias": "New Company Name Inc."}"#,
                 #"{"org_users": {"1234567890988888": 0}, "org_alias": "Renamed"}"#][$0 - 1]
            })
        case .client:
            return Subject(token: try await ox.token(), payload: { OxSamples.client(org: org, name: "client \($0)", id: "ipad/\($0)") }, changes: {
                [#"{"client_name": "new device name"}"#, #"{"client_name": "very new device name"}"#,
                 #"{"client_id": "ipod/777", "parent_user": 1234123412341234}"#][$0 - 1]
            })
        case .beacon:
            return Subject(token: try await ox.token(), payload: { OxSamples.beacon(org: org, beaconID: "beacon-\($0)") }, changes: {
                [#"{"beacon_env": "iOS 10.0", "beacon_type": "iphone", "beacon_version": "2.2.0/5"}"#,
                 #"{"beacon_env": "iOS 11.0", "beacon_type": "ipad", "beacon_version": "1.2.0"}"#,
                 #"{"beacon_last_event": {}}"#][$0 - 1]
            })
        case .sensor:
            return Subject(token: try await ox.token(), payload: { OxSamples.sensor(org: org, sensorID: "sensor-\($0)") }, changes: {
                [#"{"sensor_version": "8"}"#, #"{"sensor_id": "yul-773"}"#, #"{"sensor_type": "chest/mid", "parent_org": \#(org)}"#][$0 - 1]
            })
        case .event:
            let token = try await ox.token()
            let beacon = try await ox.createOne(.beacon, token: token, OxSamples.beacon(org: org))
            let sensors = try await ox.create(.sensor, token: token, "[\(OxSamples.sensor(org: org)), \(OxSamples.sensor(org: org, sensorID: "b"))]")
            return Subject(token: token, payload: { OxSamples.event(org: org, beacon: beacon, sensor: sensors[0], reading: 100 + $0) }, changes: {
                [#"{"event_reading": 124}"#, #"{"event_type": "skin_temp"}"#,
                 #"{"event_timestamp": 1509108148220, "event_sensor": \#(sensors[1])}"#][$0 - 1]
            })
        }
    }

    /// `data` is the entity `payload` (with `changes` applied) as GET returns it: references as Key
    /// objects, `created_at`/`modified_at` appended, a client's `client_secret` too, nothing else.
    func expectEntity(_ data: JSONValue?, _ payload: String, changes: [String] = [], kind: OxContract.Kind,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        var expected = OxSamples.rendered(payload)
        for change in changes { expected.merge(OxSamples.rendered(change)) { $1 } }
        var actual = data?.objectValue ?? [:]
        for field in ["created_at", "modified_at"] {
            let value = actual.removeValue(forKey: field)?.stringValue ?? ""
            #expect(value.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(field) \(value)", sourceLocation: sourceLocation)
        }
        if kind == .client {
            #expect(actual.removeValue(forKey: "client_secret")?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        }
        #expect(actual == expected, sourceLocation: sourceLocation)
    }

    func ids(_ reply: EmulatorHarness.Reply) -> [String] { reply.json["data"]?["ids"]?.arrayValue?.compactMap { $0.stringValue } ?? [] }

    // MARK: Lifecycle

    @Test("create one and many, retrieve one and many in order, update one and many, delete one and many",
          arguments: OxContract.Kind.allCases)
    func lifecycle(kind: OxContract.Kind) async throws {
        try await OxFixture.with { ox in
            let s = try await subject(kind, ox)
            let countBefore = try await ox.count(kind)
            let extraKeys: Set<String> = kind == .client ? ["client_api_key"] : []

            // Create one: {ids: [id], info: "done"}.
            let one = try await ox.call(.POST, kind.path, token: s.token, body: s.payload(1))
            expectOxEnvelope(one, code: 200)
            #expect(Set(one.json["data"]?.objectValue?.keys.map { $0 } ?? []) == Set(["ids", "info"]).union(extraKeys))
            #expect(one.json["data"]?["info"] == .string("done"))
            let id1 = try #require(ids(one).first)
            #expect(ids(one).count == 1)

            // Create many: one id per object, in order.
            let many = try await ox.call(.POST, kind.path, token: s.token, body: "[\(s.payload(2)),\n\(s.payload(3))]")
            expectOxEnvelope(many, code: 200)
            #expect(Set(many.json["data"]?.objectValue?.keys.map { $0 } ?? []) == Set(["ids", "info"]).union(kind == .client ? ["client_api_keys"] : []))
            #expect(many.json["data"]?["info"] == .string("done"))
            let created = ids(many)
            try #require(created.count == 2)
            let (id2, id3) = (created[0], created[1])
            #expect(Set([id1, id2, id3]).count == 3)
            for id in [id1, id2, id3] { #expect(id.count == OxContract.idDigits && Int64(id) != nil, "id \(id)") }
            #expect(try await ox.count(kind) == countBefore + 3)

            // Retrieve one: an object.
            let got = try await ox.call(.GET, "\(kind.path)/\(id1)", token: s.token)
            expectOxEnvelope(got, code: 200)
            expectEntity(got.json["data"], s.payload(1), kind: kind)
            #expect(got.json["data"]?["created_at"] == got.json["data"]?["modified_at"])
            let createdAt = try #require(got.json["data"]?["created_at"]?.stringValue)

            // Retrieve many: an array, in the order asked.
            let all = try await ox.call(.GET, "\(kind.path)/\(id3),\(id1),\(id2)", token: s.token)
            expectOxEnvelope(all, code: 200)
            let array = try #require(all.json["data"]?.arrayValue)
            try #require(array.count == 3)
            for (entity, n) in zip(array, [3, 1, 2]) { expectEntity(entity, s.payload(n), kind: kind) }

            // Update one: fields named change, the rest stay, modified_at moves.
            try await Task.sleep(for: .milliseconds(5))
            let update = try await ox.call(.PUT, kind.path, token: s.token, body: #"{"\#(id1)": \#(s.changes(1))}"#)
            expectOxEnvelope(update, code: 200)
            #expect(update.json["data"] == .object(["ids": .array([.string(id1)]), "info": .string("done")]))
            let updated = try await ox.call(.GET, "\(kind.path)/\(id1)", token: s.token)
            expectEntity(updated.json["data"], s.payload(1), changes: [s.changes(1)], kind: kind)
            #expect(updated.json["data"]?["created_at"] == .string(createdAt))
            #expect((updated.json["data"]?["modified_at"]?.stringValue ?? "") > createdAt)

            // Update many.
            let updateMany = try await ox.call(.PUT, kind.path, token: s.token,
                                               body: #"{"\#(id2)": \#(s.changes(2)), "\#(id3)": \#(s.changes(3))}"#)
            expectOxEnvelope(updateMany, code: 200)
            #expect(Set(ids(updateMany)) == [id2, id3] && ids(updateMany).count == 2)
            #expect(updateMany.json["data"]?["info"] == .string("done"))
            let both = try await ox.call(.GET, "\(kind.path)/\(id2),\(id3)", token: s.token)
            let updatedArray = try #require(both.json["data"]?.arrayValue)
            try #require(updatedArray.count == 2)
            expectEntity(updatedArray[0], s.payload(2), changes: [s.changes(2)], kind: kind)
            expectEntity(updatedArray[1], s.payload(3), changes: [s.changes(3)], kind: kind)
            // id1 untouched by the second update.
            let still = try await ox.call(.GET, "\(kind.path)/\(id1)", token: s.token)
            #expect(still.json["data"] == updated.json["data"])

            // Delete one, then many; each is gone (404) afterwards.
            let deleteOne = try await ox.call(.DELETE, "\(kind.path)/\(id1)", token: s.token)
            expectOxEnvelope(deleteOne, code: 200)
            #expect(deleteOne.json["data"] == .object(["ids": .array([.string(id1)]), "info": .string("done")]))
            let gone = try await ox.call(.GET, "\(kind.path)/\(id1)", token: s.token)
            expectOxFailure(gone, code: 404)
            #expect(failedIDs(gone) == [id1])
            expectOxEnvelope(try await ox.call(.GET, "\(kind.path)/\(id2)", token: s.token), code: 200)

            let deleteMany = try await ox.call(.DELETE, "\(kind.path)/\(id2),\(id3)", token: s.token)
            expectOxEnvelope(deleteMany, code: 200)
            #expect(deleteMany.json["data"] == .object(["ids": .array([.string(id2), .string(id3)]), "info": .string("done")]))
            let goneMany = try await ox.call(.GET, "\(kind.path)/\(id2),\(id3)", token: s.token)
            expectOxFailure(goneMany, code: 404)
            #expect(failedIDs(goneMany) == [id2, id3])
            #expect(try await ox.count(kind) == countBefore)
        }
    }

    @Test("missing ids are 404 naming exactly them, and a call naming any changes nothing", arguments: OxContract.Kind.allCases)
    func missingIDs(kind: OxContract.Kind) async throws {
        try await OxFixture.with { ox in
            let s = try await subject(kind, ox)
            let id = try await ox.createOne(kind, token: s.token, s.payload(1))
            let (m1, m2) = ("1111222233334444", "1111222233335555")

            let one = try await ox.call(.GET, "\(kind.path)/\(m1)", token: s.token)
            expectOxFailure(one, code: 404, info: "not found")
            #expect(failedIDs(one) == [m1])
            let mixed = try await ox.call(.GET, "\(kind.path)/\(m2),\(id),\(m1)", token: s.token)
            expectOxFailure(mixed, code: 404)
            #expect(failedIDs(mixed) == [m2, m1])

            let before = try await ox.snapshot()
            let update = try await ox.call(.PUT, kind.path, token: s.token, body: #"{"\#(id)": \#(s.changes(1)), "\#(m1)": \#(s.changes(2))}"#)
            expectOxFailure(update, code: 404)
            #expect(failedIDs(update) == [m1])
            let delete = try await ox.call(.DELETE, "\(kind.path)/\(id),\(m1),\(m2)", token: s.token)
            expectOxFailure(delete, code: 404)
            #expect(failedIDs(delete) == [m1, m2])
            #expect(try await ox.snapshot() == before, "a 404 updates and deletes nothing")

            // An entity of another kind does not exist as this kind.
            let other = kind == .client ? ox.orgID() : ox.org().client
            expectOxFailure(try await ox.call(.GET, "\(kind.path)/\(other)", token: s.token), code: 404)
            expectOxFailure(try await ox.call(.DELETE, "\(kind.path)/\(other)", token: s.token), code: 404)
            #expect(try await ox.snapshot() == before)
        }
    }

    // MARK: Clients and keys

    @Test("a new client's API key (shown once) gets a token; GET shows only its hash; a deleted client gets none")
    func clientKeys() async throws {
        try await OxFixture.with { ox in
            let token = try await ox.token()
            let org = ox.orgID()
            let one = try await ox.call(.POST, "client", token: token, body: OxSamples.client(org: org))
            let key = try #require(one.json["data"]?["client_api_key"]?.stringValue)
            #expect(key.wholeMatch(of: /[0-9a-f]{64}/) != nil)
            let id = try #require(ids(one).first)
            let many = try await ox.call(.POST, "client", token: token,
                                         body: "[\(OxSamples.client(org: org, name: "a", id: "a")), \(OxSamples.client(org: org, name: "b", id: "b"))]")
            let keys = try #require(many.json["data"]?["client_api_keys"]?.arrayValue?.compactMap { $0.stringValue })
            #expect(many.json["data"]?["client_api_key"] == nil)
            try #require(keys.count == 2 && Set(keys + [key]).count == 3)

            let all = ids(many)
            try #require(all.count == 2)
            for (client, apiKey, name) in [(all[0], keys[0], "a"), (all[1], keys[1], "b"), (id, key, "My first client")] {
                let issued = try await ox.h.send(.GET, "client/token/\(org)/\(client)/\(apiKey)")
                expectOxEnvelope(issued, code: 200)
                #expect(JWTText.part(1, of: issued.json["data"]?["token"]?.stringValue ?? "")?["sub"] == .string(client))
                #expect(issued.json["data"]?["client_name"] == .string(name))
            }
            // Keys are per client.
            expectOxFailure(try await ox.h.send(.GET, "client/token/\(org)/\(id)/\(keys[0])"), code: 403)

            let shown = try await ox.call(.GET, "client/\(id)", token: token)
            let secret = try #require(shown.json["data"]?["client_secret"]?.stringValue)
            #expect(secret != key && !secret.contains(key))

            // A renamed client's next token carries the new name.
            _ = try await ox.call(.PUT, "client", token: token, body: #"{"\#(id)": {"client_name": "renamed"}}"#)
            let renamed = try await ox.h.send(.GET, "client/token/\(org)/\(id)/\(key)")
            #expect(JWTText.part(1, of: renamed.json["data"]?["token"]?.stringValue ?? "")?["client_name"] == .string("renamed"))

            expectOxEnvelope(try await ox.call(.DELETE, "client/\(id)", token: token), code: 200)
            expectOxFailure(try await ox.h.send(.GET, "client/token/\(org)/\(id)/\(key)"), code: 404)
        }
    }

    // MARK: Validation

    struct Rejection: Sendable, CustomTestStringConvertible {
        let who, method, path, body, info: String
        init(_ who: String, _ method: String, _ path: String, _ body: String, _ info: String) {
            (self.who, self.method, self.path, self.body, self.info) = (who, method, path, body, info)
        }
        var testDescription: String { "\(who) \(method) /\(path) → \(info)" }
    }

    /// Each documented rule broken once: 400 with the envelope, `info` naming the problem, and
    /// nothing stored or changed. `$ORG`, `$BEACON`, `$SENSOR`, `$SENSOR2`, `$EVENT`, `$CLIENT`
    /// are org A's; `$SENSORB` is org B's; `$MISSING` exists nowhere.
    static let rejections: [Rejection] = [
        // Unknown fields, including the Event schema example's names.
        Rejection("client", "POST", "beacon", OxSamples.beacon(org: "$ORG").replacingOccurrences(of: "{", with: #"{"colour": "red", "#, options: .anchored), #""colour" is not a Beacon field"#),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSOR").replacingOccurrences(of: "event_timestamp", with: "collected_at"), #""collected_at" is not a Event field; the endpoints call it "event_timestamp""#),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSOR").replacingOccurrences(of: "event_beacon", with: "parent_beacon"), #"the endpoints call it "event_beacon""#),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSOR").replacingOccurrences(of: "event_sensor", with: "parent_sensor"), #"the endpoints call it "event_sensor""#),
        Rejection("client", "POST", "event", #"{"collected_at": 1234567000, "parent_org": $ORG, "parent_beacon": $BEACON, "parent_sensor": $SENSOR, "event_reading": 123, "event_type": "heart_rate"}"#, "collected_at"),
        Rejection("client", "PUT", "sensor", #"{"$SENSOR": {"colour": "red"}}"#, #""colour" is not a Sensor field"#),
        Rejection("client", "PUT", "client", #"{"$CLIENT": {"client_type": "very new device name"}}"#, #""client_type" is not a Client field"#),
        Rejection("admin", "POST", "org", OxSamples.org().replacingOccurrences(of: "org_clients", with: "org_client"), #""org_client" is not a Org field"#),
        // Missing required fields.
        Rejection("client", "POST", "beacon", OxSamples.beacon(org: "$ORG").replacingOccurrences(of: #""beacon_version": "1.1.1/34", "#, with: ""), #""beacon_version" is required"#),
        Rejection("client", "POST", "beacon", OxSamples.beacon(org: "$ORG").replacingOccurrences(of: #""parent_org": $ORG, "#, with: ""), #""parent_org" is required"#),
        Rejection("client", "POST", "sensor", #"{"parent_org": $ORG, "sensor_version": "7", "sensor_type": "glove/palm"}"#, #""sensor_id" is required"#),
        Rejection("client", "POST", "client", #"{"parent_org": $ORG, "client_id": "ipad/123"}"#, #""client_name" is required"#),
        Rejection("client", "POST", "event", #"{"parent_org": $ORG, "event_sensor": $SENSOR, "event_reading": 123, "event_type": "heart_rate"}"#, #""event_timestamp" is required"#),
        Rejection("admin", "POST", "org", #"{"org_owner": 5432543254325432, "org_sensors": {}, "org_beacons": {}, "org_users": {}, "org_clients": {}}"#, #""org_active" is required"#),
        Rejection("client", "POST", "sensor", "[" + OxSamples.sensor(org: "$ORG") + #", {"parent_org": $ORG, "sensor_version": "7", "sensor_id": "x"}]"#, #"[1]: "sensor_type" is required"#),
        // Wrong types.
        Rejection("client", "PUT", "sensor", #"{"$SENSOR": {"parent_org": false}}"#, #""parent_org" must be an integer"#),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSOR").replacingOccurrences(of: "1509108148219", with: #""1509108148219""#), #""event_timestamp" must be an integer"#),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSOR").replacingOccurrences(of: "1509108148219", with: #""2017-10-27T12:42:28.219Z""#), #""event_timestamp" must be an integer"#),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSOR").replacingOccurrences(of: "123", with: #""123""#), #""event_reading" must be an integer"#),
        Rejection("client", "POST", "beacon", OxSamples.beacon(org: "$ORG").replacingOccurrences(of: #""parent_org": $ORG"#, with: #""parent_org": "$ORG""#), #""parent_org" must be an integer"#),
        Rejection("client", "POST", "beacon", OxSamples.beacon(org: "$ORG").replacingOccurrences(of: #""parent_org": $ORG"#, with: #""parent_org": 12.5"#), #""parent_org" must be an integer"#),
        Rejection("client", "POST", "beacon", #"{"parent_org": $ORG, "beacon_id": "b", "beacon_env": "iOS", "beacon_type": "iphone", "beacon_version": "1", "beacon_last_event": "x"}"#, #""beacon_last_event" must be an object"#),
        Rejection("client", "POST", "client", OxSamples.client(org: "$ORG").replacingOccurrences(of: #""ipad/123""#, with: "123"), #""client_id" must be a string"#),
        Rejection("client", "PUT", "beacon", #"{"$BEACON": {"beacon_env": null}}"#, #""beacon_env" must be a string"#),
        Rejection("admin", "POST", "org", OxSamples.org().replacingOccurrences(of: #""org_active": true"#, with: #""org_active": "true""#), #""org_active" must be a boolean"#),
        Rejection("admin", "POST", "org", OxSamples.org().replacingOccurrences(of: #""org_sensors": {"1234567890981111""#, with: #""org_sensors": {"abc""#), #""org_sensors" must be an IdMap"#),
        Rejection("admin", "POST", "org", OxSamples.org().replacingOccurrences(of: #""1234567890987654": 1515513419829"#, with: #""1234567890987654": -1"#), #""org_beacons" must be an IdMap"#),
        Rejection("client", "PUT", "org", #"{"$ORG": {"org_beacons": {"$BEACON": true}}}"#, #""org_beacons" must be an IdMap"#),
        // Invalid JSON, as several of the page's examples are.
        Rejection("client", "POST", "client", "{\n  \"parent_org\": $ORG,\n  \"parent_user\": 4321432143214321,\n  \"client_name\": \"My first client\",\n  \"client_id\": \"ipad/123\",\n}", "not valid JSON"),
        Rejection("client", "POST", "client", "[{\n  \"parent_org\": $ORG,\n  \"client_name\": \"My first client\",\n  \"client_id\": \"ipad/123\",\n},{\n  \"parent_org\": $ORG,\n  \"client_name\": \"My second client\",\n  \"client_id\": \"ipod/777\",\n}\n]", "not valid JSON"),
        Rejection("client", "PUT", "client", "{ \n    \"$CLIENT\": {\n        \"client_name\": \"new device name\",\n    }\n}", "not valid JSON"),
        Rejection("client", "POST", "event", "{\n  \"parent_org\": $ORG,\n  \"event_beacon\": $BEACON,\n  \"event_sensor\": $SENSOR,\n  \"event_reading\": 123,\n  \"event_type\": \"heart_rate\",\n  \"event_timestamp\": 1234567000,\n}", "not valid JSON"),
        Rejection("client", "PUT", "event", "{ \n    \"$EVENT\": {\n\t  \"parent_org\": 0987098709870987,\n    }\n}", "not valid JSON"),
        Rejection("client", "PUT", "event", "{\"$EVENT\": {\"parent_org\": 0$ORG}}", "not valid JSON"),
        Rejection("client", "POST", "beacon", "{\n  \"beacon_id\": \"014DB0FE\",\n  \"beacon_env\": \"iOS 9.0\",\n  \"beacon_type\": \"iphone\",\n  \"beacon_version\": \"1.1.1/34\",\n  \"beacon_last_event\": {\n    \"foo\": \"bar\"\n  },\n  \"parent_org\": $ORG,\n}", "not valid JSON"),
        Rejection("client", "POST", "sensor", "{\n  \"parent_org\": $ORG\n  \"sensor_version\": \"7\",\n  \"sensor_type\": \"glove/palm\",\n  \"sensor_id\": \"12345\"\n}", "not valid JSON"),
        Rejection("client", "POST", "sensor", "[" + OxSamples.sensor(org: "$ORG") + ",]", "not valid JSON"),
        Rejection("client", "POST", "sensor", #"{"parent_org": $ORG, "#, "not valid JSON"),
        Rejection("client", "POST", "sensor", "", "not valid JSON"),
        // Wrong shapes.
        Rejection("client", "POST", "sensor", "[]", "non-empty array"),
        Rejection("client", "POST", "sensor", #""sensor""#, "non-empty array"),
        Rejection("client", "POST", "sensor", #"[{"parent_org": $ORG, "sensor_version": "7", "sensor_type": "glove/palm", "sensor_id": "1"}, 7]"#, "must be an object"),
        Rejection("client", "PUT", "sensor", "[" + OxSamples.sensor(org: "$ORG") + "]", "<id>"),
        Rejection("client", "PUT", "sensor", "{}", "<id>"),
        Rejection("client", "PUT", "sensor", #"{"$SENSOR": "x"}"#, "must be an object"),
        Rejection("client", "PUT", "sensor", #"{"sensor-1": {"sensor_version": "8"}}"#, "Invalid id"),
        Rejection("client", "PUT", "sensor", #"{"$SENSOR": {"sensor_version": "9"}, "$SENSOR2": {"sensor_version": 9}}"#, #""sensor_version" must be a string"#),
        Rejection("client", "GET", "sensor/abc", "", "Invalid id"),
        Rejection("client", "GET", "sensor/0", "", "Invalid id"),
        Rejection("client", "GET", "sensor/12345678901234567890", "", "Invalid id"),
        Rejection("client", "DELETE", "sensor/$SENSOR,,$SENSOR2", "", "Invalid id"),
        Rejection("client", "DELETE", "sensor/$SENSOR,-3", "", "Invalid id"),
        // References must exist, be of the right kind, and (for an event) be in the event's org.
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$MISSING"), "event_sensor $MISSING is not an existing Sensor"),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$SENSOR", sensor: "$SENSOR"), "event_beacon $SENSOR is not an existing Beacon"),
        Rejection("client", "POST", "event", OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSORB"), "event_sensor $SENSORB belongs to another org"),
        Rejection("client", "POST", "event", "[" + OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$SENSOR") + ", " + OxSamples.event(org: "$ORG", beacon: "$BEACON", sensor: "$MISSING") + "]", "is not an existing Sensor"),
        Rejection("client", "PUT", "event", #"{"$EVENT": {"event_sensor": $SENSORB}}"#, "belongs to another org"),
        Rejection("client", "PUT", "event", #"{"$EVENT": {"event_beacon": $MISSING}}"#, "is not an existing Beacon"),
        Rejection("admin", "POST", "beacon", OxSamples.beacon(org: "$MISSING"), "parent_org $MISSING is not an existing Org"),
        Rejection("admin", "POST", "client", OxSamples.client(org: "$BEACON"), "parent_org $BEACON is not an existing Org"),
        Rejection("admin", "PUT", "sensor", #"{"$SENSOR": {"parent_org": $MISSING}}"#, "is not an existing Org"),
        Rejection("admin", "PUT", "event", #"{"$EVENT": {"parent_org": $ORGB}}"#, "belongs to another org"),
    ]

    @Test("every validation rule is a 400 that changes nothing", arguments: rejections)
    func rejected(_ r: Rejection) async throws {
        let (who, method, path, body, info) = (r.who, r.method, r.path, r.body, r.info)
        try await OxFixture.with(orgs: 2) { ox in
            let token = try await ox.token(0)
            let org = ox.orgID(0)
            let beacon = try await ox.createOne(.beacon, token: token, OxSamples.beacon(org: org))
            let sensors = try await ox.create(.sensor, token: token, "[\(OxSamples.sensor(org: org)), \(OxSamples.sensor(org: org, sensorID: "2"))]")
            let event = try await ox.createOne(.event, token: token, OxSamples.event(org: org, beacon: beacon, sensor: sensors[0]))
            let sensorB = try await ox.createOne(.sensor, token: ox.admin, OxSamples.sensor(org: ox.orgID(1)))
            func fill(_ text: String) -> String {
                [("$SENSORB", sensorB), ("$SENSOR2", sensors[1]), ("$SENSOR", sensors[0]), ("$ORGB", ox.orgID(1)), ("$ORG", org),
                 ("$BEACON", beacon), ("$EVENT", event), ("$CLIENT", ox.org(0).client), ("$MISSING", "1111222233334444")]
                    .reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
            }
            let before = try await ox.snapshot()
            let reply = try await ox.call(HTTPMethod(rawValue: method), fill(path), token: who == "admin" ? ox.admin : token,
                                          body: method == "GET" || method == "DELETE" ? nil : fill(body))
            expectOxFailure(reply, code: 400, info: fill(info))
            #expect(try await ox.snapshot() == before, "a refused request changes nothing")
        }
    }

    @Test("the page's invalid examples, made valid JSON, are accepted")
    func pageExamplesMadeValid() async throws {
        try await OxFixture.with { ox in
            let token = try await ox.token()
            let org = ox.orgID()
            _ = try await ox.createOne(.client, token: token, "{\n  \"parent_org\": \(org),\n  \"parent_user\": 4321432143214321,\n  \"client_name\": \"My first client\",\n  \"client_id\": \"ipad/123\"\n}")
            let beacon = try await ox.createOne(.beacon, token: token, "{\n  \"beacon_id\": \"014DB0FE\",\n  \"beacon_env\": \"iOS 9.0\",\n  \"beacon_type\": \"iphone\",\n  \"beacon_version\": \"1.1.1/34\",\n  \"beacon_last_event\": {\n    \"foo\": \"bar\"\n  },\n  \"parent_org\": \(org)\n}")
            let sensor = try await ox.createOne(.sensor, token: token, "{\n  \"parent_org\": \(org),\n  \"sensor_version\": \"7\",\n  \"sensor_type\": \"glove/palm\",\n  \"sensor_id\": \"12345\"\n}")
            let event = try await ox.createOne(.event, token: token, "{\n  \"parent_org\": \(org),\n  \"event_beacon\": \(beacon),\n  \"event_sensor\": \(sensor),\n  \"event_reading\": 123,\n  \"event_type\": \"heart_rate\",\n  \"event_timestamp\": 1234567000\n}")
            let update = try await ox.call(.PUT, "event", token: token, body: "{ \n    \"\(event)\": {\n\t  \"parent_org\": \(org)\n    }\n}")
            expectOxEnvelope(update, code: 200)
            // An event without beacon or sensor is fine: only parent_org, reading, type and timestamp are required.
            _ = try await ox.createOne(.event, token: token, #"{"parent_org": \#(org), "event_reading": 60, "event_type": "heart_rate", "event_timestamp": 1509108148219}"#)
            let got = try await ox.call(.GET, "event/\(event)", token: token)
            #expect(got.json["data"]?["event_timestamp"] == .number(1234567000))
            #expect(got.json["data"]?["event_beacon"] == OxSamples.key(beacon, "Beacon"))
            #expect(got.json["data"]?["event_sensor"] == OxSamples.key(sensor, "Sensor"))
        }
    }
}
