import Foundation

/// A reading's value as its API holds it: ox readings are integers, integration values doubles.
/// Kept apart so an ox reading above 2^53 reaches the file exactly.
public enum ExportValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)

    var double: Double {
        switch self {
        case .integer(let n): Double(n)
        case .real(let x): x
        }
    }

    /// The shortest text that reads back as the same number (`42`, `21.5`, `1e-07`).
    func append(to out: inout [UInt8]) {
        switch self {
        case .integer(let n): out.append(contentsOf: String(n).utf8)
        case .real(let x): out.append(contentsOf: JSONText.number(x).utf8)
        }
    }
}

/// One series of an export (an ox sensor × event type, an integration signal): what a wide file
/// makes a column of and the summary a line of.
public struct ExportSeries: Sendable, Equatable {
    /// The wide file's column name and the summary's key; unique in an export.
    public var key: String
    /// The values of the schema's per-series columns, in the schema's order.
    public var fields: [String?]
    /// The gap its metadata declares (`gapDetection`), in µs; `--gap` stands in where none is.
    public var gap: Int64?
}

/// One reading: when, of which series, its value, and the per-reading columns (ox: the event id
/// and its beacon).
public struct ExportRecord: Sendable {
    public var time: Int64
    public var series: Int
    public var value: ExportValue
    public var fields: [String?]
}

/// The columns of a long file, in order: the timestamp, per-series fields, per-reading fields and
/// the value, each under the name the file shows.
public struct ExportSchema: Sendable {
    public enum Column: Sendable, Equatable {
        case timestamp
        case series(Int)
        case record(Int)
        case value
    }

    public let columns: [(name: String, column: Column)]
    /// The names of the per-series fields (the `series` table of an SQLite export).
    public let seriesFields: [String]

    init(_ columns: [(String, Column)]) {
        self.columns = columns.map { (name: $0.0, column: $0.1) }
        seriesFields = columns.compactMap { if case .series = $0.1 { $0.0 } else { nil } }
    }

    public var names: [String] { columns.map(\.name) }

    /// `ox`: one row per event, in the order an analyst reads it.
    static let ox = ExportSchema([
        ("timestamp", .timestamp), ("org", .series(0)), ("beacon", .record(1)), ("sensor", .series(1)),
        ("sensor_type", .series(2)), ("event_type", .series(3)), ("reading", .value),
        ("event_id", .record(0)), ("sensor_entity_id", .series(4)), ("beacon_entity_id", .record(2)),
    ])

    /// `integration`: one row per value of a signal.
    static let integration = ExportSchema([
        ("timestamp", .timestamp), ("integration", .series(0)), ("input_id", .series(1)), ("name", .series(2)),
        ("value", .value), ("signal_id", .series(3)), ("item_id", .series(4)),
    ])

    /// The text of a non-timestamp column of a record, nil where it has none.
    func text(_ column: Column, _ record: ExportRecord, _ series: ExportSeries) -> String? {
        switch column {
        case .series(let i): series.fields[i]
        case .record(let i): record.fields[i]
        case .timestamp, .value: nil
        }
    }
}
