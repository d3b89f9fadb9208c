import Foundation
import Testing
@testable import Sigport

/// The sample mappings, and what the loader makes of a mapping file that is right.
@Suite("Mapping loader: valid files")
struct MappingLoaderTests {
    @Test("the gateway sample: wide CSV, file-name capture, five signals")
    func gatewaySample() throws {
        let path = samplePath("Mappings/gateway-wide.yaml")
        let mapping = try Mapping.load(path: path)
        #expect(mapping.file == path)
        #expect(mapping.target == .integration)
        #expect(mapping.long == nil)
        #expect(mapping.ox == nil)
        #expect(mapping.source.format == .csv)
        #expect(mapping.source.csv == CSVDialect(delimiter: UInt8(ascii: ","), header: true))
        #expect(mapping.source.timestamp.field == "timestamp")
        #expect(mapping.source.timestamp.format == .iso8601)
        #expect(mapping.source.timestamp.timeZone == nil)
        #expect(mapping.source.timestamp.ambiguous == .reject)
        #expect(mapping.source.timestamp.nonexistent == .reject)
        #expect(mapping.source.nulls == ["", "NA"])
        #expect(!mapping.source.decimalComma)
        #expect(mapping.source.fileName?.captureNames == ["serial"])
        #expect(mapping.signals.map(\.field) == ["temp_c", "humidity_pct", "pressure_hpa", "co2_ppm", "door"])
        #expect(mapping.signals.map(\.inputID.text) == ["temperature", "humidity", "pressure", "co2", "door"].map { "{site}/gw-{file.serial}/\($0)" })
        #expect(mapping.signals[0].inputID.parts == [.field("site"), .literal("/gw-"), .file("serial"), .literal("/temperature")])
        #expect(mapping.signals[0].sampleInterval == "PT1M")
        #expect(mapping.signals[0].gapDetection == "PT5M")
        #expect(mapping.signals[0].engUnit?.constant == "°C")
        #expect(mapping.signals[0].labels.map(\.key) == ["site", "gateway", "quantity"])
        #expect(mapping.signals[3].annotations.map(\.key) == ["sigport/source"])
        let door = mapping.signals[4]
        #expect(door.valueType == .enum)
        #expect(door.enumValues == [0: "closed", 1: "open"])
        #expect(door.states == ["CLOSED": 0, "OPEN": 1])
        #expect(mapping.signals.allSatisfy { $0.scale == 1 && $0.offset == 0 })
        #expect(mapping.referencedFields == ["timestamp", "temp_c", "site", "humidity_pct", "pressure_hpa", "co2_ppm", "door"])
    }

    @Test("the PLC sample: long CSV, semicolons, decimal comma, local time in Oslo")
    func plcSample() throws {
        let mapping = try Mapping.load(path: samplePath("Mappings/plc-long.yaml"))
        #expect(mapping.target == .integration)
        #expect(mapping.long?.idField == "Tag")
        #expect(mapping.long?.valueField == "Wert")
        #expect(mapping.source.csv.delimiter == UInt8(ascii: ";"))
        #expect(mapping.source.decimalComma)
        #expect(mapping.source.nulls == [""])
        #expect(mapping.source.timestamp.format == .pattern("%d.%m.%Y %H:%M:%S"))
        #expect(mapping.source.timestamp.timeZone?.identifier == "Europe/Oslo")
        #expect(mapping.source.timestamp.ambiguous == .earlier)
        #expect(mapping.source.timestamp.nonexistent == .reject)
        #expect(mapping.signals.count == 1)
        #expect(mapping.signals[0].field == nil)
        #expect(mapping.signals[0].inputID.parts == [.literal("plc/line-3/"), .id])
        #expect(mapping.signals[0].sourceType == "measurement")
        #expect(mapping.signals[0].sampleInterval == "PT5M")
        #expect(mapping.referencedFields == ["Zeit", "Tag", "Wert"])
    }

