import Foundation
import Testing
@testable import Sigport

/// A reader of `count` numbered rows that throws after `failAfter` of them, if set.
private struct CountingReader: RowReader {
    let count: Int
    var failAfter: Int?
    var rawBytes = 0
    var handed = 0
    var fieldNames: [String] { ["n"] }
    var position: ReadPosition? { ReadPosition(offset: Int64(handed), line: handed + 1) }

    struct Broken: Error {}

    mutating func next() throws -> ReadOutcome? {
        if let failAfter, handed == failAfter { throw Broken() }
        guard handed < count else { return nil }
        handed += 1
        return .row(SourceRow(location: RowLocation(file: "f", line: handed, byteOffset: Int64(handed)), values: [.text(String(handed))], raw: Array(repeating: 0x41, count: rawBytes)))
    }

    mutating func resume(at position: ReadPosition) throws {}
}

@Suite("Read-ahead on a second thread")
struct ReadAheadTests {
    private func lines(_ ahead: ReadAhead) throws -> [Int] {
        var lines: [Int] = []
        while let outcome = try ahead.nextItem() {
            guard case .outcome(.row(let row)) = outcome else { continue }
            lines.append(row.location.line)
        }
        return lines
    }

    @Test("every outcome in order, across batch boundaries", arguments: [0, 1, 255, 256, 257, 5000])
    func inOrder(_ count: Int) throws {
        let ahead = ReadAhead(CountingReader(count: count), batchSize: 256, depth: 2)
        #expect(try lines(ahead) == Array(stride(from: 1, through: count, by: 1)))
        #expect(try ahead.nextItem() == nil)
    }

    @Test("each outcome comes with the reader's position after it, as an import records per row")
    func positions() throws {
        let ahead = ReadAhead(CountingReader(count: 600), batchSize: 256, depth: 2)
        #expect(ahead.position == nil)
        var line = 0
        while let outcome = try ahead.nextItem() {
            guard case .outcome(.row(let row)) = outcome else { continue }
            line = row.location.line
            #expect(ahead.position == ReadPosition(offset: Int64(line), line: line + 1))
        }
        #expect(line == 600)
    }

    @Test("batches end at a byte size too: rows of long lines still arrive whole and in order")
    func byteBound() throws {
        let ahead = ReadAhead(CountingReader(count: 40, rawBytes: 300_000), batchSize: 256, batchBytes: 1 << 20, depth: 2)
        var lines: [Int] = []
        while let outcome = try ahead.nextItem() {
            guard case .outcome(.row(let row)) = outcome else { continue }
            #expect(row.raw.count == 300_000)
            lines.append(row.location.line)
        }
        #expect(lines == Array(1...40))
    }

    @Test("an error comes after the outcomes read before it, then the reader is done", arguments: [0, 3, 256, 700])
    func errorInOrder(_ failAfter: Int) throws {
        let ahead = ReadAhead(CountingReader(count: 1000, failAfter: failAfter), batchSize: 256, depth: 2)
        var seen = 0
        #expect(throws: CountingReader.Broken.self) {
            while let outcome = try ahead.nextItem() {
                if case .outcome(.row(let row)) = outcome { #expect(row.location.line == seen + 1) }
                seen += 1
            }
        }
        #expect(seen == failAfter)
        #expect(try ahead.nextItem() == nil)
    }

    @Test("stopping early stops the thread (the reader is released)")
    func stopsEarly() throws {
        var ahead: ReadAhead? = ReadAhead(CountingReader(count: 1_000_000), batchSize: 16, depth: 2)
        _ = try ahead?.nextItem()
        ahead = nil  // deinit waits for the thread; a hang here fails the test by timeout
        #expect(ahead == nil)
    }

    @Test("only plain files are read ahead")
    func onlyPlainFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("readahead-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a.csv").path
        try Data("t\n".utf8).write(to: URL(fileURLWithPath: file))
        let fifo = directory.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(ReadAhead.worthwhile(InputFile(path: file)))
        #expect(!ReadAhead.worthwhile(InputFile(path: fifo)))
        #expect(!ReadAhead.worthwhile(InputFile(path: "-")))
        #expect(!ReadAhead.worthwhile(InputFile(path: directory.path + "/missing")))
    }
}

