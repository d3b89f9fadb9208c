import Foundation
import GRDB

/// All of the emulator's state, behind one `Sendable` type.
///
/// SQLite through GRDB: in memory by default (a scratch peer for tests and demos), or a file
/// (`--db`) so a user can stop and restart the emulator and keep what was uploaded.
final class EmulatorStore: Sendable {
    let queue: DatabaseQueue

    /// Opens (and migrates) the store. `path == nil` keeps everything in memory.
    init(path: String?) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        if let path {
            // The store holds the ox signing key and the integrations' secrets: readable by its
            // owner only, made so before SQLite writes to it (its -wal and -shm files take the
            // database's mode).
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0, fchmod(fd, 0o600) == 0 else {
                if fd >= 0 { close(fd) }
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            close(fd)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
        } else {
            queue = try DatabaseQueue(configuration: configuration)
        }
        try Self.migrator.migrate(queue)
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await queue.read(body)
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await queue.write(body)
    }

    /// The schema, only ever extended by appending migrations.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-integration") { db in
            try db.create(table: "integration") { t in
                t.primaryKey("id", .text).check { length($0) == 20 }
                t.column("name", .text).notNull()
                t.column("passwordHash", .text).notNull()
                t.column("clientID", .text).notNull().unique()
                t.column("clientSecretHash", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "signal") { t in
                t.primaryKey("id", .text).check { length($0) == 20 }
                t.column("integration", .text).notNull().references("integration", onDelete: .cascade)
                t.column("inputID", .text).notNull()
                t.column("document", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["integration", "inputID"])
            }
            try db.create(table: "sample", options: [.withoutRowID]) { t in
                t.column("signalID", .text).notNull().references("signal", onDelete: .cascade)
                t.column("time", .integer).notNull()
                t.column("value", .double).notNull()
                t.primaryKey(["signalID", "time"])
            }
            try db.create(table: "item") { t in
                t.primaryKey("id", .text).check { length($0) == 20 }
                t.column("signalID", .text).notNull().unique().references("signal", onDelete: .cascade)
                t.column("document", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "accessToken") { t in
                t.primaryKey("tokenHash", .text)
                t.column("integration", .text).notNull().references("integration", onDelete: .cascade)
                t.column("expiresAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v1-ox") { db in
            try db.create(table: "oxEntity") { t in
                t.primaryKey("id", .integer).check { $0 >= 1_000_000_000_000_000 && $0 <= 9_999_999_999_999_999 }
                t.column("kind", .text).notNull().check { ["Org", "Client", "Beacon", "Sensor", "Event"].contains($0) }
                t.column("parentOrg", .integer)
                t.column("document", .text).notNull()
                t.column("createdAt", .text).notNull()
                t.column("modifiedAt", .text).notNull()
            }
            try db.create(index: "oxEntity_kind_parentOrg", on: "oxEntity", columns: ["kind", "parentOrg"])
            try db.create(table: "oxClientKey") { t in
                t.primaryKey("clientEntityID", .integer).references("oxEntity", onDelete: .cascade)
                t.column("keyHash", .text).notNull()
            }
            try db.create(table: "setting") { t in
                t.primaryKey("name", .text)
                t.column("value", .blob).notNull()
            }
        }
        // Samples move from a row each to segments of up to 4,096 (`SampleSegments`); a database
        // written by an earlier version keeps its samples.
        migrator.registerMigration("v2-sample-segments") { db in
            try SampleSegments.createTable(db)
            // In primary-key order, a segment's worth at a time: a large database is not read into memory.
            let rows = try Row.fetchCursor(db, sql: "SELECT signalID, time, value FROM sample ORDER BY signalID, time")
            var signalID = "", times: [Int64] = [], values: [Double] = []
            func flush() throws {
                try SampleSegments.append(db, signalID: signalID, times: times, values: values)
                times.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
            }
            while let row = try rows.next() {
                let rowSignal: String = row[0]
                if rowSignal != signalID || times.count == SampleSegments.capacity {
                    try flush()
                    signalID = rowSignal
                }
                times.append(row[1])
                values.append(row[2])
            }
            try flush()
            try db.drop(table: "sample")
        }
        return migrator
    }
}

struct IntegrationRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "integration"
    var id: String
    var name: String
    var passwordHash: String
    var clientID: String
    var clientSecretHash: String
    var createdAt: Date
}

/// A signal: its save-view fields are kept as one JSON document, as the API returns them.
struct SignalRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "signal"
    var id: String
    var integration: String
    var inputID: String
    var document: String
    var createdAt: Date
    var updatedAt: Date
}

struct ItemRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "item"
    var id: String
    var signalID: String
    var document: String
    var createdAt: Date
    var updatedAt: Date
}

struct AccessTokenRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "accessToken"
    var tokenHash: String
    var integration: String
    var expiresAt: Date
}

/// Any ox entity: the document holds its fields as a client sent them (ids as integers).
struct OxEntityRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "oxEntity"
    var id: Int64
    var kind: String
    var parentOrg: Int64?
    var document: String
    var createdAt: String
    var modifiedAt: String
}

/// Only a hash of a client's API key is kept; the key itself is shown once, at creation.
struct OxClientKeyRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "oxClientKey"
    var clientEntityID: Int64
    var keyHash: String
}

struct SettingRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "setting"
    var name: String
    var value: Data
}
