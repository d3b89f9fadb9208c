import Foundation
import Testing
@testable import Sigport

extension EdgeValueTests {
    @Suite("Edge values: timestamps, huge lines and deep nesting through whole runs")
    struct Inputs {
        /// 2024-03-01T00:00:00Z in microseconds.
        static let march1: Int64 = 1_709_251_200_000_000

        /// Timestamps at the edges, and the instant (µs) or the rule each gets. The mapping names
        /// UTC for texts without an offset.
        static let timestamps: [(text: String, outcome: Result<Int64, RejectRule>)] = [
            ("2024-02-29T12:00:00Z", .success(1_709_208_000_000_000)),
            ("2024-02-29", .success(1_709_164_800_000_000)),
            ("2023-02-29T00:00:00Z", .failure(.timestampFormat)),
            ("2023-02-29", .failure(.timestampFormat)),
            ("0001-01-01T00:00:00Z", .success(-62_135_596_800_000_000)),
            ("9999-12-31T23:59:59.999999Z", .success(253_402_300_799_999_999)),
            ("10000-01-01T00:00:00Z", .failure(.timestampRange)),
            ("10000-01-01", .failure(.timestampRange)),
            ("0000-12-31T23:59:59Z", .failure(.timestampRange)),
            ("9999-12-31T23:59:59.999999-00:01", .failure(.timestampRange)),
            ("2024-03-01T14:00:00+14:00", .success(march1)),
            ("2024-02-29T10:00:00-14:00", .success(march1)),
            ("2024-03-01T14:01:00+14:01", .failure(.timestampFormat)),
            ("2024-03-01T14:00:00-14:01", .failure(.timestampFormat)),
            ("2024-03-02T00:00:00+24:00", .failure(.timestampFormat)),
            // docs/integration-api.md: "A leap second (:60) is stored as the next second"; the
            // mapping reads it the same way.
            ("2016-12-31T23:59:60Z", .success(1_483_228_800_000_000)),
            ("2016-12-31T23:59:60.5Z", .success(1_483_228_800_500_000)),
            ("2016-12-31T23:59:61Z", .failure(.timestampFormat)),
        ]

        @Test("timestamps at the edges: leap days, years 0001 and 9999, offsets ±14:00, a leap second; each reject with line, column and rule")
        func timestampEdges() async throws {
            // A site per row: rows at one instant are other signals', not duplicate times.
            let csv = "ts,site,v\n" + Self.timestamps.enumerated().map { "\($1.text),s\($0),1" }.joined(separator: "\n") + "\n"
            let run = try await EdgeRun.run(EdgeMappings.csv, "edge.csv", csv)
            var expectedRejects: [String] = []
            var expectedTimes: [Int64] = []
            for (index, (_, outcome)) in Self.timestamps.enumerated() {
                switch outcome {
                case .success(let time): expectedTimes.append(time)
                case .failure(let rule): expectedRejects.append("\(index + 2) \(rule.rawValue) ts")
                }
            }
            #expect(run.rejected == expectedRejects)
            #expect(run.rejects.map(\.value) == Self.timestamps.filter { if case .failure = $0.outcome { true } else { false } }.map(\.text))
            #expect(run.rows.map(\.time) == expectedTimes)
        }

