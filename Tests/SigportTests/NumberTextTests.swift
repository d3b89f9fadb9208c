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

    /// The word reader against the byte loop, on every text of up to 8 bytes it may meet: digits
    /// with points, signs, exponents, spaces, commas and a non-ASCII byte, random and seeded, plus
    /// the edges by hand. Same nil, same Double bit for bit, same verdict, same cell.
    @Test("a word of up to 8 bytes reads as the byte loop reads it", arguments: [1, 2, 3])
    func wordMatchesLoop(seed: UInt64) {
        let alphabet = Array("0123456789..--+e ,".utf8) + [0xC3]
        var random = SplitMix64(seed: seed)
        var texts: [[UInt8]] = ["", "-", ".", "-.", "0", "-0", "1.", ".5", "-.5", "1..2", "1.2.3", "12345678", "-1234567",
                                "9999999.", "0.000001", "-0.00001", "00000000", "1e5", "99.99999", "0.1", "10.5"].map { Array($0.utf8) }
        for _ in 0..<300_000 {
            let count = Int(random.next() % 9)
            texts.append((0..<count).map { _ in
                // Mostly digits, so that many texts are numbers.
                random.next() % 4 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : UInt8(48 + random.next() % 10)
            })
        }
        var numbers = 0
        for text in texts {
            text.withUnsafeBufferPointer { bytes in
                let loop = NumberText.plainDecimal(bytes)
                let word = NumberText.plainDecimalAndText(bytes)
                #expect(loop?.value.bitPattern == word?.value.bitPattern, "\(String(decoding: text, as: UTF8.self))")
                #expect((loop?.isJSONText ?? false) == !(word?.text.isAbsent ?? true), "\(String(decoding: text, as: UTF8.self))")
                if let word, !word.text.isAbsent { #expect(word.text == CellText(bytes)) }
                if loop != nil { numbers += 1 }
            }
        }
        #expect(numbers > 100_000)
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
