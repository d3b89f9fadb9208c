import SigportContract

/// Builds one `integration.insert` request body, knowing its exact size in bytes as rows are
/// added, so every request is packed as full as the limit allows and never over it.
///
/// A frame holds unique times; rows with a time already in the frame fill that time's column
/// (long layouts write one value per row); a signal absent at a time is `null`.
struct InsertFrameBuilder {
    let integration: String
    let requestID: Int
    let limit: Int

    private(set) var times: [Int64] = []
    private var column: [Int64: Int] = [:]
    /// Input IDs in the order they joined the frame, and their values by time column.
    private(set) var inputIDs: [String] = []
    private var seriesIndex: [String: Int] = [:]
    private var series: [[Double?]] = []
    /// The body's size so far, in UTF-8 bytes.
    private(set) var bytes: Int

    var isEmpty: Bool { times.isEmpty }
    var valueCount: Int { series.reduce(0) { $0 + $1.reduce(0) { $0 + ($1 == nil ? 0 : 1) } } }

    init(integration: String, requestID: Int, limit: Int) {
        self.integration = integration
        self.requestID = requestID
        self.limit = limit
        bytes = Self.prefix(integration: integration, id: requestID).utf8.count + Self.middle.utf8.count + Self.suffix.utf8.count
    }

    private static func prefix(integration: String, id: Int) -> String {
        #"{"jsonrpc":"2.0","method":"integration.insert","id":"\#(id)","params":{"integration":\#(JSONText.string(integration)),"data":{"times":["#
    }
    private static let middle = #"],"series":{"#
    private static let suffix = "}}}}"

    /// Adds a row's values at `time` if the body stays within the limit; false when it would not
    /// (the caller sends this frame and starts the next with the row).
    mutating func add(time: Int64, values rowValues: [(inputID: String, value: Double)]) -> Bool {
        // One value per signal and time: a later one in the row wins, as a re-insert would.
        var values: [(inputID: String, value: Double)] = []
        for (id, value) in rowValues {
            if let i = values.firstIndex(where: { $0.inputID == id }) { values[i].value = value } else { values.append((id, value)) }
        }
        let existing = column[time]
        var delta = 0
        if existing == nil {
            delta += (times.isEmpty ? 0 : 1) + JSONText.time(microseconds: time).utf8.count + 2
            // Every series present gets a slot: its value or null.
            let present = Set(values.map(\.inputID))
            for id in inputIDs where !present.contains(id) { delta += 5 } // ",null" or "null,"
        }
        var newSeries = 0
        for (id, value) in values {
            let text = JSONText.number(value).utf8.count
            if let s = seriesIndex[id] {
                if let at = existing {
                    delta += text - (series[s][at].map { JSONText.number($0).utf8.count } ?? 4)
                } else {
                    delta += 1 + text
                }
            } else {
                // `"id":[null,…,value]`, after a comma if other series exist.
                let slots = existing == nil ? times.count + 1 : times.count
                delta += (inputIDs.count + newSeries == 0 ? 0 : 1) + JSONText.string(id).utf8.count + 3 + (slots - 1) * 5 + text
                newSeries += 1
            }
        }
        guard bytes + delta <= limit else { return false }
        bytes += delta
        let at: Int
        if let existing { at = existing } else {
            at = times.count
            times.append(time)
            column[time] = at
            for s in series.indices { series[s].append(nil) }
        }
        for (id, value) in values {
            if let s = seriesIndex[id] { series[s][at] = value } else {
                seriesIndex[id] = series.count
                inputIDs.append(id)
                var slots = [Double?](repeating: nil, count: times.count)
                slots[at] = value
                series.append(slots)
            }
        }
        return true
    }

    /// The frame of the times at `columns` only (a half of a request the server refused).
    func subframe(times columns: Range<Int>) -> InsertFrameBuilder {
        var part = InsertFrameBuilder(integration: integration, requestID: requestID, limit: limit)
        for at in columns {
            let values = inputIDs.indices.compactMap { s in series[s][at].map { (inputID: inputIDs[s], value: $0) } }
            let added = part.add(time: times[at], values: values)
            precondition(added, "a part of a frame is larger than the frame")
        }
        return part
    }

    /// The request body; exactly `bytes` long.
    func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes)
        out += Self.prefix(integration: integration, id: requestID).utf8
        for (i, time) in times.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out += JSONText.time(microseconds: time).utf8
            out.append(UInt8(ascii: "\""))
        }
        out += Self.middle.utf8
        for (s, id) in inputIDs.enumerated() {
            if s > 0 { out.append(UInt8(ascii: ",")) }
            out += JSONText.string(id).utf8
            out += ":[".utf8
            for (i, value) in series[s].enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += (value.map(JSONText.number) ?? "null").utf8
            }
            out.append(UInt8(ascii: "]"))
        }
        out += Self.suffix.utf8
        return out
    }
}
