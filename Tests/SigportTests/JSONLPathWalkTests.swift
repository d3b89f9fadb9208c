import CSimdjson
import Testing

/// The JSONL reader finds all its paths in one walk of each line (`csj_lookup_paths`) instead of
/// one `at_pointer` per path. This checks the walk against simdjson's own `at_pointer`
/// (`csj_lookup`) on the awkward cases: duplicate keys, indexes on arrays and on objects, escapes,
/// shared prefixes, malformed pointers.
@Suite("JSONL path walk matches simdjson's at_pointer")
struct JSONLPathWalkTests {
    static let documents = [
        #"{"a":1,"a":2,"b":{"c":[10,{"d":"x"},null],"c":"dup"},"0":"zero","":{"":true},"x/y":{"m~n":3.5}}"#,
        #"{"list":[[1,2],[3,[4,5]]],"obj":{"0":"key zero","01":"lead","-":"dash"},"s":"a\u0000b","big":18446744073709551615}"#,
        #"{"t":1709251200313,"device":{"serial":"W-0","model":"wrist/v2"},"payload":{"hr":90,"spo2":92.5,"steps":10}}"#,
        #"{"deep":{"deep":{"deep":{"deep":"end"}}},"arr":[],"n":null,"f":false}"#,
    ]

    static let pointers = [
        "", "/a", "/b", "/b/c", "/b/c/0", "/b/c/1/d", "/b/c/2", "/b/c/3", "/b/c/01", "/b/c/-", "/b/c/x", "/0", "/", "//",
        "/x~1y/m~0n", "/x~1y/m~n", "/x~2y", "a", "/list/0/1", "/list/1/1/0", "/list/1/1/1/0", "/obj/0", "/obj/01", "/obj/-",
        "/s", "/big", "/t", "/device/serial", "/device/model", "/device/fw", "/payload/hr", "/payload/spo2", "/payload/steps",
        "/deep/deep/deep/deep", "/deep/deep/x", "/arr/0", "/n", "/n/x", "/f", "/f/0", "/a/b", "/payload", "/payload/hr",
    ]

    @Test("every pointer on every document: same type and value", arguments: Array(documents.indices))
    func sameAsAtPointer(_ document: Int) throws {
        let parser = try #require(csj_parser_create())
        defer { csj_parser_destroy(parser) }
        var padded = Array(Self.documents[document].utf8.map { CChar(bitPattern: $0) })
        let length = padded.count
        padded += Array(repeating: 0, count: csj_padding())
        #expect(csj_parse(parser, padded, length) == 0)

        let lengths = Self.pointers.map(\.utf8.count)
        let bytes = Self.pointers.flatMap { $0.utf8.map { CChar(bitPattern: $0) } }
        let compiled = try #require(bytes.withUnsafeBufferPointer { all in
            var offset = 0
            let starts: [UnsafePointer<CChar>?] = lengths.map { length in
                defer { offset += length }
                return all.baseAddress.map { $0 + offset }
            }
            return csj_paths_create(starts, lengths, lengths.count)
        })
        defer { csj_paths_destroy(compiled) }
        var walked = [csj_value](repeating: csj_value(), count: Self.pointers.count)
        csj_lookup_paths(parser, compiled, &walked)

        for (i, pointer) in Self.pointers.enumerated() {
            var single = csj_value()
            _ = csj_lookup(parser, pointer, pointer.utf8.count, &single)
            #expect(Self.describe(walked[i]) == Self.describe(single), "pointer \"\(pointer)\"")
        }
    }

    static func describe(_ value: csj_value) -> String {
        switch value.type {
        case CSJ_MISSING: "missing"
        case CSJ_NULL: "null"
        case CSJ_BOOL: "bool \(value.boolean)"
        case CSJ_NUMBER: "number \(value.number) \(value.is_integer) \(value.fits_int64) \(value.int64) \(value.uint64)"
        case CSJ_STRING: "string " + String(decoding: UnsafeRawBufferPointer(start: value.string, count: value.length), as: UTF8.self).debugDescription
        default: "container"
        }
    }
}
