import Foundation
import Testing
@testable import SigportEmulator

@Suite("read methods (1.1): selectSignals, publishSignals, selectItems, dataFrame")
struct ReadMethodTests {
    /// Three signals with labels, a few values each, and items published for two of them.
    static func seed(_ h: EmulatorHarness) async throws -> (signals: [String: String], items: [String: String]) {
        let saved = try await h.rpc("integration.saveSignals", """
        {"integration":"\(h.integrationID)","signalsByInput":{
          "pier/temp":{"name":"Pier temperature","labels":{"site":["pier"],"kind":["temp"]},"gapDetection":"PT10M"},
          "pier/flow":{"name":"Pier flow","labels":{"site":["pier"],"kind":["flow"]}},
          "yard/temp":{"name":"Yard temperature","labels":{"site":["yard"],"kind":["temp"]},"valueType":"enum","enumValues":{"0":"low","1":"high"}}}}
        """)
        let signals = try #require(saved.json["result"]?["signalsByInput"]?.objectValue).mapValues { $0["id"]?.stringValue ?? "" }
        _ = try await h.rpc("integration.insert", """
        {"integration":"\(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z","2024-03-01T00:30:00Z","2024-03-01T01:15:00Z"],
         "series":{"pier/temp":[10,20,30],"pier/flow":[1,null,3],"yard/temp":[0,1,1]}}}
        """)
        let published = try await h.rpc("admin.publishSignals", """
        {"integration":"\(h.integrationID)","itemsBySignal":{
          "\(signals["pier/temp"]!)":{"name":"Pier temperature","labels":{"site":["pier"]},"visible":true},
          "\(signals["pier/flow"]!)":{"name":"Pier flow","visible":false}},"createOnly":false}
        """)
        let items = try #require(published.json["result"]?["itemsBySignal"]?.objectValue).mapValues { $0["id"]?.stringValue ?? "" }
        #expect(published.json["result"]?["itemsBySignal"]?[signals["pier/temp"]!]?["updated"] == .bool(false))
        return (signals, items)
    }

    func select(_ h: EmulatorHarness, _ query: String, include: String = "[]") async throws -> JSONValue {
        try await h.rpc("admin.selectSignals", #"{"integration":"\#(h.integrationID)","query":\#(query),"include":\#(include),"format":{"dataAsArray":true,"groupIncludedByType":true}}"#).json
    }

    @Test("selectSignals: MongoDB-like filters, sort, paging and total")
    func selectSignals() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            let (signals, items) = try await Self.seed(h)
            func inputs(_ reply: JSONValue) -> [String] { reply["result"]?["data"]?.arrayValue?.compactMap { $0["attributes"]?["input"]?.stringValue } ?? [] }

            let pier = try await select(h, #"{"filter":{"labels.site":"pier"},"sort":["name"],"limit":10,"skip":0,"total":true}"#)
            #expect(inputs(pier) == ["pier/flow", "pier/temp"])
            #expect(pier["result"]?["meta"]?["total"] == .number(2))
            #expect(pier["result"]?["meta"]?["format"]?["dataAsArray"] == .bool(true))

            #expect(inputs(try await select(h, #"{"filter":{"input":{"$in":["yard/temp","nope"]}}}"#)) == ["yard/temp"])
            #expect(inputs(try await select(h, #"{"filter":{"name":{"$regex":"^Pier"}},"sort":["-name"]}"#)) == ["pier/temp", "pier/flow"])
            #expect(inputs(try await select(h, #"{"filter":{"$or":[{"labels.kind":"flow"},{"valueType":"enum"}]},"sort":["input"]}"#)) == ["pier/flow", "yard/temp"])
            #expect(inputs(try await select(h, #"{"filter":{"labels.site":{"$nin":["pier"]}}}"#)) == ["yard/temp"])
            #expect(inputs(try await select(h, #"{"filter":{},"sort":["input"],"limit":1,"skip":1}"#)) == ["pier/temp"])
            let untotalled = try await select(h, #"{"filter":{}}"#)
            #expect(untotalled["result"]?["meta"]?["total"] == .number(-1))

            let view = try #require(try await select(h, #"{"filter":{"id":"\#(signals["pier/temp"]!)"}}"#, include: #"["item"]"#)["result"])
            let signal = try #require(view["data"]?.arrayValue?.first)
            #expect(signal["type"] == .string("signals"))
            #expect(signal["attributes"]?["gapDetection"] == .string("PT10M"))
            #expect(signal["relationships"]?["item"]?["data"]?["id"] == .string(items[signals["pier/temp"]!]!))
            #expect(signal["meta"]?["createdAt"]?.stringValue?.hasSuffix("Z") == true)
            #expect(view["included"]?["items"]?.arrayValue?.count == 1)
        }
    }

    @Test("read params are checked: limit over 1000, unknown operator, bad regex")
    func badQueries() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            #expect(try await select(h, #"{"limit":1001}"#).badParams == ["query.limit"])
            #expect(try await select(h, #"{"filter":{"name":{"$near":1}}}"#).badParams == ["query.filter.name.$near"])
            #expect(try await select(h, #"{"filter":{"name":{"$regex":"("}}}"#).badParams == ["query.filter.name.$regex"])
            let old = try await h.rpc("admin.selectSignals", #"{"integration":"\#(h.integrationID)","signals":{}}"#, version: "1.1beta1")
            #expect(old.json.rpcCode == -32601)
        }
    }

