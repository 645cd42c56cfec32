import CRTCore
import Foundation

/// The body around the heart, in patient LPS coordinates (mm): an elliptic-cylinder torso with subcutaneous fat,
/// chest-wall muscle, the ribs and the sternum, lungs, the spine with marrow, the descending aorta, and the liver and
/// abdomen below the diaphragm. Organs that move with breathing (liver, diaphragm) take the breath-hold shift like
/// the heart. The same torso is in the CMR images and in the X-ray attenuation volume.
public struct Torso: Sendable {
    /// Torso semi-axes, left-right and antero-posterior (mm), centred at x = 0, y = `centreY`.
    public var halfWidthMm = 165.0, halfDepthMm = 115.0, centreY = 15.0
    public var fatMm = 12.0, muscleMm = 12.0
    /// Diaphragm dome height (mm, patient z) under the heart.
    public var diaphragmZ = -70.0
    /// Vertical distance between successive ribs (mm).
    public var ribPitchMm = 26.0
    /// Half height and half thickness of a rib's cross-section (mm).
    public var ribHalfHeightMm = 5.5, ribHalfThicknessMm = 3.5
    /// Depth of the rib centre below the skin (mm).
    public var ribDepthMm = 30.0
    /// How far a rib descends from its posterior end to its anterior end (mm).
    public var ribDropMm = 60.0
    /// Angular extent of the ribs from the posterior midline (degrees): from `ribStartDeg` (beside the spine)
    /// to `ribEndDeg` (the costal cartilage starts, radiolucent).
    public var ribStartDeg = 14.0, ribEndDeg = 145.0
    /// Sternum: half width (mm), extent below and above `sternumCentreZ` (mm; the heart's centre height).
    public var sternumHalfWidthMm = 17.0, sternumBelowMm = 110.0, sternumAboveMm = 90.0
    public var sternumCentreZ = 0.0

    public init() {}
    /// The torso of a patient whose heart centre lies at height `heartCentreZ` (mm): the sternum is placed there.
    public init(heartCentreZ: Double) { sternumCentreZ = heartCentreZ }

    /// Classifies a point. `shift` is the breath-hold displacement of the mobile organs.
    @inline(__always) public func sample(_ p: Vec3, shift: Vec3) -> Tissue {
        let x = p.x, y = p.y - centreY
        let e = (x / halfWidthMm) * (x / halfWidthMm) + (y / halfDepthMm) * (y / halfDepthMm)
        if e > 1 { return .air }
        // Spine: vertebral body (marrow) behind the heart, posterior.
        let sx = x, sy = p.y - (centreY + halfDepthMm - 45)
        if sx * sx + sy * sy < 20 * 20 { return .boneMarrow }
        // Ribs: bands just inside the chest wall, falling towards the front.
        let hw = halfWidthMm, hd = halfDepthMm
        let rho = e.squareRoot()
        // The rib band's radial coordinate without trigonometry: with u = x / hw, v = y / hd, cos(theta) = u / rho
        // and sin(theta) = v / rho, so the radius below is |(x, y)| / rho. A point 1e-6 mm or more outside the band
        // by this value (its rounding differs by about 1e-13 mm) is outside it by the exact formula too; the rest
        // (and rho = 0, where this is NaN) take the exact formula, so the tissue is the same bit for bit.
        let radiusFast = (x * x + y * y).squareRoot() / rho
        if !(abs((rho - 1) * radiusFast + ribDepthMm) >= ribHalfThicknessMm + 1e-6) {
            let theta = atan2(y / hd, x / hw)
            let radius = (hw * hw * cos(theta) * cos(theta) + hd * hd * sin(theta) * sin(theta)).squareRoot()
            let radial = (rho - (1 - ribDepthMm / radius)) * radius
            if abs(radial) < ribHalfThicknessMm {
                let fromPosterior = abs(angleDifferenceDegrees(degrees(theta), 90))
                if fromPosterior > ribStartDeg && fromPosterior < ribEndDeg {
                    let zz = p.z + ribDropMm * fromPosterior / 180
                    let m = (zz + 2000).truncatingRemainder(dividingBy: ribPitchMm)
                    if min(m, ribPitchMm - m) < ribHalfHeightMm { return .rib }
                }
            }
        }
        // Sternum in the anterior chest wall.
        if abs(x) < sternumHalfWidthMm && y < -hd + fatMm + muscleMm + 4 && y > -hd + fatMm + 2
            && p.z > sternumCentreZ - sternumBelowMm && p.z < sternumCentreZ + sternumAboveMm {
            return .rib
        }
        let f1 = 1 - fatMm / halfDepthMm, f2 = 1 - (fatMm + muscleMm) / halfDepthMm
        let inner1 = f1 * f1, inner2 = f2 * f2
        if e > inner1 { return .subcutaneousFat }
        if e > inner2 { return .skeletalMuscle }
        // Descending aorta, left of the spine.
        let ax = x - 28, ay = p.y - (centreY + halfDepthMm - 70)
        if ax * ax + ay * ay < 12 * 12 { return .blood }
        let q = p - shift
        // Diaphragm: a dome, higher on the right (negative x) where the liver lies.
        let u = (q.x + 60) / 90
        let dome = diaphragmZ + 25 / (1 + u * u) - 0.0008 * (q.y - centreY) * (q.y - centreY)
        if q.z < dome {
            if q.x < 50 { return .liver }
            return .abdomen
        }
        return .lung
    }
}
