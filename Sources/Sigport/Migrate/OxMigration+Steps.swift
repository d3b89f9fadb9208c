import Foundation
import NIOCore
import SigportContract

extension OxMigration {
    /// The fields a create of each kind carries over (server-set ones — id, times — are not).
    static let copiedFields: [String: [String]] = [
        "sensor": ["sensor_id", "sensor_type", "sensor_version"],
        "beacon": ["beacon_id", "beacon_env", "beacon_type", "beacon_version"],
        "event": ["event_type", "event_reading", "event_timestamp"],
    ]

    /// The requests a migration takes, and the time at the pace (two credentials, each paced).
    func planRequests(_ inventory: Inventory) {
        let limit = options.maxRequestBytes
        func bodies(_ entries: [String]) -> Int { Self.pack(entries, limit: limit, object: false).count }
        var planned: [String: Int] = [:]
        if options.move {
            for (kind, items) in [("sensor", inventory.sensors), ("beacon", inventory.beacons), ("event", inventory.events)] where !items.isEmpty {
                planned["PUT /\(kind)"] = bodies(items.map { "\"\($0.id)\":{\"parent_org\":\(target.org.org)}" })
            }
            planned["PUT /org"] = 2
        } else {
            for (kind, items) in [("sensor", inventory.sensors), ("beacon", inventory.beacons), ("event", inventory.events)] where !items.isEmpty {
                planned["POST /\(kind)"] = bodies(items.map { entry(kind, $0.document, sensorMap: [:], beaconMap: [:], placeholder: true) })
            }
            planned["PUT /org"] = 1
        }
        planned["GET (org, retrieve-many)"] = report.requests + 1
        report.planned = planned
        report.estimatedSeconds = Double(planned.values.reduce(0, +)) * source.pacer.interval.seconds
    }

