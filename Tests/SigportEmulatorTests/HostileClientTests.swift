import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SigportContract
import Testing
@testable import SigportEmulator

// MARK: - Support: bounded calls and raw TCP

/// A request (or anything) that took longer than its bound: the server hung or crawled.
struct TookTooLong: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "\(what) took longer than \(limit)" }
}

/// How long any one hostile request may take before the emulator counts as hung: far above what
/// each takes (well under a second), so a loaded machine does not fail the tests.
let hostileBound: Duration = .seconds(20)

/// Runs `operation`, failing with `TookTooLong` when it has not finished within `limit`
/// (the operation is cancelled then; HTTP requests and socket reads honour cancellation).
func within<T: Sendable>(_ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask { try await Task.sleep(for: limit); return nil }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TookTooLong(what: what, limit: limit) }
        return value
    }
}

/// A TCP connection to the emulator that sends exactly the bytes a test writes, when it writes
/// them: for clients no HTTP library would be (slow, stalled, malformed).
enum RawTCP {
    typealias Inbound = NIOAsyncChannelInboundStream<ByteBuffer>
    typealias Outbound = NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Opens a fresh connection to the harness's emulator, runs `body`, and closes it.
    static func connect<T: Sendable>(to h: EmulatorHarness,
                                     _ body: (_ inbound: Inbound, _ outbound: Outbound) async throws -> T) async throws -> T {
        let url = try #require(URL(string: h.baseURL))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: try #require(url.host), port: try #require(url.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in try await body(inbound, outbound) }
    }

    /// A request head as HTTP/1.1 text, with `Content-Length` when given, and `Connection: close`
    /// unless `headers` name a `Connection`.
    static func request(_ method: String, _ path: String, headers: [(String, String)] = [], contentLength: Int? = nil) -> ByteBuffer {
        var head = "\(method) /\(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let contentLength { head += "Content-Length: \(contentLength)\r\n" }
        if !headers.contains(where: { $0.0.lowercased() == "connection" }) { head += "Connection: close\r\n" }
        return ByteBuffer(string: head + "\r\n")
    }

