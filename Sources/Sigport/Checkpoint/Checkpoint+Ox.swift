import Foundation
import GRDB

/// An ox sensor or beacon sigport created: `key` is the canonical JSON of its rendered fields.
public struct OxEntityIDRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oxEntity"
    public var kind: String
    public var key: String
    public var id: String
}

/// One ox event sigport created (the ledger later jobs rely on: ox cannot list an org's events).
public struct OxEventRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oxEvent"
    public var id: String
    public var org: String
    public var sensor: String
    public var beacon: String?
    public var type: String
    public var timestampMs: Int64
    public var reading: Int64
}

/// One ox create request as it left (migration `v10-ox-creates`). The caller picks `id`, so a
/// request the client sends twice (once more with a renewed token after a 401) is one row.
public struct OxCreateRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oxCreate"
    public var id: String
    public var method: String
    public var items: Int
    public var answered = false

    public init(method: String, items: Int) {
        (id, self.method, self.items) = (UUID().uuidString, method, items)
    }
}

/// ox creates of a run (all its sessions) that got no answer, so that may have created what no
/// ledger names: the org holds at most the ledger's events plus `events` of the run, and the
/// sensors and beacons plus `entities`. Sent again (`--in-doubt resend`), each is a possible duplicate.
public struct UnansweredCreates: Codable, Sendable, Equatable {
    public var requests = 0
    public var events = 0
    public var entities = 0
    public init() {}
}

extension Checkpoint {
    /// Records an ox create as it leaves (the client calls this before each send; the second
    /// send of the same request changes nothing).
    public func oxCreateLeaving(_ record: OxCreateRecord) throws {
        try write { try record.insert($0, onConflict: .ignore) }
    }

    /// An ox create answered with a refusal made before any work (429, 503, 4xx): it created nothing.
    public func oxCreateRefused(_ id: String) throws {
        try write { try Self.answered(id, $0) }
    }

    static func answered(_ id: String?, _ db: Database) throws {
        guard let id else { return }
        try db.execute(sql: "UPDATE oxCreate SET answered = 1 WHERE id = ?", arguments: [id])
    }

    public func unansweredOxCreates() throws -> UnansweredCreates {
        try read { db in
            var out = UnansweredCreates()
            for row in try Row.fetchAll(db, sql: "SELECT method = 'POST /event' AS events, COUNT(*) AS n, SUM(items) AS items FROM oxCreate WHERE NOT answered GROUP BY 1") {
                out.requests += row["n"] as Int
                if row["events"] as Bool { out.events = row["items"] } else { out.entities = row["items"] }
            }
            return out
        }
    }

    /// kind → key → id.
    public func oxEntityIDs() throws -> [String: [String: String]] {
        try read { db in
            var out: [String: [String: String]] = [:]
            for record in try OxEntityIDRecord.fetchAll(db) { out[record.kind, default: [:]][record.key] = record.id }
            return out
        }
    }

    /// The sensors or beacons create `answered` made, with its answer.
    public func saveOxEntities(_ records: [OxEntityIDRecord], answered: String) throws {
        try write { db in
            for record in records { try record.save(db) }
            try Self.answered(answered, db)
        }
    }

    public func oxEvents() throws -> [OxEventRecord] { try read { try OxEventRecord.order(Column("timestampMs")).fetchAll($0) } }

    /// The ledger's events of `org` (nil: of every org) in time order (or, `byID`, in id order),
    /// one at a time: a ledger can hold millions.
    public func forEachOxEvent(org: String?, byID: Bool = false, _ body: (OxEventRecord) throws -> Void) throws {
        try read { db in
            let events = org.map { OxEventRecord.filter(Column("org") == $0) } ?? OxEventRecord.all()
            let cursor = try events.order(Column(byID ? "id" : "timestampMs")).fetchCursor(db)
            while let event = try cursor.next() { try body(event) }
        }
    }

    /// Records an ox create about to leave (state `sent`), with the number of events it holds.
    public func oxChunkSent(input: String, method: String, rows: Range<Int>, bytes: Int, events: Int) throws -> Int64 {
        try write { db in
            try db.execute(sql: "INSERT INTO chunk (input, method, state, firstRow, endRow, bytes, events) VALUES (?, ?, 'sent', ?, ?, ?, ?)",
                           arguments: [input, method, rows.lowerBound, rows.upperBound, bytes, events])
            return db.lastInsertedRowID
        }
    }

