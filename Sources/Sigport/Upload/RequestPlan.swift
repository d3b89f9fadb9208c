/// What an upload sends: requests and their bodies' sizes, per method. Built by the same
/// builders that make the real bodies, so `sigport plan` predicts exactly what `import` sends.
public struct RequestPlan: Codable, Sendable {
    public struct Method: Codable, Sendable {
        public var requests = 0
        public var bytes = 0
        public var largest = 0

        mutating func add(_ size: Int) {
            requests += 1
            bytes += size
            largest = max(largest, size)
        }
    }

    public var limit: Int
    public var byMethod: [String: Method] = [:]

    public var requests: Int { byMethod.values.reduce(0) { $0 + $1.requests } }
    public var bytes: Int { byMethod.values.reduce(0) { $0 + $1.bytes } }

    /// Mean bytes per request over the limit: how full requests are packed.
    public var meanFill: Double { requests == 0 ? 0 : Double(bytes) / Double(requests) / Double(limit) }

    mutating func add(_ method: String, size: Int) { byMethod[method, default: Method()].add(size) }

    /// How long the requests take at the pace: each method's requests at its lane's rate, one
    /// after another (an import saves a chunk's signals before it sends the chunk's values).
    public func seconds(requestsPerSecond rate: (String) -> Double) -> Double {
        byMethod.reduce(0) { $0 + Double($1.value.requests) / rate($1.key) }
    }

    /// Another plan's requests added to this one's (concurrent requests count apart, then merge).
    mutating func add(_ other: RequestPlan) {
        for (method, counts) in other.byMethod {
            byMethod[method, default: Method()].requests += counts.requests
            byMethod[method, default: Method()].bytes += counts.bytes
            byMethod[method, default: Method()].largest = max(byMethod[method]?.largest ?? 0, counts.largest)
        }
    }
}
