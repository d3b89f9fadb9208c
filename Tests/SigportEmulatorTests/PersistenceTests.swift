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
}
