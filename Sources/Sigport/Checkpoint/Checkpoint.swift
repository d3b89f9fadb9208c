import Foundation
import GRDB

/// The resumable record of an import: what was started with what, how far each input got, each
/// request's state, the ids the server gave, and the rows rejected so far. SQLite through GRDB
/// in WAL mode, one file per run directory; all access goes through this one `Sendable` type.
///
/// Invariant that makes a resume exact: a request is marked acknowledged in the same transaction
/// that advances its input's progress and records its rejects, so after a crash the checkpoint
/// says either "this range was done" or "this range was not", never half.
public final class Checkpoint: Sendable {
    let queue: DatabaseQueue
    public let path: String
    /// The file opened (device and inode): a checkpoint deleted or replaced during the run is
    /// noticed at the next write instead of recording into a file nobody will read.
    private let identity: RunStore.FileIdentity?

    public init(directory: URL) throws {
        try RunStore.makeDirectory(directory)
        path = directory.appendingPathComponent("checkpoint.sqlite").path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw RunStore.failure(path, error)
        }
        identity = RunStore.FileIdentity(path)
    }

    /// A checkpoint in memory, gone when the run ends: a dry run's, which leaves no file behind.
    public init(inMemory: Void) throws {
        path = ":memory:"
        queue = try DatabaseQueue()
        try Self.migrator.migrate(queue)
        identity = nil
    }

    /// SQLite's full check of every page, table and index, before a run begins or resumes: a
    /// damaged index page can read as a row that is not there (a request never acknowledged, a
    /// reject never kept) without any error. Its cost grows with the checkpoint's size
    /// (docs/performance.md).
    func checkIntegrity() throws {
        let problems = try read { try String.fetchAll($0, sql: "PRAGMA integrity_check(5)") }
        guard problems != ["ok"] else { return }
        throw SigportError(.storage, "\(path) is damaged (SQLite's integrity check: \(problems.joined(separator: "; "))).", hint: RunStore.damagedHint)
    }

    /// A write transaction, its SQLite failures told as what the user can do (`RunStore`).
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        guard RunStore.FileIdentity(path) == identity else {
            throw SigportError(.storage, "\(path) was deleted or replaced while this run was going on; nothing more can be recorded.",
                               hint: "Keep other programs out of the run directory. Run the same command again: without its checkpoint it starts over, which sends nothing twice to the integration API (inserts are idempotent) but may create ox events again (see --in-doubt).")
        }
        return try RunStore.guarded(path) { try queue.write(updates) }
    }

    func read<T>(_ value: (Database) throws -> T) throws -> T {
        try RunStore.guarded(path) { try queue.read(value) }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("mappingHash", .text).notNull()
                t.column("target", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                /// When the last request left: a resumed run keeps the pace.
                t.column("lastRequestAt", .datetime)
            }
            try db.create(table: "input") { t in
                t.primaryKey("path", .text)
                t.column("position", .integer).notNull().unique()
                t.column("size", .integer).notNull()
                t.column("modifiedAt", .datetime).notNull()
                t.column("fingerprint", .text).notNull()
                /// Rows of this input whose fate is recorded (sent and acknowledged, rejected or filtered).
                t.column("rowsDone", .integer).notNull().defaults(to: 0).check { $0 >= 0 }
                t.column("byteOffsetDone", .integer).notNull().defaults(to: 0)
                t.column("mapped", .integer).notNull().defaults(to: 0)
                t.column("rejected", .integer).notNull().defaults(to: 0)
                t.column("filtered", .integer).notNull().defaults(to: 0)
                t.column("values", .integer).notNull().defaults(to: 0)
                t.column("finished", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "chunk") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("input", .text).notNull().references("input", onDelete: .cascade)
                t.column("method", .text).notNull()
                t.column("state", .text).notNull().check { ["built", "sent", "acknowledged", "inDoubt"].contains($0) }
                t.column("firstRow", .integer).notNull()
                t.column("endRow", .integer).notNull()
                t.column("bytes", .integer).notNull().check { $0 >= 0 }
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.check(sql: "endRow >= firstRow")
            }
            try db.create(table: "signalID") { t in
                t.primaryKey("inputID", .text)
                t.column("signalID", .text).notNull()
                /// The save view last sent, so a resumed run saves only what changed.
                t.column("saveView", .text).notNull()
            }
            try db.create(table: "reject") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("input", .text).notNull()
                t.column("line", .integer).notNull()
                t.column("column", .text)
                t.column("value", .text)
                t.column("rule", .text).notNull()
                t.column("message", .text).notNull()
                t.column("raw", .blob).notNull()
                t.uniqueKey(["input", "line"])
            }
        }
        migrator.registerMigration("v2-ox") { db in
            /// ox sensors and beacons sigport created: the rendered fields (canonical JSON) → id.
            try db.create(table: "oxEntity") { t in
                t.column("kind", .text).notNull().check { ["sensor", "beacon"].contains($0) }
                t.column("key", .text).notNull()
                t.column("id", .text).notNull()
                t.primaryKey(["kind", "key"])
            }
            /// Every ox event sigport created, by the id the API returned (ox has no list endpoint).
            try db.create(table: "oxEvent") { t in
                t.primaryKey("id", .text)
                t.column("org", .text).notNull()
                t.column("sensor", .text).notNull()
                t.column("beacon", .text)
                t.column("type", .text).notNull()
                t.column("timestampMs", .integer).notNull()
                t.column("reading", .integer).notNull()
            }
            /// How many ox events a chunk holds (to report those in doubt).
            try db.alter(table: "chunk") { t in t.add(column: "events", .integer) }
        }
        migrator.registerMigration("v3-resume-point") { db in
            /// Where reading can continue without parsing the done rows again: the row count and
            /// line at `byteOffsetDone` (which from now on is that point, not the last row's start).
            try db.alter(table: "input") { t in
                t.add(column: "resumeRow", .integer).notNull().defaults(to: 0).check { $0 >= 0 }
                t.add(column: "resumeLine", .integer).notNull().defaults(to: 1)
                t.add(column: "resumeAfterCR", .boolean).notNull().defaults(to: false)
            }
            try db.execute(sql: "UPDATE input SET byteOffsetDone = 0")
        }
        migrator.registerMigration("v4-migrate") { db in
            /// What `migrate` created or moved: source id → target id (a move keeps the id).
            try db.create(table: "migrated") { t in
                t.column("kind", .text).notNull().check { ["sensor", "beacon", "event"].contains($0) }
                t.column("sourceID", .text).notNull()
                t.column("targetID", .text).notNull()
                t.primaryKey(["kind", "sourceID"])
            }
        }
        migrator.registerMigration("v5-migrate-pending") { db in
            /// Creates of a migration sent and not yet answered: after a kill, they are in doubt.
            try db.create(table: "migratePending") { t in
                t.column("kind", .text).notNull()
                t.column("sourceID", .text).notNull()
                t.primaryKey(["kind", "sourceID"])
            }
        }
        migrator.registerMigration("v6-blank-lines") { db in
            /// Blank lines an input held up to its resume point (all of them once finished): they
            /// are no rows, and a report counts them; a resumed reader goes on from the count.
            try db.alter(table: "input") { t in t.add(column: "blankLines", .integer).notNull().defaults(to: 0).check { $0 >= 0 } }
        }
        migrator.registerMigration("v7-unmapped") { db in
            /// Array elements of sent rows that no part of the mapping read.
            try db.alter(table: "input") { t in t.add(column: "unmapped", .integer).notNull().defaults(to: 0).check { $0 >= 0 } }
        }
        migrator.registerMigration("v8-duplicate-times") { db in
            /// Values of sent rows at a (signal, time) the run already had (keep-first, keep-last).
            try db.alter(table: "input") { t in t.add(column: "duplicates", .integer).notNull().defaults(to: 0).check { $0 >= 0 } }
            /// Blocks of acknowledged rows and, per signal, the time range of their values: a
            /// resumed run finds repeats of values sent before (`DuplicateTimes`).
            try db.create(table: "timeBlock") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("input", .text).notNull().references("input", onDelete: .cascade)
                t.column("firstRow", .integer).notNull().check { $0 >= 0 }
                t.column("endRow", .integer).notNull()
                /// Where reading the rows again starts (startRow 0: the input's beginning).
                t.column("startRow", .integer).notNull().check { $0 >= 0 }
                t.column("startOffset", .integer).notNull()
                t.column("startLine", .integer).notNull()
                t.column("startAfterCR", .boolean).notNull()
                t.column("startBlankLines", .integer).notNull()
                /// Rows not sent (rejected as duplicates): `first-end` ranges, comma-separated.
                t.column("excluded", .text).notNull()
                t.check(sql: "endRow >= firstRow AND startRow <= firstRow")
            }
            try db.create(table: "timeRange") { t in
                t.column("block", .integer).notNull().references("timeBlock", onDelete: .cascade)
                t.column("signal", .text).notNull()
                t.column("low", .integer).notNull()
                t.column("high", .integer).notNull()
                t.primaryKey(["block", "signal"])
                t.check(sql: "low <= high")
            }
        }
        migrator.registerMigration("v9-verify") { db in
            /// Per answered insert and signal, what the API was given (`SeriesDigest`), and how
            /// many of those values replaced one the run sent before (`duplicates: keep-last`):
            /// what `sigport verify` compares the API with. `chunk` is null for a migration's
            /// inserts, which are not chunks of inputs.
            try db.create(table: "sentSeries") { t in
                t.autoIncrementedPrimaryKey("id")
                // Indexed: verify asks which answered chunks have no series, and a chunk's delete cascades here.
                t.column("chunk", .integer).indexed().references("chunk", onDelete: .cascade)
                t.column("signal", .text).notNull()
                t.column("count", .integer).notNull().check { $0 > 0 }
                t.column("first", .integer).notNull()
                t.column("last", .integer).notNull()
                t.column("checksum", .integer).notNull()
                t.column("replaced", .integer).notNull().defaults(to: 0).check { $0 >= 0 }
                t.check(sql: "first <= last")
            }
            /// A verification under way: what it compares (`parameters`), its steps (windows of
            /// time, or batches of events) and how many are done; a killed verify goes on after
            /// the last step done.
            try db.create(table: "verifyRun") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("parameters", .text).notNull()
                t.column("steps", .integer).notNull().check { $0 >= 0 }
                t.column("stepsDone", .integer).notNull().defaults(to: 0)
                t.column("finished", .boolean).notNull().defaults(to: false)
                t.check(sql: "stepsDone <= steps")
            }
            /// Per series, what the steps done found.
            try db.create(table: "verifyFound") { t in
                t.primaryKey("series", .text)
                t.column("count", .integer).notNull().check { $0 >= 0 }
                t.column("first", .integer).notNull()
                t.column("last", .integer).notNull()
                t.column("checksum", .integer).notNull()
                /// ox: events found whose fields differ from the ledger's copy.
                t.column("changed", .integer).notNull().defaults(to: 0).check { $0 >= 0 }
            }
        }
        migrator.registerMigration("v10-ox-creates") { db in
            /// Every ox create request (`POST /event`, `/sensor`, `/beacon`), written as it
            /// leaves and marked answered in the transaction that records what it created (or
            /// when the API refused it before any work). One left unanswered — a lost answer, a
            /// 500, a kill — may have created its items without the ledger naming them: the org
            /// holds at most the ledger plus the items of the unanswered ones (`OxCreateRecord`).
            try db.create(table: "oxCreate") { t in
                t.primaryKey("id", .text)
                t.column("method", .text).notNull().check { ["POST /event", "POST /sensor", "POST /beacon"].contains($0) }
                t.column("items", .integer).notNull().check { $0 > 0 }
                t.column("answered", .boolean).notNull().defaults(to: false)
            }
        }
        migrator.registerMigration("v11-input-read") { db in
            /// What the import read of each input, stretch by stretch (`ContentRun`: the CRC-32 of
            /// each 4 MiB block): a resume reads those bytes again and refuses if they changed.
            try db.create(table: "inputRead") { t in
                t.column("input", .text).notNull().references("input", onDelete: .cascade)
                t.column("start", .integer).notNull().check { $0 >= 0 }
                t.column("length", .integer).notNull().check { $0 > 0 }
                /// The blocks' CRC-32s, 4 bytes each (little-endian).
                t.column("crcs", .blob).notNull()
                t.primaryKey(["input", "start"])
                t.check(sql: "length(crcs) = 4 * ((length + \(ContentRun.blockSize - 1)) / \(ContentRun.blockSize))")
            }
        }
        return migrator
    }
}

