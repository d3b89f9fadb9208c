import Foundation

/// The parts of sigport's `--report` JSON (plan and import write the same `requests` and
/// `total`/`rows.total` shapes) the bench reads: the figures come from sigport's own count of
/// rows, values, requests and body bytes, not from a re-derivation that could drift from it.
struct RunReport: Decodable {
    struct Method: Decodable {
        var requests: Int
        var bytes: Int
    }
    struct Requests: Decodable {
        var limit: Int
        var byMethod: [String: Method]
    }
    struct Counts: Decodable {
        var read: Int
        var mapped: Int
        var values: Int
        /// Values at a time their signal already had (`duplicates: keep-first` or `keep-last`).
        var duplicates: Int
    }
    private struct Rows: Decodable { var total: Counts }

    var requests: Requests
    /// Rows and values over all inputs.
    var total: Counts

    private enum CodingKeys: String, CodingKey { case requests, total, rows }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requests = try container.decode(Requests.self, forKey: .requests)
        // plan nests the counts under `rows`; import has them at the top.
        total = try container.decodeIfPresent(Counts.self, forKey: .total)
            ?? container.decode(Rows.self, forKey: .rows).total
    }

    static func read(_ path: String) throws -> RunReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("no report at \(path)") }
        do { return try JSONDecoder().decode(RunReport.self, from: data) } catch { throw BenchError("cannot read the report \(path): \(error)") }
    }

    /// Every request, token fetches included: each one takes a slot of the pace.
    var requestCount: Int { requests.byMethod.values.reduce(0) { $0 + $1.requests } }
    /// Every request body's bytes (sigport counts a token fetch as 0).
    var bodyBytes: Int { requests.byMethod.values.reduce(0) { $0 + $1.bytes } }
    /// Requests that carry a body (token fetches left out): what bytes per request divides by.
    var requestsWithBody: Int { requests.byMethod.values.filter { $0.bytes > 0 }.reduce(0) { $0 + $1.requests } }

    /// "11 integration.insert + 1 integration.saveSignals + 1 oauth/token"
    var breakdown: String {
        requests.byMethod.sorted { ($1.value.requests, $0.key) < ($0.value.requests, $1.key) }
            .map { "\($0.value.requests) \($0.key)" }.joined(separator: " + ")
    }
}
