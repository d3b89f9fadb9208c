import HTTPTypes
import HummingbirdCore
import NIOHTTPTypes
import NIOCore

/// Stamps each request head with the moment it arrived, on the event loop as the head is
/// decoded — before any task runs for it. The pace is judged by this stamp: a handler task that
/// starts late on a loaded machine would otherwise make a well-paced client look too fast.
/// Any stamp a client sends is overwritten.
final class ArrivalStamp: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let field = HTTPField.Name("X-Sigport-Emulator-Arrival")!
    /// Stamps are nanoseconds from this instant, so that any clock's instants fit a header.
    private static let origin = ContinuousClock.now

    private let clock: PaceClock

    init(clock: PaceClock) {
        self.clock = clock
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let (seconds, attoseconds) = Self.origin.duration(to: clock.now()).components
        head.headerFields[Self.field] = String(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// The stamped arrival; `now` for a request that has none (it did not come through a channel).
    static func arrival(of headers: HTTPFields, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        guard let text = headers[field], let nanoseconds = Int64(text) else { return now }
        return origin + .nanoseconds(nanoseconds)
    }
}
