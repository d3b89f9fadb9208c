import Foundation
import NIOCore
import SigportContract

/// Builds one `integration.insert` request body, knowing its exact size in bytes as rows are
/// added, so every request is packed as full as the limit allows and never over it.
///
/// A frame holds unique times; rows with a time already in the frame fill that time's column
/// (long layouts write one value per row); a signal absent at a time is `null`.
///
/// The hot path of an import: series are found by a small integer key (the mapper's signal
/// index) rather than by hashing input IDs, each number is formatted once (its text kept inline
/// in a `CellText`), and times are sized by arithmetic and formatted only when encoded.
struct InsertFrameBuilder: Sendable {
    let integration: String
    private(set) var requestID: Int
    let limit: Int

    private(set) var times: [Int64] = []
    /// Time → column, made only once a time arrives that is not after every other: while times
    /// only grow (most inputs), a new time is known new by comparing it with the latest.
    private var column: [Int64: Int]?
    private var latest = Int64.min
    /// Per series: its input ID, and (in `series`) its values' texts by time column.
    private var names: [String] = []
    private var series = FrameSeries()
    /// Texts too long for a cell, which holds their index here.
    private var longTexts: [String] = []
    /// Series slot of each key, -1 when the key has no series in this frame.
    private var slotOfKey: [Int] = []
    /// Keys given to input IDs by the string-keyed `add`, and back.
    private var keyOfName: [String: Int] = [:]
    private var nameOfKey: [String] = []
    /// The number of the current `add`. Each series keeps the number of the last add that gave it
    /// a value (a row naming a signal twice), and that value (`FrameSeries.pending`): a new
    /// time's column is then filled in one pass over the series (value or `null`), not filled
    /// with `null`s and then overwritten.
    private var adds = 0
    /// The row's values for new series, and (at a time already in the frame) the slots it
    /// touches, whose values are pending in `series`: its first `scratchCount` entries. Entries past
    /// that are left from earlier rows and overwritten, because emptying the array per row
    /// (`removeAll`) cost 3% of a wide CSV plan.
    private var scratch: [(slot: Int, key: Int, text: CellText)] = []
    private var scratchCount = 0
    /// The body's size so far, in UTF-8 bytes.
    private(set) var bytes: Int

    var isEmpty: Bool { times.isEmpty }
    var inputIDs: [String] { names }
    /// The keys (signal indices) that have a series in this frame.
    var keys: [Int] { slotOfKey.indices.filter { slotOfKey[$0] >= 0 } }

    init(integration: String, requestID: Int, limit: Int) {
        self.integration = integration
        self.requestID = requestID
        self.limit = limit
        bytes = Self.emptySize(integration: integration, id: requestID)
    }

    /// Empties the frame for the next request, keeping its arrays' memory: `plan` fills one body
    /// after another, and arrays of a body's size grown anew each time cost a page fault per page.
    mutating func removeAll(requestID: Int) {
        self.requestID = requestID
        bytes = Self.emptySize(integration: integration, id: requestID)
        times.removeAll(keepingCapacity: true)
        column = nil
        latest = .min
        names.removeAll(keepingCapacity: true)
        uniqueSeries()
        series.removeAll()
        longTexts.removeAll(keepingCapacity: true)
        for key in slotOfKey.indices { slotOfKey[key] = -1 }
        keyOfName.removeAll(keepingCapacity: true)
        nameOfKey.removeAll(keepingCapacity: true)
    }

    /// The series to themselves, before they change: a copy of the builder shares them.
    private mutating func uniqueSeries() {
        if !isKnownUniquelyReferenced(&series) { series = series.copy() }
    }

    /// The size of a body with no times and no series.
    private static func emptySize(integration: String, id: Int) -> Int {
        prefix(integration: integration, id: id).utf8.count + middle.utf8.count + suffix.utf8.count
    }

    private static func prefix(integration: String, id: Int) -> String {
        #"{"jsonrpc":"2.0","method":"integration.insert","id":"\#(id)","params":{"integration":\#(JSONText.string(integration)),"data":{"times":["#
    }
    private static let middle = #"],"series":{"#
    private static let suffix = "}}}}"

