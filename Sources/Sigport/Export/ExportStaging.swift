import Foundation
import GRDB

/// An ox event id to read, in the order the ledgers and id file list them, and what reading it
/// found: `pending`, `staged` (kept), `filtered` (outside the selection) or `missing` (not found,
/// or no longer the org's).
struct ExportCandidateRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "candidate"
    var position: Int64
    var id: String
    var state: String
}

/// An ox event as read from the API and kept for writing.
struct StagedEventRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "event"
    var id: String
    var timestampMs: Int64
    var sensor: String?
    var beacon: String?
    var type: String
    var reading: Int64
}

/// A sensor or beacon the staged events name: its user-facing id (`sensor_id`, `beacon_id`)
/// and, for sensors, its type; `found` false when the API no longer has it.
struct StagedEntityRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "entity"
    var kind: String
    var id: String
    var found: Bool
    var label: String?
    var type: String?
}

struct ExportMetaRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "meta"
    var key: String
    var value: String
}

/// The staging store of an ox export (`<run-dir>/export.sqlite`): the events it reads, kept on
/// disk so memory does not grow with the export, sorted by time for the windows, and resumed
/// after a kill without reading an answered batch again. All access goes through this type.
struct ExportStaging: Sendable {
    let queue: DatabaseQueue
    let path: String

    init(directory: URL) throws {
        try RunStore.makeDirectory(directory)
        let path = directory.appendingPathComponent("export.sqlite").path
        self.path = path
        do {
            queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw RunStore.failure(path, error)
        }
    }

    private func write<T>(_ updates: (Database) throws -> T) throws -> T { try RunStore.guarded(path) { try queue.write(updates) } }

    private func read<T>(_ value: (Database) throws -> T) throws -> T { try RunStore.guarded(path) { try queue.read(value) } }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-export") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "candidate") { t in
                t.primaryKey("position", .integer)
                t.column("id", .text).notNull().unique()
                t.column("state", .text).notNull().check { ["pending", "staged", "filtered", "missing"].contains($0) }
            }
            try db.create(index: "candidate_state", on: "candidate", columns: ["state", "position"])
            try db.create(table: "event") { t in
                t.primaryKey("id", .text)
                t.column("timestampMs", .integer).notNull()
                t.column("sensor", .text)
                t.column("beacon", .text)
                t.column("type", .text).notNull()
                t.column("reading", .integer).notNull()
            }
            try db.create(index: "event_time", on: "event", columns: ["timestampMs", "id"])
            try db.create(table: "entity") { t in
                t.column("kind", .text).notNull().check { ["sensor", "beacon"].contains($0) }
                t.column("id", .text).notNull()
                t.column("found", .boolean).notNull()
                t.column("label", .text)
                t.column("type", .text)
                t.primaryKey(["kind", "id"])
            }
        }
        return migrator
    }

    func meta(_ key: String) throws -> String? {
        try read { try ExportMetaRecord.fetchOne($0, key: key)?.value }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try write { try ExportMetaRecord(key: key, value: value).save($0) }
    }

    func clearCandidates() throws {
        try write { db in try db.execute(sql: "DELETE FROM candidate") }
    }

    /// Adds candidates after those listed (an id listed twice is read once).
    func addCandidates(_ ids: [String]) throws {
        try write { db in
            var position = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(position), 0) FROM candidate") ?? 0
            for id in ids {
                position += 1
                try db.execute(sql: "INSERT OR IGNORE INTO candidate (position, id, state) VALUES (?, ?, 'pending')", arguments: [position, id])
            }
        }
    }

    func pendingCandidates(limit: Int) throws -> [String] {
        try read { try String.fetchAll($0, sql: "SELECT id FROM candidate WHERE state = 'pending' ORDER BY position LIMIT ?", arguments: [limit]) }
    }

    /// Records what reading a batch found, in one transaction: the batch is then never read again.
    func record(staged: [StagedEventRecord], filtered: [String], missing: [String]) throws {
        try write { db in
            for event in staged {
                try event.save(db)
                try db.execute(sql: "UPDATE candidate SET state = 'staged' WHERE id = ?", arguments: [event.id])
            }
            for id in filtered { try db.execute(sql: "UPDATE candidate SET state = 'filtered' WHERE id = ?", arguments: [id]) }
            for id in missing { try db.execute(sql: "UPDATE candidate SET state = 'missing' WHERE id = ?", arguments: [id]) }
        }
    }

    func candidateCounts() throws -> [String: Int] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM candidate GROUP BY state").map { ($0[0], $0[1]) })
        }
    }

    /// Entity ids the staged events name that are not read yet.
    func unreadEntities(_ kind: String) throws -> [String] {
        let column = kind == "sensor" ? "sensor" : "beacon"
        return try read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT \(column) FROM event WHERE \(column) IS NOT NULL
                AND \(column) NOT IN (SELECT id FROM entity WHERE kind = ?) ORDER BY \(column)
                """, arguments: [kind])
        }
    }

    func saveEntities(_ records: [StagedEntityRecord]) throws {
        try write { db in for record in records { try record.save(db) } }
    }

    func entities() throws -> [StagedEntityRecord] { try read { try StagedEntityRecord.fetchAll($0) } }

    /// The (sensor, event type) pairs of the staged events, and their time range in ms.
    func seriesAndRange() throws -> (pairs: [(sensor: String?, type: String)], range: (Int64, Int64)?) {
        try read { db in
            let pairs = try Row.fetchAll(db, sql: "SELECT DISTINCT sensor, type FROM event ORDER BY sensor, type").map { (sensor: $0[0] as String?, type: $0[1] as String) }
            let row = try Row.fetchOne(db, sql: "SELECT MIN(timestampMs), MAX(timestampMs) FROM event")
            let range: (Int64, Int64)? = (row?[0] as Int64?).flatMap { low in (row?[1] as Int64?).map { (low, $0) } }
            return (pairs, range)
        }
    }

    /// The staged events in [fromMs, toMs), by time then id.
    func forEachEvent(fromMs: Int64, toMs: Int64, _ body: (StagedEventRecord) throws -> Void) throws {
        try read { db in
            let cursor = try StagedEventRecord.fetchCursor(db, sql: "SELECT * FROM event WHERE timestampMs >= ? AND timestampMs < ? ORDER BY timestampMs, id",
                                                           arguments: [fromMs, toMs])
            while let event = try cursor.next() { try body(event) }
        }
    }
}
