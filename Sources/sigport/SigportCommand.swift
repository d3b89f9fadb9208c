import ArgumentParser

@main
struct SigportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigport",
        abstract: "Move device time-series data in and out of the integration API and the ox API.",
        discussion: """
        validate and plan work offline; import, check and the rest talk to an API — or to the
        embedded emulator of both, so everything can be tried offline:
        `sigport emulator --port 0 --bootstrap creds.json`.
        """,
        subcommands: [ImportCommand.self, MigrateCommand.self, ExportCommand.self, StatusCommand.self, ValidateCommand.self, PlanCommand.self, CheckCommand.self, EmulatorCommand.self])
}
