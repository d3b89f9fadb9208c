import Crypto
import Foundation
import GRDB

extension Checkpoint {
    /// What identifies an input's content: size, modification time and a hash of its first and
    /// last MiB (hashing a whole 2 GB file would cost seconds on every resume).
    public struct Fingerprint: Sendable, Equatable {
        public var size: Int64
        public var modifiedAt: Date
        public var hash: String

        public static func of(_ input: InputFile) throws -> Fingerprint {
            guard !input.isStandardInput else {
                throw SigportError(.invalidArgument, "An import cannot read standard input.",
                                   hint: "Save it to a file first: a resumable run must be able to read its input again.")
            }
            // Asked of the path before it is opened: opening a FIFO waits for a writer, and reading
            // one to fingerprint it would take the rows the import then never sees.
            var info = stat()
            if stat(input.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                let kind = info.st_mode & S_IFMT == S_IFIFO ? "a pipe (FIFO)" : info.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
                throw SigportError(.invalidArgument, "\(input.path) is \(kind): an import reads its inputs again to resume after a kill, and a stream cannot be read twice.",
                                   hint: "Save the stream to a file first (validate and plan read pipes and standard input as they are).")
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: input.path)
            let size = Int64((attributes[.size] as? NSNumber)?.int64Value ?? 0)
            let modified = (attributes[.modificationDate] as? Date) ?? .distantPast
            guard let handle = FileHandle(forReadingAtPath: input.path) else {
                throw SigportError(.invalidArgument, "Cannot open \(input.path).")
            }
            defer { try? handle.close() }
            var hasher = SHA256()
            hasher.update(data: withUnsafeBytes(of: size.littleEndian) { Data($0) })
            hasher.update(data: try handle.read(upToCount: 1 << 20) ?? Data())
            if size > 2 << 20 {
                try handle.seek(toOffset: UInt64(size - (1 << 20)))
                hasher.update(data: try handle.read(upToCount: 1 << 20) ?? Data())
            }
            return Fingerprint(size: size, modifiedAt: modified, hash: hasher.finalize().map { String(format: "%02x", $0) }.joined())
        }
    }

    public static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Starts a run or resumes one. Refuses, saying what changed, when the mapping or an input is
    /// not what the run started with: resuming then would mix two different loads.
    public func begin(mappingText: String, target: String, inputs: [(InputFile, Fingerprint)]) throws -> (resumed: Bool, inputs: [InputRecord]) {
        let hash = Self.hash(mappingText)
        try checkIntegrity()
        return try write { db in
            if let run = try RunRecord.fetchOne(db) {
                guard run.mappingHash == hash else {
                    throw SigportError(.invalidArgument, "The mapping file changed since this run started.",
                                       hint: "Resume with the mapping it started with, or start afresh with another --run-dir.")
                }
                let known = try InputRecord.order(Column("position")).fetchAll(db)
                guard known.map(\.path) == inputs.map(\.0.path) else {
                    throw SigportError(.invalidArgument, "The inputs are not the ones this run started with (\(known.map(\.path).joined(separator: ", "))).",
                                       hint: "Resume with the same inputs, or start afresh with another --run-dir.")
                }
                for (record, (input, print)) in zip(known, inputs) {
                    if record.size != print.size || record.fingerprint != print.hash {
                        let how = print.size > record.size ? "grew from \(record.size) to \(print.size) bytes" : print.size < record.size ? "shrank from \(record.size) to \(print.size) bytes" : "has other content"
                        throw SigportError(.invalidArgument, "\(input.path) \(how) since this run started.",
                                           hint: "Restore the file to resume, or load the new content as a new run with another --run-dir (integration inserts overwrite, so re-sending is safe; ox events already created would be created again).")
                    }
                }
                return (true, known)
            }
            try RunRecord(mappingHash: hash, target: target, startedAt: Date()).insert(db)
            var records: [InputRecord] = []
            for (position, (input, print)) in inputs.enumerated() {
                let record = InputRecord(path: input.path, position: position, size: print.size, modifiedAt: print.modifiedAt, fingerprint: print.hash)
                try record.insert(db)
                records.append(record)
            }
            return (false, records)
        }
    }

    /// `begin` for a mapping and its inputs, fingerprinting each input; a resume then checks
    /// that the bytes earlier sessions read are unchanged (`checkContent`).
    public func begin(mapping: Mapping, inputs: [InputFile]) throws -> (resumed: Bool, inputs: [InputRecord]) {
        let begun = try begin(mappingText: mapping.text, target: mapping.target.rawValue, inputs: inputs.map { ($0, try Fingerprint.of($0)) })
        if begun.resumed { try checkContent(of: inputs) }
        return begun
    }

    /// Each input's counts over every session of the run, their sum, and the rejects by rule.
    public func totals() throws -> (files: [MappingRun.FileReport], total: MappingRun.Counts) {
        // Counted by SQLite: a run with millions of rejects does not load them to count them.
        let byRule = try read { db in
            try Row.fetchAll(db, sql: "SELECT input, rule, COUNT(*) FROM reject GROUP BY input, rule").reduce(into: [String: [String: Int]]()) {
                $0[$1[0] as String, default: [:]][$1[1] as String] = $1[2] as Int
            }
        }
        let files = try inputs().map {
            MappingRun.FileReport(file: $0.path, counts: .init(read: $0.rowsDone, mapped: $0.mapped, rejected: $0.rejected, filtered: $0.filtered, blankLines: $0.blankLines, values: $0.values, unmapped: $0.unmapped, duplicates: $0.duplicates,
                                                              rejectsByRule: byRule[$0.path] ?? [:]))
        }
        var total = MappingRun.Counts()
        for file in files { total.add(file.counts) }
        return (files, total)
    }

