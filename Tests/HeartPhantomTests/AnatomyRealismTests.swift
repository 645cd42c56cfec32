import CRTCore
import Foundation
import HeartPhantom
import Testing

/// Named tolerances of the LV shape and base tests.
enum AnatomyTolerance {
    /// Wall thickness measured along a ray through `sample` (0.02 mm steps) vs the requested regional thickness at
    /// the spheroid's equator (mm): the Float tables and the bilinear look-up.
    static let regionalWallMm = 0.15
    /// Smallest area (mm^2) that counts as "the plane cuts this chamber": a few dozen 1 mm^2 samples.
    static let chamberCutMm2 = 50.0
}

/// A strongly shaped, tilted heart: every shape field set far from neutral.
private let shapedYAML = """
    realism: ideal
    anatomy: {edvMl: EDV, ellipticity: 0.15, ellipticityAngleDeg: 40, septalFlattening: 0.2,
              septalToLateralWallRatio: 1.4, annulusTiltDeg: 20, annulusSaddleHeightMm: 8}
    """

private func shaped(edv: Double) throws -> HeartModel {
    HeartModel(spec: try spec(shapedYAML.replacingOccurrences(of: "EDV", with: "\(edv)")))
}

/// The time of the smallest cavity volume on a 5 ms grid.
private func endSystoleMs(_ heart: HeartModel) -> Double {
    var best = (t: 0.0, v: Double.greatestFiniteMagnitude)
    var t = 0.0
    while t < heart.spec.motion.rrIntervalMs {
        let v = heart.cavityVolumeMm3(atMs: t)
        if v < best.v { best = (t, v) }
        t += 5
    }
    return best.t
}

/// LV cavity volume (mL) by counting `sample` on a 0.75 mm grid aligned with the heart frame.
private func voxelCavityMl(_ heart: HeartModel, atMs t: Double) -> Double {
    let st = heart.state(atMs: t)
    let f = heart.frame
    let step = 0.75
    let reach = heart.maxEpiRadiusMm * 1.1 + 2
    var count = 0
    var s = heart.endoApexHeightMm - 2
    while s <= heart.gridTopMm + 1 {
        var a = -reach
        while a <= reach {
            var b = -reach
            while b <= reach {
                let p = f.apexMm + f.baseDirection * s + f.u * a + f.v * b
                if let tissue = heart.sample(p, st)?.tissue, tissue.isLVCavity { count += 1 }
                b += step
            }
            a += step
        }
        s += step
    }
    return Double(count) * step * step * step / 1000
}

@Suite("LV shape and base beyond the spheroid", .tags(.fast))
struct AnatomyRealismTests {
    @Test("the shaped, tilted heart is still sized to the requested EDV")
    func sizingWithShape() throws {
        for edv in [80.0, 209, 400] {
            let heart = try shaped(edv: edv)
            let v = heart.cavityVolumeMm3(atMs: 0) / 1000
            #expect(abs(v - edv) / edv < Tolerance.edvSizing, "EDV \(v) mL for requested \(edv)")
        }
    }

    @Test("truth cavity volume of the shaped heart agrees with a voxel count of sample, at ED and ES")
    func voxelisedShaped() throws {
        let heart = try shaped(edv: 150)
        #expect(!heart.flatBase)
        for t in [0.0, endSystoleMs(heart)] {
            let voxel = voxelCavityMl(heart, atMs: t)
            let truth = heart.cavityVolumeMm3(atMs: t) / 1000
            #expect(abs(voxel - truth) / truth < Tolerance.voxelisedVolume, "t \(t) ms: voxel \(voxel) mL vs truth \(truth) mL")
        }
    }

