import ArgumentParser
import Foundation
import Sigport

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show an import's progress from its checkpoint, also while it runs.",
        discussion: """
        Example:
          sigport status sigport-run
        """)

    @Argument(help: ArgumentHelp("The run directory of an import.", valueName: "run-dir"))
    var runDir = "sigport-run"

    func run() async throws {
        let path = URL(fileURLWithPath: runDir).appendingPathComponent("checkpoint.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("sigport: \(runDir) has no checkpoint: no import ran there.\n".utf8))
            throw ExitCode(SigportExitCode.inputUnreadable.rawValue)
        }
        let checkpoint = try Checkpoint(directory: URL(fileURLWithPath: runDir))
        let inputs = try checkpoint.inputs()
        for input in inputs {
            let share = input.size > 0 ? Double(input.byteOffsetDone) / Double(input.size) * 100 : 100
            print("\(input.finished ? "done " : String(format: "%4.0f%%", share)) \(input.path): \(input.rowsDone) rows done (sent \(input.mapped), rejected \(input.rejected), filtered \(input.filtered)), \(input.values) values")
        }
        let chunks = try checkpoint.chunkCounts()
        let states = chunks.byState.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        // A run killed before its first request has rows read but nothing sent.
        print(states.isEmpty ? "requests: none sent yet" : "requests: " + states.joined(separator: ", ") + ", \(chunks.bytes) bytes")
        if let last = try checkpoint.lastRequestAt() { print("last request: \(ISO8601DateFormatter().string(from: last))") }
        print("signals with ids: \(try checkpoint.signalIDs().count)")
    }
}
