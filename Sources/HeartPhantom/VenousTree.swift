import CRTCore
import Foundation

/// The coronary venous tree on the epicardium, as centrelines in material coordinates (height s in mm, segment
/// angle in degrees) with a radius. The coronary sinus runs in the posterior AV groove from its ostium near the
/// right atrium (angle ~115) through the inferior and lateral walls, continues as the great cardiac vein to the
/// anterior interventricular groove (angle 0) and descends as the anterior interventricular vein; the middle
/// cardiac vein descends in the posterior interventricular groove (the inferior RV insertion); 1-3 lateral or
/// posterolateral branches descend the free wall. The same tree is filled with contrast in fluoroscopy.
public struct VenousTree: Sendable, Codable, Equatable {
    public struct Vein: Sendable, Codable, Equatable {
        public var name: String
        /// Centreline points: material height (mm above the epicardial apex), segment angle (degrees), radius (mm).
        public var heightMm: [Double]
        public var angleDeg: [Double]
        public var radiusMm: [Double]
    }
    public var veins: [Vein]

    /// The course constants of crtsim's earlier releases, used where a realism field is unset (nil, and under
    /// `realism: ideal`), so that those phantoms are reproduced exactly.
    public enum Fixed {
        public static let csAboveBaseMm = 3.0
        public static let ostiumFromInferiorDeg = -5.0
        public static let greatCardiacVeinStartDeg = 240.0
        public static let aivOriginAboveGrooveMm = 2.0
        public static let aivEndAngleDeg = 358.0
        public static let mcvOriginFromInferiorDeg = 3.0
        public static let mcvEndShortOfAivMm = 5.0
        /// Distance from the endocardial apex to the AIV end and to the branch ends, as a fraction of the cavity length.
        public static let aivEndTailFraction = 0.15
        public static let branchEndTailFraction = 0.3
        public static let branchDriftDeg = 12.0
        public static let branchAnglesDeg: [[Double]] = [[225], [205, 250], [195, 225, 260]]
        /// Allowed segment angles of a branch origin (degrees), as for `branchAnglesDeg` in the phantom file.
        public static let branchAngleRangeDeg = 150.0...300.0
        /// Typical epicardial radius for turning arc lengths into angles (mm).
        public static let typicalRadiusMm = 40.0
        public static let tortuosityPeriodMm = 25.0
    }

