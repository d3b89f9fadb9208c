import Foundation
import NIOHTTP1
import SigportContract
import Testing
@testable import SigportEmulator

extension HostileClientTests {
    @Suite("hostile clients: wrong credentials of every shape, and reaching up a tier")
    struct Credentials {
        /// A Basic `Authorization` value built from the harness's real credentials, bent out of shape.
        struct BasicShape: Sendable, CustomTestStringConvertible {
            let name: String
            let header: @Sendable (_ id: String, _ password: String) -> String
            var testDescription: String { name }

            static func basic(_ bytes: some Sequence<UInt8>) -> String { "Basic " + Data(bytes).base64EncodedString() }

            static let all: [BasicShape] = [
                BasicShape(name: "empty user") { _, password in basic(Array(":\(password)".utf8)) },
                BasicShape(name: "empty password") { id, _ in basic(Array("\(id):".utf8)) },
                BasicShape(name: "empty user and password") { _, _ in basic(Array(":".utf8)) },
                BasicShape(name: "no colon: user and password run together") { id, password in basic(Array("\(id)\(password)".utf8)) },
                BasicShape(name: "no colon: the user alone") { id, _ in basic(Array(id.utf8)) },
                BasicShape(name: "the user in upper case") { id, password in basic(Array("\(id.uppercased()):\(password)".utf8)) },
                BasicShape(name: "the password with a trailing space") { id, password in basic(Array("\(id):\(password) ".utf8)) },
                BasicShape(name: "not base64") { _, _ in "Basic %%%%****" },
                BasicShape(name: "base64 of the wrong length") { id, password in String(basic(Array("\(id):\(password)".utf8)).dropLast()) },
                BasicShape(name: "the pair as plain text, not base64") { id, password in "Basic \(id):\(password)" },
                BasicShape(name: "base64 of invalid UTF-8") { _, _ in basic([0xFF, 0xFE, 0x3A, 0xC3, 0x28]) },
                BasicShape(name: "the scheme alone") { _, _ in "Basic" },
                BasicShape(name: "the right pair twice") { id, password in
                    basic(Array("\(id):\(password)".utf8)) + " " + Data("\(id):\(password)".utf8).base64EncodedString()
                },
                BasicShape(name: "64 KiB of base64 without a colon") { _, _ in "Basic " + String(repeating: "QUFB", count: 16_384) },
                BasicShape(name: "64 KiB: the right user, a 48 KiB password") { id, _ in basic(Array("\(id):\(String(repeating: "p", count: 49_152))".utf8)) },
                BasicShape(name: "64 KiB of bytes that are not base64") { _, _ in "Basic " + String(repeating: "!", count: 65_536) },
            ]
        }

        @Test("wrong Basic credentials of every shape: 401 with the JSON-RPC -32003 body, nothing changed", arguments: BasicShape.all)
        func wrongBasic(shape: BasicShape) async throws {
            try await EmulatorHarness.with { h in
                let basic = h.credentials.integration.basicAuth
                let header = shape.header(basic.username, basic.password)
                let reply = try await within(hostileBound, shape.name) {
                    try await h.send(.POST, "v1/rpc", headers: [("Authorization", header), ("Content-Type", "application/json")],
                                     body: Data(HostileClientTests.insertRequest(h.integrationID)))
                }
                expectRPCError(reply, status: 401, code: -32003)
                #expect(reply.headers.first(name: "WWW-Authenticate")?.hasPrefix("Basic") == true)
                #expect(try await h.signalInputs() == [], "nothing stored")
                #expect(await h.emulator.stats().paceViolations == 0)
                try await h.insertOne("after")
            }
        }

        @Test("a client naming its own org and another in one list is refused as a whole (403), naming only the other; nothing changes")
        func ownAndOtherOrg() async throws {
            try await OxFixture.with(orgs: 2) { ox in
                let token = try await ox.token(0)
                let own = ox.orgID(0), other = ox.orgID(1)
                let before = try await ox.snapshot()
                let read = try await ox.call(.GET, "org/\(own),\(other)", token: token)
                expectOxFailure(read, code: 403, info: "own org")
                #expect(failedIDs(read) == [other])
                #expect(read.json["data"]?["org_alias"] == nil && read.json["data"]?.arrayValue?.first?["org_alias"] == nil, "nothing of either org leaks")
                let update = try await ox.call(.PUT, "org", token: token,
                                               body: #"{"\#(own)": {"org_alias": "mine"}, "\#(other)": {"org_alias": "taken"}}"#)
                expectOxFailure(update, code: 403)
                #expect(failedIDs(update) == [other])
                expectOxFailure(try await ox.call(.DELETE, "org/\(own),\(other)", token: token), code: 403, info: "Only Signal")
                expectOxFailure(try await ox.call(.POST, "org", token: token, body: "[\(OxSamples.org()), \(OxSamples.org())]"), code: 403)
                #expect(try await ox.snapshot() == before)
                // The admin sees both orgs untouched.
                let both = try await ox.call(.GET, "org/\(own),\(other)", token: ox.admin)
                #expect(both.json["data"]?.arrayValue?.map { $0["org_alias"] } == [.string("Emulator org 1"), .string("Emulator org 2")])
            }
        }
    }
}