    /// Adds a row's values at `time`, series named by input ID, if the body stays within the
    /// limit; false when it would not (the caller sends this frame and starts the next with the
    /// row). Use one of the two `add`s per frame.
    mutating func add(time: Int64, values: [(inputID: String, value: Double)]) -> Bool {
        var keyed: [MappedValue] = []
        keyed.reserveCapacity(values.count)
        for (name, value) in values {
            let key = keyOfName[name] ?? nameOfKey.count
            if key == nameOfKey.count {
                keyOfName[name] = key
                nameOfKey.append(name)
            }
            keyed.append(MappedValue(signal: key, value: value))
        }
        let names = nameOfKey
        return add(time: time, values: keyed) { names[$0] }
    }

    /// Adds a row's values at `time`, series keyed by signal index; `name` gives a key's input
    /// ID the first time the frame meets it. One value per signal and time: a later one in the
    /// row wins, as a re-insert would.
    mutating func add(time: Int64, values: [MappedValue], name: (Int) -> String) -> Bool {
        // A row left without values (all repeats, or an empty array) adds no time of `null`s.
        guard !values.isEmpty else { return true }
        adds += 1
        scratchCount = 0
        uniqueSeries()
        if time > latest, values.count == names.count, !values.isEmpty {
            if let added = addColumn(time: time, values: values) { return added }
            // The marks that attempt set are stale for the general path below.
            adds += 1
        }
        let existing: Int?
        if times.isEmpty || time > latest {
            existing = nil
        } else if time == times.last {
            existing = times.count - 1
        } else {
            if column == nil { column = Dictionary(uniqueKeysWithValues: times.enumerated().map { ($1, $0) }) }
            existing = column![time]
        }
        var delta = 0
        var newSeries = 0
        var present = 0
        let longMark = longTexts.count
        for value in values {
            let key = value.signal
            let text = value.text.isAbsent ? cell(JSONText.number(value.value)) : value.text
            let length = self.length(text)
            let slot = key < slotOfKey.count ? slotOfKey[key] : -1
            if slot >= 0, series.mark(slot) == adds {
                // The same signal again in this row: replace its value.
                delta += length - self.length(series.pending(slot))
                series.setPending(slot, add: adds, value: text)
                continue
            }
            if slot < 0, let i = scratch[..<scratchCount].firstIndex(where: { $0.slot < 0 && $0.key == key }) {
                delta += length - self.length(scratch[i].text)
                scratch[i].text = text
                continue
            }
            if slot >= 0 {
                series.setPending(slot, add: adds, value: text)
                present += 1
                guard let at = existing else {
                    // A new time's column is filled from the pending values: no scratch entry.
                    delta += 1 + length
                    continue
                }
                delta += length - self.length(series[slot, at])
            } else {
                // `"id":[null,…,value]`, after a comma if other series exist.
                let slots = existing == nil ? times.count + 1 : times.count
                delta += (names.count + newSeries == 0 ? 0 : 1) + JSONText.string(name(key)).utf8.count + 3 + (slots - 1) * 5 + length
                newSeries += 1
            }
            if scratchCount < scratch.count { scratch[scratchCount] = (slot, key, text) } else { scratch.append((slot, key, text)) }
            scratchCount += 1
        }
        if existing == nil {
            delta += newTimeSize(time)
            // Every series present gets a slot: its value or null (`,null` or `null,`).
            delta += (names.count - present) * 5
        }
        guard bytes + delta <= limit else {
            longTexts.removeLast(longTexts.count - longMark)
            return false
        }
        bytes += delta
        let at: Int
        if let existing { at = existing } else {
            at = appendTime(time)
            series.appendColumn(add: adds)
        }
        for entry in scratch[..<scratchCount] {
            if entry.slot >= 0 {
                series[entry.slot, at] = series.pending(entry.slot)
            } else {
                if entry.key >= slotOfKey.count { slotOfKey += Array(repeating: -1, count: entry.key - slotOfKey.count + 1) }
                slotOfKey[entry.key] = names.count
                let id = name(entry.key)
                names.append(id)
                let slot = series.addSeries(add: adds, value: entry.text)
                series[slot, at] = entry.text
            }
        }
        return true
    }

