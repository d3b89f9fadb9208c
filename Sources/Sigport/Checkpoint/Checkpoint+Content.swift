import Foundation
import GRDB

/// A stretch of an input an import read (`ContentRun`), as the checkpoint keeps it.
public struct InputReadRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "inputRead"
    public var input: String
    public var start: Int64
    public var length: Int64
    public var crcs: Data

    init(input: String, _ run: ContentRun) {
        (self.input, start, length) = (input, run.start, run.length)
        crcs = Data(run.crcs.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } })
    }

    var run: ContentRun {
        let crcs = stride(from: 0, to: self.crcs.count, by: 4).map { i in
            self.crcs[self.crcs.startIndex + i..<self.crcs.startIndex + i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        return ContentRun(start: start, length: length, crcs: crcs)
    }
}

extension Checkpoint {
    /// Reads again, without parsing, every byte of the inputs that earlier sessions read, and
    /// refuses the resume (before anything is sent) when one changed: a resume after an edit
    /// would leave the API with old values for the rows before it and new ones after.
    func checkContent(of inputs: [InputFile]) throws {
        let runs = try read { db in Dictionary(grouping: try InputReadRecord.fetchAll(db), by: \.input) }
        for input in inputs {
            guard let recorded = runs[input.path], let changed = try ContentRun.firstDifference(in: input, from: recorded.map(\.run)) else { continue }
            throw SigportError(.invalidArgument, "\(input.path) has other content since this run read it (a change in bytes \(changed.lowerBound)–\(changed.upperBound - 1)).",
                               hint: "Restore the file to resume, or load the new content as a new run with another --run-dir (integration inserts overwrite, so re-sending is safe; ox events already created would be created again).")
        }
    }
}
