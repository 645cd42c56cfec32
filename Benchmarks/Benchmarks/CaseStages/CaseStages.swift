import Benchmark
import CRTCore
import FluoroGuidance
import Foundation
import GuidancePipeline
import HeartPhantom
import SyntheticCase
import Validation
import XRaySimulation

// The stages of one synthetic case (preset advise-typical, seed 1), each a benchmark, and the whole case:
//
//   PhantomCMR           CaseGenerator.generate without X-ray or previews: heart model, cine + LGE, truth, writing
//   PhantomXRay          XRaySimulator.simulate: the four fluoroscopy images (no attenuation-volume truth)
//   AnalysisCMR          CaseAnalysis.run on cmr/ without the fluoroscopy stage (reading included), as `crtsim analyze`
//   RegistrationAndLead  FluoroStudy.load + DualViewFusion.run: landmark and vessel registration, then the lead
//   Scoring              CaseScoring.score of a written analysis folder against truth/
//   WholeCase            generate (as the scenario runner: X-ray, no volume, no previews), analyse, write, score
//
// The benchmark tool runs each benchmark in its own process. A stage's inputs (the generated case, its CMR
// analysis) are made once per process in the configuration's `setup`, outside the measurement, in a temporary
// folder removed at exit; they stay in memory, so peakMemoryResident is the process's peak including them.
// Thresholds: Thresholds/ (p90 per metric), checked with the relative tolerances below (see README.md).

/// Inputs shared by the benchmarks of one process, each made on first use.
enum Fixture {
    static let seed: UInt64 = 1
    static let preset = "advise-typical"

    /// The repository root: four levels above this file (Benchmarks/Benchmarks/CaseStages/CaseStages.swift).
    static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A per-process temporary folder, removed when the process exits.
    static let root: String = {
        let path = NSTemporaryDirectory() + "crtsim-benchmarks-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Fixture.root) }
        return path
    }()

    static let spec: PhantomSpec = {
        let folder = ProcessInfo.processInfo.environment["CRTSIM_PHANTOMS"] ?? repository.appendingPathComponent("Phantoms").path
        let file = folder + "/\(preset).yaml"
        do {
            return try PhantomSpec.load(yaml: String(contentsOfFile: file, encoding: .utf8), file: file)
        } catch {
            fatalError("crtsim benchmarks: cannot read \(file): \(error)")
        }
    }()

    /// The heart model and a one-phase truth, the X-ray simulator's inputs (as crtsim-xray-bench).
    static let heart: HeartModel = HeartModel(spec: spec)
    static let heartTruth: GroundTruth = heart.groundTruth(phaseTimesMs: [0])

    /// A whole case (cmr/, xray/, operator/, truth/) generated as the scenario runner does.
    static let caseDirectory: String = {
        let out = root + "/case"
        _ = try! generateCase(into: out)
        return out
    }()

    /// The CMR stage's output on `caseDirectory`, the fluoroscopy stage's input.
    nonisolated(unsafe) static let cmrAnalysis: CaseAnalysis = try! CaseAnalysis.run(cmrFolder: caseDirectory + "/cmr", fusion: nil)

    /// The whole analysis of `caseDirectory` (with the fluoroscopy stage) written to a folder, the scorer's input.
    static let analysisDirectory: String = {
        let out = root + "/analysis"
        _ = try! CaseAnalysis.run(cmrFolder: caseDirectory + "/cmr").write(to: out, replace: true)
        return out
    }()

    static func generateCase(into out: String, xray: Bool = true) throws -> CaseGenerator.Summary {
        try CaseGenerator.generate(spec: spec, seed: seed, out: out, replace: true, previews: false, xray: xray, xrayVolume: false)
    }
}

let benchmarks: @Sendable () -> Void = {
    // Tolerances for `thresholds check`, in percent of the recorded p90. Generous, because the reference machine
    // is shared (2 cores, other builds running): wall clock moves by tens of percent with the load, CPU time less;
    // allocation counts and peak memory depend on the code, not the load, so they get tighter bounds.
    let tolerances: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p90: 50]),
        .cpuTotal: .init(relative: [.p90: 35]),
        .mallocCountTotal: .init(relative: [.p90: 10]),
        .peakMemoryResident: .init(relative: [.p90: 20]),
    ]
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(30),
        maxIterations: 5,
        thresholds: tolerances
    )

    Benchmark("PhantomCMR") { benchmark in
        let out = Fixture.root + "/phantom-cmr"
        for _ in benchmark.scaledIterations {
            blackHole(try Fixture.generateCase(into: out, xray: false))
        }
    }

    Benchmark("PhantomXRay", configuration: .init(setup: { _ = Fixture.heartTruth })) { benchmark in
        let simulator = XRaySimulator(heart: Fixture.heart, truth: Fixture.heartTruth, seed: Fixture.seed)
        for _ in benchmark.scaledIterations {
            blackHole(simulator.simulate(includeVolume: false))
        }
    }

    Benchmark("AnalysisCMR", configuration: .init(setup: { _ = Fixture.caseDirectory })) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try CaseAnalysis.run(cmrFolder: Fixture.caseDirectory + "/cmr", fusion: nil))
        }
    }

    Benchmark("RegistrationAndLead", configuration: .init(setup: { _ = Fixture.cmrAnalysis })) { benchmark in
        let output = Fixture.cmrAnalysis.output
        for _ in benchmark.scaledIterations {
            let fluoro = try FluoroStudy.load(xrayDirectory: Fixture.caseDirectory + "/xray",
                                              operatorDirectory: Fixture.caseDirectory + "/operator")
            blackHole(try DualViewFusion(settings: DualViewFusion.Settings()).run(fluoro, cmr: output))
        }
    }

    Benchmark("Scoring", configuration: .init(setup: { _ = Fixture.analysisDirectory })) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try CaseScoring.score(caseDirectory: Fixture.caseDirectory, analysisDirectory: Fixture.analysisDirectory))
        }
    }

    Benchmark("WholeCase") { benchmark in
        let caseOut = Fixture.root + "/whole-case", analysisOut = Fixture.root + "/whole-case-analysis"
        for _ in benchmark.scaledIterations {
            _ = try Fixture.generateCase(into: caseOut)
            _ = try CaseAnalysis.run(cmrFolder: caseOut + "/cmr").write(to: analysisOut, replace: true)
            blackHole(try CaseScoring.score(caseDirectory: caseOut, analysisDirectory: analysisOut))
        }
    }
}
