import Foundation
import Testing
@testable import Sigport

/// A JSONL row whose values follow the mapping's referenced fields (what the JSONL reader is asked for).
private func jsonRow(_ mapping: Mapping, _ values: [String: FieldValue], line: Int = 1) -> SourceRow {
    SourceRow(location: RowLocation(file: "w.jsonl", line: line, byteOffset: 0),
              values: mapping.referencedFields.map { values[$0] ?? .missing }, raw: Array("{\"line\":\(line)}".utf8))
}

private func wearablesMapper(_ yaml: String? = nil) throws -> RowMapper {
    let mapping = try yaml.map(loadMapping) ?? Mapping.load(path: samplePath("Mappings/wearables-ox.yaml"))
    var mapper = RowMapper(mapping: mapping)
    try mapper.start(file: InputFile(path: "w.jsonl"), fieldNames: mapping.referencedFields)
    return mapper
}

private let wrist: [String: FieldValue] = [
    "t": .number(1_709_251_200_630), "device.serial": .text("W-17"), "device.model": .text("wrist/v2"), "device.fw": .text("2.1.4"),
    "relay.id": .text("phone-3"), "relay.os": .text("Android 14"), "relay.kind": .text("phone"), "relay.app": .text("4.2.0"),
    "payload.hr": .number(97), "payload.spo2": .number(99.4), "payload.steps": .number(10),
]

private func with(_ changes: [String: FieldValue]) -> [String: FieldValue] { wrist.merging(changes) { $1 } }

