import Foundation
import SigportEmulator
import Testing
@testable import Sigport

@Suite("credentials and transport safety")
struct CredentialsTests {
    static let sample = #"{"integration":{"apiUrl":"https://api.example.com/v1/","integration":"c8ktonqsahsmemfs7lv0","credentials":{"type":"client-credentials","clientId":"id","clientSecret":"TOPSECRET"}}}"#

    @Test("a file readable by group or others is refused, naming the fix")
    func permissions() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let path = dir.appendingPathComponent("c.json").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(Self.sample.utf8), attributes: [.posixPermissions: 0o644])
            let error = #expect(throws: SigportError.self) { try Credentials.load(path: path) }
            #expect(error?.code == .credentials)
            #expect(error?.hint?.contains("chmod 600") == true)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            let credentials = try Credentials.load(path: path)
            #expect(credentials.integration?.integration == "c8ktonqsahsmemfs7lv0")
            #expect(!String(describing: credentials.integration!).contains("TOPSECRET"), "descriptions redact secrets")
        }
    }

    @Test("SIGPORT_CREDENTIALS names the file when --credentials is absent; neither is a clear error")
    func environment() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let path = dir.appendingPathComponent("c.json").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(Self.sample.utf8), attributes: [.posixPermissions: 0o600])
            #expect(try Credentials.load(path: nil, environment: ["SIGPORT_CREDENTIALS": path]).integration != nil)
            let error = #expect(throws: SigportError.self) { try Credentials.load(path: nil, environment: [:]) }
            #expect(error?.message == "No credentials given.")
        }
    }

    @Test("a malformed file names the field, never a value")
    func shape() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let path = dir.appendingPathComponent("c.json").path
            let text = #"{"integration":{"apiUrl":"https://x/","integration":"c8ktonqsahsmemfs7lv0","credentials":{"clientId":"id","clientSecret":42}}}"#
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            let error = #expect(throws: SigportError.self) { try Credentials.load(path: path) }
            #expect(error?.cause == "wrong type at integration.credentials.clientSecret")
        }
    }

    @Test("HTTPS by default; plain HTTP only to loopback unless allowed")
    func endpoints() throws {
        #expect(try Endpoint("https://api.example.com/v1").base == "https://api.example.com/v1/")
        #expect(try Endpoint("http://127.0.0.1:8080/").base == "http://127.0.0.1:8080/")
        #expect(try Endpoint("http://localhost:8080/v1/").base == "http://localhost:8080/v1/")
        let error = #expect(throws: SigportError.self) { try Endpoint("http://api.example.com/") }
        #expect(error?.code == .insecureTransport)
        #expect(try Endpoint("http://api.example.com/", allowInsecureHTTP: true).base == "http://api.example.com/")
    }
}

@Suite("sigport check against the emulator")
struct TargetCheckTests {
    @Test("good credentials pass on both APIs, at the documented pace, with no 429")
    func good() async throws {
        try await withEmulator { (base: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                let path = dir.appendingPathComponent("c.json").path
                try credentials.write(to: path)
                let results = await TargetCheck.run(try Credentials.load(path: path))
                #expect(results.map(\.ok) == [true, true], "\(results)")
                let stats = await emulator.stats()
                #expect(stats.paceViolations == 0)
            }
        }
    }

    @Test("a wrong ox API key is a clear, final error naming the credential")
    func wrongKey() async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (base: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            var org = try #require(credentials.ox.orgs.first.map { OxCredentials.Org(org: $0.org, client: $0.client, clientApiKey: $0.clientApiKey) })
            // Letters: ids are digits, so a digit-only key could appear inside one by chance.
            org.clientApiKey = "wrong-key-qzx"
            let result = await TargetCheck.checkOx(apiUrl: base, org: org, allowInsecureHTTP: false, transport: HTTPTransport())
            #expect(!result.ok)
            #expect(result.detail.contains("API key of client \(org.client)"))
            #expect(!result.detail.contains("wrong-key-qzx"))
        }
    }

    @Test("a wrong OAuth secret fails the integration check without printing it")
    func wrongSecret() async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (base: String, credentials: EmulatorCredentials, _: Emulator) async throws in
            let bad = IntegrationCredentials(apiUrl: credentials.integration.apiUrl, integration: credentials.integration.integration,
                                             credentials: .init(clientId: credentials.integration.credentials.clientId, clientSecret: "WRONGSECRET"))
            let result = await TargetCheck.checkIntegration(bad, allowInsecureHTTP: false, transport: HTTPTransport())
            #expect(!result.ok)
            #expect(!result.detail.contains("WRONGSECRET"))
        }
    }
}
