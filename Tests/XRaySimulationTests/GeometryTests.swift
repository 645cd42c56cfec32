import CRTCore
import Foundation
import HeartPhantom
import Testing
import XRaySimulation

@Suite("C-arm geometry", .tags(.geometry))
struct GeometryTests {
    static let views: [CArmView] = [
        .lao40, .rao30,
        CArmView(name: "AP", primaryAngleDeg: 0),
        CArmView(name: "LAO30CRA20", primaryAngleDeg: 30, secondaryAngleDeg: 20, sourceToDetectorMm: 1200,
                 sourceToPatientMm: 780, rows: 300, columns: 400, pixelSpacingMm: [0.3, 0.5]),
        CArmView(name: "RAO60CAU25", primaryAngleDeg: -60, secondaryAngleDeg: -25, sourceToDetectorMm: 1000,
                 sourceToPatientMm: 720, rows: 1024, columns: 1024, pixelSpacingMm: [0.2, 0.2]),
    ]

    static func points() -> [Vec3] {
        var rng = SeededRandom(seed: 1, label: "test.points")
        return (0..<50).map { _ in Vec3(rng.uniform(-100, 100), rng.uniform(-100, 100), rng.uniform(-100, 100)) }
    }

    @Test("projection matrices agree with an independent pinhole computation from the DICOM fields")
    func projectionMatchesPinhole() {
        for v in GeometryTests.views {
            let p = v.projection
            for x in GeometryTests.points() {
                let a = p.project(x)!, b = pinholePixel(v, x)
                #expect(abs(a.column - b.0) < Tolerance.projectionPx && abs(a.row - b.1) < Tolerance.projectionPx,
                        "\(v.name) \(x): matrix (\(a.column), \(a.row)) pinhole \(b)")
            }
        }
    }

    @Test("conventions: isocentre at the principal point; LAO moves the detector left, cranial towards the head; AP shows the patient's left on the right, the head up")
    func conventions() {
        for v in GeometryTests.views {
            let c = v.projection.project(.zero)!
            #expect(abs(c.column - v.principalPoint.column) < 1e-9 && abs(c.row - v.principalPoint.row) < 1e-9)
        }
        let ap = CArmView(name: "AP", primaryAngleDeg: 0)
        #expect(ap.sourceMm.y > 0, "at 0/0 the source is posterior (below the table)")
        #expect(ap.projection.project(Vec3(50, 0, 0))!.column > ap.principalPoint.column, "patient's left on the image right")
        #expect(ap.projection.project(Vec3(0, 0, 50))!.row < ap.principalPoint.row, "head at the top")
        #expect(CArmView.lao40.detectorCentreMm.x > 0, "LAO: detector on the patient's left")
        #expect(CArmView.rao30.detectorCentreMm.x < 0, "RAO: detector on the patient's right")
        let cra = CArmView(name: "CRA20", primaryAngleDeg: 0, secondaryAngleDeg: 20)
        #expect(cra.detectorCentreMm.z > 0, "cranial: detector towards the head")
        // Magnification at the isocentre.
        let m = ap.projection.project(Vec3(10, 0, 0))!.column - ap.principalPoint.column
        #expect(abs(m * 0.6 / 10 - 1100.0 / 800) < 1e-9)
    }

    @Test("exact projections in LAO 40 and RAO 30 triangulate back (DLT), also through a heart pose")
    func triangulateExact() {
        let pose = Affine3D(linear: Mat3.rotation(axis: Vec3(0.3, -0.5, 1), angleRadians: radians(7)), translation: Vec3(4, -9, 12))
        let ps = [CArmView.lao40, CArmView.rao30].map { $0.projection.composed(after: pose) }
        for x in GeometryTests.points() {
            let obs = ps.map { p -> (ProjectionMatrix, column: Double, row: Double) in
                let q = p.project(x)!; return (p, q.column, q.row)
            }
            let y = triangulate(obs)!
            #expect((y - x).length < Tolerance.exactTriangulationMm, "\(x) -> \(y)")
        }
    }

    @Test("a bead rendered in both views is located by its image centroid and triangulates back within 0.5 mm")
    func triangulateRendered() {
        let views = [CArmView.lao40, CArmView.rao30].map {
            CArmView(name: $0.name, primaryAngleDeg: $0.primaryAngleDeg, rows: 128, columns: 128)
        }
        let pose = Affine3D(linear: Mat3.rotation(axis: Vec3(1, 1, 0), angleRadians: radians(5)), translation: Vec3(3, -2, 5))
        for bead in [Vec3(12, -7, 9), Vec3(-15, 10, -4), Vec3(0, 0, 0)] {
            let tube = TubeSegment(startMm: bead - Vec3(0, 0, 1), endMm: bead + Vec3(0, 0, 1), radiusMm: 1.5, mu: 1)
            var obs: [(ProjectionMatrix, column: Double, row: Double)] = []
            for v in views {
                let rays = ViewRays(view: v, worldFromPatient: pose)
                var img = [Float](repeating: 0, count: 128 * 128)
                RayCaster.addLineIntegrals(of: [tube], rays: rays, to: &img)
                var sw = 0.0, sc = 0.0, sr = 0.0
                for r in 0..<128 { for c in 0..<128 { let w = Double(img[r * 128 + c]); sw += w; sc += w * Double(c); sr += w * Double(r) } }
                #expect(sw > 0, "bead not on the detector")
                obs.append((rays.projectionFromPatient, sc / sw, sr / sw))
            }
            let y = triangulate(obs)!
            #expect((y - bead).length < Tolerance.renderedTriangulationMm, "bead \(bead) -> \(y)")
        }
    }

    @Test("bad view geometry is refused with the field and its range")
    func validation() {
        var v = CArmView.lao40
        v.primaryAngleDeg = 200
        #expect(throws: InputError.self) { try v.validate() }
        do { try v.validate(field: "xray.views[0]") } catch let e as InputError {
            #expect(e.message.contains("xray.views[0].PositionerPrimaryAngle") && e.message.contains("-120"))
        } catch { Issue.record("unexpected \(error)") }
        v = CArmView.lao40; v.sourceToPatientMm = 1000
        #expect(throws: InputError.self) { try v.validate() }
        v = CArmView.lao40; v.pixelSpacingMm = [0.6]
        #expect(throws: InputError.self) { try v.validate() }
    }
}
