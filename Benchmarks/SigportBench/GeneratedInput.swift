import Foundation

/// One kind of generated input: how its rows look and the mapping that reads them. The mapping is
/// written by the bench, not taken from `Mappings/`, so that editing an example mapping cannot
/// silently change what the committed figures measure.
protocol InputFormat {
    /// The file-name stem: `wide`, `long`, `wearables`.
    var name: String { get }
    var fileExtension: String { get }
    /// What the table calls it: "wide CSV".
    var title: String { get }
    /// The mapping (YAML) that reads the file.
    var mapping: String { get }
    /// Writes the header, if any, and rows until `limit` is reached (whole rows: the last one may
    /// pass a byte limit).
    func write(to writer: ByteWriter, until limit: InputLimit)
}

/// How much of a format to generate. Every file of a format starts with the same rows (the
/// generator is seeded once per format), so a smaller file is a prefix of a larger one by rows.
enum InputLimit {
    case bytes(Int)
    case rows(Int)

    func reached(rows: Int, bytes: Int) -> Bool {
        switch self {
        case .bytes(let limit): bytes >= limit
        case .rows(let limit): rows >= limit
        }
    }

    /// For file names and the table: `100M`, `1G`, `20000rows`.
    var label: String {
        switch self {
        case .rows(let rows): return "\(rows)rows"
        case .bytes(let bytes):
            for (unit, size) in [("G", 1_000_000_000), ("M", 1_000_000), ("K", 1000)] where bytes % size == 0 {
                return "\(bytes / size)\(unit)"
            }
            return "\(bytes)"
        }
    }
}

/// A generated file and its mapping, on disk in the bench's work directory.
struct GeneratedInput {
    /// Bump when a generator's output changes, so stale files in `BENCH_DIR` are not reused.
    static let revision = 2

    let format: any InputFormat
    let path: String
    let mappingPath: String
    let bytes: Int
    /// "wide CSV, 100 MB"
    let title: String

    /// The file for `format` up to `limit` in `directory`, made unless an earlier run left it
    /// (it is written to `.partial` and renamed, so a killed run never leaves half a file behind
    /// to be reused). With `larger`, a bigger file of the same format, a byte limit is met by
    /// copying that file's first rows rather than generating them again: the same bytes (every
    /// file of a format starts with the same rows), at the speed of a copy — generating the
    /// end-to-end input (565 MB then) took 12 s of a fresh clone's bench.
    static func make(_ format: any InputFormat, _ limit: InputLimit, in directory: String,
                     prefixOf larger: GeneratedInput? = nil) throws -> GeneratedInput {
        let folder = directory + "/inputs-r\(revision)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stem = "\(folder)/\(format.name)-\(limit.label)"
        let path = stem + "." + format.fileExtension
        if !FileManager.default.fileExists(atPath: path) {
            if let larger, larger.format.name == format.name, case .bytes(let bytes) = limit, larger.bytes >= bytes {
                say("  copying \(path) from the first rows of \(larger.path) …")
                try copyRows(of: larger.path, reaching: bytes, to: path + ".partial")
            } else {
                say("  generating \(path) …")
                let writer = try ByteWriter(path: path + ".partial")
                format.write(to: writer, until: limit)
                try writer.close()
            }
            guard rename(path + ".partial", path) == 0 else { throw BenchError("cannot rename \(path).partial") }
        }
        let mappingPath = stem + ".yaml"
        try format.mapping.write(toFile: mappingPath, atomically: true, encoding: .utf8)
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return GeneratedInput(format: format, path: path, mappingPath: mappingPath, bytes: bytes,
                              title: "\(format.title), \(Self.describe(bytes: bytes))")
    }

    /// Copies `source` up to the first line end at or past `limit` bytes: what a generator writes
    /// for `.bytes(limit)`, since it checks the limit before each row (the header counts).
    private static func copyRows(of source: String, reaching limit: Int, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw BenchError("cannot read \(source)") }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
              let output = FileHandle(forWritingAtPath: destination) else { throw BenchError("cannot write \(destination)") }
        defer { try? output.close() }
        var copied = 0
        while true {
            guard let chunk = try input.read(upToCount: 1 << 22), !chunk.isEmpty else {
                throw BenchError("\(source) ends before a line end at \(limit) bytes")
            }
            // The last row is the one whose line end is at byte `limit` or later.
            let from = chunk.startIndex + max(0, limit - 1 - copied)
            if from < chunk.endIndex, let newline = chunk[from...].firstIndex(of: UInt8(ascii: "\n")) {
                try output.write(contentsOf: chunk[..<(newline + 1)])
                return
            }
            try output.write(contentsOf: chunk)
            copied += chunk.count
        }
    }

    /// "100 MB", "1.0 GB", "2.0 MB".
    static func describe(bytes: Int) -> String {
        if bytes >= 1_000_000_000 { return String(format: "%.1f GB", Double(bytes) / 1e9) }
        if bytes >= 100_000_000 { return String(format: "%.0f MB", Double(bytes) / 1e6) }
        return String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}
