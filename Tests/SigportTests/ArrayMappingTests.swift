import Foundation
import Testing
@testable import Sigport
import SigportEmulator

/// Arrays of readings in JSONL (`source.each`, `item.` fields): one reading per element, and
/// every element no part of the mapping reads counted as `unmapped`, never dropped silently.
@Suite("arrays of readings: source.each and item fields")
struct ArrayMappingTests {
    static let wide = """
        source: {format: jsonl, timestamp: {field: ts, format: epoch_ms}, each: readings}
        target: integration
        signals:
          - {field: item.v, input_id: "{device.serial}/{item.k}", name: "{item.k} of {device.serial}"}
          - {field: device.battery, input_id: "{device.serial}/battery"}
        """

    /// Lines 1-8: two readings; three; none; no array; an element without a value; an object
    /// in place of the array; a value that is no number; a bare element (no `v`).
    static let lines = [
        #"{"ts":1709251200000,"device":{"serial":"W-1","battery":80},"readings":[{"k":"heart_rate","v":61},{"k":"spo2","v":95.5}]}"#,
        #"{"ts":1709251201000,"device":{"serial":"W-1","battery":79},"readings":[{"k":"heart_rate","v":62},{"k":"spo2","v":96},{"k":"skin_temp","v":33.1}]}"#,
        #"{"ts":1709251202000,"device":{"serial":"W-1","battery":78},"readings":[]}"#,
        #"{"ts":1709251203000,"device":{"serial":"W-2","battery":50}}"#,
        #"{"ts":1709251204000,"device":{"serial":"W-2"},"readings":[{"k":"heart_rate","v":70},{"k":"spo2","v":null}]}"#,
        #"{"ts":1709251205000,"device":{"serial":"W-2"},"readings":{"k":"heart_rate","v":71}}"#,
        #"{"ts":1709251206000,"device":{"serial":"W-2"},"readings":[{"k":"heart_rate","v":"high"}]}"#,
        #"{"ts":1709251207000,"device":{"serial":"W-2"},"readings":[{"k":"heart_rate"}]}"#,
    ]

