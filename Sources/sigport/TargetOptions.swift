import ArgumentParser
import Sigport

/// Where and as whom sigport connects; shared by every command that talks to an API.
struct TargetOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Credentials file (mode 0600) for the APIs; defaults to $SIGPORT_CREDENTIALS.",
        discussion: "`sigport emulator --bootstrap FILE` writes one for the emulator.", valueName: "file"))
    var credentials: String?

    @Flag(help: "Allow plain HTTP to hosts other than loopback (credentials would travel in clear).")
    var allowInsecureHttp = false

    @Option(help: ArgumentHelp("Trust only the CA certificates in this PEM file (a private CA) instead of the system's.", valueName: "file"))
    var caFile: String?

    /// Runs `body` with the HTTP transport these options ask for (its client closed after).
    func withTransport<T>(_ body: (HTTPTransport) async throws -> T) async throws -> T {
        try await HTTPTransport.with(caFile: caFile, body)
    }
}
