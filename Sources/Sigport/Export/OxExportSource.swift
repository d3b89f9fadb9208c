import Foundation

/// An ox export's source. ox lists no events, so the events are those sigport's ledgers (of
/// earlier imports and migrations) or an id file name; the ledgers' copy of each event's
/// sensor, beacon, type and time narrows what is read, and what the API answers decides. Events
/// are read with retrieve-many calls (URLs kept under a bound, paced), staged on disk with the
/// sensors and beacons they name, and written from there in time order.
public final class OxExportSource: ExportSource {
    public struct Selection: Sendable {
        public var ledgers: [URL] = []
        public var eventIDFile: String?
        /// Entity ids; empty selects all.
        public var sensors: [String] = []
        public var beacons: [String] = []
        public var eventTypes: [String] = []
        /// [from, to) in µs.
        public var from: Int64?
        public var to: Int64?
        public init() {}
    }

    let client: OxClient
    let selection: Selection
    let staging: ExportStaging
    let reader: OxInventoryReader
    /// Ids per step of the fetch loop; each step is split into URL-bounded requests.
    let batchSize = 400
    private var seriesIndex: [String: Int] = [:]
    private var beaconLabels: [String: String] = [:]

    public init(client: OxClient, selection: Selection, runDirectory: URL, maxURLBytes: Int = 2000) throws {
        self.client = client
        self.selection = selection
        staging = try ExportStaging(directory: runDirectory)
        reader = OxInventoryReader(source: client, fallback: nil, maxURLBytes: maxURLBytes)
    }

    let schema = ExportSchema.ox
    let valueType = "INTEGER"
    var requests: Int { reader.requests }

    var parameters: [String: String] {
        [
            "source": "ox", "org": client.org.org,
            "ledgers": selection.ledgers.map(\.path).joined(separator: ";"), "eventIDs": selection.eventIDFile ?? "",
            "sensors": selection.sensors.joined(separator: ","), "beacons": selection.beacons.joined(separator: ","),
            "eventTypes": selection.eventTypes.joined(separator: ","),
        ]
    }

    func prepare() async throws -> ExportSelection {
        var described = parameters
        described["from"] = selection.from.map(String.init) ?? ""
        described["to"] = selection.to.map(String.init) ?? ""
        let fingerprint = described.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        if let staged = try staging.meta("selection"), staged != fingerprint {
            throw SigportError(.invalidArgument, "The run directory holds the staging of an export with another selection.",
                               hint: "Give this export its own --run-dir (or remove export.sqlite from this one).")
        }
        // The candidates are listed once per staging store; a listing cut short is done again
        // from the start (nothing is read before it is complete).
        if try staging.meta("listed") == nil {
            try staging.setMeta("selection", fingerprint)
            try staging.clearCandidates()
            try listCandidates()
            try staging.setMeta("listed", "yes")
        }
        try await fetchEvents()
        try await fetchEntities("sensor")
        try await fetchEntities("beacon")
        return try describe()
    }

