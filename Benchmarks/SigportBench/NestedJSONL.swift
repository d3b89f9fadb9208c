/// Nested JSONL like `samples/wearables`: wrist sensors relayed by phones, three readings a line
/// under `payload`, device and relay described in nested objects — read into ox sensors, beacons
/// and events with the mapping of `Mappings/wearables-ox.yaml`.
struct NestedJSONL: InputFormat {
    static let devices = 20
    static let relays = 8

    var name: String { "wearables" }
    var fileExtension: String { "jsonl" }
    var title: String { "nested JSONL" }

    var mapping: String {
        """
        version: 1
        source:
          format: jsonl
          timestamp: {field: t, format: epoch_ms}
        target: ox
        ox:
          sensor: {sensor_id: "{device.serial}", sensor_type: "{device.model}", sensor_version: "{device.fw}"}
          beacon: {beacon_id: "{relay.id}", beacon_env: "{relay.os}", beacon_type: "{relay.kind}", beacon_version: "{relay.app}"}
          events:
            - {field: payload.hr, event_type: heart_rate}
            - {field: payload.spo2, event_type: spo2_tenths, reading: scale, scale: 10}
            - {field: payload.steps, event_type: steps}

        """
    }

    func write(to writer: ByteWriter, until limit: InputLimit) {
        var random = DeterministicRandom(seed: 44)
        var milliseconds = WideCSV.firstSecond * 1000
        var rows = 0
        while !limit.reached(rows: rows, bytes: writer.size) {
            let device = rows % Self.devices
            milliseconds += random.next(in: 1...500)
            writer.append("{\"t\":"); writer.append(milliseconds)
            writer.append(",\"device\":{\"serial\":\"W-"); writer.append(device)
            writer.append("\",\"model\":\"wrist/v2\",\"fw\":\"2.1.4\"},\"relay\":{\"id\":\"phone-"); writer.append(device % Self.relays)
            writer.append("\",\"os\":\"Android 14\",\"kind\":\"phone\",\"app\":\"4.2.0\"},\"payload\":{\"hr\":"); writer.append(random.next(in: 40...180))
            writer.append(",\"spo2\":"); writer.appendDecimal(random.next(in: 900...1000), decimals: 1)
            writer.append(",\"steps\":"); writer.append(random.next(in: 0...40))
            writer.append("}}\n")
            rows += 1
        }
    }
}
