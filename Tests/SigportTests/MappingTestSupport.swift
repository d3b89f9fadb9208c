import Foundation
import Testing
@testable import Sigport

/// The package's root (for `Mappings/` and `samples/`), found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func samplePath(_ relative: String) -> String { packageRoot.appendingPathComponent(relative).path }

/// Writes `text` to a fresh file under the temporary directory, runs `body` with its path, and
/// removes the file.
@discardableResult
func withMappingFile<T>(_ text: String, name: String = "mapping.yaml", _ body: (String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sigport-mapping-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return try body(path)
}

/// Loads a mapping written to a file on disk.
func loadMapping(_ text: String) throws -> Mapping {
    try withMappingFile(text) { try Mapping.load(path: $0) }
}

/// A row as a reader would produce it: text fields, and the raw line they came from.
func textRow(_ fields: [String?], line: Int = 2, file: String = "in.csv") -> SourceRow {
    SourceRow(location: RowLocation(file: file, line: line, byteOffset: 0),
              values: fields.map { $0.map(FieldValue.text) ?? .missing },
              raw: Array(fields.map { $0 ?? "" }.joined(separator: ",").utf8))
}

/// A mapper for `yaml`, started on a file called `fileName` whose fields are `fields`.
func startedMapper(_ yaml: String, fields: [String], fileName: String = "in.csv") throws -> RowMapper {
    var mapper = RowMapper(mapping: try loadMapping(yaml))
    try mapper.start(file: InputFile(path: "/data/" + fileName), fieldNames: fields)
    return mapper
}

extension MapOutcome {
    var mappedRow: MappedRow? { if case .mapped(let row) = self { row } else { nil } }
    var rejection: Rejection? { if case .rejected(let rejection) = self { rejection } else { nil } }
    var isFiltered: Bool { if case .filtered = self { true } else { false } }
    /// `rule column=value: message`, or `mapped`/`filtered`.
    var summary: String {
        switch self {
        case .mapped: "mapped"
        case .filtered: "filtered"
        case .rejected(let r): "\(r.rule) \(r.column ?? "-")=\(r.value ?? "-"): \(r.message)"
        }
    }
}

/// The built `sigport` binary run with `arguments`, in `directory`, with its own standard output
/// and error (and standard input from `stdin`, if given).
struct CommandRun {
    let status: Int32
    let stdout: String
    let stderr: String

    static func sigport(_ arguments: [String], in directory: URL, stdin: [UInt8]? = nil) async throws -> CommandRun {
        let id = UUID().uuidString
        let out = directory.appendingPathComponent("stdout-\(id).txt"), err = directory.appendingPathComponent("stderr-\(id).txt")
        for url in [out, err] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        defer { try? outHandle.close(); try? errHandle.close() }
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = outHandle
        process.standardError = errHandle
        if let stdin {
            let input = directory.appendingPathComponent("stdin-\(id)")
            try Data(stdin).write(to: input)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        process.environment = ["COLUMNS": "100", "PATH": "/usr/bin:/bin"]
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return CommandRun(status: status, stdout: try String(contentsOf: out, encoding: .utf8), stderr: try String(contentsOf: err, encoding: .utf8))
    }
}

extension URL {
    /// Writes bytes (or text) to a file named `name` in this directory and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: appendingPathComponent(name))) }
    func text(_ name: String) throws -> String { try String(decoding: bytes(name), as: UTF8.self) }
}
