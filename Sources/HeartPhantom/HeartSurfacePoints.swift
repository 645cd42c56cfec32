import CRTCore
import Foundation
import SegmentModel

/// A vein centreline in patient coordinates at one instant.
public struct VeinCentreline: Sendable, Equatable {
    public var name: String
    /// Centreline points (LPS mm), from the vein's origin (ostium side) to its distal end.
    public var pointsMm: [Vec3]
    /// Vein radius at each point (mm).
    public var radiiMm: [Double]
}

extension HeartModel {
    /// The coronary vein centrelines at state `st`, placed as `state(atMs:)` places the vein samples: on the
    /// epicardium, centre at epicardial radius + vein radius + 0.5 mm, heights scaled by the longitudinal stretch.
    public func veinCentrelines(_ st: HeartState) -> [VeinCentreline] {
        veins.veins.map { vein in
            var pts: [Vec3] = []
            for k in 0..<vein.heightMm.count {
                let s = vein.heightMm[k], phi = vein.angleDeg[k], rad = vein.radiusMm[k]
                let epi = Double(bilinear(st.rEpi, gridPosition(s: veinFootHeight(s: s, phiDeg: phi), phiDeg: phi)))
                pts.append(patient(sNow: s * st.lambda, r: epi + rad + 0.5, phiDeg: phi, lambda: st.lambda))
            }
            return VeinCentreline(name: vein.name, pointsMm: pts, radiiMm: vein.radiusMm)
        }
    }

    /// The material height whose epicardial radius a vein point at height s rides on: its own height on the LV wall,
    /// the local annulus ring for the AV-groove veins above it (the flat base plane when the annulus is flat).
    @inline(__always) func veinFootHeight(s: Double, phiDeg: Double) -> Double {
        min(s, flatBase ? baseHeightMm : annulusHeight(phiDeg: phiDeg))
    }

    /// The epicardial point (LPS mm) at state `st` of height fraction `fraction` (0 the local annulus, 1 the
    /// endocardial apex) and segment angle `phiDeg`.
    public func epicardialPoint(fraction: Double, phiDeg: Double, _ st: HeartState) -> Vec3 {
        let s = height(fraction: fraction, phiDeg: phiDeg)
        let epi = Double(bilinear(st.rEpi, gridPosition(s: s, phiDeg: phiDeg)))
        return patient(sNow: s * st.lambda, r: epi, phiDeg: phiDeg, lambda: st.lambda)
    }

    /// The epicardial centre of a 36-segment at state `st`: the segment's centre angle at the middle of its ring
    /// (ring heights from the phantom's segment model).
    public func epicardialCentre(of segment: Segment36, _ st: HeartState) -> Vec3 {
        let rings = spec.segmentModel
        let bounds: [(Double, Double)] = [(0, rings.basalMidFraction), (rings.basalMidFraction, rings.midApicalFraction),
                                          (rings.midApicalFraction, 1)]
        let (a, b) = bounds[segment.ring]
        return epicardialPoint(fraction: 0.5 * (a + b), phiDeg: segment.centreAngleDegrees, st)
    }

    /// The 36-segment of the LV wall nearest a point on or near the epicardium (a lead electrode in a vein) at
    /// state `st`: the point's segment angle and height, the height clamped into the segmented cavity length
    /// (above the base plane counts as basal, the apical cap as apical).
    public func segment(nearSurfacePoint p: Vec3, _ st: HeartState) -> Segment36 {
        let (sNow, _, phi) = local(p, lambda: st.lambda)
        let f = clamp(heightFraction(s: sNow / st.lambda, phiDeg: phi), 0, 0.999)
        let s = height(fraction: f, phiDeg: phi)
        let id = Int(segment(s: s, phiDeg: phi))
        if let seg = Segment36(id) { return seg }
        let ring = spec.segmentModel.ring(forFraction: f) ?? 2
        return Segment36.id(ring: ring, angleDegrees: phi)
    }
}