    @Test("each element is a reading of its own signal; empty and missing arrays map the row's own fields; elements without a value are unmapped")
    func wideEach() async throws {
        let run = try await EdgeRun.run(Self.wide, "w.jsonl", Self.lines.joined(separator: "\n") + "\n")
        #expect(run.rejected == ["6 jsonl-not-array readings", "7 number item.v"])
        #expect(run.rejects.map(\.value) == [nil, "high"])
        let names = run.mapper.signals.map(\.inputID)
        let got = run.rows.map { row in row.values.map { "\(names[$0.signal])=\(NumberText.shortest($0.value))" } }
        #expect(got == [
            ["W-1/battery=80", "W-1/heart_rate=61", "W-1/spo2=95.5"],
            ["W-1/battery=79", "W-1/heart_rate=62", "W-1/spo2=96", "W-1/skin_temp=33.1"],
            ["W-1/battery=78"],
            ["W-2/battery=50"],
            ["W-2/heart_rate=70"],
            [],
        ])
        #expect(run.rows.map(\.unmapped) == [0, 0, 0, 0, 1, 1])
        #expect(run.report.total.unmapped == 2)
        #expect(run.mapper.signals.first { $0.inputID == "W-1/skin_temp" }?.name == "skin_temp of W-1")
    }

    @Test("an array read by position: the elements past the last position read are unmapped")
    func positional() async throws {
        let yaml = """
            source: {format: jsonl, timestamp: {field: ts, format: epoch_ms}}
            target: integration
            signals:
              - {field: "readings[0].v", input_id: hr}
              - {field: "readings[1].v", input_id: spo2}
            """
        let run = try await EdgeRun.run(yaml, "p.jsonl", Self.lines[0...2].joined(separator: "\n") + "\n")
        #expect(run.rows.map { $0.values.map(\.value) } == [[61, 95.5], [62, 96], []])
        #expect(run.rows.map(\.unmapped) == [0, 1, 0])
        #expect(run.report.total.unmapped == 1)
    }

    @Test("ox: one event per element, its type from the element; the sensor from the line")
    func oxEach() async throws {
        let yaml = """
            source: {format: jsonl, timestamp: {field: ts, format: epoch_ms}, each: readings}
            target: ox
            ox:
              sensor: {sensor_id: "{device.serial}", sensor_type: wrist, sensor_version: "1"}
              events: [{field: item.v, event_type: "{item.k}", reading: round}]
            """
        let run = try await EdgeRun.run(yaml, "o.jsonl", Self.lines[0...1].joined(separator: "\n") + "\n")
        #expect(run.rows.map { $0.events.map { "\($0.eventType)=\($0.reading)" } } == [["heart_rate=61", "spo2=96"], ["heart_rate=62", "spo2=96", "skin_temp=33"]])
        #expect(run.mapper.sensors.count == 1)
    }

    @Test("each is only for JSONL; a sensor cannot come from an element", arguments: [
        LoaderCase("each on csv", "source:\n  format: csv\n  each: readings\n  timestamp: {field: ts}\n", 3, "source.each",
                   "is only for format: jsonl (an array of readings in each line)"),
        LoaderCase("sensor from an element", """
            source: {format: jsonl, timestamp: {field: ts}, each: readings}
            target: ox
            ox:
              sensor: {sensor_id: "{item.k}", sensor_type: wrist, sensor_version: "1"}
              events: [{field: item.v, event_type: reading}]
            """, 4, "ox.sensor.sensor_id", #"{item.k} in "{item.k}": a sensor or beacon comes from the line, not from an element of source.each"#),
    ])
    func loaderErrors(_ c: LoaderCase) throws { try checkLoaderCase(c) }

    @Test("the sample: Mappings/wearables-arrays.yaml over samples/wearables-arrays, every element a value, one without its value unmapped")
    func sample() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let run = try await CommandRun.sigport(["validate", "-m", samplePath("Mappings/wearables-arrays.yaml"), "--run-dir", dir.path,
                                                    samplePath("samples/wearables-arrays")], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            // 240 lines: 2, 2, 3, 1 and 0 readings in turn (384) and a battery each (240).
            #expect(run.stdout == """
                rows read 240 = mapped 240 + rejected 0 + filtered 0
                624 values for 8 signals
                  array elements no field of the mapping read (unmapped): 1

                """, "\(run.stdout)")
        }
    }

    @Test("imported into the emulator: every element's reading stored in its signal; the summary counts the unmapped")
    func importEach() async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let mapping = try dir.write("m.yaml", Self.wide)
                let input = try dir.write("w.jsonl", Self.lines.joined(separator: "\n") + "\n")
                let report = dir.appendingPathComponent("report.json").path
                let run = try await CLITests.run(["import", "--credentials", dir.appendingPathComponent("creds.json").path, "--mapping", mapping, input,
                                                  "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "20", "--report", report], in: dir)
                #expect(run.status == 1, "\(run.output)")
                #expect(run.output.contains("rows read 8 = sent 6 + rejected 2 + filtered 0"), "\(run.output)")
                #expect(run.output.contains("array elements no field of the mapping read (unmapped): 2"), "\(run.output)")
                let t0: Int64 = 1_709_251_200_000_000, s: Int64 = 1_000_000
                #expect(try await ImportTests.stored(emulator) == [
                    "W-1/battery": [t0: 80, t0 + s: 79, t0 + 2 * s: 78], "W-2/battery": [t0 + 3 * s: 50],
                    "W-1/heart_rate": [t0: 61, t0 + s: 62], "W-1/spo2": [t0: 95.5, t0 + s: 96], "W-1/skin_temp": [t0 + s: 33.1],
                    "W-2/heart_rate": [t0 + 4 * s: 70],
                ])
                let decoded = try JSONDecoder().decode(Importer.Report.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
                #expect(decoded.total.unmapped == 2)
            }
        }
    }
}
