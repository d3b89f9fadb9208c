import Foundation
import Testing
@testable import Sigport

/// Bytes from memory in small reads of varying sizes (1…13), to put chunk boundaries everywhere.
private struct TrickleByteSource: ByteSource {
    let data: [UInt8]
    var position = 0
    var step = 0

    init(_ data: [UInt8]) { self.data = data }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        step += 1
        let count = min((step * 7) % 13 + 1, buffer.count, data.count - position)
        guard count > 0 else { return 0 }
        for i in 0..<count { buffer[i] = data[position + i] }
        position += count
        return count
    }
}

/// Every outcome, in order.
private func readAllJSONL(_ reader: inout JSONLReader) throws -> [ReadOutcome] {
    var outcomes: [ReadOutcome] = []
    while let outcome = try reader.next() { outcomes.append(outcome) }
    return outcomes
}

private func jsonlRows(_ outcomes: [ReadOutcome]) -> [SourceRow] {
    outcomes.compactMap { if case .row(let row) = $0 { row } else { nil } }
}

private func jsonlProblems(_ outcomes: [ReadOutcome]) -> [RowProblem] {
    outcomes.compactMap { if case .problem(let problem) = $0 { problem } else { nil } }
}

/// One line per outcome, for comparing two reads of the same input.
private func jsonlSummary(_ outcomes: [ReadOutcome]) -> [String] {
    outcomes.map { outcome in
        switch outcome {
        case .row(let row):
            "row \(row.location.line) @\(row.location.byteOffset) \(row.values) \(row.raw)"
        case .problem(let problem):
            "problem \(problem.location.line) @\(problem.location.byteOffset) \(problem.rule) \(problem.column ?? "") \(problem.message) \(problem.raw)"
        }
    }
}

/// Writes `bytes` to a file in `dir` and reads it.
private func readJSONLFile(_ bytes: [UInt8], paths: [String], in dir: URL, name: String = "in.jsonl",
                           chunkSize: Int = JSONLReader.defaultChunkSize,
                           maxLineLength: Int = JSONLReader.defaultMaxLineLength) throws -> [ReadOutcome] {
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    var reader = try JSONLReader(source: try FileByteSource(path: url.path), file: url.path, paths: paths,
                                 chunkSize: chunkSize, maxLineLength: maxLineLength)
    #expect(reader.fieldNames == paths)
    return try readAllJSONL(&reader)
}

/// Reads `bytes` from memory, 1–13 bytes per read.
private func readJSONLMemory(_ bytes: [UInt8], paths: [String], chunkSize: Int = JSONLReader.defaultChunkSize,
                             maxLineLength: Int = JSONLReader.defaultMaxLineLength) throws -> [ReadOutcome] {
    var reader = try JSONLReader(source: TrickleByteSource(bytes), file: "mem", paths: paths,
                                 chunkSize: chunkSize, maxLineLength: maxLineLength)
    return try readAllJSONL(&reader)
}

@Suite("JSONL reader (simdjson)")
struct JSONLReaderTests {
    // MARK: paths

    @Test("paths become RFC 6901 pointers")
    func pointers() throws {
        #expect(try JSONLPath.jsonPointer(for: "ts") == "/ts")
        #expect(try JSONLPath.jsonPointer(for: "payload.hr") == "/payload/hr")
        #expect(try JSONLPath.jsonPointer(for: "readings[0].v") == "/readings/0/v")
        #expect(try JSONLPath.jsonPointer(for: "a.b[2][1]") == "/a/b/2/1")
        #expect(try JSONLPath.jsonPointer(for: #"["x.y"]"#) == "/x.y")
        #expect(try JSONLPath.jsonPointer(for: #"meta["a.b"].c"#) == "/meta/a.b/c")
        #expect(try JSONLPath.jsonPointer(for: #"m["q\"uote"]["back\\slash"]"#) == #"/m/q"uote/back\slash"#)
        #expect(try JSONLPath.jsonPointer(for: "a/b.m~n") == "/a~1b/m~0n")
        #expect(try JSONLPath.jsonPointer(for: "x[007]") == "/x/7")
        #expect(try JSONLPath.jsonPointer(for: "sensor id.ünits") == "/sensor id/ünits")
        #expect(try JSONLPath.jsonPointer(for: #"[""]"#) == "/")
    }