public struct RunRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run"
    public var id = 1
    public var mappingHash: String
    public var target: String
    public var startedAt: Date
    public var lastRequestAt: Date?
}

public struct InputRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "input"
    public var path: String
    public var position: Int
    public var size: Int64
    public var modifiedAt: Date
    public var fingerprint: String
    public var rowsDone: Int = 0
    public var byteOffsetDone: Int64 = 0
    public var mapped = 0
    public var rejected = 0
    public var filtered = 0
    public var values = 0
    public var finished = false
    public var resumeRow = 0
    public var resumeLine = 1
    public var resumeAfterCR = false
    public var blankLines = 0
    public var unmapped = 0
    public var duplicates = 0

    /// Where a resumed run starts reading (nil: from the start).
    public var resumePoint: ResumePoint? {
        resumeRow > 0 ? ResumePoint(row: resumeRow, position: ReadPosition(offset: byteOffsetDone, line: resumeLine, afterCR: resumeAfterCR, blankLines: blankLines)) : nil
    }
}

/// A row count and the reading position right after that many rows of an input.
public struct ResumePoint: Sendable, Hashable {
    public var row: Int
    public var position: ReadPosition
}

public struct ChunkRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "chunk"
    public enum State: String, Codable, Sendable { case built, sent, acknowledged, inDoubt }
    public var id: Int64?
    public var input: String
    public var method: String
    public var state: State
    public var firstRow: Int
    public var endRow: Int
    public var bytes: Int
    public var attempts = 0

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct SignalIDRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "signalID"
    public var inputID: String
    public var signalID: String
    public var saveView: String
}

