import Foundation
import GRDB

/// A block of acknowledged rows of one input, as `DuplicateTimes` reads it again.
struct TimeBlockRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "timeBlock"
    var id: Int64?
    var input: String
    var firstRow: Int
    var endRow: Int
    var startRow: Int
    var startOffset: Int64
    var startLine: Int
    var startAfterCR: Bool
    var startBlankLines: Int
    var excluded: String

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One signal's time range within a block.
struct TimeRangeRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "timeRange"
    var block: Int64
    var signal: String
    var low: Int64
    var high: Int64
}

extension Checkpoint {
    /// Records a block closed among a chunk's rows, in the chunk's acknowledgement.
    static func insert(_ closed: ClosedBlock, input: String, _ db: Database) throws {
        let block = closed.block
        let start = block.start
        var record = TimeBlockRecord(input: input, firstRow: block.firstRow, endRow: block.endRow,
                                     startRow: start?.row ?? 0, startOffset: start?.position.offset ?? 0, startLine: start?.position.line ?? 1,
                                     startAfterCR: start?.position.afterCR ?? false, startBlankLines: start?.position.blankLines ?? 0,
                                     excluded: block.excluded.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ","))
        try record.insert(db)
        for range in closed.ranges {
            try TimeRangeRecord(block: record.id!, signal: range.inputID, low: range.low, high: range.high).insert(db)
        }
    }

    /// The blocks earlier sessions of the run recorded, in the order they were closed, their
    /// inputs given as indices into `inputs`.
    func timeBlocks(inputs: [InputFile]) throws -> [ClosedBlock] {
        let index = Dictionary(inputs.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { first, _ in first })
        return try read { db in
            let ranges = Dictionary(grouping: try TimeRangeRecord.fetchAll(db), by: \.block)
            return try TimeBlockRecord.order(Column("id")).fetchAll(db).compactMap { record -> ClosedBlock? in
                guard let input = index[record.input] else { return nil }
                let start = record.startRow > 0
                    ? ResumePoint(row: record.startRow, position: ReadPosition(offset: record.startOffset, line: record.startLine,
                                                                               afterCR: record.startAfterCR, blankLines: record.startBlankLines))
                    : nil
                let excluded = record.excluded.split(separator: ",").compactMap { part -> Range<Int>? in
                    let bounds = part.split(separator: "-").compactMap { Int($0) }
                    return bounds.count == 2 ? bounds[0]..<bounds[1] : nil
                }
                return ClosedBlock(block: TimeBlock(input: input, start: start, firstRow: record.firstRow, endRow: record.endRow, excluded: excluded),
                                   ranges: (ranges[record.id!] ?? []).map { ClosedBlock.Range(inputID: $0.signal, low: $0.low, high: $0.high) })
            }
        }
    }
}