    @Test("invalid paths are refused, naming the path", arguments: [
        "", ".a", "a.", "a..b", "a[", "a[]", "a[x]", "a[-1]", "a[1", "a]", "a[0]b", "a.[0]", #"["x"#, #"["x\n"]"#,
        "a[99999999999999999999999]",
    ])
    func invalidPaths(path: String) throws {
        let error = try #require(throws: SigportError.self) { try JSONLPath.jsonPointer(for: path) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("\"\(path)\""))
        #expect(throws: SigportError.self) {
            _ = try JSONLReader(source: TrickleByteSource([]), file: "x", paths: ["ok", path])
        }
    }

    // MARK: values

    @Test("nested paths, array indexes, missing paths, null, bool")
    func values() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let text = """
            {"ts":"2024-03-01T00:00:00Z","payload":{"hr":72,"ok":true,"note":null},"readings":[{"v":1.5},{"v":2}],"a":{"b":[0,1,[10,11]]}}
            {"ts":"x","payload":{"ok":false},"readings":[],"a":{"b":"scalar"}}
            {"payload":5,"readings":{"0":{"v":"key zero"}}}
            {"x.y":"dotted","a/b":1,"m~n":2,"":"empty key"}

            """
            let paths = ["ts", "payload.hr", "payload.ok", "payload.note", "readings[0].v", "readings[1].v", "a.b[2][1]",
                         "nope", #"["x.y"]"#, "a/b", "m~n", #"[""]"#]
            let outcomes = try readJSONLFile(Array(text.utf8), paths: paths, in: dir)
            let rows = jsonlRows(outcomes)
            #expect(rows.count == 4)
            #expect(jsonlProblems(outcomes).isEmpty)
            #expect(rows[0].values == [.text("2024-03-01T00:00:00Z"), .number(72), .bool(true), .null, .number(1.5), .number(2),
                                       .number(11), .missing, .missing, .missing, .missing, .missing])
            #expect(rows[1].values == [.text("x"), .missing, .bool(false), .missing, .missing, .missing,
                                       .missing, .missing, .missing, .missing, .missing, .missing],
                    "an empty array, a step through a scalar string")
            #expect(rows[2].values == [.missing, .missing, .missing, .missing, .text("key zero"), .missing,
                                       .missing, .missing, .missing, .missing, .missing, .missing],
                    "a step through a number is missing; an index on an object looks up that key")
            #expect(rows[3].values.suffix(4) == [.text("dotted"), .number(1), .number(2), .text("empty key")])
        }
    }

    @Test("strings: escapes, unicode, surrogate pairs, NUL")
    func strings() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let text = #"""
            {"s":"tab\tnl\nquote\"back\\slash\/","u":"caf\u00e9 \ud83d\ude00 ünï 日本","z":"a\u0000b","e":""}
            """#
            let rows = jsonlRows(try readJSONLFile(Array(text.utf8), paths: ["s", "u", "z", "e"], in: dir))
            let row = try #require(rows.first)
            #expect(row.values == [.text("tab\tnl\nquote\"back\\slash/"), .text("café 😀 ünï 日本"), .text("a\u{0}b"), .text("")])
            #expect(row.raw == Array(text.utf8))
        }
    }

    @Test("numbers: integers, floats, -0, 1e308; integers beyond 2^53 (20 digits and more too) as their exact digits")
    func numbers() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let lines = [
                #"{"n":0}"#, #"{"n":-17}"#, #"{"n":3.25}"#, #"{"n":-0}"#, #"{"n":-0.0}"#, #"{"n":1e308}"#, #"{"n":-1.5E-3}"#,
                #"{"n":9007199254740993}"#, #"{"n":12345678901234567890}"#, #"{"n":99999999999999999999}"#,
                #"{"n":-9223372036854775808}"#, #"{"n":5e-324}"#, #"{"n":-123456789012345678901234567890,"s":"9999999999999999999999"}"#,
                #"{"id":123456789012345678901234,"n":1.5,"f":1.2345678901234567890123,"e":12345678901234567890123e-3}"#,
            ]
            let outcomes = try readJSONLFile(Array((lines.joined(separator: "\n") + "\n").utf8), paths: ["n", "s"], in: dir)
            #expect(jsonlProblems(outcomes).isEmpty)
            let values = jsonlRows(outcomes).map(\.values[0])
            #expect(values == [.number(0), .number(-17), .number(3.25), .number(0), .number(0), .number(1e308), .number(-0.0015),
                               .text("9007199254740993"), .text("12345678901234567890"), .text("99999999999999999999"),
                               .text("-9223372036854775808"), .number(5e-324), .text("-123456789012345678901234567890"), .number(1.5)])
            let rows = jsonlRows(outcomes)
            #expect(rows[12].values[1] == .text("9999999999999999999999"), "digits in strings are left alone")
            #expect(rows[13].raw == Array(lines[13].utf8), "raw is the line as read, not as rewritten")
            if case .number(let d) = values[4] { #expect(d.sign == .minus, "-0.0 keeps its sign") }
        }
    }

    @Test("a path that leads to an object or array is a problem naming it")
    func notScalar() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let text = "{\"p\":{\"a\":1},\"q\":1}\n{\"p\":[1],\"q\":2}\n{\"p\":3,\"q\":3}\n"
            let outcomes = try readJSONLFile(Array(text.utf8), paths: ["q", "p"], in: dir)
            let problems = jsonlProblems(outcomes)
            #expect(problems.map(\.rule) == ["jsonl-not-scalar", "jsonl-not-scalar"])
            #expect(problems.map(\.column) == ["p", "p"])
            #expect(problems.map(\.location.line) == [1, 2])
            #expect(problems.first?.raw == Array(#"{"p":{"a":1},"q":1}"#.utf8))
            #expect(jsonlRows(outcomes).map(\.values) == [[.number(3), .number(3)]])
        }
    }

    // MARK: lines

    @Test("blank lines, CRLF, BOM, a last line without newline: line numbers and byte offsets")
    func linesAndOffsets() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
            bytes += Array("{\"v\":1}\r\n\n   \t\r\n{\"v\":2}\n\r\n{\"v\":3}".utf8)
            let outcomes = try readJSONLFile(bytes, paths: ["v"], in: dir)
            let rows = jsonlRows(outcomes)
            #expect(outcomes.count == 3)
            #expect(rows.map(\.values) == [[.number(1)], [.number(2)], [.number(3)]])
            #expect(rows.map(\.location.line) == [1, 4, 6])
            #expect(rows.map(\.location.byteOffset) == [3, 19, 29])
            #expect(rows.map(\.raw) == [Array("{\"v\":1}".utf8), Array("{\"v\":2}".utf8), Array("{\"v\":3}".utf8)])
            #expect(rows.allSatisfy { $0.location.file.hasSuffix("in.jsonl") })
            for row in rows {
                let offset = Int(row.location.byteOffset)
                #expect(Array(bytes[offset..<offset + row.raw.count]) == row.raw, "the offset points at the raw bytes")
            }
        }
    }

    @Test("empty input, only blank lines, a BOM alone")
    func emptyInputs() throws {
        #expect(try readJSONLMemory([], paths: ["v"]).isEmpty)
        #expect(try readJSONLMemory(Array("\n\n \r\n".utf8), paths: ["v"]).isEmpty)
        #expect(try readJSONLMemory([0xEF, 0xBB, 0xBF], paths: ["v"]).isEmpty)
        #expect(try readJSONLMemory([0xEF, 0xBB, 0xBF, 0x0A], paths: ["v"]).isEmpty)
    }

    @Test("a BOM after the start is not skipped")
    func bomOnlyAtStart() throws {
        let outcomes = try readJSONLMemory(Array("{\"v\":1}\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("{\"v\":2}\n".utf8), paths: ["v"])
        #expect(jsonlRows(outcomes).count == 1)
        #expect(jsonlProblems(outcomes).map(\.location.line) == [2])
    }

    @Test("malformed and non-object lines are problems with the right line; later lines are still read")
    func malformed() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let lines = [
                #"{"v":1}"#,
                #"{"v":2,}"#,
                #"{"v":3"#,
                #"[1,2,3]"#,
                #"42"#,
                #""text""#,
                #"null"#,
                #"{"v":1e400}"#,
                #"{"v":4} {"v":5}"#,
                #"{'v':6}"#,
                #"{"v":"unterminated}"#,
                #"{"v":7}"#,
            ]
            var bytes: [UInt8] = []
            var offsets: [Int64] = []
            for line in lines {
                offsets.append(Int64(bytes.count))
                bytes += Array(line.utf8) + [0x0A]
            }
            // Invalid UTF-8 in a string, line 13.
            offsets.append(Int64(bytes.count))
            let badUTF8: [UInt8] = Array(#"{"v":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
            bytes += badUTF8 + [0x0A]
            offsets.append(Int64(bytes.count))
            bytes += Array(#"{"v":8}"#.utf8) + [0x0A]

            let outcomes = try readJSONLFile(bytes, paths: ["v"], in: dir)
            #expect(outcomes.count == 14)
            let rows = jsonlRows(outcomes)
            // 1e400 is valid JSON beyond a double: handed on as its text, for the mapper's number-finite.
            #expect(rows.map(\.values) == [[.number(1)], [.text("1e400")], [.number(7)], [.number(8)]])
            #expect(rows.map(\.location.line) == [1, 8, 12, 14])
            let problems = jsonlProblems(outcomes)
            #expect(problems.map(\.location.line) == Array(2...7) + Array(9...11) + [13])
            #expect(problems.map(\.rule) == ["jsonl-syntax", "jsonl-syntax", "jsonl-not-object", "jsonl-not-object",
                                             "jsonl-not-object", "jsonl-not-object", "jsonl-syntax",
                                             "jsonl-syntax", "jsonl-syntax", "utf8"])
            #expect(problems.map(\.location.byteOffset) == Array(offsets[1...6]) + Array(offsets[8...10]) + [offsets[12]])
            #expect(problems.map(\.raw) == (lines[1...6] + lines[8...10]).map { Array($0.utf8) } + [badUTF8])
            #expect(problems.allSatisfy { !$0.message.isEmpty && $0.column == nil })
        }
    }

    // MARK: streaming

    /// A varied input: every kind of line, long and short.
    private static func mixedInput() -> [UInt8] {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        for i in 0..<300 {
            switch i % 9 {
            case 0: bytes += Array("{\"a\":{\"b\":\(i)},\"s\":\"line \(i) \\u00e9\"}\n".utf8)
            case 1: bytes += Array("{\"a\":{\"b\":\(i)},\"s\":\"\(String(repeating: "x", count: i * 3))\"}\r\n".utf8)
            case 2: bytes += Array("\n".utf8)
            case 3: bytes += Array("{\"a\":{\"b\":\(i),\n".utf8)
            case 4: bytes += Array("[\(i)]\n".utf8)
            case 5: bytes += Array("{\"a\":[\(i)],\"s\":{\"x\":null}}\n".utf8)
            case 6: bytes += Array("   \r\n".utf8)
            case 7: bytes += Array("{\"s\":\"\(String(repeating: "日本", count: i))\"}\n".utf8)
            default: bytes += Array("{\"a\":{\"b\":true}}".utf8) + [0x0A]
            }
        }
        bytes += Array("{\"a\":{\"b\":-1}}".utf8)  // no final newline
        return bytes
    }

    @Test("lines split across chunk boundaries read the same as whole chunks", arguments: [1, 7, 64, 1000])
    func chunkBoundaries(chunkSize: Int) async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let input = Self.mixedInput()
            let paths = ["a.b", "s", "a[0]"]
            let whole = try readJSONLFile(input, paths: paths, in: dir)
            let trickled = try readJSONLMemory(input, paths: paths, chunkSize: chunkSize)
            #expect(jsonlSummary(trickled) == jsonlSummary(whole))
            #expect(jsonlRows(whole).count > 100)
            #expect(Set(jsonlProblems(whole).map(\.rule)) == ["jsonl-syntax", "jsonl-not-object", "jsonl-not-scalar"])
            let last = try #require(jsonlRows(whole).last)
            #expect(last.values == [.number(-1), .missing, .missing])
            for row in jsonlRows(whole) {
                let offset = Int(row.location.byteOffset)
                #expect(Array(input[offset..<offset + row.raw.count]) == row.raw)
            }
        }
    }

    @Test("a gzip input through GzipByteSource")
    func gzip() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let input = Self.mixedInput()
            let plain = dir.appendingPathComponent("in.jsonl")
            try Data(input).write(to: plain)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-k", plain.path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let file = InputFile(path: dir.appendingPathComponent("in.jsonl.gz").path)
            var reader = try JSONLReader(source: try file.open(), file: file.path, paths: ["a.b", "s"])
            var plainReader = try JSONLReader(source: try FileByteSource(path: plain.path), file: file.path, paths: ["a.b", "s"])
            let unzipped = try readAllJSONL(&reader)
            #expect(jsonlSummary(unzipped) == jsonlSummary(try readAllJSONL(&plainReader)))
            #expect(jsonlRows(unzipped).count > 100)
        }
    }

    @Test("a 2 MB line (longer than a chunk) between short ones")
    func longLine() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let big = String(repeating: "abcdefgh", count: 262_144)  // 2 MiB
            let numbers = Array(repeating: "1.5", count: 1000).joined(separator: ",")
            let longLine = "{\"a\":1,\"big\":\"\(big)\",\"z\":[\(numbers)],\"end\":\"yes\"}"
            let text = "{\"end\":\"first\"}\n" + longLine + "\n{\"end\":\"last\"}\n"
            let outcomes = try readJSONLFile(Array(text.utf8), paths: ["end", "big", "z[999]"], in: dir)
            #expect(jsonlProblems(outcomes).isEmpty)
            let rows = jsonlRows(outcomes)
            #expect(rows.map(\.location.line) == [1, 2, 3])
            #expect(rows[1].values == [.text("yes"), .text(big), .number(1.5)])
            #expect(rows[1].raw.count == longLine.utf8.count)
            #expect(rows[2].location.byteOffset == Int64(16 + longLine.utf8.count + 1))
            #expect(rows[2].values[0] == .text("last"))
        }
    }

    @Test("a line over the limit is a problem and skipped to its end", arguments: [1, 5, 4096])
    func tooLong(chunkSize: Int) throws {
        let long = "{\"v\":\"" + String(repeating: "y", count: 300) + "\"}"
        let exact = "{\"v\":\"" + String(repeating: "e", count: 92) + "\"}"  // 100 bytes: at the limit
        let text = "{\"v\":1}\n" + long + "\n{\"v\":2}\n" + long + "\r\n" + exact + "\r\n" + long
        let outcomes = try readJSONLMemory(Array(text.utf8), paths: ["v"], chunkSize: chunkSize, maxLineLength: 100)
        #expect(outcomes.count == 6)
        let problems = jsonlProblems(outcomes)
        #expect(problems.map(\.rule) == ["jsonl-line-too-long", "jsonl-line-too-long", "jsonl-line-too-long"])
        #expect(problems.map(\.location.line) == [2, 4, 6])
        let n = long.utf8.count
        #expect(problems.map(\.location.byteOffset) == [8, Int64(17 + n), Int64(17 + 2 * n + 2 + 102)])
        #expect(problems.allSatisfy { Array(long.utf8).starts(with: $0.raw) && $0.raw.count > 100 })
        let rows = jsonlRows(outcomes)
        #expect(rows.map(\.location.line) == [1, 3, 5])
        #expect(rows.map(\.values) == [[.number(1)], [.number(2)], [.text(String(repeating: "e", count: 92))]])
        #expect(rows.last?.raw.count == 100)
    }
}
