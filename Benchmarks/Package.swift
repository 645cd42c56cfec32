// swift-tools-version: 6.1
import PackageDescription

/// crtsim's benchmark suite (ordo-one/benchmark), kept out of the root package so that CI, `swift build` and
/// `swift test` never build it: it needs swift-tools-version 6.1 (package traits) and the benchmark package's
/// `MallocInterposer` trait. Run from this folder: `swift package benchmark` (see README.md).
let package = Package(
    name: "crtsim-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "crtsim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // One benchmark per stage of a case (phantom, CMR analysis, registration with the lead, scoring) and the
        // whole case; sources in Benchmarks/CaseStages/, thresholds in Thresholds/.
        .executableTarget(
            name: "CaseStages",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CRTSimBenchmarkKit", package: "crtsim"),
            ],
            path: "Benchmarks/CaseStages",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
