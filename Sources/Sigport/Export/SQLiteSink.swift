import Foundation
import GRDB

/// An SQLite file an analyst queries directly (`docs/export.md` documents it):
/// - `readings`: the long file's columns, plus `epoch_ms` (integer) and `series` (the key);
///   indexed by (series, epoch_ms) and by epoch_ms;
/// - `series`: one row per series, its key and per-series fields;
/// - `export`: how the file was made (source, range, zone, sigport's version).
/// Written as `<path>.partial` without a journal (a killed export leaves no file that looks
/// finished) and renamed when the indexes are built.
final class SQLiteSink: ExportSink {
    private let path: String
    private let schema: ExportSchema
    private let series: [ExportSeries]
    private var time: ExportTimeFormatter
    private let database: DatabaseQueue
    private var pending: [[DatabaseValue]] = []
    private static let batch = 20_000

    init(path: String, schema: ExportSchema, series: [ExportSeries], time: ExportTimeFormatter,
         valueType: String, about: [(String, String)]) throws {
        self.path = path
        self.schema = schema
        self.series = series
        self.time = time
        for suffix in [".partial", ".partial-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF") }
        database = try DatabaseQueue(path: path + ".partial", configuration: configuration)
        let columns = schema.columns.map { name, column in
            "\(name.quotedDatabaseIdentifier) \(column == .value ? valueType : "TEXT")\(column == .timestamp ? " NOT NULL" : "")"
        }
        let seriesFields = schema.seriesFields
        try database.write { db in
            try db.execute(sql: "CREATE TABLE export (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            for (key, value) in about { try db.execute(sql: "INSERT INTO export (key, value) VALUES (?, ?)", arguments: [key, value]) }
            try db.execute(sql: "CREATE TABLE series (series TEXT PRIMARY KEY, \(seriesFields.map { "\($0.quotedDatabaseIdentifier) TEXT" }.joined(separator: ", ")))")
            let insert = try db.makeStatement(sql: "INSERT INTO series VALUES (?\(String(repeating: ", ?", count: seriesFields.count)))")
            for s in series { try insert.execute(arguments: StatementArguments([s.key] + s.fields)) }
            try db.execute(sql: "CREATE TABLE readings (\(columns.joined(separator: ", ")), epoch_ms INTEGER NOT NULL, series TEXT NOT NULL REFERENCES series)")
        }
    }

    func write(_ record: ExportRecord) throws {
        let series = series[record.series]
        var row: [DatabaseValue] = []
        row.reserveCapacity(schema.columns.count + 2)
        for (_, column) in schema.columns {
            switch column {
            case .timestamp: row.append(time.string(record.time).databaseValue)
            case .value:
                switch record.value {
                case .integer(let n): row.append(n.databaseValue)
                case .real(let x): row.append(x.databaseValue)
                }
            default: row.append(schema.text(column, record, series)?.databaseValue ?? .null)
            }
        }
        row.append(CivilDate.floorDivide(record.time, 1000).databaseValue)
        row.append(series.key.databaseValue)
        pending.append(row)
        if pending.count >= Self.batch { try flush() }
    }

    private func flush() throws {
        let rows = pending
        pending.removeAll(keepingCapacity: true)
        let placeholders = Array(repeating: "?", count: schema.columns.count + 2).joined(separator: ", ")
        try database.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO readings VALUES (\(placeholders))")
            for row in rows { try statement.execute(arguments: StatementArguments(row)) }
        }
    }

    func finish() throws -> (bytes: Int64, sha256: String) {
        try flush()
        try database.write { db in
            try db.execute(sql: "CREATE INDEX readings_series_time ON readings (series, epoch_ms)")
            try db.execute(sql: "CREATE INDEX readings_time ON readings (epoch_ms)")
        }
        try database.close()
        guard rename(path + ".partial", path) == 0 else { throw ExportOutput.failure("rename into place", path) }
        return try ExportOutput.digest(ofFile: path)
    }
}
