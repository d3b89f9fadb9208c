import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SigportContract
import Testing
@testable import SigportEmulator

/// An emulator for the ox tests: the harness, which of its bootstrapped orgs to use, and
/// shorthands for calls and for reading the emulator's state behind the API.
struct OxFixture: Sendable {
    let h: EmulatorHarness
    /// Indices into `h.credentials.ox.orgs` of the orgs the test uses.
    let indices: [Int]

    /// Clients send ids back as JSON numbers, exact only below 2^53.
    static let maxJSONSafeID: Int64 = 1 << 53

    /// Starts an emulator with `orgs` ox orgs (pacing off unless `configuration` says otherwise).
    static func with<T: Sendable>(
        _ configuration: EmulatorConfiguration = .init(requestInterval: .zero),
        orgs: Int = 1,
        _ body: @Sendable (OxFixture) async throws -> T
    ) async throws -> T {
        try await EmulatorHarness.with(configuration, orgs: orgs) { h in
            try await body(OxFixture(h: h, indices: Array(0..<orgs)))
        }
    }

    var admin: String { h.credentials.ox.adminToken }
    func org(_ index: Int = 0) -> EmulatorCredentials.OxOrg { h.credentials.ox.orgs[indices[index]] }
    func orgID(_ index: Int = 0) -> String { org(index).org }
    func token(_ index: Int = 0) async throws -> String { try await h.oxToken(org: indices[index]) }

    /// A call with `Authorization: bearer <token>` (none when `token` is nil).
    func call(_ method: HTTPMethod, _ path: String, token: String?, body: String? = nil) async throws -> EmulatorHarness.Reply {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "bearer \(token)")) }
        return try await h.send(method, path, headers: headers, body: body.map { Data($0.utf8) })
    }

    /// Creates entities and returns their ids; the call must succeed.
    func create(_ kind: OxContract.Kind, token: String, _ body: String,
                sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let reply = try await call(.POST, kind.path, token: token, body: body)
        try #require(reply.status == 200, "POST /\(kind.path) → \(reply.status) \(String(decoding: reply.body, as: UTF8.self))",
                     sourceLocation: sourceLocation)
        return try #require(reply.json["data"]?["ids"]?.arrayValue?.compactMap { $0.stringValue }, sourceLocation: sourceLocation)
    }

    func createOne(_ kind: OxContract.Kind, token: String, _ body: String,
                   sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let ids = try await create(kind, token: token, body, sourceLocation: sourceLocation)
        return try #require(ids.first, sourceLocation: sourceLocation)
    }

    /// Every stored ox entity as `id kind parentOrg modifiedAt document`, sorted: equal snapshots
    /// mean nothing was created, changed or deleted.
    func snapshot() async throws -> [String] {
        try await h.emulator.store.read { db in
            try OxEntityRecord.fetchAll(db).map { "\($0.id) \($0.kind) \($0.parentOrg.map(String.init) ?? "-") \($0.modifiedAt) \($0.document)" }.sorted()
        }
    }

    func count(_ kind: OxContract.Kind) async throws -> Int {
        try await h.emulator.store.read { db in try OxEntityRecord.fetchAll(db).filter { $0.kind == kind.rawValue }.count }
    }
}

/// Bodies shaped like the page's examples, with the ids of this emulator's entities.
enum OxSamples {
    static func org(alias: String = "FastCars Co.") -> String {
        #"{"org_owner": 5432543254325432, "org_active": true, "org_sensors": {"1234567890981111": 1515513411000}, "org_beacons": {"1234567890987654": 1515513419829}, "org_users": {"1234567890988888": 1515513419829}, "org_alias": "\#(alias)", "org_clients": {"1234567890987777": 1515513411000}}"#
    }

    static func client(org: String, name: String = "My first client", id: String = "ipad/123") -> String {
        #"{"parent_org": \#(org), "parent_user": 4321432143214321, "client_name": "\#(name)", "client_id": "\#(id)"}"#
    }

    static func beacon(org: String, beaconID: String = "014DB0FE-06D4-4FE3-A81F-14037E8701AA") -> String {
        #"{"parent_org": \#(org), "beacon_id": "\#(beaconID)", "beacon_env": "iOS 9.0", "beacon_type": "iphone", "beacon_version": "1.1.1/34", "beacon_last_event": {"event_sensor": 2345234523452345, "event_reading": 105, "event_type": "heart_rate", "event_timestamp": 1509108148219}}"#
    }

