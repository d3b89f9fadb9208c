import Foundation

/// One series compared: what the run's checkpoint says the API was given, and what the API holds.
public struct SeriesCheck: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// The API holds what was sent.
        case match
        /// Values missing, added within the series' time range, or changed.
        case mismatch
        /// Not read: the signal has no item and `--no-publish` was asked, or the API lists no such signal.
        case unread
    }

    /// Count and time range (µs) of a set of values.
    public struct Extent: Codable, Sendable, Equatable {
        public var count: Int
        public var first: Int64?
        public var last: Int64?

        init(_ digest: SeriesDigest) {
            count = digest.count
            first = digest.count > 0 ? digest.first : nil
            last = digest.count > 0 ? digest.last : nil
        }
    }

    /// The integration signal's input ID, or the ox sensor's entity id and event type (`sensor/type`).
    public var series: String
    public var outcome: Outcome
    public var expected: Extent
    public var found: Extent
    /// Values sent that the API does not hold (by count).
    public var missing: Int
    /// Values the API holds in the series' time range beyond those sent (integration; ox lists no events).
    public var extra: Int?
    /// ox: events found whose type, time, reading, sensor or beacon differ from what was created.
    public var changed: Int?
    /// The counts agree and the checksums of the (time, value) pairs do not: values were changed
    /// (or moved in time) behind the run's back.
    public var valuesDiffer: Bool
    /// Values that replaced one the run sent before (`duplicates: keep-last`): the API holds
    /// between `expected.count - replaced` and `expected.count`, and values are compared by count only.
    public var replaced: Int
    /// Why the series was not read, when it was not.
    public var note: String?

    /// Compares an integration signal: by count, time range and checksum.
    static func integration(_ series: String, sent: SentSeries, found: FoundSeries?) -> SeriesCheck {
        let found = found?.digest ?? SeriesDigest()
        let low = sent.digest.count - sent.replaced
        let extra = max(0, found.count - sent.digest.count)
        let differ = sent.replaced == 0 && found.count == sent.digest.count && found.checksum != sent.digest.checksum
        var check = SeriesCheck(series: series, outcome: .match, expected: Extent(sent.digest), found: Extent(found),
                                missing: max(0, low - found.count), extra: extra, changed: nil, valuesDiffer: differ, replaced: sent.replaced)
        if check.missing > 0 || extra > 0 || differ { check.outcome = .mismatch }
        return check
    }

    /// Compares an ox series: events by id, so changed events are counted one by one.
    static func ox(_ series: String, sent: SentSeries, found: FoundSeries?) -> SeriesCheck {
        let found = found ?? FoundSeries()
        var check = SeriesCheck(series: series, outcome: .match, expected: Extent(sent.digest), found: Extent(found.digest),
                                missing: max(0, sent.digest.count - found.digest.count), extra: nil, changed: found.changed,
                                valuesDiffer: found.changed > 0, replaced: 0)
        if check.missing > 0 || found.changed > 0 { check.outcome = .mismatch }
        return check
    }

    /// A series that could not be read.
    static func unread(_ series: String, sent: SentSeries, note: String) -> SeriesCheck {
        SeriesCheck(series: series, outcome: .unread, expected: Extent(sent.digest), found: Extent(SeriesDigest()),
                    missing: 0, extra: nil, changed: nil, valuesDiffer: false, replaced: sent.replaced, note: note)
    }
}
