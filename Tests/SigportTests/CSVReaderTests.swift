import Foundation
import Testing
import Sigport

// MARK: - Helpers

/// A reader's output, reduced to what the tests compare exactly.
private enum Item: Equatable, CustomStringConvertible {
    case row(line: Int, [String])
    case problem(line: Int, rule: String, message: String, column: String?)

    init(_ outcome: ReadOutcome) {
        switch outcome {
        case .row(let row):
            self = .row(line: row.location.line, row.values.map { value in
                guard case .text(let text) = value else { return "<\(value)>" }
                return text
            })
        case .problem(let problem):
            self = .problem(line: problem.location.line, rule: problem.rule, message: problem.message, column: problem.column)
        }
    }

    var description: String {
        switch self {
        case let .row(line, values): "row@\(line) \(values)"
        case let .problem(line, rule, message, column): "problem@\(line) \(rule) [\(column ?? "-")] \(message)"
        }
    }
}

/// Everything about an outcome, for comparing two readings of the same bytes.
private func detail(_ outcome: ReadOutcome) -> String {
    switch outcome {
    case .row(let row):
        return "row \(row.location) @\(row.location.byteOffset) \(row.values) raw=\(row.raw)"
    case .problem(let problem):
        return "problem \(problem.rule) \(problem.location) @\(problem.location.byteOffset) [\(problem.column ?? "-")] \(problem.message) raw=\(problem.raw)"
    }
}

private func location(_ outcome: ReadOutcome) -> RowLocation {
    switch outcome {
    case .row(let row): row.location
    case .problem(let problem): problem.location
    }
}

private func raw(_ outcome: ReadOutcome) -> [UInt8] {
    switch outcome {
    case .row(let row): row.raw
    case .problem(let problem): problem.raw
    }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func write(_ content: [UInt8], to dir: URL, name: String = "input.csv") throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(content).write(to: url)
    return url.path
}

private func readAll(_ reader: inout CSVReader) throws -> [ReadOutcome] {
    var outcomes: [ReadOutcome] = []
    while let outcome = try reader.next() { outcomes.append(outcome) }
    // The end stays the end.
    #expect(try reader.next() == nil)
    return outcomes
}

/// Writes `content` to a file, reads it back with a FileByteSource.
private func readFile(_ content: [UInt8], in dir: URL, dialect: CSVDialect = .comma,
                      maxRowBytes: Int = CSVReader.defaultMaxRowBytes,
                      chunkSize: Int = CSVReader.defaultChunkSize) throws -> (names: [String], outcomes: [ReadOutcome]) {
    let path = try write(content, to: dir)
    var reader = try CSVReader(source: FileByteSource(path: path), file: "input.csv", dialect: dialect,
                               maxRowBytes: maxRowBytes, chunkSize: chunkSize)
    return (reader.fieldNames, try readAll(&reader))
}

private func items(_ outcomes: [ReadOutcome]) -> [Item] { outcomes.map(Item.init) }

/// Bytes from memory, a few at a time (1 to 7 bytes per read, in a fixed pattern).
private struct TrickleByteSource: ByteSource {
    let bytes: [UInt8]
    var position = 0
    var reads = 0
    static let sizes = [1, 7, 3, 5, 2, 6, 4]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(Self.sizes[reads % Self.sizes.count], buffer.count, bytes.count - position)
        reads += 1
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<position + count]))
        }
        position += count
        return count
    }
}

