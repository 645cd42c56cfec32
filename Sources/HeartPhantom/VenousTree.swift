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

    init(spec: PhantomSpec, baseHeightMm h: Double, endoApexHeightMm sa: Double) {
        let v = spec.veins
        let grooveS = h + 3   // AV groove just above the base plane
        let inferiorGroove = spec.anatomy.inferiorInsertionAngleDeg
        func line(_ name: String, from a: (Double, Double), to b: (Double, Double), r0: Double, r1: Double, stepMm: Double = 1.5, radiusMm: Double = 40) -> Vein {
            // Arc length estimate: height difference and angular distance at a typical radius.
            let dAngle = b.1 - a.1
            let len = ((b.0 - a.0) * (b.0 - a.0) + pow(radians(dAngle) * radiusMm, 2)).squareRoot()
            let n = max(2, Int(len / stepMm) + 1)
            var hs: [Double] = [], angs: [Double] = [], rs: [Double] = []
            for k in 0..<n {
                let t = Double(k) / Double(n - 1)
                hs.append(a.0 + (b.0 - a.0) * t)
                angs.append(wrapDegrees(a.1 + dAngle * t))
                rs.append(r0 + (r1 - r0) * t)
            }
            return Vein(name: name, heightMm: hs, angleDeg: angs, radiusMm: rs)
        }
        var list: [Vein] = []
        let ostiumAngle = inferiorGroove - 5
        // Coronary sinus: ostium -> lateral wall (angle 240), then great cardiac vein to the anterior groove (360).
        list.append(line("coronary sinus", from: (grooveS, ostiumAngle), to: (grooveS, 240), r0: v.coronarySinusRadiusMm, r1: v.coronarySinusRadiusMm * 0.7))
        list.append(line("great cardiac vein", from: (grooveS, 240), to: (grooveS + 2, 360), r0: v.coronarySinusRadiusMm * 0.7, r1: 2.0))
        let apexS = sa + 0.15 * (h - sa)
        list.append(line("anterior interventricular vein", from: (grooveS + 2, 360), to: (apexS, 358), r0: 2.0, r1: 1.0))
        list.append(line("middle cardiac vein", from: (grooveS, inferiorGroove + 3), to: (apexS + 5, inferiorGroove), r0: 2.0, r1: 1.0))
        let defaults: [[Double]] = [[225], [205, 250], [195, 225, 260]]
        let angles = v.branchAnglesDeg ?? defaults[v.lateralBranches - 1]
        for (k, a) in angles.enumerated() {
            let endS = sa + 0.3 * (h - sa)
            list.append(line("lateral branch \(k + 1)", from: (grooveS, a), to: (endS, a + 12), r0: v.branchRadiusMm * 1.2, r1: v.branchRadiusMm * 0.7))
        }
        veins = list
    }
}
