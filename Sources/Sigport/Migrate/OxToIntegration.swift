import Foundation
import NIOCore
import SigportContract

/// `sigport migrate ox-to-integration`: a fleet's history off the ox API onto the integration
/// API. Each sensor × event type becomes a signal — input ID from a template (default
/// `{sensor_id}/{event_type}`), name and labels from the sensor's and its beacons' fields,
/// numeric or, for the event types given, enum — and each event a value of it in
/// `integration.insert` frames: packed under the size limit, paced, retried, and resumable
/// (inserts are idempotent; the checkpoint records the events of every answered frame).
public final class OxToIntegration {
    public struct Options: Sendable {
        public var runDirectory: URL
        public var ledgers: [URL] = []
        public var eventIDFile: String?
        /// Fields: `sensor_id`, `sensor_type`, `sensor_version`, `sensor` (its entity id), `event_type`, `org`.
        public var inputID = "{sensor_id}/{event_type}"
        /// Event types whose readings are enum keys, with the keys' names.
        public var enumTypes: [String: [Int: String]] = [:]
        /// Event types whose readings are multiplied by a factor (undoing an import's `reading:
        /// scale`, say 0.1 for tenths). Others are sent as stored, and their signals say so.
        public var scales: [String: Double] = [:]
        public var maxRequestBytes = IntegrationClient.requestLimit(.v1_1)
        public var maxAttempts = 8
        public init(runDirectory: URL) { self.runDirectory = runDirectory }
    }

    public struct Report: Codable, Sendable {
        public var signals = 0
        public var events = 0
        /// Events not migrated, with why (an input ID the template makes invalid, a reading a
        /// Double cannot hold exactly).
        public var rejected: [String] = []
        public var requests = 0
        public var seconds = 0.0
    }

    let source: OxClient
    let integration: IntegrationClient
    let options: Options
    let checkpoint: Checkpoint
    private var report = Report()

    public init(source: OxClient, integration: IntegrationClient, options: Options) throws {
        self.source = source
        self.integration = integration
        self.options = options
        checkpoint = try Checkpoint(directory: options.runDirectory)
    }

    /// One event as a value: its signal's input ID, time (µs) and reading.
    struct Value { let event: String; let inputID: String; let time: Int64; let value: Double }