    public func lastRequestAt() throws -> Date? { try read { try RunRecord.fetchOne($0)?.lastRequestAt } }

    public func noteRequest(at date: Date = Date()) throws {
        try write { try $0.execute(sql: "UPDATE run SET lastRequestAt = ?", arguments: [date]) }
    }

    /// Records a request about to leave, so a crash before its answer leaves it `sent`.
    public func chunkSent(input: String, method: String, rows: Range<Int>, bytes: Int) throws -> Int64 {
        try write { db in
            var chunk = ChunkRecord(input: input, method: method, state: .sent, firstRow: rows.lowerBound, endRow: rows.upperBound, bytes: bytes)
            try chunk.insert(db)
            return chunk.id!
        }
    }

    public struct Progress: Sendable {
        public var rowsDone: Int
        /// The last point at or before `rowsDone` where a reader can continue.
        public var resume: ResumePoint?
        public var mapped = 0
        public var rejected = 0
        public var filtered = 0
        public var values = 0
        public var unmapped = 0
        public var duplicates = 0
        /// Blank lines before the resume point, or in the whole input once it is finished (not
        /// added up: each close knows the count from the input's start).
        public var blankLines = 0
        public var finished = false
        /// The stretches of the input this session read so far (`ContentRun`).
        public var read: [ContentRun] = []
    }

    /// The part of a request's rows that came from one input, and what it did to the input's progress.
    public struct ChunkSpan: Sendable {
        public var input: String
        public var firstRow: Int
        public var progress: Progress
    }

    /// In one transaction: the request acknowledged (if any), the progress of the inputs its
    /// rows came from, the rows rejected among them and the signal ids the server returned.
    /// `blocks`: the blocks of duplicate times closed among the rows, with their inputs' paths;
    /// `series`: what the request gave each signal, and how many of those values replaced earlier ones.
    func acknowledge(chunk: Int64?, spans: [Checkpoint.ChunkSpan], rejects: [RejectRecord], signals: [SignalIDRecord],
                     blocks: [(ClosedBlock, input: String)] = [], series: [String: SeriesDigest] = [:], replaced: [String: Int] = [:]) throws {
        try acknowledge(chunk: chunk, spans: spans, rejects: rejects) { db in
            for signal in signals { try signal.save(db) }
            for (block, input) in blocks { try Self.insert(block, input: input, db) }
            try Self.insert(series: series, replaced: replaced, chunk: chunk, db)
        }
    }

    /// The transaction every acknowledgement shares; `results` records what the server returned.
    func acknowledge(chunk: Int64?, spans: [Checkpoint.ChunkSpan], rejects: [RejectRecord],
                     results: @Sendable (Database) throws -> Void) throws {
        try write { db in
            if let chunk { try db.execute(sql: "UPDATE chunk SET state = 'acknowledged' WHERE id = ?", arguments: [chunk]) }
            for span in spans {
                let progress = span.progress
                let resume = progress.resume
                try db.execute(sql: """
                    UPDATE input SET rowsDone = ?, byteOffsetDone = ?, resumeRow = ?, resumeLine = ?, resumeAfterCR = ?, blankLines = ?,
                      mapped = mapped + ?, rejected = rejected + ?, filtered = filtered + ?, "values" = "values" + ?, unmapped = unmapped + ?, duplicates = duplicates + ?, finished = ?
                    WHERE path = ?
                    """, arguments: [progress.rowsDone, resume?.position.offset ?? 0, resume?.row ?? 0, resume?.position.line ?? 1,
                                     resume?.position.afterCR ?? false, progress.blankLines, progress.mapped, progress.rejected, progress.filtered,
                                     progress.values, progress.unmapped, progress.duplicates, progress.finished, span.input])
                for run in progress.read { try InputReadRecord(input: span.input, run).save(db) }
            }
            for reject in rejects { try reject.insert(db, onConflict: .ignore) }
            try results(db)
        }
    }

    public func signalIDs() throws -> [String: SignalIDRecord] {
        try read { db in Dictionary(uniqueKeysWithValues: try SignalIDRecord.fetchAll(db).map { ($0.inputID, $0) }) }
    }

    public func saveSignals(_ records: [SignalIDRecord]) throws {
        try write { db in for record in records { try record.save(db) } }
    }

    public func inputs() throws -> [InputRecord] { try read { try InputRecord.order(Column("position")).fetchAll($0) } }

    public func rejects() throws -> [RejectRecord] { try read { try RejectRecord.order(Column("input"), Column("line")).fetchAll($0) } }

    public struct ChunkCounts: Sendable, Codable {
        public var byState: [String: Int]
        public var bytes: Int
    }

    public func chunkCounts() throws -> ChunkCounts {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n, SUM(bytes) AS b FROM chunk GROUP BY state")
            return ChunkCounts(byState: Dictionary(uniqueKeysWithValues: rows.map { ($0["state"] as String, $0["n"] as Int) }),
                               bytes: rows.reduce(0) { $0 + (($1["b"] as Int?) ?? 0) })
        }
    }
}
