/// `integration.saveSignals` bodies (API 1.1: `signalsByInput`, `valueType`) for the signals a
/// mapping produced, each body within the limit.
enum SaveSignalsBodies {
    static func make(_ signals: [SignalDefinition], integration: String, limit: Int, firstID: Int) -> [[UInt8]] {
        func prefix(_ id: Int) -> String {
            #"{"jsonrpc":"2.0","method":"integration.saveSignals","id":"\#(id)","params":{"integration":\#(JSONText.string(integration)),"signalsByInput":{"#
        }
        let suffix = #"},"createOnly":false}}"#
        var bodies: [[UInt8]] = []
        var entries: [String] = []
        var size = 0
        func flush() {
            guard !entries.isEmpty else { return }
            bodies.append(Array((prefix(firstID + bodies.count) + entries.joined(separator: ",") + suffix).utf8))
            entries = []
        }
        for signal in signals {
            let entry = JSONText.string(signal.inputID) + ":" + saveView(signal)
            let overhead = prefix(firstID + bodies.count).utf8.count + suffix.utf8.count
            if !entries.isEmpty && overhead + size + 1 + entry.utf8.count > limit { flush(); size = 0 }
            size += (entries.isEmpty ? 0 : 1) + entry.utf8.count
            entries.append(entry)
        }
        flush()
        return bodies
    }

    /// The fields the mapping sets; the rest take the API's documented defaults.
    static func saveView(_ signal: SignalDefinition) -> String {
        var fields: [String] = []
        func add(_ key: String, _ json: String) { fields.append(JSONText.string(key) + ":" + json) }
        if let name = signal.name { add("name", JSONText.string(name)) }
        add("valueType", JSONText.string(signal.valueType.rawValue))
        if let description = signal.description { add("description", JSONText.string(description)) }
        if !signal.labels.isEmpty {
            add("labels", "{" + signal.labels.sorted { $0.key < $1.key }.map { JSONText.string($0.key) + ":[" + $0.value.map(JSONText.string).joined(separator: ",") + "]" }.joined(separator: ",") + "}")
        }
        if !signal.annotations.isEmpty {
            add("annotations", "{" + signal.annotations.sorted { $0.key < $1.key }.map { JSONText.string($0.key) + ":" + JSONText.string($0.value) }.joined(separator: ",") + "}")
        }
        if let unit = signal.engUnit { add("engUnit", JSONText.string(unit)) }
        if !signal.enumValues.isEmpty {
            add("enumValues", "{" + signal.enumValues.sorted { $0.key < $1.key }.map { JSONText.string(String($0.key)) + ":" + JSONText.string($0.value) }.joined(separator: ",") + "}")
        }
        if let source = signal.sourceType { add("sourceType", JSONText.string(source)) }
        if let interval = signal.sampleInterval { add("sampleInterval", JSONText.string(interval)) }
        if let gap = signal.gapDetection { add("gapDetection", JSONText.string(gap)) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// JSON array bodies for ox create-many calls (`POST /event`, `/sensor`, `/beacon`), each within
/// the limit.
struct OxEventBatchBuilder {
    let limit: Int
    private(set) var entries: [String] = []
    /// `[` + entries joined by `,` + `]`.
    private(set) var bytes = 2

    var isEmpty: Bool { entries.isEmpty }

    init(limit: Int) { self.limit = limit }

    static func event(org: Int64, sensor: Int64, beacon: Int64?, type: String, reading: Int64, timestampMilliseconds: Int64) -> String {
        var text = #"{"parent_org":\#(org),"#
        if let beacon { text += #""event_beacon":\#(beacon),"# }
        text += #""event_sensor":\#(sensor),"event_reading":\#(reading),"event_type":\#(JSONText.string(type)),"event_timestamp":\#(timestampMilliseconds)}"#
        return text
    }

    mutating func add(_ entry: String) -> Bool {
        let delta = (entries.isEmpty ? 0 : 1) + entry.utf8.count
        guard bytes + delta <= limit else { return false }
        bytes += delta
        entries.append(entry)
        return true
    }

    func encode() -> [UInt8] { Array(("[" + entries.joined(separator: ",") + "]").utf8) }
}

/// `POST /sensor` and `POST /beacon` create-many bodies, each within the limit.
enum OxEntityBodies {
    static func make(_ entities: [EntityDefinition], org: Int64, limit: Int) -> [[UInt8]] {
        var batch = OxEventBatchBuilder(limit: limit)
        var bodies: [[UInt8]] = []
        for entity in entities {
            let entry = "{\"parent_org\":\(org)," + entity.fields.sorted { $0.key < $1.key }.map { JSONText.string($0.key) + ":" + JSONText.string($0.value) }.joined(separator: ",") + "}"
            if batch.add(entry) { continue }
            bodies.append(batch.encode())
            batch = OxEventBatchBuilder(limit: limit)
            _ = batch.add(entry)
        }
        if !batch.isEmpty { bodies.append(batch.encode()) }
        return bodies
    }
}
