import Foundation
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

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        head.headerFields[Self.field] = String(DispatchTime.now().uptimeNanoseconds)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// The stamped arrival as an instant of the continuous clock (now, less the time since).
    static func arrival(of headers: HTTPFields) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        guard let text = headers[field], let stamp = UInt64(text) else { return now }
        let elapsed = DispatchTime.now().uptimeNanoseconds &- stamp
        return elapsed < 60_000_000_000 ? now - .nanoseconds(Int64(elapsed)) : now
    }
}
