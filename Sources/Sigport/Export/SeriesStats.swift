/// What `--summary` says of a series: counts, first and last time, min/max/mean and the gaps
/// longer than its threshold. Built reading by reading (readings of a series arrive in time
/// order) and merged window by window, so a resumed export summarises the windows written
/// before the kill from their manifest entries without reading them again.
public struct SeriesStats: Codable, Sendable, Equatable {
    public var count = 0
    /// µs since the Unix epoch.
    public var first: Int64?
    public var last: Int64?
    public var min: Double?
    public var max: Double?
    public var sum = 0.0
    public var gapCount = 0
    /// The first gaps found, as [from, to] in µs: at most `keptGaps`, so the manifest stays small.
    public var gaps: [[Int64]] = []
    static let keptGaps = 20

    public init() {}

    public var mean: Double? { count > 0 ? sum / Double(count) : nil }

    mutating func add(time: Int64, value: Double, gap: Int64?) {
        if let last, let gap, time - last > gap { noteGap(last, time) }
        count += 1
        sum += value
        min = Swift.min(min ?? value, value)
        max = Swift.max(max ?? value, value)
        first = Swift.min(first ?? time, time)
        last = Swift.max(last ?? time, time)
    }

    /// Appends the stats of the next window; the stretch between the windows may be a gap too.
    mutating func merge(_ next: SeriesStats, gap: Int64?) {
        guard next.count > 0 else { return }
        if let last, let nextFirst = next.first, let gap, nextFirst - last > gap { noteGap(last, nextFirst) }
        count += next.count
        sum += next.sum
        min = [min, next.min].compactMap { $0 }.min()
        max = [max, next.max].compactMap { $0 }.max()
        first = [first, next.first].compactMap { $0 }.min()
        last = [last, next.last].compactMap { $0 }.max()
        gapCount += next.gapCount
        gaps += next.gaps.prefix(Swift.max(0, Self.keptGaps - gaps.count))
    }

    private mutating func noteGap(_ from: Int64, _ to: Int64) {
        gapCount += 1
        if gaps.count < Self.keptGaps { gaps.append([from, to]) }
    }
}

/// `manifest.json` of a windowed export: how it was asked for, and per file its window, rows,
/// first/last timestamp, size, SHA-256 and per-series stats. Rewritten (atomically) after each
/// window, so it is also the export's checkpoint: a window listed here whose file is intact is
/// not fetched again.
struct ExportManifest: Codable {
    struct File: Codable {
        var name: String
        var window: String
        var from: String
        var to: String
        var rows: Int
        var firstTimestamp: String?
        var lastTimestamp: String?
        var bytes: Int64
        var sha256: String
        var series: [String: SeriesStats]
    }

    var manifest = "sigport-export/1"
    var parameters: [String: String]
    var windows: Int
    var complete: Bool
    var files: [File]
}
