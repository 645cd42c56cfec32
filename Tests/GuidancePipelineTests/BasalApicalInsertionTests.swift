import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import SyntheticCase
import Testing

/// Named tolerances of the basal-slice, apical-cap and RV-insertion tests.
enum BasalTolerance {
    /// Chord area fraction of a partly left slice against the circular-segment formula: the contour is sampled on
    /// 120 rays (3 degrees), so an arc end is known to one ray; a 3-degree shift of both ends moves the fraction by
    /// about 0.013 at 240 degrees.
    static let chordAreaFraction = 0.02
    /// Myocardial arc against the drawn one: two rays (6 degrees) of the circumference.
    static let arcFraction = 2.0 / 120
    /// Apical cap: Simpson's rule with the cap against the analytic volume, for a paraboloid (the cap's own model;
    /// what is left is the flat slab where the apex lies inside the last slab, 0.15 % at most here) and a half
    /// prolate ellipsoid (its tip is blunter than the paraboloid fitted over the last 8 mm: up to 2.4 % high here).
    static let paraboloidRelative = 0.01
    static let ellipsoidRelative = 0.03
    /// RV insertion on a heart without epicardial fat, against the phantom's insertion angles: a third of a
    /// 36-segment sector.
    static let insertionDegrees = 10.0
    /// Leak probe: the endocardial edge is found on 0.5 mm steps along each ray.
    static let probeEndocardiumMm = 0.5
    /// Leak probe: the LV part against the drawn circular segment (the arc's ends known to one 3-degree ray each, the
    /// edge to 0.5 mm on a 20 mm radius).
    static let probeLVAreaRelative = 0.05
}

/// A drawn short-axis slice: LV blood pool of radius 20 mm (level 1), a myocardial ring to 29 mm (0.3) over the
/// arc `myocardium` (degrees, from ray angle 0 counter-clockwise), and in the rest either a thin atrial wall (2.5 mm)
/// with dark surroundings (0.02) beyond, or blood continuing outwards (an outflow tract).
struct DrawnSlice {
    var myocardiumDegrees: ClosedRange<Double>? = 0...360
    var gapIsBlood = false
    func sample(_ p: SIMD2<Double>) -> Float {
        let r = (p * p).sum().squareRoot()
        var a = atan2(p.y, p.x) * 180 / .pi
        if a < 0 { a += 360 }
        if r < 20 { return 1 }
        let inArc = myocardiumDegrees.map { $0.contains(a) } ?? false
        if inArc { return r < 29 ? 0.3 : 0.02 }
        if gapIsBlood { return r < 45 ? 1 : 0.02 }
        return r < 22.5 ? 0.3 : 0.02
    }
    func rays(_ settings: BasalSlices.Settings = .init()) -> [Bool] {
        BasalSlices.myocardialRays(centre: .zero, endo: [Double](repeating: 20, count: 120), referenceWallMm: 9,
                                   blood: 1, myocardium: 0.3, dark: 0.02, settings: settings, sample: sample)
    }
}