public struct RejectRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "reject"
    public var input: String
    public var line: Int
    public var column: String?
    public var value: String?
    public var rule: String
    public var message: String
    public var raw: Data

    public init(input: String, line: Int, column: String?, value: String?, rule: String, message: String, raw: Data) {
        (self.input, self.line, self.column, self.value, self.rule, self.message, self.raw) = (input, line, column, value, rule, message, raw)
    }

    /// Read back byte for byte: GRDB reads a text column as a C string, which ends at a NUL.
    public init(row: Row) throws {
        func text(_ column: String) -> String? {
            switch (row[column] as DatabaseValue).storage {
            case .blob(let data): String(decoding: data, as: UTF8.self)
            case .string(let string): string
            default: nil
            }
        }
        (input, line, column, value, rule, message, raw) = (row["input"], row["line"], text("column"), text("value"), row["rule"], text("message") ?? "", row["raw"])
    }

    /// The texts that come from the input as UTF-8 blobs when they hold a NUL: GRDB binds a
    /// string as a C string, which ends at the first NUL, and the reject file is written from
    /// here (`init(row:)` reads them back whole).
    public func encode(to container: inout PersistenceContainer) {
        func text(_ string: String?) -> (any DatabaseValueConvertible)? {
            guard let string else { return nil }
            return string.utf8.contains(0) ? Data(string.utf8) : string
        }
        container["input"] = input
        container["line"] = line
        container["column"] = text(column)
        container["value"] = text(value)
        container["rule"] = rule
        container["message"] = text(message)
        container["raw"] = raw
    }
}
