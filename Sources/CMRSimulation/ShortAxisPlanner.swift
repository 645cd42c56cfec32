import CRTCore
import Foundation
import HeartPhantom

/// Plans a short-axis stack as a scanner operator does: slices perpendicular to the LV long axis, the first one
/// just below the mitral plane at end-diastole, stepping towards the apex; the field of view centred on the body.
/// Images are displayed as seen from the apex (radiological SAX): row cosines x column cosines points to the base.
public enum ShortAxisPlanner {
    /// The voxel grid of the stack (column, row, slice), LPS mm.
    public static func plan(heart: HeartModel, torso: Torso, series s: PhantomSpec.SeriesSettings) -> ImageGrid {
        let w = heart.frame.apexDirection
        let n = -w
        let posterior = Vec3(0, 1, 0)
        let e2 = (posterior - w * posterior.dot(w)).normalized   // rows increase towards posterior
        let e1 = e2.cross(n).normalized                           // so that e1 x e2 = n (towards the base)
        let spacing = s.sliceThicknessMm + s.sliceGapMm
        let baseCentre = heart.frame.patient(s: heart.baseHeightMm, r: 0, phiDeg: 0)
        let first = baseCentre + w * (s.sliceThicknessMm / 2)
        // FOV centre: towards the body axis (x = 0, y = torso centre), at most `maxOffCentreMm` from the LV axis,
        // so the heart is off-centre as on a real scanner but always inside the field of view.
        let axisPoint = Vec3(0, torso.centreY, first.z)
        var offset = axisPoint - first
        offset = offset - n * offset.dot(n)
        let maxOffCentreMm = min(60, 0.5 * s.fovMm - 80)
        if offset.length > maxOffCentreMm { offset = offset.normalized * max(maxOffCentreMm, 0) }
        let inPlane = first + offset
        let m = s.matrix
        let half = Double(m - 1) / 2 * s.pixelMm
        let origin = inPlane - e1 * half - e2 * half
        return ImageGrid(size: [m, m, s.slices],
                         patientFromVoxel: Affine3D(linear: Mat3(columns: e1 * s.pixelMm, e2 * s.pixelMm, w * spacing),
                                                    translation: origin))
    }
}