    /// The candidates, listed once per staging store: ledger events that pass the selection
    /// (by the ledger's copy of their fields), then the id file's ids.
    private func listCandidates() throws {
        var batch: [String] = []
        func flush() throws {
            try staging.addCandidates(batch)
            batch.removeAll(keepingCapacity: true)
        }
        var named = 0
        for directory in selection.ledgers {
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("checkpoint.sqlite").path) else {
                throw SigportError(.invalidArgument, "\(directory.path) has no checkpoint: no import or migration ran there.",
                                   hint: "--events-from takes the run directory of an earlier import or migration into this org.")
            }
            // Events the ledger records under another org are tried too: a move keeps ids, so an
            // import's events may be this org's now. Those this org's client may not read are left out.
            try Checkpoint(directory: directory).forEachOxEvent(org: nil) { event in
                named += 1
                guard matches(sensor: event.sensor, beacon: event.beacon, type: event.type, timeMs: event.timestampMs) else { return }
                batch.append(event.id)
                if batch.count >= 10_000 { try flush() }
            }
        }
        if let file = selection.eventIDFile {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw SigportError(.invalidArgument, "The event id file \(file) cannot be read.", cause: error)
            }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let id = line.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
                guard !id.isEmpty, !id.hasPrefix("#") else { continue }
                guard id.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw SigportError(.invalidArgument, "\(file):\(number + 1): not an entity id (digits expected).")
                }
                named += 1
                batch.append(id)
            }
        }
        try flush()
        guard named > 0 else {
            throw SigportError(.invalidArgument, "The ledgers\(selection.eventIDFile == nil ? "" : " and the id file") name no event: there is nothing to export from org \(client.org.org).",
                               hint: "--events-from takes the run directory of an import or migration (a move's too) whose events are in this org; --event-ids a file of ids.")
        }
    }

    private func matches(sensor: String?, beacon: String?, type: String, timeMs: Int64) -> Bool {
        if !selection.sensors.isEmpty, !sensor.map(selection.sensors.contains).isTrue { return false }
        if !selection.beacons.isEmpty, !beacon.map(selection.beacons.contains).isTrue { return false }
        if !selection.eventTypes.isEmpty, !selection.eventTypes.contains(type) { return false }
        guard Self.representable.contains(timeMs) else { return false }
        if let from = selection.from, timeMs * 1000 < from { return false }
        if let to = selection.to, timeMs * 1000 >= to { return false }
        return true
    }

    private func fetchEvents() async throws {
        while true {
            let ids = try staging.pendingCandidates(limit: batchSize)
            if ids.isEmpty { return }
            for batch in OxInventoryReader.urlBatches(ids, prefix: client.endpoint.url("event/").count, limit: reader.maxURLBytes) {
                let found = try await reader.retrieve(client, "event", batch, ownedBy: nil, dropForbidden: true)
                var staged: [StagedEventRecord] = [], filtered: [String] = []
                for (id, document) in found {
                    guard let event = Self.event(id, document) else {
                        throw SigportError(.unexpectedResponse, "Event \(id) came back without a numeric event_timestamp, event_reading or an event_type.")
                    }
                    if Self.representable.contains(event.timestampMs),
                       matches(sensor: event.sensor, beacon: event.beacon, type: event.type, timeMs: event.timestampMs) {
                        staged.append(event)
                    } else {
                        filtered.append(id)
                    }
                }
                let answered = Set(found.map(\.id))
                try staging.record(staged: staged, filtered: filtered, missing: batch.filter { !answered.contains($0) })
            }
        }
    }

    /// Event times sigport can write: years 1–9999, in ms (a time in other units is left out
    /// as outside the selection rather than overflowing).
    static let representable: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    static func event(_ id: String, _ document: [String: Any]) -> StagedEventRecord? {
        guard let time = (document["event_timestamp"] as? NSNumber)?.int64Value,
              let reading = document["event_reading"] as? NSNumber,
              let type = document["event_type"] as? String else { return nil }
        return StagedEventRecord(id: id, timestampMs: time, sensor: OxInventoryReader.idText(document["event_sensor"]),
                                 beacon: OxInventoryReader.idText(document["event_beacon"]), type: type, reading: reading.int64Value)
    }

    private func fetchEntities(_ kind: String) async throws {
        let ids = try staging.unreadEntities(kind)
        for batch in OxInventoryReader.urlBatches(ids, prefix: client.endpoint.url("\(kind)/").count, limit: reader.maxURLBytes) {
            let found = Dictionary(try await reader.retrieve(client, kind, batch, ownedBy: nil, dropForbidden: true).map { ($0.id, $0.document) },
                                   uniquingKeysWith: { a, _ in a })
            try staging.saveEntities(batch.map { id in
                let document = found[id]
                return StagedEntityRecord(kind: kind, id: id, found: document != nil,
                                          label: document?[kind == "sensor" ? "sensor_id" : "beacon_id"] as? String,
                                          type: document?["sensor_type"] as? String)
            })
        }
    }

    /// The series (sensor × event type), keyed `<sensor_id>/<event_type>`; a `sensor_id` two
    /// sensors share gets each one's entity id (`#…`) so keys stay unique.
    private func describe() throws -> ExportSelection {
        let entities = try staging.entities()
        let sensors = Dictionary(entities.filter { $0.kind == "sensor" }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        beaconLabels = Dictionary(entities.filter { $0.kind == "beacon" }.compactMap { e in e.label.map { (e.id, $0) } }, uniquingKeysWith: { a, _ in a })
        let (pairs, range) = try staging.seriesAndRange()
        var labelOwners: [String: Set<String>] = [:]
        for (sensor, _) in pairs { if let sensor { labelOwners[sensors[sensor]?.label ?? sensor, default: []].insert(sensor) } }
        var series: [ExportSeries] = []
        for (sensor, type) in pairs {
            let entity = sensor.flatMap { sensors[$0] }
            var label = sensor.map { entity?.label ?? $0 } ?? "(no sensor)"
            if let sensor, (labelOwners[label]?.count ?? 0) > 1 { label += "#" + sensor }
            seriesIndex[(sensor ?? "") + "\u{0}" + type] = series.count
            series.append(ExportSeries(key: label + "/" + type, fields: [client.org.org, entity?.label, entity?.type, type, sensor], gap: nil))
        }
        let counts = try staging.candidateCounts()
        let listed = counts.values.reduce(0, +)
        guard listed == 0 || counts["staged", default: 0] + counts["filtered", default: 0] > 0 else {
            throw SigportError(.invalidArgument, "None of the \(listed) events the ledgers name is in org \(client.org.org) (deleted, or in another org).",
                               hint: "Export from the org that holds them, or give --events-from the run directory of the migration that brought them here.")
        }
        var notes: [String] = []
        if let missing = counts["missing"], missing > 0 { notes.append("\(missing) listed events were not found in this org (deleted, moved elsewhere, or recorded under another org)") }
        if let filtered = counts["filtered"], filtered > 0 { notes.append("\(filtered) events read were outside the selection (changed since the ledger was written)") }
        let unknown = entities.filter { !$0.found }.count
        if unknown > 0 { notes.append("\(unknown) sensors or beacons the events name were not found; their fields are empty") }
        // Keys must be unique (a wide file's columns, the summary's lines): free-text sensor ids
        // and types can still collide ("a" + "b/c" and "a/b" + "c"); the sensor's entity id parts them.
        let keyCounts = Dictionary(series.map { ($0.key, 1) }, uniquingKeysWith: +)
        for i in series.indices where keyCounts[series[i].key, default: 0] > 1 { series[i].key += "#" + (series[i].fields[4] ?? "none") }
        return ExportSelection(series: series, range: range.map { ($0.0 * 1000, ($0.1 + 1) * 1000) }, notes: notes)
    }

    func records(in window: ExportWindow, _ emit: (ExportRecord) throws -> Void) async throws {
        let fromMs = CivilDate.floorDivide(window.from + 999, 1000)
        let toMs = CivilDate.floorDivide(window.to + 999, 1000)
        try staging.forEachEvent(fromMs: fromMs, toMs: toMs) { event in
            guard let series = seriesIndex[(event.sensor ?? "") + "\u{0}" + event.type] else { return }
            try emit(ExportRecord(time: event.timestampMs * 1000, series: series, value: .integer(event.reading),
                                  fields: [event.id, event.beacon.flatMap { beaconLabels[$0] }, event.beacon]))
        }
    }
}

private extension Optional<Bool> {
    var isTrue: Bool { self == true }
}