    @Test("publishSignals refuses unknown signals and keeps createOnly")
    func publish() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            let (signals, items) = try await Self.seed(h)
            let unknown = try await h.rpc("admin.publishSignals", #"{"integration":"\#(h.integrationID)","itemsBySignal":{"aaaaaaaaaaaaaaaaaaaa":{"name":"x"}}}"#)
            #expect(unknown.json.badParams == ["itemsBySignal.aaaaaaaaaaaaaaaaaaaa"])
            let again = try await h.rpc("admin.publishSignals", #"{"integration":"\#(h.integrationID)","itemsBySignal":{"\#(signals["pier/temp"]!)":{"name":"Renamed","visible":"yes"}}}"#)
            #expect(again.json.badParams == ["itemsBySignal.\(signals["pier/temp"]!).visible"])
            let kept = try await h.rpc("admin.publishSignals", #"{"integration":"\#(h.integrationID)","itemsBySignal":{"\#(signals["pier/temp"]!)":{"name":"Renamed"}},"createOnly":true}"#)
            #expect(kept.json["result"]?["itemsBySignal"]?[signals["pier/temp"]!] == .object(["id": .string(items[signals["pier/temp"]!]!), "created": .bool(false), "updated": .bool(false)]))
        }
    }

    @Test("selectItems lists the published items, with their signals included on request")
    func selectItems() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            let (signals, items) = try await Self.seed(h)
            let reply = try await h.rpc("clarify.selectItems", #"{"query":{"filter":{"visible":true},"sort":[],"limit":10,"skip":0,"total":true},"include":["signals"],"format":{"dataAsArray":true,"groupIncludedByType":true}}"#, id: "0")
            #expect(reply.json["id"] == .number(0))
            let data = try #require(reply.json["result"]?["data"]?.arrayValue)
            #expect(data.map { $0["id"]?.stringValue } == [items[signals["pier/temp"]!]])
            #expect(data.first?["attributes"]?["visible"] == .bool(true))
            #expect(reply.json["result"]?["included"]?["signals"]?.arrayValue?.first?["id"] == .string(signals["pier/temp"]!))
        }
    }