    @Test("regional wall thickness: septum and lateral wall as requested, the mean kept")
    func regionalWall() throws {
        let heart = HeartModel(spec: try spec("""
            anatomy: {edvMl: 200, wallThicknessMm: 10, septalToLateralWallRatio: 1.5, ellipticity: 0.1,
                      ellipticityAngleDeg: 30, septalFlattening: 0.15}
            """))
        let st = heart.state(atMs: 0)
        let s = heart.centreHeightMm                         // the equator: spheroid wall = wallThicknessMm
        let g = (1.5 - 1) / (1.5 + 1)
        let septum = heart.spec.anatomy.inferiorInsertionAngleDeg / 2
        func measured(_ phi: Double) -> Double {
            var r = 0.0, n = 0
            while r < heart.maxEpiRadiusMm + 5 {
                if heart.sample(heart.frame.patient(s: s, r: r, phiDeg: phi), st)?.tissue == .lvMyocardium { n += 1 }
                r += 0.02
            }
            return Double(n) * 0.02
        }
        let sep = measured(septum), lat = measured(septum + 180)
        #expect(abs(sep - 10 * (1 + g)) < AnatomyTolerance.regionalWallMm, "septal wall \(sep) mm, requested \(10 * (1 + g))")
        #expect(abs(lat - 10 * (1 - g)) < AnatomyTolerance.regionalWallMm, "lateral wall \(lat) mm, requested \(10 * (1 - g))")
        #expect(abs(sep / lat - 1.5) < 0.05, "septal / lateral \(sep / lat)")
        // Clinical draws keep every region within 6-14 mm for the default 9 mm wall.
        let drawn = try spec("anatomy: {edvMl: 200}").resolved(seed: 7)
        let ratio = try #require(drawn.anatomy.septalToLateralWallRatio)
        let gd = (ratio - 1) / (ratio + 1)
        #expect((6...14).contains(9 * (1 + gd)) && (6...14).contains(9 * (1 - gd)))
    }

