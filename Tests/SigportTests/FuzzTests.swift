import Foundation
import Testing
@testable import Sigport

/// Mutation fuzzing of what reads untrusted text: the CSV reader (libcsv), the JSONL reader
/// (simdjson) and the mapping loader (Yams). Inputs are mutated from the corpus in
/// `FuzzCorpus/` (bytes flipped, inserted, deleted, duplicated; quotes, line ends, braces and
/// invalid UTF-8 spliced in) and served in random-size chunks. Every outcome must be a row, a
/// typed problem with its line, or a typed error; no crash and no hang. Runs for
/// SIGPORT_FUZZ_SECONDS per target (2 in `make test`, more in `make soak`); a failing input is
/// written to the temporary directory to replay. This is the fast part, in `swift test`; the
/// coverage-guided fuzzers (libFuzzer, `Fuzz/`, `scripts/fuzz.sh`) run in `make soak`, from the
/// same corpus, and the regression tests at the end hold what they found.
@Suite("fuzz: readers and mapping loader")
struct FuzzTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzCorpus")
    static let seconds = Double(ProcessInfo.processInfo.environment["SIGPORT_FUZZ_SECONDS"] ?? "2") ?? 2

    static func seeds(_ kind: String) throws -> [[UInt8]] {
        let directory = corpus.appendingPathComponent(kind)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            Array(try Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }

    /// Serves bytes in chunks of random sizes, so mutations also land on chunk boundaries.
    struct ChunkedBytes: ByteSource {
        let bytes: [UInt8]
        var position = 0
        var random: SoakTests.Seeded
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, bytes.count - position, Int.random(in: 1...4096, using: &random))
            guard n > 0 else { return 0 }
            bytes[position..<(position + n)].withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            position += n
            return n
        }
    }

    static let splices: [[UInt8]] = [[34], [13], [10], [13, 10], [44], [59], [123], [125], [91], [93], [92], [0xFF], [0xC3], [0],
                                     Array("\"\"".utf8), Array("null".utf8), Array("1e999".utf8), Array(String(repeating: "[", count: 300).utf8)]

    static func mutate(_ seed: [UInt8], _ random: inout SoakTests.Seeded) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1: bytes.insert(contentsOf: splices.randomElement(using: &random)!, at: at)
            case 2 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &random)))
            case 3 where !bytes.isEmpty:
                let slice = bytes[at..<min(bytes.count, at + Int.random(in: 1...256, using: &random))]
                bytes.insert(contentsOf: slice, at: Int.random(in: 0...bytes.count, using: &random))
            case 4: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    /// Runs `check` on mutants of the seeds until the time budget is spent; returns how many ran.
    static func campaign(_ kind: String, seed: UInt64, _ check: ([UInt8], inout SoakTests.Seeded) throws -> Void) throws -> Int {
        let seeds = try Self.seeds(kind)
        var random = SoakTests.Seeded(state: seed)
        let clock = ContinuousClock(), deadline = clock.now + .milliseconds(Int64(seconds * 1000))
        var count = 0
        while clock.now < deadline {
            let input = mutate(seeds.randomElement(using: &random)!, &random)
            let started = clock.now
            do { try check(input, &random) } catch {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("sigport-fuzz-\(kind)-\(count).bin")
                try? Data(input).write(to: file)
                Issue.record("\(kind) input \(file.path): \(error)")
            }
            let took = started.duration(to: clock.now)
            #expect(took < .seconds(5), "\(kind) input \(count) took \(took): a hang")
            count += 1
        }
        print("fuzz \(kind): \(count) inputs in \(seconds) s")
        return count
    }

    /// Drains a reader: rows and problems must carry a real line; errors must be `SigportError`.
    static func drain(_ reader: inout some RowReader) throws -> Int {
        var outcomes = 0
        while let outcome = try reader.next() {
            switch outcome {
            case .row(let row): #expect(row.location.line >= 1)
            case .problem(let problem): #expect(problem.location.line >= 1 && !problem.rule.isEmpty)
            }
            outcomes += 1
            if outcomes > 1_000_000 { throw SigportError(.invalidArgument, "a reader did not end") }
        }
        return outcomes
    }

    @Test("CSV reader: mutated inputs give rows, problems with a line, or a typed error")
    func csv() throws {
        let count = try Self.campaign("csv", seed: 1) { input, random in
            for dialect in [CSVDialect.comma, .semicolon] {
                do {
                    var reader = try CSVReader(source: ChunkedBytes(bytes: input, random: random), file: "fuzz.csv", dialect: dialect, chunkSize: 512)
                    _ = try Self.drain(&reader)
                } catch is SigportError {}
            }
        }
        #expect(count > 10)
    }

    @Test("JSONL reader: mutated inputs give rows, problems with a line, or a typed error")
    func jsonl() throws {
        let count = try Self.campaign("jsonl", seed: 2) { input, random in
            do {
                var reader = try JSONLReader(source: ChunkedBytes(bytes: input, random: random), file: "fuzz.jsonl",
                                             paths: ["ts", "payload.hr", "readings[0].v", "device.serial"], chunkSize: 1024, maxLineLength: 64 * 1024)
                _ = try Self.drain(&reader)
            } catch is SigportError {}
        }
        #expect(count > 10)
    }

    @Test("mapping loader: mutated files load, or fail naming a line and a key")
    func mapping() throws {
        let count = try Self.campaign("mapping", seed: 3) { input, _ in
            do {
                _ = try Mapping.parse(String(decoding: input, as: UTF8.self), file: "fuzz.yaml")
            } catch let error as MappingError {
                #expect(error.line >= 1 && !error.key.isEmpty, "\(error)")
            }
        }
        #expect(count > 10)
    }

    // Regressions found by the libFuzzer harnesses (Fuzz/); their inputs are in FuzzCorpus too.

    /// Serves bytes `size` at a time.
    struct FixedChunks: ByteSource {
        let bytes: [UInt8]
        let size: Int
        var position = 0
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, bytes.count - position, size)
            guard n > 0 else { return 0 }
            bytes[position..<(position + n)].withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            position += n
            return n
        }
    }

    @Test("regression: a blank line longer than the row limit is a csv-row-size problem however the input is read")
    func blankLineOverLimit() throws {
        let cases: [(String, [String])] = [
            ("a,b\n1,2\n\t\t\t\t\n3,4\n", ["row 2", "csv-row-size 3", "row 4"]),
            ("a,b\n1,2\n \t \t\r\n3,4\n", ["row 2", "csv-row-size 3", "row 4"]),
            ("a,b\n1,2\n\t\t\t\t", ["row 2", "csv-row-size 3"]),
            ("a,b\n1,2\n\t\t\n3,4\n", ["row 2", "row 4"]),
        ]
        for (text, expected) in cases {
            // It used to be reported only when it spanned two of the reader's chunks.
            for (chunkSize, readSize) in [(16, 1), (16, 3), (16, 4096), (4096, 1), (4096, 5), (4096, 4096)] {
                var reader = try CSVReader(source: FixedChunks(bytes: Array(text.utf8), size: readSize), file: "t.csv",
                                           dialect: .comma, maxRowBytes: 3, chunkSize: chunkSize)
                var outcomes: [String] = []
                while let outcome = try reader.next() {
                    switch outcome {
                    case .row(let row): outcomes.append("row \(row.location.line)")
                    case .problem(let problem): outcomes.append("\(problem.rule) \(problem.location.line)")
                    }
                }
                #expect(outcomes == expected, "\(text.debugDescription), chunk \(chunkSize), reads of \(readSize)")
            }
        }
    }

    @Test("regression: an error at the end of a mapping file without a final line break names a line the file has")
    func yamlErrorLineInFile() throws {
        // libyaml puts the end of such a file on the line after its last (`---` was at line 2).
        for text in ["---", "--- ", "version: 1\nsource:", "[1", "version: 1\nsource: {format: csv"] {
            #expect(throws: MappingError.self) { try Mapping.parse(text, file: "end.yaml") }
            do { _ = try Mapping.parse(text, file: "end.yaml") } catch let error as MappingError {
                #expect(error.line == text.utf8.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }, "\(error)")
            }
        }
        for seed in try Self.seeds("mapping") {
            let text = String(decoding: seed, as: UTF8.self)
            for cut in stride(from: 1, to: text.utf8.count, by: 5) {
                var prefix = String(decoding: text.utf8.prefix(cut), as: UTF8.self)
                while prefix.last?.isNewline == true { prefix.removeLast() }
                let lines = prefix.utf8.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
                do { _ = try Mapping.parse(prefix, file: "cut.yaml") } catch let error as MappingError {
                    #expect((1...lines).contains(error.line), "\(error) in \(lines) lines")
                }
            }
        }
    }

    @Test("regression: an empty key is named in the error as \"\"")
    func emptyKey() throws {
        for (text, key) in [("\"\": 1\nversion: 1\n", #""""#), ("version: 1\nsource:\n  ? ''\n  : csv\n", #"source."""#)] {
            #expect(throws: MappingError.self) { try Mapping.parse(text, file: "e.yaml") }
            do { _ = try Mapping.parse(text, file: "e.yaml") } catch let error as MappingError {
                #expect(error.key == key && error.line >= 1, "\(error)")
            }
        }
    }
}
