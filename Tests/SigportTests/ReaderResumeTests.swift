import Foundation
import Testing
@testable import Sigport

// A resumed import makes a new reader, calls `resume(at:)` with a position an earlier reader
// reported, and must then get exactly what the earlier reader handed out after that point: any
// difference duplicates or drops rows. These tests read an input through once (reader A), then
// resume a fresh reader B at every position A reported and at the start of every row A handed
// out, and compare B's outcomes with A's rest field by field. The inputs put every feature a
// resume point can fall next to (line endings, quoting, multi-line rows, blank lines, problems,
// oversized rows, the file's end) under chunk sizes that put chunk boundaries everywhere.

// MARK: - Helpers

/// An outcome with everything a resumed reader must reproduce, so that `==` compares it all.
private struct Seen: Equatable, CustomStringConvertible {
    /// `row`, or the problem's rule.
    var kind: String
    var location: RowLocation
    var raw: [UInt8]
    var values: [FieldValue] = []
    var message = ""
    var column: String?

    init(_ outcome: ReadOutcome) {
        switch outcome {
        case .row(let row):
            (kind, location, raw, values) = ("row", row.location, row.raw, row.values)
        case .problem(let problem):
            (kind, location, raw) = (problem.rule, problem.location, problem.raw)
            (message, column) = (problem.message, problem.column)
        }
    }

    var description: String {
        "\(kind) \(location)@\(location.byteOffset) \(values) raw=\(String(decoding: raw, as: UTF8.self).debugDescription)"
    }
}

/// What reader A handed out, and `positions[k]`: its position after k outcomes (k = 0 right
/// after it was made, i.e. after the CSV header).
private struct FirstReading {
    var outcomes: [Seen] = []
    var positions: [ReadPosition?] = []

    /// The positions right after each outcome of this kind.
    func positions(after kind: String) -> [ReadPosition?] {
        outcomes.indices.filter { outcomes[$0].kind == kind }.map { positions[$0 + 1] }
    }
}

private func drain<R: RowReader>(_ reader: inout R) throws -> [Seen] {
    var seen: [Seen] = []
    while let outcome = try reader.next() { seen.append(Seen(outcome)) }
    return seen
}

/// Where two outcome lists first differ, for a message that stays short on big inputs.
private func firstDifference(_ got: [Seen], _ expected: [Seen]) -> String? {
    guard got != expected else { return nil }
    let index = (0..<min(got.count, expected.count)).first { got[$0] != expected[$0] } ?? min(got.count, expected.count)
    func at(_ list: [Seen]) -> String { index < list.count ? list[index].description : "nothing" }
    return "\(got.count) outcomes instead of \(expected.count); outcome \(index + 1) of the rest is \(at(got)), expected \(at(expected))"
}

/// Reads the input through with one reader from `make`, then resumes fresh readers at every
/// `every`-th position it reported and at every `every`-th outcome's own location: each must hand
/// out exactly the outcomes that followed. One issue per call (with the number of bad resume
/// points and the first ones), so a reader bug does not bury the log. Returns A's reading.
@discardableResult
private func checkResume<R: RowReader>(_ label: String, every: Int = 1, sourceLocation: SourceLocation = #_sourceLocation,
                                       _ make: () throws -> R) throws -> FirstReading {
    var reader = try make()
    var first = FirstReading(positions: [reader.position])
    while let outcome = try reader.next() {
        first.outcomes.append(Seen(outcome))
        first.positions.append(reader.position)
    }
    var failures: [String] = []
    func check(_ what: String, at position: ReadPosition, expecting rest: ArraySlice<Seen>) {
        do {
            var resumed = try make()
            try resumed.resume(at: position)
            if let difference = firstDifference(try drain(&resumed), Array(rest)) { failures.append("\(what) \(position): \(difference)") }
        } catch {
            failures.append("\(what) \(position): threw \(error)")
        }
    }
    for k in stride(from: 0, to: first.positions.count, by: every) {
        guard let position = first.positions[k] else { continue }
        check("resumed after \(k) outcomes at", at: position, expecting: first.outcomes[k...])
    }
    for k in stride(from: 0, to: first.outcomes.count, by: every) {
        let start = first.outcomes[k].location
        check("resumed at the start of outcome \(k + 1),", at: ReadPosition(offset: start.byteOffset, line: start.line),
              expecting: first.outcomes[k...])
    }
    if !failures.isEmpty {
        let shown = failures.prefix(3).joined(separator: "\n")
        Issue.record("\(label): \(failures.count) resume points differ:\n\(shown)", sourceLocation: sourceLocation)
    }
    return first
}

