import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom
import Testing

/// Coarse-to-fine object sampling (`CMRSimulator.ObjectSampling`) against every fine point sampled: the images of
/// one patient, same noise draws, may differ only where a structure thinner than a pixel lies between lattice
/// points; measured against the image noise of a clinical acquisition.
@Suite("CMR object sampling")
struct ObjectSamplingTests {
    /// A clinical patient (drawn anatomy, trabeculae, papillary muscles, fat, RV) on a small, fast acquisition with
    /// the default partial-volume sampling (2 x 2 in plane, 3 through the slice).
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: """
        realism: clinical
        cmr:
          cine: {slices: 6, phases: 3, fovMm: 240, pixelMm: 2.5, oversampling: 2, throughSliceSamples: 3, snr: 25}
          lge: {slices: 2, fovMm: 240, pixelMm: 2.5, oversampling: 1, throughSliceSamples: 1, snr: 25}
        """, file: "object-sampling.yaml")

    /// Noise SD of the clinical acquisition's cine as a fraction of the blood signal (SNR 25 on myocardium, which
    /// is about a third of blood in bSSFP): the scale the differences are judged on.
    static let noiseFractionOfBlood = 1.0 / 25 / 3

    @Test("coarse-to-fine: RMS difference under 2 % of the noise SD, pixels more than one noise SD off under 1e-4",
          .tags(.images))
    func coarseToFineAgainstFull() {
        let heart = HeartModel(spec: Self.spec.resolved(seed: 3))
        var full = CMRSimulator(heart: heart, seed: 3)
        full.objectSampling = .full
        let coarse = CMRSimulator(heart: heart, seed: 3)   // the default: coarse-to-fine
        #expect(coarse.objectSampling == .coarseToFine)
        let a = full.simulate().cine.data, b = coarse.simulate().cine.data
        #expect(a.count == b.count)
        let blood = Double(a.max() ?? 1)
        let sd = Self.noiseFractionOfBlood * blood
        var sumSquares = 0.0, beyond = 0
        for (x, y) in zip(a, b) {
            let d = Double(y - x)
            sumSquares += d * d
            if abs(d) > sd { beyond += 1 }
        }
        let rms = (sumSquares / Double(a.count)).squareRoot()
        #expect(rms <= 0.02 * sd, "RMS difference \(rms / sd) noise SD")
        #expect(Double(beyond) <= 1e-4 * Double(a.count), "\(beyond) of \(a.count) voxels more than one noise SD off")
    }

    @Test("without the margin (neighbours only) the test above fails: trabeculae between lattice points are lost",
          .tags(.images))
    func neighboursOnlyLoseThinStructures() {
        let heart = HeartModel(spec: Self.spec.resolved(seed: 3))
        var full = CMRSimulator(heart: heart, seed: 3)
        full.objectSampling = .full
        var coarse = CMRSimulator(heart: heart, seed: 3)
        coarse.coarseToFineMarginSteps = 0
        let a = full.simulate().cine.data, b = coarse.simulate().cine.data
        let sd = Self.noiseFractionOfBlood * Double(a.max() ?? 1)
        let beyond = zip(a, b).filter { abs(Double($1 - $0)) > sd }.count
        // Measured: 166 of 165888 voxels (1.0e-3); the margin's default brings it to 0.
        #expect(Double(beyond) > 1e-4 * Double(a.count))
    }
}
