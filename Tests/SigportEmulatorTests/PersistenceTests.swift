import Foundation
import Testing
@testable import SigportEmulator

@Suite("--db: state kept across restarts")
struct PersistenceTests {
    @Test("values, signals and ox tokens survive a restart on the same SQLite file")
    func restart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let configuration = EmulatorConfiguration(databasePath: path, requestInterval: .zero)
        let (credentials, token) = try await EmulatorHarness.with(configuration) { (h: EmulatorHarness) async throws in
            let reply = try await h.rpc("integration.insert", #"{"integration":"\#(h.integrationID)","data":{"times":["2024-03-01T00:00:00Z"],"series":{"kept":[42]}}}"#)
            #expect(reply.status == 200)
            return (h.credentials, try await h.oxToken())
        }
        try await Emulator.withRunning(configuration) { emulator, base, _ in
            let h = EmulatorHarness(emulator: emulator, baseURL: base, credentials: credentials)
            #expect(try await InsertTests.stored(h, "kept") == [1_709_251_200_000_000: 42], "the first run's values, with its credentials")
            let root = try await h.ox(.GET, "", token: token)
            #expect(root.status == 200, "a token from before the restart is still valid: the signing key is in the file")
        }
    }

    @Test("the database file (and its -wal and -shm) is readable by its owner only, a file made 0644 before too: it holds the ox signing key")
    func ownerOnly() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        @Sendable func mode(_ file: String) throws -> Int { ((try FileManager.default.attributesOfItem(atPath: file))[.posixPermissions] as? NSNumber)?.intValue ?? -1 }
        let modes = try await Emulator.withRunning(EmulatorConfiguration(databasePath: path, requestInterval: .zero)) { _, _, _ in
            try ["", "-wal", "-shm"].filter { FileManager.default.fileExists(atPath: path + $0) }.map { try mode(path + $0) }
        }
        #expect(modes.count >= 2 && modes.allSatisfy { $0 == 0o600 }, "\(modes.map { String($0, radix: 8) })")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let again = try await Emulator.withRunning(EmulatorConfiguration(databasePath: path, requestInterval: .zero)) { _, _, _ in try mode(path) }
        #expect(again == 0o600, "an existing file is made the owner's alone")
    }
}