    /// A row at a new, latest time that gives each series of the frame one value (every row of
    /// a wide CSV after the first): its cells written straight into the new column, without the
    /// scratch entries and the pass over every series (value or `null`) that the general path
    /// needs for rows that fill an earlier time, leave series out or name new ones. Each series
    /// is still marked with the row's value, as the general path leaves it. Nil, having changed
    /// nothing but marks, when the row is not such a row.
    private mutating func addColumn(time: Int64, values: [MappedValue]) -> Bool? {
        let at = times.count
        series.reserveColumn()
        let longMark = longTexts.count
        var delta = newTimeSize(time)
        for value in values {
            let key = value.signal
            let slot = key < slotOfKey.count ? slotOfKey[key] : -1
            guard slot >= 0, series.mark(slot) != adds else {
                longTexts.removeLast(longTexts.count - longMark)
                return nil
            }
            let text = value.text.isAbsent ? cell(JSONText.number(value.value)) : value.text
            series.setPending(slot, add: adds, value: text)
            series[slot, at] = text
            delta += 1 + length(text)
        }
        guard bytes + delta <= limit else {
            longTexts.removeLast(longTexts.count - longMark)
            return false
        }
        bytes += delta
        _ = appendTime(time)
        series.commitColumn()
        return true
    }

    /// The bytes a time not yet in the frame adds: its quoted text, after a comma unless first.
    private func newTimeSize(_ time: Int64) -> Int {
        (times.isEmpty ? 0 : 1) + JSONText.timeLength(microseconds: time) + 2
    }

    /// Appends a time not yet in the frame; its column.
    private mutating func appendTime(_ time: Int64) -> Int {
        let at = times.count
        times.append(time)
        column?[time] = at
        latest = max(latest, time)
        return at
    }

    /// A number's text as a cell: inline, or kept in `longTexts`.
    private mutating func cell(_ text: String) -> CellText {
        if let inline = CellText(text) { return inline }
        longTexts.append(text)
        return .elsewhere(longTexts.count - 1)
    }

    /// The bytes a cell takes in the body.
    private func length(_ cell: CellText) -> Int {
        if let index = cell.elsewhereIndex { return longTexts[index].utf8.count }
        return cell.isNull ? 4 : cell.count
    }

    /// A cell's text; nil for `null`.
    private func text(_ cell: CellText) -> String? {
        if let index = cell.elsewhereIndex { return longTexts[index] }
        return cell.string
    }

    /// The frame a body of this builder's encodes, read back (a request the server refused, to
    /// be split): a request in flight keeps its body, not its frame.
    init(decoding body: ByteBuffer, limit: Int) throws {
        // JSONDecoder, not JSONSerialization: the latter rounds some decimals wrongly on Linux.
        struct Body: Decodable {
            struct Params: Decodable { let integration: String; let data: Frame }
            struct Frame: Decodable { let times: [String]; let series: [String: [Double?]] }
            let id: String
            let params: Params
        }
        struct Unreadable: Error {}
        let request = try JSONDecoder().decode(Body.self, from: Data(body.readableBytesView))
        self.init(integration: request.params.integration, requestID: Int(request.id) ?? 1, limit: limit)
        let parser = TimestampParser.apiTime
        let series = request.params.data.series.sorted { $0.key < $1.key }
        for (at, text) in request.params.data.times.enumerated() {
            guard case .success(let time) = parser.microseconds(.text(text)) else { throw Unreadable() }
            let values = series.compactMap { name, column in (at < column.count ? column[at] : nil).map { (inputID: name, value: $0) } }
            guard add(time: time, values: values) else { throw Unreadable() }
        }
    }

