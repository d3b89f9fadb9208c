import Foundation
import Sigport

/// A migration's progress, shown as an import's is: a status line on a terminal, a `progress:`
/// line per batch otherwise (a migration's requests are seconds apart), a JSON object with `--json`.
extension ImportFeedback {
    func handle(_ progress: MigrationProgress) {
        switch mode {
        case .json:
            write(Self.json(progress))
        case .terminal:
            draw(Self.status(progress), every: .milliseconds(200))
        case .log:
            draw(Self.status(progress), every: .zero)
        }
    }

    static func status(_ p: MigrationProgress) -> String {
        let what = p.phase == .reading ? "read the source: \(p.done) sensors, beacons and events"
            : "\(p.phase.rawValue) \(p.kind)s: \(p.done) of \(p.total)"
        return what + String(format: " · %d requests · %@", p.requests, duration(p.seconds))
    }
}