    public func run() async throws -> Report {
        let started = ContinuousClock.now
        let enums = options.enumTypes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.sorted { $0.key < $1.key })" }.joined(separator: ";")
        let scales = options.scales.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ";")
        _ = try checkpoint.begin(mappingText: "migrate ox-to-integration \(source.org.org) \(options.inputID) \(enums)\(scales.isEmpty ? "" : " scale \(scales)")",
                                 target: "integration", inputs: [])
        let reader = OxInventoryReader(source: source, fallback: nil, ledgers: options.ledgers, eventIDFile: options.eventIDFile)
        let inventory = try await reader.take()
        report.requests += reader.requests
        let (signals, values) = translate(inventory)
        report.signals = signals.count
        let rpc = RPCExchange(client: integration, checkpoint: checkpoint, maxAttempts: options.maxAttempts, onEvent: { _ in })
        var stats = ExchangeStats(limit: options.maxRequestBytes)
        // Metadata first, once per signal (again only if it changed).
        let saved = try checkpoint.signalIDs()
        let definitions = signals.filter { saved[$0.inputID]?.saveView != SaveSignalsBodies.saveView($0, version: integration.version) }
        for body in SaveSignalsBodies.make(definitions, integration: integration.credentials.integration, version: integration.version, limit: options.maxRequestBytes, firstID: 1) {
            let result = try await send(rpc, ByteBuffer(bytes: body), method: "integration.saveSignals", stats: &stats)
            try checkpoint.saveSignals(definitions.compactMap { definition in
                result.signalsByInput[definition.inputID].map { SignalIDRecord(inputID: definition.inputID, signalID: $0.id, saveView: SaveSignalsBodies.saveView(definition, version: integration.version)) }
            })
        }
        // Then the values, in time order, skipping the events of frames already answered.
        let done = try checkpoint.migrated(kind: "event")
        var frame = newFrame()
        var inFrame: [Value] = []
        for value in values where done[value.event] == nil {
            if frame.add(time: value.time, values: [(value.inputID, value.value)]) {
                inFrame.append(value)
                continue
            }
            try await flush(&frame, &inFrame, rpc: rpc, stats: &stats)
            guard frame.add(time: value.time, values: [(value.inputID, value.value)]) else {
                report.rejected.append("event \(value.event): alone it makes a request over \(options.maxRequestBytes) bytes")
                continue
            }
            inFrame.append(value)
        }
        try await flush(&frame, &inFrame, rpc: rpc, stats: &stats)
        report.events = try checkpoint.migrated(kind: "event").count
        report.requests += stats.requests.requests
        report.seconds = started.duration(to: .now).seconds
        return report
    }

    private func newFrame() -> InsertFrameBuilder {
        InsertFrameBuilder(integration: integration.credentials.integration, requestID: 1, limit: options.maxRequestBytes)
    }

    private func flush(_ frame: inout InsertFrameBuilder, _ values: inout [Value], rpc: RPCExchange, stats: inout ExchangeStats) async throws {
        guard !frame.isEmpty else { return }
        _ = try await send(rpc, frame.encodedBuffer(), method: "integration.insert", stats: &stats)
        var series: [String: SeriesDigest] = [:]
        for value in values { series[value.inputID, default: SeriesDigest()].add(time: value.time, value: value.value) }
        try checkpoint.recordMigrated(kind: "event", pairs: values.map { ($0.event, $0.inputID) }, events: [], series: series)
        frame = newFrame()
        values = []
    }

    private func send(_ rpc: RPCExchange, _ body: ByteBuffer, method: String, stats: inout ExchangeStats) async throws -> InsertSender.SignalsByInput {
        do {
            return try await rpc.exchange(body, method: method, stats: &stats)
        } catch let refusal as ContentRefusal {
            throw SigportError(.rejectedByServer, refusal.message, hint: "Check the --input-id template and the enum types; the run resumes where it stopped.")
        }
    }

    /// What a signal's number is: ox keeps integers, and an import may have scaled them
    /// (`reading: scale`), which nothing in ox records.
    static func describe(_ type: String, scale: Double?) -> String {
        guard let scale else {
            return "The ox event_reading of event type \(type), as ox stores it (an integer; a scale an import applied is not undone: see --scale)."
        }
        return "The ox event_reading of event type \(type) × \(JSONText.number(scale))."
    }

    /// `reading × factor`; a factor of 1/n (0.1, 0.01) divides by n instead, so that 943 × 0.1 is
    /// the double nearest 94.3 (a multiplication gives 94.30000000000001).
    static func scaled(_ reading: Int64, by factor: Double?) -> Double {
        guard let factor else { return Double(reading) }
        let divisor = (1 / factor).rounded()
        if divisor >= 2, abs(1 / factor - divisor) <= 1e-9 * divisor { return Double(reading) / divisor }
        return Double(reading) * factor
    }

    /// Signals and values from the inventory; events that cannot become a value are reported.
    func translate(_ inventory: OxInventory) -> ([SignalDefinition], [Value]) {
        let sensors = Dictionary(inventory.sensors.map { ($0.id, $0.document) }, uniquingKeysWith: { a, _ in a })
        let beacons = Dictionary(inventory.beacons.map { ($0.id, $0.document) }, uniquingKeysWith: { a, _ in a })
        var signals: [String: SignalDefinition] = [:]
        var values: [Value] = []
        for (id, event) in inventory.events {
            guard let sensorID = OxInventoryReader.idText(event["event_sensor"]), let sensor = sensors[sensorID],
                  let type = event["event_type"] as? String,
                  let reading = (event["event_reading"] as? NSNumber)?.int64Value,
                  let timestamp = (event["event_timestamp"] as? NSNumber)?.int64Value else {
                report.rejected.append("event \(id): no sensor of the org, type, reading or timestamp")
                continue
            }
            var fields: [String: String] = ["sensor": sensorID, "event_type": type, "org": source.org.org]
            for key in ["sensor_id", "sensor_type", "sensor_version"] { fields[key] = sensor[key] as? String }
            let inputID = Self.render(options.inputID, fields)
            guard IntegrationContract.inputID.matches(inputID) else {
                report.rejected.append("event \(id): input ID \"\(inputID.prefix(60))\" breaks the documented pattern")
                continue
            }
            guard abs(reading) <= 1 << 53 else {
                report.rejected.append("event \(id): reading \(reading) is beyond what a Double holds exactly")
                continue
            }
            if options.enumTypes[type] != nil, !IntegrationContract.enumKeys.contains(Int(reading)) {
                report.rejected.append("event \(id): reading \(reading) of enum type \(type) is not an enum key (0-9999)")
                continue
            }
            var signal = signals[inputID] ?? SignalDefinition(
                inputID: inputID, name: "\(type), \(fields["sensor_id"] ?? sensorID)", description: Self.describe(type, scale: options.scales[type]),
                valueType: options.enumTypes[type] == nil ? .numeric : .enum, engUnit: nil,
                labels: ["sensor_type": [fields["sensor_type"]].compactMap { $0 }, "sensor_version": [fields["sensor_version"]].compactMap { $0 },
                         "ox_sensor": [sensorID], "ox_org": [source.org.org]],
                annotations: ["sigport/source": "ox event type \(type)"], enumValues: options.enumTypes[type] ?? [:],
                sourceType: nil, sampleInterval: nil, gapDetection: nil)
            if let beaconID = OxInventoryReader.idText(event["event_beacon"]), let name = beacons[beaconID]?["beacon_id"] as? String,
               signal.labels["beacon_id", default: []].contains(name) == false {
                signal.labels["beacon_id", default: []].append(name)
                signal.labels["beacon_id"]?.sort()
            }
            signal.labels = signal.labels.filter { !$0.value.isEmpty }
            signals[inputID] = signal
            values.append(Value(event: id, inputID: inputID, time: timestamp * 1000, value: Self.scaled(reading, by: options.scales[type])))
        }
        values.sort { ($0.time, $0.inputID, $0.event) < ($1.time, $1.inputID, $1.event) }
        // A signal holds one value a time: a second event of a sensor × type at one time would
        // overwrite the first, so it is reported, not sent (sorted, such events are neighbours).
        var kept: [Value] = []
        kept.reserveCapacity(values.count)
        for value in values {
            if let last = kept.last, last.inputID == value.inputID, last.time == value.time {
                report.rejected.append("event \(value.event): signal \(value.inputID) already has event \(last.event) at this time (one value a time)")
                continue
            }
            kept.append(value)
        }
        return (signals.values.sorted { $0.inputID < $1.inputID }, kept)
    }

    /// `{field}` replaced by the field's value (empty when absent).
    static func render(_ template: String, _ fields: [String: String]) -> String {
        var out = template
        for (key, value) in fields { out = out.replacingOccurrences(of: "{\(key)}", with: value) }
        return out
    }
}
