import ArgumentParser
import Sigport

@main
struct SigportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigport",
        abstract: "Move device time-series data in and out of the integration API and the ox API.",
        discussion: """
        validate and plan work offline; import, check and the rest talk to an API — or to the \
        embedded emulator of both, so everything can be tried offline:
        `sigport emulator --port 0 --bootstrap creds.json`.
        """,
        subcommands: [ImportCommand.self, MigrateCommand.self, ExportCommand.self, StatusCommand.self, VerifyCommand.self, ValidateCommand.self, PlanCommand.self, CheckCommand.self, EmulatorCommand.self])

    /// The argument parser's own entry point (`main(_:)`), after the allocator policy that keeps
    /// peak memory bounded (`MemoryPolicy`).
    static func main() async {
        MemoryPolicy.apply()
        await main(nil)
    }
}
