import CRTCore
import Foundation
import HeartPhantom
import SegmentModel
import Testing

/// Named tolerances of the scar tissue tests.
enum ScarTolerance {
    /// Truth scar core volume (table integration) vs a voxel count of `sample`'s core class on a 0.6 mm grid
    /// (fraction); scar is a thin shell, so its count is coarser than the cavity's.
    static let voxelisedScar = 0.05
    /// A wall layer's core must stay within its part of the wall: fraction of the wall from the layer's edge.
    static let layerMargin = 0.02
}

/// Counts LV myocardium of scar class 2 and all LV myocardium by voxels at ED (mL).
private func voxelisedScar(_ heart: HeartModel, step: Double = 0.6) -> (scarMl: Double, myoMl: Double) {
    let st = heart.state(atMs: 0)
    let f = heart.frame
    let reach = heart.maxEpiRadiusMm + 1
    var scar = 0, myo = 0
    var s = heart.endoApexHeightMm - 12
    while s <= heart.gridTopMm {
        var a = -reach
        while a <= reach {
            var b = -reach
            while b <= reach {
                if a * a + b * b <= reach * reach,
                   let t = heart.sample(f.apexMm + f.baseDirection * s + f.u * a + f.v * b, st), t.tissue == .lvMyocardium {
                    myo += 1
                    if t.scarClass == 2 { scar += 1 }
                }
                b += step
            }
            a += step
        }
        s += step
    }
    let v = step * step * step / 1000
    return (Double(scar) * v, Double(myo) * v)
}

/// Scar class and enhancement along the wall at segment angle phi and height fraction f (from the endocardium out).
private func wallProfile(_ heart: HeartModel, phiDeg: Double, fraction: Double, samples: Int = 40) -> [TissueSample] {
    let st = heart.state(atMs: 0)
    let s = heart.baseHeightMm - fraction * (heart.baseHeightMm - heart.endoApexHeightMm)
    var out: [TissueSample] = []
    for k in 0..<400 {
        let r = Double(k) * 0.1
        let p = heart.frame.patient(s: s, r: r, phiDeg: phiDeg)
        if let t = heart.sample(p, st), t.tissue == .lvMyocardium { out.append(t) }
    }
    // Resample to `samples` points across the wall.
    guard !out.isEmpty else { return [] }
    return (0..<samples).map { out[min(out.count - 1, $0 * out.count / samples)] }
}

@Suite("Scar tissue: layers, texture, obstruction, RV scar and passive stretch", .tags(.fast))
struct ScarTissueTests {
    static let textured = """
        scars:
          - {centreSegment: 17, angularExtentDeg: 90, heightExtentFraction: 0.5, transmurality: 1, borderZoneMm: 3}
        scarTissue: {borderIrregularity: 0.3, patchiness: 0.3, coreHeterogeneity: 0.3, microvascularObstruction: 0.35,
                     greyZoneEnhancement: 0.4, texturePattern: 4242}
        """

