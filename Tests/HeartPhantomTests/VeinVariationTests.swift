import CRTCore
import Foundation
import HeartPhantom
import Testing

/// Named tolerances of the venous-anatomy tests.
enum VeinTolerance {
    /// A vein centre below the base plane lies vein radius + 0.5 mm outside the epicardium (mm).
    static let onEpicardiumMm = 0.01
    /// Highest a vein may run above the local annulus ring: the largest drawn CS height plus the rise of the GCV (mm).
    static let aboveBaseMm = 12.0 + 2.0
}

/// crtsim's venous tree before the realism fields (VenousTree as of commit 3de7583), written out again as the
/// reference that `realism: ideal` must reproduce bit for bit.
struct ReferenceVein: Equatable { var name: String; var heightMm: [Double]; var angleDeg: [Double]; var radiusMm: [Double] }

func referenceTree(_ spec: PhantomSpec, h: Double, sa: Double) -> [ReferenceVein] {
    let v = spec.veins
    let grooveS = h + 3
    let inferiorGroove = spec.anatomy.inferiorInsertionAngleDeg
    func line(_ name: String, from a: (Double, Double), to b: (Double, Double), r0: Double, r1: Double) -> ReferenceVein {
        let dAngle = b.1 - a.1
        let len = ((b.0 - a.0) * (b.0 - a.0) + pow(radians(dAngle) * 40, 2)).squareRoot()
        let n = max(2, Int(len / 1.5) + 1)
        var hs: [Double] = [], angs: [Double] = [], rs: [Double] = []
        for k in 0..<n {
            let t = Double(k) / Double(n - 1)
            hs.append(a.0 + (b.0 - a.0) * t); angs.append(wrapDegrees(a.1 + dAngle * t)); rs.append(r0 + (r1 - r0) * t)
        }
        return ReferenceVein(name: name, heightMm: hs, angleDeg: angs, radiusMm: rs)
    }
    var list: [ReferenceVein] = []
    list.append(line("coronary sinus", from: (grooveS, inferiorGroove - 5), to: (grooveS, 240), r0: v.coronarySinusRadiusMm, r1: v.coronarySinusRadiusMm * 0.7))
    list.append(line("great cardiac vein", from: (grooveS, 240), to: (grooveS + 2, 360), r0: v.coronarySinusRadiusMm * 0.7, r1: 2.0))
    let apexS = sa + 0.15 * (h - sa)
    list.append(line("anterior interventricular vein", from: (grooveS + 2, 360), to: (apexS, 358), r0: 2.0, r1: 1.0))
    list.append(line("middle cardiac vein", from: (grooveS, inferiorGroove + 3), to: (apexS + 5, inferiorGroove), r0: 2.0, r1: 1.0))
    let defaults: [[Double]] = [[225], [205, 250], [195, 225, 260]]
    for (k, a) in (v.branchAnglesDeg ?? defaults[v.lateralBranches - 1]).enumerated() {
        list.append(line("lateral branch \(k + 1)", from: (grooveS, a), to: (sa + 0.3 * (h - sa), a + 12), r0: v.branchRadiusMm * 1.2, r1: v.branchRadiusMm * 0.7))
    }
    return list
}

@Suite("Venous anatomy drawn per patient", .tags(.fast))
struct VeinVariationTests {
    @Test("realism: ideal reproduces the earlier fixed tree exactly (1, 2 and 3 branches, given angles)")
    func idealIsToday() throws {
        for extra in ["", "veins: {lateralBranches: 1}", "veins: {lateralBranches: 3}", "veins: {lateralBranches: 2, branchAnglesDeg: [185, 235]}"] {
            let s = try spec("realism: ideal\n\(extra)").resolved(seed: 7)
            let heart = HeartModel(spec: s)
            let reference = referenceTree(s, h: heart.baseHeightMm, sa: heart.endoApexHeightMm)
            let tree = heart.veins.veins.map { ReferenceVein(name: $0.name, heightMm: $0.heightMm, angleDeg: $0.angleDeg, radiusMm: $0.radiusMm) }
            #expect(tree == reference, "ideal tree differs for '\(extra)'")
        }
    }

