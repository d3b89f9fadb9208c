import CFuzzerDriver
import Foundation
import Sigport

// Shared by the three libFuzzer harnesses. A harness returns normally for an acceptable outcome
// and calls `fail` (a trap, which libFuzzer reports as a crash and saves the input for) for
// anything else. Hangs are libFuzzer's `-timeout`; memory errors are AddressSanitizer's.

/// Stops the process with a message: libFuzzer treats the trap as a crash and writes the input
/// as a `crash-…` artefact.
public func fail(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    FileHandle.standardError.write(Data("\nFUZZ FAILURE: \(message())\n".utf8))
    fatalError("fuzz check failed", file: file, line: line)
}

/// SplitMix64, seeded from the input: every run of an input makes the same choices, so a crash
/// artefact replays exactly.
public struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64

    /// Seeded with the FNV-1a hash of the input. The whole input stays the document under test
    /// (corpus files are plain CSV, JSONL and YAML), and any mutation of it also changes the
    /// chunking, the reader's buffer size and its limits.
    public init(_ bytes: [UInt8]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        state = hash
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A size that is often tiny (so boundaries land everywhere) and sometimes large.
    public mutating func size(upTo limit: Int) -> Int {
        switch Int.random(in: 0..<4, using: &self) {
        case 0: return Int.random(in: 1...min(4, limit), using: &self)
        case 1: return Int.random(in: 1...min(64, limit), using: &self)
        default: return Int.random(in: 1...limit, using: &self)
        }
    }
}

/// The input as a `ByteSource` that hands out `read` results in chunks of random sizes (or
/// whole, as asked), and can seek like a file for `resume(at:)`.
public struct ChunkedBytes: ByteSource {
    let bytes: [UInt8]
    var position = 0
    var random: FuzzRandom?

    /// `random` nil: every read fills as much of the buffer as the input allows.
    public init(_ bytes: [UInt8], random: FuzzRandom?) {
        self.bytes = bytes
        self.random = random
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var n = min(buffer.count, bytes.count - position)
        if var random, n > 0 {
            n = min(n, random.size(upTo: 4096))
            self.random = random
        }
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }

    public mutating func seek(to offset: Int64, current: Int64) throws {
        guard offset >= 0 else { fail("seek to a negative offset \(offset)") }
        position = Int(min(offset, Int64(bytes.count)))
    }
}

/// An outcome reduced to what must not depend on how the input was chunked.
public struct Outcome: Equatable, CustomStringConvertible {
    public var kind: String  // "row" or the problem's rule
    public var line: Int
    public var offset: Int64
    public var values: [FieldValue]
    public var column: String?
    public var raw: [UInt8]

    public var description: String {
        "\(kind) at line \(line), byte \(offset): \(values) column \(column ?? "-") raw \(raw.count) bytes"
    }

    /// A line too long is skipped, and its raw holds a prefix whose length depends on how much
    /// was read when it was noticed; compare only the shorter prefix.
    public func same(as other: Outcome) -> Bool {
        guard kind == other.kind, line == other.line, offset == other.offset, values == other.values, column == other.column else { return false }
        if Outcome.truncatedRules.contains(kind) {
            let n = min(raw.count, other.raw.count)
            return raw.prefix(n) == other.raw.prefix(n)
        }
        return raw == other.raw
    }

    static let truncatedRules: Set<String> = ["jsonl-line-too-long", "csv-row-size"]
}

/// Checks the outcomes of reading `input`: every row and problem carries the file's name, a line
/// within the input and a byte offset within it, in order; a problem has a rule and a message.
public struct OutcomeChecker {
    let input: [UInt8]
    let file: String
    /// Lines the input has at most: one more than its line ends (CR, LF).
    let maxLine: Int
    var last: (line: Int, offset: Int64)? = nil

    public init(input: [UInt8], file: String) {
        self.input = input
        self.file = file
        maxLine = input.reduce(1) { $0 + ($1 == 0x0A || $1 == 0x0D ? 1 : 0) }
    }

    public mutating func check(_ outcome: ReadOutcome) -> Outcome {
        let location: RowLocation
        let result: Outcome
        switch outcome {
        case .row(let row):
            location = row.location
            result = Outcome(kind: "row", line: row.location.line, offset: row.location.byteOffset, values: row.values, column: nil, raw: row.raw)
        case .problem(let problem):
            location = problem.location
            if problem.rule.isEmpty || problem.message.isEmpty { fail("a problem without a rule or a message at \(problem.location)") }
            result = Outcome(kind: problem.rule, line: problem.location.line, offset: problem.location.byteOffset,
                             values: [], column: problem.column, raw: problem.raw)
        }
        guard location.file == file else { fail("an outcome names the file \(location.file), not \(file)") }
        guard (1...maxLine).contains(location.line) else { fail("an outcome at line \(location.line) of an input of at most \(maxLine) lines") }
        guard (0...Int64(input.count)).contains(location.byteOffset) else {
            fail("an outcome at byte \(location.byteOffset) of a \(input.count)-byte input")
        }
        if let last, location.line < last.line || location.byteOffset <= last.offset {
            fail("an outcome at line \(location.line), byte \(location.byteOffset) after one at line \(last.line), byte \(last.offset)")
        }
        last = (location.line, location.byteOffset)
        return result
    }