    @Test("at end-systole a basal short-axis plane cuts LV outflow tract on the aortic side and atrium posteriorly")
    func tiltedBaseAtEndSystole() throws {
        let heart = try shaped(edv: 209)
        let tES = endSystoleMs(heart)
        let lambda = heart.longitudinalStretch(atMs: tES)
        // The base descends (MAPSE) by (1 - lambda) x base height.
        #expect((1 - lambda) * heart.baseHeightMm > 5)
        let h = heart.baseHeightMm * lambda                  // the mean annulus height now
        let f = heart.frame
        let point = f.apexMm + f.baseDirection * h
        let c = heart.basalContent(planePoint: point, normal: f.baseDirection, atMs: tES)
        #expect(c.lvCavityMm2 > AnatomyTolerance.chamberCutMm2, "LV cavity \(c.lvCavityMm2) mm2")
        #expect(c.atrialMm2 > AnatomyTolerance.chamberCutMm2, "atrium \(c.atrialMm2) mm2")
        #expect(c.lvFraction > 0 && c.lvFraction < 1)
        // 2 mm above the mean base only the aortic side is still ventricle: all of the plane's LV is outflow tract.
        let above = heart.basalContent(planePoint: point + f.baseDirection * 2, normal: f.baseDirection, atMs: tES)
        #expect(above.outflowTractMm2 > AnatomyTolerance.chamberCutMm2 && above.outflowTractMm2 == above.lvCavityMm2,
                "outflow \(above.outflowTractMm2) of \(above.lvCavityMm2) mm2")
        // Which side: LV below the high (aortic, angle 25) annulus, atrium above the low posterior one.
        #expect(heart.annulusHeight(phiDeg: 25) * lambda > h && heart.annulusHeight(phiDeg: 205) * lambda < h)
        let st = heart.state(atMs: tES)
        let aortic = heart.sample(f.patient(s: h, r: 8, phiDeg: 25), st)?.tissue
        let posterior = heart.sample(f.patient(s: h + 6, r: 0.55 * heart.endoShortMm, phiDeg: 200), st)?.tissue
        #expect(aortic?.isLVCavity == true, "aortic side: \(String(describing: aortic))")
        #expect(posterior == .blood, "posterior side: \(String(describing: posterior))")
        // Control: the flat base of the same size has no atrium 2 mm below its base plane.
        let flat = HeartModel(spec: try spec("realism: ideal\nanatomy: {edvMl: 209}"))
        let lf = flat.longitudinalStretch(atMs: tES)
        let cf = flat.basalContent(planePoint: flat.frame.apexMm + flat.frame.baseDirection * (flat.baseHeightMm * lf - 2),
                                   normal: flat.frame.baseDirection, atMs: tES)
        #expect(cf.atrialMm2 == 0 && cf.lvFraction == 1 && cf.outflowTractMm2 == 0)
    }

    @Test("segments are measured from the local annulus: every column has its basal ring up to the annulus")
    func segmentsFollowAnnulus() throws {
        let heart = try shaped(edv: 209)
        for phi in stride(from: 5.0, to: 360, by: 30) {
            let top = heart.annulusHeight(phiDeg: phi)
            #expect(heart.heightFraction(s: top, phiDeg: phi) == 0)
            #expect(heart.segment(s: top - 1, phiDeg: phi) != 0, "no basal segment below the annulus at \(phi)")
            #expect(heart.segment(s: top + 1.5, phiDeg: phi) == 0, "a segment above the annulus at \(phi)")
        }
        let t = heart.groundTruth(phaseTimesMs: [0])
        #expect(t.findings.segments.filter { $0.ring == 0 }.allSatisfy { ($0.areaCm2 ?? 0) > 0 })
    }

    @Test("impossible anatomy is refused naming the field and its range")
    func impossibleAnatomy() {
        // An 18 mm wall with a 1.5 septal ratio would make a 21.6 mm septum.
        expectRefused("anatomy: {wallThicknessMm: 18, septalToLateralWallRatio: 1.5}", naming: "anatomy.septalToLateralWallRatio", range: "from 0.8 to 1.25")
        expectRefused("anatomy: {annulusTiltDeg: 50}", naming: "anatomy.annulusTiltDeg", range: "from 0 to 35")
    }

    @Test("realism: ideal reproduces the heart of the first releases exactly")
    func idealIsUnchanged() throws {
        let old = HeartModel(spec: try spec("anatomy: {edvMl: 180}"))
        let ideal = HeartModel(spec: try spec("realism: ideal\nanatomy: {edvMl: 180}").resolved(seed: 9))
        #expect(ideal.flatBase && ideal.gridTopMm == old.gridTopMm && ideal.baseHeightMm == old.baseHeightMm)
        for t in [0.0, 150, 320] {
            #expect(ideal.cavityVolumeMm3(atMs: t) == old.cavityVolumeMm3(atMs: t))
            let a = old.state(atMs: t), b = ideal.state(atMs: t)
            var rng = SeededRandom(seed: 3, label: "points")
            for _ in 0..<3000 {
                let p = old.frame.patient(s: -5 + 150 * rng.uniform(), r: 70 * rng.uniform(), phiDeg: 360 * rng.uniform())
                #expect(old.sample(p, a) == ideal.sample(p, b))
            }
        }
    }

    @Test("papillary muscles and trabeculation vary per patient")
    func varietyPerSeed() throws {
        let a = try spec("anatomy: {edvMl: 200}").resolved(seed: 1), b = try spec("anatomy: {edvMl: 200}").resolved(seed: 2)
        #expect(a.anatomy.trabeculationPattern != b.anatomy.trabeculationPattern)
        #expect(a.anatomy.anterolateralPapillaryAngleDeg != b.anatomy.anterolateralPapillaryAngleDeg)
        let heart = HeartModel(spec: try spec("realism: ideal\nanatomy: {edvMl: 200, anterolateralPapillaryAngleDeg: 280}"))
        let st = heart.state(atMs: 0)
        func tissue(_ phi: Double) -> Tissue? {
            let s = heart.height(fraction: 0.6, phiDeg: phi)
            let endo = heart.wallRadii(sNow: s, phiDeg: phi, st).endo
            return heart.sample(heart.frame.patient(s: s, r: endo - 3, phiDeg: phi), st)?.tissue
        }
        #expect(tissue(280) == .papillaryMuscle)
        #expect(tissue(250) != .papillaryMuscle)
    }
}

