import Foundation
import GRDB

/// Wide CSV: one row per timestamp, one column per series (a spreadsheet's layout). Readings
/// arrive in any order (an integration export reads 50 signals per call), so they are spilled
/// to a scratch SQLite table and read back sorted: memory stays bounded whatever the window
/// holds. Two readings of one series at one instant (ox allows it) take two rows with the same
/// timestamp: nothing is dropped to fit the grid.
final class WideCSVSink: ExportSink {
    private struct Cell { let time: Int64; let column: Int; let value: String }

    private let output: ExportOutput
    private let columns: Int
    private var time: ExportTimeFormatter
    private let spillPath: String
    private let spill: DatabaseQueue
    private var pending: [Cell] = []
    private static let batch = 50_000

    init(_ output: ExportOutput, series: [ExportSeries], time: ExportTimeFormatter, spillPath: String) throws {
        self.output = output
        self.columns = series.count
        self.time = time
        self.spillPath = spillPath
        try? FileManager.default.removeItem(atPath: spillPath)
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF") }
        spill = try DatabaseQueue(path: spillPath, configuration: configuration)
        try spill.write { db in try db.execute(sql: "CREATE TABLE cell (time INTEGER NOT NULL, col INTEGER NOT NULL, value TEXT NOT NULL)") }
        LongCSVSink.appendField("timestamp", to: &output.buffer)
        for series in series {
            output.buffer.append(UInt8(ascii: ","))
            LongCSVSink.appendField(series.key, to: &output.buffer)
        }
        output.buffer.append(contentsOf: [13, 10])
    }

    func write(_ record: ExportRecord) throws {
        var text: [UInt8] = []
        record.value.append(to: &text)
        pending.append(Cell(time: record.time, column: record.series, value: String(decoding: text, as: UTF8.self)))
        if pending.count >= Self.batch { try spillPending() }
    }

    private func spillPending() throws {
        let cells = pending
        pending.removeAll(keepingCapacity: true)
        try spill.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO cell (time, col, value) VALUES (?, ?, ?)")
            for cell in cells { try statement.execute(arguments: [cell.time, cell.column, cell.value]) }
        }
    }

    func finish() throws -> (bytes: Int64, sha256: String) {
        try spillPending()
        try spill.read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT time, col, value FROM cell ORDER BY time, col, rowid")
            var row = [String?](repeating: nil, count: columns)
            var rowTime: Int64?
            while let cell = try cursor.next() {
                let (t, column, value): (Int64, Int, String) = (cell[0], cell[1], cell[2])
                if t != rowTime || row[column] != nil {
                    if let rowTime { try emit(rowTime, &row) }
                    rowTime = t
                }
                row[column] = value
            }
            if let rowTime { try emit(rowTime, &row) }
        }
        try spill.close()
        try? FileManager.default.removeItem(atPath: spillPath)
        return try output.finish()
    }

    private func emit(_ t: Int64, _ row: inout [String?]) throws {
        time.append(t, to: &output.buffer)
        for i in row.indices {
            output.buffer.append(UInt8(ascii: ","))
            if let value = row[i] { output.buffer.append(contentsOf: value.utf8) }
            row[i] = nil
        }
        output.buffer.append(contentsOf: [13, 10])
        try output.flushIfFull()
    }
}
