import Foundation
import SigportContract
import Testing
@testable import SigportEmulator

@Suite("integration.saveSignals")
struct SaveSignalsTests {
    @Test("saves, then updates, a signal in the 1.1 dialect; ids are stable 20-char ids")
    func saveAndUpdate() async throws {
        try await EmulatorHarness.with { h in
            let params = """
            {"integration":"\(h.integrationID)","signalsByInput":{"site/temp":{"name":"Temperature","valueType":"numeric",
             "labels":{"site":["pier"]},"engUnit":"°C","sampleInterval":"PT1M","gapDetection":"P0DT0H5M0.000000S",
             "annotations":{"acme/app":"x"},"enumValues":{}}},"createOnly":false}
            """
            let first = try await h.rpc("integration.saveSignals", params)
            #expect(first.status == 200)
            let summary = try #require(first.json["result"]?["signalsByInput"]?["site/temp"])
            let id = try #require(summary["id"]?.stringValue)
            #expect(IntegrationContract.integrationID.matches(id))
            #expect(summary["created"] == .bool(true))
            #expect(first.json["id"] == .string("1"))

            let second = try await h.rpc("integration.saveSignals", params.replacingOccurrences(of: "Temperature", with: "Temp"))
            #expect(second.json["result"]?["signalsByInput"]?["site/temp"] == .object(["id": .string(id), "created": .bool(false), "updated": .bool(true)]))
        }
    }

    @Test("defaults: name is the input ID, type numeric, sourceType measurement")
    func defaults() async throws {
        try await EmulatorHarness.with { h in
            _ = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","signalsByInput":{"plain":{}}}"#)
            let selected = try await h.rpc("admin.selectSignals", #"{"integration":"\#(h.integrationID)","query":{"filter":{"input":"plain"}}}"#)
            let attributes = try #require(selected.json["result"]?["data"]?.arrayValue?.first?["attributes"])
            #expect(attributes["name"] == .string("plain"))
            #expect(attributes["valueType"] == .string("numeric"))
            #expect(attributes["sourceType"] == .string("measurement"))
            #expect(attributes["description"] == .string(""))
            #expect(attributes["sampleInterval"] == .null)
        }
    }

    @Test("1.1beta1 speaks `inputs` and `type`, as on the seed page; each version refuses the other's names")
    func versionDialects() async throws {
        try await EmulatorHarness.with { h in
            let beta = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","inputs":{"a":{"name":"Signal A","type":"enum","enumValues":{"0":"off","1":"on"}}}}"#, version: "1.1beta1")
            #expect(beta.json["result"]?["signalsByInput"]?["a"]?["created"] == .bool(true))

            let wrongMap = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","signalsByInput":{"a":{}}}"#, version: "1.1beta1")
            #expect(wrongMap.json.rpcCode == -32602)
            #expect(wrongMap.json.badParams == ["signalsByInput"])

            let wrongField = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","signalsByInput":{"a":{"type":"enum"}}}"#, version: "1.1")
            #expect(wrongField.json.badParams == ["signalsByInput.a.type"])

            let noHeader = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","inputs":{"a":{}}}"#, version: nil)
            #expect(noHeader.json.badParams == ["inputs"], "without X-API-Version the latest stable version (1.1) applies")

            let unknown = try await h.rpc("integration.saveSignals", "{}", version: "0.9")
            #expect(unknown.json.rpcCode == -32600)
        }
    }

    /// Each documented rule broken once; the error names exactly the bad field.
    @Test("every documented regex and enum is enforced", arguments: [
        (#""integration":"NOT-AN-ID","signalsByInput":{"a":{}}"#, "integration"),
        (#""integration":"$I","signalsByInput":{"a;b":{}}"#, "signalsByInput.a;b"),
        (#""integration":"$I","signalsByInput":{"":{}}"#, "signalsByInput."),
        (#""integration":"$I","signalsByInput":{"a":{"labels":{"bad key":["x"]}}}"#, "signalsByInput.a.labels"),
        (#""integration":"$I","signalsByInput":{"a":{"labels":{"site":"pier"}}}"#, "signalsByInput.a.labels.site"),
        (#""integration":"$I","signalsByInput":{"a":{"annotations":{"x.y":"z"}}}"#, "signalsByInput.a.annotations"),
        (#""integration":"$I","signalsByInput":{"a":{"valueType":"string"}}"#, "signalsByInput.a.valueType"),
        (#""integration":"$I","signalsByInput":{"a":{"enumValues":{"10000":"x"}}}"#, "signalsByInput.a.enumValues"),
        (#""integration":"$I","signalsByInput":{"a":{"enumValues":{"07":"x"}}}"#, "signalsByInput.a.enumValues"),
        (#""integration":"$I","signalsByInput":{"a":{"sourceType":"guess"}}"#, "signalsByInput.a.sourceType"),
        (#""integration":"$I","signalsByInput":{"a":{"sampleInterval":"1 minute"}}"#, "signalsByInput.a.sampleInterval"),
        (#""integration":"$I","signalsByInput":{"a":{"gapDetection":"P1Y1D"}}"#, "signalsByInput.a.gapDetection"),
        (#""integration":"$I","signalsByInput":{"a":{"name":7}}"#, "signalsByInput.a.name"),
        (#""integration":"$I","signalsByInput":{"a":{"colour":"red"}}"#, "signalsByInput.a.colour"),
        (#""integration":"$I","signalsByInput":{"a":{}},"createOnly":"yes""#, "createOnly"),
    ])
    func rulesEnforced(params: String, badField: String) async throws {
        try await EmulatorHarness.with { h in
            let reply = try await h.rpc("integration.saveSignals", "{" + params.replacingOccurrences(of: "$I", with: h.integrationID) + "}")
            #expect(reply.status == 200)
            #expect(reply.json.rpcCode == -32602)
            #expect(reply.json.badParams == [badField])
            #expect(reply.json["error"]?["data"]?["trace"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("createOnly skips existing signals silently")
    func createOnly() async throws {
        try await EmulatorHarness.with { h in
            _ = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","signalsByInput":{"a":{"name":"first"}}}"#)
            let again = try await h.rpc("integration.saveSignals", #"{"integration":"\#(h.integrationID)","signalsByInput":{"a":{"name":"second"},"b":{}},"createOnly":true}"#)
            #expect(again.json["result"]?["signalsByInput"]?["a"]?["created"] == .bool(false))
            #expect(again.json["result"]?["signalsByInput"]?["a"]?["updated"] == .bool(false))
            #expect(again.json["result"]?["signalsByInput"]?["b"]?["created"] == .bool(true))
            let selected = try await h.rpc("admin.selectSignals", #"{"integration":"\#(h.integrationID)","query":{"filter":{"input":"a"}}}"#)
            #expect(selected.json["result"]?["data"]?.arrayValue?.first?["attributes"]?["name"] == .string("first"))
        }
    }

    @Test("an integration can only save its own signals")
    func otherIntegration() async throws {
        try await EmulatorHarness.with { h in
            let reply = try await h.rpc("integration.saveSignals", #"{"integration":"aaaaaaaaaaaaaaaaaaaa","signalsByInput":{"a":{}}}"#)
            #expect(reply.json.rpcCode == -32003)
        }
    }
}
