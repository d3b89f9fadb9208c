import ArgumentParser
import SigportContract

/// The size and rate limits a command packs and paces by: the documented ones unless overridden.
/// Shared by every command that sends requests or plans them.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Largest request body in bytes.",
        discussion: "Default: the declared integration API version's limit (1.1: 8,000,000, under its \"about 8 MiB\"; 1.1beta1: 9 MiB; 1.0: 8 MiB), or 9 MiB for ox."))
    var maxRequestBytes: Int?

    @Option(help: ArgumentHelp(
        "Pace every method at this many requests per second instead of its documented rate.",
        discussion: "Default: each method's documented rate (integration API 1.1: inserts, saveSignals and dataFrame 1/s, publishSignals 5/s, selectSignals and selectItems 10/s; 1.0 and 1.1beta1: 1/s for all; ox: 1/s). For a service that grants another limit."))
    var requestsPerSecond: Double?

    func validate() throws {
        if let maxRequestBytes, maxRequestBytes < 1024 { throw ValidationError("--max-request-bytes must be at least 1024.") }
        if let requestsPerSecond, requestsPerSecond <= 0 { throw ValidationError("--requests-per-second must be positive.") }
    }
}

/// The integration API version a command declares in `X-API-Version`, for the commands whose
/// requests every version takes (saveSignals, insert); the read commands speak 1.1.
struct APIVersionOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Integration API version to declare: 1.1, 1.1beta2, 1.1beta1 or 1.0; its request shapes and limits apply.",
        valueName: "version"))
    var apiVersion: IntegrationAPIVersion = .v1_1
}

extension IntegrationAPIVersion: ExpressibleByArgument {}
