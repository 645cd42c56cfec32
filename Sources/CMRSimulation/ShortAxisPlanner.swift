import CRTCore
import Foundation
import HeartPhantom

/// Plans a short-axis stack as a scanner operator does: slices perpendicular to the LV long axis, the first one
/// just below the mitral plane at end-diastole, stepping towards the apex; the field of view centred on the body.
/// Images are displayed as seen from the apex (radiological SAX): row cosines x column cosines points to the base.
///
/// The operator's errors (`Planning`, realism fields `cmr.planning*`): the stack normal tilted from the true long axis
/// by `tiltDeg` towards segment angle `tiltAzimuthDeg`, and the basal face of the first slice `baseOffsetMm` from the
/// true base plane along the true long axis (positive towards the apex). Zero errors give the perfect plan.
public enum ShortAxisPlanner {
    /// The operator's planning errors.
    public struct Planning: Sendable, Equatable {
        public var baseOffsetMm = 0.0, tiltDeg = 0.0, tiltAzimuthDeg = 0.0
        public init(baseOffsetMm: Double = 0, tiltDeg: Double = 0, tiltAzimuthDeg: Double = 0) {
            self.baseOffsetMm = baseOffsetMm; self.tiltDeg = tiltDeg; self.tiltAzimuthDeg = tiltAzimuthDeg
        }
        /// The phantom's planning fields (unset: the perfect plan).
        public init(_ cmr: PhantomSpec.CMRSettings) {
            self.init(baseOffsetMm: cmr.planningBaseOffsetMm ?? 0, tiltDeg: cmr.planningTiltDeg ?? 0,
                      tiltAzimuthDeg: cmr.planningTiltAzimuthDeg ?? 0)
        }
        public var isPerfect: Bool { baseOffsetMm == 0 && tiltDeg == 0 }
    }

    /// The operator's apex direction: the true one tilted by `tiltDeg` towards the wall at `tiltAzimuthDeg`.
    public static func plannedApexDirection(heart: HeartModel, planning p: Planning) -> Vec3 {
        let w = heart.frame.apexDirection
        guard p.tiltDeg != 0 else { return w }
        let d = heart.frame.direction(phiDeg: p.tiltAzimuthDeg)
        let d0 = (d - w * d.dot(w)).normalized
        let t = p.tiltDeg * .pi / 180
        return (w * cos(t) + d0 * sin(t)).normalized
    }

    /// The voxel grid of the stack (column, row, slice), LPS mm.
    public static func plan(heart: HeartModel, torso: Torso, series s: PhantomSpec.SeriesSettings,
                            planning: Planning = Planning()) -> ImageGrid {
        let perfect = planning.isPerfect
        let w = perfect ? heart.frame.apexDirection : plannedApexDirection(heart: heart, planning: planning)
        let n = -w
        let posterior = Vec3(0, 1, 0)
        let e2 = (posterior - w * posterior.dot(w)).normalized   // rows increase towards posterior
        let e1 = e2.cross(n).normalized                           // so that e1 x e2 = n (towards the base)
        let spacing = s.sliceThicknessMm + s.sliceGapMm
        let baseCentre = heart.frame.patient(s: heart.baseHeightMm, r: 0, phiDeg: 0)
        // The basal face of the first slice crosses the true long axis `baseOffsetMm` from the base plane.
        let first = perfect ? baseCentre + w * (s.sliceThicknessMm / 2)
            : baseCentre + heart.frame.apexDirection * planning.baseOffsetMm + w * (s.sliceThicknessMm / 2)
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
