/// A failure sigport reports to its user: what went wrong, what to do next, the underlying cause
/// and where it was noticed. Never carries a secret or a row's values.
public struct SigportError: Error, CustomStringConvertible, Sendable {
    /// Kinds of failure, stable for programs that match on them.
    public enum Code: String, Sendable {
        case credentials
        case insecureTransport
        case unreachable
        case unauthorized
        case forbidden
        case rejectedByServer
        case unexpectedResponse
        case invalidArgument
        /// The run directory cannot be written (disk full, read-only) or its store is damaged.
        case storage
    }

    public let code: Code
    /// What happened, in a sentence.
    public let message: String
    /// What the user can do about it.
    public let hint: String?
    /// The error underneath, described (already redacted).
    public let cause: String?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, hint: String? = nil, cause: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.hint = hint
        self.cause = cause.map { String(describing: $0) }
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = message
        if let hint { text += "\n  hint: \(hint)" }
        if let cause { text += "\n  cause: \(cause)" }
        return text
    }

    /// Where sigport noticed the failure, for bug reports (`--debug`).
    public var location: String { "\(file):\(line)" }
}
