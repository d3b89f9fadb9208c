import Hummingbird
import NIOCore

/// The request context of the emulator's routes. Bodies are read by `RequestGate` with the
/// configured limit, so the context's own upload limit is not the one that answers 413.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's IP address: the ox token endpoint is paced per source.
    let sourceAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        sourceAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    var maxUploadSize: Int { 64 * 1024 * 1024 }
}
