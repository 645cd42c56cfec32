import CMRSimulation
import CRTCore
import Dispatch
import FluoroGuidance
import Foundation
import Fourier
import GuidancePipeline
import HeartPhantom
import ImageIO
import SyntheticCase
import Validation

// Release-mode benchmarks for crtsim. Figures are reported as ratios to baselines measured in the same run,
// because these machines are shared and noisy. Run: swift run -c release crtsim-bench [phantom]
// Scenario throughput: swift run -c release crtsim-bench scenario [Scenarios/standard.yaml] [N] runs the scenario's
// first N and 2N cases (default N = 5, one of each preset) and reports cases per minute and the linearity ratio
// time(2N) / (2 time(N)) (1 = time grows linearly with the number of cases).
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
}

func runBenchmarks() throws {
    let args = CommandLine.arguments.dropFirst()
    let phantomFile = args.first ?? "Phantoms/advise-typical.yaml"
    let spec = try PhantomSpec.load(yaml: InputFile.readText(phantomFile, what: "phantom YAML file"), file: phantomFile)
    print("crtsim-bench: phantom \(spec.name), cine \(spec.cmr.cine.matrix)^2 x \(spec.cmr.cine.slices) slices x \(spec.cmr.cine.phases) phases, oversampling \(spec.cmr.cine.oversampling), \(ProcessInfo.processInfo.activeProcessorCount) cores")

    // Baseline: the FFTW transforms alone, same sizes and count as the simulation performs.
    let cine = spec.cmr.cine
    let nf = cine.matrix * cine.oversampling
    let jobs = cine.slices * cine.phases + spec.cmr.lge.slices
    var fftSeconds = 0.0
    do {
        let warm = ComplexBuffer2D(rows: nf, columns: nf); FFT2D.forward(warm)
        let small = ComplexBuffer2D(rows: cine.matrix, columns: cine.matrix); FFT2D.inverse(small)
        fftSeconds = seconds {
            for _ in 0..<jobs {
                let b = ComplexBuffer2D(rows: nf, columns: nf); FFT2D.forward(b)
                let s = ComplexBuffer2D(rows: cine.matrix, columns: cine.matrix); FFT2D.inverse(s)
            }
        }
    }
    var heart: HeartModel!
    let tHeart = seconds { heart = HeartModel(spec: spec) }
    let times = CMRSimulator.StageTimes()
    var images: CMRImages!
    let tSim = seconds { images = CMRSimulator(heart: heart, seed: 1).simulate(times: times) }
    var truth: GroundTruth!
    let tTruth = seconds { truth = heart.groundTruth(phaseTimesMs: images.phaseTimesMs) }
    let out = NSTemporaryDirectory() + "crtsim-bench-\(ProcessInfo.processInfo.processIdentifier)"
    let tAll = seconds { _ = try? CaseGenerator.generate(spec: spec, seed: 1, out: out, replace: true, previews: false) }
    // The guidance pipeline on the generated case through the shipped entry point (`CaseAnalysis.run`, as
    // `crtsim analyze` and the scenario runner): the CMR stage alone (read, analyse), then its products.
    let tRead = try seconds { _ = try CMRStudy.load(cmrDirectory: out + "/cmr") }
    var cmrOnly: CaseAnalysis!
    let tCMR = try seconds { cmrOnly = try CaseAnalysis.run(cmrFolder: out + "/cmr", fusion: nil) }
    let tAnalyse = tCMR - tRead
    let analysis = cmrOnly.output
    let tWrite = try seconds { _ = try cmrOnly.write(to: out + "-analysis", replace: true) }
    // The whole analysis with the fluoroscopy stage (landmark registration + vessel refinement, then the lead:
    // electrode detection in both lead images, matching, triangulation, classification) on the images already
    // read; best of three after a warm-up.
    _ = try CaseAnalysis.run(cmrFolder: out + "/cmr", study: cmrOnly.study)
    var registrationSeconds = Double.infinity, fusionSeconds = Double.infinity
    for _ in 0..<3 {
        let whole = try CaseAnalysis.run(cmrFolder: out + "/cmr", study: cmrOnly.study)
        fusionSeconds = min(fusionSeconds, whole.timing.fluoroscopySeconds ?? .infinity)
        registrationSeconds = min(registrationSeconds, whole.timing.registrationSeconds ?? .infinity)
    }
    try? FileManager.default.removeItem(atPath: out)
    try? FileManager.default.removeItem(atPath: out + "-analysis")

    print(String(format: "heart model build            %7.3f s", tHeart))
    print(String(format: "cine + LGE simulation        %7.3f s  (wall clock, %d jobs on 2 cores)", tSim, jobs))
    print(String(format: "  object sampling            %7.3f s  (summed over jobs)", times.sampling))
    print(String(format: "  k-space stage (FFT + crop) %7.3f s  (summed over jobs)", times.kspace))
    print(String(format: "  of which FFTW transforms   %7.3f s", times.transforms))
    print(String(format: "  noise                      %7.3f s", times.noise))
    print(String(format: "ground truth                 %7.3f s", tTruth))
    print(String(format: "phantom total (heart+images+truth) %7.3f s", tHeart + tSim + tTruth))
    print(String(format: "full case with writing (no previews) %7.3f s", tAll))
    print(String(format: "baseline: %d FFTW transform pairs serially %7.3f s", jobs, fftSeconds))
    print(String(format: "ratio k-space stage / its FFTW transforms: %.2f (target <= 2)", times.kspace / times.transforms))
    print(String(format: "ratio k-space stage / serial FFTW baseline: %.2f", times.kspace / fftSeconds))
    _ = truth
    let frames = Double(spec.cmr.cine.phases)
    let tracking = analysis.timings["tracking"] ?? 0
    print(String(format: "analysis: read cmr/ %7.3f s, pipeline %7.3f s (target <= 3 s), products (mesh, figures) %7.3f s", tRead, tAnalyse, tWrite))
    for (stage, t) in analysis.timings.sorted(by: { $0.key < $1.key }) { print(String(format: "  %-14@ %7.3f s", stage, t)) }
    print(String(format: "  tracking per frame %7.4f s (%d slices per frame)", tracking / frames, analysis.result.slices.count))
    print(String(format: "ratio pipeline / serial FFTW baseline: %.2f", tAnalyse / fftSeconds))
    print(String(format: "fluoroscopy: registration (landmarks + vessels) %7.3f s (target <= 1 s), whole stage (read xray/ and operator/, registration, lead) %7.3f s (best of 3)", registrationSeconds, fusionSeconds))
    print(String(format: "ratio registration / serial FFTW baseline: %.2f", registrationSeconds / fftSeconds))

    // Realism's cost (issue 14 target <= 1.5): the same phantom generated as a clinical patient and scan and as the
    // ideal one, alternately, best of two each (no previews, no X-ray).
    var idealSpec = spec, clinicalSpec = spec
    idealSpec.realism = .ideal; clinicalSpec.realism = .clinical
    var idealSeconds = Double.infinity, clinicalSeconds = Double.infinity
    for _ in 0..<2 {
        idealSeconds = min(idealSeconds, seconds { _ = try? CaseGenerator.generate(spec: idealSpec, seed: 1, out: out, replace: true, previews: false, xray: false) })
        clinicalSeconds = min(clinicalSeconds, seconds { _ = try? CaseGenerator.generate(spec: clinicalSpec, seed: 1, out: out, replace: true, previews: false, xray: false) })
    }
    try? FileManager.default.removeItem(atPath: out)
    print(String(format: "CMR case (no X-ray): ideal %7.3f s, clinical %7.3f s, ratio clinical / ideal %.2f (target <= 1.5)", idealSeconds, clinicalSeconds, clinicalSeconds / idealSeconds))
    // Where realism's cost goes: the stages of `CaseGenerator.generate` on the drawn (resolved) patients, as the
    // case generator runs them (the stage split above runs the phantom file's spec, whose unset realism fields
    // are neutral). Writing and the basal slice content are the rest of a case.
    for (name, s) in [("ideal", idealSpec), ("clinical", clinicalSpec)] {
        let resolved = s.resolved(seed: 1)
        var h: HeartModel!
        let tH = seconds { h = HeartModel(spec: resolved) }
        var im: CMRImages!
        let tI = seconds { im = CMRSimulator(heart: h, seed: 1).simulate(longAxis: true) }
        let tT = seconds { _ = h.groundTruth(phaseTimesMs: im.phaseTimesMs) }
        print(String(format: "  %@ stages: heart model %6.3f s, images with long-axis views %6.3f s, truth %6.3f s", name, tH, tI, tT))
    }
}