private func gzipExecutable() -> URL? {
    ["/bin/gzip", "/usr/bin/gzip"].map(URL.init(fileURLWithPath:))
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

// MARK: - Delimiters, quotes, names

@Suite("CSVReader")
struct CSVReaderTests {
    @Test func commaDelimited() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (names, outcomes) = try readFile(bytes("time,value,tag\n2024-01-01T00:00:00Z,1.5,a\n2024-01-02T00:00:00Z,-2e3,\"b c\"\n"), in: dir)
            #expect(names == ["time", "value", "tag"])
            #expect(items(outcomes) == [
                .row(line: 2, ["2024-01-01T00:00:00Z", "1.5", "a"]),
                .row(line: 3, ["2024-01-02T00:00:00Z", "-2e3", "b c"]),
            ])
        }
    }

    @Test func semicolonWithDecimalCommas() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let content = "Zeit;Wert;Einheit\n01.03.2024 00:00;1,5;°C\n01.03.2024 00:10;\"2,75\";°C\n01.03.2024 00:20;-0,25;\"a;b\"\n"
            let (names, outcomes) = try readFile(bytes(content), in: dir, dialect: .semicolon)
            #expect(names == ["Zeit", "Wert", "Einheit"])
            #expect(items(outcomes) == [
                .row(line: 2, ["01.03.2024 00:00", "1,5", "°C"]),
                .row(line: 3, ["01.03.2024 00:10", "2,75", "°C"]),
                .row(line: 4, ["01.03.2024 00:20", "-0,25", "a;b"]),
            ])
        }
    }

    @Test func tabDelimited() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (names, outcomes) = try readFile(bytes("a\tb\tc\n1\t2,5\t3\n\t\tx\n\"q\tq\"\t \t\n"), in: dir, dialect: .tab)
            #expect(names == ["a", "b", "c"])
            #expect(items(outcomes) == [
                .row(line: 2, ["1", "2,5", "3"]),
                .row(line: 3, ["", "", "x"]),
                .row(line: 4, ["q\tq", "", ""]),
            ])
        }
    }

    @Test func pipeDelimited() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (names, outcomes) = try readFile(bytes("id|name\n1|a,b\n2|\"x|y\"\n"), in: dir, dialect: .pipe)
            #expect(names == ["id", "name"])
            #expect(items(outcomes) == [.row(line: 2, ["1", "a,b"]), .row(line: 3, ["2", "x|y"])])
        }
    }

    @Test func customQuoteCharacter() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let dialect = CSVDialect(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "'"))
            let content = "name,note\n'x,y',plain\n'it''s',\"double\"\n'two\nlines',z\n"
            let (names, outcomes) = try readFile(bytes(content), in: dir, dialect: dialect)
            #expect(names == ["name", "note"])
            #expect(items(outcomes) == [
                .row(line: 2, ["x,y", "plain"]),
                .row(line: 3, ["it's", "\"double\""]),
                .row(line: 4, ["two\nlines", "z"]),
            ])
        }
    }

    @Test func unquotedFieldsAreTrimmedQuotedOnesKept() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (names, outcomes) = try readFile(bytes(" a , b \n x , \" y \" \n,\n"), in: dir)
            #expect(names == ["a", "b"])
            #expect(items(outcomes) == [.row(line: 2, ["x", " y "]), .row(line: 3, ["", ""])])
        }
    }

    @Test func columnListWithoutHeader() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let dialect = CSVDialect(header: false, columns: ["time", "value"])
            let (names, outcomes) = try readFile(bytes("t1,1\nt2,2\nt3\n"), in: dir, dialect: dialect)
            #expect(names == ["time", "value"])
            #expect(items(outcomes) == [
                .row(line: 1, ["t1", "1"]),
                .row(line: 2, ["t2", "2"]),
                .problem(line: 3, rule: "csv-ragged", message: "row has 1 fields, the column list has 2", column: nil),
            ])
        }
    }

    @Test func columnListReplacesHeader() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let dialect = CSVDialect(header: true, columns: ["time", "value"])
            // The header's own names would be rejected (empty, duplicate): replaced, they are not checked.
            let (names, outcomes) = try readFile(bytes("x,\nt1,1\n"), in: dir, dialect: dialect)
            #expect(names == ["time", "value"])
            #expect(items(outcomes) == [.row(line: 2, ["t1", "1"])])

            let error = #expect(throws: SigportError.self) {
                _ = try readFile(bytes("a,b,c\n1,2,3\n"), in: dir, dialect: dialect)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "input.csv:1: the header has 3 columns, the column list 2.")
        }
    }

    @Test func noHeaderNeedsColumns() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let error = #expect(throws: SigportError.self) {
                _ = try readFile(bytes("1,2\n"), in: dir, dialect: CSVDialect(header: false))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "input.csv has no header row and no column names were given.")
            #expect(throws: SigportError.self) {
                _ = try readFile(bytes("1,2\n"), in: dir, dialect: CSVDialect(header: false, columns: ["a", "a"]))
            }
            #expect(throws: SigportError.self) {
                _ = try readFile(bytes("1,2\n"), in: dir, dialect: CSVDialect(header: false, columns: []))
            }
        }
    }

    @Test func headerWithDuplicateOrEmptyNames() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let duplicate = #expect(throws: SigportError.self) {
                _ = try readFile(bytes("time,value,time\n1,2,3\n"), in: dir)
            }
            #expect(duplicate?.code == .invalidArgument)
            #expect(duplicate?.message == "input.csv:1: the header: column \"time\" appears twice (columns 1 and 3).")

            // Blank lines and a BOM before the header: the line is still the header's.
            let empty = #expect(throws: SigportError.self) {
                _ = try readFile([0xEF, 0xBB, 0xBF] + bytes("\n\r\na,,c\n1,2,3\n"), in: dir)
            }
            #expect(empty?.message == "input.csv:3: the header: column 2 has no name.")

            let quotedBlank = #expect(throws: SigportError.self) {
                _ = try readFile(bytes("a,\"  \"\n"), in: dir)
            }
            #expect(quotedBlank?.message == "input.csv:1: the header: column 2 has no name.")

            let notUTF8 = #expect(throws: SigportError.self) {
                _ = try readFile(bytes("a,b") + [0xE9] + bytes("\n1,2\n"), in: dir)
            }
            #expect(notUTF8?.message == "input.csv:1: the header's column 2 is not valid UTF-8 (byte 0xE9 at offset 1 of the field).")

            let malformed = #expect(throws: SigportError.self) {
                _ = try readFile(bytes("a,b\"c\n1,2\n"), in: dir)
            }
            #expect(malformed?.message.hasPrefix("input.csv:1: the header row is malformed:") == true)
        }
    }

    @Test func dialectValidation() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            #expect(throws: SigportError.self) {
                _ = try readFile(bytes("a\n"), in: dir, dialect: CSVDialect(delimiter: UInt8(ascii: "\""), quote: UInt8(ascii: "\"")))
            }
            #expect(throws: SigportError.self) {
                _ = try readFile(bytes("a\n"), in: dir, dialect: CSVDialect(delimiter: 0x0A))
            }
            #expect(throws: SigportError.self) {
                _ = try readFile(bytes("a\n"), in: dir, dialect: CSVDialect(quote: 0x20))
            }
            #expect(CSVDialect() == .comma)
            #expect(CSVDialect.tab.delimiter == 0x09)
        }
    }

    // MARK: - Line ends, BOM, blank lines, offsets

    @Test func bomCRLFAndQuotedNewlines() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let content = [0xEF, 0xBB, 0xBF] + bytes(
                "id,text\r\n1,\"hello\r\nworld\"\r\n2,\"a,b\"\"c\"\r\n3,\"x\r\n\r\ny\"\r\n4,plain\r\n")
            let (names, outcomes) = try readFile(content, in: dir)
            #expect(names == ["id", "text"])
            #expect(items(outcomes) == [
                .row(line: 2, ["1", "hello\r\nworld"]),
                .row(line: 4, ["2", "a,b\"c"]),
                .row(line: 5, ["3", "x\r\n\r\ny"]),
                .row(line: 8, ["4", "plain"]),
            ])
            #expect(outcomes.map(raw) == [
                bytes("1,\"hello\r\nworld\""), bytes("2,\"a,b\"\"c\""), bytes("3,\"x\r\n\r\ny\""), bytes("4,plain"),
            ])
        }
    }

    @Test func carriageReturnAloneEndsLines() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (names, outcomes) = try readFile(bytes("a,b\r1,2\r\r3,\"x\ry\"\r5,6"), in: dir)
            #expect(names == ["a", "b"])
            #expect(items(outcomes) == [
                .row(line: 2, ["1", "2"]),
                .row(line: 4, ["3", "x\ry"]),
                .row(line: 6, ["5", "6"]),
            ])
        }
    }

    @Test func blankLinesAreSkipped() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (names, outcomes) = try readFile(bytes("\n\na,b\n\n1,2\n\r\n   \n\t\n3,4\n\n\n"), in: dir)
            #expect(names == ["a", "b"])
            #expect(items(outcomes) == [.row(line: 5, ["1", "2"]), .row(line: 9, ["3", "4"])])
            #expect(outcomes.map { location($0).byteOffset } == [7, 19])
        }
    }

    @Test func emptyFile() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (names, outcomes) = try readFile([], in: dir)
            #expect(names == [])
            #expect(outcomes.isEmpty)

            let bomOnly = try readFile([0xEF, 0xBB, 0xBF], in: dir)
            #expect(bomOnly.names == [] && bomOnly.outcomes.isEmpty)

            let blank = try readFile(bytes("\n\r\n  \n"), in: dir)
            #expect(blank.names == [] && blank.outcomes.isEmpty)

            let withColumns = try readFile([], in: dir, dialect: CSVDialect(header: false, columns: ["a"]))
            #expect(withColumns.names == ["a"] && withColumns.outcomes.isEmpty)
        }
    }

    @Test func headerOnly() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            for content in ["a,b\n", "a,b", "a,b\r\n\r\n"] {
                let (names, outcomes) = try readFile(bytes(content), in: dir)
                #expect(names == ["a", "b"])
                #expect(outcomes.isEmpty)
            }
        }
    }

    @Test func lastRowWithoutLineBreak() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (_, outcomes) = try readFile(bytes("a,b\n1,2\n3,\"4\""), in: dir)
            #expect(items(outcomes) == [.row(line: 2, ["1", "2"]), .row(line: 3, ["3", "4"])])
            #expect(outcomes.map(raw) == [bytes("1,2"), bytes("3,\"4\"")])
        }
    }

    @Test func byteOffsetsAndRawBytes() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            // BOM (3) | "a,b\n" (4) | "1,2\r\n" (5) | "\n" (1) | "  3,4\n" (6) | "\"5\nx\",6\n" (8) | "7,8"
            let content = [0xEF, 0xBB, 0xBF] + bytes("a,b\n1,2\r\n\n  3,4\n\"5\nx\",6\n7,8")
            let (_, outcomes) = try readFile(content, in: dir)
            #expect(items(outcomes) == [
                .row(line: 2, ["1", "2"]),
                .row(line: 4, ["3", "4"]),
                .row(line: 5, ["5\nx", "6"]),
                .row(line: 7, ["7", "8"]),
            ])
            #expect(outcomes.map { location($0).byteOffset } == [7, 13, 19, 27])
            #expect(outcomes.map(raw) == [bytes("1,2"), bytes("  3,4"), bytes("\"5\nx\",6"), bytes("7,8")])
            #expect(outcomes.map { location($0).file } == Array(repeating: "input.csv", count: 4))
            // The raw bytes are the file's bytes at the offsets.
            for outcome in outcomes {
                let start = Int(location(outcome).byteOffset)
                #expect(Array(content[start..<start + raw(outcome).count]) == raw(outcome))
            }
        }
    }

    // MARK: - Problems

    @Test func raggedRows() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (_, outcomes) = try readFile(bytes("a,b,c\n1,2,3\n4,5\n\"6\n\",7,8,9\n10,11,12\n"), in: dir)
            #expect(items(outcomes) == [
                .row(line: 2, ["1", "2", "3"]),
                .problem(line: 3, rule: "csv-ragged", message: "row has 2 fields, the header has 3", column: nil),
                .problem(line: 4, rule: "csv-ragged", message: "row has 4 fields, the header has 3", column: nil),
                .row(line: 6, ["10", "11", "12"]),
            ])
            #expect(raw(outcomes[1]) == bytes("4,5"))
            #expect(raw(outcomes[2]) == bytes("\"6\n\",7,8,9"))
        }
    }

    @Test func invalidUTF8() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let content = bytes("name,city\nJosé,Köln\nBad,K") + [0xF6] + bytes("ln\n\"multi\nline\",") + [0xC3, 0x28] + bytes("\nOk,x\n")
            let (_, outcomes) = try readFile(content, in: dir)
            #expect(items(outcomes) == [
                .row(line: 2, ["José", "Köln"]),
                .problem(line: 3, rule: "utf8", message: "invalid UTF-8 in column \"city\": byte 0xF6 at offset 1 of the field", column: "city"),
                .problem(line: 4, rule: "utf8", message: "invalid UTF-8 in column \"city\": byte 0xC3 at offset 0 of the field", column: "city"),
                .row(line: 6, ["Ok", "x"]),
            ])
            #expect(raw(outcomes[1]) == bytes("Bad,K") + [0xF6] + bytes("ln"))
        }
    }

    @Test("readOnly: unread columns are .missing, still counted, kept in raw; invalid UTF-8 in one still rejects the row")
    func readOnlySomeColumns() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let content = bytes("time,note,value,extra\nt1,hello,1.5,x\nt2,\"a, b\",2,y\nt3,short\nt4,K") + [0xF6] + bytes("ln,3,z\nt5,Köln,4,w\n")
            let path = try write(content, to: dir)
            var reader = try CSVReader(source: FileByteSource(path: path), file: "input.csv", dialect: .comma)
            reader.readOnly(["time", "value"])
            let outcomes = try readAll(&reader)
            #expect(items(outcomes) == [
                .row(line: 2, ["t1", "<missing>", "1.5", "<missing>"]),
                .row(line: 3, ["t2", "<missing>", "2", "<missing>"]),
                .problem(line: 4, rule: "csv-ragged", message: "row has 2 fields, the header has 4", column: nil),
                .problem(line: 5, rule: "utf8", message: "invalid UTF-8 in column \"note\": byte 0xF6 at offset 1 of the field", column: "note"),
                // A row that is not all ASCII is read whole, as before.
                .row(line: 6, ["t5", "Köln", "4", "w"]),
            ])
            #expect(raw(outcomes[1]) == bytes("t2,\"a, b\",2,y"))
        }
    }

    @Test func malformedQuoting() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let content = "a,b\n1,x\"y\n2,\"ok\"\n3,\"bad\"z,more\n\"multi\nline\"q,1\n4,end\n"
            let (_, outcomes) = try readFile(bytes(content), in: dir)
            let insideUnquoted = "a \" inside an unquoted field; quote the field and double the \""
            let afterClosing = "unexpected text after a closing quote; a \" inside a quoted field must be doubled"
            #expect(items(outcomes) == [
                .problem(line: 2, rule: "csv-quote", message: insideUnquoted, column: "b"),
                .row(line: 3, ["2", "ok"]),
                .problem(line: 4, rule: "csv-quote", message: afterClosing, column: "b"),
                .problem(line: 5, rule: "csv-quote", message: afterClosing + " (on line 6)", column: "a"),
                .row(line: 7, ["4", "end"]),
            ])
            #expect(outcomes.map(raw)[0] == bytes("1,x\"y"))
            #expect(outcomes.map(raw)[2] == bytes("3,\"bad\"z,more"))
            #expect(outcomes.map(raw)[3] == bytes("\"multi\nline\"q,1"))
        }
    }

    @Test func unterminatedQuoteAtEndOfFile() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (_, outcomes) = try readFile(bytes("a,b\n1,2\n3,\"open\nmore,4\n"), in: dir)
            #expect(items(outcomes) == [
                .row(line: 2, ["1", "2"]),
                .problem(line: 3, rule: "csv-quote", message: "a quoted field is not closed (no \" before the end of the file)", column: "b"),
            ])
            #expect(raw(outcomes[1]) == bytes("3,\"open\nmore,4\n"))
        }
    }

    // MARK: - Sizes

    @Test func oneMegabyteField() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            // 1 MiB: lines of 1023 characters, a doubled quote in each.
            let line = String(repeating: "x", count: 1000) + "\"\"" + String(repeating: "y", count: 20) + "\n"
            let blob = String(repeating: line, count: 1024)
            let value = blob.replacingOccurrences(of: "\"\"", with: "\"")
            let content = bytes("id,blob,n\n1,\"\(blob)\",5\n2,small,6\n")
            for chunkSize in [CSVReader.defaultChunkSize, 4096] {
                let (_, outcomes) = try readFile(content, in: dir, chunkSize: chunkSize)
                #expect(items(outcomes) == [
                    .row(line: 2, ["1", value, "5"]),
                    .row(line: 1027, ["2", "small", "6"]),
                ])
                #expect(outcomes.map { location($0).byteOffset } == [10, Int64(10 + 3 + blob.utf8.count + 4)])
            }
        }
    }

    @Test func rowOverTheSizeLimit() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let long = String(repeating: "z", count: 300)
            let content = "a,b\n1,2\n3,\(long)\n4,\"\(long)\n\(long)\"\n5,6\n7,\"\(long)"
            for chunkSize in [16, 64, 4096] {
                let (_, outcomes) = try readFile(bytes(content), in: dir, maxRowBytes: 100, chunkSize: chunkSize)
                let tooLong = "row is longer than 100 bytes, the limit; it is skipped (only its first "
                let found = items(outcomes)
                try #require(found.count == 5)
                #expect(found[0] == .row(line: 2, ["1", "2"]))
                #expect(found[3] == .row(line: 6, ["5", "6"]))
                for (index, line) in [(1, 3), (2, 4), (4, 7)] {
                    guard case let .problem(problemLine, rule, message, _) = found[index] else {
                        Issue.record("expected a problem, got \(found[index])")
                        continue
                    }
                    #expect(problemLine == line)
                    #expect(rule == "csv-row-size")
                    #expect(message.hasPrefix(tooLong))
                    #expect(raw(outcomes[index]).count > 100)
                    #expect(raw(outcomes[index]).count <= 100 + chunkSize)
                }
                // Fed a few bytes at a time: the same rows and problems, on the same lines.
                var trickled = try CSVReader(source: TrickleByteSource(bytes(content)), file: "input.csv", dialect: .comma,
                                             maxRowBytes: 100, chunkSize: chunkSize)
                let again = try readAll(&trickled)
                #expect(again.map { location($0) } == outcomes.map { location($0) })
                #expect(items(again).map { if case .problem(_, let rule, _, _) = $0 { rule } else { "row" } }
                        == ["row", "csv-row-size", "csv-row-size", "row", "csv-row-size"])
            }
        }
    }

    // MARK: - Sources

    @Test func gzipInput() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let gzip = try #require(gzipExecutable(), "gzip is not installed")
            var content = "time;value\n"
            for index in 0..<5000 { content += "2024-03-01T00:00:\(index % 60);\(index),5\r\n" }
            let path = try write(bytes(content), to: dir, name: "big.csv")
            let plain = try CSVReader(source: FileByteSource(path: path), file: path, dialect: .semicolon)
            let process = Process()
            process.executableURL = gzip
            process.arguments = ["-k", "-9", path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let input = InputFile(path: path + ".gz")
            #expect(input.isGzip)
            var zipped = try CSVReader(input: input, dialect: .semicolon)
            var original = plain
            #expect(zipped.fieldNames == ["time", "value"])
            let fromGzip = try readAll(&zipped)
            let fromPlain = try readAll(&original)
            #expect(fromGzip.count == 5000)
            #expect(fromGzip.map(Item.init) == fromPlain.map(Item.init))
            #expect(fromGzip.map { location($0).byteOffset } == fromPlain.map { location($0).byteOffset })
            #expect(Item(fromGzip[4999]) == .row(line: 5001, ["2024-03-01T00:00:19", "4999,5"]))
            #expect(location(fromGzip[4999]).file == path + ".gz")
        }
    }

    /// The same bytes in 1–7 byte reads (and tiny chunks) give exactly the same outcomes,
    /// offsets and raw bytes as one big read.
    @Test(arguments: [
        Sample("BOM, CRLF, quoted CRLF, quote error, ragged",
               [0xEF, 0xBB, 0xBF] + Array("id,text\r\n1,\"hello\r\nworld\"\r\n\r\n2,\"a,b\"\"c\"\r\n3,x\"y\r\n4\r\n5,\"e\"\r\n".utf8)),
        Sample("CR alone, CR in quotes, unterminated quote",
               Array("a;b\r1;2\r\r3;\"x\ry\"\r\n4;\"unterminated\n".utf8)),
        Sample("spaces, quoted LF, invalid UTF-8, text after quote, no final newline",
               Array("a,b\n\n  1 , 2 \n\"q\"\"\n\",\"\"\n".utf8) + [0xFF, 0x2C, 0x31, 0x0A] + Array("x,\"y\"z\n9,9".utf8)),
        Sample("a 3000-byte row ending in CR", Array("h\n".utf8) + Array(repeating: UInt8(ascii: "v"), count: 3000) + [0x0D]),
    ])
    func trickleFedSourceMatchesBigReads(sample: Sample) async throws {
        let content = sample.bytes
        let dialect = content.contains(UInt8(ascii: ";")) ? CSVDialect.semicolon : .comma
        var big = try CSVReader(source: WholeByteSource(content), file: "t.csv", dialect: dialect)
        let expected = try readAll(&big).map(detail)
        #expect(!expected.isEmpty)
        for chunkSize in [16, 17, 64, CSVReader.defaultChunkSize] {
            var small = try CSVReader(source: TrickleByteSource(content), file: "t.csv", dialect: dialect, chunkSize: chunkSize)
            #expect(small.fieldNames == big.fieldNames)
            #expect(try readAll(&small).map(detail) == expected, "chunk size \(chunkSize)")
        }
        // And from a file on disk.
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (_, outcomes) = try readFile(content, in: dir, dialect: dialect)
            #expect(outcomes.map(detail).map { $0.replacingOccurrences(of: "input.csv", with: "t.csv") } == expected)
        }
    }

    /// Every way of cutting the input in two reads (CR | LF, BOM, quotes, delimiters split
    /// between reads, inside and outside quoted fields) gives the same outcomes.
    @Test func everySplitPointGivesTheSameOutcomes() throws {
        let content = [0xEF, 0xBB, 0xBF] + bytes("a,b\r\n1,\"x\r\ny\"\r\n\r\n2,\"\"\"q\"\r3,4\n5,\"open")
        var whole = try CSVReader(source: WholeByteSource(content), file: "s.csv", dialect: .comma)
        let wholeOutcomes = try readAll(&whole)
        let expected = wholeOutcomes.map(detail)
        #expect(items(wholeOutcomes) == [
            .row(line: 2, ["1", "x\r\ny"]),
            .row(line: 5, ["2", "\"q"]),
            .row(line: 6, ["3", "4"]),
            .problem(line: 7, rule: "csv-quote", message: "a quoted field is not closed (no \" before the end of the file)", column: "b"),
        ])
        for split in 1..<content.count {
            for chunkSize in [16, CSVReader.defaultChunkSize] {
                var reader = try CSVReader(source: SplitByteSource(content, at: split), file: "s.csv", dialect: .comma,
                                           chunkSize: chunkSize)
                #expect(reader.fieldNames == ["a", "b"])
                #expect(try readAll(&reader).map(detail) == expected, "split at \(split), chunk size \(chunkSize)")
            }
        }
    }

    @Test func nulBytesInFields() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let (_, outcomes) = try readFile(bytes("a,b\nx\u{0}y,\"\u{0}\"\n"), in: dir)
            #expect(items(outcomes) == [.row(line: 2, ["x\u{0}y", "\u{0}"])])
        }
    }

    @Test func trickleExpectedOutcomes() throws {
        let content = [0xEF, 0xBB, 0xBF] + bytes("id,text\r\n1,\"hello\r\nworld\"\r\n\r\n2,\"a,b\"\"c\"\r\n3,x\"y\r\n4\r\n5,\"e\"\r\n")
        var reader = try CSVReader(source: TrickleByteSource(content), file: "t.csv", dialect: .comma, chunkSize: 16)
        let outcomes = try readAll(&reader)
        #expect(items(outcomes) == [
            .row(line: 2, ["1", "hello\r\nworld"]),
            .row(line: 5, ["2", "a,b\"c"]),
            .problem(line: 6, rule: "csv-quote", message: "a \" inside an unquoted field; quote the field and double the \"", column: "text"),
            .problem(line: 7, rule: "csv-ragged", message: "row has 1 fields, the header has 2", column: nil),
            .row(line: 8, ["5", "e"]),
        ])
        #expect(outcomes.map { location($0).byteOffset } == [12, 32, 44, 51, 54])
    }
}

struct Sample: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var bytes: [UInt8]
    init(_ name: String, _ bytes: [UInt8]) {
        testDescription = name
        self.bytes = bytes
    }
}

/// The bytes in two reads, cut at `at`.
private struct SplitByteSource: ByteSource {
    let bytes: [UInt8]
    let cut: Int
    var position = 0
    init(_ bytes: [UInt8], at cut: Int) {
        self.bytes = bytes
        self.cut = cut
    }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let end = min(position < cut ? cut : bytes.count, position + buffer.count)
        let count = end - position
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<end])) }
        position = end
        return count
    }
}

/// All the bytes in one read.
private struct WholeByteSource: ByteSource {
    let bytes: [UInt8]
    var done = false
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if done { return 0 }
        done = true
        precondition(buffer.count >= bytes.count)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return bytes.count
    }
}