    @Test("the truth's scar volume follows the textured scar: a voxel count of sample's core agrees")
    func truthFollowsTexture() throws {
        for yaml in [Self.textured, """
            scars:
              - {centreAngleDeg: 60, centreHeightFraction: 0.45, angularExtentDeg: 100, heightExtentFraction: 0.6, transmurality: 0.4, layer: midwall}
              - {centreAngleDeg: 250, centreHeightFraction: 0.4, angularExtentDeg: 80, heightExtentFraction: 0.5, transmurality: 0.3, layer: epicardial}
            scarTissue: {borderIrregularity: 0.2, patchiness: 0.2, texturePattern: 7}
            """] {
            let heart = HeartModel(spec: try spec(yaml))
            let truth = heart.groundTruth(phaseTimesMs: [0])
            let truthScarMl = truth.scarBurdenPercent / 100 * truth.lvMyocardialVolumeMl
            let counted = voxelisedScar(heart)
            #expect(abs(counted.scarMl - truthScarMl) / truthScarMl < ScarTolerance.voxelisedScar,
                    "scar \(counted.scarMl) mL counted vs \(truthScarMl) mL truth")
        }
    }

    @Test("islands and irregular borders change the scar: less core than the smooth scar, grey zone inside the footprint")
    func patchinessMakesIslands() throws {
        let smooth = HeartModel(spec: try spec("scars: [{centreSegment: 17, angularExtentDeg: 90, heightExtentFraction: 0.5}]"))
        let patchy = HeartModel(spec: try spec("""
            scars: [{centreSegment: 17, angularExtentDeg: 90, heightExtentFraction: 0.5}]
            scarTissue: {patchiness: 0.4, texturePattern: 11}
            """))
        let a = smooth.groundTruth(phaseTimesMs: [0]).scarBurdenPercent
        let b = patchy.groundTruth(phaseTimesMs: [0]).scarBurdenPercent
        #expect(b < 0.95 * a, "burden \(b) % patchy vs \(a) % smooth")
        #expect(b > 0.3 * a, "islands, not the whole scar: burden \(b) % vs \(a) %")
        // Inside the footprint some wall columns hold grey zone but no core (an island).
        let centre = Segment36(17)!.centreAngleDegrees
        /// Wall columns round the footprint's centre with grey zone but no core.
        func islandColumns(_ heart: HeartModel) -> Int {
            var n = 0
            for dphi in stride(from: -30.0, through: 30, by: 3) {
                for f in stride(from: 0.2, through: 0.5, by: 0.05) {
                    let prof = wallProfile(heart, phiDeg: centre + dphi, fraction: f)
                    if !prof.contains(where: { $0.scarClass == 2 }) && prof.contains(where: { $0.scarClass == 1 }) { n += 1 }
                }
            }
            return n
        }
        let islands = islandColumns(patchy)
        #expect(islands > 0, "no island of surviving myocardium inside the footprint")
        // Without a border zone the islands are grey zone all the same (not remote myocardium).
        let bare = HeartModel(spec: try spec("""
            scars: [{centreSegment: 17, angularExtentDeg: 90, heightExtentFraction: 0.5, borderZoneMm: 0}]
            scarTissue: {patchiness: 0.4, texturePattern: 11}
            """))
        let bareIslands = islandColumns(bare)
        #expect(bareIslands > 0, "islands of a scar without border zone are not grey zone")
    }

    @Test("mid-wall and epicardial scars spare the endocardium; subendocardial scar spares the epicardium when not transmural")
    func layers() throws {
        for (layer, lo, hi) in [("midwall", 0.5 - 0.2, 0.5 + 0.2), ("epicardial", 0.6, 1.0), ("subendocardial", 0.0, 0.4)] {
            let heart = HeartModel(spec: try spec("""
                scars: [{centreAngleDeg: 200, centreHeightFraction: 0.45, angularExtentDeg: 90, heightExtentFraction: 0.5, transmurality: 0.4, borderZoneMm: 0, layer: \(layer)}]
                """))
            let prof = wallProfile(heart, phiDeg: 200, fraction: 0.45, samples: 50)
            let core = prof.indices.filter { prof[$0].scarClass == 2 }.map { (Double($0) + 0.5) / Double(prof.count) }
            #expect(!core.isEmpty, "\(layer): no core at the centre")
            let m = ScarTolerance.layerMargin + 1.0 / Double(prof.count)
            #expect(core.allSatisfy { $0 >= lo - m && $0 <= hi + m }, "\(layer): core at wall fractions \(core.min() ?? -1)-\(core.max() ?? -1), expected \(lo)-\(hi)")
            #expect((core.max()! - core.min()!) > 0.3, "\(layer): core spans \(core.max()! - core.min()!) of the wall, expected about 0.4")
        }
    }

    @Test("microvascular obstruction is dark (no uptake) but scar in the truth; the core around it enhances")
    func obstruction() throws {
        let heart = HeartModel(spec: try spec("""
            scars: [{centreSegment: 17, angularExtentDeg: 90, heightExtentFraction: 0.5, transmurality: 1}]
            scarTissue: {microvascularObstruction: 0.4}
            """))
        let centre = Segment36(17)!
        let f = 0.5 * (heart.spec.segmentModel.basalMidFraction + heart.spec.segmentModel.midApicalFraction)
        let prof = wallProfile(heart, phiDeg: centre.centreAngleDegrees, fraction: f, samples: 40)
        let inner = prof.prefix(10), outer = prof.suffix(10)
        #expect(inner.allSatisfy { $0.scarClass == 2 && $0.enhancement == 0 }, "endocardial core at the centre: \(inner.map(\.enhancement))")
        #expect(outer.allSatisfy { $0.scarClass == 2 && $0.enhancement == 1 }, "epicardial core at the centre: \(outer.map(\.enhancement))")
    }

    @Test("RV insertion fibrosis enhances the RV wall at the insertions and is not LV scar")
    func rvInsertionFibrosis() throws {
        let heart = HeartModel(spec: try spec("scarTissue: {rvInsertionFibrosis: 1}"))
        let st = heart.state(atMs: 0)
        var enhancedRV = 0, lvScar = 0
        let span = heart.spec.anatomy.inferiorInsertionAngleDeg
        for phi in [5.0, 10, span - 10, span - 5, span / 2] {
            for k in 0..<300 {
                let p = heart.frame.patient(s: heart.baseHeightMm * 0.7, r: Double(k) * 0.2, phiDeg: phi)
                guard let t = heart.sample(p, st) else { continue }
                if t.tissue == .rvMyocardium && t.enhancement == 1 {
                    enhancedRV += 1
                    #expect(phi != span / 2, "RV wall enhanced mid-septum at \(phi) degrees")
                }
                if t.scarClass != 0 { lvScar += 1 }
            }
        }
        #expect(enhancedRV > 0)
        #expect(lvScar == 0)
        #expect(heart.groundTruth(phaseTimesMs: [0]).scarBurdenPercent == 0)
    }

    @Test("passive stretch: transmural scar thins in systole; without it the scar barely thickens")
    func passiveStretch() throws {
        /// Least and most wall thickness over the beat relative to ED at the scar's centre (same material height).
        func thicknessRange(_ extra: String) throws -> (min: Double, max: Double) {
            let heart = HeartModel(spec: try spec("""
                scars: [{centreAngleDeg: 220, centreHeightFraction: 0.45, angularExtentDeg: 100, heightExtentFraction: 0.6, transmurality: 1, borderZoneMm: 0}]
                \(extra)
                """))
            let sMaterial = heart.baseHeightMm - 0.45 * (heart.baseHeightMm - heart.endoApexHeightMm)
            func thickness(_ t: Double) -> Double {
                let st = heart.state(atMs: t)
                var n = 0
                for k in 0..<3000 {
                    let p = heart.frame.patient(s: sMaterial * st.lambda, r: Double(k) * 0.02, phiDeg: 220)
                    if heart.sample(p, st)?.tissue == .lvMyocardium { n += 1 }
                }
                return Double(n) * 0.02
            }
            let ed = thickness(0)
            let over = stride(from: 20.0, to: heart.spec.motion.rrIntervalMs, by: 20).map { thickness($0) / ed }
            return (over.min()!, over.max()!)
        }
        let residual = try thicknessRange("")
        let stretched = try thicknessRange("motion: {scarPassiveStretch: 0.3}")
        // Residual thickening 0.1 x 30 % = 3 %; stretch 0.3 gives 0.30 x (0.1 - 0.3) = -6 %.
        #expect(residual.max > 1.015 && residual.min > 0.99, "scar without stretch: thickness \(residual) of ED")
        #expect(stretched.min < 0.97 && stretched.max < 1.01, "stretched scar: thickness \(stretched) of ED")
    }

    @Test("a septal mid-wall stripe is drawn only for LBBB patients without given scar, and is mid-wall")
    func septalStripe() throws {
        let given = try spec("activation: {pattern: lbbb}\nscarTissue: {septalMidwallStripe: 1}")
        #expect(given.effectiveScars.count == 1 && given.effectiveScars[0].layer == .midwall)
        let field = RealismField.all.first { $0.path == "scarTissue.septalMidwallStripe" }!
        var ischaemic = try spec("scars: [{centreSegment: 17}]"); ischaemic.activation.pattern = "lbbb"
        #expect(field.clinicalForTests(ischaemic) == .fixed(0))
        #expect(field.clinicalForTests(try spec("activation: {pattern: lbbb}")) == .bernoulli(probability: 0.3))
        let truth = HeartModel(spec: given).groundTruth(phaseTimesMs: [0])
        let septal = truth.segments.filter { [2, 3].contains(Segment36($0.id)!.ahaSector) && $0.ring < 2 }
        #expect(septal.contains { ($0.scarFraction ?? 0) > 0.1 }, "no septal segment scarred by the stripe")
        #expect(truth.segments.filter { [5, 6].contains(Segment36($0.id)!.ahaSector) }.allSatisfy { ($0.scarFraction ?? 0) == 0 })
    }

    @Test("bad scar input is refused with the field and its allowed values")
    func badInput() {
        expectRefused("scars: [{centreSegment: 3, layer: sideways}]", naming: "layer", range: "midwall")
        expectRefused("scarTissue: {patchiness: 0.9}", naming: "scarTissue.patchiness", range: "from 0 to 0.5")
        expectRefused("scarTissue: {colour: red}", naming: "scarTissue.colour", range: "allowed here: borderIrregularity")
    }
}
