import CMRSimulation
import CRTCore
import Dispatch
import Foundation
import Fourier
import GuidancePipeline
import HeartPhantom
import SyntheticCase

// Release-mode benchmarks for crtsim. Figures are reported as ratios to baselines measured in the same run,
// because these machines are shared and noisy. Run: swift run -c release crtsim-bench [phantom]
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
}

func runBenchmarks() throws {
    let args = CommandLine.arguments.dropFirst()
    let phantomFile = args.first ?? "Phantoms/advise-typical.yaml"
    let spec = try PhantomSpec.load(yaml: String(contentsOfFile: phantomFile, encoding: .utf8), file: phantomFile)
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
    // The guidance pipeline on the generated case (read, analyse; then the products).
    var study: CMRStudy!
    let tRead = try seconds { study = try CMRStudy.load(cmrDirectory: out + "/cmr") }
    var analysis: GuidancePipeline.Output!
    let tAnalyse = try seconds { analysis = try GuidancePipeline().run(study) }
    let tWrite = try seconds {
        _ = try AnalysisWriter.write(analysis, to: out + "-analysis", replace: true, extras: AnalysisProducts.all(analysis))
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

}

do { try runBenchmarks() } catch { print("crtsim-bench: \(error)"); exit(2) }
