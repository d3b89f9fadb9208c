import ArgumentParser
import Foundation
import Sigport
import SigportContract

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move what an org owns to another org.",
        subcommands: [MigrateOxCommand.self, MigrateOxToIntegrationCommand.self])
}

/// Where a migration reads from and keeps its checkpoint; shared by both migrate commands.
struct MigrationSourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The ox org to migrate from (its entity id).", valueName: "org"))
    var fromOrg: String

    @Option(help: ArgumentHelp("A run directory whose ledger names events (an earlier import or migration); repeatable.", valueName: "run-dir"))
    var eventsFrom: [String] = []

    @Option(help: ArgumentHelp("A file of event ids, one per line.", valueName: "file"))
    var eventIds: String?

    @Option(help: ArgumentHelp("Where the migration's checkpoint goes.", valueName: "dir"))
    var runDir = "sigport-migrate"
}