        @Test("a leap second is the same instant as the next second, in JSONL and through a strptime pattern too")
        func leapSecond() async throws {
            let jsonl = try await EdgeRun.run(EdgeMappings.jsonl, "edge.jsonl",
                                              #"{"ts":"2016-12-31T23:59:60Z","site":"a","v":1}"# + "\n" + #"{"ts":"2017-01-01T00:00:00Z","site":"a","v":2}"#)
            // One signal: the next second is the leap second's time again, so a duplicate.
            #expect(jsonl.rows.map(\.time) == [1_483_228_800_000_000])
            #expect(jsonl.rejected == ["2 duplicate-time ts"])
            let pattern = EdgeMappings.csv.replacingOccurrences(of: "timezone: UTC", with: #"format: "%d.%m.%Y %H:%M:%S", timezone: UTC"#)
            let csv = try await EdgeRun.run(pattern, "edge.csv", "ts,site,v\n31.12.2016 23:59:60,a,1\n29.02.2023 00:00:00,a,2\n")
            #expect(csv.rows.map(\.time) == [1_483_228_800_000_000])
            #expect(csv.rejected == ["3 timestamp-format ts"])
        }

        // MARK: Huge lines

        @Test("a CSV row with a 10 MB field: typed rejects naming the field, the rows after it read with the right lines")
        func hugeCSVField() async throws {
            let tenMB = 10_000_000
            let site = String(repeating: "a", count: tenMB)
            let word = String(repeating: "w", count: tenMB)  // 10 MB of digits: see EdgeValueTests.longDigitTexts
            let note = String(repeating: "x,\"\"y\n", count: tenMB / 6)  // quoted: delimiters, quotes and line breaks
            let rows = ["2024-03-01T00:00:00Z,pier,1,ok",
                        "2024-03-01T00:01:00Z,\(site),2,ok",            // line 3: the input ID is over 128 characters
                        "2024-03-01T00:02:00Z,pier,\(word),ok",          // line 4: not a number
                        "2024-03-01T00:03:00Z,pier,3,\"\(note)\"",       // line 5: a 10 MB field nobody reads
                        "2024-03-01T00:04:00Z,pier,4,ok",
                        "2024-03-01T00:05:00Z,pier,warm,ok"]           // after the line breaks of line 5's field
            let csv = "ts,site,v,note\n" + rows.joined(separator: "\n") + "\n"
            let run = try await EdgeRun.run(EdgeMappings.csv, "huge.csv", csv)
            let noteLines = tenMB / 6
            #expect(run.rejected == ["3 input-id site", "4 number v", "\(7 + noteLines) number v"])
            #expect(run.rejects.map { $0.value?.count } == [tenMB, tenMB, 4])
            #expect(run.rejects.prefix(2).map(\.raw.utf8.count) == [rows[1].utf8.count, rows[2].utf8.count], "the whole row is kept to re-feed")
            #expect(run.rows.map { $0.values.map(\.value) } == [[1], [3], [4]])
            #expect(run.report.total.read == 6)
            #expect(run.mapper.signals.map(\.inputID) == ["pier/v"])
        }

        @Test("a JSONL line of 20 MB: a typed reject naming the field when it matters, a row when it does not; the lines after it are read")
        func hugeJSONLLine() async throws {
            let twentyMB = 20_000_000
            let big = String(repeating: "b", count: twentyMB)
            let lines = [#"{"ts":"2024-03-01T00:00:00Z","site":"pier","v":1}"#,
                         #"{"ts":"2024-03-01T00:01:00Z","site":"\#(big)","v":2}"#,
                         #"{"ts":"2024-03-01T00:02:00Z","site":"pier","v":3,"pad":"\#(big)"}"#,
                         #"{"ts":"2024-03-01T00:03:00Z","site":"pier","v":"\#(big)"}"#,
                         #"{"ts":"2024-03-01T00:04:00Z","site":"pier","v":5}"#]
            let run = try await EdgeRun.run(EdgeMappings.jsonl, "huge.jsonl", lines.joined(separator: "\n"))
            #expect(run.rejected == ["2 input-id site", "4 number v"])
            #expect(run.rejects.map { $0.raw.utf8.count } == [lines[1].utf8.count, lines[3].utf8.count])
            #expect(run.rows.map { $0.values.map(\.value) } == [[1], [3], [5]])
            #expect(run.rows.map(\.time) == [0, 2, 4].map { Self.march1 + $0 * 60_000_000 })
        }

        // MARK: Deep nesting

        @Test("JSONL nested 10,000 deep is a jsonl-syntax reject for that line only (simdjson stops at 1024); 1,000 deep is read")
        func deepJSONL() async throws {
            let lines = [#"{"ts":"2024-03-01T00:00:00Z","site":"pier","v":1}"#,
                         #"{"ts":"2024-03-01T00:01:00Z","site":"pier","v":2,"deep":\#(Self.nestedJSON(depth: 10_000, array: true))}"#,
                         Self.nestedJSON(depth: 10_000, array: true),
                         #"{"ts":"2024-03-01T00:03:00Z","site":"pier","v":4,"deep":\#(Self.nestedJSON(depth: 10_000, array: false))}"#,
                         #"{"ts":"2024-03-01T00:04:00Z","site":"pier","v":5,"deep":\#(Self.nestedJSON(depth: 1_000, array: false))}"#,
                         #"{"ts":"2024-03-01T00:05:00Z","site":"pier","v":6}"#]
            let run = try await EdgeRun.run(EdgeMappings.jsonl, "deep.jsonl", lines.joined(separator: "\n") + "\n")
            #expect(run.rejected == ["2 jsonl-syntax -", "3 jsonl-syntax -", "4 jsonl-syntax -"])
            #expect(run.rejects.allSatisfy { $0.message.contains("too deep") }, "\(run.rejects.map(\.message))")
            #expect(run.rejects.map(\.raw) == Array(lines[1...3]))
            #expect(run.rows.map { $0.values.map(\.value) } == [[1], [5], [6]])
        }

        /// Wraps `value` in `depth` levels of `[…]` or `{"a": …}`.
        static func nestedJSON(depth: Int, array: Bool) -> String {
            String(repeating: array ? "[" : #"{"a":"#, count: depth) + "1" + String(repeating: array ? "]" : "}", count: depth)
        }
    }
}
