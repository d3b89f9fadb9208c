import Foundation
import NIOCore
import NIOHTTP1

/// What an ox org holds that a migration moves: entity documents (as the API renders them), by id.
struct OxInventory {
    var sensors: [(id: String, document: [String: Any])] = []
    var beacons: [(id: String, document: [String: Any])] = []
    var events: [(id: String, document: [String: Any])] = []
    /// Listed event ids the source no longer has, or that belong to none of the entities.
    var skipped = 0
}

/// Reads an org's inventory: the sensors and beacons its IdMaps enable or its ledgers' events
/// name, and the events the ledgers (or an id file) list — ox lists no events — with
/// retrieve-many calls whose URLs stay under a bound. Used by one task at a time.
final class OxInventoryReader {
    let source: OxClient
    /// Reads what the source may no longer (a resumed move: the entities belong to the target).
    let fallback: OxClient?
    let ledgers: [URL]
    let eventIDFile: String?
    let maxURLBytes: Int
    let maxAttempts = 8
    private(set) var requests = 0

    init(source: OxClient, fallback: OxClient?, ledgers: [URL] = [], eventIDFile: String? = nil, maxURLBytes: Int = 2000) {
        self.source = source
        self.fallback = fallback
        self.ledgers = ledgers
        self.eventIDFile = eventIDFile
        self.maxURLBytes = maxURLBytes
    }

    /// Reads the org, the entities and the events to migrate.
    func take() async throws -> OxInventory {
        let org = try await document(source, "org", source.org.org)
        // The entities the org's IdMaps enable, and those the ledgers' events name (creating an
        // entity adds it to no IdMap, so an import's sensors are known from its ledger).
        let (wanted, named) = try eventIDs()
        let sensorIDs = Self.union(Self.enabled(org["org_sensors"]), named.sensors)
        let beaconIDs = Self.union(Self.enabled(org["org_beacons"]), named.beacons)
        var inventory = OxInventory()
        inventory.sensors = try await retrieve(source, "sensor", sensorIDs, ownedBy: fallback)
        inventory.beacons = try await retrieve(source, "beacon", beaconIDs, ownedBy: fallback)
        // Moved or copied entities' events: by sensor or beacon. After a move they belong to the
        // target, so a resumed move reads them with the target's client.
        let sensors = Set(sensorIDs), beacons = Set(beaconIDs)
        let events = try await retrieve(source, "event", wanted, ownedBy: fallback)
        inventory.events = events.filter { event in
            Self.idText(event.document["event_sensor"]).map(sensors.contains) ?? false
                || Self.idText(event.document["event_beacon"]).map(beacons.contains) ?? false
        }
        inventory.skipped = wanted.count - inventory.events.count
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
        for directory in ledgers {
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("checkpoint.sqlite").path) else {
                throw SigportError(.invalidArgument, "\(directory.path) has no checkpoint: no import or migration ran there.")
            }
            for event in try Checkpoint(directory: directory).oxEvents() where event.org == source.org.org {
                if seen.insert(event.id).inserted { ids.append(event.id) }
                if seenEntities.insert("s" + event.sensor).inserted { sensors.append(event.sensor) }
                if let beacon = event.beacon, seenEntities.insert("b" + beacon).inserted { beacons.append(beacon) }
            }
        }
        if let file = eventIDFile {
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

    /// A GET until it is answered: reads are safe to repeat, so 429, 5xx and dropped connections
    /// are retried with backoff (up to `maxAttempts`); any other status is the caller's to judge.
    func get(_ client: OxClient, _ path: String) async throws -> (status: Int, data: Data) {
        try await RetryBackoff.run("GET /\(path.prefix(40))…", maxAttempts: maxAttempts,
                                   hint: "Run the same command again once the API answers; it resumes where it stopped.") {
            requests += 1
            do {
                let (status, data) = try await client.request(.GET, path)
                guard status == 429 || status >= 500 else { return .answered((status, data)) }
                return .retry(reason: "HTTP \(status)")
            } catch let error as SigportError where error.code == .unreachable {
                return .retry(reason: "no answer")
            }
        }
    }

    func document(_ client: OxClient, _ kind: String, _ id: String) async throws -> [String: Any] {
        let (status, data) = try await get(client, "\(kind)/\(id)")
        guard status == 200, let document = Self.data(data) as? [String: Any] else {
            throw SigportError(.rejectedByServer, "GET /\(kind)/\(id) got HTTP \(status).")
        }
        return document
    }

    /// Retrieve-many in calls whose URL stays under the limit. Ids the source client may not read
    /// (403: moved already) are read with `ownedBy`; ids that do not exist (404) are left out.
    /// With `dropForbidden`, ids the client may not read are left out like missing ones (an export
    /// reads what the org holds now).
    func retrieve(_ client: OxClient, _ kind: String, _ ids: [String], ownedBy other: OxClient?,
                  dropForbidden: Bool = false) async throws -> [(id: String, document: [String: Any])] {
        var out: [(id: String, document: [String: Any])] = []
        for batch in Self.urlBatches(ids, prefix: client.endpoint.url("\(kind)/").count, limit: maxURLBytes) {
            var pending = batch
            while !pending.isEmpty {
                // Two ids at least, so the answer is always an array ("retrieve many").
                let path = "\(kind)/" + (pending.count == 1 ? pending + pending : pending).joined(separator: ",")
                let (status, data) = try await get(client, path)
                if status == 200, let documents = Self.data(data) as? [[String: Any]] {
                    // In the order asked (documents carry no id of their own).
                    for (id, document) in zip(pending, documents) { out.append((id, document)) }
                    break
                }
                let named = Self.namedIDs(data)
                if status == 404, !named.isEmpty {
                    pending.removeAll { named.contains($0) }
                } else if status == 403, dropForbidden {
                    // Only what the answer names is another org's; a 403 naming nothing is about
                    // this client (or a proxy), and leaving the whole batch out would lose it silently.
                    guard !named.isEmpty else {
                        throw SigportError(.forbidden, "GET /\(kind)/… was refused (403) without naming an id: this client may not read them.",
                                           hint: "Check the client's org in the credentials file; the export resumes where it stopped.")
                    }
                    pending.removeAll { named.contains($0) }
                } else if status == 403, let other {
                    // Those the 403 names (all, if it names none) belong to the other org now.
                    let foreign = named.isEmpty ? Set(pending) : named
                    out += try await retrieve(other, kind, pending.filter { foreign.contains($0) }, ownedBy: nil)
                    pending.removeAll { foreign.contains($0) }
                } else {
                    throw SigportError(.rejectedByServer, "GET /\(kind)/… got HTTP \(status).", hint: String(data: data.prefix(300), encoding: .utf8).map { "Server: \($0)" })
                }
            }
        }
        return out
    }

    /// The ids an ox error names: its `data` is `{id, info}` or a list of them.
    static func namedIDs(_ body: Data) -> Set<String> {
        let data = Self.data(body)
        let entries = (data as? [[String: Any]]) ?? (data as? [String: Any]).map { [$0] } ?? []
        return Set(entries.compactMap { idText($0["id"]) })
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
