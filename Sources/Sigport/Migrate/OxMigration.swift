import Foundation
import NIOCore
import NIOHTTP1
import SigportContract

/// `sigport migrate ox`: copies (or moves) what an org owns to another org — the sensors and
/// beacons its IdMaps enable, and the events of them that a ledger or an id file names (ox can
/// list no events) — paced per credential, within the size limit, resumable from the checkpoint.
///
/// Copy re-creates each entity under the target org with its references rewritten through the
/// source → target id map, then enables the new sensors and beacons in the target's IdMaps. Move
/// changes `parent_org` with the documented update-many (`PUT {id: {parent_org: B}}`), then
/// disables the entities in the source's IdMaps (0) and enables them in the target's.
public final class OxMigration {
    public struct Options: Sendable {
        public var runDirectory: URL
        public var move = false
        /// Run directories of earlier imports and migrations, whose ledgers name events.
        public var ledgers: [URL] = []
        /// A file of event ids, one per line.
        public var eventIDFile: String?
        public var maxRequestBytes = IntegrationContract.maxRequestBytes
        /// Longest URL a retrieve-many call builds (ids are split across calls past it).
        public var maxURLBytes = 2000
        public var inDoubt = InDoubtPolicy.stop
        /// Re-read this many migrated entities of each kind from the target and compare (nil: all).
        public var verifySample: Int? = 20
        public init(runDirectory: URL) { self.runDirectory = runDirectory }
    }

    public struct Report: Codable, Sendable {
        public var move = false
        public var sensors = 0
        public var beacons = 0
        public var events = 0
        /// Ledger or file event ids the source no longer has, or that belong to none of the entities.
        public var eventsSkipped = 0
        public var requests = 0
        public var planned: [String: Int] = [:]
        public var estimatedSeconds = 0.0
        public var verified = 0
        public var differences: [String] = []
        public var seconds = 0.0
    }

    let source: OxClient
    let target: OxClient
    let options: Options
    let checkpoint: Checkpoint
    var report = Report()

    public init(source: OxClient, target: OxClient, options: Options) throws {
        guard source.org.org != target.org.org else {
            throw SigportError(.invalidArgument, "The source and target orgs are the same (\(source.org.org)).")
        }
        self.source = source
        self.target = target
        self.options = options
        checkpoint = try Checkpoint(directory: options.runDirectory)
        report.move = options.move
    }

    /// What the source holds that will be migrated: entity documents by id.
    struct Inventory {
        var sensors: [(id: String, document: [String: Any])] = []
        var beacons: [(id: String, document: [String: Any])] = []
        var events: [(id: String, document: [String: Any])] = []
    }

    public func run(dryRun: Bool = false) async throws -> Report {
        let started = ContinuousClock.now
        _ = try checkpoint.begin(mappingText: "migrate ox \(source.org.org) -> \(target.org.org)\(options.move ? " move" : " copy")", target: "ox", inputs: [])
        let inventory = try await takeInventory()
        report.sensors = inventory.sensors.count
        report.beacons = inventory.beacons.count
        report.events = inventory.events.count
        planRequests(inventory)
        if dryRun { return finish(started) }
        if options.move { try await move(inventory) } else { try await copy(inventory) }
        try await verify(inventory)
        return finish(started)
    }

    private func finish(_ started: ContinuousClock.Instant) -> Report {
        report.seconds = OxImporter.seconds(started.duration(to: .now))
        return report
    }

    // MARK: Inventory

    private func takeInventory() async throws -> Inventory {
        let org = try await document(source, "org", source.org.org)
        // The entities the org's IdMaps enable, and those the ledgers' events name (creating an
        // entity adds it to no IdMap, so an import's sensors are known from its ledger).
        let (wanted, named) = try eventIDs()
        let sensorIDs = Self.union(Self.enabled(org["org_sensors"]), named.sensors)
        let beaconIDs = Self.union(Self.enabled(org["org_beacons"]), named.beacons)
        var inventory = Inventory()
        inventory.sensors = try await retrieve(source, "sensor", sensorIDs, ownedBy: target)
        inventory.beacons = try await retrieve(source, "beacon", beaconIDs, ownedBy: target)
        // Moved or copied entities' events: by sensor or beacon. After a move they belong to the
        // target, so a resumed move reads them with the target's client.
        let sensors = Set(sensorIDs), beacons = Set(beaconIDs)
        let events = try await retrieve(source, "event", wanted, ownedBy: target)
        inventory.events = events.filter { event in
            Self.idText(event.document["event_sensor"]).map(sensors.contains) ?? false
                || Self.idText(event.document["event_beacon"]).map(beacons.contains) ?? false
        }
        report.eventsSkipped = wanted.count - inventory.events.count
        return inventory
    }

    /// IdMap entries enabled (value not 0), as id texts in order.
    static func enabled(_ idMap: Any?) -> [String] {
        guard let map = idMap as? [String: Any] else { return [] }
        return map.filter { (($0.value as? NSNumber)?.int64Value ?? 0) != 0 }.keys.sorted()
    }

