import Hummingbird
import NIOCore

/// Reads a request body up to a limit. A body over the limit is read on to its end and thrown
/// away (up to `drainLimit`), so that the 413 that follows reaches the client: a server that
/// answers while the client is still sending, and then closes, makes many clients (Python's
/// `urllib` and `requests` among them) see a reset connection instead of the answer.
enum BodyReader {
    enum Outcome: Sendable {
        case whole(ByteBuffer)
        case tooLarge
        /// The client hung up mid-body, or the body could not be read.
        case unreadable
    }

    /// How much of an oversized body is read and dropped before the connection is closed on it:
    /// enough for any client that merely packed too much, bounded for one that never stops.
    static let drainLimit = 64 * 1024 * 1024

    static func read(_ request: Request, limit: Int) async -> Outcome {
        var collected = ByteBuffer()
        var over = request.headers[.contentLength].flatMap(Int.init).map { $0 > limit } ?? false
        var drained = 0
        do {
            for try await chunk in request.body {
                if !over && collected.readableBytes + chunk.readableBytes > limit { over = true }
                if over {
                    drained += chunk.readableBytes
                    if drained > drainLimit { break }
                } else {
                    collected.writeImmutableBuffer(chunk)
                }
            }
        } catch {
            return over ? .tooLarge : .unreadable
        }
        return over ? .tooLarge : .whole(collected)
    }
}
