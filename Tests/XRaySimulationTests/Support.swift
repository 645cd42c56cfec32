import CRTCore
import Foundation
import HeartPhantom
import Testing
import XRaySimulation

extension Tag {
    @Tag static var geometry: Self
    @Tag static var images: Self
}

/// Named tolerances of the X-ray tests (issue 4, generator side).
enum Tolerance {
    /// Projection matrix vs an independent pinhole computation (pixels).
    static let projectionPx = 1e-6
    /// Exact projections triangulated back (mm).
    static let exactTriangulationMm = 1e-6
    /// A bead rendered in both views, located by the centroid of its image, triangulated back (mm).
    static let renderedTriangulationMm = 0.5
    /// Beer-Lambert line integral of a rendered wire vs mu x length (fraction).
    static let lineIntegral = 0.01
    /// Poisson count variance vs the expected count (fraction), and count mean (fraction).
    static let poissonVariance = 0.10
    static let poissonMean = 0.01
    /// RMS difference of the chest line integrals cast at every 2nd pixel vs every pixel, as a fraction of the
    /// quantum noise SD of the log image at the default dose.
    static let raySpacingVsNoise = 0.25
    /// Coarse-to-fine heart sampling vs the full 2 x 2 x 2 sub-sampling: the fraction of the volume's voxels that
    /// may differ (measured about 1e-4), and the largest line-integral difference of any pixel as a fraction of
    /// the quantum noise SD at the default dose (measured 0.05).
    static let adaptiveDifferingVoxels = 1e-3
    static let adaptiveVsNoise = 0.25
}

/// A small case shared by the image tests: 128 x 128 detector of 0.6 mm pixels (the centre of the default
/// field), 4 mm voxels.
enum SmallCase {
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: """
        xray: {detectorRows: 128, detectorColumns: 128, voxelMm: 4}
        """, file: "small-xray.yaml")
    static let heart = HeartModel(spec: spec)
    static let truth = heart.groundTruth(phaseTimesMs: [0])
    static let simulated = XRaySimulator(heart: heart, truth: truth, seed: 5).simulate(includeVolume: false)
}

/// Projects world point x with an independently built pinhole from the DICOM fields: detector direction
/// (sin P cos S, -cos P cos S, sin S), column axis (cos P, sin P, 0) (horizontal), row axis = (source
/// direction) x (column axis); ray-plane intersection.
func pinholePixel(_ v: CArmView, _ x: Vec3) -> (Double, Double) {
    let p = radians(v.primaryAngleDeg), s = radians(v.secondaryAngleDeg)
    let d = Vec3(sin(p) * cos(s), -cos(p) * cos(s), sin(s))
    let u = Vec3(cos(p), sin(p), 0)
    let w = (-d).cross(u)
    let source = d * (-v.sourceToPatientMm)
    let centre = d * (v.sourceToDetectorMm - v.sourceToPatientMm)
    let ray = x - source
    let t = (centre - source).dot(d) / ray.dot(d)
    let hit = source + ray * t
    return ((hit - centre).dot(u) / v.pixelSpacingMm[1] + Double(v.columns - 1) / 2,
            (hit - centre).dot(w) / v.pixelSpacingMm[0] + Double(v.rows - 1) / 2)
}
