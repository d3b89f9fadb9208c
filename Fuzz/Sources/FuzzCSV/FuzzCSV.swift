import FuzzSupport
import Sigport

/// libFuzzer entry point for the CSV reader (libcsv). The input is the CSV file; a generator
/// seeded from it picks the dialect, the reader's chunk size and row limit, and the read sizes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    var random = FuzzRandom(input)
    let dialects: [CSVDialect] = [.comma, .semicolon, .tab, .pipe,
                                  CSVDialect(delimiter: UInt8(ascii: ","), header: false, columns: ["a", "b", "c"]),
                                  CSVDialect(delimiter: UInt8(ascii: ";"), header: true, columns: ["a", "b", "c", "d"])]
    let dialect = dialects.randomElement(using: &random)!
    let chunkSize = random.size(upTo: 4096)
    let maxRowBytes = Bool.random(using: &random) ? CSVReader.defaultMaxRowBytes : random.size(upTo: 512)
    trace("dialect \(dialect), chunkSize \(chunkSize), maxRowBytes \(maxRowBytes)")
    checkReader(input, file: "fuzz.csv", random: &random) { source in
        try CSVReader(source: source, file: "fuzz.csv", dialect: dialect, maxRowBytes: maxRowBytes, chunkSize: chunkSize)
    }
    return 0
}

@main
enum Main {
    static func main() { runLibFuzzer(fuzz) }
}
