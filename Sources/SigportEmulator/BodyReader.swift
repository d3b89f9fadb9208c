import Hummingbird
import NIOCore

/// Reads a request body up to a limit. A body over the limit is read on to its end and thrown
/// away, so that the 413 that follows reaches the client: a server that answers while the client
/// is still sending, and then closes, makes many clients (Python's `urllib` and `requests` among
/// them) see a reset connection instead of the answer. Nothing of it is kept, and a body of any
/// size is read to its end: stopping part way left a client that sent `Connection: close` blocked
/// on its send for ever (Hummingbird reads what is left of a body only on a connection kept
/// alive), and a client that never ends its body holds only its own connection, as a slow one does.
enum BodyReader {
    enum Outcome: Sendable {
        case whole(ByteBuffer)
        case tooLarge
        /// The client hung up mid-body, or the body could not be read.
        case unreadable
    }

    static func read(_ request: Request, limit: Int) async -> Outcome {
        var collected = ByteBuffer()
        var over = request.headers[.contentLength].flatMap(Int.init).map { $0 > limit } ?? false
        do {
            for try await chunk in request.body {
                if !over && collected.readableBytes + chunk.readableBytes > limit { over = true }
                if !over { collected.writeImmutableBuffer(chunk) }
            }
        } catch {
            return over ? .tooLarge : .unreadable
        }
        return over ? .tooLarge : .whole(collected)
    }
}
