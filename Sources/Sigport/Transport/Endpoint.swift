import Foundation

/// A base URL sigport may talk to: HTTPS, or plain HTTP to loopback (the emulator) only, unless
/// the user explicitly allows it.
public struct Endpoint: Sendable, Equatable {
    public let base: String

    public init(_ text: String, allowInsecureHTTP: Bool = false) throws {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw SigportError(.invalidArgument, "\(text) is not a URL.", hint: "Use a full URL such as https://api.example.com/v1/.")
        }
        if scheme == "http" && !allowInsecureHTTP && !Self.isLoopback(host) {
            throw SigportError(.insecureTransport, "Refusing plain HTTP to \(host): credentials would cross the network in clear.",
                               hint: "Use https://, or pass --allow-insecure-http if you really mean it.")
        }
        guard scheme == "http" || scheme == "https" else {
            throw SigportError(.invalidArgument, "Unsupported URL scheme \(scheme).", hint: "Use https://.")
        }
        base = text.hasSuffix("/") ? text : text + "/"
    }

    public func url(_ path: String) -> String { base + path }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