@Suite("Leaked-slice probe on a drawn slice")
struct LeakProbeTests {
    @Test("a 240-degree ring open to blood, probed from a centre 2.2 mm off with a guide 4 mm too large: the arc within two rays, each endocardium within 0.5 mm, the chord part (a - sin a) / 2 pi")
    func probeFollowsTheWall() {
        let slice = DrawnSlice(myocardiumDegrees: 60...300, gapIsBlood: true)
        let centre = SIMD2(2.0, -1.0)
        let found = BasalSlices.leakProbe(centre: centre, guide: [Double](repeating: 24, count: 120), referenceWallMm: 9,
                                          blood: 1, myocardium: 0.3, dark: 0.02, settings: .init(), sample: slice.sample)
        // Where each ray from the probe centre meets the 20 mm endocardium, and whether the wall is there.
        var expectedMyocardial = 0, mismatched = 0
        for r in 0..<120 {
            let a = 2 * Double.pi * Double(r) / 120
            let d = SIMD2(cos(a), sin(a))
            let b = (centre * d).sum(), c = (centre * centre).sum() - 400
            let t = -b + (b * b - c).squareRoot()
            let hit = centre + d * t
            var angle = atan2(hit.y, hit.x) * 180 / .pi
            if angle < 0 { angle += 360 }
            let wall = (60...300).contains(angle)
            if wall { expectedMyocardial += 1 }
            if wall != found.myocardial[r] { mismatched += 1 }
            if wall && found.myocardial[r] {
                #expect(abs(found.endo[r] - t) <= BasalTolerance.probeEndocardiumMm, "ray \(r): endocardium at \(found.endo[r]) mm, drawn at \(t) mm")
            }
        }
        #expect(Double(mismatched) <= BasalTolerance.arcFraction * 120, "\(mismatched) rays disagree with the drawn wall (\(expectedMyocardial) expected myocardial)")
        // The decision on the probe: the base has partly left (the gap opens after end-diastole), the chord part.
        let d = BasalSlices.decide(myocardial: found.myocardial, atEndDiastole: [Bool](repeating: true, count: 120),
                                   endo: found.endo, settings: .init())
        #expect(d.content == .partlyLeft)
        let alpha = 240 * Double.pi / 180
        let probeArea = WallTracker.enclosedAreaMm2(radii: found.endo)
        let lvArea = d.areaFraction * probeArea, expected = (alpha - sin(alpha)) / (2 * Double.pi) * Double.pi * 400
        #expect(abs(lvArea / expected - 1) <= BasalTolerance.probeLVAreaRelative, "LV part \(lvArea) mm2 against the drawn \(expected) mm2")
    }
}

@Suite("Basal-slice decision on drawn slices")
struct BasalSliceDecisionTests {
    let endo = [Double](repeating: 20, count: 120)
    let closedED = DrawnSlice().rays()

    @Test("(b) a slice cutting the LV: myocardium all round, counted whole")
    func lvSlice() {
        let d = BasalSlices.decide(myocardial: DrawnSlice().rays(), atEndDiastole: closedED, endo: endo, settings: .init())
        #expect(d.content == .lvCavity)
        #expect(d.areaFraction == 1)
        #expect(abs(d.arcFraction - 1) <= BasalTolerance.arcFraction)
    }

    @Test("(a) a slice cutting the atrium at end-systole (60 degrees of myocardium left, closed at end-diastole): atrium, nothing counted")
    func atriumSlice() {
        let es = DrawnSlice(myocardiumDegrees: 150...210).rays()
        let d = BasalSlices.decide(myocardial: es, atEndDiastole: closedED, endo: endo, settings: .init())
        #expect(d.content == .atrium)
        #expect(d.areaFraction == 0)
        #expect(abs(d.arcFraction - 60.0 / 360) <= BasalTolerance.arcFraction)
        // A pool beside the LV axis (the contour reaches only half the rays): not the LV, whatever surrounds it.
        let beside = (0..<120).map { $0 < 60 ? 20.0 : 0 }
        let off = BasalSlices.decide(myocardial: DrawnSlice().rays(), atEndDiastole: closedED, endo: beside, settings: .init())
        #expect(off.content == .atrium && off.areaFraction == 0)
    }

    @Test("(c) a slice the base has partly left (240 degrees of myocardium at end-systole, closed at end-diastole): the chord part, (a - sin a) / 2 pi of the disc")
    func partlyLeftSlice() {
        let es = DrawnSlice(myocardiumDegrees: 60...300).rays()
        let d = BasalSlices.decide(myocardial: es, atEndDiastole: closedED, endo: endo, settings: .init())
        let alpha = 240 * Double.pi / 180
        let expected = (alpha - sin(alpha)) / (2 * Double.pi)
        #expect(d.content == .partlyLeft)
        #expect(abs(d.arcFraction - 240.0 / 360) <= BasalTolerance.arcFraction)
        #expect(abs(d.areaFraction - expected) <= BasalTolerance.chordAreaFraction, "area fraction \(d.areaFraction), expected \(expected)")
        // Half the ring left: half the disc.
        let half = BasalSlices.decide(myocardial: DrawnSlice(myocardiumDegrees: 90...270).rays(), atEndDiastole: closedED,
                                      endo: endo, settings: .init())
        #expect(half.content == .partlyLeft)
        #expect(abs(half.areaFraction - 0.5) <= BasalTolerance.chordAreaFraction)
    }