@Suite("Row mapper: long layout")
struct RowMapperLongTests {
    @Test("the PLC sample: {id} from the tag, decimal comma, local time in Oslo")
    func plc() throws {
        var mapper = try RowMapper(mapping: Mapping.load(path: samplePath("Mappings/plc-long.yaml")))
        try mapper.start(file: InputFile(path: "line-3_2024-03-31.csv"), fieldNames: ["Zeit", "Tag", "Wert"])
        let speed = try #require(mapper.map(textRow(["30.03.2024 22:00:00", "M1.Speed", "1435,28"])).mappedRow)
        #expect(speed.time == 1_711_832_400_000_000)
        #expect(speed.values.map(\.signal) == [0])
        #expect(speed.values.map(\.value) == [1435.28])
        let current = try #require(mapper.map(textRow(["30.03.2024 22:00:00", "M1.Current", "-0,5"])).mappedRow)
        #expect(current.values.map(\.signal) == [1])
        #expect(current.values.map(\.value) == [-0.5])
        #expect(mapper.map(textRow(["30.03.2024 22:05:00", "M1.Speed", "1462.85"])).mappedRow?.values.map(\.signal) == [0])
        #expect(mapper.signals == [
            SignalDefinition(inputID: "plc/line-3/M1.Speed", name: "Line 3 M1.Speed", description: nil, valueType: .numeric, engUnit: nil,
                             labels: ["line": ["3"], "tag": ["M1.Speed"]], annotations: [:], enumValues: [:], sourceType: "measurement",
                             sampleInterval: "PT5M", gapDetection: nil),
            SignalDefinition(inputID: "plc/line-3/M1.Current", name: "Line 3 M1.Current", description: nil, valueType: .numeric, engUnit: nil,
                             labels: ["line": ["3"], "tag": ["M1.Current"]], annotations: [:], enumValues: [:], sourceType: "measurement",
                             sampleInterval: "PT5M", gapDetection: nil),
        ])
        // The DST policy of the sample: the gap is rejected, the overlap takes the earlier instant.
        #expect(mapper.map(textRow(["31.03.2024 02:30:00", "M1.Speed", "1"])).summary
                == "timestamp-dst-gap Zeit=31.03.2024 02:30:00: a local time that does not exist (DST gap), with nonexistent: reject")
        #expect(mapper.map(textRow(["27.10.2024 02:30:00", "M1.Speed", "1"])).mappedRow?.time == 1_729_989_000_000_000)
        // Decimal comma: a thousands separator is not a number.
        #expect(mapper.map(textRow(["30.03.2024 22:00:00", "M1.Speed", "1.435,28"])).summary == "number Wert=1.435,28: not a number")
        #expect(mapper.map(textRow(["30.03.2024 22:00:00", "M1.Speed", "1,5e3"])).mappedRow?.values.map(\.value) == [1500])
        // An empty value: the row is mapped, without a value.
        #expect(mapper.map(textRow(["30.03.2024 22:00:00", "M1.Speed", ""])).mappedRow?.values.isEmpty == true)
    }

    @Test("rows taking turns between tags find their signals again; a rejected row's new signal is taken out, and made again by the next row")
    func turns() throws {
        var mapper = try RowMapper(mapping: Mapping.load(path: samplePath("Mappings/plc-long.yaml")))
        try mapper.start(file: InputFile(path: "line-3_2024-03-31.csv"), fieldNames: ["Zeit", "Tag", "Wert"])
        func signal(_ tag: String, _ value: String = "1") -> [Int]? {
            mapper.map(textRow(["30.03.2024 22:00:00", tag, value])).mappedRow?.values.map(\.signal)
        }
        #expect([signal("M1.Speed"), signal("M1.Current"), signal("M1.Speed"), signal("M1.Current")] == [[0], [1], [0], [1]])
        #expect(signal("M2.Speed", "fast") == nil, "rejected: not a number")
        #expect(mapper.signals.map(\.inputID) == ["plc/line-3/M1.Speed", "plc/line-3/M1.Current"])
        #expect(signal("M1.Current") == [1])
        #expect(signal("M2.Speed", "fast") == nil)
        #expect(signal("M2.Speed") == [2])
        #expect([signal("M1.Speed"), signal("M2.Speed"), signal("M1.Current")] == [[0], [2], [1]])
        #expect(mapper.signals.map(\.inputID) == ["plc/line-3/M1.Speed", "plc/line-3/M1.Current", "plc/line-3/M2.Speed"])
    }

    @Test("{id} that breaks the input ID regex, and an empty id, are rejected on the id field")
    func idRejects() throws {
        var mapper = try RowMapper(mapping: Mapping.load(path: samplePath("Mappings/plc-long.yaml")))
        try mapper.start(file: InputFile(path: "x.csv"), fieldNames: ["Zeit", "Tag", "Wert"])
        #expect(mapper.map(textRow(["30.03.2024 22:00:00", "M1 Speed", "1"])).summary
                == #"input-id Tag=M1 Speed: input ID "plc/line-3/M1 Speed" does not match ^[a-zA-Z0-9-_:.#+/]{1,128}$"#)
        #expect(mapper.map(textRow(["30.03.2024 22:00:00", "", "1"])).summary == "template-field-empty Tag=: {id} is empty")
        #expect(mapper.signals.isEmpty)
    }

    @Test("a long layout with ox: one event template with {id}")
    func longOx() throws {
        var mapper = try startedMapper("""
            source: {format: csv, timestamp: {field: ts, format: epoch_s}}
            target: ox
            layout: long
            long: {id_field: kind, value_field: reading}
            ox:
              sensor: {sensor_id: "{dev}", sensor_type: meter, sensor_version: "1"}
              event: {event_type: "meter.{id}", reading: round}
            """, fields: ["ts", "dev", "kind", "reading"])
        let row = try #require(mapper.map(textRow(["1709251200", "m-1", "kwh", "12.5"])).mappedRow)
        #expect(row.events == [MappedEvent(sensor: 0, beacon: nil, eventType: "meter.kwh", reading: 13)])
        #expect(mapper.sensors == [EntityDefinition(fields: ["sensor_id": "m-1", "sensor_type": "meter", "sensor_version": "1"])])
        #expect(mapper.beacons.isEmpty)
    }
}

