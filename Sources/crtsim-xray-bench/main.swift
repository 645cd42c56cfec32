import CRTCore
import Dispatch
import Foundation
import Fourier
import HeartPhantom
import XRaySimulation

// Release-mode benchmark of the fluoroscopy simulation: the four images (venogram and lead image in each of two
// views) at the phantom's detector size, reported as wall-clock seconds and as a ratio to an FFT baseline
// measured in the same run (these machines are shared and noisy).
// Run: swift run -c release crtsim-xray-bench [PHANTOM.yaml] [--repeat N]
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
}

func run() throws {
    var args = Array(CommandLine.arguments.dropFirst())
    var repeats = 3
    if let i = args.firstIndex(of: "--repeat") {
        guard i + 1 < args.count, let n = Int(args[i + 1]), n >= 1 else {
            throw InputError("--repeat needs an integer of 1 or more; \(usage)")
        }
        repeats = n; args.removeSubrange(i...(i + 1))
    }
    if let option = args.first(where: { $0.hasPrefix("-") }) { throw InputError("unknown option '\(option)'; \(usage)") }
    guard args.count <= 1 else { throw InputError("unexpected argument '\(args[1])'; \(usage)") }
    let file = args.first ?? "Phantoms/advise-typical.yaml"
    let spec = try PhantomSpec.load(yaml: InputFile.readText(file, what: "phantom YAML file"), file: file)
    let x = spec.xray
    print("crtsim-xray-bench: phantom \(spec.name), \(x.views.count) views x 2 states, \(x.detectorColumns) x \(x.detectorRows) pixels, voxel \(x.voxelMm) mm, \(ProcessInfo.processInfo.activeProcessorCount) cores")
    let heart = HeartModel(spec: spec)
    let truth = heart.groundTruth(phaseTimesMs: [0])
    let sim = XRaySimulator(heart: heart, truth: truth, seed: 1)

    // Baseline: a 512 x 512 single-precision complex FFT pair (forward + inverse), the unit of the ratio.
    let n = 512
    let warm = ComplexBuffer2D(rows: n, columns: n); FFT2D.forward(warm); FFT2D.inverse(warm)
    let pairs = 20
    let fft = seconds { for _ in 0..<pairs { let b = ComplexBuffer2D(rows: n, columns: n); FFT2D.forward(b); FFT2D.inverse(b) } } / Double(pairs)

    _ = sim.simulate(includeVolume: false)   // warm-up (plans, caches)
    var best: XRaySimulator.StageTimes?
    for _ in 0..<repeats {
        let t = XRaySimulator.StageTimes()
        _ = sim.simulate(includeVolume: false, times: t)
        if best == nil || t.imageFormation < best!.imageFormation { best = t }
    }
    let t = best!
    var withVolume = 0.0
    withVolume = seconds { _ = sim.simulate(includeVolume: true) }
    print(String(format: "scene (veins, lead placement, landmarks) %7.3f s", t.scene))
    print(String(format: "attenuation volume                       %7.3f s", t.volume))
    print(String(format: "image formation, %d images (best of %d)    %7.3f s  (target <= 0.5 s for 4 images at 512^2)", 2 * x.views.count, repeats, t.imageFormation))
    print(String(format: "  chest ray casting (once per view)      %7.3f s", t.bulkProjection))
    print(String(format: "  tubes (veins, balloon, catheter, lead) %7.3f s", t.tubes))
    print(String(format: "  noise, blur, logarithm                 %7.3f s", t.detector))
    print(String(format: "whole X-ray simulation with mu volume    %7.3f s", withVolume))
    print(String(format: "baseline: one %dx%d complex FFT pair       %7.4f s", n, n, fft))
    print(String(format: "ratio image formation / FFT pair: %.1f", t.imageFormation / fft))

    // Motion and time (issue 15): the same phantom with a 6-frame venogram run per view and the lead images at
    // their own phases (each distinct cardiac phase its own attenuation volume): the time per rendered image
    // against the still acquisition's, best of `repeats` each, alternated.
    var moving = spec
    moving.xray.venogramFrames = 6; moving.xray.frameRateFps = 7.5
    moving.xray.respiratorySIMm = 4.9; moving.xray.respiratoryAPMm = 1.3; moving.xray.respiratoryRotationDeg = 1.5
    moving.xray.patientShiftSDMm = 2; moving.xray.patientRotationSDDeg = 1
    let movingHeart = HeartModel(spec: moving)
    let movingSim = XRaySimulator(heart: movingHeart, truth: movingHeart.groundTruth(phaseTimesMs: [0]), seed: 1)
    let stillImages = Double(2 * x.views.count), movingImages = Double(7 * x.views.count)
    var still = Double.infinity, motion = Double.infinity
    for _ in 0..<repeats {
        still = min(still, seconds { _ = sim.simulate(includeVolume: false) })
        motion = min(motion, seconds { _ = movingSim.simulate(includeVolume: false) })
    }
    print(String(format: "still: %d images in %.3f s, %.3f s per image", Int(stillImages), still, still / stillImages))
    print(String(format: "motion: %d images (6-frame runs, lead images) in %.3f s, %.3f s per image", Int(movingImages), motion, motion / movingImages))
    print(String(format: "ratio per image, motion / still: %.2f (target <= 1.5)", (motion / movingImages) / (still / stillImages)))
    let mt = XRaySimulator.StageTimes()
    _ = movingSim.simulate(includeVolume: false, times: mt)
    // The heart's partial volume per phase: coarse-to-fine sampling (the default) against the full 2 x 2 x 2
    // sub-sampling of every voxel the heart can reach, at end-systole (the most curved surfaces) and the X-ray
    // reference phase: time per phase volume, and how much the volumes differ.
    let template = ChestModel().template(heart: heart, zRangeMm: -150...150, voxelMm: x.voxelMm)
    for fraction in [0.35, x.cardiacPhaseFraction] {
        let st = heart.state(atMs: fraction * spec.motion.rrIntervalMs)
        var full: AttenuationVolume?, adaptive: AttenuationVolume?
        var tFull = Double.infinity, tAdaptive = Double.infinity
        for _ in 0..<repeats {
            tFull = min(tFull, seconds { full = template.volume(heart: heart, state: st, sampling: .full) })
            tAdaptive = min(tAdaptive, seconds { adaptive = template.volume(heart: heart, state: st, sampling: .adaptive) })
        }
        let a = adaptive!.mu, f = full!.mu
        var maxDiff: Float = 0, differing = 0
        for i in a.indices where a[i] != f[i] { differing += 1; maxDiff = max(maxDiff, abs(a[i] - f[i])) }
        print(String(format: "phase %.2f volume: full %.3f s, adaptive %.3f s (%.2f times); %d of %d voxels differ, max |diff| %.4f /mm (muscle %.4f)",
                     fraction, tFull, tAdaptive, tFull / tAdaptive, differing, a.count, maxDiff, XRayMaterials.muscle))
    }
    print(String(format: "motion stages: scene %.3f s, attenuation volumes %.3f s, chest ray casting %.3f s, tubes %.3f s, detector %.3f s",
                 mt.scene, mt.volume, mt.bulkProjection, mt.tubes, mt.detector))

    // The polyenergetic beam (docs/fluoroscopy.md "Spectrum and beam hardening"): the moving acquisition again with
    // an 80 kVp, 0.2 mm Cu spectrum unless the phantom file sets one; best of `repeats` each, alternated.
    var spectral = moving
    if spectral.xray.tubeVoltageKVp == nil { spectral.xray.tubeVoltageKVp = 80; spectral.xray.copperFilterMm = 0.2 }
    var mono = moving
    mono.xray.tubeVoltageKVp = nil; mono.xray.copperFilterMm = nil
    let spectralHeart = HeartModel(spec: spectral), monoHeart = HeartModel(spec: mono)
    let spectralSim = XRaySimulator(heart: spectralHeart, truth: spectralHeart.groundTruth(phaseTimesMs: [0]), seed: 1)
    let monoSim = XRaySimulator(heart: monoHeart, truth: monoHeart.groundTruth(phaseTimesMs: [0]), seed: 1)
    var tMono = Double.infinity, tSpectral = Double.infinity
    for _ in 0..<repeats {
        tMono = min(tMono, seconds { _ = monoSim.simulate(includeVolume: false) })
        tSpectral = min(tSpectral, seconds { _ = spectralSim.simulate(includeVolume: false) })
    }
    print(String(format: "polyenergetic (%.0f kVp, %.1f mm Cu): %d images in %.3f s against %.3f s mono-energetic, ratio %.2f",
                 spectral.xray.tubeVoltageKVp!, spectral.xray.copperFilterMm ?? 0, Int(movingImages), tSpectral, tMono, tSpectral / tMono))
}

let usage = "usage: crtsim-xray-bench [PHANTOM.yaml] [--repeat N] (run from the repository root)"

if CommandLine.arguments.contains("-h") || CommandLine.arguments.contains("--help") { print(usage); exit(0) }
do { try run() } catch let e as InputError {
    FileHandle.standardError.write(Data("crtsim-xray-bench: error: \(e.message)".utf8 + [10]))
    exit(2)
} catch { FileHandle.standardError.write(Data("crtsim-xray-bench: error: \(oneLine(String(describing: error)))\n".utf8)); exit(2) }
