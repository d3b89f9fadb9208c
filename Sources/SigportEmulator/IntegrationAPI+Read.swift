import Foundation
import GRDB
import SigportContract

/// The read side, in the 1.1 dialect that pyclarify speaks: `admin.selectSignals`,
/// `admin.publishSignals`, `clarify.selectItems` and `clarify.dataFrame`.
extension IntegrationAPI {
    /// The read methods' params in 1.1: `query`, `include`, `format` and per method more.
    struct ReadParams: Decodable {
        var fields: [String: JSONValue]
        init(from decoder: any Decoder) throws {
            let version = decoder.apiVersion
            guard version == .v1_1 || version == .v1_1beta2 else {
                throw APIError(status: .ok, rpcCode: .methodNotFound,
                               message: "The emulator serves the read methods in API version 1.1 (and 1.1beta2): send X-API-Version: 1.1")
            }
            fields = try decoder.singleValueContainer().decode([String: JSONValue].self)
        }

        func refuseUnknown(_ known: Set<String>) throws {
            for key in fields.keys where !known.contains(key) { throw APIError.invalidParam(key, "is not a parameter of this method") }
        }

        var include: [String] { fields["include"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

        /// `format` is echoed in `meta.format`, as the API does.
        var format: JSONValue { fields["format"] ?? .object(["dataAsArray": .bool(true), "groupIncludedByType": .bool(true)]) }
    }

    struct Selection: Encodable, Sendable {
        var meta: JSONValue
        var data: JSONValue
        var included: JSONValue?
    }

    // MARK: Views

    /// A resource as the read methods show it (JSON:API-shaped) and as filters see it (flat:
    /// attributes, id, annotations, createdAt, updatedAt and the extra fields given).
    private func resourceView(type: String, id: String, document: SignalDocument, created: Date, updated: Date,
                              attributes extra: [String: JSONValue], relationships: [String: JSONValue],
                              filterable more: [String: JSONValue]) -> (filterable: JSONValue, view: JSONValue) {
        var attributes = document.rendered(version: .v1_1)
        let annotations = attributes.removeValue(forKey: "annotations") ?? .object([:])
        attributes.merge(extra) { _, new in new }
        let meta: [String: JSONValue] = [
            "annotations": annotations,
            "createdAt": .string(RFC3339Time.format(microseconds: Int64(created.timeIntervalSince1970 * 1_000_000))),
            "updatedAt": .string(RFC3339Time.format(microseconds: Int64(updated.timeIntervalSince1970 * 1_000_000))),
        ]
        let view: JSONValue = .object(["type": .string(type), "id": .string(id), "meta": .object(meta),
                                       "attributes": .object(attributes), "relationships": .object(relationships)])
        let filterable = attributes.merging(meta) { a, _ in a }.merging(more) { _, new in new }.merging(["id": .string(id)]) { _, new in new }
        return (.object(filterable), view)
    }

    private func signalView(_ record: SignalRecord, itemID: String?) -> (filterable: JSONValue, view: JSONValue) {
        resourceView(
            type: "signals", id: record.id, document: SignalDocument.decode(record.document) ?? SignalDocument(inputID: record.inputID),
            created: record.createdAt, updated: record.updatedAt, attributes: ["input": .string(record.inputID)],
            relationships: [
                "integration": .object(["data": .object(["type": "integrations", "id": .string(record.integration)])]),
                "item": .object(["data": itemID.map { .object(["type": "items", "id": .string($0)]) } ?? .null]),
            ],
            filterable: ["integration": .string(record.integration), "item": itemID.map(JSONValue.string) ?? .null])
    }

    private func itemView(_ record: ItemRecord) -> (filterable: JSONValue, view: JSONValue) {
        let document = ItemDocument.decode(record.document)
        return resourceView(type: "items", id: record.id, document: document.fields, created: record.createdAt, updated: record.updatedAt,
                            attributes: ["visible": .bool(document.visible)], relationships: [:], filterable: [:])
    }

    /// The items an integration sees: those published from its own signals.
    private static func publishedItems(of integration: String, _ db: Database) throws -> [ItemRecord] {
        try ItemRecord.fetchAll(db, sql: "SELECT item.* FROM item JOIN signal ON signal.id = item.signalID WHERE signal.integration = ?", arguments: [integration])
    }

    private func select(_ documents: [(filterable: JSONValue, view: JSONValue)], _ query: ResourceQuery) -> (views: [JSONValue], total: Int) {
        let views = Dictionary(documents.map { ($0.filterable["id"]?.stringValue ?? "", $0.view) }, uniquingKeysWith: { a, _ in a })
        let (page, total) = query.apply(to: documents.map(\.filterable))
        return (page.compactMap { views[$0["id"]?.stringValue ?? ""] }, total)
    }

    // MARK: Methods

    func selectSignals(_ call: RPCCall) async throws -> Selection {
        let params = try call.params(ReadParams.self)
        try params.refuseUnknown(["integration", "query", "include", "format"])
        guard let integration = params.fields["integration"]?.stringValue else { throw APIError.invalidParam("integration", "is required") }
        try call.checkIntegration(integration)
        let query = try ResourceQuery(params.fields["query"], maxLimit: IntegrationContract.maxSelectLimit)
        let (signals, items) = try await store.read { db in
            (try SignalRecord.filter(Column("integration") == integration).fetchAll(db), try Self.publishedItems(of: integration, db))
        }
        let itemBySignal = Dictionary(items.map { ($0.signalID, $0) }, uniquingKeysWith: { a, _ in a })
        let (views, total) = select(signals.map { signalView($0, itemID: itemBySignal[$0.id]?.id) }, query)
        var included: JSONValue?
        if params.include.contains(where: { $0 == "item" || $0 == "items" }) {
            let ids = Set(views.compactMap { $0["relationships"]?["item"]?["data"]?["id"]?.stringValue })
            included = .object(["items": .array(items.filter { ids.contains($0.id) }.map { itemView($0).view })])
        }
        return Selection(meta: .object(["total": .number(Double(total)), "format": params.format]), data: .array(views), included: included)
    }

    struct PublishSummary: Encodable, Sendable {
        let itemsBySignal: [String: SaveSummary]
    }

    func publishSignals(_ call: RPCCall) async throws -> PublishSummary {
        let params = try call.params(ReadParams.self)
        try params.refuseUnknown(["integration", "itemsBySignal", "createOnly"])
        guard let integration = params.fields["integration"]?.stringValue else { throw APIError.invalidParam("integration", "is required") }
        try call.checkIntegration(integration)
        guard let views = params.fields["itemsBySignal"]?.objectValue else { throw APIError.invalidParam("itemsBySignal", "is required: a map of signal ID to item save view") }
        let createOnly = params.fields["createOnly"]?.boolValue ?? false
        var problems = ParamProblems()
        var documents: [(String, ItemDocument)] = []
        for (signalID, view) in views.sorted(by: { $0.key < $1.key }) {
            problems.check(IntegrationContract.integrationID, signalID, at: "itemsBySignal.\(signalID)")
            let path = "itemsBySignal.\(signalID)"
            var visible = false
            if let flag = view["visible"] {
                if let bool = flag.boolValue { visible = bool } else { problems.add("\(path).visible", "must be a boolean") }
            }
            let fields = SignalDocument(saveView: view, inputID: signalID, path: path, version: .v1_1, extraKeys: ["visible"], problems: &problems)
            documents.append((signalID, ItemDocument(fields: fields, visible: visible)))
        }
        try problems.throwIfAny()
        let items = documents
        let summaries = try await store.write { db in
            var out: [String: SaveSummary] = [:]
            let now = Date()
            for (signalID, document) in items {
                guard try SignalRecord.filter(Column("id") == signalID && Column("integration") == integration).fetchCount(db) == 1 else {
                    throw APIError.invalidParam("itemsBySignal.\(signalID)", "no signal with this ID in this integration")
                }
                if var existing = try ItemRecord.filter(Column("signalID") == signalID).fetchOne(db) {
                    let changed = !createOnly && existing.document != document.jsonText()
                    if changed {
                        existing.document = document.jsonText()
                        existing.updatedAt = now
                        try existing.update(db)
                    }
                    out[signalID] = SaveSummary(id: existing.id, created: false, updated: changed)
                } else {
                    let record = ItemRecord(id: Identifiers.resourceID(), signalID: signalID, document: document.jsonText(), createdAt: now, updatedAt: now)
                    try record.insert(db)
                    out[signalID] = SaveSummary(id: record.id, created: true, updated: false)
                }
            }
            return out
        }
        return PublishSummary(itemsBySignal: summaries)
    }

    func selectItems(_ call: RPCCall) async throws -> Selection {
        let params = try call.params(ReadParams.self)
        try params.refuseUnknown(["query", "include", "format"])
        let query = try ResourceQuery(params.fields["query"], maxLimit: IntegrationContract.maxSelectLimit)
        let integration = call.integration
        let (items, signals) = try await store.read { db in
            (try Self.publishedItems(of: integration, db), try SignalRecord.filter(Column("integration") == integration).fetchAll(db))
        }
        let (views, total) = select(items.map(itemView), query)
        var included: JSONValue?
        if params.include.contains(where: { $0 == "signal" || $0 == "signals" }) {
            let ids = Set(views.compactMap { $0["id"]?.stringValue })
            let signalIDs = Set(items.filter { ids.contains($0.id) }.map(\.signalID))
            included = .object(["signals": .array(signals.filter { signalIDs.contains($0.id) }.map { record in
                signalView(record, itemID: items.first { $0.signalID == record.id }?.id).view
            })])
        }
        return Selection(meta: .object(["total": .number(Double(total)), "format": params.format]), data: .array(views), included: included)
    }

    /// The answer is rendered straight to bytes (`DataFrameAnswer`): samples read from the
    /// window's segments (`SampleSegments.fetch`), the frame merged from the series' sorted times,
    /// numbers and times written as `JSONValue` + `JSONEncoder` write them.
    func dataFrame(_ call: RPCCall) async throws -> RenderedJSON {
        let params = try call.params(ReadParams.self)
        try params.refuseUnknown(["query", "data", "include", "format"])
        let query = try ResourceQuery(params.fields["query"], maxLimit: IntegrationContract.maxDataFrameItems)
        let request = try DataFrameRequest(params.fields["data"])
        let integration = call.integration
        let items = try await store.read { db in try Self.publishedItems(of: integration, db) }
        let (views, total) = select(items.map(itemView), query)
        let selected = views.compactMap { view in items.first { $0.id == view["id"]?.stringValue } }
        let series = try await store.read { db in
            try selected.map { item in try SampleSegments.fetch(db, signalID: item.signalID, from: request.from, to: request.to) }
        }
        let frame = request.frame(itemIDs: selected.map(\.id), series: series)
        var included: JSONValue?
        if params.include.contains(where: { $0 == "item" || $0 == "items" }) {
            included = .object(["items": .array(views)])
        }
        return DataFrameAnswer(meta: .object(["total": .number(Double(total)), "format": params.format]), frame: frame, included: included).rendered()
    }
}

/// An item: the signal save view's fields plus `visible`.
struct ItemDocument: Codable, Sendable {
    var fields: SignalDocument
    var visible: Bool

    static func decode(_ text: String) -> ItemDocument {
        (try? JSONDecoder().decode(ItemDocument.self, from: Data(text.utf8))) ?? ItemDocument(fields: SignalDocument(inputID: ""), visible: false)
    }

    func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
