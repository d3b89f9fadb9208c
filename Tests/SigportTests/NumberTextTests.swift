import Testing
@testable import Sigport
@testable import SigportEmulator

@Suite("Number texts: a value's text goes to the body as is only when it is the text sigport would write")
struct NumberTextTests {
    @Test("texts that are their number's JSON text", arguments: ["670.487", "0.5", "-12.25", "42", "0", "-7", "0.0001", "123456789012345", "99999999.999999", "-0.123456"])
    func jsonTexts(_ text: String) throws {
        let read = try #require(NumberText.plainDecimal(text))
        #expect(read.isJSONText)
        #expect(JSONText.number(read.value) == text)
    }

    @Test("texts that read as a number but are not its JSON text", arguments: ["1.50", "007", "0.10", "-0", "-0.0", "0.00001", "00.5", "10.000"])
    func otherTexts(_ text: String) throws {
        let read = try #require(NumberText.plainDecimal(text))
        #expect(!read.isJSONText)
        #expect(JSONText.number(read.value) != text)
    }

    /// Random decimals with leading and trailing zeros, signs and up to 8 fraction digits: every
    /// text said to be the JSON text is exactly what `JSONText.number` writes.
    @Test("a seeded sweep: isJSONText implies the text JSONText.number writes")
    func sweep() {
        var random = SplitMix64(seed: 7)
        var passedThrough = 0
        for _ in 0..<200_000 {
            let whole = String(random.next() % 1_000_000_000 >> (random.next() % 30))
            let zeros = String(repeating: "0", count: Int(random.next() % 3))
            let digits = Int(random.next() % 9)
            let fraction = String((0..<digits).map { _ in Character(String(random.next() % 10)) })
            let sign = random.next() % 3 == 0 ? "-" : ""
            let text = sign + (random.next() % 4 == 0 ? zeros : "") + whole + (digits > 0 ? "." + fraction : "")
            guard let read = NumberText.plainDecimal(text), read.isJSONText else { continue }
            passedThrough += 1
            #expect(JSONText.number(read.value) == text)
        }
        #expect(passedThrough > 50_000)
    }

    @Test("the mapper passes a value's text on only when no scale or offset applies")
    func mapperPassesText() throws {
        var mapper = try startedMapper("""
            source: {format: csv, timestamp: {field: ts}}
            target: integration
            signals:
              - {field: a, input_id: a}
              - {field: b, input_id: b, scale: 2}
              - {field: c, input_id: c, offset: 1}
            """, fields: ["ts", "a", "b", "c"])
        let row = try #require(mapper.map(textRow(["2024-03-01T00:00:00Z", "670.487", "670.487", "670.487"])).mappedRow)
        #expect(row.values.map(\.text.string) == ["670.487", nil, nil])
        let padded = try #require(mapper.map(textRow(["2024-03-01T00:00:00Z", "1.50", "1", "1"])).mappedRow)
        #expect(padded.values.map(\.text.string) == [nil, nil, nil])
    }
}
