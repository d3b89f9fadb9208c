import SigportContract

/// `integration.saveSignals` bodies for the signals a mapping produced, each body within the
/// limit, in the dialect of the declared version (`inputs` and `type` up to 1.1beta1,
/// `signalsByInput` and `valueType` from 1.1beta2).
enum SaveSignalsBodies {
    static func make(_ signals: [SignalDefinition], integration: String, version: IntegrationAPIVersion, limit: Int, firstID: Int) -> [[UInt8]] {
        func prefix(_ id: Int) -> String {
            #"{"jsonrpc":"2.0","method":"integration.saveSignals","id":"\#(id)","params":{"integration":\#(JSONText.string(integration)),"\#(version.saveSignalsParameter)":{"#
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
            let entry = JSONText.string(signal.inputID) + ":" + saveView(signal, version: version)
            let overhead = prefix(firstID + bodies.count).utf8.count + suffix.utf8.count
            if !entries.isEmpty && overhead + size + 1 + entry.utf8.count > limit { flush(); size = 0 }
            size += (entries.isEmpty ? 0 : 1) + entry.utf8.count
            entries.append(entry)
        }
        flush()
        return bodies
    }

    /// The fields the mapping sets; the rest take the API's documented defaults.
    static func saveView(_ signal: SignalDefinition, version: IntegrationAPIVersion) -> String {
        var fields: [String] = []
        func add(_ key: String, _ json: String) { fields.append(JSONText.string(key) + ":" + json) }
        if let name = signal.name { add("name", JSONText.string(name)) }
        add(version.valueTypeField, JSONText.string(signal.valueType.rawValue))
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
    /// `[` and the entries so far, with their commas; `]` is added by `encode`.
    private var body: [UInt8] = [UInt8(ascii: "[")]
    private(set) var count = 0
    /// The body's size when encoded.
    var bytes: Int { body.count + 1 }

    var isEmpty: Bool { count == 0 }

    /// The body's whole capacity is reserved at once: grown by doubling, the first 9 MiB body
    /// copied 16 MiB through fresh pages. The slack is for the entry that does not fit, which
    /// `addEvent` writes before taking it out again. Pages not written to cost no memory.
    init(limit: Int) {
        self.limit = limit
        body.reserveCapacity(limit + 64 << 10)
    }

    /// An event's entry, as `addEvent` writes it.
    static func event(org: Int64, sensor: Int64, beacon: Int64?, type: String, reading: Int64, timestampMilliseconds: Int64) -> [UInt8] {
        var out: [UInt8] = []
        appendEvent(org: org, sensor: sensor, beacon: beacon, type: type, reading: reading, timestampMilliseconds: timestampMilliseconds, to: &out)
        return out
    }

    /// The entry's numbers and keys are written into a scratch buffer on the stack and appended
    /// in two copies (around the type's text): appended piece by piece, the twelve appends each
    /// checked the body's storage and capacity.
    private static func appendEvent(org: Int64, sensor: Int64, beacon: Int64?, type: String, reading: Int64, timestampMilliseconds: Int64,
                                    to out: inout [UInt8]) {
        // At most 161 bytes: four keys of 14 to 17 bytes, four integers of at most 20 and a sign.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 192) { buffer in
            var writer = ScratchWriter(buffer.baseAddress!)
            writer.literal(#"{"parent_org":"#)
            writer.integer(org)
            if let beacon {
                writer.literal(#","event_beacon":"#)
                writer.integer(beacon)
            }
            writer.literal(#","event_sensor":"#)
            writer.integer(sensor)
            writer.literal(#","event_reading":"#)
            writer.integer(reading)
            writer.literal(#","event_type":"#)
            out.append(contentsOf: writer.written)
        }
        JSONText.appendString(type, to: &out)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var writer = ScratchWriter(buffer.baseAddress!)
            writer.literal(#","event_timestamp":"#)
            writer.integer(timestampMilliseconds)
            writer.literal("}")
            out.append(contentsOf: writer.written)
        }
    }

    /// Writes keys and integers one after the other into a scratch buffer the caller sized.
    private struct ScratchWriter {
        let start: UnsafeMutablePointer<UInt8>
        var end: UnsafeMutablePointer<UInt8>

        init(_ start: UnsafeMutablePointer<UInt8>) {
            self.start = start
            end = start
        }

        var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: end - start) }

        mutating func literal(_ text: StaticString) {
            end.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            end += text.utf8CodeUnitCount
        }

        mutating func integer(_ value: Int64) {
            end += JSONText.writeInteger(value, to: end)
        }
    }

    /// Writes an event's entry straight into the body (the hot path of ox imports: no text per
    /// event); false, with the body unchanged, when it would pass the limit.
    mutating func addEvent(org: Int64, sensor: Int64, beacon: Int64?, type: String, reading: Int64, timestampMilliseconds: Int64) -> Bool {
        let mark = body.count
        if count > 0 { body.append(UInt8(ascii: ",")) }
        Self.appendEvent(org: org, sensor: sensor, beacon: beacon, type: type, reading: reading, timestampMilliseconds: timestampMilliseconds, to: &body)
        guard bytes <= limit else {
            body.removeLast(body.count - mark)
            return false
        }
        count += 1
        return true
    }

    /// Adds an entry already written (entities, migrated records) if it fits.
    mutating func add(_ entry: String) -> Bool {
        let delta = (isEmpty ? 0 : 1) + entry.utf8.count
        guard bytes + delta <= limit else { return false }
        if count > 0 { body.append(UInt8(ascii: ",")) }
        body.append(contentsOf: entry.utf8)
        count += 1
        return true
    }

    /// The body, in an array of its own size (not the builder's reserved capacity).
    func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 1)
        out.append(contentsOf: body)
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// Empties the batch for the next body, keeping its memory: a 9 MiB body grown anew each
    /// time costs page faults on every page (large blocks come straight from mmap).
    mutating func removeAll() {
        body.removeAll(keepingCapacity: true)
        body.append(UInt8(ascii: "["))
        count = 0
    }
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