@Suite("Row mapper: ox target")
struct RowMapperOxTests {
    @Test("the wearables sample: one sensor and one beacon per device, three events a row")
    func wearables() throws {
        var mapper = try wearablesMapper()
        let row = try #require(mapper.map(jsonRow(mapper.mapping, wrist)).mappedRow)
        #expect(row.time == 1_709_251_200_630_000)
        #expect(row.values.isEmpty)
        #expect(row.events == [
            MappedEvent(sensor: 0, beacon: 0, eventType: "heart_rate", reading: 97),
            MappedEvent(sensor: 0, beacon: 0, eventType: "spo2_tenths", reading: 994),
            MappedEvent(sensor: 0, beacon: 0, eventType: "steps", reading: 10),
        ])
        let other = try #require(mapper.map(jsonRow(mapper.mapping, with(["device.serial": .text("W-21"), "payload.hr": .null]))).mappedRow)
        #expect(other.events.map(\.eventType) == ["spo2_tenths", "steps"])
        #expect(other.events.map(\.sensor) == [1, 1])
        #expect(other.events.map(\.beacon) == [0, 0])
        #expect(mapper.sensors == [
            EntityDefinition(fields: ["sensor_id": "W-17", "sensor_type": "wrist/v2", "sensor_version": "2.1.4"]),
            EntityDefinition(fields: ["sensor_id": "W-21", "sensor_type": "wrist/v2", "sensor_version": "2.1.4"]),
        ])
        #expect(mapper.beacons == [EntityDefinition(fields: ["beacon_id": "phone-3", "beacon_env": "Android 14", "beacon_type": "phone", "beacon_version": "4.2.0"])])
        // Numbers in templates are written in their shortest form.
        let numeric = try #require(mapper.map(jsonRow(mapper.mapping, with(["device.fw": .number(2), "relay.app": .number(4.5)]))).mappedRow)
        #expect(mapper.sensors[numeric.events[0].sensor].fields["sensor_version"] == "2")
        #expect(mapper.beacons[try #require(numeric.events[0].beacon)].fields["beacon_version"] == "4.5")
    }

    @Test("a rejected row creates no sensor and no beacon")
    func rejectedRowLeavesNoTrace() throws {
        var mapper = try wearablesMapper()
        _ = mapper.map(jsonRow(mapper.mapping, wrist))
        let newDevice = with(["device.serial": .text("W-99"), "relay.id": .text("phone-9"), "payload.steps": .number(1.5)])
        #expect(mapper.map(jsonRow(mapper.mapping, newDevice)).rejection?.rule == "ox-reading-integer")
        #expect(mapper.sensors.map { $0.fields["sensor_id"] } == ["W-17"])
        #expect(mapper.beacons.map { $0.fields["beacon_id"] } == ["phone-3"])
        let row = try #require(mapper.map(jsonRow(mapper.mapping, with(["device.serial": .text("W-99"), "relay.id": .text("phone-9")]))).mappedRow)
        #expect(row.events.map(\.sensor) == [1, 1, 1])
        #expect(row.events.map(\.beacon) == [1, 1, 1])
    }

    @Test("event readings: reject (default), round, scale", arguments: [
        ("payload.hr", FieldValue.number(97.5), "ox-reading-integer payload.hr=97.5: event_reading must be an integer (the mapping says reading: reject)"),
        ("payload.steps", .text("12.0"), "mapped"),
        ("payload.steps", .text("12,5"), "number payload.steps=12,5: not a number"),
        ("payload.steps", .text("nan"), "number payload.steps=nan: not a number"),
        ("payload.steps", .bool(true), "number payload.steps=true: not a number"),
        ("payload.spo2", .number(1e18), "ox-reading-range payload.spo2=1e+18: event_reading does not fit a 64-bit integer"),
        ("payload.spo2", .number(-1e18), "ox-reading-range payload.spo2=-1e+18: event_reading does not fit a 64-bit integer"),
        ("payload.hr", .text("1e400"), "number-finite payload.hr=1e400: not a finite number (JSON has no NaN or Infinity)"),
    ])
    func readings(field: String, value: FieldValue, expected: String) throws {
        var mapper = try wearablesMapper()
        #expect(mapper.map(jsonRow(mapper.mapping, with([field: value]))).summary == expected)
    }

    @Test("reading: round and scale give whole numbers", arguments: [(97.5, 98, 975), (-97.5, -98, -975), (0.04, 0, 0), (99.96, 100, 1000), (-0.05, 0, -1)])
    func rounding(value: Double, rounded: Int64, scaled: Int64) throws {
        var mapper = try wearablesMapper(samplePathText("Mappings/wearables-ox.yaml")
            .replacingOccurrences(of: "event_type: heart_rate", with: "event_type: heart_rate\n      reading: round"))
        let row = try #require(mapper.map(jsonRow(mapper.mapping, with(["payload.hr": .number(value), "payload.spo2": .number(value)]))).mappedRow)
        #expect(row.events.map(\.reading) == [rounded, scaled, 10])
    }

    @Test("empty ox texts: event_type and entity fields")
    func emptyTexts() throws {
        var mapper = try wearablesMapper(samplePathText("Mappings/wearables-ox.yaml")
            .replacingOccurrences(of: "event_type: steps", with: "event_type: \"{payload.kind}\""))
        #expect(mapper.map(jsonRow(mapper.mapping, with(["payload.kind": .text("")]))).summary == "ox-required-text payload.kind=: event_type is empty")
        #expect(mapper.map(jsonRow(mapper.mapping, with(["payload.kind": .null]))).summary == "ox-required-text payload.kind=null: event_type is empty")
        #expect(mapper.map(jsonRow(mapper.mapping, with(["payload.kind": .text("walk")]))).mappedRow?.events.last?.eventType == "walk")
        // The steps value is empty: its event is left out, so its empty type does not matter.
        #expect(mapper.map(jsonRow(mapper.mapping, with(["payload.kind": .null, "payload.steps": .null]))).summary == "mapped")
        #expect(mapper.map(jsonRow(mapper.mapping, with(["device.serial": .text("")]))).summary
                == #"template-field-empty device.serial=: field "device.serial" of template "{device.serial}" is empty"#)
        // With several entity fields empty, the first in the schema's order is named, on every run.
        #expect(mapper.map(jsonRow(mapper.mapping, with(["device.serial": .null, "device.model": .null, "device.fw": .null]))).summary
                == #"template-field-empty device.serial=null: field "device.serial" of template "{device.serial}" is empty"#)
        #expect(mapper.map(jsonRow(mapper.mapping, with(["relay.id": .missing, "relay.os": .missing, "relay.kind": .missing, "relay.app": .missing]))).summary
                == #"template-field-empty relay.id=-: field "relay.id" of template "{relay.id}" is empty"#)
    }

    @Test("JSONL timestamps as numbers and text; a missing timestamp")
    func timestamps() throws {
        var mapper = try wearablesMapper()
        #expect(mapper.map(jsonRow(mapper.mapping, with(["t": .text("1709251200630")]))).mappedRow?.time == 1_709_251_200_630_000)
        #expect(mapper.map(jsonRow(mapper.mapping, with(["t": .missing]))).summary == "timestamp-missing t=-: the timestamp field is empty or missing")
        #expect(mapper.map(jsonRow(mapper.mapping, with(["t": .null]))).summary == "timestamp-missing t=null: the timestamp field is empty or missing")
        #expect(mapper.map(jsonRow(mapper.mapping, with(["t": .bool(true)]))).summary == "timestamp-format t=true: the timestamp is not in the declared format")
        #expect(mapper.map(jsonRow(mapper.mapping, with(["t": .number(1e300)]))).summary == "timestamp-range t=1e+300: a time outside years 0001-9999")
    }
}

func samplePathText(_ relative: String) throws -> String { try String(contentsOfFile: samplePath(relative), encoding: .utf8) }
