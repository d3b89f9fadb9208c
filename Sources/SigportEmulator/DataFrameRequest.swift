import SigportContract

/// `data` of `clarify.dataFrame`: the time window, an optional rollup and `last`.
struct DataFrameRequest: Sendable {
    enum Rollup: Sendable, Equatable {
        case none
        /// Fixed buckets of this many microseconds, aligned to `origin` (or the Unix epoch).
        case every(Int64)
        /// One bucket for the whole window.
        case window
    }

    let from: Int64
    let to: Int64
    let rollup: Rollup
    let origin: Int64
    let last: Int

    init(_ value: JSONValue?) throws {
        guard let data = value?.objectValue else { throw APIError.invalidParam("data", "is required: {filter: {times: {$gte, $lt}}, rollup, …}") }
        for key in data.keys where !["filter", "rollup", "timeZone", "firstDayOfWeek", "origin", "last"].contains(key) {
            throw APIError.invalidParam("data.\(key)", "is not a field of data")
        }
        guard let times = data["filter"]?["times"]?.objectValue,
              let gte = times["$gte"]?.stringValue.flatMap(RFC3339Time.microseconds),
              let lt = times["$lt"]?.stringValue.flatMap(RFC3339Time.microseconds)
        else { throw APIError.invalidParam("data.filter.times", "needs $gte and $lt as RFC 3339 timestamps") }
        guard gte < lt else { throw APIError.invalidParam("data.filter.times", "$gte must be before $lt") }
        if let zone = data["timeZone"], zone != .null, zone != .string("UTC") {
            throw APIError.invalidParam("data.timeZone", "the emulator computes rollups in UTC only")
        }
        switch data["rollup"] ?? .null {
        case .null: rollup = .none
        case .string("window"): rollup = .window
        case .string(let text):
            guard let seconds = RFC3339Duration.seconds(text), seconds > 0, !text.contains("Y"), !text.dropFirst().prefix(while: { $0 != "T" }).contains("M") else {
                throw APIError.invalidParam("data.rollup", "must be null, \"window\" or a fixed RFC 3339 duration (weeks, days, hours, minutes, seconds)")
            }
            rollup = .every(Int64(seconds * 1_000_000))
        default: throw APIError.invalidParam("data.rollup", "must be null, \"window\" or a duration")
        }
        // "40 days for raw data or rollups under PT1M, 400 days for rollups ≥ PT1M".
        let limitSeconds: Int64 = switch rollup {
        case .every(let micros) where micros >= 60_000_000: IntegrationContract.rollupWindowSeconds
        case .window: IntegrationContract.rollupWindowSeconds
        default: IntegrationContract.rawWindowSeconds
        }
        guard lt - gte <= limitSeconds * 1_000_000 else {
            throw APIError.invalidParam("data.filter.times", "the window is longer than \(limitSeconds / 86_400) days: split it")
        }
        origin = try data["origin"].flatMap { value -> Int64? in
            if value == .null { return nil }
            guard let micros = value.stringValue.flatMap(RFC3339Time.microseconds) else { throw APIError.invalidParam("data.origin", "must be an RFC 3339 timestamp") }
            return micros
        } ?? 0
        guard let last = (data["last"] ?? .number(-1)).integerValue, last >= -1 else { throw APIError.invalidParam("data.last", "must be -1 or a count") }
        self.from = gte
        self.to = lt
        self.last = Int(last)
    }

    /// `{times, series}` for the items, one series per item (per aggregate with a rollup:
    /// `<id>_count`, `_min`, `_max`, `_sum`, `_avg`), `null` where an item has no value.
    func frame(itemIDs: [String], samples: [[SampleRecord]]) -> JSONValue {
        var columns: [String: [Int64: Double]] = [:]
        var allTimes = Set<Int64>()
        for (id, rows) in zip(itemIDs, samples) {
            switch rollup {
            case .none:
                var column: [Int64: Double] = [:]
                for row in rows { column[row.time] = row.value; allTimes.insert(row.time) }
                columns[id] = column
            case .every, .window:
                var buckets: [Int64: (count: Double, min: Double, max: Double, sum: Double)] = [:]
                for row in rows {
                    let start = bucket(of: row.time)
                    let b = buckets[start] ?? (0, .infinity, -.infinity, 0)
                    buckets[start] = (b.count + 1, Swift.min(b.min, row.value), Swift.max(b.max, row.value), b.sum + row.value)
                }
                for (start, b) in buckets {
                    allTimes.insert(start)
                    columns["\(id)_count", default: [:]][start] = b.count
                    columns["\(id)_min", default: [:]][start] = b.min
                    columns["\(id)_max", default: [:]][start] = b.max
                    columns["\(id)_sum", default: [:]][start] = b.sum
                    columns["\(id)_avg", default: [:]][start] = b.sum / b.count
                }
            }
        }
        var times = allTimes.sorted()
        if last >= 0 { times = Array(times.suffix(last)) }
        let series = columns.mapValues { column in JSONValue.array(times.map { column[$0].map(JSONValue.number) ?? .null }) }
        return .object(["times": .array(times.map { .string(RFC3339Time.format(microseconds: $0)) }), "series": .object(series)])
    }

    private func bucket(of time: Int64) -> Int64 {
        switch rollup {
        case .every(let width):
            let offset = time - origin
            return origin + (offset >= 0 ? offset / width : -((-offset + width - 1) / width)) * width
        default:
            return from
        }
    }
}
