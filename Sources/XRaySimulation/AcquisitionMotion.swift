import CRTCore
import Foundation
import HeartPhantom

/// When each X-ray image is taken and where the heart is then (docs/fluoroscopy.md, "Motion and time").
///
/// On a single-plane C-arm the views are recorded one after the other: per view a venogram run of `frames` frames at
/// `frameRateFps`, started at a random point of the cardiac and the breathing cycle, and, at the end of the implant,
/// one lead image, at its own random points of both cycles and after the patient has moved
/// (`patientShiftSDMm`, `patientRotationSDDeg`, one movement for both lead images).
///
/// - Cardiac phase: the heart's state at that fraction of the R-R interval (`HeartModel.state(atMs:)`), so the
///   veins, the lead and the heart's shadow follow the contraction.
/// - Breathing: a rigid displacement of the heart (and, in this model, the whole chest) in the patient frame:
///   caudal `respiratorySIMm`, anterior `respiratoryAPMm` and a rotation `respiratoryRotationDeg` about the
///   patient's left-right axis through the heart centre (Shechter et al., IEEE TMI 2004;23:1046), each times
///   cos^4(pi * phase) (Lujan et al., Med Phys 1999;26:715; phase 0 = end-inspiration, the long dwell near 0.5 =
///   end-expiration).
///
/// Random draws: "xray.motion.<VIEW>.venogram" (the run's cardiac and breathing phase at its first frame),
/// "xray.motion.<VIEW>.lead" (the lead image's), "xray.motion.patient" (the movement before the lead images).
public struct AcquisitionMotion: Sendable, Equatable {
    public var frames: Int
    public var frameIntervalMs: Double
    public var respiratorySIMm: Double, respiratoryAPMm: Double, respiratoryRotationDeg: Double
    public var respiratoryPeriodMs: Double
    public var patientShiftSDMm: Double, patientRotationSDDeg: Double
    public var rrIntervalMs: Double

    /// One image: which frame of which state, when in the cycles, and the heart's pose (CMR patient to world).
    public struct Image: Sendable, Equatable {
        public var state: XRayState
        /// Frame index within the venogram run (0 for the lead image).
        public var frame: Int
        /// Time since the start of the view's venogram run (ms); for the lead image, 0.
        public var timeInRunMs: Double
        /// Cardiac phase as a fraction of the R-R interval (0 = R wave, end-diastole).
        public var cardiacPhaseFraction: Double
        /// Breathing phase (0 = end-inspiration) and the displacement's fraction of its end-inspiration value.
        public var respiratoryPhase: Double
        public var respiratoryFraction: Double
        public var worldFromPatient: Affine3D
    }

    /// The motion of the settings; nil when `venogramFrames` is unset (one image per view and state, no motion).
    public init?(settings s: PhantomSpec.XRaySettings, rrIntervalMs rr: Double) {
        guard let n = s.venogramFrames else { return nil }
        frames = max(1, Int(n.rounded()))
        frameIntervalMs = 1000 / (s.frameRateFps ?? 7.5)
        respiratorySIMm = s.respiratorySIMm ?? 0
        respiratoryAPMm = s.respiratoryAPMm ?? 0
        respiratoryRotationDeg = s.respiratoryRotationDeg ?? 0
        respiratoryPeriodMs = 1000 * (s.respiratoryPeriodS ?? 4)
        patientShiftSDMm = s.patientShiftSDMm ?? 0
        patientRotationSDDeg = s.patientRotationSDDeg ?? 0
        rrIntervalMs = rr
    }

    /// Fraction of the end-inspiration displacement at breathing phase `phase` (cos^4, Lujan et al. 1999).
    public static func respiratoryFraction(phase: Double) -> Double { pow(cos(Double.pi * phase), 4) }

    /// The breathing displacement in the patient frame (LPS mm) about the heart centre `c`: at fraction f of
    /// end-inspiration, a rotation by -f * rotation about +x (the anterior wall moves cranially) and a shift of
    /// f * (0, -AP, -SI) (anterior, caudal).
    public func respiratoryDisplacement(fraction f: Double, heartCentreMm c: Vec3) -> Affine3D {
        let angle = -radians(f * respiratoryRotationDeg)
        let r = angle == 0 ? Mat3.identity : Mat3.rotation(axis: Vec3(1, 0, 0), angleRadians: angle)
        let shift = Vec3(0, -respiratoryAPMm, -respiratorySIMm) * f
        return Affine3D(linear: r, translation: c + shift - r * c)
    }

    /// Every image of every view, venogram frames first, then the lead image.
    /// - Parameters:
    ///   - tablePose: the heart's pose on the table at end-expiration (CMR patient to world).
    ///   - heartCentreMm: the centre of the breathing rotation and of the patient's movement (patient mm).
    public func schedule(viewNames: [String], tablePose: Affine3D, heartCentreMm c: Vec3, seed: UInt64) -> [[Image]] {
        // The patient's movement before the lead images: a rotation about the heart centre and a shift (world).
        var prng = SeededRandom(seed: seed, label: "xray.motion.patient")
        let w = Vec3(prng.normal(), prng.normal(), prng.normal()) * patientRotationSDDeg
        let delta = Vec3(prng.normal(), prng.normal(), prng.normal()) * patientShiftSDMm
        let rm = w.length > 0 ? Mat3.rotation(axis: w, angleRadians: radians(w.length)) : Mat3.identity
        let cw = tablePose.apply(c)
        let movement = Affine3D(linear: rm, translation: cw + delta - rm * cw)
        func pose(_ respiratoryPhase: Double, moved: Bool) -> (Affine3D, Double) {
            let f = AcquisitionMotion.respiratoryFraction(phase: respiratoryPhase)
            let p = tablePose.composed(after: respiratoryDisplacement(fraction: f, heartCentreMm: c))
            return (moved ? movement.composed(after: p) : p, f)
        }
        func wrap(_ x: Double) -> Double { x - x.rounded(.down) }
        return viewNames.map { name in
            var rng = SeededRandom(seed: seed, label: "xray.motion.\(name).venogram")
            let cardiac0 = rng.uniform(), breath0 = rng.uniform()
            var images: [Image] = (0..<frames).map { k in
                let t = Double(k) * frameIntervalMs
                let phase = wrap(breath0 + t / respiratoryPeriodMs)
                let (p, f) = pose(phase, moved: false)
                return Image(state: .venogram, frame: k, timeInRunMs: t, cardiacPhaseFraction: wrap(cardiac0 + t / rrIntervalMs),
                             respiratoryPhase: phase, respiratoryFraction: f, worldFromPatient: p)
            }
            var lrng = SeededRandom(seed: seed, label: "xray.motion.\(name).lead")
            let cardiac = lrng.uniform(), breath = lrng.uniform()
            let (p, f) = pose(breath, moved: true)
            images.append(Image(state: .lead, frame: 0, timeInRunMs: 0, cardiacPhaseFraction: cardiac, respiratoryPhase: breath,
                                respiratoryFraction: f, worldFromPatient: p))
            return images
        }
    }
}
