import Foundation
import GRDB

/// What one answered insert gave one signal.
struct SentSeriesRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "sentSeries"
    var chunk: Int64?
    var signal: String
    var count: Int
    var first: Int64
    var last: Int64
    var checksum: Int64
    var replaced: Int
}

/// The verification under way (one per run directory).
struct VerifyRunRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "verifyRun"
    var id = 1
    var parameters: String
    var steps: Int
    var stepsDone = 0
    var finished = false
}

/// What a verification's steps done found of one series.
struct VerifyFoundRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "verifyFound"
    var series: String
    var count: Int
    var first: Int64
    var last: Int64
    var checksum: Int64
    var changed: Int
}

/// What a run sent one signal, over all its requests.
public struct SentSeries: Sendable, Equatable {
    public var digest = SeriesDigest()
    /// Values that replaced one sent before (`duplicates: keep-last`).
    public var replaced = 0
}

/// What a verification found of one series so far.
public struct FoundSeries: Sendable, Equatable {
    public var digest = SeriesDigest()
    /// ox: events whose fields differ from what the run created.
    public var changed = 0
}

extension Checkpoint {
    /// Records what an answered insert gave each signal, inside its acknowledgement.
    static func insert(series: [String: SeriesDigest], replaced: [String: Int], chunk: Int64?, _ db: Database) throws {
        for (signal, digest) in series where digest.count > 0 {
            try SentSeriesRecord(chunk: chunk, signal: signal, count: digest.count, first: digest.first, last: digest.last,
                                 checksum: Int64(bitPattern: digest.checksum), replaced: replaced[signal] ?? 0).insert(db)
        }
    }

    /// Per signal, what the run's answered inserts gave it (summed here, not in SQL: the
    /// checksums add with wrapping, which SQLite's SUM refuses as an overflow).
    public func sentSeries() throws -> [String: SentSeries] {
        try read { db in
            var out: [String: SentSeries] = [:]
            let cursor = try SentSeriesRecord.fetchCursor(db)
            while let r = try cursor.next() {
                out[r.signal, default: SentSeries()].digest.merge(SeriesDigest(count: r.count, first: r.first, last: r.last, checksum: UInt64(bitPattern: r.checksum)))
                out[r.signal, default: SentSeries()].replaced += r.replaced
            }
            return out
        }
    }

    /// Answered inserts of a run with nothing recorded of what they gave (every row refused, or
    /// answered by a sigport from before the record was kept).
    func insertsWithoutSeries() throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM chunk WHERE state = 'acknowledged' AND method = 'integration.insert'
                AND NOT EXISTS (SELECT 1 FROM sentSeries WHERE sentSeries.chunk = chunk.id)
                """) ?? 0
        }
    }

    /// The API the run wrote to (`integration` or `ox`); nil before any run began here.
    public func runTarget() throws -> String? {
        try read { try RunRecord.fetchOne($0)?.target }
    }

    /// Where a verification of these `parameters` in `steps` steps stands: the steps done and
    /// what they found, when an unfinished one of the same parameters was under way; otherwise
    /// a new one, from the first step.
    func beginVerify(parameters: String, steps: Int) throws -> (stepsDone: Int, found: [String: FoundSeries]) {
        try write { db in
            if let run = try VerifyRunRecord.fetchOne(db), !run.finished, run.parameters == parameters, run.steps == steps {
                var found: [String: FoundSeries] = [:]
                for r in try VerifyFoundRecord.fetchAll(db) {
                    found[r.series] = FoundSeries(digest: SeriesDigest(count: r.count, first: r.first, last: r.last, checksum: UInt64(bitPattern: r.checksum)),
                                                  changed: r.changed)
                }
                return (run.stepsDone, found)
            }
            try VerifyFoundRecord.deleteAll(db)
            try VerifyRunRecord(parameters: parameters, steps: steps).save(db)
            return (0, [:])
        }
    }

    /// A step done: what it found of the series it read, with the count of steps done, in one transaction.
    func verifyStepDone(_ stepsDone: Int, found: [String: FoundSeries], finished: Bool) throws {
        try write { db in
            for (series, f) in found {
                try VerifyFoundRecord(series: series, count: f.digest.count, first: f.digest.first, last: f.digest.last,
                                      checksum: Int64(bitPattern: f.digest.checksum), changed: f.changed).save(db)
            }
            try db.execute(sql: "UPDATE verifyRun SET stepsDone = ?, finished = ?", arguments: [stepsDone, finished])
        }
    }

    /// The ledger's events of `org` in id order, `limit` from the id `from` on (a step of a
    /// verify): found through the primary key, where an offset would walk the rows before it.
    func oxEvents(org: String, from: String, limit: Int) throws -> [OxEventRecord] {
        try read { try OxEventRecord.filter(Column("org") == org && Column("id") >= from).order(Column("id")).limit(limit).fetchAll($0) }
    }

    /// The orgs of the ledger's events, with how many each.
    func oxEventOrgs() throws -> [String: Int] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT org, COUNT(*) AS n FROM oxEvent GROUP BY org").map { ($0["org"] as String, $0["n"] as Int) })
        }
    }
}