    @Test("(c) with the long-axis annulus, a partly left slice counts its LV section (up to the plane when it is the first), as a whole one does: a prism of 2000 mm2 cut 4 mm above the slab's apical face holds 8000 mm3")
    func partlyLeftSliceUnderTheAnnulus() {
        // The LV is a prism of cross-section 2000 mm2 (its apical neighbour's) whose base plane lies 4 mm above the
        // first slice's apical face (10 mm slab). At end-diastole the slice is whole; at end-systole the base has
        // left part of the slab and the slice's ring has a 120-degree gap (its chord part 0.80 of the 2300 mm2
        // contour, which reaches into the atrium beyond the gap). Both phases must count the same LV, the prism up
        // to the plane, whatever the chord says (the plane, not the chord, bounds the slab).
        let es = DrawnSlice(myocardiumDegrees: 60...300).rays()
        let d = BasalSlices.decide(myocardial: es, atEndDiastole: closedED, endo: endo, settings: .init())
        #expect(d.content == .partlyLeft)
        let prism = 2000.0 * 4, contour = 2300.0
        let partlyLeft = LVGeometry.firstSliceVolumeMm3(partlyLeft: true, lvAreaMm2: d.areaFraction * contour,
                                                        contourAreaMm2: contour, apicalNeighbourAreaMm2: 2000,
                                                        lengthBelowAnnulusMm: 4)
        let whole = LVGeometry.firstSliceVolumeMm3(partlyLeft: false, lvAreaMm2: 2000, contourAreaMm2: 2000,
                                                   apicalNeighbourAreaMm2: 2000, lengthBelowAnnulusMm: 4)
        #expect(abs(partlyLeft - prism) <= 1e-9 * prism, "partly left: \(partlyLeft) mm3, expected \(prism)")
        #expect(abs(whole - prism) <= 1e-9 * prism)
        // The plane 1 mm higher adds the section's 2000 mm3 in both (the two phases follow the same base).
        let higher = LVGeometry.firstSliceVolumeMm3(partlyLeft: true, lvAreaMm2: d.areaFraction * contour,
                                                    contourAreaMm2: contour, apicalNeighbourAreaMm2: 2000,
                                                    lengthBelowAnnulusMm: 5)
        #expect(abs(higher - partlyLeft - 2000) <= 1e-9 * prism)
        // A partly left slice below the first (the plane above its slab): its section whole, not the chord part.
        #expect(LVGeometry.sectionUnderAnnulusMm2(partlyLeft: true, lvAreaMm2: d.areaFraction * contour,
                                                  contourAreaMm2: contour, apicalNeighbourAreaMm2: 2000) == 2000)
        #expect(LVGeometry.sectionUnderAnnulusMm2(partlyLeft: false, lvAreaMm2: 1800, contourAreaMm2: 1800,
                                                  apicalNeighbourAreaMm2: 2000) == 1800)
        // A plane wholly apical of the slab: nothing; a contour smaller than its neighbour: the contour.
        #expect(LVGeometry.firstSliceVolumeMm3(partlyLeft: true, lvAreaMm2: 800, contourAreaMm2: 1000,
                                               apicalNeighbourAreaMm2: 2000, lengthBelowAnnulusMm: -2) == 0)
        #expect(abs(LVGeometry.firstSliceVolumeMm3(partlyLeft: true, lvAreaMm2: 800, contourAreaMm2: 1000,
                                                   apicalNeighbourAreaMm2: 2000, lengthBelowAnnulusMm: 4) - 4000) <= 1e-9)
    }

    @Test("(c) an outflow tract (a 80-degree gap of blood running outwards, there at end-diastole as at end-systole): LV, counted whole")
    func outflowTract() {
        let lvot = DrawnSlice(myocardiumDegrees: 40...320, gapIsBlood: true).rays()
        let d = BasalSlices.decide(myocardial: lvot, atEndDiastole: lvot, endo: endo, settings: .init())
        #expect(d.content == .outflowTract)
        #expect(d.areaFraction == 1)
        #expect(abs(d.arcFraction - 280.0 / 360) <= BasalTolerance.arcFraction)
        // The same gap opening only at end-systole is the base leaving, not the outflow tract.
        let opening = BasalSlices.decide(myocardial: lvot, atEndDiastole: closedED, endo: endo, settings: .init())
        #expect(opening.content == .partlyLeft && opening.areaFraction < 1)
    }
}

