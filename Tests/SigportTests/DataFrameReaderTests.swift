import Foundation
import NIOCore
import Testing
@testable import Sigport

/// The data-frame answers an export reads with simdjson: values by item, nulls, items the answer
/// lacks, error answers left to the caller, and answers that break the documented shape.
@Suite struct DataFrameReaderTests {
    static let a = "c8ktonqsahsmemfs7lv0", b = "c8ktonqsahsmemfs7lv1", c = "c8ktonqsahsmemfs7lv2"

    func read(_ json: String, items: [String] = [a, b, c]) throws -> DataFrameReader.Frame? {
        try DataFrameReader().read(ByteBuffer(string: json), items: items)
    }

    @Test("times, values and nulls by item; an item the answer lacks is nil")
    func frame() throws {
        let json = #"{"jsonrpc":"2.0","id":"1","result":{"meta":{"total":2},"data":{"times":["2024-03-01T00:00:00Z","2024-03-01T00:00:01.5Z"],"# +
            #""series":{"\#(Self.a)":[1.5,null],"\#(Self.b)":[-0.0,12345678901234567890]}}}}"#
        let frame = try #require(try read(json))
        #expect(frame.times == [1_709_251_200_000_000, 1_709_251_201_500_000])
        #expect(frame.columns[0]?.first == 1.5 && frame.columns[0]?.last?.isNaN == true)
        #expect(frame.columns[1] == [-0.0, 12345678901234567890])
        #expect(frame.columns[2] == nil)
    }

    @Test("an error answer, or no JSON at all, is nil: the caller reads the error")
    func noFrame() throws {
        #expect(try read(#"{"jsonrpc":"2.0","id":"1","error":{"code":-32015,"message":"busy"}}"#) == nil)
        #expect(try read("<html>bad gateway</html>") == nil)
    }

    @Test("a frame whose values do not line up with its times, or hold text, is refused")
    func broken() {
        let short = #"{"result":{"data":{"times":["2024-03-01T00:00:00Z"],"series":{"\#(Self.a)":[]}}}}"#
        let text = #"{"result":{"data":{"times":["2024-03-01T00:00:00Z"],"series":{"\#(Self.a)":["1"]}}}}"#
        let time = #"{"result":{"data":{"times":["yesterday"],"series":{}}}}"#
        for json in [short, text, time] {
            #expect(throws: SigportError.self) { try read(json) }
        }
    }
}
