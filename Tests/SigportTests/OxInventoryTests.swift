import Foundation
import Testing
@testable import Sigport

/// The pieces of reading an ox org that need no server: URL-bounded id lists and error ids.
@Suite("ox inventory: URL bounds and error ids")
struct OxInventoryTests {
    @Test("retrieve-many id lists keep every URL within the bound, every id once, in order")
    func urlBatches() {
        let ids = (0..<5000).map { String(1_000_000_000_000_000 + $0 * 7919) }
        let prefix = "http://127.0.0.1:8080/event/".count
        let batches = OxInventoryReader.urlBatches(ids, prefix: prefix, limit: 2000)
        #expect(batches.flatMap { $0 } == ids)
        #expect(batches.allSatisfy { prefix + $0.joined(separator: ",").utf8.count <= 2000 })
        #expect(batches.dropLast().allSatisfy { prefix + $0.joined(separator: ",").utf8.count > 2000 - 17 }, "batches are full")
    }

    @Test("the ids an ox error names, from {id, info} or a list of them")
    func namedIDs() {
        let one = Data(#"{"status":"failure","data":{"id":"17","info":"not found"}}"#.utf8)
        let many = Data(#"{"status":"failure","data":[{"id":"17","info":"x"},{"id":"18","info":"x"}]}"#.utf8)
        let none = Data(#"{"status":"failure","data":{"id":null,"info":"bad"}}"#.utf8)
        #expect(OxInventoryReader.namedIDs(one) == ["17"])
        #expect(OxInventoryReader.namedIDs(many) == ["17", "18"])
        #expect(OxInventoryReader.namedIDs(none).isEmpty)
    }
}
