import Foundation
import NIOCore
import SigportContract

/// An integration export's source: the signals `admin.selectSignals` lists (all of the
/// integration's, or those the input IDs and filter select), read through their items with
/// `clarify.dataFrame` — at most 50 items and 40 days of raw data per call, paced and retried.
/// Signals are read through items only; with `publish`, those without one get a hidden item.
public final class IntegrationExportSource: ExportSource {
    public struct Selection: Sendable {
        public var inputIDs: [String] = []
        /// A resource filter as JSON text (`{"labels.site": "pier"}`).
        public var filter: String?
        /// Publish signals that have no item (`visible: false`) so their data can be read.
        public var publish = false
        /// Without `publish`: leave out signals that have no item (rather than refuse), noted.
        public var skipUnpublished = false
        public init() {}
    }

    let client: IntegrationClient
    let selection: Selection
    let maxAttempts: Int
    private(set) var requests = 0
    /// Item ids in series order, the series sorted by input ID.
    private var itemIDs: [String] = []

    /// Told how many signals are about to be published, before the first is (it writes into the user's org).
    let willPublish: @Sendable (Int) -> Void

    public init(client: IntegrationClient, selection: Selection, maxAttempts: Int = 8, willPublish: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.client = client
        self.selection = selection
        self.maxAttempts = maxAttempts
        self.willPublish = willPublish
    }

    let schema = ExportSchema.integration
    let valueType = "REAL"

    var parameters: [String: String] {
        ["source": "integration", "integration": client.credentials.integration,
         "inputIDs": selection.inputIDs.joined(separator: ","), "filter": selection.filter ?? ""]
    }

    // MARK: Reading signals

    private struct SignalPage: Decodable {
        struct Meta: Decodable { let total: Int }
        let meta: Meta
        let data: [SignalView]
    }

    private struct SignalView: Decodable {
        struct Attributes: Codable {
            var input: String?
            var name: String?
            var valueType: String?
            var description: String?
            var labels: [String: [String]]?
            var engUnit: String?
            var enumValues: [String: String]?
            var sourceType: String?
            var sampleInterval: String?
            var gapDetection: String?
        }
        struct Meta: Decodable { let annotations: [String: String]? }
        struct Relationships: Decodable {
            struct Item: Decodable { struct Ref: Decodable { let id: String }; let data: Ref? }
            let item: Item?
        }
        let id: String
        let attributes: Attributes
        let meta: Meta?
        let relationships: Relationships?
    }

    private struct Published: Decodable {
        struct Summary: Decodable { let id: String }
        let itemsBySignal: [String: Summary]
    }

