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

    init(_ bench: Bench) throws {
        let large = InputLimit.bytes(bench.size), small = InputLimit.bytes(Self.smallBytes)
        wide = try .make(WideCSV(), large, in: bench.work)
        long = try .make(LongCSV(), large, in: bench.work)
        jsonl = try .make(NestedJSONL(), large, in: bench.work)
        wideSmall = try .make(WideCSV(), small, in: bench.work)
        longSmall = try .make(LongCSV(), small, in: bench.work)
        jsonlSmall = try .make(NestedJSONL(), small, in: bench.work)
        wideLarge = try .make(WideCSV(), .bytes(bench.largeSize), in: bench.work)
        density = try .make(WideCSV(), .rows(PayloadDensityScenario.rows), in: bench.work)
        endToEnd = try .make(WideCSV(), .bytes(EndToEndScenario.inputBytes), in: bench.work)
    }
}