    /// The frame of the times at `columns` only (a half of a request the server refused).
    func subframe(times columns: Range<Int>) -> InsertFrameBuilder {
        var part = InsertFrameBuilder(integration: integration, requestID: requestID, limit: limit)
        for at in columns {
            let values = names.indices.compactMap { s in text(series[s, at]).flatMap { Double($0) }.map { (inputID: names[s], value: $0) } }
            let added = part.add(time: times[at], values: values)
            precondition(added, "a part of a frame is larger than the frame")
        }
        return part
    }

    /// The request body; exactly `bytes` long. Written straight into the buffer the request
    /// sends, so a body exists once in memory.
    func encodedBuffer() -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: bytes + 16)
        encode(into: &out)
        return out
    }

    /// The body, written into `out` in place of what it held: `plan`, which only counts a
    /// body's bytes, reuses one buffer, where a new 9 MiB buffer page-faults on every page.
    func encode(into out: inout ByteBuffer) {
        out.clear()
        // 16 bytes past the body: room for the last cell's whole store (a spilled text's 16 bytes).
        out.reserveCapacity(bytes + 16)
        out.writeString(Self.prefix(integration: integration, id: requestID))
        var clock = DateTimeWriter()
        Self.writeList(times.count, widest: 29, into: &out) { i, room in
            let base = room.baseAddress!
            base.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
            let end = 1 + JSONText.writeTime(microseconds: times[i], with: &clock, to: base + 1)
            base.storeBytes(of: UInt8(ascii: "\""), toByteOffset: end, as: UInt8.self)
            return end + 1
        }
        out.writeString(Self.middle)
        for (s, id) in names.enumerated() {
            if s > 0 { out.writeInteger(UInt8(ascii: ",")) }
            out.writeString(JSONText.string(id))
            out.writeString(":[")
            // A series' cells are most of the body: an inline text is one 8-byte store.
            let cells = series.cells(of: s)
            let spill = series.spill
            Self.writeList(cells.count, widest: 16, into: &out) { i, room in
                let cell = cells[i]
                if let count = cell.inlineCount {
                    room.baseAddress!.storeBytes(of: cell.word.littleEndian, as: UInt64.self)
                    return count
                }
                if let (offset, count) = cell.spilled {
                    // Stored as 16 bytes: copied as 16, the room has them.
                    room.baseAddress!.copyMemory(from: spill + offset, byteCount: 16)
                    return count
                }
                if let index = cell.elsewhereIndex {
                    var text = longTexts[index]
                    return text.withUTF8 { utf8 in
                        precondition(utf8.count <= room.count, "a frame's cells passed its computed size")
                        room.baseAddress!.copyMemory(from: utf8.baseAddress!, byteCount: utf8.count)
                        return utf8.count
                    }
                }
                precondition(cell.isNull, "a frame cell is a text or null")
                room.baseAddress!.storeBytes(of: Self.null.littleEndian, as: UInt32.self)
                return 4
            }
            out.writeInteger(UInt8(ascii: "]"))
        }
        out.writeString(Self.suffix)
    }

    /// `null`'s four bytes (`n` `u` `l` `l`) read as a little-endian word, stored as one.
    private static let null: UInt32 = 0x6C6C_756E

    /// Writes `count` items, comma-separated, straight into `out`'s storage: `item` writes item
    /// `i` at the start of the room it is given (touching at most `widest` bytes of it, a text
    /// kept aside excepted) and returns its length. The body's size is exact and the buffer holds
    /// 16 bytes past it, so every store fits; the preconditions say so. Through a pointer, where
    /// a `ByteBuffer` write per item checked capacity and moved indices.
    private static func writeList(_ count: Int, widest: Int, into out: inout ByteBuffer,
                                  _ item: (Int, UnsafeMutableRawBufferPointer) -> Int) {
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { room in
            let base = room.baseAddress!
            let limit = room.count - 1 - widest
            var at = 0
            for i in 0..<count {
                precondition(at <= limit, "a frame's body passed its computed size")
                if i > 0 {
                    base.storeBytes(of: UInt8(ascii: ","), toByteOffset: at, as: UInt8.self)
                    at += 1
                }
                at += item(i, UnsafeMutableRawBufferPointer(start: base + at, count: room.count - at))
            }
            return at
        }
    }
}
