/// A long CSV (`timestamp,signal,value`): a historian's export, one reading a row, 10 signals
/// taking turns — the layout with the most rows per byte, so per-row costs show most here.
struct LongCSV: InputFormat {
    var name: String { "long" }
    var fileExtension: String { "csv" }
    var title: String { "long CSV" }

    var mapping: String {
        """
        version: 1
        source:
          format: csv
          timestamp: {field: timestamp}
        target: integration
        layout: long
        long: {id_field: signal, value_field: value}
        signal:
          input_id: "line-3/{id}"

        """
    }

    func write(to writer: ByteWriter, until limit: InputLimit) {
        var random = DeterministicRandom(seed: 43)
        writer.append("timestamp,signal,value\n")
        var rows = 0
        while !limit.reached(rows: rows, bytes: writer.size) {
            writer.appendRFC3339(epochSeconds: WideCSV.firstSecond + rows / WideCSV.signals)
            writer.append(",s")
            writer.append(rows % WideCSV.signals)
            writer.append(",")
            writer.appendDecimal(random.next() % 1_000_000, decimals: 3)
            writer.append("\n")
            rows += 1
        }
    }
}