    func prepare() async throws -> ExportSelection {
        var filter: Any = [String: Any]()
        if let text = selection.filter {
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)), parsed is [String: Any] else {
                throw SigportError(.invalidArgument, "--filter is not a JSON object.", hint: "Write it like {\"labels.site\": \"pier\"}.")
            }
            filter = parsed
        }
        if !selection.inputIDs.isEmpty {
            let byInput: [String: Any] = ["input": ["$in": selection.inputIDs]]
            if selection.filter == nil {
                filter = byInput
            } else {
                let both: [Any] = [filter, byInput]
                filter = ["$and": both] as [String: Any]
            }
        }
        var signals: [SignalView] = []
        while true {
            let query: [String: Any] = ["filter": filter, "limit": IntegrationContract.maxSelectLimit, "skip": signals.count, "sort": ["id"], "total": true]
            let params: [String: Any] = ["integration": client.credentials.integration, "query": query, "include": ["item"]]
            let page = try await call("admin.selectSignals", params, as: SignalPage.self)
            signals += page.data
            if page.data.isEmpty || signals.count >= page.meta.total { break }
        }
        // A signal created while the pages are read can shift one into the next page: keep each once.
        var seen = Set<String>()
        signals = signals.filter { seen.insert($0.id).inserted }
        signals.sort { ($0.attributes.input ?? $0.id) < ($1.attributes.input ?? $1.id) }
        var items = Dictionary(uniqueKeysWithValues: signals.compactMap { s in s.relationships?.item?.data.map { (s.id, $0.id) } })
        var unpublished = signals.filter { items[$0.id] == nil }
        var notes: [String] = []
        if !unpublished.isEmpty, !selection.publish, selection.skipUnpublished {
            signals = signals.filter { items[$0.id] != nil }
            notes.append("\(unpublished.count) signals have no item and were not read")
            unpublished = []
        }
        if !unpublished.isEmpty {
            guard selection.publish else {
                throw SigportError(.invalidArgument, "\(unpublished.count) of the \(signals.count) selected signals have no item, and the API reads data through items.",
                                   hint: "Add --publish to publish them as hidden items (visible: false), or narrow the selection.")
            }
            willPublish(unpublished.count)
            for batch in stride(from: 0, to: unpublished.count, by: 200).map({ Array(unpublished[$0..<min($0 + 200, unpublished.count)]) }) {
                var views: [String: Any] = [:]
                for signal in batch { views[signal.id] = try Self.itemView(signal) }
                let params: [String: Any] = ["integration": client.credentials.integration, "itemsBySignal": views, "createOnly": true]
                let published = try await call("admin.publishSignals", params, as: Published.self)
                for (signal, summary) in published.itemsBySignal { items[signal] = summary.id }
            }
            notes.append("published \(unpublished.count) signals as hidden items to read them")
        }
        itemIDs = signals.map { items[$0.id] ?? "" }
        let series = signals.map { signal in
            let a = signal.attributes
            return ExportSeries(key: a.input ?? signal.id, fields: [client.credentials.integration, a.input, a.name, signal.id, items[signal.id]],
                                gap: a.gapDetection.flatMap(RFC3339Duration.seconds).flatMap { $0 > 0 && $0 <= 3.2e9 ? Int64($0 * 1_000_000) : nil })
        }
        if signals.isEmpty { notes.append("no signal matches the selection") }
        return ExportSelection(series: series, range: nil, notes: notes)
    }

    /// An item save view: the signal's fields, hidden.
    private static func itemView(_ signal: SignalView) throws -> Any {
        var view = try JSONSerialization.jsonObject(with: JSONEncoder().encode(signal.attributes)) as? [String: Any] ?? [:]
        view["input"] = nil
        view["annotations"] = signal.meta?.annotations ?? [:]
        view["visible"] = false
        return view
    }

    // MARK: Reading data

    func records(in window: ExportWindow, _ emit: (ExportRecord) throws -> Void) async throws {
        try await records(in: window, series: Array(itemIDs.indices), emit)
    }

    /// The values of some series (indices into the selection's series) in [window.from, window.to).
    func records(in window: ExportWindow, series: [Int], _ emit: (ExportRecord) throws -> Void) async throws {
        let span = IntegrationContract.rawWindowSeconds * 1_000_000
        let reader = try DataFrameReader()
        var start = window.from
        while start < window.to {
            let end = min(start + span, window.to)
            for first in stride(from: 0, to: series.count, by: IntegrationContract.maxDataFrameItems) {
                let page = Array(series[first..<min(first + IntegrationContract.maxDataFrameItems, series.count)])
                let ids: [String] = page.map { itemIDs[$0] }
                let query: [String: Any] = ["filter": ["id": ["$in": ids]], "limit": IntegrationContract.maxDataFrameItems]
                // To the microsecond, as the API stores time (the files show milliseconds).
                let times: [String: Any] = ["$gte": JSONText.time(microseconds: start), "$lt": JSONText.time(microseconds: end)]
                let data: [String: Any] = ["filter": ["times": times], "rollup": NSNull()]
                let frame = try await call("clarify.dataFrame", ["query": query, "data": data]) { try reader.read($0, items: ids) }
                let columns = zip(page, frame.columns).compactMap { series, values in values.map { (series: series, values: $0) } }
                for (row, micros) in frame.times.enumerated() {
                    for column in columns where !column.values[row].isNaN {
                        try emit(ExportRecord(time: micros, series: column.series, value: .real(column.values[row]), fields: []))
                    }
                }
            }
            start = end
        }
    }

    // MARK: Calls

    /// One read call until it is answered: retried with backoff on 429, 5xx, JSON-RPC -32015 and
    /// dropped connections (reads are safe to repeat); any other refusal is final.
    private func call<R: Decodable>(_ method: String, _ params: [String: Any], as: R.Type) async throws -> R {
        try await call(method, params) { body in try? JSONDecoder().decode(RPCResponseEnvelope<R>.self, from: Data(body.readableBytesView)).result }
    }

    /// The same, with the answer's result read by `result` (nil when the body holds none: its
    /// error, if any, is then read here).
    private func call<R>(_ method: String, _ params: [String: Any], result: (ByteBuffer) throws -> R?) async throws -> R {
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "method": method, "id": "1", "params": params])
        return try await RetryBackoff.run(method, maxAttempts: maxAttempts,
                                          hint: "Run the same command again once the API answers; finished windows are kept.") {
            requests += 1
            do {
                let reply = try await client.post(ByteBuffer(bytes: body), method: method)
                if reply.status == 200, let result = try result(reply.body) { return .answered(result) }
                let envelope = try? JSONDecoder().decode(RPCResponseEnvelope<IgnoredResult>.self, from: Data(reply.body.readableBytesView))
                return .retry(reason: try IntegrationClient.retryReason(method, status: reply.status, error: envelope?.error))
            } catch let error as SigportError where error.code == .unreachable {
                return .retry(reason: "no answer")
            }
        }
    }
}

/// A result left unread: the envelope is decoded only for its error.
private struct IgnoredResult: Decodable {
    init(from decoder: any Decoder) throws {}
}
