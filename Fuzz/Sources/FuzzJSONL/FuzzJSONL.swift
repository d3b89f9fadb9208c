import FuzzSupport
import Sigport

/// libFuzzer entry point for the JSONL reader (simdjson through the CSimdjson shim). The input is
/// the JSONL file; a generator seeded from it picks the reader's chunk size and line limit and
/// the read sizes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    var random = FuzzRandom(input)
    let chunkSize = random.size(upTo: 4096)
    let maxLineLength = Bool.random(using: &random) ? 64 * 1024 : random.size(upTo: 1024)
    let paths = ["ts", "payload.hr", "readings[0].v", "device.serial", "[\"a.b\"]", "x[1][2]"]
    trace("chunkSize \(chunkSize), maxLineLength \(maxLineLength)")
    checkReader(input, file: "fuzz.jsonl", random: &random) { source in
        try JSONLReader(source: source, file: "fuzz.jsonl", paths: paths, chunkSize: chunkSize, maxLineLength: maxLineLength)
    }
    return 0
}

@main
enum Main {
    static func main() { runLibFuzzer(fuzz) }
}
