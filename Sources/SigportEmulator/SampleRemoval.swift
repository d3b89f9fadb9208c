import Foundation
import GRDB
import Hummingbird
import NIOCore

/// `POST /_emulator/integration/remove`: takes samples out of a signal, as a user or another tool
/// could do to an org behind sigport's back. The integration API documents no way to delete data,
/// so `sigport verify`'s end-to-end tests need this one; it is the emulator's own, not part of the
/// contract (like `/_emulator/stats`), and served only with `tamperingHooks` set.
///
/// Body: `{"integration": id, "input": input ID, "times": [µs since 1970, …]}`; the answer says
/// how many samples were removed.
struct SampleRemoval: Decodable, Sendable {
    var integration: String
    var input: String
    var times: [Int64]

    struct Answer: Encodable, Sendable { var removed: Int }

    static func register(on router: Router<EmulatorRequestContext>, store: EmulatorStore) {
        router.post("/_emulator/integration/remove") { request, _ in
            guard case .whole(let body) = await BodyReader.read(request, limit: 16 << 20),
                  let removal = try? JSONDecoder().decode(SampleRemoval.self, from: Data(body.readableBytesView)) else {
                return Response(status: .badRequest)
            }
            return Response.json(Answer(removed: try await store.write { try removal.apply($0) }))
        }
    }

    /// Rewrites the signal's segments without the given times.
    func apply(_ db: Database) throws -> Int {
        guard let signalID = try String.fetchOne(db, sql: "SELECT id FROM signal WHERE integration = ? AND inputID = ?", arguments: [integration, input]) else {
            return 0
        }
        let stored = try SampleSegments.fetch(db, signalID: signalID, from: .min, to: .max)
        let gone = Set(times)
        let kept = zip(stored.times, stored.values).filter { !gone.contains($0.0) }
        try db.execute(sql: "DELETE FROM segment WHERE signalID = ?", arguments: [signalID])
        try SampleSegments.append(db, signalID: signalID, times: kept.map(\.0), values: kept.map(\.1))
        return stored.times.count - kept.count
    }
}