@Suite("LV sphericity and a curved long axis", .tags(.fast))
struct SphericityCurvatureTests {
    /// Sphericity index of the built heart against the one asked for (fraction).
    static let sphericityTolerance = 0.01
    /// Centreline displacement measured from the cavity's centroid against the one asked for (mm).
    static let centrelineToleranceMm = 0.5

    @Test("the sphericity index sets the spheroid: cavity diameter / length as drawn, EDV kept")
    func sphericity() throws {
        for si in [0.55, 0.72, 0.85] {
            let heart = HeartModel(spec: try spec("anatomy: {edvMl: 200, sphericityIndex: \(si)}"))
            let measured = 2 * heart.endoShortMm / (heart.baseHeightMm - heart.endoApexHeightMm)
            #expect(abs(measured - si) < Self.sphericityTolerance, "SI \(measured) for \(si)")
            #expect(abs(heart.cavityVolumeMm3(atMs: 0) / 1000 - 200) / 200 < Tolerance.edvSizing)
        }
        // A given lengthToDiameterRatio wins, and the clinical draw records its index instead of drawing one.
        var s = try spec("anatomy: {lengthToDiameterRatio: 2.0}")
        s = s.resolved(seed: 5)
        #expect(abs((s.anatomy.sphericityIndex ?? 0) - 2 / (2.0 * 1.25)) < 1e-9)
        #expect(s.anatomy.resolvedLengthToDiameterRatio == 2.0)
    }

    @Test("a curved long axis moves each section whole: centroid displaced as asked, volume and truth kept")
    func curvedAxis() throws {
        let bow = 8.0, angle = 240.0
        let heart = HeartModel(spec: try spec("anatomy: {edvMl: 150, longAxisCurvatureMm: \(bow), longAxisCurvatureAngleDeg: \(angle)}"))
        let straight = HeartModel(spec: try spec("anatomy: {edvMl: 150}"))
        let st = heart.state(atMs: 0)
        let f = heart.frame
        // Centroid of the LV blood in the mid-height section, against the straight axis.
        let sMid = 0.5 * heart.baseHeightMm
        var sa = 0.0, sb = 0.0, n = 0.0
        for i in -80...80 {
            for j in -80...80 {
                let a = Double(i) * 0.5, b = Double(j) * 0.5
                if heart.sample(f.apexMm + f.baseDirection * sMid + f.u * a + f.v * b, st)?.tissue.isLVCavity == true {
                    sa += a; sb += b; n += 1
                }
            }
        }
        let expected = (bow * cos(angle * .pi / 180), bow * sin(angle * .pi / 180))
        #expect(abs(sa / n - expected.0) < Self.centrelineToleranceMm && abs(sb / n - expected.1) < Self.centrelineToleranceMm,
                "centroid (\(sa / n), \(sb / n)) vs (\(expected.0), \(expected.1))")
        // Volumes are the straight heart's; the truth's segment centres follow the bow.
        #expect(abs(heart.cavityVolumeMm3(atMs: 0) - straight.cavityVolumeMm3(atMs: 0)) / straight.cavityVolumeMm3(atMs: 0) < 1e-9)
        let t = heart.groundTruth(phaseTimesMs: [0]), t0 = straight.groundTruth(phaseTimesMs: [0])
        let c = t.segments.first { $0.id == 17 }!.centreMm!, c0 = t0.segments.first { $0.id == 17 }!.centreMm!
        #expect((c - c0).length > 0.5 * bow, "mid segment centre moved \((c - c0).length) mm")
    }
}

@Suite("RV size and reach, groove fat drawn per patient", .tags(.fast))
struct RVAndFatTests {
    /// Widths and heights measured by stepping along rays (mm).
    static let stepToleranceMm = 0.3

