import CRTCore
import Foundation

/// The body around the heart, in patient LPS coordinates (mm): an elliptic-cylinder torso with subcutaneous fat,
/// chest-wall muscle, lungs, the spine with marrow, the descending aorta, and the liver and abdomen below the
/// diaphragm. Organs that move with breathing (liver, diaphragm) take the breath-hold shift like the heart.
public struct Torso: Sendable {
    /// Torso semi-axes, left-right and antero-posterior (mm), centred at x = 0, y = `centreY`.
    public var halfWidthMm = 165.0, halfDepthMm = 115.0, centreY = 15.0
    public var fatMm = 12.0, muscleMm = 12.0
    /// Diaphragm dome height (mm, patient z) under the heart.
    public var diaphragmZ = -70.0

    public init() {}

    /// Classifies a point. `shift` is the breath-hold displacement of the mobile organs.
    @inline(__always) public func sample(_ p: Vec3, shift: Vec3) -> Tissue {
        let x = p.x, y = p.y - centreY
        let e = (x / halfWidthMm) * (x / halfWidthMm) + (y / halfDepthMm) * (y / halfDepthMm)
        if e > 1 { return .air }
        let f1 = 1 - fatMm / halfDepthMm, f2 = 1 - (fatMm + muscleMm) / halfDepthMm
        let inner1 = f1 * f1, inner2 = f2 * f2
        if e > inner1 { return .subcutaneousFat }
        if e > inner2 { return .skeletalMuscle }
        // Spine: vertebral body (marrow) behind the heart, posterior.
        let sx = x, sy = p.y - (centreY + halfDepthMm - 45)
        if sx * sx + sy * sy < 20 * 20 { return .boneMarrow }
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
