import Crypto
import Foundation

/// When each API credential last sent a request, kept across processes, so that sigport
/// commands run one after another (`check`, then `import`, then another `import`) share the
/// credential's one request per second instead of each opening with a 429.
///
/// One tiny file per credential under `$XDG_STATE_HOME/sigport/pace` (default
/// `~/.local/state/sigport/pace`), named by a hash of the API URL and the credential's id — no
/// secret is written.
public struct PaceLedger: Sendable {
    public let directory: URL

    public init(directory: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let directory {
            self.directory = directory
        } else {
            let state = environment["XDG_STATE_HOME"].map(URL.init(fileURLWithPath:))
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state")
            self.directory = state.appendingPathComponent("sigport/pace")
        }
    }

    public static func key(apiUrl: String, credential: String) -> String {
        SHA256.hash(data: Data((apiUrl + "\n" + credential).utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    public func last(_ key: String) -> Date? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent(key), encoding: .utf8),
              let seconds = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Best effort: a ledger that cannot be written only costs a possible 429, which is retried.
    public func record(_ key: String, at date: Date = Date()) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? String(date.timeIntervalSince1970).write(to: directory.appendingPathComponent(key), atomically: true, encoding: .utf8)
    }
}