/// Cases per minute of a scenario and how its time grows with the number of cases.
func runScenarioBenchmark(_ args: [String]) throws {
    let file = args.first ?? "Scenarios/standard.yaml"
    guard args.count <= 2 else { throw InputError("scenario: unexpected argument '\(args[2])'; \(usage)") }
    let n = try args.count > 1 ? Int(args[1]) ?? { throw InputError("scenario: N '\(args[1])' is not an integer (1 or more)") }() : 5
    guard n >= 1 else { throw InputError("scenario: N must be at least 1") }
    _ = try InputFile.read(file, what: "scenario YAML file")
    let presets = try FileManager.default.contentsOfDirectory(atPath: "Phantoms").filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
    var scenario = try Scenario.load(file, presets: presets, presetFolder: "Phantoms")
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-bench-scenario-\(getpid())")
    defer { try? FileManager.default.removeItem(at: tmp) }
    var times: [Double] = []
    for count in [n, 2 * n] {
        scenario.cases = count
        let folder = try StagedFolder(out: tmp.appendingPathComponent("run-\(count)").path, replace: true, marker: "results.json", kind: "a benchmark run")
        let t = try seconds { _ = try ScenarioRunner(scenario: scenario, presetFolder: "Phantoms").run(into: folder) { _, _, _, _ in } }
        times.append(t)
        print(String(format: "scenario %@: %d cases in %.1f s, %.2f cases per minute", scenario.id, count, t, 60 * Double(count) / t))
    }
    print(String(format: "linearity: time(%d) / (2 x time(%d)) = %.2f (1 = linear)", 2 * n, n, times[1] / (2 * times[0])))
}

let usage = "usage: crtsim-bench [PHANTOM.yaml] | crtsim-bench scenario [SCENARIO.yaml] [N] (run from the repository root)"

do {
    let args = Array(CommandLine.arguments.dropFirst())
    if args.contains("-h") || args.contains("--help") { print(usage); exit(0) }
    if let option = args.first(where: { $0.hasPrefix("-") }) { throw InputError("unknown option '\(option)'; \(usage)") }
    if args.first == "scenario" { try runScenarioBenchmark(Array(args.dropFirst())) }
    else if args.count > 1 { throw InputError("unexpected argument '\(args[1])'; \(usage)") }
    else { try runBenchmarks() }
} catch let e as InputError {
    FileHandle.standardError.write(Data("crtsim-bench: error: \(e.message)".utf8 + [10]))
    exit(2)
} catch { FileHandle.standardError.write(Data("crtsim-bench: error: \(oneLine(String(describing: error)))\n".utf8)); exit(2) }
