import Foundation
import Testing
@testable import Sigport
import SigportEmulator

/// HTTPS by default with certificate verification: against the emulator serving TLS with a
/// certificate of a private CA, `sigport check` fails until `--ca-file` names that CA, and the
/// failure says what to do without quoting a secret.
@Suite("TLS: certificate verification and --ca-file")
struct TransportTLSTests {
    /// A CA, and a server certificate it signs for 127.0.0.1, made with the openssl tool.
    static func makeCertificates(in dir: URL) throws -> (ca: String, chain: String, key: String) {
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=sigport test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
             "-out", path("server.pem"), "-days", "2", "-extfile", path("san.cnf")],
        ]
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: path("san.cnf"), atomically: true, encoding: .utf8)
        for arguments in steps {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw SigportError(.invalidArgument, "openssl \(arguments[0]) failed") }
        }
        return (path("ca.pem"), path("server.pem"), path("server.key"))
    }

    @Test("an unknown CA is refused; --ca-file with that CA is trusted; neither prints a secret")
    func privateCA() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let files = try Self.makeCertificates(in: dir)
            var configuration = EmulatorConfiguration(requestInterval: .zero)
            configuration.tls = .init(certificateChain: files.chain, privateKey: files.key)
            try await withEmulator(configuration) { (base: String, credentials: EmulatorCredentials, _: Emulator) async throws in
                #expect(base.hasPrefix("https://127.0.0.1:"))
                let path = dir.appendingPathComponent("c.json").path
                try credentials.write(to: path)
                let untrusted = try await CLITests.run(["check", "--credentials", path], in: dir)
                #expect(untrusted.status == 1)
                #expect(untrusted.output.contains("FAIL integration API"))
                #expect(untrusted.output.contains("FAIL ox API"))
                #expect(untrusted.output.contains("certificate was not accepted"))
                #expect(untrusted.output.contains("--ca-file"))
                #expect(!untrusted.output.contains(credentials.integration.credentials.clientSecret))
                #expect(!untrusted.output.contains(try #require(credentials.ox.orgs.first?.clientApiKey)))
                let trusted = try await CLITests.run(["check", "--credentials", path, "--ca-file", files.ca], in: dir)
                #expect(trusted.status == 0, "\(trusted.output)")
                #expect(trusted.output.contains("ok   integration API"))
                #expect(trusted.output.contains("ok   ox API"))
                let wrong = try await CLITests.run(["check", "--credentials", path, "--ca-file", path], in: dir)
                #expect(wrong.status == 4)
                #expect(wrong.output.contains("holds no PEM certificate"))
            }
        }
    }
}