    /// Sets a chunk's state (and counts an attempt when it is sent again).
    public func setChunk(_ id: Int64, state: ChunkRecord.State, bytes: Int? = nil, events: Int? = nil) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE chunk SET state = ?, attempts = attempts + (CASE WHEN ? = 'sent' THEN 1 ELSE 0 END),
                  bytes = COALESCE(?, bytes), events = COALESCE(?, events) WHERE id = ?
                """, arguments: [state.rawValue, state.rawValue, bytes, events, id])
        }
    }

    /// Requests of an earlier session still `sent`: it ended (killed, crashed) before their
    /// answer, so they may or may not have created their events — in doubt, like a lost answer.
    public func markUnansweredInDoubt() throws {
        try write { try $0.execute(sql: "UPDATE chunk SET state = 'inDoubt' WHERE state = 'sent' AND method = 'POST /event'") }
    }

    /// The in-doubt chunks of an input: (id, firstRow, endRow, events).
    public func inDoubtChunks(input: String) throws -> [(id: Int64, rows: Range<Int>, events: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, firstRow, endRow, events FROM chunk WHERE input = ? AND state = 'inDoubt' ORDER BY firstRow", arguments: [input])
                .map { ($0["id"], ($0["firstRow"] as Int)..<($0["endRow"] as Int), ($0["events"] as Int?) ?? 0) }
        }
    }

    /// In-doubt chunks overall: those left behind (skipped) and those a run must still decide on
    /// (their rows are not done yet).
    public func inDoubtCounts() throws -> (skippedChunks: Int, skippedEvents: Int, openChunks: Int, openEvents: Int) {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT chunk.endRow <= input.rowsDone AS skipped, COUNT(*) AS n, COALESCE(SUM(chunk.events), 0) AS e
                FROM chunk JOIN input ON input.path = chunk.input WHERE chunk.state = 'inDoubt' GROUP BY 1
                """)
            var out = (0, 0, 0, 0)
            for row in rows {
                if row["skipped"] as Bool { out.0 = row["n"]; out.1 = row["e"] } else { out.2 = row["n"]; out.3 = row["e"] }
            }
            return out
        }
    }

    /// In one transaction: the ox events request acknowledged (if any) and its create answered,
    /// the input's progress, the rows rejected in its range and the events created.
    public func acknowledgeOx(chunk: Int64?, answered: String?, spans: [Checkpoint.ChunkSpan], rejects: [RejectRecord], events: [OxEventRecord]) throws {
        try acknowledge(chunk: chunk, spans: spans, rejects: rejects) { db in
            for event in events { try event.insert(db) }
            try Self.answered(answered, db)
        }
    }
}

extension Checkpoint {
    /// Source → target ids of what a migration created or moved (a move maps an id to itself).
    public func migrated(kind: String) throws -> [String: String] {
        try read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT sourceID, targetID FROM migrated WHERE kind = ?", arguments: [kind])
                .map { ($0["sourceID"] as String, $0["targetID"] as String) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// In one transaction: the ids a request created or moved, the events it created (the
    /// ledger), its ox create answered, and what an insert gave each signal (a migration onto
    /// the integration API).
    public func recordMigrated(kind: String, pairs: [(String, String)], events: [OxEventRecord], answered: String? = nil,
                               series: [String: SeriesDigest] = [:]) throws {
        try write { db in
            try Self.answered(answered, db)
            try Self.insert(series: series, replaced: [:], chunk: nil, db)
            for (source, target) in pairs {
                try db.execute(sql: "INSERT OR REPLACE INTO migrated (kind, sourceID, targetID) VALUES (?, ?, ?)", arguments: [kind, source, target])
                try db.execute(sql: "DELETE FROM migratePending WHERE kind = ? AND sourceID = ?", arguments: [kind, source])
            }
            for event in events { try event.insert(db) }
        }
    }
}

extension Checkpoint {
    /// Marks creates about to be sent, so that a kill before their answer leaves them in doubt.
    public func migrationPending(kind: String, sourceIDs: [String]) throws {
        try write { db in
            for id in sourceIDs { try db.execute(sql: "INSERT OR IGNORE INTO migratePending (kind, sourceID) VALUES (?, ?)", arguments: [kind, id]) }
        }
    }

    /// Creates an earlier session sent without an answer, by kind.
    public func migrationsPending() throws -> [String: Int] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM migratePending GROUP BY kind").map { ($0["kind"] as String, $0["n"] as Int) })
        }
    }

    public func clearMigrationsPending() throws { try write { try $0.execute(sql: "DELETE FROM migratePending") } }
}