    @Test("the wearables sample: nested JSONL into the ox API")
    func wearablesSample() throws {
        let mapping = try Mapping.load(path: samplePath("Mappings/wearables-ox.yaml"))
        #expect(mapping.target == .ox)
        #expect(mapping.source.format == .jsonl)
        #expect(mapping.source.timestamp.format == .epoch(unitsPerSecond: 1000))
        #expect(mapping.signals.isEmpty)
        let ox = try #require(mapping.ox)
        #expect(ox.org == nil)
        #expect(ox.sensor.mapValues(\.text) == ["sensor_id": "{device.serial}", "sensor_type": "{device.model}", "sensor_version": "{device.fw}"])
        #expect(ox.beacon?.mapValues(\.text) == ["beacon_id": "{relay.id}", "beacon_env": "{relay.os}", "beacon_type": "{relay.kind}", "beacon_version": "{relay.app}"])
        #expect(ox.events.map(\.field) == ["payload.hr", "payload.spo2", "payload.steps"])
        #expect(ox.events.map(\.eventType.text) == ["heart_rate", "spo2_tenths", "steps"])
        #expect(ox.events.map(\.reading) == [.reject, .scale(10), .reject])
        // In the order the ox schema lists the entity fields, the same on every run.
        #expect(mapping.referencedFields == ["t", "payload.hr", "payload.spo2", "payload.steps",
                                             "device.serial", "device.model", "device.fw",
                                             "relay.id", "relay.os", "relay.kind", "relay.app"])
    }

    @Test("defaults: rfc3339, comma, header, no nulls but the empty text, numeric, reading reject")
    func defaults() throws {
        let mapping = try loadMapping("""
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signals: [{field: v, input_id: v}]
            """)
        #expect(mapping.source.csv == CSVDialect())
        #expect(mapping.source.timestamp.format == .iso8601)
        #expect(mapping.source.nulls == [""])
        #expect(mapping.source.filters.isEmpty)
        #expect(mapping.source.defaults.isEmpty)
        #expect(mapping.signals[0].valueType == .numeric)
        #expect(mapping.signals[0].inputID.constant == "v")
        #expect(mapping.signals[0].sourceType == nil)
    }

    @Test("every documented key is read", arguments: [
        ("rfc3339", TimestampSpec.Format.iso8601), ("iso8601", .iso8601), ("epoch_s", .epoch(unitsPerSecond: 1)),
        ("epoch_ms", .epoch(unitsPerSecond: 1_000)), ("epoch_us", .epoch(unitsPerSecond: 1_000_000)),
        ("epoch_ns", .epoch(unitsPerSecond: 1_000_000_000)), ("\"%Y-%m-%dT%H:%M:%S%z\"", .pattern("%Y-%m-%dT%H:%M:%S%z")),
    ])
    func timestampFormats(text: String, format: TimestampSpec.Format) throws {
        let mapping = try loadMapping("""
            source: {format: jsonl, timestamp: {field: ts, format: \(text)}}
            target: integration
            signals: [{field: v, input_id: v}]
            """)
        #expect(mapping.source.timestamp.format == format)
    }

    @Test("a full wide mapping: csv dialect, filters, defaults, signal fields")
    func fullMapping() throws {
        let mapping = try loadMapping(#"""
            version: 1
            source:
              format: csv
              csv: {delimiter: tab, quote: "'", header: false, columns: [ts, site, v, state, note]}
              decimal: ","
              nulls: ["-", "n/a"]
              defaults: {site: unknown}
              timestamp: {field: ts, format: epoch_s}
              filters:
                - skip_if: {field: note, equals: test}
                - skip_if: {field: site, in: [lab, bench]}
                - keep_if: {field: v, matches: '^[0-9]'}
                - skip_if: {field: state, empty: true}
            target: integration
            signals:
              - field: v
                input_id: "{site}/v"
                description: "Value at {site}"
                labels: {a-b_c/D9: ["{site}", fixed]}
                annotations: {vendor/key: "{note}"}
                source_type: prediction
                scale: 0.5
                offset: -3
              - field: state
                input_id: "{site}/state"
                type: enum
                enum_values: {0: off, 9999: max}
                states: {OFF: 0, MAX: 9999}
            """#)
        let csv = mapping.source.csv
        #expect(csv == CSVDialect(delimiter: 9, quote: UInt8(ascii: "'"), header: false, columns: ["ts", "site", "v", "state", "note"]))
        #expect(mapping.source.decimalComma)
        #expect(mapping.source.nulls == ["-", "n/a"])
        #expect(mapping.source.defaults == ["site": "unknown"])
        #expect(mapping.source.filters.map(\.field) == ["note", "site", "v", "state"])
        #expect(mapping.source.filters.map(\.negated) == [false, false, true, false])
        let v = mapping.signals[0]
        #expect(v.scale == 0.5 && v.offset == -3)
        #expect(v.sourceType == "prediction")
        #expect(v.labels.map(\.key) == ["a-b_c/D9"])
        #expect(v.labels[0].values.map(\.text) == ["{site}", "fixed"])
        #expect(v.annotations.map(\.key) == ["vendor/key"])
        #expect(mapping.signals[1].enumValues == [0: "off", 9999: "max"])
        #expect(mapping.referencedFields == ["ts", "note", "site", "v", "state"])
    }

    @Test("input IDs: the hyphen in 0-9-_ is literal, so : . # + / - _ pass", arguments: ["a-b_c:d.e#f+g/h", "A", String(repeating: "x", count: 128)])
    func inputIDConstantsThatPass(inputID: String) throws {
        let mapping = try loadMapping("""
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signals: [{field: v, input_id: "\(inputID)"}]
            """)
        #expect(mapping.signals[0].inputID.constant == inputID)
    }

    @Test("templates: {{ and }} are literal braces; spaces inside a placeholder are trimmed")
    func templates() throws {
        let mapping = try loadMapping("""
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signals: [{field: v, input_id: "{ site }/{file.name}", name: "{{{site}}} {{x}}"}]
            """)
        #expect(mapping.signals[0].inputID.parts == [.field("site"), .literal("/"), .file("name")])
        #expect(mapping.signals[0].name?.parts == [.literal("{"), .field("site"), .literal("} {x}")])
        #expect(mapping.signals[0].name?.fields == ["site"])
    }

    @Test("did you mean: edit distance and the suggestion threshold")
    func didYouMean() {
        #expect(DidYouMean.distance("kitten", "sitting") == 3)
        #expect(DidYouMean.distance("", "abc") == 3)
        #expect(DidYouMean.distance("abc", "") == 3)
        #expect(DidYouMean.distance("same", "same") == 0)
        #expect(DidYouMean.suggestion(for: "inpt_id", among: SignalSpec.keys) == "input_id")
        #expect(DidYouMean.suggestion(for: "Eng_Unit", among: SignalSpec.keys) == "eng_unit")
        #expect(DidYouMean.suggestion(for: "colour", among: SignalSpec.keys) == nil)
    }
}
