import Foundation

/// One input named on the command line, after directories and globs are expanded.
public struct InputFile: Sendable, Hashable {
    /// The path as shown to the user; `-` for standard input.
    public var path: String
    public var isGzip: Bool { path.hasSuffix(".gz") }
    public var isStandardInput: Bool { path == "-" }

    public init(path: String) { self.path = path }

    /// Opens the input as a byte stream (decompressing `.gz`).
    public func open() throws -> any ByteSource {
        if isStandardInput { return FileByteSource(standardInput: ()) }
        return isGzip ? try GzipByteSource(path: path) : try FileByteSource(path: path)
    }

    /// The file's name without directories and without `.gz`, for file-name captures
    /// (`gw-0042_2024-03.csv.gz` → `gw-0042_2024-03.csv`).
    public var baseName: String {
        let name = (path as NSString).lastPathComponent
        return isGzip ? String(name.dropLast(3)) : name
    }

    /// Expands the command line's inputs: files as given, directories to their files (sorted,
    /// recursively, hidden files skipped), shell-style globs (`logs/*.csv`) to their matches, and
    /// `-` to standard input. An argument that names nothing is an error, not an empty input.
    public static func resolve(_ arguments: [String], fileManager: FileManager = .default) throws -> [InputFile] {
        var inputs: [InputFile] = []
        for argument in arguments {
            if argument == "-" { inputs.append(InputFile(path: "-")); continue }
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: argument, isDirectory: &isDirectory) {
                if isDirectory.boolValue {
                    let files = try directoryFiles(argument, fileManager: fileManager)
                    guard !files.isEmpty else { throw SigportError(.invalidArgument, "The directory \(argument) holds no input files.") }
                    inputs += files.map(InputFile.init(path:))
                } else {
                    inputs.append(InputFile(path: argument))
                }
                continue
            }
            let matches = glob(argument)
            guard !matches.isEmpty else {
                throw SigportError(.invalidArgument, "No input matches \(argument).", hint: "Check the path or the pattern.")
            }
            inputs += matches.map(InputFile.init(path:))
        }
        return inputs
    }

    private static func directoryFiles(_ directory: String, fileManager: FileManager) throws -> [String] {
        guard let enumerator = fileManager.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        for case let relative as String in enumerator {
            let components = relative.split(separator: "/")
            if components.contains(where: { $0.hasPrefix(".") }) { continue }
            let full = (directory as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(full) }
        }
        return files.sorted()
    }

    /// glob(3): the shell's patterns, sorted.
    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