@Suite("Apical cap against analytic shapes")
struct ApicalCapTests {
    /// Simpson's rule (midpoint, 8 mm slices from the base plane) over the slices whose area is at least a quarter of
    /// the basal area (the apical tip left out, as at end-systole), with and without the cap; `area(h)` over [0, L].
    func volumes(length: Double, area: (Double) -> Double) -> (plain: Double, capped: Double) {
        let spacing = 8.0, a0 = area(0)
        var areas: [Double] = []
        while true {
            let h = (Double(areas.count) + 0.5) * spacing
            guard h < length, area(h) >= 0.25 * a0 else { break }
            areas.append(area(h))
        }
        let plain = areas.reduce(0, +) * spacing
        let d = ApicalCap.apexDistanceMm(previousArea: areas[areas.count - 2], lastArea: areas.last!, spacingMm: spacing,
                                         maxMm: 4 * spacing)
        return (plain, plain + ApicalCap.correctionMm3(lastArea: areas.last!, apexDistanceMm: d, spacingMm: spacing))
    }

    @Test("paraboloid cavity (area linear in height, volume A0 L / 2) within 1 %, for lengths 60-101 mm")
    func paraboloid() {
        for length in [60.0, 77, 83, 90, 101] {
            let a0 = 1500.0
            let exact = a0 * length / 2
            let v = volumes(length: length) { a0 * (1 - $0 / length) }
            #expect(abs(v.capped - exact) / exact <= BasalTolerance.paraboloidRelative, "L \(length): \(v.capped) vs \(exact)")
            #expect(abs(v.capped - exact) < abs(v.plain - exact), "L \(length): the cap must improve on \(v.plain)")
        }
    }

    @Test("half prolate ellipsoid (volume 2/3 A0 L) within 3 %, for lengths 60-101 mm")
    func ellipsoid() {
        for length in [60.0, 77, 83, 90, 101] {
            let a0 = 1500.0
            let exact = 2 * a0 * length / 3
            let v = volumes(length: length) { a0 * (1 - ($0 / length) * ($0 / length)) }
            #expect(abs(v.capped - exact) / exact <= BasalTolerance.ellipsoidRelative, "L \(length): \(v.capped) vs \(exact)")
        }
    }
}

