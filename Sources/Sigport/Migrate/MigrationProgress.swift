/// How far a migration got, for its feedback: what it is doing, to which kind of entity, and how
/// many of them are done (over all sessions of the run: a resumed copy starts at what is done).
public struct MigrationProgress: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable {
        /// Reading the source: its org, entities and the listed events (`done` = what was found).
        case reading
        case copying, moving
        /// Reading the copies back to compare.
        case verifying
    }

    public var phase: Phase
    /// `sensor`, `beacon` or `event`; empty while reading.
    public var kind: String
    public var done: Int
    public var total: Int
    /// Requests this session, and its seconds so far.
    public var requests: Int
    public var seconds: Double
}