    /// What the server sent until it closed the connection.
    static func readToClose(_ inbound: Inbound) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in inbound { bytes += chunk.readableBytesView }
        return bytes
    }

    /// The status code of an HTTP/1.1 answer's first line (nil when there is none).
    static func status(_ answer: [UInt8]) -> Int? {
        let text = String(decoding: answer.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    /// The body of an HTTP/1.1 answer read to the close (`Content-Length` framed, as the emulator answers).
    static func body(_ answer: [UInt8]) -> [UInt8] {
        guard let end = answer.firstRange(of: Array("\r\n\r\n".utf8)) else { return [] }
        return Array(answer[end.upperBound...])
    }

    /// `GET /` with the ox admin token on a fresh connection: whether the emulator still answers.
    static func stillServes(_ h: EmulatorHarness, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let answer = try await within(hostileBound, "GET / on a fresh connection") {
            try await connect(to: h) { inbound, outbound in
                try await outbound.write(request("GET", "", headers: [("Authorization", "bearer \(h.credentials.ox.adminToken)")]))
                return try await readToClose(inbound)
            }
        }
        #expect(status(answer) == 200, "\(String(decoding: answer.prefix(300), as: UTF8.self))", sourceLocation: sourceLocation)
    }
}

/// `1` inside `depth` levels of `[…]` or `{"a": …}`.
func nestedJSON(depth: Int, array: Bool) -> String {
    let open = array ? "[" : #"{"a":"#
    let close = array ? "]" : "}"
    return String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
}

extension EmulatorHarness {
    /// `POST /v1/rpc` with exactly `body` (any bytes) and Basic auth.
    func rpcBytes(_ body: [UInt8]) async throws -> Reply {
        try await send(.POST, "v1/rpc", headers: [basicAuth, ("Content-Type", "application/json"), ("X-API-Version", "1.1")], body: Data(body))
    }

    /// The input IDs of the integration's signals, read back over HTTP (`admin.selectSignals`).
    func signalInputs(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let reply = try await rpc("admin.selectSignals", #"{"integration":"\#(integrationID)","query":{"filter":{},"limit":1000}}"#)
        #expect(reply.status == 200, sourceLocation: sourceLocation)
        let data = try #require(reply.json["result"]?["data"]?.arrayValue, "\(String(decoding: reply.body, as: UTF8.self))",
                                sourceLocation: sourceLocation)
        return data.compactMap { $0["attributes"]?["input"]?.stringValue }.sorted()
    }

    /// A valid insert of one value into input `input`; the call must succeed.
    func insertOne(_ input: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await within(hostileBound, "a valid insert") {
            try await rpc("integration.insert", #"{"integration":"\#(integrationID)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"\#(input)":[1]}}}"#)
        }
        #expect(reply.status == 200, sourceLocation: sourceLocation)
        #expect(reply.json["result"]?["signalsByInput"]?[input]?["created"] != nil, "\(String(decoding: reply.body, as: UTF8.self))",
                sourceLocation: sourceLocation)
    }
}

/// A JSON-RPC error answer: HTTP `status`, the error `code`, `jsonrpc: "2.0"`, a message, a trace
/// and a `params` object, and an `id` of null (the request's id could not be read).
func expectRPCError(_ reply: EmulatorHarness.Reply, status: Int = 200, code: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let text = String(decoding: reply.body.prefix(400), as: UTF8.self)
    #expect(reply.status == status, "\(text)", sourceLocation: sourceLocation)
    #expect(reply.json.rpcCode == code, "\(text)", sourceLocation: sourceLocation)
    #expect(reply.json["jsonrpc"] == .string("2.0"), sourceLocation: sourceLocation)
    #expect(reply.json["id"] == .null, sourceLocation: sourceLocation)
    #expect(reply.json["result"] == nil, sourceLocation: sourceLocation)
    #expect(reply.json["error"]?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(reply.json["error"]?["data"]?["trace"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(reply.json["error"]?["data"]?["params"]?.objectValue != nil, sourceLocation: sourceLocation)
}

// MARK: - Malformed and deep bodies

/// A flaw a client's body should never have, and what each API answers it with.
struct BadBody: Sendable, CustomTestStringConvertible {
    let name: String
    /// Damages a valid body.
    let damage: @Sendable (_ valid: [UInt8]) -> [UInt8]
    /// The JSON-RPC error code (integration API): JSON-RPC 2.0 §5.1 has -32700 for text that is
    /// not JSON and -32600 for JSON that is not a request object.
    let rpcCode: Int
    /// Text the ox failure's `info` contains: "not valid JSON", or "Invalid payload" for JSON of
    /// the wrong shape.
    let oxInfo: String
    var testDescription: String { name }

    static let all: [BadBody] = [
        BadBody(name: "truncated halfway", damage: { Array($0.prefix($0.count / 2)) }, rpcCode: -32700, oxInfo: "not valid JSON"),
        BadBody(name: "truncated by one byte", damage: { Array($0.dropLast()) }, rpcCode: -32700, oxInfo: "not valid JSON"),
        // Every valid body starts with `{"`: the bytes land in the first key.
        BadBody(name: "invalid UTF-8 in a key", damage: { Array($0.prefix(2)) + [0xC3, 0x28] + $0.dropFirst(2) }, rpcCode: -32700, oxInfo: "not valid JSON"),
        BadBody(name: "a lone 0xFF byte", damage: { _ in [0xFF] }, rpcCode: -32700, oxInfo: "not valid JSON"),
        BadBody(name: "a lone {", damage: { _ in Array("{".utf8) }, rpcCode: -32700, oxInfo: "not valid JSON"),
        BadBody(name: "an empty array", damage: { _ in Array("[]".utf8) }, rpcCode: -32600, oxInfo: "Invalid payload"),
        BadBody(name: "a number", damage: { _ in Array("42".utf8) }, rpcCode: -32600, oxInfo: "Invalid payload"),
        BadBody(name: "an empty body", damage: { _ in [] }, rpcCode: -32700, oxInfo: "not valid JSON"),
    ]
}

@Suite("hostile clients: malformed and deeply nested bodies")
struct HostileClientTests {
    /// A whole JSON-RPC request that inserts 7 into `input` at 2024-03-01T00:00:00Z.
    static func insertRequest(_ integration: String, input: String = "a", id: String = "1") -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","method":"integration.insert","id":"\#(id)","params":{"integration":"\#(integration)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"\#(input)":[7]}}}}"#.utf8)
    }

    @Test("a malformed RPC body gets its JSON-RPC error, stores nothing, and the next request is served", arguments: BadBody.all)
    func malformedRPC(bad: BadBody) async throws {
        try await EmulatorHarness.with { h in
            let reply = try await within(hostileBound, bad.name) { try await h.rpcBytes(bad.damage(Self.insertRequest(h.integrationID))) }
            expectRPCError(reply, code: bad.rpcCode)
            #expect(try await h.signalInputs() == [], "nothing stored")
            #expect(try await InsertTests.stored(h, "a").isEmpty)
            try await h.insertOne("after")
            #expect(try await h.signalInputs() == ["after"])
        }
    }

    @Test("a malformed ox body on create and update is a 400 failure envelope, changes nothing, and the next request is served",
          arguments: BadBody.all)
    func malformedOx(bad: BadBody) async throws {
        try await OxFixture.with { ox in
            let token = try await ox.token()
            let sensor = try await ox.createOne(.sensor, token: token, OxSamples.sensor(org: ox.orgID()))
            let before = try await ox.snapshot()
            let valid: [(HTTPMethod, String)] = [
                (.POST, OxSamples.sensor(org: ox.orgID(), sensorID: "new")), (.PUT, #"{"\#(sensor)": {"sensor_version": "8"}}"#),
            ]
            for (method, body) in valid {
                let reply = try await within(hostileBound, "\(method) /sensor, \(bad.name)") {
                    try await ox.h.send(method, "sensor", headers: [("Authorization", "bearer \(token)"), ("Content-Type", "application/json")],
                                        body: Data(bad.damage(Array(body.utf8))))
                }
                expectOxFailure(reply, code: 400, info: bad.oxInfo)
                #expect(reply.json["data"]?["id"] == .null)
            }
            #expect(try await ox.snapshot() == before, "nothing created or changed")
            let read = try await ox.call(.GET, "sensor/\(sensor)", token: token)
            expectOxEnvelope(read, code: 200)
            #expect(read.json["data"]?["sensor_id"] == .string("12345"))
            _ = try await ox.createOne(.sensor, token: token, OxSamples.sensor(org: ox.orgID(), sensorID: "after"))
        }
    }

    @Test("JSON nested 10,000 deep inside RPC params is a parse error (-32700), answered quickly; the server still answers",
          arguments: [true, false])
    func deepRPCParams(array: Bool) async throws {
        try await EmulatorHarness.with { h in
            let deep = nestedJSON(depth: 10_000, array: array)
            for params in [deep, #"{"integration":"\#(h.integrationID)","signalsByInput":{"a":{"labels":{"x":[\#(deep)]}}}}"#] {
                let body = #"{"jsonrpc":"2.0","method":"integration.saveSignals","id":"1","params":\#(params)}"#
                let reply = try await within(hostileBound, "a 10,000-deep body") { try await h.rpcBytes(Array(body.utf8)) }
                expectRPCError(reply, code: -32700)
            }
            #expect(try await h.signalInputs() == [])
            try await h.insertOne("after")
        }
    }

    @Test("an ox body nested 10,000 deep is a 400 on create and update, answered quickly; the server still answers",
          arguments: [true, false])
    func deepOxBody(array: Bool) async throws {
        try await OxFixture.with { ox in
            let token = try await ox.token()
            let before = try await ox.snapshot()
            let deep = nestedJSON(depth: 10_000, array: array)
            let bodies: [(HTTPMethod, String)] = [
                (.POST, deep), (.PUT, deep),
                (.POST, #"{"parent_org": \#(ox.orgID()), "sensor_id": "x", "sensor_type": "t", "sensor_version": \#(deep)}"#),
                (.PUT, #"{"\#(ox.orgID())": \#(deep)}"#),
            ]
            for (method, body) in bodies {
                let reply = try await within(hostileBound, "\(method) a 10,000-deep body") {
                    try await ox.call(method, "sensor", token: token, body: body)
                }
                expectOxFailure(reply, code: 400)
            }
            #expect(try await ox.snapshot() == before)
            _ = try await ox.createOne(.sensor, token: token, OxSamples.sensor(org: ox.orgID()))
        }
    }
}
