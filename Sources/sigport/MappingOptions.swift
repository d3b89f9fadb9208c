import ArgumentParser
import Foundation
import Sigport

/// What to read and how: shared by `validate`, `plan` and `import`.
struct MappingOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("The mapping file (YAML) that says how rows become signals or events.", valueName: "file"))
    var mapping: String

    @Argument(help: ArgumentHelp("Input files, directories, globs (quote them), .gz files; validate and plan also read - (standard input) and pipes, which an import, resumable, refuses.", valueName: "input"))
    var inputs: [String]

    @Option(help: ArgumentHelp("Where rejects (and the checkpoint, for imports) go.", valueName: "dir"))
    var runDir = "sigport-run"

    @Option(help: ArgumentHelp("Stop when more rows than this are rejected, overall or in one file: a count (100) or a share (2%).", valueName: "n|n%"))
    var maxRejects: String?

    @Option(help: ArgumentHelp("Also write the final report as JSON to this file.", valueName: "file"))
    var report: String?

    func validate() throws {
        if let maxRejects, RejectLimit(maxRejects) == nil {
            throw ValidationError("--max-rejects takes a count (100) or a percentage (2%), not '\(maxRejects)'.")
        }
    }

    func loadMapping() throws -> Mapping {
        do { return try Mapping.load(path: mapping) } catch let error as MappingError {
            throw CommandFailure(exitCode: .mappingInvalid, message: "Error in the mapping file: \(error)")
        }
    }

    func resolveInputs() throws -> [InputFile] {
        do { return try InputFile.resolve(inputs) } catch { throw CommandFailure(exitCode: .inputUnreadable, message: "\(error)") }
    }

    func writeReport(_ value: some Encodable) throws {
        guard let report else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(value).write(to: URL(fileURLWithPath: report))
    }
}

/// Exit codes, documented in `docs/cli.md`.
enum SigportExitCode: Int32 {
    case rowsRejected = 1
    case mappingInvalid = 2
    case rejectLimitExceeded = 3
    case inputUnreadable = 4
    case partial = 5
    case apiFailed = 6
    case runDirectoryUnwritable = 7
    /// `verify` (or `import --verify`): the API does not hold what the run sent.
    case verifyMismatch = 8

    /// The exit code of a library error: what the user fixes differs by kind.
    init(_ error: SigportError) {
        switch error.code {
        case .invalidArgument: self = .inputUnreadable
        case .storage: self = .runDirectoryUnwritable
        default: self = .apiFailed
        }
    }
}

/// A failure that ends a command with its own exit code and a message on standard error.
struct CommandFailure: Error, CustomStringConvertible {
    let exitCode: SigportExitCode
    let message: String
    var description: String { message }

    /// How a command ends on `error`: a failure of ours or of the library is told on standard
    /// error and becomes its exit code; anything else (ArgumentParser's own) passes through.
    static func exit(_ error: any Error) -> any Error {
        switch error {
        case let failure as CommandFailure:
            FileHandle.standardError.write(Data("sigport: \(failure.message)\n".utf8))
            return ExitCode(failure.exitCode.rawValue)
        case let error as SigportError:
            FileHandle.standardError.write(Data("sigport: \(error)\n".utf8))
            return ExitCode(SigportExitCode(error).rawValue)
        default:
            return error
        }
    }
}
