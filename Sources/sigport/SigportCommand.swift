import ArgumentParser

@main
struct SigportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigport",
        abstract: "Move device time-series data in and out of the integration API and the ox API.",
        discussion: """
        Every command runs offline against the embedded emulator of both APIs; start one with
        `sigport emulator --bootstrap creds.json`.
        """,
        subcommands: [ImportCommand.self, StatusCommand.self, ValidateCommand.self, PlanCommand.self, CheckCommand.self, EmulatorCommand.self])
}