    /// - Parameter annulusRingMm: the mitral annulus ring's height at a segment angle, when the annulus is tilted or
    ///   saddle-shaped (nil: the flat base plane at `h`). The AV groove follows the annulus: the coronary sinus and
    ///   great cardiac vein keep their height above the local ring, and the veins descending from the groove start
    ///   there, the shift fading to nothing at their distal ends.
    init(spec: PhantomSpec, baseHeightMm h: Double, endoApexHeightMm sa: Double, annulusRingMm: ((Double) -> Double)? = nil) {
        let v = spec.veins
        let grooveS = h + (v.csAboveBaseMm ?? Fixed.csAboveBaseMm)   // AV groove just above the base plane
        /// How far the local annulus lies above the mean base plane at a segment angle (mm).
        func grooveShift(_ angle: Double) -> Double { annulusRingMm.map { $0(angle) - h } ?? 0 }
        enum Groove { case none, along, fromOrigin }
        let inferiorGroove = spec.anatomy.inferiorInsertionAngleDeg
        /// - wiggleMm / periodMm: a sinusoidal excursion across the course (on the epicardium), zero at both ends.
        func line(_ name: String, from a: (Double, Double), to b: (Double, Double), r0: Double, r1: Double, stepMm: Double = 1.5,
                  radiusMm: Double = Fixed.typicalRadiusMm, wiggleMm: Double = 0, periodMm: Double = Fixed.tortuosityPeriodMm,
                  groove: Groove = .none) -> Vein {
            // Arc length estimate: height difference and angular distance at a typical radius.
            let dAngle = b.1 - a.1
            let len = ((b.0 - a.0) * (b.0 - a.0) + pow(radians(dAngle) * radiusMm, 2)).squareRoot()
            let n = max(2, Int(len / stepMm) + 1)
            var hs: [Double] = [], angs: [Double] = [], rs: [Double] = []
            for k in 0..<n {
                let t = Double(k) / Double(n - 1)
                hs.append(a.0 + (b.0 - a.0) * t)
                var angle = a.1 + dAngle * t
                if wiggleMm > 0 {
                    // Across a mostly longitudinal branch: an angular excursion, tapered to zero at both ends.
                    angle += degrees(wiggleMm / radiusMm) * sin(.pi * t) * sin(2 * .pi * t * len / periodMm)
                }
                angs.append(wrapDegrees(angle))
                rs.append(r0 + (r1 - r0) * t)
                if annulusRingMm != nil {
                    switch groove {
                    case .none: break
                    case .along: hs[k] += grooveShift(angle)
                    case .fromOrigin: hs[k] += grooveShift(a.1) * (1 - t)
                    }
                }
            }
            return Vein(name: name, heightMm: hs, angleDeg: angs, radiusMm: rs)
        }
        var list: [Vein] = []
        let ostiumAngle = inferiorGroove + (v.ostiumFromInferiorDeg ?? Fixed.ostiumFromInferiorDeg)
        let gcvStart = v.greatCardiacVeinStartDeg ?? Fixed.greatCardiacVeinStartDeg
        let aivOriginS = grooveS + Fixed.aivOriginAboveGrooveMm
        // Coronary sinus: ostium -> lateral wall, then great cardiac vein to the anterior groove (360).
        list.append(line("coronary sinus", from: (grooveS, ostiumAngle), to: (grooveS, gcvStart), r0: v.coronarySinusRadiusMm, r1: v.coronarySinusRadiusMm * 0.7, groove: .along))
        list.append(line("great cardiac vein", from: (grooveS, gcvStart), to: (aivOriginS, 360), r0: v.coronarySinusRadiusMm * 0.7, r1: 2.0, groove: .along))
        let apexS = sa + (v.aivEndFraction.map { 1 - $0 } ?? Fixed.aivEndTailFraction) * (h - sa)
        list.append(line("anterior interventricular vein", from: (aivOriginS, 360), to: (apexS, v.aivEndAngleDeg ?? Fixed.aivEndAngleDeg), r0: 2.0, r1: 1.0, groove: .fromOrigin))
        list.append(line("middle cardiac vein", from: (grooveS, inferiorGroove + (v.mcvOriginFromInferiorDeg ?? Fixed.mcvOriginFromInferiorDeg)),
                         to: (apexS + Fixed.mcvEndShortOfAivMm, inferiorGroove), r0: 2.0, r1: 1.0, groove: .fromOrigin))
        let angles: [Double]
        if let given = v.branchAnglesDeg {
            angles = given
        } else {
            let count = v.lateralBranchCount.map { Int($0.rounded()) } ?? v.lateralBranches
            let defaults = Fixed.branchAnglesDeg[min(max(count, 1), 3) - 1]
            let mean = defaults.reduce(0, +) / Double(defaults.count)
            let shift = v.branchAngleShiftDeg ?? 0, scale = v.branchSpacingScale ?? 1
            // a + 0 + 0 * (a - mean) == a exactly: unset fields reproduce the defaults bit for bit.
            angles = defaults.map { a in
                clamp(a + shift + (scale - 1) * (a - mean), Fixed.branchAngleRangeDeg.lowerBound, Fixed.branchAngleRangeDeg.upperBound)
            }
        }
        let endS = sa + (v.branchEndFraction.map { 1 - $0 } ?? Fixed.branchEndTailFraction) * (h - sa)
        let drift = v.branchDriftDeg ?? Fixed.branchDriftDeg
        for (k, a) in angles.enumerated() {
            list.append(line("lateral branch \(k + 1)", from: (grooveS, a), to: (endS, a + drift), r0: v.branchRadiusMm * 1.2, r1: v.branchRadiusMm * 0.7,
                             wiggleMm: v.branchTortuosityMm ?? 0, periodMm: v.branchTortuosityPeriodMm ?? Fixed.tortuosityPeriodMm,
                             groove: .fromOrigin))
        }
        veins = list
    }
}
