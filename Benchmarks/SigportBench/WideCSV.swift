/// A wide CSV: one row a second, a site, and 10 signals per row with three-decimal values —
/// a gateway log, the layout whose throughput the first target is about.
struct WideCSV: InputFormat {
    static let signals = 10
    /// 2024-03-01T00:00:00Z, where every generated series starts.
    static let firstSecond = 1_709_251_200

    /// The second files of the duplicate-times scenario: the same rows for other signals (a
    /// site of its own), or for the same signals half a second after each of the first file's
    /// times (an irregular clock's readings between another file's: no duplicate, but every
    /// time inside the other file's range).
    enum Shape: String {
        case pier, dock
        case halfSecondLater = "half"
    }

    var shape = Shape.pier

    var name: String { shape == .pier ? "wide" : "wide-\(shape.rawValue)" }
    var fileExtension: String { "csv" }
    var title: String {
        switch shape {
        case .pier: "wide CSV"
        case .dock: "wide CSV, another site"
        case .halfSecondLater: "wide CSV, times +0.5 s"
        }
    }

    var mapping: String {
        """
        version: 1
        source:
          format: csv
          timestamp: {field: timestamp}
        target: integration
        signals:
        \((0..<Self.signals).map { "  - {field: s\($0), input_id: \"{site}/s\($0)\"}" }.joined(separator: "\n"))

        """
    }

    func write(to writer: ByteWriter, until limit: InputLimit) {
        var random = DeterministicRandom(seed: 42)
        writer.append("timestamp,site," + (0..<Self.signals).map { "s\($0)" }.joined(separator: ",") + "\n")
        var rows = 0
        while !limit.reached(rows: rows, bytes: writer.size) {
            writer.appendRFC3339(epochSeconds: Self.firstSecond + rows, half: shape == .halfSecondLater)
            writer.append(shape == .dock ? ",dock" : ",pier")
            for _ in 0..<Self.signals {
                writer.append(",")
                writer.appendDecimal(random.next() % 1_000_000, decimals: 3)
            }
            writer.append("\n")
            rows += 1
        }
    }
}