    static func sensor(org: String, sensorID: String = "12345") -> String {
        #"{"parent_org": \#(org), "sensor_version": "7", "sensor_type": "glove/palm", "sensor_id": "\#(sensorID)"}"#
    }

    static func event(org: String, beacon: String, sensor: String, reading: Int = 123) -> String {
        #"{"parent_org": \#(org), "event_beacon": \#(beacon), "event_sensor": \#(sensor), "event_reading": \#(reading), "event_type": "heart_rate", "event_timestamp": 1509108148219}"#
    }

    /// Fields that hold an entity id on the way in and a Key object on the way out, by the kind
    /// they point at (the schemas' "Modified Values" tables).
    static let referenceKinds = ["parent_org": "Org", "event_beacon": "Beacon", "event_sensor": "Sensor",
                                 "org_owner": "User", "parent_user": "User"]

    static func key(_ id: String, _ kind: String) -> JSONValue {
        .object(["id": .string(id), "kind": .string(kind), "path": .array([.string(kind), .string(id)])])
    }

    /// An entity as GET should return it, without the appended values.
    static func rendered(_ json: String) -> [String: JSONValue] {
        var object = JSONValue.parse(json)?.objectValue ?? [:]
        for (field, kind) in referenceKinds {
            if let id = object[field]?.integerValue { object[field] = key(String(id), kind) }
        }
        return object
    }
}

/// The ox envelope: exactly its eight fields, consistent with the HTTP status.
func expectOxEnvelope(_ reply: EmulatorHarness.Reply, code: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let json = reply.json
    #expect(reply.status == code, "\(String(decoding: reply.body, as: UTF8.self))", sourceLocation: sourceLocation)
    #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    #expect(Set(json.objectValue?.keys.map { $0 } ?? []) == ["program", "version", "datetime", "timestamp", "code", "status", "message", "data"],
            sourceLocation: sourceLocation)
    #expect(json["program"] == .string("ox"), sourceLocation: sourceLocation)
    #expect(json["version"] == .string(OxContract.version), sourceLocation: sourceLocation)
    #expect(json["code"] == .number(Double(code)), sourceLocation: sourceLocation)
    let status = code < 400 ? "success" : code < 500 ? "failure" : "error"
    #expect(json["status"] == .string(status), sourceLocation: sourceLocation)
    #expect(json["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    if code < 400 { #expect(json["message"] == .string("Call successful"), sourceLocation: sourceLocation) }
    let datetime = json["datetime"]?.stringValue ?? ""
    #expect(datetime.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "datetime \(datetime)", sourceLocation: sourceLocation)
    let timestamp = json["timestamp"]?.integerValue ?? 0
    #expect(RFC3339Time.microseconds(datetime).map { $0 / 1000 } == timestamp, "datetime and timestamp are the same instant",
            sourceLocation: sourceLocation)
    #expect(abs(Double(timestamp) / 1000 - Date().timeIntervalSince1970) < 60, sourceLocation: sourceLocation)
}

/// `data` of a failure about no entity in particular: `{id: null, info}` with `info` containing `text`.
func expectOxFailure(_ reply: EmulatorHarness.Reply, code: Int, info text: String = "",
                     sourceLocation: SourceLocation = #_sourceLocation) {
    expectOxEnvelope(reply, code: code, sourceLocation: sourceLocation)
    let data = reply.json["data"]
    let info = data?["info"]?.stringValue ?? data?.arrayValue?.first?["info"]?.stringValue ?? ""
    #expect(data?.objectValue != nil || data?.arrayValue != nil, sourceLocation: sourceLocation)
    #expect(text.isEmpty || info.contains(text), "info \"\(info)\" should contain \"\(text)\"", sourceLocation: sourceLocation)
}

/// The ids a failure names: `data.id`, or each `data[].id`.
func failedIDs(_ reply: EmulatorHarness.Reply) -> [String] {
    if let array = reply.json["data"]?.arrayValue { return array.compactMap { $0["id"]?.stringValue } }
    return reply.json["data"]?["id"]?.stringValue.map { [$0] } ?? []
}

/// base64url without padding, as JWTs use it.
enum JWTText {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ segment: Substring) -> JSONValue? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) }
    }

    static func part(_ index: Int, of token: String) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 ? decode(parts[index]) : nil
    }
}
