import CRTCore
import FluoroGuidance
import Foundation

/// Registrations from perturbed starting poses, for the capture range (van de Kraats et al. 2005, DOMAIN.md
/// section 4): each start moves the true pose by a random rotation about the myocardium's centre (up to 2/3 of
/// the scale in degrees) and a random shift (up to 22/30 of the scale in mm), so the initial mTRE spreads from 0 to
/// about `maxStartErrorMm`. From there the clicks are fitted (Levenberg-Marquardt, no closed-form start) and the
/// pose refined on the vessels, as the fluoroscopy stage does.
public enum RegistrationTrials {
    /// One start: initial and final mTRE over the LV myocardium (mm).
    public struct Trial: Codable, Sendable, Equatable {
        public var initialMTREMm: Double
        public var finalMTREMm: Double
        public init(initialMTREMm: Double, finalMTREMm: Double) { self.initialMTREMm = initialMTREMm; self.finalMTREMm = finalMTREMm }
    }

    /// Runs `count` starts (label "scenario.starts" of the case seed) about the first of `truePoses` (one per view,
    /// `RegistrationScore.truePoses`); the mTREs are means over them.
    public static func run(study: FluoroStudy, fusion: DualViewFusion.Output, truePoses: [Affine3D], pointsMm: [Vec3],
                           count: Int, maxStartErrorMm: Double, seed: UInt64) -> [Trial] {
        guard count > 0, !pointsMm.isEmpty, let truePose = truePoses.first else { return [] }
        var rng = SeededRandom(seed: seed, label: "scenario.starts")
        let centre = pointsMm.reduce(Vec3.zero, +) / Double(pointsMm.count)
        let stage = DualViewFusion()
        // The venograms' maps are the same for every start.
        let maps = stage.refinementMaps(study: study)
        return (0..<count).map { _ in
            let s = rng.uniform()
            let axis = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized
            let dir = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized
            let c = truePose.apply(centre)
            let r = Mat3.rotation(axis: axis, angleRadians: radians(maxStartErrorMm * 2 / 3 * s))
            let start = Affine3D(linear: r, translation: c - r * c + dir * (maxStartErrorMm * 22 / 30 * s)).composed(after: truePose)
            let end = stage.register(from: start, study: study, landmarks: fusion.landmarks, maps: maps)
            return Trial(initialMTREMm: RegistrationScore.meanMTRE(truePoses, start, pointsMm),
                         finalMTREMm: RegistrationScore.meanMTRE(truePoses, estimates: end, pointsMm))
        }
    }

    /// Capture range (mm): trials binned by initial mTRE in 2 mm bins from 0 up to `limitMm`; the upper edge of
    /// the last bin up to which every non-empty bin has at least 95 % success (final mTRE < 5 mm); 0 when the first
    /// non-empty bin fails; nil without trials.
    public static func captureRangeMm(_ trials: [Trial], limitMm: Double = 30) -> Double? {
        guard !trials.isEmpty else { return nil }
        let binCount = Int((limitMm / 2).rounded(.up))
        var bins = [[Bool]](repeating: [], count: binCount)
        for t in trials where t.initialMTREMm < limitMm { bins[Int(t.initialMTREMm / 2)].append(t.finalMTREMm < RegistrationScore.successMTREMm) }
        var capture = 0.0
        for (b, v) in bins.enumerated() where !v.isEmpty {
            if Double(v.filter { $0 }.count) / Double(v.count) >= 0.95 { capture = Double(2 * b + 2) } else { break }
        }
        return capture
    }
}
