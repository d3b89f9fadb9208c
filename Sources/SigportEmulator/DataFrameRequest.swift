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

    /// The start of the bucket a time falls in (`from` for the whole-window rollup).
    func bucket(of time: Int64) -> Int64 {
        switch rollup {
        case .every(let width):
            let offset = time - origin
            return origin + (offset >= 0 ? offset / width : -((-offset + width - 1) / width)) * width
        default:
            return from
        }
    }
}
