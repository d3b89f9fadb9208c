/// Every generated input of a run: the large ones (`BENCH_SIZE`) for throughput, 10 MB ones for
/// the flat-memory comparison, the wide CSV at `BENCH_LARGE_SIZE` for the large-load
/// conditions, and the fixed sizes of the density and end-to-end scenarios.
struct BenchInputs {
    static let smallBytes = 10_000_000

    let wide, long, jsonl: GeneratedInput
    let wideSmall, longSmall, jsonlSmall: GeneratedInput
    /// The same file as `wide` when both sizes are equal.
    let wideLarge: GeneratedInput
    let density: GeneratedInput
    let endToEnd: GeneratedInput

    /// The largest file of each format is generated; the smaller ones of a byte size are copied
    /// from its first rows.
    init(_ bench: Bench) throws {
        let work = bench.work
        let wideSizes = [bench.size, Self.smallBytes, bench.largeSize, EndToEndScenario.inputBytes]
        let widest = try GeneratedInput.make(WideCSV(), .bytes(wideSizes.max() ?? bench.largeSize), in: work)
        func wideFile(_ bytes: Int) throws -> GeneratedInput { try .make(WideCSV(), .bytes(bytes), in: work, prefixOf: widest) }
        wide = try wideFile(bench.size)
        long = try .make(LongCSV(), .bytes(bench.size), in: work)
        jsonl = try .make(NestedJSONL(), .bytes(bench.size), in: work)
        wideSmall = try wideFile(Self.smallBytes)
        longSmall = try .make(LongCSV(), .bytes(Self.smallBytes), in: work, prefixOf: long)
        jsonlSmall = try .make(NestedJSONL(), .bytes(Self.smallBytes), in: work, prefixOf: jsonl)
        wideLarge = try wideFile(bench.largeSize)
        density = try .make(WideCSV(), .rows(PayloadDensityScenario.rows), in: work)
        endToEnd = try wideFile(EndToEndScenario.inputBytes)
    }
}
