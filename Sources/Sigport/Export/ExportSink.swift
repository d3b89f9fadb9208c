import Foundation

/// A file format: takes an export's readings one by one and writes them out.
protocol ExportSink: AnyObject {
    func write(_ record: ExportRecord) throws
    /// Completes the file; its size and SHA-256.
    func finish() throws -> (bytes: Int64, sha256: String)
}

/// Long CSV: one row per reading, RFC 4180 (CRLF line ends; fields with a comma, quote, CR or LF
/// quoted, quotes doubled), UTF-8 without a BOM, a header row.
final class LongCSVSink: ExportSink {
    private let output: ExportOutput
    private let schema: ExportSchema
    private let series: [ExportSeries]
    private var time: ExportTimeFormatter
    /// Per series, its columns' cells as CSV bytes (quoted where needed), made when the series is
    /// first written: they are the same on each of its rows.
    private var seriesCells: [[[UInt8]]?]

    init(_ output: ExportOutput, schema: ExportSchema, series: [ExportSeries], time: ExportTimeFormatter) throws {
        self.output = output
        self.schema = schema
        self.series = series
        self.time = time
        seriesCells = Array(repeating: nil, count: series.count)
        for (i, name) in schema.names.enumerated() {
            if i > 0 { output.buffer.append(UInt8(ascii: ",")) }
            Self.appendField(name, to: &output.buffer)
        }
        output.buffer.append(contentsOf: [13, 10])
    }

    func write(_ record: ExportRecord) throws {
        let series = series[record.series]
        let cells = seriesCells[record.series] ?? cells(of: record.series)
        var first = true
        var nextCell = 0
        for (_, column) in schema.columns {
            if !first { output.buffer.append(UInt8(ascii: ",")) }
            first = false
            switch column {
            case .timestamp: time.append(record.time, to: &output.buffer)
            case .value: record.value.append(to: &output.buffer)
            case .series:
                output.buffer.append(contentsOf: cells[nextCell])
                nextCell += 1
            case .record: if let text = schema.text(column, record, series) { Self.appendField(text, to: &output.buffer) }
            }
        }
        output.buffer.append(contentsOf: [13, 10])
        try output.flushIfFull()
    }

    func finish() throws -> (bytes: Int64, sha256: String) { try output.finish() }

    private func cells(of index: Int) -> [[UInt8]] {
        let record = ExportRecord(time: 0, series: index, value: .integer(0), fields: [])
        let cells = schema.columns.compactMap { _, column -> [UInt8]? in
            guard case .series = column else { return nil }
            var cell: [UInt8] = []
            if let text = schema.text(column, record, series[index]) { Self.appendField(text, to: &cell) }
            return cell
        }
        seriesCells[index] = cells
        return cells
    }

    static func appendField(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(34)
        for byte in utf8 {
            if byte == 34 { out.append(34) }
            out.append(byte)
        }
        out.append(34)
    }
}

/// JSONL: one object per reading, keys as the long CSV's header, `null` where a field is empty,
/// the value a JSON number.
final class JSONLSink: ExportSink {
    private let output: ExportOutput
    private let schema: ExportSchema
    private let series: [ExportSeries]
    private let keys: [[UInt8]]
    private var time: ExportTimeFormatter

    init(_ output: ExportOutput, schema: ExportSchema, series: [ExportSeries], time: ExportTimeFormatter) {
        self.output = output
        self.schema = schema
        self.series = series
        self.time = time
        keys = schema.names.enumerated().map { i, name in Array(((i == 0 ? "{" : ",") + JSONText.string(name) + ":").utf8) }
    }

    func write(_ record: ExportRecord) throws {
        let series = series[record.series]
        for (i, (_, column)) in schema.columns.enumerated() {
            output.buffer.append(contentsOf: keys[i])
            switch column {
            case .timestamp:
                output.buffer.append(34)
                time.append(record.time, to: &output.buffer)
                output.buffer.append(34)
            case .value: record.value.append(to: &output.buffer)
            default:
                if let text = schema.text(column, record, series) { output.buffer.append(contentsOf: JSONText.string(text).utf8) } else {
                    output.buffer.append(contentsOf: "null".utf8)
                }
            }
        }
        output.buffer.append(contentsOf: [125, 10])
        try output.flushIfFull()
    }

    func finish() throws -> (bytes: Int64, sha256: String) { try output.finish() }
}
