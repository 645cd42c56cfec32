import CRTCore
import Foundation
import HeartPhantom
import Testing
import XRaySimulation

/// A small case with motion: the `SmallCase` detector, a 6-frame venogram run at 7.5 frames/s, breathing with
/// known amplitudes, and a patient movement before the lead images.
enum MotionCase {
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: """
        xray: {detectorRows: 128, detectorColumns: 128, voxelMm: 4, venogramFrames: 6, frameRateFps: 7.5,
               respiratorySIMm: 8, respiratoryAPMm: 2, respiratoryRotationDeg: 2, respiratoryPeriodS: 4,
               patientShiftSDMm: 3, patientRotationSDDeg: 1}
        """, file: "motion-xray.yaml")
    static let heart = HeartModel(spec: spec)
    static let truth = heart.groundTruth(phaseTimesMs: [0])
    static let simulated = XRaySimulator(heart: heart, truth: truth, seed: 5).simulate(includeVolume: false)
}

@Suite("X-ray motion and time (issue 15)", .tags(.images))
struct MotionTests {
    /// Frame times and phases are exact arithmetic (ms, fractions).
    static let timingTolerance = 1e-9
    /// Poses and projections composed in double precision (mm, pixels).
    static let poseToleranceMm = 1e-6

    @Test("frames 1000 / fps apart; the cardiac phase advances by the frame interval over the R-R interval, the breathing phase over the period; the clicked frame is the one nearest end-diastole")
    func schedule() throws {
        let m = try #require(AcquisitionMotion(settings: MotionCase.spec.xray, rrIntervalMs: 800))
        let images = m.schedule(viewNames: ["A", "B"], tablePose: .identity, heartCentreMm: Vec3(0, 0, 0), seed: 3)
        for view in images {
            #expect(view.count == 7 && view.last?.state == .lead)
            let run = view.filter { $0.state == .venogram }
            for k in 1..<run.count {
                #expect(abs(run[k].timeInRunMs - Double(k) * 1000 / 7.5) < Self.timingTolerance)
                var dc = run[k].cardiacPhaseFraction - run[k - 1].cardiacPhaseFraction
                if dc < 0 { dc += 1 }
                #expect(abs(dc - (1000 / 7.5) / 800) < Self.timingTolerance)
                var dr = run[k].respiratoryPhase - run[k - 1].respiratoryPhase
                if dr < 0 { dr += 1 }
                #expect(abs(dr - (1000 / 7.5) / 4000) < Self.timingTolerance)
            }
            let k = XRayRunRecord.indexNearestEndDiastole(run.map(\.cardiacPhaseFraction))
            let d = { (p: Double) in min(p, 1 - p) }
            #expect(run.allSatisfy { d($0.cardiacPhaseFraction) >= d(run[k].cardiacPhaseFraction) })
        }
        // The two views' runs start at independent points of the cycles.
        #expect(images[0][0].cardiacPhaseFraction != images[1][0].cardiacPhaseFraction)
    }

    @Test("breathing: at end-inspiration the heart centre moves 8 mm caudal and 2 mm anterior and turns 2 degrees about left-right; at end-expiration it does not move")
    func breathing() throws {
        let m = try #require(AcquisitionMotion(settings: MotionCase.spec.xray, rrIntervalMs: 800))
        let c = Vec3(10, -20, 30)
        let inspired = m.respiratoryDisplacement(fraction: AcquisitionMotion.respiratoryFraction(phase: 0), heartCentreMm: c)
        #expect((inspired.apply(c) - (c + Vec3(0, -2, -8))).length < Self.poseToleranceMm)
        // A point 50 mm anterior of the centre turns by 2 degrees in the sagittal plane (anterior wall cranially).
        let p = c + Vec3(0, -50, 0)
        let moved = inspired.apply(p) - inspired.apply(c)
        #expect(abs(degrees(atan2(moved.z, -moved.y)) - 2) < 1e-6, "turned \(degrees(atan2(moved.z, -moved.y))) degrees")
        let expired = m.respiratoryDisplacement(fraction: AcquisitionMotion.respiratoryFraction(phase: 0.5), heartCentreMm: c)
        #expect((expired.apply(p) - p).length < Self.poseToleranceMm)
    }

    @Test("with motion: a run of 6 frames per view, each at its own pose and phase; the clicked frame's projection is the C-arm's composed with its pose; the lead image shows the electrodes where its own pose projects them")
    func simulatedRun() throws {
        let c = MotionCase.simulated
        for (v, images) in c.views.enumerated() {
            let truth = c.viewTruth[v]
            let records = try #require(truth.images)
            #expect(images.venogramFrames.count == 6 && records.count == 7)
            #expect(images.clickedFrame == truth.clickedFrame && c.clicks[v].frame == truth.clickedFrame)
            #expect(Set(records.map { $0.heartPose.description }).count == 7, "\(images.view.name): every image has its own pose")
            #expect(images.venogramFrames[0] != images.venogramFrames[1])
            // The clicked frame's projection is the C-arm's projection composed with that frame's pose.
            let pose = try #require(truth.venogramPose())
            let p = truth.projection.composed(after: pose)
            for point in [Vec3(0, 0, 0), Vec3(30, -40, 60)] {
                let a = p.project(point)!, b = truth.projectionFromPatient.project(point)!
                #expect(abs(a.column - b.column) < Self.poseToleranceMm && abs(a.row - b.row) < Self.poseToleranceMm)
            }
            // The lead's electrodes at the lead image's instant, projected with its pose, are dark in the lead image.
            let lead = try #require(records.last)
            let electrodes = try #require(lead.leadElectrodesMm)
            let lp = truth.projection.composed(after: Affine3D(matrix4x4: lead.heartPose))
            var dark = 0, seen = 0
            for e in electrodes {
                guard let q = lp.project(e) else { continue }
                let col = Int(q.column.rounded()), row = Int(q.row.rounded())
                guard (0..<128).contains(col), (0..<128).contains(row) else { continue }
                seen += 1
                if images.lead[row * 128 + col] - images.venogram[row * 128 + col] > 1 { dark += 1 }
            }
            #expect(seen == 0 || dark == seen, "\(images.view.name): \(dark) of \(seen) electrodes dark at the lead image's own pose")
        }
    }

    @Test("same seed, same run; without motion fields one image per view and state, as before")
    func determinismAndDefault() {
        let again = XRaySimulator(heart: MotionCase.heart, truth: MotionCase.truth, seed: 5).simulate(includeVolume: false)
        for (a, b) in zip(MotionCase.simulated.views, again.views) {
            #expect(a.venogramFrames == b.venogramFrames && a.lead == b.lead)
        }
        #expect(MotionCase.simulated.viewTruth == again.viewTruth)
        let still = SmallCase.simulated
        #expect(still.views.allSatisfy { $0.venogramFrames.count == 1 && $0.run == nil })
        #expect(still.viewTruth.allSatisfy { $0.images == nil && $0.clickedFrame == nil })
        #expect(still.clicks.allSatisfy { $0.frame == nil })
    }
}
