/// A mistake in a mapping file, located by file, YAML line and key, with what to do about it.
public struct MappingError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int
    /// The key's dotted path (`signals[2].input_id`).
    public let key: String
    public let message: String

    public var description: String { "\(file):\(line): \(key): \(message)" }
}

/// Suggests the known word closest to a misspelt one (edit distance ≤ 2), for "did you mean".
enum DidYouMean {
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
