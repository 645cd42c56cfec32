// swift-tools-version: 6.0
import PackageDescription

/// crtsim: synthetic CRT patients (heart phantom, CMR, fluoroscopy), the image-guidance pipeline
/// that runs on their images alone, and scenario runners that score it against the truth.
///
/// Dependency direction (the pipeline must never see the truth):
///   CRTCore <- SegmentModel <- HeartPhantom <- CMRSimulation, XRaySimulation <- SyntheticCase <- CRTSimCLI
///   CRTCore <- Fourier (only importer of FFTW)      ImageIO (NIfTI, acquisition.json)   Figures (cairo)
///   Statistics and WebOutput (HTML escaping, page JSON) depend on nothing; Figures, SyntheticCase, GuidancePipeline,
///   Teaching and Validation use them
///   CRTCore, SegmentModel, Fourier, ImageIO, Figures, SurfaceMesh <- GuidancePipeline (images only) <- CRTSimCLI
let package = Package(
    name: "crtsim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "crtsim", targets: ["crtsim"]),
        .library(name: "CRTSimReaders", targets: ["HeartPhantom", "Validation", "ImageIO"]), // for Fuzz/ (libFuzzer targets)
        // for Benchmarks/ (a separate package: ordo-one/benchmark, which CI does not build)
        .library(name: "CRTSimBenchmarkKit", targets: ["CRTCore", "HeartPhantom", "XRaySimulation", "SyntheticCase", "GuidancePipeline", "FluoroGuidance", "Validation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries (Debian: libfftw3-dev, libcairo2-dev, libniftiio-dev, libnifti2-dev, libznz-dev).
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),
        .target(name: "CNIfTIShim", path: "Sources/CNIfTIShim",
                cSettings: [.unsafeFlags(["-I/usr/include/nifti"])],
                linkerSettings: [.linkedLibrary("niftiio"), .linkedLibrary("znz"), .linkedLibrary("z")]),
        // libpng (Debian: libpng-dev) for 16-bit PNG; a C target because libpng reports errors by longjmp.
        .target(name: "CPNGShim", path: "Sources/CPNGShim", linkerSettings: [.linkedLibrary("png")]),

        // Core value types: vectors, transforms, grids, seeded randomness.
        .target(name: "CRTCore"),
        // 36/18/17-segment models, names, adjacency, mapping; the shared vocabulary of truth and analysis
        // (CaseFindings, SegmentRecord, LeadPosition, DecisionModel).
        .target(name: "SegmentModel", dependencies: ["CRTCore"]),
        // The only importer of FFTW: cached plans behind one planner lock.
        .target(name: "Fourier", dependencies: ["CRTCore", "CFFTW"]),
        // NIfTI reading and writing, scanner metadata (acquisition.json).
        .target(name: "ImageIO", dependencies: ["CRTCore", "CNIfTIShim", "CPNGShim"]),
        // Figures drawn with cairo (previews, bullseyes, curves).
        // The one HTML escaper and page-embedded JSON writer (report.html, 4D-MAP, teaching page, junit.xml). It
        // depends on nothing, so pipeline products (the 4D-MAP page) can use it without Validation or the generator.
        .target(name: "WebOutput"),
        .target(name: "Figures", dependencies: ["CRTCore", "SegmentModel", "CCairo", "Statistics", "WebOutput"]),
        // The synthetic heart: anatomy, motion, activation, scar, veins, and its ground truth.
        .target(name: "HeartPhantom", dependencies: ["CRTCore", "SegmentModel", .product(name: "Yams", package: "Yams")]),
        // CMR image formation (cine bSSFP, LGE inversion recovery) through k-space.
        .target(name: "CMRSimulation", dependencies: ["CRTCore", "Fourier", "HeartPhantom", "ImageIO"]),
        // Dual-view fluoroscopy: chest attenuation, heart pose, venogram and lead, C-arm projection, detector.
        .target(name: "XRaySimulation", dependencies: ["CRTCore", "Fourier", "HeartPhantom", "SegmentModel"]),
        // Writes one synthetic case folder: cmr/, xray/, operator/, truth/, preview/.
        .target(name: "SyntheticCase", dependencies: ["CRTCore", "SegmentModel", "HeartPhantom", "CMRSimulation", "XRaySimulation", "ImageIO", "Figures", "Statistics"]),
        // Triangle meshes of the LV wall built from short-axis contours; PLY and VTK writers.
        .target(name: "SurfaceMesh", dependencies: ["CRTCore", "SegmentModel", "WebOutput"]),
        // The guidance pipeline on images alone (cmr/): LV contours, scar, tracking, activation, targets, mesh.
        // It must never import HeartPhantom, CMRSimulation or SyntheticCase: the compiler keeps the truth out.
        .target(name: "GuidancePipeline", dependencies: ["CRTCore", "SegmentModel", "Fourier", "ImageIO", "Figures", "SurfaceMesh", "Statistics"]),
        // The fluoroscopy stage of the pipeline on xray/ and operator/ plus the CMR model: landmark and vessel
        // registration, electrode detection, lead position, overlays. Never the phantom or the simulators.
        .target(name: "FluoroGuidance", dependencies: ["CRTCore", "SegmentModel", "ImageIO", "SurfaceMesh", "Fourier", "Figures", "GuidancePipeline"]),
        // Teaching: one case explained step by step on a self-contained HTML page (`crtsim teach`). Shows the
        // pipeline's result; the truth comes in only as a value from the caller.
        .target(name: "Teaching", dependencies: ["CRTCore", "SegmentModel", "GuidancePipeline", "FluoroGuidance", "Statistics", "WebOutput"]),
        // Agreement statistics and group tests (kappa, ICC, Fisher, Mann-Whitney, t, ANOVA): pure Swift, no deps.
        .target(name: "Statistics"),
        // Scoring against the truth (the validation side: it reads both truth and analysis).
        .target(name: "Validation", dependencies: ["CRTCore", "SegmentModel", "HeartPhantom", "GuidancePipeline", "FluoroGuidance", "ImageIO", "Statistics", "SyntheticCase", "XRaySimulation", "WebOutput", .product(name: "Yams", package: "Yams")]),
        // Command-line interface (library so tests can drive it).
        .target(name: "CRTSimCLI", dependencies: ["CRTCore", "HeartPhantom", "SyntheticCase", "GuidancePipeline", "FluoroGuidance", "SegmentModel", "Validation", "Teaching",
                                                   .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "crtsim", dependencies: ["CRTSimCLI"]),
        // Release-mode benchmarks, reported as ratios to baselines measured in the same run.
        .executableTarget(name: "crtsim-bench", dependencies: ["CRTCore", "Fourier", "HeartPhantom", "CMRSimulation", "SyntheticCase", "GuidancePipeline", "FluoroGuidance", "ImageIO", "Validation"]),

        // Release-mode benchmark of the fluoroscopy simulation (4 images), as a ratio to an FFT baseline.
        .executableTarget(name: "crtsim-xray-bench", dependencies: ["CRTCore", "Fourier", "HeartPhantom", "XRaySimulation"]),


        .testTarget(name: "CRTCoreTests", dependencies: ["CRTCore"]),
        .testTarget(name: "SegmentModelTests", dependencies: ["SegmentModel"]),
        .testTarget(name: "FourierTests", dependencies: ["Fourier"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures"]),
        .testTarget(name: "HeartPhantomTests", dependencies: ["HeartPhantom"]),
        .testTarget(name: "CMRSimulationTests", dependencies: ["CMRSimulation", "HeartPhantom", "ImageIO"]),
        .testTarget(name: "XRaySimulationTests", dependencies: ["XRaySimulation", "HeartPhantom", "SegmentModel", "CRTCore"]),
        .testTarget(name: "SyntheticCaseTests", dependencies: ["SyntheticCase", "HeartPhantom", "ImageIO", "CRTCore"]),
        .testTarget(name: "SurfaceMeshTests", dependencies: ["SurfaceMesh", "CRTCore"]),
        // Scores the pipeline against phantoms made by the generator (the test sees both; the pipeline does not).
        // Headless Chromium runner for the tests that open crtsim's HTML pages (report.html) in a real browser.
        .target(name: "HeadlessBrowser"),
        // Removes the folders of fixtures shared within a test process when it exits.
        .target(name: "TestScratch"),
        .testTarget(name: "ValidationTests", dependencies: ["Validation", "HeartPhantom", "CRTCore", "Statistics", "HeadlessBrowser"]),
        .testTarget(name: "GuidancePipelineTests", dependencies: ["GuidancePipeline", "Validation", "SyntheticCase", "HeartPhantom", "ImageIO", "SegmentModel", "CRTCore", "TestScratch"]),
        .testTarget(name: "CRTSimCLITests", dependencies: ["CRTSimCLI", "CRTCore", "ImageIO", "Figures", "HeadlessBrowser", "TestScratch"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics"]),
        .testTarget(name: "WebOutputTests", dependencies: ["WebOutput"]),
        // report.html from hand-made results (tables, confusion matrices, escaping) and in headless Chromium.
        // Registration and electrode detection on rendered views (the test sees the truth; FluoroGuidance does not).
        .testTarget(name: "FluoroGuidanceTests", dependencies: ["FluoroGuidance", "XRaySimulation", "HeartPhantom", "GuidancePipeline", "ImageIO", "CRTCore", "SurfaceMesh", "SegmentModel", "SyntheticCase", "Validation"]),
    ],
    swiftLanguageModes: [.v6]
)