    /// A create entry for the target org: the copied fields, references rewritten.
    func entry(_ kind: String, _ document: [String: Any], sensorMap: [String: String], beaconMap: [String: String], placeholder: Bool = false) -> String {
        var parts = ["\"parent_org\":\(target.org.org)"]
        if kind == "event" {
            for (field, map) in [("event_sensor", sensorMap), ("event_beacon", beaconMap)] {
                guard let id = OxInventoryReader.idText(document[field]) else { continue }
                parts.append("\"\(field)\":\(placeholder ? "1000000000000000" : map[id] ?? id)")
            }
        }
        for field in Self.copiedFields[kind] ?? [] {
            guard let value = document[field] else { continue }
            if let text = value as? String { parts.append(JSONText.string(field) + ":" + JSONText.string(text)) }
            else if let number = value as? NSNumber { parts.append(JSONText.string(field) + ":" + String(number.int64Value)) }
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// Entries packed into array (or object) bodies within the limit.
    static func pack(_ entries: [String], limit: Int, object: Bool) -> [[UInt8]] {
        var bodies: [[UInt8]] = []
        var batch = OxEventBatchBuilder(limit: limit)
        func close() {
            var body = batch.encode()
            if object { body[0] = UInt8(ascii: "{"); body[body.count - 1] = UInt8(ascii: "}") }
            bodies.append(body)
        }
        for entry in entries {
            if batch.add(entry) { continue }
            close()
            batch = OxEventBatchBuilder(limit: limit)
            _ = batch.add(entry)
        }
        if !batch.isEmpty { close() }
        return bodies
    }

    // MARK: Copy

    /// Creates a killed session sent without an answer may exist in the target already: without
    /// `--in-doubt resend` the run stops here. Asked of the checkpoint alone, before the source is
    /// read, so that the stop comes at once rather than after reading the whole org again.
    func settlePending() throws {
        let pending = try checkpoint.migrationsPending()
        guard !pending.isEmpty else { return }
        let what = pending.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)(s)" }.joined(separator: ", ")
        guard options.inDoubt == .resend else {
            throw SigportError(.unreachable, "The last run ended while creating \(what) in org \(target.org.org): they may or may not exist there.",
                               hint: "Run again with --in-doubt resend to create them again (duplicates if they were created).")
        }
        try checkpoint.clearMigrationsPending()
    }

    func copy(_ inventory: Inventory) async throws {
        let sensors = try await create("sensor", inventory.sensors, sensorMap: [:], beaconMap: [:])
        let beacons = try await create("beacon", inventory.beacons, sensorMap: [:], beaconMap: [:])
        _ = try await create("event", inventory.events, sensorMap: sensors, beaconMap: beacons)
        try await updateIdMaps(target, enable: Array(sensors.values), Array(beacons.values), disable: [], [])
    }

    /// Creates in the target org what the checkpoint has not created yet; returns source → target ids.
    private func create(_ kind: String, _ items: [(id: String, document: [String: Any])],
                        sensorMap: [String: String], beaconMap: [String: String]) async throws -> [String: String] {
        var map = try checkpoint.migrated(kind: kind)
        let todo = items.filter { map[$0.id] == nil }
        report.earlierRuns += items.count - todo.count
        var start = 0
        if !items.isEmpty { progress(.copying, kind, done: items.count - todo.count, total: items.count) }
        for body in Self.pack(todo.map { entry(kind, $0.document, sensorMap: sensorMap, beaconMap: beaconMap) }, limit: options.maxRequestBytes, object: false) {
            let count = (try? JSONSerialization.jsonObject(with: Data(body)) as? [Any])?.count ?? 0
            let batch = Array(todo[start..<(start + count)])
            start += count
            // The ids the create gave, and its `OxCreateRecord` to mark answered with them.
            var created: (ids: [String], mark: String)?
            let (checkpoint, pending) = (checkpoint, batch.map(\.id))
            while created == nil {
                try checkpoint.noteRequest()
                report.requests += 1
                let status: Int, data: Data
                // Recorded as it leaves, like the import's creates: the unanswered ones bound B's extras.
                let mark = OxCreateRecord(method: "POST /\(kind)", items: count)
                do {
                    (status, data) = try await target.request(.POST, kind, body: ByteBuffer(bytes: body)) {
                        try checkpoint.migrationPending(kind: kind, sourceIDs: pending)
                        try checkpoint.oxCreateLeaving(mark)
                    }
                } catch let error as SigportError where error.code == .unreachable {
                    // The answer was lost: the entities may exist. Only --in-doubt resend goes on.
                    guard options.inDoubt == .resend else {
                        throw SigportError(.unreachable, "POST /\(kind) got no answer: its \(count) \(kind)(s) may or may not have been created in org \(target.org.org).",
                                           hint: "Run again with --in-doubt resend to create them again (duplicates if they were created).", cause: error)
                    }
                    try await RetryBackoff.sleep(seconds: RetryBackoff.seconds(afterAttempt: 1))
                    continue
                }
                if status == 200 || status == 201 {
                    struct Answer: Decodable { struct IDs: Decodable { let ids: [String] }; let data: IDs }
                    guard let answer = try? JSONDecoder().decode(Answer.self, from: data), answer.data.ids.count == count else {
                        throw SigportError(.unexpectedResponse, "POST /\(kind) answered without \(count) ids.")
                    }
                    created = (answer.data.ids, mark.id)
                } else if status == 429 || status == 503 {
                    try checkpoint.oxCreateRefused(mark.id)
                    try await RetryBackoff.sleep(seconds: RetryBackoff.seconds(afterAttempt: 1))
                } else if status >= 500, options.inDoubt != .resend {
                    throw SigportError(.unreachable, "POST /\(kind) got HTTP \(status): its \(count) \(kind)(s) may or may not have been created in org \(target.org.org).",
                                       hint: "Run again with --in-doubt resend to create them again (duplicates if they were created).")
                } else if status < 500 {
                    try checkpoint.oxCreateRefused(mark.id)
                    throw SigportError(.rejectedByServer, "POST /\(kind) got HTTP \(status).", hint: String(data: data.prefix(300), encoding: .utf8).map { "Server: \($0)" })
                }
            }
            let pairs = zip(batch, created!.ids).map { ($0.id, $1) }
            let events = kind != "event" ? [] : zip(batch, created!.ids).map { ledgerEvent($0, id: $1, sensorMap: sensorMap, beaconMap: beaconMap) }
            try checkpoint.recordMigrated(kind: kind, pairs: pairs, events: events, answered: created!.mark)
            for (from, to) in pairs { map[from] = to }
            progress(.copying, kind, done: items.count - todo.count + start, total: items.count)
        }
        return map
    }

    /// The ledger row of an event now in the target org: its id there, references through the maps.
    func ledgerEvent(_ item: (id: String, document: [String: Any]), id: String, sensorMap: [String: String], beaconMap: [String: String]) -> OxEventRecord {
        OxEventRecord(id: id, org: target.org.org, sensor: OxInventoryReader.idText(item.document["event_sensor"]).map { sensorMap[$0] ?? $0 } ?? "",
                      beacon: OxInventoryReader.idText(item.document["event_beacon"]).map { beaconMap[$0] ?? $0 },
                      type: item.document["event_type"] as? String ?? "",
                      timestampMs: (item.document["event_timestamp"] as? NSNumber)?.int64Value ?? 0,
                      reading: (item.document["event_reading"] as? NSNumber)?.int64Value ?? 0)
    }

    // MARK: Move

    func move(_ inventory: Inventory) async throws {
        for (kind, items) in [("sensor", inventory.sensors), ("beacon", inventory.beacons), ("event", inventory.events)] {
            let done = try checkpoint.migrated(kind: kind)
            let todo = items.filter { done[$0.id] == nil }
            report.earlierRuns += items.count - todo.count
            var start = 0
            if !items.isEmpty { progress(.moving, kind, done: items.count - todo.count, total: items.count) }
            let entries = todo.map { "\"\($0.id)\":{\"parent_org\":\(target.org.org)}" }
            for body in Self.pack(entries, limit: options.maxRequestBytes, object: true) {
                let count = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?.count ?? 0
                let moved = Array(todo[start..<(start + count)])
                let batch = moved.map(\.id)
                start += count
                try await put(source, kind, body, retryWith: target, ids: batch)
                // Moved events keep their ids: the ledger names them under the target org, so
                // later jobs (export, migrate from there) find them through this run directory.
                let events = kind != "event" ? [] : moved.map { ledgerEvent($0, id: $0.id, sensorMap: [:], beaconMap: [:]) }
                try checkpoint.recordMigrated(kind: kind, pairs: batch.map { ($0, $0) }, events: events)
                progress(.moving, kind, done: items.count - todo.count + start, total: items.count)
            }
        }
        let sensors = inventory.sensors.map(\.id), beacons = inventory.beacons.map(\.id)
        try await updateIdMaps(source, enable: [], [], disable: sensors, beacons)
        try await updateIdMaps(target, enable: sensors, beacons, disable: [], [])
    }

    /// An update-many, retried while the API asks; a 403 after a lost answer means the entities
    /// moved already (the target can read them): done.
    private func put(_ client: OxClient, _ kind: String, _ body: [UInt8], retryWith other: OxClient? = nil, ids: [String] = []) async throws {
        try await RetryBackoff.run("PUT /\(kind)", maxAttempts: 8, gaveUp: "; the migration is saved and resumes where it stopped.",
                                   hint: "Run the same command again once the API answers.") { () -> RetryBackoff.Attempt<Void> in
            try checkpoint.noteRequest()
            report.requests += 1
            let status: Int
            let data: Data
            do {
                (status, data) = try await client.request(.PUT, kind, body: ByteBuffer(bytes: body))
            } catch let error as SigportError where error.code == .unreachable {
                return .retry(reason: "no answer")
            }
            if status == 200 { return .answered(()) }
            if status == 403, let other, !ids.isEmpty, (try? await retrieveAll(other, kind, ids)) == true { return .answered(()) }
            guard status == 429 || status >= 500 else {
                throw SigportError(.rejectedByServer, "PUT /\(kind) got HTTP \(status).", hint: String(data: data.prefix(300), encoding: .utf8).map { "Server: \($0)" })
            }
            return .retry(reason: "HTTP \(status)")
        }
    }

    private func retrieveAll(_ client: OxClient, _ kind: String, _ ids: [String]) async throws -> Bool {
        let (status, _) = try await client.request(.GET, "\(kind)/" + (ids.count == 1 ? ids + ids : ids).joined(separator: ","))
        report.requests += 1
        return status == 200
    }

    /// Reads the org, sets the given ids to now (enable) or 0 (disable), writes the IdMaps back.
    private func updateIdMaps(_ client: OxClient, enable sensors: [String], _ beacons: [String], disable offSensors: [String], _ offBeacons: [String]) async throws {
        guard !(sensors + beacons + offSensors + offBeacons).isEmpty else { return }
        let reader = OxInventoryReader(source: client, fallback: nil)
        let org = try await reader.document(client, "org", client.org.org)
        report.requests += reader.requests
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var changed = false
        /// Ids to enable that the map lacks get `now` (one present with 0 was disabled on purpose
        /// since: left as it is); ids to disable get 0. Nothing to change, nothing is written, so
        /// a finished migration run again changes nothing.
        func merged(_ field: String, on: [String], off: [String]) -> String {
            var map: [String: Int64] = [:]
            for (key, value) in (org[field] as? [String: Any]) ?? [:] { map[key] = (value as? NSNumber)?.int64Value ?? 0 }
            for id in on where map[id] == nil {
                map[id] = now
                changed = true
            }
            for id in off where map[id] != 0 {
                map[id] = 0
                changed = true
            }
            return "{" + map.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
        let sensorMap: String = merged("org_sensors", on: sensors, off: offSensors)
        let beaconMap: String = merged("org_beacons", on: beacons, off: offBeacons)
        guard changed else { return }
        let body = "{" + JSONText.string(client.org.org) + ":{\"org_sensors\":" + sensorMap + ",\"org_beacons\":" + beaconMap + "}}"
        try await put(client, "org", Array(body.utf8))
    }

    // MARK: Verify

    /// Re-reads migrated entities from the target and compares them field by field with the source.
    func verify(_ inventory: Inventory) async throws {
        for (kind, items) in [("sensor", inventory.sensors), ("beacon", inventory.beacons), ("event", inventory.events)] where !items.isEmpty {
            let map = try checkpoint.migrated(kind: kind)
            let sensors = try checkpoint.migrated(kind: "sensor"), beacons = try checkpoint.migrated(kind: "beacon")
            let sample = options.verifySample.map { Array(items.prefix($0)) } ?? items
            let targetIDs = sample.compactMap { map[$0.id] }
            let reader = OxInventoryReader(source: target, fallback: nil)
            let read = try await reader.retrieve(target, kind, targetIDs, ownedBy: nil)
            report.requests += reader.requests
            progress(.verifying, kind, done: read.count, total: sample.count)
            let byID = Dictionary(read.map { ($0.id, $0.document) }, uniquingKeysWith: { a, _ in a })
            for item in sample {
                guard let id = map[item.id], let copy = byID[id] else {
                    report.differences.append("\(kind) \(item.id): not found in org \(target.org.org)")
                    continue
                }
                report.verified += 1
                var fields = Self.copiedFields[kind] ?? []
                if kind == "event" { fields += ["event_sensor", "event_beacon"] }
                for field in fields {
                    var expected = Self.text(item.document[field])
                    if field == "event_sensor" { expected = expected.map { sensors[$0] ?? $0 } }
                    if field == "event_beacon" { expected = expected.map { beacons[$0] ?? $0 } }
                    if expected != Self.text(copy[field]) {
                        report.differences.append("\(kind) \(item.id) → \(id): \(field) is \(Self.text(copy[field]) ?? "absent"), expected \(expected ?? "absent")")
                    }
                }
                if Self.text(copy["parent_org"]) != target.org.org {
                    report.differences.append("\(kind) \(item.id) → \(id): parent_org is \(Self.text(copy["parent_org"]) ?? "absent")")
                }
            }
        }
    }

    static func text(_ value: Any?) -> String? { OxInventoryReader.idText(value) }
}