/// Bytes from memory in short reads of varying sizes, with the protocol's default `seek` (read
/// and discard): the path a source that cannot move takes.
private struct TrickleSource: ByteSource {
    let bytes: [UInt8]
    var offset = 0
    var reads = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        reads += 1
        let count = min(buffer.count, bytes.count - offset, 1 + (reads * 5) % 11)
        guard count > 0 else { return 0 }
        buffer.copyBytes(from: bytes[offset..<offset + count])
        offset += count
        return count
    }
}

private func write(_ bytes: [UInt8], name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// Compresses `path` with the system's gzip, keeping it; returns the `.gz` path.
private func gzipped(_ path: String) throws -> String {
    let tool = try #require(["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) },
                            "gzip is not installed")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["-k", "-f", path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return path + ".gz"
}

private let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

/// Chunk sizes that put boundaries all over small inputs (7 is raised to the CSV minimum of 16).
private let csvChunkSizes = [7, 16, 17, 23, 64, CSVReader.defaultChunkSize]

/// Small enough that the two long rows of `mixedCSV` are `csv-row-size` problems, large enough
/// for the others. Not below the 4096 bytes an oversized row's `raw` keeps: under that, how much
/// is kept depends on where chunk boundaries fell when the limit was passed, which differs
/// between a first and a resumed reader (the production limit is 64 MiB).
private let smallMaxRowBytes = 4096
private let longText = String(repeating: "x", count: 5000)

/// A CSV file with every feature a resume point may fall next to; `eol` ends every line, also
/// those inside quoted fields, so line numbers run ahead of row numbers.
private func mixedCSV(eol: String, bom withBOM: Bool, trailingEOL: Bool) -> [UInt8] {
    let lines = [
        "id,name,note",
        "1,plain,x",
        #"2,"a,b","say ""hi""""#,
        "3,\"multi\(eol)line\(eol)field\",y",
        "",
        "   ",
        "4,ragged",  // line 9
        #"5,bad"quote,z"#,
        #"6,"closed"junk,z"#,
        "7,\"two\(eol)lines\"oops,z",
        "8,\(longText),long",
        "9,\"\(longText.prefix(2500))\(eol)\(longText.prefix(2500))\",long-quoted",
        "10,ünïcode,✓",
        "",
        "11,last,row",
    ]
    let text = lines.joined(separator: eol) + (trailingEOL ? eol : "")
    return (withBOM ? bom : []) + Array(text.utf8)
}

/// The outcome kinds `mixedCSV` must give, so the tests know they cover what they claim.
private func mixedCSVKinds(oversized: Bool) -> [String] {
    let long = oversized ? "csv-row-size" : "row"
    return ["row", "row", "row", "csv-ragged", "csv-quote", "csv-quote", "csv-quote", long, long, "row", "row"]
}

private let jsonlPaths = ["id", "name", "nested.v"]
private let jsonlChunkSizes = [3, 8, 16, 64, JSONLReader.defaultChunkSize]
/// Small enough that line 7 of `mixedJSONL` is too long, large enough for the others; not below
/// the 4096 bytes a too-long line's `raw` keeps (see `smallMaxRowBytes`).
private let smallMaxLineLength = 4096

/// A JSON Lines file with blank lines and every kind of problem; line 7 is 5019 bytes long.
private func mixedJSONL(eol: String, bom withBOM: Bool, trailingEOL: Bool) -> [UInt8] {
    let lines = [
        #"{"id":1,"name":"a"}"#,
        "",
        " \t",
        #"{"id":2,"name":"bé","nested":{"v":2.5}}"#,  // line 4
        #"{"id":3, bad"#,
        "[1,2]",
        #"{"id":4,"name":"\#(longText)"}"#,
        #"{"id":5,"nested":{"v":[1]}}"#,
        #"{"id":6,"name":"last"}"#,
    ]
    let text = lines.joined(separator: eol) + (trailingEOL ? eol : "")
    return (withBOM ? bom : []) + Array(text.utf8)
}

private func mixedJSONLKinds(tooLong: Bool) -> [String] {
    ["row", "row", "jsonl-syntax", "jsonl-not-object", tooLong ? "jsonl-line-too-long" : "row", "jsonl-not-scalar", "row"]
}

// MARK: - Tests

@Suite("Resuming a reader at a position an earlier reader reported")
struct ReaderResumeTests {
    @Test("CSV: every reported position and every row start resume to the same rest", arguments: ["\n", "\r\n", "\r"])
    func csv(eol: String) async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            for withBOM in [false, true] {
                for trailingEOL in [true, false] {
                    let content = mixedCSV(eol: eol, bom: withBOM, trailingEOL: trailingEOL)
                    let path = try write(content, name: "mixed.csv", in: dir)
                    // A first chunk that ends right after the line break byte ending row 1: with
                    // CRLF, its CR ends one chunk and its LF starts the next.
                    let firstRowEnd = try #require(content.firstRange(of: Array("1,plain,x".utf8))).upperBound + 1
                    for maxRowBytes in [CSVReader.defaultMaxRowBytes, smallMaxRowBytes] {
                        for chunkSize in Set(csvChunkSizes + [firstRowEnd]).sorted() {
                            let label = "\(eol.debugDescription) bom=\(withBOM) trailing=\(trailingEOL) maxRowBytes=\(maxRowBytes) chunk=\(chunkSize)"
                            let first = try checkResume(label) {
                                try CSVReader(source: FileByteSource(path: path), file: path, dialect: .comma,
                                              maxRowBytes: maxRowBytes, chunkSize: chunkSize)
                            }
                            #expect(first.outcomes.map(\.kind) == mixedCSVKinds(oversized: maxRowBytes == smallMaxRowBytes), "\(label)")
                            #expect(first.outcomes.count > 3 && first.outcomes[3].location.line == 9, "\(label)")
                            // After the last row: the end of the file, where a resumed reader finds nothing.
                            #expect(first.positions.last??.offset == Int64(content.count), "\(label)")
                            if maxRowBytes == smallMaxRowBytes && chunkSize <= 64 {
                                // Reported before their ends were read: inside the row, no position.
                                #expect(first.positions(after: "csv-row-size") == [nil, nil], "\(label)")
                            }
                            if chunkSize == firstRowEnd {
                                #expect(first.positions[1] == ReadPosition(offset: Int64(firstRowEnd), line: 3, afterCR: eol != "\n"),
                                        "\(label)")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("JSONL: every reported position and every line start resume to the same rest", arguments: ["\n", "\r\n"])
    func jsonl(eol: String) async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            for withBOM in [false, true] {
                for trailingEOL in [true, false] {
                    let content = mixedJSONL(eol: eol, bom: withBOM, trailingEOL: trailingEOL)
                    let path = try write(content, name: "mixed.jsonl", in: dir)
                    for maxLineLength in [JSONLReader.defaultMaxLineLength, smallMaxLineLength] {
                        for chunkSize in jsonlChunkSizes {
                            let label = "\(eol.debugDescription) bom=\(withBOM) trailing=\(trailingEOL) maxLineLength=\(maxLineLength) chunk=\(chunkSize)"
                            let first = try checkResume(label) {
                                try JSONLReader(source: FileByteSource(path: path), file: path, paths: jsonlPaths,
                                                chunkSize: chunkSize, maxLineLength: maxLineLength)
                            }
                            #expect(first.outcomes.map(\.kind) == mixedJSONLKinds(tooLong: maxLineLength == smallMaxLineLength), "\(label)")
                            #expect(first.outcomes.count > 1 && first.outcomes[1].location.line == 4, "\(label)")
                            #expect(first.positions.last??.offset == Int64(content.count), "\(label)")
                            if maxLineLength == smallMaxLineLength && chunkSize <= 64 {
                                // Reported before its end was read: skipped after, no position meanwhile.
                                #expect(first.positions(after: "jsonl-line-too-long") == [nil], "\(label)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The protocol's default `seek` reads and discards: resuming through it must land at the
    /// same byte as lseek does.
    @Test("CSV and JSONL over a source that cannot seek, in short reads")
    func unseekable() throws {
        for eol in ["\n", "\r\n", "\r"] {
            let content = mixedCSV(eol: eol, bom: true, trailingEOL: false)
            for maxRowBytes in [CSVReader.defaultMaxRowBytes, smallMaxRowBytes] {
                let first = try checkResume("memory CSV \(eol.debugDescription) maxRowBytes=\(maxRowBytes)") {
                    try CSVReader(source: TrickleSource(content), file: "mem.csv", dialect: .comma, maxRowBytes: maxRowBytes, chunkSize: 16)
                }
                #expect(first.outcomes.map(\.kind) == mixedCSVKinds(oversized: maxRowBytes == smallMaxRowBytes))
            }
        }
        for eol in ["\n", "\r\n"] {
            let content = mixedJSONL(eol: eol, bom: true, trailingEOL: true)
            let first = try checkResume("memory JSONL \(eol.debugDescription)") {
                try JSONLReader(source: TrickleSource(content), file: "mem.jsonl", paths: jsonlPaths, chunkSize: 8,
                                maxLineLength: smallMaxLineLength)
            }
            #expect(first.outcomes.map(\.kind) == mixedJSONLKinds(tooLong: true))
        }
    }

    /// gzseek works on the decompressed stream: the offsets the readers report must be usable as
    /// they are, also past zlib's 256 KiB buffer.
    @Test("gzip inputs resume through GzipByteSource.seek")
    func gzip() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let csv = try gzipped(write(mixedCSV(eol: "\r\n", bom: true, trailingEOL: false), name: "mixed.csv", in: dir))
            let first = try checkResume("gzip CSV, default chunks") { try CSVReader(input: InputFile(path: csv), dialect: .comma) }
            #expect(first.outcomes.map(\.kind) == mixedCSVKinds(oversized: false))
            for chunkSize in [16, 64] {
                try checkResume("gzip CSV, chunk=\(chunkSize)") {
                    try CSVReader(source: InputFile(path: csv).open(), file: csv, dialect: .comma,
                                  maxRowBytes: smallMaxRowBytes, chunkSize: chunkSize)
                }
            }

            var big = "id,name,note\r\n"
            for index in 0..<20_000 { big += "\(index),name \(index),\"q,\(index)\"\r\n" }
            let bigCSV = try gzipped(write(Array(big.utf8), name: "big.csv", in: dir))
            #expect(big.utf8.count > 2 * 256 * 1024)
            let bigFirst = try checkResume("big gzip CSV", every: 1_999) { try CSVReader(input: InputFile(path: bigCSV), dialect: .comma) }
            #expect(bigFirst.outcomes.count == 20_000)

            let jsonl = try gzipped(write(mixedJSONL(eol: "\r\n", bom: false, trailingEOL: true), name: "mixed.jsonl", in: dir))
            try checkResume("gzip JSONL") {
                try JSONLReader(source: InputFile(path: jsonl).open(), file: jsonl, paths: jsonlPaths, chunkSize: 8,
                                maxLineLength: smallMaxLineLength)
            }
        }
    }

    /// A resume offset past the input's end (a checkpoint of another file) must be an error the
    /// run reports, not a crash or an endless loop.
    @Test("seeking past the end of a source that cannot seek throws a SigportError")
    func seekPastEnd() throws {
        var short = TrickleSource(Array("abc".utf8))
        #expect(throws: SigportError.self) { try short.seek(to: 10, current: 0) }

        // Up to the end, or within, is fine: reading goes on from there.
        var exact = TrickleSource(Array("abc".utf8))
        try exact.seek(to: 3, current: 0)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(try buffer.withUnsafeMutableBytes { try exact.read(into: $0) } == 0)
        var within = TrickleSource(Array("abcdefgh".utf8))
        try within.seek(to: 5, current: 0)
        var rest: [UInt8] = []
        while case let count = try buffer.withUnsafeMutableBytes({ try within.read(into: $0) }), count > 0 {
            rest += buffer[..<count]
        }
        #expect(rest == Array("fgh".utf8))

        var reader = try CSVReader(source: TrickleSource(Array("a,b\n1,2\n".utf8)), file: "mem.csv", dialect: .comma)
        #expect(throws: SigportError.self) { try reader.resume(at: ReadPosition(offset: 1_000, line: 40)) }
    }
}
