/// The "large load": the wide CSV at `BENCH_LARGE_SIZE` (default 1 GB), planned once.
///
/// Request fill and flat memory are conditions of a large load — at 100 MB the token fetch and
/// `saveSignals` alone are 2 requests of 13, which no packing can bring within 2% — so they are
/// measured here at the size, while the throughput rows stay at `BENCH_SIZE`, where three
/// runs of every format fit the bench's time. One run, about a minute at ~19 MB/s: the request
/// count does not vary between runs, and peak RSS is a limit that one run either keeps or not.
struct LargeLoad {
    let input: GeneratedInput

    /// The plan's run, or `widePlan` itself when it already planned this very file
    /// (`BENCH_SIZE` = `BENCH_LARGE_SIZE`): the same work is not done twice.
    func plan(_ bench: Bench, reusing widePlan: PlanScenario.Result?) throws -> PlanScenario.Result {
        if let widePlan, widePlan.input.path == input.path { return widePlan }
        return try PlanScenario(input: input).run(bench, runs: 1)
    }
}
