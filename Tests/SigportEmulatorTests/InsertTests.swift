import Foundation
import Testing
@testable import SigportEmulator

@Suite("integration.insert")
struct InsertTests {
    /// Reads back a signal's stored values by input ID, straight from the store.
    static func stored(_ h: EmulatorHarness, _ inputID: String) async throws -> [Int64: Double] {
        try await h.emulator.store.read { db in
            guard let signalID = try String.fetchOne(db, sql: "SELECT id FROM signal WHERE inputID = ?", arguments: [inputID]) else { return [:] }
            let series = try SampleSegments.fetch(db, signalID: signalID, from: .min, to: .max)
            return Dictionary(uniqueKeysWithValues: zip(series.times, series.values))
        }
    }

    @Test("stores a data frame; null leaves a value out; unknown input IDs create empty signals")
    func insertFrame() async throws {
        try await EmulatorHarness.with { h in
            let reply = try await h.rpc("integration.insert", """
            {"integration":"\(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z","2024-03-01T01:00:00.250+01:00","2024-03-01T00:00:02.123456Z"],
             "series":{"gw/temp":[21.5,null,-0.0],"gw/flow":[1e3,2,3]}}}
            """)
            #expect(reply.status == 200)
            #expect(reply.json["result"]?["signalsByInput"]?["gw/temp"]?["created"] == .bool(true))
            let temp = try await Self.stored(h, "gw/temp")
            #expect(temp == [1_709_251_200_000_000: 21.5, 1_709_251_202_123_456: 0])
            let flow = try await Self.stored(h, "gw/flow")
            #expect(flow[1_709_251_200_250_000] == 2, "the +01:00 offset is applied")
            let selected = try await h.rpc("admin.selectSignals", #"{"integration":"\#(h.integrationID)","query":{"filter":{"input":"gw/temp"}}}"#)
            #expect(selected.json["result"]?["data"]?.arrayValue?.first?["attributes"]?["name"] == .string("gw/temp"))
        }
    }

    @Test("re-inserting a time overwrites its value, so re-sending changes nothing")
    func idempotent() async throws {
        try await EmulatorHarness.with { h in
            let frame = #"{"integration":"\#(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1]}}}"#
            _ = try await h.rpc("integration.insert", frame)
            let again = try await h.rpc("integration.insert", frame)
            #expect(again.json["result"]?["signalsByInput"]?["a"]?["created"] == .bool(false))
            _ = try await h.rpc("integration.insert", frame.replacingOccurrences(of: "[1]", with: "[2]"))
            #expect(try await Self.stored(h, "a") == [1_709_251_200_000_000: 2])
        }
    }

    @Test("frames longer than a segment, sent out of order and overlapping: the value written last wins, null keeps the one before")
    func overlappingFrames() async throws {
        try await EmulatorHarness.with { h in
            let t0: Int64 = 1_709_251_200_000_000
            func frame(_ seconds: [Int], _ value: (Int) -> String) -> String {
                let times = seconds.map { "\"\(RFC3339Time.format(microseconds: t0 + Int64($0) * 1_000_000))\"" }
                return #"{"integration":"\#(h.integrationID)","data":{"times":[\#(times.joined(separator: ","))],"series":{"a":[\#(seconds.map(value).joined(separator: ","))]}}}"#
            }
            // 10,000 seconds, in descending order: three segments, each stored ascending.
            _ = try await h.rpc("integration.insert", frame(Array((0..<10_000).reversed())) { "\($0)" })
            // Seconds 5,000-14,999 again: odd ones null (the first insert's value stays), even ones negated.
            _ = try await h.rpc("integration.insert", frame(Array(5_000..<15_000)) { $0 % 2 == 1 ? "null" : "-\($0)" })
            let stored = try await Self.stored(h, "a")
            var expected: [Int64: Double] = [:]
            for second in 0..<15_000 {
                let time = t0 + Int64(second) * 1_000_000
                if second < 5_000 { expected[time] = Double(second) }
                else if second % 2 == 0 { expected[time] = -Double(second) }
                else if second < 10_000 { expected[time] = Double(second) }
            }
            #expect(stored.count == expected.count)
            #expect(stored == expected)
            let segments = try await h.emulator.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM segment") }
            #expect(segments == 3 + 2, "10,000 and 5,000 values in segments of 4,096")
        }
    }

    @Test("refuses bad frames, naming the field", arguments: [
        (#"{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1,2]}}"#, "data.series.a"),
        (#"{"times":["yesterday"],"series":{"a":[1]}}"#, "data.times.0"),
        (#"{"times":["2024-02-30T00:00:00Z"],"series":{"a":[1]}}"#, "data.times.0"),
        (#"{"times":["2024-03-01T00:00:00"],"series":{"a":[1]}}"#, "data.times.0"),
        (#"{"times":["2024-03-01T00:00:00Z","2024-03-01T01:00:00+01:00"],"series":{"a":[1,2]}}"#, "data.times.1"),
        (#"{"times":["2024-03-01T00:00:00Z"],"series":{"a b":[1]}}"#, "data.series.a b"),
        (#"{"times":["2024-03-01T00:00:00Z"],"series":{"a":["NaN"]}}"#, "data.series.a.0"),
        (#"{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1]},"extra":1}"#, "data.extra"),
        (#"{"series":{"a":[1]}}"#, "data.times"),
    ])
    func refused(frame: String, badField: String) async throws {
        try await EmulatorHarness.with { h in
            let reply = try await h.rpc("integration.insert", #"{"integration":"\#(h.integrationID)","data":\#(frame)}"#)
            #expect(reply.json.rpcCode == -32602)
            #expect(reply.json.badParams == [badField])
            #expect(try await Self.stored(h, "a").isEmpty, "a refused frame stores nothing")
        }
    }

    @Test("numbers JSON cannot hold (1e400, i.e. Inf) are refused")
    func infinity() async throws {
        try await EmulatorHarness.with { h in
            let reply = try await h.rpc("integration.insert", #"{"integration":"\#(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"a":[1e400]}}}"#)
            #expect(reply.json.rpcCode != nil)
            #expect(reply.json["result"] == nil)
            #expect(try await Self.stored(h, "a").isEmpty)
        }
    }
}

@Suite("JSON-RPC envelope and errors")
struct RPCEnvelopeTests {
    func post(_ h: EmulatorHarness, _ body: String) async throws -> EmulatorHarness.Reply {
        try await h.send(.POST, "v1/rpc", headers: [h.basicAuth, ("Content-Type", "application/json")], body: Data(body.utf8))
    }

    @Test("parse error, invalid request, batch, method not found", arguments: [
        ("{\"jsonrpc\":\"2.0\",", -32700),
        ("{\"jsonrpc\":\"2.0\",\"method\":\"integration.insert\",\"id\":1,\"params\":{},}", -32700),
        ("[{\"jsonrpc\":\"2.0\",\"method\":\"integration.insert\",\"id\":1,\"params\":{}}]", -32600),
        ("{\"jsonrpc\":\"1.0\",\"method\":\"integration.insert\",\"id\":1,\"params\":{}}", -32600),
        ("{\"jsonrpc\":\"2.0\",\"method\":7,\"id\":1,\"params\":{}}", -32600),
        ("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":{},\"params\":{}}", -32600),
        ("\"just a string\"", -32600),
        ("{\"jsonrpc\":\"2.0\",\"method\":\"integration.nothing\",\"id\":1,\"params\":{}}", -32601),
        ("{\"jsonrpc\":\"2.0\",\"method\":\"integration.insert\",\"id\":1}", -32602),
    ])
    func envelopeErrors(body: String, code: Int) async throws {
        try await EmulatorHarness.with { h in
            let reply = try await post(h, body)
            #expect(reply.status == 200, "HTTP 200: the request reached the RPC layer")
            #expect(reply.json.rpcCode == code)
            #expect(reply.json["jsonrpc"] == .string("2.0"))
            #expect(reply.json["error"]?["message"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("the id is echoed with its type (pyclarify sends \"1\" and 0)")
    func echoesID() async throws {
        try await EmulatorHarness.with { h in
            let params = #"{"integration":"\#(h.integrationID)","signalsByInput":{}}"#
            let zero = try await h.rpc("integration.saveSignals", params, id: "0")
            #expect(zero.json["id"] == .number(0))
            let text = try await h.rpc("integration.saveSignals", params, id: "\"abc\"")
            #expect(text.json["id"] == .string("abc"))
        }
    }

    @Test("a request without id is a notification: processed, answered 204 with no body")
    func notification() async throws {
        try await EmulatorHarness.with { h in
            let reply = try await post(h, #"{"jsonrpc":"2.0","method":"integration.insert","params":{"integration":"\#(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"n":[5]}}}}"#)
            #expect(reply.status == 204)
            #expect(reply.body.isEmpty)
            #expect(try await InsertTests.stored(h, "n") == [1_709_251_200_000_000: 5])
        }
    }
}