    /// RV cavity width over the mid-septum (segment angle span/2) at height fraction f, and whether there is RV there.
    func rvWidth(_ heart: HeartModel, fraction f: Double) -> Double {
        let st = heart.state(atMs: 0)
        let phi = heart.spec.anatomy.inferiorInsertionAngleDeg / 2
        let s = heart.height(fraction: f, phiDeg: phi)
        var n = 0
        for k in 0..<1200 {
            let p = heart.patient(sNow: s, r: Double(k) * 0.1, phiDeg: phi)
            if heart.sample(p, st)?.tissue == .rvBlood { n += 1 }
        }
        return Double(n) * 0.1
    }

    @Test("rvSizeFactor scales the crescent, rvApexFraction ends it, grooveFatMm thickens the groove fat")
    func rvAndFat() throws {
        let plain = HeartModel(spec: try spec("anatomy: {rvWidthMm: 18}"))
        let drawn = HeartModel(spec: try spec("anatomy: {rvWidthMm: 18, rvSizeFactor: 1.4, rvApexFraction: 0.6, grooveFatMm: 6}"))
        // At the base the crescent is at full width (before the taper towards its apical end).
        let w0 = rvWidth(plain, fraction: 0.2), w1 = rvWidth(drawn, fraction: 0.2)
        #expect(abs(w0 - 18) < Self.stepToleranceMm + 0.2 && abs(w1 - 18 * 1.4) < Self.stepToleranceMm + 0.2, "widths \(w0), \(w1) mm")
        #expect(rvWidth(plain, fraction: 0.7) > 0 && rvWidth(drawn, fraction: 0.65) == 0, "the drawn RV ends at 0.6 of the cavity")
        // Groove fat at the AV groove (height fraction 0.1, below the great cardiac vein) on the anterolateral wall, away from the branches.
        func fatThickness(_ heart: HeartModel) -> Double {
            let st = heart.state(atMs: 0)
            let s = heart.height(fraction: 0.1, phiDeg: 300)
            var n = 0
            for k in 0..<1500 {
                if heart.sample(heart.patient(sNow: s, r: Double(k) * 0.05, phiDeg: 300), st)?.tissue == .epicardialFat { n += 1 }
            }
            return Double(n) * 0.05
        }
        let f0 = fatThickness(plain), f1 = fatThickness(drawn)
        #expect(abs(f0 - 3.5) < Self.stepToleranceMm && abs(f1 - 6) < Self.stepToleranceMm, "fat \(f0), \(f1) mm")
    }
}

@Suite("Pericardium in the X-ray chest model")
struct PericardiumTests {
    @Test("a 2 mm pericardium lies 0-2 mm outside the LV free wall's epicardium when the X-ray asks for it (0.1 mm margins), never in the CMR's sample")
    func shell() throws {
        let heart = HeartModel(spec: try spec("realism: ideal\nanatomy: {pericardiumMm: 2}"))
        let st = heart.state(atMs: 0)
        for (fraction, phi) in [(0.5, 200.0), (0.7, 250.0), (0.4, 160.0)] {
            let p = heart.epicardialPoint(fraction: fraction, phiDeg: phi, st)
            let d = p - heart.frame.apexMm
            let radial = (d - heart.frame.baseDirection * d.dot(heart.frame.baseDirection)).normalized
            for outside in [0.1, 1.0, 1.9] {
                let q = p + radial * outside
                #expect(heart.sample(q, st, includePericardium: true)?.tissue == .pericardium, "\(outside) mm outside at \(phi) degrees")
                #expect(heart.sample(q, st)?.tissue == nil, "the CMR sample has no pericardium (\(outside) mm at \(phi) degrees)")
            }
            #expect(heart.sample(p + radial * 2.1, st, includePericardium: true)?.tissue == nil, "beyond the pericardium at \(phi) degrees")
            #expect(heart.sample(p - radial * 0.1, st, includePericardium: true)?.tissue == .lvMyocardium)
        }
    }
}