    @Test("drawn trees differ between patients and stay on the epicardium, within their height and angle ranges")
    func drawnOnEpicardium() throws {
        let base = try spec("activation: {pattern: lbbb}")
        var layouts: Set<[Double]> = []
        for seed in 0..<12 {
            let s = base.resolved(seed: UInt64(seed))
            let heart = HeartModel(spec: s)
            let st = heart.state(atMs: 0)
            let branches = heart.veins.veins.filter { $0.name.hasPrefix("lateral") }
            #expect((1...3).contains(branches.count))
            layouts.insert(branches.map { $0.angleDeg[0] })
            // The AV groove follows the local annulus ring: every CS point and every branch origin lies
            // csAboveBaseMm above the ring at its angle.
            let csAbove = s.veins.csAboveBaseMm!
            let cs = heart.veins.veins[0]
            for k in cs.heightMm.indices {
                #expect(abs(cs.heightMm[k] - heart.annulusHeight(phiDeg: cs.angleDeg[k]) - csAbove) < 1e-6, "CS point \(k) height")
            }
            for b in branches {
                #expect(abs(b.heightMm[0] - heart.annulusHeight(phiDeg: b.angleDeg[0]) - csAbove) < 1e-6, "\(b.name) leaves the CS groove")
                #expect(VenousTree.Fixed.branchAngleRangeDeg.contains(b.angleDeg[0]), "\(b.name) origin at \(b.angleDeg[0])")
            }
            for (vein, line) in zip(heart.veins.veins, heart.veinCentrelines(st)) {
                for k in 0..<vein.heightMm.count {
                    let sMm = vein.heightMm[k]
                    let ring = heart.annulusHeight(phiDeg: vein.angleDeg[k])
                    #expect(sMm >= 0 && sMm <= ring + VeinTolerance.aboveBaseMm, "\(vein.name) at height \(sMm)")
                    #expect(vein.angleDeg[k] >= 0 && vein.angleDeg[k] < 360)
                    guard sMm <= ring else { continue }
                    let epi = heart.epicardialPoint(fraction: heart.heightFraction(s: sMm, phiDeg: vein.angleDeg[k]), phiDeg: vein.angleDeg[k], st)
                    let d = (line.pointsMm[k] - epi).length
                    #expect(abs(d - (vein.radiusMm[k] + 0.5)) <= VeinTolerance.onEpicardiumMm, "\(vein.name) point \(k): \(d) mm out")
                }
            }
        }
        #expect(layouts.count >= 6, "only \(layouts.count) branch layouts in 12 patients")
    }

    @Test("a layout given in the file is kept: its count and angles are not drawn")
    func givenLayoutKept() throws {
        let s = try spec("veins: {lateralBranches: 2, branchAnglesDeg: [185, 235]}").resolved(seed: 3)
        #expect(s.veins.lateralBranchCount == 2)
        let heart = HeartModel(spec: s)
        #expect(heart.veins.veins.filter { $0.name.hasPrefix("lateral") }.map { $0.angleDeg[0] } == [185, 235])
    }

    @Test("tortuosity moves a branch across its course and leaves its ends in place")
    func tortuosity() throws {
        let straight = HeartModel(spec: try spec("realism: ideal\nveins: {lateralBranches: 1}"))
        let wiggly = HeartModel(spec: try spec("realism: ideal\nveins: {lateralBranches: 1, branchTortuosityMm: 3, branchTortuosityPeriodMm: 20}"))
        let a = straight.veins.veins.last!, b = wiggly.veins.veins.last!
        #expect(a.heightMm == b.heightMm)
        #expect(abs(a.angleDeg.first! - b.angleDeg.first!) < 1e-9 && abs(a.angleDeg.last! - b.angleDeg.last!) < 1e-9)
        let largest = zip(a.angleDeg, b.angleDeg).map { abs($0 - $1) }.max()!
        // 3 mm at the 40-mm typical radius is 4.3 degrees; the taper sin(pi t) keeps most of it.
        #expect(largest > 2 && largest <= degrees(3.0 / 40) + 1e-9, "largest excursion \(largest) degrees")
    }
}