@Suite("RV insertion without epicardial fat", .serialized)
struct InsertionWithoutFatTests {
    @Test("a heart with no epicardial fat and the inferior insertion at 105 degrees: both insertions within 10 degrees of the phantom's")
    func noFat() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = root.appendingPathComponent("Phantoms/lbbb-nonischemic.yaml").path
        var spec = try PhantomSpec.load(yaml: try String(contentsOfFile: file, encoding: .utf8), file: file)
        spec.anatomy.epicardialFat = false
        spec.anatomy.inferiorInsertionAngleDeg = 105
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-nofat-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try CaseGenerator.generate(spec: spec, seed: 3, out: out, replace: true, previews: false, xray: false, xrayVolume: false)
        let output = try GuidancePipeline().run(try CMRStudy.load(cmrDirectory: out + "/cmr"))
        let points = try #require(output.result.rvInsertionPointsMm)
        let frame = HeartModel(spec: spec).frame
        let anterior = frame.local(try #require(points["anterior"])).phiDeg
        let inferior = frame.local(try #require(points["inferior"])).phiDeg
        #expect(abs(angleDifferenceDegrees(anterior, 0)) <= BasalTolerance.insertionDegrees, "anterior at \(anterior) degrees")
        #expect(abs(angleDifferenceDegrees(inferior, 105)) <= BasalTolerance.insertionDegrees, "inferior at \(inferior) degrees")
        #expect(!output.result.notes.contains { $0.contains("either side of the arc's middle") }, "\(output.result.notes)")
    }
}

@Suite("A leaked basal contour judged with its apical neighbour", .serialized)
struct LeakedBasalContourTests {
    /// Volumes against the truth (fraction): the SCMR-convention target of issue 3.
    static let volumeTolerance = 0.05

    @Test("a tilted saddle annulus: the first slice's contour leaks at end-systole into the atrium and counts nothing; EDV and ESV within 5 %")
    func tiltedAnnulus() throws {
        var spec = try PhantomSpec.load(yaml: "realism: ideal\nanatomy: {annulusTiltDeg: 10, annulusSaddleHeightMm: 5}\nmotion: {peakRadialStrain: 0.18}", file: "test.yaml")
        spec = spec.resolved(seed: 7)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-leak-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try CaseGenerator.generate(spec: spec, seed: 7, out: out, replace: true, previews: false, xray: false, xrayVolume: false)
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/truth/truth.json"))) as! [String: Any]
        let edv = try #require(truth["edvMl"] as? Double), esv = try #require(truth["esvMl"] as? Double)
        let result = try GuidancePipeline().run(try CMRStudy.load(cmrDirectory: out + "/cmr")).result
        let e = try #require(result.edvMl), s = try #require(result.esvMl)
        #expect(abs(e / edv - 1) <= Self.volumeTolerance, "EDV \(e) mL vs \(edv) mL")
        #expect(abs(s / esv - 1) <= Self.volumeTolerance, "ESV \(s) mL vs \(esv) mL (a leaked atrial contour counted as LV gave +13 %)")
    }

    /// Clinical patients (the `standard` scenario's draws) whose basal contours leak through the valve plane at every
    /// phase, with long-axis views: two stacked leaked slices (the upper one judged against the lower one's LV, not
    /// its leaked contour), and a leaked slice that is wholly LV at end-diastole (counted up to the long-axis
    /// annulus, not by the probe's chord). Before: EDV +14 % and -10 %.
    @Test("clinical patients whose basal contours leak through the valve plane: EDV and ESV within 5 %",
          arguments: [("lbbb-nonischemic", UInt64(1_606_039_050)), ("ischemic-posterolateral", UInt64(1_065_937_187))])
    func clinicalLeaks(preset: String, seed: UInt64) throws {
        let out = try generateClinicalCase(preset: preset, seed: seed, label: "leak")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/truth/truth.json"))) as! [String: Any]
        let edv = try #require(truth["edvMl"] as? Double), esv = try #require(truth["esvMl"] as? Double)
        let result = try GuidancePipeline().run(try CMRStudy.load(cmrDirectory: out + "/cmr")).result
        // The case must show what the test is about: leaked contours, and the annulus from the long-axis views.
        #expect(result.notes.contains { $0.contains("leaked through the valve plane") }, "\(result.notes)")
        #expect(result.mitralAnnulus != nil)
        let e = try #require(result.edvMl), s = try #require(result.esvMl)
        #expect(abs(e / edv - 1) <= Self.volumeTolerance, "EDV \(e) mL vs \(edv) mL")
        #expect(abs(s / esv - 1) <= Self.volumeTolerance, "ESV \(s) mL vs \(esv) mL")
    }
}
