// swift-tools-version:6.1
// Coverage-guided fuzzers (libFuzzer) of what reads untrusted text: the CSV and JSONL readers and
// the mapping loader. Built and run by `scripts/fuzz.sh` (`make fuzz`, part of `make soak`), with
// `-sanitize=fuzzer,address`; a separate package so that the instrumented build of the library
// and its dependencies lives in its own scratch path (`.build-fuzz`) and never touches `.build`.
import PackageDescription

let package = Package(
    name: "sigport-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "sigport", path: ".."),
    ],
    targets: [
        // What the three harnesses share: deterministic chunking, the outcome checks, trapping.
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver", .product(name: "Sigport", package: "sigport")]),
        // The declaration of libFuzzer's LLVMFuzzerRunDriver.
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzSupport", .product(name: "Sigport", package: "sigport")]),
        .executableTarget(name: "FuzzJSONL", dependencies: ["FuzzSupport", .product(name: "Sigport", package: "sigport")]),
        .executableTarget(name: "FuzzMapping", dependencies: ["FuzzSupport", .product(name: "Sigport", package: "sigport")]),
    ],
    cxxLanguageStandard: .cxx17
)
