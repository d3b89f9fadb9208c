import Foundation
import SigportContract

/// `sigport check`: proves, with one read-only request each, that the credentials work against
/// both APIs — before a long import finds out the hard way.
public enum TargetCheck {
    public struct Result: Sendable, Codable {
        public var target: String
        public var ok: Bool
        public var detail: String
    }

    public static func run(_ credentials: Credentials, allowInsecureHTTP: Bool = false, transport: HTTPTransport = HTTPTransport()) async -> [Result] {
        var results: [Result] = []
        if let integration = credentials.integration {
            results.append(await checkIntegration(integration, allowInsecureHTTP: allowInsecureHTTP, transport: transport))
        }
        for org in credentials.ox?.orgs ?? [] {
            results.append(await checkOx(apiUrl: credentials.ox!.apiUrl, org: org, allowInsecureHTTP: allowInsecureHTTP, transport: transport))
        }
        return results
    }

    static func checkIntegration(_ credentials: IntegrationCredentials, allowInsecureHTTP: Bool, transport: HTTPTransport) async -> Result {
        struct Query: Encodable {
            struct Inner: Encodable { let filter: [String: String] = [:]; let limit = 1; let skip = 0; let total = true }
            let integration: String
            let query = Inner()
        }
        struct Selection: Decodable { struct Meta: Decodable { let total: Int }; let meta: Meta }
        do {
            let client = try IntegrationClient(credentials: credentials, allowInsecureHTTP: allowInsecureHTTP, transport: transport)
            let selection = try await client.call("admin.selectSignals", params: Query(integration: credentials.integration), as: Selection.self)
            return Result(target: "integration API", ok: true,
                          detail: "integration \(credentials.integration) at \(client.endpoint.base): \(selection.meta.total) signals")
        } catch {
            return Result(target: "integration API", ok: false, detail: String(describing: error))
        }
    }

    static func checkOx(apiUrl: String, org: OxCredentials.Org, allowInsecureHTTP: Bool, transport: HTTPTransport) async -> Result {
        do {
            let client = try OxClient(apiUrl: apiUrl, org: org, allowInsecureHTTP: allowInsecureHTTP, transport: transport)
            let (status, _) = try await client.request(.GET, "org/\(org.org)")
            guard status == 200 else { throw SigportError(.rejectedByServer, "GET /org/\(org.org) got HTTP \(status).") }
            return Result(target: "ox API", ok: true, detail: "org \(org.org) as client \(org.client) at \(client.endpoint.base): token issued, org readable")
        } catch {
            return Result(target: "ox API", ok: false, detail: String(describing: error))
        }
    }
}
