// swift-tools-version: 5.4
import PackageDescription

/// libFuzzer targets for crtsim's input readers (docs/reliability.md, "Fuzzing"). Kept out of the root package
/// so that `swift build` / `swift test` / CI never build them; build only with the fuzzer sanitizer:
///
///     cd Fuzz && swift build -c release --scratch-path .build-fuzz \
///         -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
///         -Xcc -fsanitize=fuzzer-no-link,address
///
/// Each target defines `LLVMFuzzerTestOneInput`; libFuzzer (linked by `-sanitize=fuzzer`) provides `main`.
///
/// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's entry point to `<module>_main` and
/// links with `--defsym main=<module>_main` (so tests can import executables), which fails here because the
/// entry point is libFuzzer's `main`, not the module's. Linux only (libFuzzer ships with swift.org toolchains).
let package = Package(
    name: "crtsim-fuzz",
    dependencies: [
        // The root package by path; `name:` pins the identity used below whatever the checkout folder is called.
        .package(name: "crtsim", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "fuzz-phantom", dependencies: [
            "FuzzSupport", .product(name: "CRTSimReaders", package: "crtsim")], path: "Sources/FuzzPhantom"),
        .executableTarget(name: "fuzz-scenario", dependencies: [
            "FuzzSupport", .product(name: "CRTSimReaders", package: "crtsim")], path: "Sources/FuzzScenario"),
        .executableTarget(name: "fuzz-acquisition", dependencies: [
            "FuzzSupport", .product(name: "CRTSimReaders", package: "crtsim")], path: "Sources/FuzzAcquisition"),
        .executableTarget(name: "fuzz-nifti", dependencies: [
            "FuzzSupport", .product(name: "CRTSimReaders", package: "crtsim")], path: "Sources/FuzzNIfTI"),
    ]
)
