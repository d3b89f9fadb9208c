import NIOCore
import SigportContract

/// Packs mapped rows into request bodies the way an import sends them, and counts what it
/// would send: `sigport plan` runs it without a network.
public struct UploadPlanner {
    public let mapping: Mapping
    /// The integration API version whose dialect and limits the bodies follow.
    public let version: IntegrationAPIVersion
    public let limit: Int
    public private(set) var plan: RequestPlan
    private var frame: InsertFrameBuilder
    /// Each insert body in turn, in one buffer: bodies are written to be counted, not kept.
    private var body = ByteBuffer()
    private var events: OxEventBatchBuilder
    /// Entity ids are unknown until the entities are created; every id is 16 digits, so a
    /// placeholder of that width gives exact sizes.
    private static let placeholderID: Int64 = 1_000_000_000_000_000
    private static let placeholderIntegration = "00000000000000000000"
    private var nextID = 1
    public private(set) var rowsTooLarge = 0

    /// - Parameter limit: the largest body; nil packs as an import does by default (the version's
    ///   limit for the integration API, 9 MiB for ox).
    public init(mapping: Mapping, version: IntegrationAPIVersion = .v1_1, limit: Int? = nil) {
        self.mapping = mapping
        self.version = version
        let limit = limit ?? (mapping.target == .ox ? OxContract.maxRequestBytes : IntegrationClient.requestLimit(version))
        self.limit = limit
        plan = RequestPlan(limit: limit)
        frame = InsertFrameBuilder(integration: Self.placeholderIntegration, requestID: 1, limit: limit)
        events = OxEventBatchBuilder(limit: limit)
    }

    public mutating func add(_ row: MappedRow, signals: [SignalDefinition]) {
        switch mapping.target {
        case .integration:
            if frame.add(time: row.time, values: row.values, name: { signals[$0].inputID }) { return }
            flushFrame()
            if !frame.add(time: row.time, values: row.values, name: { signals[$0].inputID }) { rowsTooLarge += 1 }
        case .ox:
            for event in row.events {
                func add() -> Bool {
                    events.addEvent(org: Self.placeholderID, sensor: Self.placeholderID, beacon: event.beacon.map { _ in Self.placeholderID },
                                    type: event.eventType, reading: event.reading, timestampMilliseconds: OxImporter.milliseconds(row.time))
                }
                if add() { continue }
                plan.add("POST /event", size: events.bytes)
                events.removeAll()
                if !add() { rowsTooLarge += 1 }
            }
        }
    }

    private mutating func flushFrame() {
        guard !frame.isEmpty else { return }
        // Written, as the import writes it, not only sized: the bytes counted are the body's.
        frame.encode(into: &body)
        plan.add("integration.insert", size: body.readableBytes)
        nextID += 1
        frame.removeAll(requestID: nextID)
    }

    /// Closes the last bodies and adds the requests that create metadata and entities.
    /// The token fetch is counted too: it is paced like any request (OAuth; Basic auth needs none).
    public mutating func finish(signals: [SignalDefinition], sensors: [EntityDefinition], beacons: [EntityDefinition]) -> RequestPlan {
        switch mapping.target {
        case .integration:
            flushFrame()
            for body in SaveSignalsBodies.make(signals, integration: Self.placeholderIntegration, version: version, limit: limit, firstID: nextID) {
                plan.add("integration.saveSignals", size: body.count)
            }
            plan.add("oauth/token", size: 0)
        case .ox:
            if !events.isEmpty { plan.add("POST /event", size: events.bytes) }
            for (method, entities) in [("POST /sensor", sensors), ("POST /beacon", beacons)] {
                for body in OxEntityBodies.make(entities, org: Self.placeholderID, limit: limit) { plan.add(method, size: body.count) }
            }
            plan.add("GET /client/token", size: 0)
        }
        return plan
    }

    /// Requests per second of `method`'s lane at the documented pace (or `override` for all).
    public func requestsPerSecond(of method: String, override: Double? = nil) -> Double {
        if let override { return override }
        switch mapping.target {
        case .integration: return IntegrationLimits.of(version).requestsPerSecond(of: method)
        case .ox: return Double(OxContract.requestsPerSecond)
        }
    }
}