    /// A thrown error is acceptable only as a `SigportError` that names the input (its location:
    /// the file, and the line where there is one).
    public func checkThrown(_ error: any Error) {
        guard let error = error as? SigportError else { fail("an untyped error: \(type(of: error)): \(error)") }
        guard error.message.contains(file) else { fail("a SigportError that does not name the input: \(error.message) (\(error.location))") }
    }
}

/// Reads every outcome, checking each; stops the process on anything unacceptable. Returns the
/// outcomes, or nil when the reader threw (an acceptable, located `SigportError`).
public func drain(_ reader: inout some RowReader, _ checker: inout OutcomeChecker, limit: Int? = nil) -> [Outcome]? {
    var outcomes: [Outcome] = []
    do {
        while limit.map({ outcomes.count < $0 }) ?? true, let outcome = try reader.next() {
            outcomes.append(checker.check(outcome))
            // Each outcome consumes at least one byte.
            if outcomes.count > checker.input.count + 1 { fail("more outcomes than input bytes: the reader does not end") }
        }
    } catch {
        checker.checkThrown(error)
        return nil
    }
    return outcomes
}

/// `FUZZ_VERBOSE=1` when replaying an input: the harness prints its choices and every outcome.
public let verbose = getenv("FUZZ_VERBOSE") != nil

public func trace(_ message: @autoclosure () -> String) {
    if verbose { FileHandle.standardError.write(Data((message() + "\n").utf8)) }
}

/// Stops the process unless both lists of outcomes are the same.
public func expectSame(_ a: [Outcome], _ b: [Outcome], _ what: String) {
    trace("\(what):\n  first:\n    \(a.map(\.description).joined(separator: "\n    "))\n  second:\n    \(b.map(\.description).joined(separator: "\n    "))")
    guard a.count == b.count else {
        fail("\(what): \(a.count) outcomes against \(b.count)\n  first: \(a.map(\.description))\n  second: \(b.map(\.description))")
    }
    for (x, y) in zip(a, b) where !x.same(as: y) { fail("\(what): \(x) against \(y)") }
}

/// The three properties every reader must have on every input, given a way to open a reader:
/// 1. read whole, every outcome is acceptable and located (or the reader throws a located
///    `SigportError`);
/// 2. read in random chunks, it gives the same outcomes (or throws too);
/// 3. a new reader resumed at the position reported after a random number of outcomes gives the
///    rest of them.
public func checkReader<R: RowReader>(_ input: [UInt8], file: String, random: inout FuzzRandom,
                                      open: (ChunkedBytes) throws -> R) {
    var checker = OutcomeChecker(input: input, file: file)
    var whole: [Outcome]?
    do {
        var reader = try open(ChunkedBytes(input, random: nil))
        whole = drain(&reader, &checker)
    } catch { checker.checkThrown(error) }

    var chunkedChecker = OutcomeChecker(input: input, file: file)
    var chunked: [Outcome]?
    do {
        var reader = try open(ChunkedBytes(input, random: FuzzRandom(input + [1])))
        chunked = drain(&reader, &chunkedChecker)
    } catch { chunkedChecker.checkThrown(error) }
    switch (whole, chunked) {
    case let (whole?, chunked?): expectSame(whole, chunked, "read whole and in random chunks")
    case (nil, nil): return
    default: fail("read whole \(whole == nil ? "threw" : "did not throw"), in random chunks \(chunked == nil ? "threw" : "did not throw")")
    }
    guard let whole, !whole.isEmpty else { return }

    // Resume: stop after k outcomes, take the position, and read the rest with a new reader.
    let k = Int.random(in: 0..<whole.count, using: &random)
    trace("resume after \(k) outcomes")
    do {
        var first = try open(ChunkedBytes(input, random: FuzzRandom(input + [2])))
        var firstChecker = OutcomeChecker(input: input, file: file)
        guard let head = drain(&first, &firstChecker, limit: k) else { fail("threw reading the first \(k) outcomes, not when reading all") }
        expectSame(head, Array(whole.prefix(k)), "the first \(k) outcomes")
        guard let position = first.position else { return }  // inside a skipped row: no resume point
        var second = try open(ChunkedBytes(input, random: FuzzRandom(input + [3])))
        try second.resume(at: position)
        var secondChecker = OutcomeChecker(input: input, file: file)
        guard let rest = drain(&second, &secondChecker) else { fail("threw after resuming at \(position), not when reading all") }
        expectSame(rest, Array(whole.dropFirst(k)), "resumed after \(k) outcomes at byte \(position.offset), line \(position.line)")
    } catch {
        fail("opening or resuming a reader threw, though reading all did not: \(error)")
    }
}

/// Runs libFuzzer on `test` with the process's arguments (`-max_total_time=…`, corpus
/// directories, or inputs to replay) and exits with its status. Called from each harness's
/// `@main`: SwiftPM renames an executable's entry point, so libFuzzer's own `main` is not used.
public func runLibFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}

/// The input as bytes (libFuzzer may pass no pointer for an empty input).
public func inputBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}
