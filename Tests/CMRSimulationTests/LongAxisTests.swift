import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom
import ImageIO
import Testing

/// Named tolerances of the long-axis cine tests (issue 14, long-axis cine).
enum LongAxisTolerance {
    /// Distance of the true apex and mitral annulus centre from a view's plane, as read back from acquisition.json (mm).
    static let planeDistanceMm = 0.01
    /// A view's in-plane direction across the LV vs the convention's segment angle (degrees).
    static let planeAngleDeg = 0.01
    /// Fraction of a view's ED myocardium pixels (segment id > 0) in the two AHA sectors the view is defined to show.
    static let sectorFraction = 0.99
    /// LV cavity area in the 4-chamber label image vs the area enclosed by the model's endocardial radii in the
    /// plane (fraction): pixelisation of a boundary about 250 mm long at 2.5 mm pixels.
    static let cavityArea = 0.04
    /// Measured base descent ED to ES vs the model's (mm): one pixel (the base is found to the pixel on both sides).
    static func baseDescentMm(pixelMm: Double) -> Double { pixelMm }
    /// Base descent ED to ES must exceed this for the default longitudinal strain (-10 % of a ~90 mm ventricle).
    static let minimumBaseDescentMm = 5.0
    /// Interior myocardium pixels vs the short-axis cine's noise-free myocardium signal, in noise SDs.
    static let signalNoiseSDs = 4.0
}

/// A small ideal acquisition (matrix 96 at 2.5 mm, 10 phases, no oversampling, one through-slice sample: pixel
/// centres carry the exact tissue signal) with the long-axis views.
enum LongAxisCase {
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: """
        realism: ideal
        cmr:
          cine: {slices: 3, phases: 10, fovMm: 240, pixelMm: 2.5, oversampling: 1, throughSliceSamples: 1, snr: 1000}
          lge: {slices: 3, fovMm: 240, pixelMm: 2.5, oversampling: 1, throughSliceSamples: 1, snr: 1000}
        """, file: "long-axis-case.yaml").resolved(seed: 1)
    static let heart = HeartModel(spec: spec)
    static let images = CMRSimulator(heart: heart, seed: 1).simulate(longAxis: true)

    static func view(_ v: LongAxisPlanner.View) -> LongAxisCine { images.longAxis.first { $0.view == v }! }
    /// The phase of strongest contraction (end-systole: shortest long axis).
    static var esPhase: Int {
        images.phaseTimesMs.indices.max { heart.globalContraction(atMs: images.phaseTimesMs[$0]) < heart.globalContraction(atMs: images.phaseTimesMs[$1]) }!
    }
}

@Suite("Long-axis cine (2-, 3- and 4-chamber) against the phantom's truth", .tags(.images))
struct LongAxisTests {
    /// The AHA sectors each view shows (1 anterior, 2 anteroseptal, 3 inferoseptal, 4 inferior, 5 inferolateral,
    /// 6 anterolateral) and the segment angle of its left wall.
    static let convention: [(LongAxisPlanner.View, sectors: Set<Int>, angleDeg: Double)] = [
        (.fourChamber, [3, 6], 90), (.twoChamber, [1, 4], 150), (.threeChamber, [2, 5], 25),
    ]