    func frame(_ h: EmulatorHarness, _ ids: [String], from: String, to: String, rollup: String = "null", last: Int = -1, limit: Int = 50) async throws -> JSONValue {
        let list = ids.map { "\"\($0)\"" }.joined(separator: ",")
        return try await h.rpc("clarify.dataFrame", """
        {"query":{"filter":{"id":{"$in":[\(list)]}},"sort":["name"],"limit":\(limit),"skip":0,"total":false},
         "data":{"filter":{"times":{"$gte":"\(from)","$lt":"\(to)"}},"rollup":\(rollup),"timeZone":"UTC","firstDayOfWeek":1,"origin":null,"last":\(last)},
         "include":[],"format":{"dataAsArray":false,"groupIncludedByType":true}}
        """).json
    }

    @Test("dataFrame: raw values in [$gte, $lt), null where an item has no value, shown to the millisecond")
    func rawFrame() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            let (signals, items) = try await Self.seed(h)
            let temp = items[signals["pier/temp"]!]!
            let flow = items[signals["pier/flow"]!]!
            let reply = try await frame(h, [temp, flow], from: "2024-03-01T00:00:00+00:00", to: "2024-03-01T01:15:00Z")
            let data = try #require(reply["result"]?["data"])
            #expect(data["times"] == .array(["2024-03-01T00:00:00.000Z", "2024-03-01T00:30:00.000Z"]), "the end is exclusive")
            #expect(data["series"]?[temp] == .array([.number(10), .number(20)]))
            #expect(data["series"]?[flow] == .array([.number(1), .null]))
            let last = try await frame(h, [temp], from: "2024-03-01T00:00:00Z", to: "2024-03-02T00:00:00Z", last: 1)
            #expect(last["result"]?["data"]?["series"]?[temp] == .array([.number(30)]))
        }
    }

    @Test("dataFrame: rollups give _count/_min/_max/_sum/_avg per bucket")
    func rollup() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            let (signals, items) = try await Self.seed(h)
            let temp = items[signals["pier/temp"]!]!
            let reply = try await frame(h, [temp], from: "2024-03-01T00:00:00Z", to: "2024-03-01T02:00:00Z", rollup: "\"PT1H\"")
            let data = try #require(reply["result"]?["data"])
            #expect(data["times"] == .array(["2024-03-01T00:00:00.000Z", "2024-03-01T01:00:00.000Z"]))
            #expect(data["series"]?["\(temp)_avg"] == .array([.number(15), .number(30)]))
            #expect(data["series"]?["\(temp)_count"] == .array([.number(2), .number(1)]))
            let window = try await frame(h, [temp], from: "2024-03-01T00:00:00Z", to: "2024-03-01T02:00:00Z", rollup: "\"window\"")
            #expect(window["result"]?["data"]?["series"]?["\(temp)_max"] == .array([.number(30)]))
        }
    }

    @Test("dataFrame limits: 50 items per call, 40 days raw, 400 days with rollups of PT1M or more")
    func frameLimits() async throws {
        try await EmulatorHarness.with { (h: EmulatorHarness) async throws in
            #expect(try await frame(h, [], from: "2024-01-01T00:00:00Z", to: "2024-01-02T00:00:00Z", limit: 51).badParams == ["query.limit"])
            #expect(try await frame(h, [], from: "2024-01-01T00:00:00Z", to: "2024-02-10T00:00:01Z").badParams == ["data.filter.times"])
            #expect(try await frame(h, [], from: "2024-01-01T00:00:00Z", to: "2024-02-10T00:00:00Z")["result"] != nil)
            #expect(try await frame(h, [], from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z", rollup: "\"PT1M\"")["result"] != nil)
            #expect(try await frame(h, [], from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z", rollup: "\"PT30S\"").badParams == ["data.filter.times"])
            #expect(try await frame(h, [], from: "2024-01-02T00:00:00Z", to: "2024-01-01T00:00:00Z").badParams == ["data.filter.times"])
            #expect(try await frame(h, [], from: "2024-01-01T00:00:00Z", to: "2024-01-02T00:00:00Z", rollup: "\"P1M\"").badParams == ["data.rollup"])
        }
    }
}
