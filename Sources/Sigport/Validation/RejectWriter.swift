import Foundation

/// Writes rejected rows where a person can fix and re-feed them: `rejects.jsonl` (one line per
/// rejected row: file, line, column, value, rule, message, raw row) and, per input file, the
/// rejected rows in the input's own format (`rejects/<file>`, with the CSV header).
public final class RejectWriter {
    public let directory: URL
    private var log: FileHandle?
    private var files: [String: FileHandle] = [:]
    /// Reject file names taken, so inputs with the same base name (`a/x.csv`, `b/x.csv`) do not share one.
    private var names: Set<String> = []
    private let encoder: JSONEncoder

    public init(directory: URL) {
        self.directory = directory
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit {
        try? log?.close()
        for handle in files.values { try? handle.close() }
    }

    public var logURL: URL { directory.appendingPathComponent("rejects.jsonl") }

    struct Line: Encodable {
        let file: String
        let line: Int
        let column: String?
        let value: String?
        let rule: String
        let message: String
        let raw: String
    }

    /// - Parameter header: for CSV inputs, the header line to start the file's reject file with.
    public func write(_ rejection: Rejection, input: InputFile, header: [UInt8]?) throws {
        let line = Line(file: rejection.location.file, line: rejection.location.line, column: rejection.column, value: rejection.value,
                        rule: rejection.rule, message: rejection.message, raw: String(decoding: rejection.raw, as: UTF8.self))
        var data = try encoder.encode(line)
        data.append(0x0A)
        do {
            try handle(for: logURL, key: "").write(contentsOf: data)
            let key = "file:" + input.path
            let isNew = files[key] == nil
            let rejectFile = try files[key] ?? handle(for: directory.appendingPathComponent("rejects").appendingPathComponent(uniqueName(for: input)), key: key)
            if isNew, let header { try rejectFile.write(contentsOf: header + [0x0A]) }
            try rejectFile.write(contentsOf: rejection.raw + [0x0A])
        } catch let error as SigportError {
            throw error
        } catch {
            throw Self.unwritable(directory, cause: error)
        }
    }

    /// A reject file that cannot be created or written is the run directory's problem (exit 7),
    /// as for its checkpoint. An import keeps its rejects in the checkpoint, so its rerun writes them.
    static func unwritable(_ url: URL, cause: (any Error)? = nil) -> SigportError {
        SigportError(.storage, "\(url.path) cannot be written: the disk is full or the run directory is read-only.",
                     hint: "Free space or make the run directory writable, then run the same command again.", cause: cause)
    }

    /// `x.csv`, then `x-2.csv`, `x-3.csv` for further inputs called `x.csv`.
    private func uniqueName(for input: InputFile) -> String {
        let name = input.isStandardInput ? "stdin" : input.baseName
        var candidate = name
        var n = 1
        while names.contains(candidate) {
            n += 1
            let ext = (name as NSString).pathExtension
            let stem = (name as NSString).deletingPathExtension
            candidate = ext.isEmpty ? "\(stem)-\(n)" : "\(stem)-\(n).\(ext)"
        }
        names.insert(candidate)
        return candidate
    }

    private func handle(for url: URL, key: String) throws -> FileHandle {
        if key.isEmpty, let log { return log }
        if let existing = files[key] { return existing }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: url.path) else { throw Self.unwritable(url) }
        if key.isEmpty { log = handle } else { files[key] = handle }
        return handle
    }
}

/// `--max-rejects N` or `N%`: past it the run stops (exit code 3), overall and per file.
public struct RejectLimit: Sendable, Equatable, CustomStringConvertible {
    public var count: Int?
    public var percent: Double?

    public init?(_ text: String) {
        if text.hasSuffix("%") {
            guard let p = Double(text.dropLast()), p >= 0, p <= 100 else { return nil }
            percent = p
        } else {
            guard let n = Int(text), n >= 0 else { return nil }
            count = n
        }
    }

    public var description: String { count.map(String.init) ?? "\(percent!)%" }

    /// Whether `rejected` of `read` rows is past the limit. A percentage is judged once at least
    /// 100 rows were read (or at the end), so one bad first row does not stop a run.
    public func exceeded(rejected: Int, read: Int, final: Bool) -> Bool {
        if let count { return rejected > count }
        guard let percent, read > 0, final || read >= 100 else { return false }
        return Double(rejected) * 100 / Double(read) > percent
    }
}