    /// An id as text, from a number, a string, or a Key object (`{"kind":…,"id":…}`, how ox
    /// renders references).
    static func idText(_ value: Any?) -> String? {
        if let key = value as? [String: Any] { return idText(key["id"]) }
        return (value as? NSNumber).map { String($0.int64Value) } ?? (value as? String)
    }

    /// The `data` of an ox envelope.
    static func data(_ body: Data) -> Any? {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["data"]
    }

    static func union(_ a: [String], _ b: [String]) -> [String] {
        var seen = Set(a)
        return a + b.filter { seen.insert($0).inserted }
    }

    /// The event ids the ledgers and the id file name, and the sensors and beacons the ledgers' events name.
    private func eventIDs() throws -> ([String], (sensors: [String], beacons: [String])) {
        var ids: [String] = []
        var seen = Set<String>()
        var sensors: [String] = [], beacons: [String] = []
        var seenEntities = Set<String>()
        for directory in options.ledgers {
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("checkpoint.sqlite").path) else {
                throw SigportError(.invalidArgument, "\(directory.path) has no checkpoint: no import or migration ran there.")
            }
            for event in try Checkpoint(directory: directory).oxEvents() where event.org == source.org.org {
                if seen.insert(event.id).inserted { ids.append(event.id) }
                if seenEntities.insert("s" + event.sensor).inserted { sensors.append(event.sensor) }
                if let beacon = event.beacon, seenEntities.insert("b" + beacon).inserted { beacons.append(beacon) }
            }
        }
        if let file = options.eventIDFile {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for line in text.split(whereSeparator: \.isNewline) {
                let id = line.trimmingCharacters(in: .whitespaces)
                guard !id.isEmpty, !id.hasPrefix("#") else { continue }
                guard id.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw SigportError(.invalidArgument, "\(file): \"\(id.prefix(40))\" is not an entity id (digits).")
                }
                if seen.insert(id).inserted { ids.append(id) }
            }
        }
        return (ids, (sensors, beacons))
    }

    func document(_ client: OxClient, _ kind: String, _ id: String) async throws -> [String: Any] {
        let (status, data) = try await client.request(.GET, "\(kind)/\(id)")
        guard status == 200, let document = Self.data(data) as? [String: Any] else {
            throw SigportError(.rejectedByServer, "GET /\(kind)/\(id) got HTTP \(status).")
        }
        return document
    }

    /// Retrieve-many in calls whose URL stays under the limit. Ids the source client may not read
    /// (403: moved already) are read with `ownedBy`; ids that do not exist (404) are left out.
    func retrieve(_ client: OxClient, _ kind: String, _ ids: [String], ownedBy other: OxClient?) async throws -> [(id: String, document: [String: Any])] {
        var out: [(id: String, document: [String: Any])] = []
        for batch in Self.urlBatches(ids, prefix: client.endpoint.url("\(kind)/").count, limit: options.maxURLBytes) {
            var pending = batch
            var reader = client
            while !pending.isEmpty {
                // Two ids at least, so the answer is always an array ("retrieve many").
                let path = "\(kind)/" + (pending.count == 1 ? pending + pending : pending).joined(separator: ",")
                let (status, data) = try await reader.request(.GET, path)
                report.requests += 1
                if status == 200, let documents = Self.data(data) as? [[String: Any]] {
                    // In the order asked (documents carry no id of their own).
                    for (id, document) in zip(pending, documents) { out.append((id, document)) }
                    break
                }
                let named = Self.namedIDs(data)
                if status == 404, !named.isEmpty {
                    pending.removeAll { named.contains($0) }
                } else if status == 403, let other, reader.org.org != other.org.org {
                    reader = other
                } else {
                    throw SigportError(.rejectedByServer, "GET /\(kind)/… got HTTP \(status).", hint: String(data: data.prefix(300), encoding: .utf8).map { "Server: \($0)" })
                }
            }
        }
        return out
    }

    /// The ids an ox error names (`data.ids`), if any.
    static func namedIDs(_ data: Data) -> Set<String> {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        let ids = (object["ids"] as? [Any]) ?? ((object["data"] as? [String: Any])?["ids"] as? [Any]) ?? []
        return Set(ids.compactMap { idText($0) })
    }

    /// Ids split so that `prefix` + ids joined by commas stays within `limit` bytes.
    static func urlBatches(_ ids: [String], prefix: Int, limit: Int) -> [[String]] {
        var batches: [[String]] = []
        var current: [String] = []
        var length = prefix
        for id in ids {
            let added = (current.isEmpty ? 0 : 1) + id.utf8.count
            if !current.isEmpty, length + added > limit {
                batches.append(current)
                current = []
                length = prefix
            }
            length += (current.isEmpty ? 0 : 1) + id.utf8.count
            current.append(id)
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}
