// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "sigport",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sigport", targets: ["sigport"]),
        .library(name: "Sigport", targets: ["Sigport"]),
        .library(name: "SigportEmulator", targets: ["SigportEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", .upToNextMinor(from: "1.8.0")),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", .upToNextMinor(from: "1.37.0")),
        .package(url: "https://github.com/hummingbird-project/hummingbird", .upToNextMinor(from: "2.28.0")),
        .package(url: "https://github.com/vapor/jwt-kit", .upToNextMinor(from: "5.8.0")),
        .package(url: "https://github.com/apple/swift-log", .upToNextMinor(from: "1.16.0")),
        .package(url: "https://github.com/apple/swift-crypto", .upToNextMinor(from: "4.5.0")),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Already under async-http-client and hummingbird; named for --ca-file and the emulator's TLS.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        // libcsv has no pkg-config file: the module map links "csv" itself.
        .systemLibrary(
            name: "CLibCSV",
            providers: [.apt(["libcsv-dev"])]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // A C face (extern "C") on simdjson's DOM parser (libsimdjson-dev, installed by
        // scripts/setup.sh), for the JSONL reader.
        .target(
            name: "CSimdjson",
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        // The documented constants (regexes, limits, codes) and nothing else: the one thing the
        // emulator and the clients may share, so the emulator can still catch the clients' mistakes.
        .target(name: "SigportContract"),
        .target(
            name: "Sigport",
            dependencies: [
                "SigportContract",
                "CLibCSV",
                "CZlib",
                "CSimdjson",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "SigportEmulator",
            dependencies: [
                "SigportContract",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "sigport",
            dependencies: [
                "Sigport",
                "SigportEmulator",
                "SigportContract",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `make bench`: whole-process scenarios on generated inputs (release build).
        .executableTarget(name: "SigportBench", path: "Benchmarks/SigportBench"),
        .testTarget(
            name: "SigportEmulatorTests",
            dependencies: [
                "SigportEmulator",
                "SigportContract",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .testTarget(
            name: "SigportTests",
            dependencies: [
                "Sigport",
                "SigportEmulator",
                // The CLI tests run the built binary; depending on it makes `swift test` build it.
                "sigport",
            ],
            // Read through #filePath by the snapshot tests, not bundled.
            exclude: ["Snapshots", "FuzzCorpus"]
        ),
    ],
    cxxLanguageStandard: .cxx17
)
