/// Draws the fault (or none) for each request from a seeded generator, so a run with the same
/// `--fault-seed` and the same request order injects the same faults.
actor FaultInjector {
    private let configuration: FaultConfiguration
    private var generator: SplitMix64

    init(configuration: FaultConfiguration) {
        self.configuration = configuration
        self.generator = SplitMix64(seed: configuration.seed)
    }

    func draw() -> FaultConfiguration.Kind? {
        guard configuration.rate > 0, !configuration.kinds.isEmpty else { return nil }
        let roll = Double(generator.next() >> 11) / Double(1 << 53)
        guard roll < configuration.rate else { return nil }
        return configuration.kinds[Int(generator.next() % UInt64(configuration.kinds.count))]
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood 2014): reproducible across platforms,
/// unlike `SystemRandomNumberGenerator`.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
