import Foundation

/// Credentials for both APIs, read from a file (never from argv): `--credentials FILE` or the
/// `SIGPORT_CREDENTIALS` environment variable. The file must not be readable by group or others.
///
/// Its `integration` object is the credentials file the official integration SDKs read (so one
/// downloaded from the API's admin pages works as is); `ox` holds ox orgs with a client each.
/// `sigport emulator --bootstrap FILE` writes one for the emulator.
public struct Credentials: Sendable, Decodable {
    public var integration: IntegrationCredentials?
    public var ox: OxCredentials?

    public static let environmentVariable = "SIGPORT_CREDENTIALS"

    /// Loads `path`, or the file named by `SIGPORT_CREDENTIALS`.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Credentials {
        guard let path = path ?? environment[environmentVariable] else {
            throw SigportError(.credentials, "No credentials given.",
                               hint: "Pass --credentials FILE or set \(environmentVariable); `sigport emulator --bootstrap FILE` writes one for the emulator.")
        }
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw SigportError(.credentials, "Cannot read the credentials file \(path).", hint: "Check the path.", cause: error)
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw SigportError(.credentials, "The credentials file \(path) is readable by others (mode \(String(mode, radix: 8))).",
                               hint: "Run `chmod 600 \(path)`: it holds secrets.")
        }
        do {
            return try JSONDecoder().decode(Credentials.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as DecodingError {
            // The decoding error names the field, never its value.
            throw SigportError(.credentials, "The credentials file \(path) is not in the expected shape.",
                               hint: "See docs/credentials.md.", cause: CredentialsShapeError(error))
        } catch {
            throw SigportError(.credentials, "Cannot read the credentials file \(path).", cause: error)
        }
    }
}

/// A decoding error reduced to the path of the bad field, so no secret can leak into a message.
struct CredentialsShapeError: Error, CustomStringConvertible {
    let description: String
    init(_ error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): description = "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): description = "wrong type at \(path(context.codingPath))"
        case .dataCorrupted(let context): description = context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context.codingPath))"
        @unknown default: description = "invalid"
        }
    }
}

/// The integration API: the official SDKs' file format, plus an optional Basic-auth pair.
public struct IntegrationCredentials: Sendable, Decodable, CustomStringConvertible {
    public struct ClientCredentials: Sendable, Decodable {
        public var clientId: String
        public var clientSecret: String
        public init(clientId: String, clientSecret: String) {
            self.clientId = clientId
            self.clientSecret = clientSecret
        }
    }
    public struct BasicAuth: Sendable, Decodable {
        public var username: String
        public var password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public var apiUrl: String
    public var integration: String
    public var credentials: ClientCredentials?
    public var basicAuth: BasicAuth?

    public init(apiUrl: String, integration: String, credentials: ClientCredentials? = nil, basicAuth: BasicAuth? = nil) {
        self.apiUrl = apiUrl
        self.integration = integration
        self.credentials = credentials
        self.basicAuth = basicAuth
    }

    /// Secrets redacted: safe to log.
    public var description: String {
        "integration \(integration) at \(apiUrl) (\(credentials != nil ? "OAuth client \(credentials!.clientId), secret ***" : "Basic auth, password ***"))"
    }
}

public struct OxCredentials: Sendable, Decodable {
    public struct Org: Sendable, Decodable, CustomStringConvertible {
        public var org: String
        /// The client's entity id.
        public var client: String
        public var clientApiKey: String
        public var description: String { "org \(org), client \(client), key ***" }
        public init(org: String, client: String, clientApiKey: String) {
            self.org = org
            self.client = client
            self.clientApiKey = clientApiKey
        }
    }

    public var apiUrl: String
    public var orgs: [Org]
}
