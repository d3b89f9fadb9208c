import Foundation
import GRDB
import SigportContract

/// `integration.saveSignals` and `integration.insert`: the two write methods.
extension IntegrationAPI {
    /// `updated` is not on the 1.1beta1 page, but the 1.1 API sends it and pyclarify requires it.
    struct SaveSummary: Codable, Sendable {
        let id: String
        let created: Bool
        var updated: Bool? = nil
    }

    struct SignalsByInput: Encodable, Sendable {
        let signalsByInput: [String: SaveSummary]
    }

    /// The params of `saveSignals`, whose map is `inputs` (1.0, 1.1beta1) or `signalsByInput`
    /// (1.1beta2, 1.1).
    struct SaveSignalsParams: Decodable {
        var integration: String
        var signals: [String: JSONValue]
        var createOnly: Bool

        init(from decoder: any Decoder) throws {
            let version = decoder.apiVersion
            let mapName = version.saveSignalsParameter
            let container = try decoder.container(keyedBy: AnyKey.self)
            try container.refuseUnknownKeys(["integration", mapName, "createOnly"]) { key in
                ["inputs", "signalsByInput"].contains(key)
                    ? "is not a parameter in API version \(version.rawValue): use \"\(mapName)\"" : nil
            }
            integration = try container.decode(String.self, forKey: AnyKey("integration"))
            signals = try container.decode([String: JSONValue].self, forKey: AnyKey(mapName))
            createOnly = try container.decodeIfPresent(Bool.self, forKey: AnyKey("createOnly")) ?? false
        }
    }

    func saveSignals(_ call: RPCCall) async throws -> SignalsByInput {
        let params = try call.params(SaveSignalsParams.self)
        try call.checkIntegration(params.integration)
        let mapName = call.version.saveSignalsParameter
        var problems = ParamProblems()
        var documents: [(String, SignalDocument)] = []
        for (inputID, view) in params.signals.sorted(by: { $0.key < $1.key }) {
            problems.check(IntegrationContract.inputID, inputID, at: "\(mapName).\(inputID)")
            documents.append((inputID, SignalDocument(saveView: view, inputID: inputID, path: "\(mapName).\(inputID)", version: call.version, problems: &problems)))
        }
        try problems.throwIfAny()
        let integration = call.integration
        let createOnly = params.createOnly
        let signals = documents
        let summaries = try await store.write { db in
            var out: [String: SaveSummary] = [:]
            let now = Date()
            for (inputID, document) in signals {
                if var existing = try SignalRecord.filter(Column("integration") == integration && Column("inputID") == inputID).fetchOne(db) {
                    let changed = !createOnly && existing.document != document.jsonText()
                    if changed {
                        existing.document = document.jsonText()
                        existing.updatedAt = now
                        try existing.update(db)
                    }
                    out[inputID] = SaveSummary(id: existing.id, created: false, updated: changed)
                } else {
                    let record = SignalRecord(id: Identifiers.resourceID(), integration: integration, inputID: inputID,
                                              document: document.jsonText(), createdAt: now, updatedAt: now)
                    try record.insert(db)
                    out[inputID] = SaveSummary(id: record.id, created: true, updated: false)
                }
            }
            return out
        }
        return SignalsByInput(signalsByInput: summaries)
    }

    /// A data frame: `times` and one series per input ID, each as long as `times`.
    struct DataFrame: Decodable {
        var times: [String]
        var series: [String: [Double?]]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            try container.refuseUnknownKeys(["times", "series"])
            times = try container.decode([String].self, forKey: AnyKey("times"))
            series = try container.decode([String: ValueList].self, forKey: AnyKey("series")).mapValues(\.values)
        }
    }

    /// A series' values, decoded by a loop over the array: `[Double?]`'s own decoding goes
    /// through `Optional`'s generic `init(from:)` per value: a 9 MiB insert's params took 1.3 s
    /// to decode that way, 0.4 s this way.
    struct ValueList: Decodable {
        var values: [Double?] = []

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            if let count = container.count { values.reserveCapacity(count) }
            while !container.isAtEnd {
                values.append(try container.decodeNil() ? nil : try container.decode(Double.self))
            }
        }
    }

    struct InsertParams: Decodable {
        var integration: String
        var data: DataFrame

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            try container.refuseUnknownKeys(["integration", "data"])
            integration = try container.decode(String.self, forKey: AnyKey("integration"))
            data = try container.decode(DataFrame.self, forKey: AnyKey("data"))
        }
    }

    /// Stores values by (signal, time): re-inserting a time overwrites its value, so a re-sent
    /// insert changes nothing a read sees (`SampleSegments`: the segment written last wins).
    /// `null` leaves a value out. Unknown input IDs create empty signals.
    func insert(_ call: RPCCall) async throws -> SignalsByInput {
        let params = try call.params(InsertParams.self)
        try call.checkIntegration(params.integration)
        var problems = ParamProblems()
        var times: [Int64] = []
        times.reserveCapacity(params.data.times.count)
        var seen = Set<Int64>(minimumCapacity: params.data.times.count)
        for (index, text) in params.data.times.enumerated() {
            guard let micros = RFC3339Time.microseconds(text) else {
                problems.add("data.times.\(index)", "must be an RFC 3339 timestamp")
                continue
            }
            if !seen.insert(micros).inserted { problems.add("data.times.\(index)", "duplicates an earlier timestamp: send unique times") }
            times.append(micros)
        }
        for (inputID, values) in params.data.series {
            problems.check(IntegrationContract.inputID, inputID, at: "data.series.\(inputID)")
            if values.count != params.data.times.count {
                problems.add("data.series.\(inputID)", "has \(values.count) values for \(params.data.times.count) times")
            }
            if let refused = configuration.refusedValue, let index = values.firstIndex(of: refused) {
                problems.add("data.series.\(inputID).\(index)", "the value \(refused) is refused (emulator --refuse-value)")
            }
        }
        try problems.throwIfAny()
        let integration = call.integration
        let series = params.data.series
        let stamps = times
        // Each series is stored in ascending time: the frame's positions in that order, once.
        let order = stamps.indices.sorted { stamps[$0] < stamps[$1] }
        let summaries = try await store.write { db in
            var out: [String: SaveSummary] = [:]
            let now = Date()
            for (inputID, values) in series.sorted(by: { $0.key < $1.key }) {
                let signalID: String
                if let existing = try String.fetchOne(db, sql: "SELECT id FROM signal WHERE integration = ? AND inputID = ?", arguments: [integration, inputID]) {
                    signalID = existing
                    out[inputID] = SaveSummary(id: existing, created: false)
                } else {
                    let record = SignalRecord(id: Identifiers.resourceID(), integration: integration, inputID: inputID,
                                              document: SignalDocument(inputID: inputID).jsonText(), createdAt: now, updatedAt: now)
                    try record.insert(db)
                    signalID = record.id
                    out[inputID] = SaveSummary(id: record.id, created: true)
                }
                var times: [Int64] = [], numbers: [Double] = []
                times.reserveCapacity(order.count)
                numbers.reserveCapacity(order.count)
                for position in order {
                    guard let value = values[position] else { continue }
                    times.append(stamps[position])
                    numbers.append(value)
                }
                try SampleSegments.append(db, signalID: signalID, times: times, values: numbers)
            }
            return out
        }
        return SignalsByInput(signalsByInput: summaries)
    }
}
