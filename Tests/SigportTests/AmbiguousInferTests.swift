import Foundation
import Testing
@testable import Sigport
import SigportEmulator

/// `ambiguous: infer`: the night clocks fall back (Europe/Oslo, 2024-10-27, 03:00 CEST → 02:00
/// CET), a log's local times 02:00-02:59 come twice, and their order says which is which.
@Suite("ambiguous: infer places a repeated local hour by the order of the rows")
struct AmbiguousInferTests {
    /// 2024-10-26T23:45:00Z, i.e. 01:45 CEST: the log's first row.
    static let start: Int64 = 1_729_986_300_000_000
    static let quarter: Int64 = 900_000_000

    static func wide(_ ambiguous: String) -> String {
        """
        source: {format: csv, timestamp: {field: ts, format: "%Y-%m-%d %H:%M", timezone: Europe/Oslo, ambiguous: \(ambiguous)}}
        target: integration
        signals: [{field: v, input_id: "{site}/v"}]
        """
    }

    /// 01:45, 02:00 … 02:45 (CEST), 02:00 … 02:45 again (CET), 03:00: ten quarters in a row.
    static let fallBackNight = "ts,site,v\n" + ["01:45", "02:00", "02:15", "02:30", "02:45", "02:00", "02:15", "02:30", "02:45", "03:00"]
        .enumerated().map { "2024-10-27 \($1),pier,\($0)" }.joined(separator: "\n") + "\n"

    @Test("the fall-back night: the first 02:00-02:45 are CEST, the second CET; all ten rows keep their own instant")
    func fallBack() async throws {
        let run = try await EdgeRun.run(Self.wide("infer"), "oslo.csv", Self.fallBackNight)
        #expect(run.rejected == [])
        #expect(run.rows.map(\.time) == (0..<10).map { Self.start + Int64($0) * Self.quarter })
        #expect(run.rows.map { $0.values[0].value } == (0..<10).map(Double.init))
    }

    @Test("earlier and later map both passes to one instant each: what infer exists to avoid")
    func fixedPolicies() async throws {
        let earlier = try await EdgeRun.run(Self.wide("earlier"), "oslo.csv", Self.fallBackNight)
        #expect(Set(earlier.rows.map(\.time)).count == 6)
        let later = try await EdgeRun.run(Self.wide("later"), "oslo.csv", Self.fallBackNight)
        #expect(Set(later.rows.map(\.time)).count == 6)
    }

    @Test("a series that passes the overlap once, or goes back twice in it, is rejected as timestamp-dst-infer; the rows around it are kept")
    func undecidable() async throws {
        let once = try await EdgeRun.run(Self.wide("infer"), "once.csv", "ts,site,v\n2024-10-27 01:30,pier,1\n2024-10-27 02:30,pier,2\n2024-10-27 03:30,pier,3\n")
        #expect(once.rejected == ["3 timestamp-dst-infer ts"])
        #expect(once.rejects.first?.message.contains("passes once") == true)
        #expect(once.rows.count == 2)
        let twice = try await EdgeRun.run(Self.wide("infer"), "twice.csv",
                                          "ts,site,v\n2024-10-27 02:00,pier,1\n2024-10-27 02:30,pier,2\n2024-10-27 02:15,pier,3\n2024-10-27 02:45,pier,4\n2024-10-27 02:10,pier,5\n2024-10-27 03:00,pier,6\n")
        #expect(twice.rejected == (2...6).map { "\($0) timestamp-dst-infer ts" })
        #expect(twice.rows.map(\.time) == [Self.start + 9 * Self.quarter])
    }

    @Test("two devices in one file are two series: each goes back once, each is decided on its own")
    func interleavedDevices() async throws {
        var lines = ["ts,site,v"]
        for (n, local) in ["02:00", "02:30", "02:00", "02:30"].enumerated() {
            lines.append("2024-10-27 \(local),pier,\(n)")
            lines.append("2024-10-27 \(local),dock,\(10 + n)")
        }
        let run = try await EdgeRun.run(Self.wide("infer"), "two.csv", lines.joined(separator: "\n") + "\n")
        #expect(run.rejected == [])
        let pier = Self.start + Self.quarter
        #expect(run.rows.map(\.time) == [0, 0, 2, 2, 4, 4, 6, 6].map { pier + Int64($0) * Self.quarter })
    }

    @Test("standard input cannot be read twice: infer says so, and what to do")
    func standardInput() async throws {
        try await withTemporaryDirectory { (dir: URL) async throws in
            let mapping = try dir.write("m.yaml", Self.wide("infer"))
            let run = try await CommandRun.sigport(["validate", "--mapping", mapping, "-"], in: dir, stdin: Array(Self.fallBackNight.utf8))
            #expect(run.status != 0)
            #expect(run.stderr.contains("ambiguous: infer reads each input twice"), "\(run.stderr)")
        }
    }

    @Test("imported into the emulator: the API holds all ten readings, at their own instants")
    func importFallBack() async throws {
        try await withEmulator(.init(requestInterval: .zero)) { (_: String, credentials: EmulatorCredentials, emulator: Emulator) async throws in
            try await withTemporaryDirectory { (dir: URL) async throws in
                try credentials.write(to: dir.appendingPathComponent("creds.json").path)
                let mapping = try dir.write("m.yaml", Self.wide("infer"))
                let input = try dir.write("oslo.csv", Self.fallBackNight)
                let run = try await CLITests.run(["import", "--credentials", dir.appendingPathComponent("creds.json").path, "--mapping", mapping, input,
                                                  "--run-dir", dir.appendingPathComponent("run").path, "--requests-per-second", "20"], in: dir)
                #expect(run.status == 0, "\(run.output)")
                let expected = Dictionary(uniqueKeysWithValues: (0..<10).map { (Self.start + Int64($0) * Self.quarter, Double($0)) })
                #expect(try await ImportTests.stored(emulator) == ["pier/v": expected])
            }
        }
    }
}