    @Test("every plane read back from acquisition.json contains the true long axis, turned to the convention's angle")
    func planesContainTheLongAxis() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-lax-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("acquisition.json").path
        try LongAxisCase.images.acquisition.write(to: path)
        let loaded = try CMRAcquisition.load(path)
        #expect(loaded == LongAxisCase.images.acquisition)
        let heart = LongAxisCase.heart, f = heart.frame
        let apex = f.apexMm, baseCentre = f.patient(s: heart.baseHeightMm, r: 0, phiDeg: 0)
        for (view, _, angle) in Self.convention {
            let geometry = try #require([LongAxisPlanner.View.twoChamber: loaded.cine2ch, .threeChamber: loaded.cine3ch,
                                         .fourChamber: loaded.cine4ch][view] ?? nil)
            let grid = try geometry.grid()
            #expect(grid.size == [96, 96, 1])
            #expect(geometry.triggerTime == LongAxisCase.images.phaseTimesMs)
            let (c0, c1, c2) = grid.patientFromVoxel.linear.columns
            let normal = c2.normalized, origin = grid.patient(0, 0, 0)
            #expect(abs((apex - origin).dot(normal)) < LongAxisTolerance.planeDistanceMm, "\(view) apex")
            #expect(abs((baseCentre - origin).dot(normal)) < LongAxisTolerance.planeDistanceMm, "\(view) base")
            // Columns run from the apex to the base; the left wall (-row direction) lies at the convention's angle.
            #expect(c1.normalized.dot(f.baseDirection) > 1 - 1e-9)
            let left = f.local(apex - c0.normalized * 10).phiDeg
            #expect(abs(angleDifferenceDegrees(left, angle)) < LongAxisTolerance.planeAngleDeg, "\(view) angle \(left)")
        }
    }

    @Test("each view cuts the AHA walls it is defined by; 4ch shows the RV, 2ch none, 3ch the aortic root")
    func viewsCutTheirWalls() throws {
        for (view, sectors, _) in Self.convention {
            let ids = LongAxisCase.view(view).segmentsED.data.filter { $0 > 0 }
            // AHA sector of a 36-segment id: ((id - 1) mod 12) / 2 + 1 (Segment36).
            let counts = Dictionary(grouping: ids) { (Int($0) - 1) % 12 / 2 + 1 }.mapValues(\.count)
            let inside = sectors.reduce(0) { $0 + (counts[$1] ?? 0) }
            #expect(Double(inside) >= LongAxisTolerance.sectorFraction * Double(ids.count), "\(view): \(counts)")
            for s in sectors { #expect((counts[s] ?? 0) > 50, "\(view) shows sector \(s): \(counts)") }
        }
        let rvBlood = Tissue.rvBlood.rawValue
        let rvPixels = { (v: LongAxisPlanner.View) in LongAxisCase.view(v).labels.slice(0, frame: 0).filter { $0 == rvBlood }.count }
        // The 4ch crosses the RV crescent: at least half its width (`rvWidthMm`) over the 3/4 of the cavity length
        // that it covers (`HeartModel.rightVentricle`).
        let an = LongAxisCase.spec.anatomy, heart = LongAxisCase.heart, pixelMm = LongAxisCase.spec.cmr.cine.pixelMm
        let rvMinimumMm2 = 0.5 * an.rvWidthMm * 0.75 * (heart.baseHeightMm - heart.endoApexHeightMm)
        #expect(Double(rvPixels(.fourChamber)) * pixelMm * pixelMm > rvMinimumMm2)
        #expect(rvPixels(.twoChamber) == 0)
        // The aortic root's axis 20 mm above the annulus (ED) lies in the 3ch plane and is blood; not in the 2ch plane.
        let root = heart.frame.patient(s: heart.baseHeightMm + 20, r: 0.5 * heart.endoShortMm, phiDeg: HeartModel.aorticOrificeAngleDeg)
        let three = LongAxisCase.view(.threeChamber).labels
        let v = three.grid.voxel(of: root)
        #expect(abs(v.z) < 1e-6)
        #expect(three[Int(v.x.rounded()), Int(v.y.rounded()), 0, 0] == Tissue.blood.rawValue)
        let two = LongAxisCase.view(.twoChamber).labels.grid.voxel(of: root)
        #expect(abs(two.z) > 1, "the aortic root lies more than a slice thickness from the 2ch plane")
    }

    @Test("4ch ED to ES: the LV cavity area falls as the model's radii say and the mitral annulus descends towards the apex")
    func fourChamberMotion() {
        let view = LongAxisCase.view(.fourChamber), heart = LongAxisCase.heart
        let pixelMm = LongAxisCase.spec.cmr.cine.pixelMm, n = view.labels.grid.size[0]
        let es = LongAxisCase.esPhase
        let cavity: Set<UInt8> = [Tissue.lvBlood.rawValue, Tissue.papillaryMuscle.rawValue, Tissue.trabecula.rawValue]
        let phi = LongAxisPlanner.planeAngleDeg(.fourChamber, heart: heart)
        for p in [0, es] {
            let labels = view.labels.slice(0, frame: p)
            let measured = Double(labels.filter { cavity.contains($0) }.count) * pixelMm * pixelMm
            // The model's cavity in the plane: the endocardial radii at phi and phi + 180 integrated along the axis.
            let st = heart.state(atMs: LongAxisCase.images.phaseTimesMs[p])
            let stepMm = 0.05, top = heart.baseHeightMm * st.lambda
            var expected = 0.0
            for s in stride(from: stepMm / 2, to: top, by: stepMm) {
                expected += (heart.wallRadii(sNow: s, phiDeg: phi, st).endo + heart.wallRadii(sNow: s, phiDeg: phi + 180, st).endo) * stepMm
            }
            #expect(abs(measured / expected - 1) < LongAxisTolerance.cavityArea, "phase \(p): \(measured) vs \(expected) mm^2")
        }
        // The base: the last row (towards the base) holding LV myocardium; the apex is fixed in the model.
        let myo = Tissue.lvMyocardium.rawValue
        func rows(_ p: Int) -> [Int] {
            let labels = Array(view.labels.slice(0, frame: p))
            return (0..<n).filter { j in (0..<n).contains { labels[j * n + $0] == myo } }
        }
        let edRows = rows(0), esRows = rows(es)
        let descentMm = Double(edRows.max()! - esRows.max()!) * pixelMm
        let st = heart.state(atMs: LongAxisCase.images.phaseTimesMs[es])
        let expectedMm = heart.baseHeightMm * (1 - st.lambda)
        #expect(descentMm > LongAxisTolerance.minimumBaseDescentMm)
        #expect(abs(descentMm - expectedMm) <= LongAxisTolerance.baseDescentMm(pixelMm: pixelMm), "\(descentMm) vs \(expectedMm) mm")
        #expect(edRows.min() == esRows.min(), "apex row")
    }

    @Test("same sequence as the short-axis cine: interior myocardium carries its signal; the short-axis images do not change")
    func sameSignalAndShortAxisUnchanged() {
        let images = LongAxisCase.images, signal = images.cineMyocardiumSignal, sd = images.cineNoiseSD
        let myo = Tissue.lvMyocardium.rawValue
        for v in images.longAxis {
            let n = v.cine.grid.size[0]
            let labels = Array(v.labels.slice(0, frame: 0)), values = Array(v.cine.slice(0, frame: 0))
            var checked = 0
            for j in 1..<(n - 1) {
                for i in 1..<(n - 1) where [0, 1, -1, n, -n].allSatisfy({ labels[j * n + i + $0] == myo }) {
                    #expect(abs(Double(values[j * n + i]) - signal) < LongAxisTolerance.signalNoiseSDs * sd)
                    checked += 1
                }
            }
            #expect(checked > 50, "\(v.view): \(checked) interior myocardium pixels")
        }
        let plain = CMRSimulator(heart: LongAxisCase.heart, seed: 1).simulate()
        #expect(plain.cine.data == images.cine.data && plain.lge.data == images.lge.data)
        #expect(plain.longAxis.isEmpty && plain.acquisition.cine4ch == nil)
    }

    @Test("planning tilt: every view contains the planned long axis through the true annulus centre")
    func plannedAxis() throws {
        let spec = try PhantomSpec.load(yaml: """
            realism: ideal
            cmr:
              planningTiltDeg: 10
              planningTiltAzimuthDeg: 200
              cine: {slices: 2, phases: 1, fovMm: 240, pixelMm: 4, oversampling: 1, throughSliceSamples: 1}
              lge: {slices: 2, fovMm: 240, pixelMm: 4, oversampling: 1, throughSliceSamples: 1}
            """, file: "long-axis-tilt.yaml")
        let heart = HeartModel(spec: spec)
        let images = CMRSimulator(heart: heart, seed: 1).simulate(longAxis: true)
        let planned = images.plannedApexDirection
        #expect(acos(planned.dot(heart.frame.apexDirection)) * 180 / .pi > 9.99)
        let baseCentre = heart.frame.patient(s: heart.baseHeightMm, r: 0, phiDeg: 0)
        for v in images.longAxis {
            let grid = try v.geometry.grid()
            let normal = grid.patientFromVoxel.linear.columns.2.normalized
            #expect(abs(normal.dot(planned)) < 1e-9, "\(v.view) contains the planned axis")
            #expect(abs((baseCentre - grid.patient(0, 0, 0)).dot(normal)) < LongAxisTolerance.planeDistanceMm, "\(v.view)")
        }
    }

    @Test("narrow septum (inferior insertion 96 degrees): the 4ch turns to 3/4 of the septum and still crosses the RV")
    func narrowSeptum() throws {
        let spec = try PhantomSpec.load(yaml: """
            realism: ideal
            anatomy: {inferiorInsertionAngleDeg: 96}
            cmr:
              cine: {slices: 2, phases: 1, fovMm: 240, pixelMm: 2.5, oversampling: 1, throughSliceSamples: 1}
              lge: {slices: 2, fovMm: 240, pixelMm: 4, oversampling: 1, throughSliceSamples: 1}
            """, file: "long-axis-narrow-septum.yaml")
        let heart = HeartModel(spec: spec)
        #expect(LongAxisPlanner.planeAngleDeg(.fourChamber, heart: heart) == 72)
        let four = CMRSimulator(heart: heart, seed: 1).simulate(longAxis: true).longAxis.first { $0.view == .fourChamber }!
        let pixelMm = spec.cmr.cine.pixelMm
        let rvMm2 = Double(four.labels.data.filter { $0 == Tissue.rvBlood.rawValue }.count) * pixelMm * pixelMm
        #expect(rvMm2 > 0.5 * spec.anatomy.rvWidthMm * 0.75 * (heart.baseHeightMm - heart.endoApexHeightMm), "\(rvMm2) mm^2")
    }

    @Test("each view is its own breath-hold, drawn from the seed and the view's label")
    func breathHolds() throws {
        let spec = try PhantomSpec.load(yaml: """
            realism: ideal
            cmr:
              sliceMisregistrationMm: 3
              sliceMisregistrationRotationDeg: 2
              cine: {slices: 2, phases: 2, fovMm: 240, pixelMm: 4, oversampling: 1, throughSliceSamples: 1}
              lge: {slices: 2, fovMm: 240, pixelMm: 4, oversampling: 1, throughSliceSamples: 1}
            """, file: "long-axis-breathhold.yaml")
        let sim = CMRSimulator(heart: HeartModel(spec: spec), seed: 5)
        let a = sim.simulate(longAxis: true), b = sim.simulate(longAxis: true)
        for v in a.longAxis {
            #expect(v.breathHoldShiftMm == sim.breathHoldShifts(label: "cmr.\(v.view.acquisitionKey).breathhold", count: 1)[0])
            #expect(v.breathHoldRotationDeg == sim.breathHoldRotations(label: "cmr.\(v.view.acquisitionKey).breathhold", count: 1)[0])
            #expect(v.breathHoldShiftMm.length > 0)
        }
        #expect(Set(a.longAxis.map { $0.breathHoldShiftMm.x }).count == 3)
        #expect(zip(a.longAxis, b.longAxis).allSatisfy { $0.cine.data == $1.cine.data })
    }
}
