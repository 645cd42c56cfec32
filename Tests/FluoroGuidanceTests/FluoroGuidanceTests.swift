import CRTCore
import FluoroGuidance
import Foundation
import HeartPhantom
import ImageIO
import SegmentModel
import SurfaceMesh
import Testing
import XRaySimulation

/// Named tolerances of the fluoroscopy tests (issue 4, pipeline side).
enum Tolerance {
    /// Known pose recovered from noise-free clicks: mTRE over LV points (mm).
    static let noiseFreeMTREMm = 0.5
    /// Median mTRE with 2-pixel click noise over many draws (mm) when the model landmarks are exact.
    static let noisyClicksMedianMTREMm = 2.0
    /// Rotation left about a line of landmarks once the orientation prior (expected: identity) is on (degrees): the
    /// prior is the only information about it, so the fit goes to its mean, up to the solver's tolerance.
    static let orientationPriorResidualDeg = 0.5
    /// Detected electrode vs its true projection (pixels).
    static let electrodePx = 1.0
    /// Triangulated electrode vs truth when two electrodes share one spot in a view (mm).
    static let mergedElectrodeMm = 1.5
}

/// A rendered case at full detector size (512 x 512, 0.6 mm), coarse 4 mm attenuation voxels.
enum RenderedCase {
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: "xray: {voxelMm: 4}", file: "fluoro-test.yaml")
    static let heart = HeartModel(spec: spec)
    static let truth = heart.groundTruth(phaseTimesMs: [0])
    static let simulated = XRaySimulator(heart: heart, truth: truth, seed: 3).simulate(includeVolume: false)
}

/// Mean distance between two poses over points (mm).
func mtre(_ a: Affine3D, _ b: Affine3D, _ points: [Vec3]) -> Double {
    points.reduce(0) { $0 + (a.apply($1) - b.apply($1)).length } / Double(points.count)
}

/// Points of the LV wall of the phantom (epicardial grid over the ventricle) at the X-ray phase.
func lvPoints(_ heart: HeartModel) -> [Vec3] {
    let st = heart.state(atMs: 0.75 * heart.spec.motion.rrIntervalMs)
    var out: [Vec3] = []
    for f in stride(from: 0.0, through: 1.0, by: 0.1) { for phi in stride(from: 0.0, to: 360, by: 20) {
        out.append(heart.epicardialPoint(fraction: f, phiDeg: phi, st))
    } }
    return out
}

@Suite("Fluoroscopy registration")
struct RegistrationTests {
    /// The true landmarks projected into the two default views under a known pose.
    func views(pose: Affine3D, landmarks: [String: Vec3], noisePx: Double, seed: UInt64) -> [FluoroView] {
        var rng = SeededRandom(seed: seed, label: "test.clicks")
        return [CArmView.lao40, CArmView.rao30].map { g in
            let p = g.projection.composed(after: pose)
            var clicks: [String: DetectorPixel] = [:]
            for name in landmarks.keys.sorted() {
                let q = p.project(landmarks[name]!)!
                clicks[name] = DetectorPixel(column: q.column + noisePx * rng.normal(), row: q.row + noisePx * rng.normal())
            }
            let blank = DetectorImage(columns: g.columns, rows: g.rows, pixels: [Float](repeating: 0, count: g.columns * g.rows))
            return FluoroView(geometry: g, venogram: blank, lead: nil, clicks: clicks)
        }
    }

    @Test("a known pose is recovered from noise-free clicks")
    func noiseFree() throws {
        let c = RenderedCase.self
        let pose = XRaySimulator(heart: c.heart, truth: c.truth, seed: 11).heartPose().pose
        let landmarks = c.simulated.landmarksMm.filter { !$0.key.hasPrefix("lateral") }
        let fit = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: landmarks, views: views(pose: pose, landmarks: landmarks, noisePx: 0, seed: 1)))
        let e = mtre(fit.fit.worldFromHeart, pose, lvPoints(c.heart))
        #expect(e <= Tolerance.noiseFreeMTREMm, "mTRE \(e) mm")
    }

    @Test("2-pixel click noise: median mTRE over 40 draws")
    func noisyClicks() throws {
        let c = RenderedCase.self
        let landmarks = c.simulated.landmarksMm.filter { !$0.key.hasPrefix("lateral") }
        let points = lvPoints(c.heart)
        var errors: [Double] = []
        for k in 0..<40 {
            let pose = XRaySimulator(heart: c.heart, truth: c.truth, seed: UInt64(100 + k)).heartPose().pose
            let fit = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: landmarks, views: views(pose: pose, landmarks: landmarks, noisePx: 2, seed: UInt64(k))))
            errors.append(mtre(fit.fit.worldFromHeart, pose, points))
        }
        errors.sort()
        let median = 0.5 * (errors[19] + errors[20])
        print("fluoro registration, 2 px click noise, exact model landmarks: median mTRE \(String(format: "%.2f", median)) mm, max \(String(format: "%.2f", errors.last!)) mm")
        #expect(median <= Tolerance.noisyClicksMedianMTREMm, "median mTRE \(median) mm")
    }

    /// A venogram that fills few veins leaves two landmarks clicked in both views (one `anatomy-variation` patient
    /// lost its whole analysis so): without a prior the registration refuses; with the orientation prior the pose
    /// is its orientation placed on the two landmarks, here the true one since the prior's mean is the true
    /// orientation and the clicks are noise-free.
    @Test("two landmarks in two views: registered on the orientation prior, refused without it")
    func twoLandmarksWithThePrior() throws {
        let c = RenderedCase.self
        let pose = XRaySimulator(heart: c.heart, truth: c.truth, seed: 11).heartPose().pose
        let two = c.simulated.landmarksMm.filter { ["coronarySinusOstium", "anteriorInterventricularVeinEnd"].contains($0.key) }
        try #require(two.count == 2)
        let v = views(pose: pose, landmarks: two, noisePx: 0, seed: 1)
        #expect(PoseEstimation.landmarkRegistration(modelLandmarksMm: two, views: v) == nil)
        let prior = PoseEstimation.OrientationPrior(expected: pose.linear, sdRadians: radians(15), pixelsPerSD: 3)
        let fit = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: two, views: v, orientationPrior: prior))
        let e = mtre(fit.fit.worldFromHeart, pose, lvPoints(c.heart))
        #expect(e <= Tolerance.noiseFreeMTREMm, "mTRE \(e) mm")
    }

    @Test("rotation vector of a rotation matrix: axis times angle, up to a half turn")
    func rotationVectorRoundTrip() throws {
        for (axis, angle) in [(Vec3(1, 2, 3), 0.4), (Vec3(0, 0, 1), 1e-4), (Vec3(-1, 0.5, 0.2), 3.0), (Vec3(0, 1, 0), .pi - 1e-8)] {
            let w = PoseEstimation.rotationVector(Mat3.rotation(axis: axis, angleRadians: angle))
            let expected = axis.normalized * angle
            // The half turn's axis has no sign: either direction is the same rotation.
            let error = min((w - expected).length, (w + expected).length)
            #expect(error < 1e-6, "rotation vector of \(angle) rad about \(axis): \(w), error \(error)")
        }
    }

    /// Landmarks on one line leave the rotation about that line to the starting pose; the orientation prior
    /// brings it to its expected orientation and leaves the well-determined directions where the clicks put them.
    @Test("orientation prior fixes the rotation about a line of landmarks")
    func orientationPriorOnCollinearLandmarks() throws {
        let line = (0..<5).map { Vec3(Double($0) * 20 - 40, 10, -5) }
        let landmarks = Dictionary(uniqueKeysWithValues: line.enumerated().map { ("point\($0.offset)", $0.element) })
        let truth = Affine3D(linear: .identity, translation: Vec3(3, -4, 2))
        let views = self.views(pose: truth, landmarks: landmarks, noisePx: 0, seed: 1)
        let points = PoseEstimation.correspondences(modelLandmarksMm: landmarks, views: views)
        // A start turned 20 degrees about the line (through its centroid): the clicks cannot tell.
        let centre = line.reduce(Vec3.zero, +) / Double(line.count)
        let turn = Mat3.rotation(axis: Vec3(1, 0, 0), angleRadians: radians(20))
        let start = Affine3D(linear: turn, translation: truth.apply(centre) - turn * centre)
        let projections = views.map(\.projection)
        let free = PoseEstimation.refine(initial: start, points: points, projections: projections)
        let prior = PoseEstimation.OrientationPrior(sdRadians: radians(6), pixelsPerSD: 7)
        let held = PoseEstimation.refine(initial: start, points: points, projections: projections, orientationPrior: prior)
        let angle = { (a: Affine3D) in degrees(PoseEstimation.rotationVector(a.linear).length) }
        #expect(angle(free.worldFromHeart) > 15, "without the prior the turn about the line stays: \(angle(free.worldFromHeart)) degrees")
        #expect(angle(held.worldFromHeart) < Tolerance.orientationPriorResidualDeg,
                "with the prior the turn goes: \(angle(held.worldFromHeart)) degrees")
        #expect(held.rmsPx < 0.1, "the clicks still fit: RMS \(held.rmsPx) px")
    }

    @Test("Kabsch recovers a rotation and shift exactly")
    func kabsch() throws {
        let r = Mat3.rotation(axis: Vec3(1, 2, 3), angleRadians: 0.4)
        let t = Affine3D(linear: r, translation: Vec3(5, -7, 3))
        let src = [Vec3(0, 0, 0), Vec3(40, 0, 0), Vec3(0, 30, 5), Vec3(10, 10, 60)]
        let fit = try #require(PoseEstimation.kabsch(from: src, to: src.map(t.apply)))
        #expect(mtre(fit, t, src) < 1e-9)
    }
}

@Suite("Electrode detection")
struct ElectrodeTests {
    @Test("four electrodes found within 1 px of their true projections in both views, matched across views")
    func rendered() throws {
        let c = RenderedCase.self
        let electrodes = try #require(c.truth.lead == nil ? c.simulated.lead.position.electrodesMm : c.simulated.lead.position.electrodesMm)
        let detector = ElectrodeDetection()
        let found = c.simulated.views.map { detector.candidates(DetectorImage(columns: $0.view.columns, rows: $0.view.rows, pixels: $0.lead)) }
        let match = try #require(LeadTriangulation.match(candidates: found.map { $0.blobs.map(\.pixel) },
                                                         projections: c.simulated.views.map(\.view.projection)))
        for (v, images) in c.simulated.views.enumerated() {
            let p = c.simulated.viewTruth[v].projectionFromPatient
            let truePx = electrodes.map { e in p.project(e).map { DetectorPixel(column: $0.column, row: $0.row) }! }
            // Distal-first or reversed: compare in the matched order's orientation.
            let chain = match.chains[v]
            let forward = zip(chain, truePx).map { $0.distance(to: $1) }.max()!
            let backward = zip(chain.reversed(), truePx).map { $0.distance(to: $1) }.max()!
            #expect(min(forward, backward) <= Tolerance.electrodePx, "\(images.view.name): worst electrode \(min(forward, backward)) px")
            // Single-view detection orders the electrodes distal first.
            let single = detector.detect(DetectorImage(columns: images.view.columns, rows: images.view.rows, pixels: images.lead))
            #expect(single.electrodes.count == 4 && single.electrodes[0].distance(to: truePx[0]) <= Tolerance.electrodePx,
                    "\(images.view.name): distal electrode \(single.electrodes.first.map { "\($0)" } ?? "none"), true \(truePx[0])")
        }
    }
}

@Suite("Distal end of the lead")
struct DistalEndTests {
    /// A top-hat image: four rings (Gaussian spots, contrast 2.5) 20 px apart along a row, and the lead body (a line
    /// of contrast 0.6) leaving the proximal ring at a right angle, as it does where it turns out of the coronary
    /// sinus into a lateral branch (anatomy-variation case 29, RAO 30).
    func image(bodyAngleDeg: Double) -> (DetectorImage, [DetectorPixel]) {
        let w = 160, h = 160
        var px = [Float](repeating: 0, count: w * h)
        let rings = (0..<4).map { DetectorPixel(column: 110 - 20 * Double($0), row: 80) }   // distal first
        for r in 0..<h { for c in 0..<w {
            var v = 0.0
            for e in rings { v += 2.5 * exp(-((Double(c) - e.column) * (Double(c) - e.column) + (Double(r) - e.row) * (Double(r) - e.row)) / 3) }
            // The body: from the proximal ring along bodyAngleDeg, 1.5 px wide, from 3 px out.
            let p = rings[3], a = bodyAngleDeg * Double.pi / 180
            let along = (Double(c) - p.column) * cos(a) + (Double(r) - p.row) * sin(a)
            let across = -(Double(c) - p.column) * sin(a) + (Double(r) - p.row) * cos(a)
            if along > 3 && abs(across) < 0.75 { v += 0.6 }
            px[r * w + c] = Float(v)
        } }
        return (DetectorImage(columns: w, rows: h, pixels: px), rings)
    }

    @Test("the body is found beyond the proximal ring whether it continues straight or bends by 90 degrees (margin 0.3)")
    func bodyBeyondProximal() {
        let detector = ElectrodeDetection()
        for angle in [180.0, 90.0, -90.0, 135.0] {
            let (th, rings) = image(bodyAngleDeg: angle)
            let distal = detector.bodyBeyond(th, end: rings[0], neighbour: rings[1])
            let proximal = detector.bodyBeyond(th, end: rings[3], neighbour: rings[2])
            #expect(proximal > distal + 0.3, "body at \(angle) degrees: proximal \(proximal), distal \(distal)")
        }
    }
}

/// Four rings 12 mm apart from (10, -5, 20) mm, nearly along the LAO 40 beam, tilted towards the head by `tilt`
/// (as a lateral branch runs from the atrioventricular groove towards the apex).
func leadAlongLAOBeam(tilt: Double) -> [Vec3] {
    let centre = Vec3(10, -5, 20)
    let direction = ((centre - CArmView.lao40.sourceMm).normalized + Vec3(0, 0, tilt)).normalized
    return (0..<4).map { centre + direction * (Double($0) * 12) }
}

/// Detector pixel of a world point in a view.
func pixel(_ g: CArmView, _ p: Vec3) -> DetectorPixel { let q = g.projection.project(p)!; return DetectorPixel(column: q.column, row: q.row) }

/// Worst distance (mm) of matched electrodes from the true ones, in whichever direction along the lead fits.
func worstElectrodeMm(_ found: [Vec3], _ truth: [Vec3]) -> Double {
    min(zip(found, truth).map { ($0 - $1).length }.max()!, zip(found.reversed(), truth).map { ($0 - $1).length }.max()!)
}

@Suite("Foreshortened lead")
struct ForeshortenedLeadTests {
    /// A lead running nearly along the LAO 40 beam: its four rings project about 3 px apart there and merge into two
    /// spots, while RAO 30 shows all four. The match must let each LAO spot stand for two electrodes.
    @Test("electrodes merged into two spots in one view are still matched and triangulated within 1.5 mm")
    func mergedInOneView() throws {
        let lao = CArmView.lao40, rao = CArmView.rao30
        // The tilt puts the rings in different detector rows, across the (near-horizontal) epipolar lines.
        let electrodes = leadAlongLAOBeam(tilt: 0.12)
        let laoPx = electrodes.map { pixel(lao, $0) }
        let merged = [0, 2].map { k in
            DetectorPixel(column: 0.5 * (laoPx[k].column + laoPx[k + 1].column), row: 0.5 * (laoPx[k].row + laoPx[k + 1].row))
        }
        #expect(laoPx[0].distance(to: laoPx[1]) < 5, "the test lead must be foreshortened in LAO")
        let candidates = [merged, electrodes.map { pixel(rao, $0) }]
        var oneShared = LeadTriangulation.Settings()
        oneShared.maximumSharedCandidates = 1
        #expect(LeadTriangulation.match(candidates: candidates, projections: [lao.projection, rao.projection], settings: oneShared) == nil,
                "two merged pairs need two shared candidates")
        let match = try #require(LeadTriangulation.match(candidates: candidates, projections: [lao.projection, rao.projection]))
        let worst = worstElectrodeMm(match.worldMm, electrodes)
        #expect(worst <= Tolerance.mergedElectrodeMm, "worst electrode \(worst) mm")
    }
}

@Suite("Electrodes on nearly the same epipolar line")
struct SwappedElectrodeTests {
    /// lead-placement case 34 (seed 44): the true electrodes (C-arm world mm, distal first) and the spots detected in
    /// LAO 40 and RAO 30. Rings 1 and 3 lie within 1.2 px of the same (near-horizontal) epipolar line, so pairing
    /// them crosswise triangulates with residuals of 0.14 px and more regular 3D gaps than the true, curved lead.
    static let electrodes = [Vec3(-26.226, 1.443, 47.331), Vec3(-19.884, 7.601, 52.542), Vec3(-8.934, 14.955, 53.966), Vec3(0.495, 23.946, 51.460)]
    static let lao = [(210.521, 144.395), (231.061, 132.292), (262.073, 129.434), (292.624, 134.954)].map { DetectorPixel(column: $0.0, row: $0.1) }
    static let rao = [(202.669, 148.748), (228.155, 134.478), (220.371, 130.539), (207.362, 135.716)].map { DetectorPixel(column: $0.0, row: $0.1) }

    @Test("the fold penalty keeps the pairing whose projections do not zigzag: every electrode within 1 mm (9 mm off without it)")
    func foldPenalty() throws {
        let projections = [CArmView.lao40.projection, CArmView.rao30.projection]
        let match = try #require(LeadTriangulation.match(candidates: [Self.lao, Self.rao], projections: projections))
        let worst = worstElectrodeMm(match.worldMm, Self.electrodes)
        #expect(worst <= 1.0, "worst electrode \(worst) mm")
        var noFold = LeadTriangulation.Settings()
        noFold.foldPenaltyPerPx = 0
        let swapped = try #require(LeadTriangulation.match(candidates: [Self.lao, Self.rao], projections: projections, settings: noFold))
        #expect(worstElectrodeMm(swapped.worldMm, Self.electrodes) > 5, "without the penalty the crosswise pairing wins")
    }
}

@Suite("Segment angle of the lead")
struct LeadSegmentAngleTests {
    /// Six circular slices (radius 30 mm, 120 rays of 3 degrees) along z, the anterior insertion at ray angle 32.9
    /// degrees: every segment boundary then falls 0.1 degrees past a ray and 2.9 before the next, so the ray ids
    /// place it 1.4 degrees early.
    func stack(exactInsertion: Bool) -> WallContourStack {
        let anterior = 32.9, n = 120
        let slices = (0..<6).map { k in
            SliceContour(centreMm: Vec3(0, 0, 5 + 10 * Double(k)), axisU: Vec3(1, 0, 0), axisV: Vec3(0, 1, 0),
                         endoRadiiMm: [Double](repeating: 22, count: n), epiRadiiMm: [Double](repeating: 30, count: n),
                         segmentIds: (0..<n).map { Segment36.id(ring: 0, angleDegrees: wrapDegrees(3 * Double($0) - anterior)).id },
                         scarTransmurality: [Double](repeating: 0, count: n),
                         segmentZeroAngleDegrees: exactInsertion ? anterior : nil)
        }
        return WallContourStack(slices: slices, baseToApex: Vec3(0, 0, 1), epicardialApexMm: Vec3(0, 0, 78), endocardialApexMm: Vec3(0, 0, 70))
    }

    @Test("an electrode's segment angle uses the slice's insertion angle: within 0.01 degrees (1.4 degrees off from the ray ids alone)")
    func exactInsertion() throws {
        let theta = radians(32.9 + 240.3)
        let electrode = Vec3(33 * cos(theta), 33 * sin(theta), 27)
        let exact = try ModelLandmarks(contours: stack(exactInsertion: true), baseCentreMm: Vec3(0, 0, 0))
        #expect(abs(angleDifferenceDegrees(exact.segmentAngleDegrees(of: electrode), 240.3)) < 0.01)
        let fromIds = try ModelLandmarks(contours: stack(exactInsertion: false), baseCentreMm: Vec3(0, 0, 0))
        #expect(abs(angleDifferenceDegrees(fromIds.segmentAngleDegrees(of: electrode), 240.3) - 1.4) < 0.05,
                "the ray ids alone put it \(fromIds.segmentAngleDegrees(of: electrode)) degrees")
    }
}

@Suite("AV groove on a tilted annulus plane")
struct TiltedAnnulusGrooveTests {
    @Test("the groove landmarks sit their prior height above a tilted annulus plane at their own angle: R tan(tilt) cos(angle - tilt direction), within 0.01 mm")
    func grooveFollowsPlane() throws {
        let stack = LeadSegmentAngleTests().stack(exactInsertion: true)
        let flat = try ModelLandmarks(contours: stack, baseCentreMm: .zero)
        // The plane through the base centre tilted by 10 degrees towards segment angle 25 (the aortic side).
        let tilt = radians(10.0), towards = radians(32.9 + 25)
        let normal = Vec3(0, 0, 1) * cos(tilt) + Vec3(cos(towards), sin(towards), 0) * sin(tilt)
        let tilted = try ModelLandmarks(contours: stack, baseCentreMm: .zero, annulusPlane: (centreMm: .zero, normal: normal))
        let radius = 30.0   // the epicardial radius of the stack's slices
        for (name, angle) in [("coronarySinusOstium", 120.0 - 10), ("middleCardiacVeinOrigin", 120.0), ("anteriorInterventricularVeinOrigin", 0.0)] {
            let expected = -radius * tan(tilt) * cos(radians(angle - 25))
            let moved = try #require(tilted.landmarksMm[name]).z - (try #require(flat.landmarksMm[name])).z
            #expect(abs(moved - expected) < 0.01, "\(name): moved \(moved) mm along the axis, expected \(expected)")
        }
        // The ends far from the base keep their heights.
        #expect(tilted.landmarksMm["anteriorInterventricularVeinEnd"] == flat.landmarksMm["anteriorInterventricularVeinEnd"])
    }
}

@Suite("Lead along the beam")
struct LeadAlongBeamTests {
    /// A lead nearly along the LAO 40 beam (as drawn heart orientations give: anatomy-variation case 29), its four
    /// rings 2-5 px apart there: rendered as Gaussian spots (SD 1.2 px, the detector blur) on a top-hat image they
    /// merge into one or two spots, fewer than the two-shared-candidates match accepts. RAO 30 shows them apart.
    @Test("rings merged into one spot in LAO are located along RAO's epipolar lines: every electrode within 1.5 mm")
    func mergedIntoOneSpot() throws {
        let lao = CArmView.lao40, rao = CArmView.rao30
        let electrodes = leadAlongLAOBeam(tilt: 0.06)
        let laoPx = electrodes.map { pixel(lao, $0) }
        let spread = laoPx.map { $0.distance(to: laoPx[0]) }.max()!
        #expect(spread < 8, "the test lead must be foreshortened in LAO (spread \(spread) px)")
        var pixels = [Float](repeating: 0, count: lao.columns * lao.rows)
        for p in laoPx {
            for r in Int(p.row) - 6...Int(p.row) + 6 { for c in Int(p.column) - 6...Int(p.column) + 6 {
                let d2 = (Double(c) - p.column) * (Double(c) - p.column) + (Double(r) - p.row) * (Double(r) - p.row)
                pixels[r * lao.columns + c] += Float(2.5 * exp(-d2 / (2 * 1.2 * 1.2)))
            } }
        }
        let topHat = DetectorImage(columns: lao.columns, rows: lao.rows, pixels: pixels)
        let spots = ElectrodeDetection().candidates(topHat).blobs.map(\.pixel)
        #expect(spots.count <= 1, "the LAO rings must merge into one spot (found \(spots.count))")
        let raoPx = electrodes.map { pixel(rao, $0) }
        #expect(LeadTriangulation.match(candidates: [spots, raoPx], projections: [lao.projection, rao.projection]) == nil,
                "one spot for four rings is beyond the discrete match")
        let match = try #require(LeadTriangulation.matchAlongEpipolarLines(separated: raoPx, merged: spots, mergedTopHat: topHat,
                                                                           projections: [rao.projection, lao.projection]))
        let worst = worstElectrodeMm(match.worldMm, electrodes)
        #expect(worst <= Tolerance.mergedElectrodeMm, "worst electrode \(worst) mm")
    }

    @Test("the epipolar line of a pixel passes within 1e-6 px of the other view's projection of every point on its ray")
    func epipolarLine() throws {
        let lao = CArmView.lao40, rao = CArmView.rao30
        let p = Vec3(12, -30, 41), q = Vec3(-20, 15, -8)
        let a = try #require(lao.projection.project(p))
        let l = try #require(LeadTriangulation.epipolarLine(column: a.column, row: a.row, from: lao.projection, to: rao.projection))
        // Points on the LAO ray through p: p moved towards and away from the LAO source.
        for t in [-0.3, 0.0, 0.2, 0.5] {
            let x = p + (lao.sourceMm - p) * t
            let b = try #require(rao.projection.project(x))
            #expect(abs(l.x * b.column + l.y * b.row + l.z) < 1e-6)
        }
        // A point off the ray is not on the line.
        let b = try #require(rao.projection.project(q))
        #expect(abs(l.x * b.column + l.y * b.row + l.z) > 1)
    }
}

@Suite("Fluoroscopy bad input")
struct BadInputTests {
    func tempDir() -> String {
        let d = NSTemporaryDirectory() + "fluoro-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
    func writeView(_ g: CArmView, dir: String, size: (Int, Int)? = nil) throws {
        let (c, r) = size ?? (g.columns, g.rows)
        let grid = ImageGrid(size: [c, r, 1], patientFromVoxel: .identity)
        try NIfTI.write(ImageVolume(grid: grid, data: (0..<(c * r)).map { Float($0 % 7) }), to: dir + "/\(g.name)-venogram.nii.gz", description: "t")
        try FileOutput.writeJSON(g, to: dir + "/\(g.name).json")
    }

    @Test("a missing view, a missing folder, absurd geometry and a wrong image size are InputErrors")
    func badInputs() throws {
        let one = tempDir()
        try writeView(CArmView(name: "LAO40", primaryAngleDeg: 40, rows: 64, columns: 64), dir: one)
        #expect(throws: InputError.self) { try FluoroStudy.load(xrayDirectory: one, operatorDirectory: nil) }
        #expect(throws: InputError.self) { try FluoroStudy.load(xrayDirectory: one + "/nope", operatorDirectory: nil) }
        let absurd = tempDir()
        try writeView(CArmView(name: "LAO40", primaryAngleDeg: 400, rows: 64, columns: 64), dir: absurd)
        try writeView(CArmView(name: "RAO30", primaryAngleDeg: -30, rows: 64, columns: 64), dir: absurd)
        #expect(throws: InputError.self) { try FluoroStudy.load(xrayDirectory: absurd, operatorDirectory: nil) }
        let size = tempDir()
        try writeView(CArmView(name: "LAO40", primaryAngleDeg: 40, rows: 64, columns: 64), dir: size, size: (32, 64))
        try writeView(CArmView(name: "RAO30", primaryAngleDeg: -30, rows: 64, columns: 64), dir: size)
        #expect(throws: InputError.self) { try FluoroStudy.load(xrayDirectory: size, operatorDirectory: nil) }
        let ok = tempDir()
        try writeView(CArmView(name: "LAO20", primaryAngleDeg: 20, rows: 64, columns: 64), dir: ok)
        try writeView(CArmView(name: "RAO10", primaryAngleDeg: -10, rows: 64, columns: 64), dir: ok)
        let study = try FluoroStudy.load(xrayDirectory: ok, operatorDirectory: nil)
        #expect(study.warnings.contains { $0.contains("only 30 degrees apart") }, "\(study.warnings)")
    }

    /// A venogram run of `frames` frames (frame k's pixels offset by k, so frames can be told apart).
    func writeRun(_ g: CArmView, dir: String, frames: Int) throws {
        let n = g.columns * g.rows
        let grid = ImageGrid(size: [g.columns, g.rows, 1], patientFromVoxel: .identity)
        let data = (0..<frames).flatMap { k in (0..<n).map { Float($0 % 7 + 10 * k) } }
        try NIfTI.write(ImageVolume(grid: grid, frames: frames, frameIntervalMs: 133, data: data), to: dir + "/\(g.name)-venogram.nii.gz", description: "t")
        try FileOutput.writeJSON(g, to: dir + "/\(g.name).json")
    }

    @Test("a venogram run: the clicked frame is used, else the one nearest end-diastole by the ECG record (not read as a view), else the first with a warning; a clicked frame outside the run and a bad ECG record are InputErrors")
    func venogramRuns() throws {
        let lao = CArmView(name: "LAO40", primaryAngleDeg: 40, rows: 32, columns: 32), rao = CArmView(name: "RAO30", primaryAngleDeg: -30, rows: 32, columns: 32)
        let dir = tempDir(), op = tempDir()
        try writeRun(lao, dir: dir, frames: 4)
        try writeRun(rao, dir: dir, frames: 4)
        // No ECG record, no clicked frame: the first frame, with a warning.
        var study = try FluoroStudy.load(xrayDirectory: dir, operatorDirectory: nil)
        #expect(study.views.allSatisfy { $0.venogramFrame == 0 && $0.venogramFrameChoice == .first })
        #expect(study.warnings.contains { $0.contains("run of frames") }, "\(study.warnings)")
        // The ECG record: frame 2 is nearest the R wave (phase 0.97).
        for name in ["LAO40", "RAO30"] {
            try FileOutput.writeJSON(XRayRunRecord(view: name, rrIntervalMs: 800, venogramFrameIntervalMs: 133,
                                                   venogramCardiacPhaseFractions: [0.5, 0.67, 0.97, 0.14], leadCardiacPhaseFraction: 0.3),
                                     to: dir + "/\(name)-ecg.json")
        }
        study = try FluoroStudy.load(xrayDirectory: dir, operatorDirectory: nil)
        #expect(study.views.count == 2 && study.rrIntervalMs == 800)
        #expect(study.views.allSatisfy { $0.venogramFrame == 2 && $0.venogramFrameChoice == .endDiastole && $0.venogram.pixels[0] == 20 })
        #expect(study.views.allSatisfy { $0.leadImageTimeMs.map { abs($0 - 240) < 1e-9 } ?? false })
        // The operator's clicked frame wins.
        for name in ["LAO40", "RAO30"] {
            try Data(#"{"view": "\#(name)", "landmarks": {"coronarySinusOstium": [5, 5]}, "frame": 1}"#.utf8).write(to: URL(fileURLWithPath: op + "/clicks-\(name).json"))
        }
        study = try FluoroStudy.load(xrayDirectory: dir, operatorDirectory: op)
        #expect(study.views.allSatisfy { $0.venogramFrame == 1 && $0.venogramFrameChoice == .clicked && $0.venogram.pixels[0] == 10 })
        // A clicked frame outside the run.
        try Data(#"{"view": "LAO40", "landmarks": {"coronarySinusOstium": [5, 5]}, "frame": 4}"#.utf8).write(to: URL(fileURLWithPath: op + "/clicks-LAO40.json"))
        #expect(throws: InputError.self) { try FluoroStudy.load(xrayDirectory: dir, operatorDirectory: op) }
        // An ECG record with a phase per frame missing, or a phase outside 0-1.
        try FileOutput.writeJSON(XRayRunRecord(view: "RAO30", rrIntervalMs: 800, venogramFrameIntervalMs: 133,
                                               venogramCardiacPhaseFractions: [0.5, 0.67, 0.97], leadCardiacPhaseFraction: 0.3),
                                 to: dir + "/RAO30-ecg.json")
        #expect(throws: InputError.self) { try FluoroStudy.load(xrayDirectory: dir, operatorDirectory: nil) }
        try FileOutput.writeJSON(XRayRunRecord(view: "RAO30", rrIntervalMs: 800, venogramFrameIntervalMs: 133,
                                               venogramCardiacPhaseFractions: [0.5, 0.67, 1.5, 0.1], leadCardiacPhaseFraction: 0.3),
                                 to: dir + "/RAO30-ecg.json")
        #expect(throws: InputError.self) { try FluoroStudy.load(xrayDirectory: dir, operatorDirectory: nil) }
    }
}


@Suite("Vessel refinement")
struct RefinementTests {
    @Test("with 4-pixel click noise, refinement on the venogram vessels beats the landmarks alone (median over 6 draws)")
    func beatsLandmarks() throws {
        let c = RenderedCase.self
        let sim = c.simulated
        let pose = sim.worldFromPatient
        let landmarks = sim.landmarksMm.filter { !$0.key.hasPrefix("lateral") }
        // The model's vein courses: the true centrelines of the veins the pipeline models (a perfect CMR model).
        let curves = sim.veinCentrelines.filter { !$0.name.hasPrefix("lateral") }.flatMap { v in
            stride(from: 0, to: v.pointsMm.count, by: 3).map { v.pointsMm[$0] }
        }
        let points = lvPoints(c.heart)
        var before: [Double] = [], after: [Double] = []
        for k in 0..<6 {
            var rng = SeededRandom(seed: UInt64(k), label: "test.refinement.clicks")
            let views: [FluoroView] = sim.views.enumerated().map { v, images in
                let p = sim.viewTruth[v].projectionFromPatient
                var clicks: [String: DetectorPixel] = [:]
                for name in landmarks.keys.sorted() {
                    let q = p.project(landmarks[name]!)!
                    clicks[name] = DetectorPixel(column: q.column + 4 * rng.normal(), row: q.row + 4 * rng.normal())
                }
                return FluoroView(geometry: images.view, venogram: DetectorImage(columns: images.view.columns, rows: images.view.rows, pixels: images.venogram),
                                  lead: nil, clicks: clicks)
            }
            let lm = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: landmarks, views: views))
            let refined = ImageRefinement().refine(initial: lm.fit.worldFromHeart, curvesMm: curves, venograms: views.map(\.venogram),
                                                   projections: views.map(\.projection), clicks: lm.points)
            before.append(mtre(lm.fit.worldFromHeart, pose, points))
            after.append(mtre(refined.worldFromHeart, pose, points))
        }
        let mb = before.sorted()[3], ma = after.sorted()[3]
        print("vessel refinement, 4 px click noise: median mTRE landmarks \(String(format: "%.2f", mb)) mm -> refined \(String(format: "%.2f", ma)) mm")
        #expect(ma < mb, "landmarks \(before), refined \(after)")
    }
}

@Suite("No lead")
struct NoLeadTests {
    @Test("images without a lead (the venograms) give no electrode match: 'not found', never a guess")
    func venogramsHaveNoLead() {
        let sim = RenderedCase.simulated
        let detector = ElectrodeDetection()
        let found = sim.views.map { detector.candidates(DetectorImage(columns: $0.view.columns, rows: $0.view.rows, pixels: $0.venogram)) }
        let match = found.allSatisfy({ $0.blobs.count >= 3 })
            ? LeadTriangulation.match(candidates: found.map { $0.blobs.map(\.pixel) }, projections: sim.views.map(\.view.projection))
            : nil
        #expect(match == nil, "candidates per view: \(found.map(\.blobs.count))")
    }
}

/// A clinical patient (realism fields drawn from seed 5, the venous tree included) rendered as `RenderedCase`.
enum DrawnVeinCase {
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: "xray: {voxelMm: 4}", file: "fluoro-drawn-veins.yaml").resolved(seed: 5)
    static let heart = HeartModel(spec: spec)
    static let truth = heart.groundTruth(phaseTimesMs: [0])
    static let simulated = XRaySimulator(heart: heart, truth: truth, seed: 3).simulate(includeVolume: false)
}

@Suite("Fluoroscopy registration on drawn veins")
struct DrawnVeinRegistrationTests {
    @Test("a drawn-vein clinical case: 2-pixel click noise, landmarks + vessel refinement, median mTRE over 5 draws within the noisy-click tolerance")
    func drawnVeinsLand() throws {
        let c = DrawnVeinCase.self, sim = c.simulated
        // The case's veins are drawn, not the fixed course.
        #expect(c.spec.veins.csAboveBaseMm != nil && c.spec.veins.greatCardiacVeinStartDeg != nil)
        let pose = sim.worldFromPatient
        let landmarks = sim.landmarksMm.filter { !$0.key.hasPrefix("lateral") }
        let curves = sim.veinCentrelines.filter { !$0.name.hasPrefix("lateral") }.flatMap { v in
            stride(from: 0, to: v.pointsMm.count, by: 3).map { v.pointsMm[$0] }
        }
        let points = lvPoints(c.heart)
        var errors: [Double] = []
        for k in 0..<5 {
            var rng = SeededRandom(seed: UInt64(k), label: "test.drawn-veins.clicks")
            let views: [FluoroView] = sim.views.enumerated().map { v, images in
                let p = sim.viewTruth[v].projectionFromPatient
                var clicks: [String: DetectorPixel] = [:]
                for name in landmarks.keys.sorted() {
                    let q = p.project(landmarks[name]!)!
                    clicks[name] = DetectorPixel(column: q.column + 2 * rng.normal(), row: q.row + 2 * rng.normal())
                }
                return FluoroView(geometry: images.view, venogram: DetectorImage(columns: images.view.columns, rows: images.view.rows, pixels: images.venogram),
                                  lead: nil, clicks: clicks)
            }
            let lm = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: landmarks, views: views))
            let refined = ImageRefinement().refine(initial: lm.fit.worldFromHeart, curvesMm: curves, venograms: views.map(\.venogram),
                                                   projections: views.map(\.projection), clicks: lm.points)
            errors.append(mtre(refined.worldFromHeart, pose, points))
        }
        let median = errors.sorted()[2]
        print("drawn veins, 2 px click noise: median mTRE \(String(format: "%.2f", median)) mm")
        #expect(median <= Tolerance.noisyClicksMedianMTREMm, "mTRE \(errors)")
    }
}

/// Named tolerances of the course-fit test (noise-free clicks and veins, the cylinder model of `LeadSegmentAngleTests`).
enum CourseShiftTolerance {
    /// Share of the true AV-groove shift the fit must find at least (the prior pulls it towards 0), and how far
    /// beyond the true shift it may go (mm).
    static let grooveShiftFoundFraction = 0.25
    static let grooveShiftBeyondMm = 1.0
    /// mTRE over the model's wall points after the course fit (mm): issue 4's 2-mm target.
    static let mTREMm = 2.0
    /// The course fit's mTRE as a fraction of the fixed courses' at most.
    static let fractionOfFixed = 0.6
}

@Suite("Vessel refinement with the vein courses free")
struct CourseShiftTests {
    /// The model of `LeadSegmentAngleTests.stack`: six circular slices of epicardial radius 30 mm along z, base plane at 0.
    static func model() throws -> ModelLandmarks {
        try ModelLandmarks(contours: LeadSegmentAngleTests().stack(exactInsertion: true), baseCentreMm: .zero)
    }

    /// Venograms (-ln(I/I0): bright veins) of `courses` under the identity pose: Gaussian lines, SD 1.5 px.
    static func venograms(_ courses: [String: [Vec3]], views: [CArmView]) -> [DetectorImage] {
        views.map { g in
            var px = [Float](repeating: 0, count: g.columns * g.rows)
            for curve in courses.values {
                for (a, b) in zip(curve, curve.dropFirst()) {
                    let n = max(1, Int((b - a).length / 0.3))
                    for k in 0..<n {
                        guard let q = g.projection.project(a + (b - a) * (Double(k) / Double(n))) else { continue }
                        let c0 = Int(q.column.rounded()), r0 = Int(q.row.rounded())
                        for r in max(0, r0 - 4)...min(g.rows - 1, r0 + 4) { for c in max(0, c0 - 4)...min(g.columns - 1, c0 + 4) {
                            let d2 = pow(Double(c) - q.column, 2) + pow(Double(r) - q.row, 2)
                            px[r * g.columns + c] = max(px[r * g.columns + c], Float(exp(-d2 / (2 * 1.5 * 1.5))))
                        } }
                    }
                }
            }
            return DetectorImage(columns: g.columns, rows: g.rows, pixels: px)
        }
    }

    @Test("veins 4 mm higher in the AV groove than the prior mean: the course fit moves the groove part of the way (MAP) and the pose within 2 mm, under 0.6 of the fixed courses' error")
    func grooveShiftRecovered() throws {
        let model = try Self.model()
        let truth = ModelLandmarks.CourseShift(grooveMm: 4)
        let geometries = [CArmView.lao40, CArmView.rao30]
        let images = Self.venograms(model.courses(truth), views: geometries)
        // Clicks on the true veins under the identity pose: the groove landmarks lie 4 mm further from the apex.
        let up = model.baseToApex * -truth.grooveMm
        let groove: Set<String> = ["coronarySinusOstium", "middleCardiacVeinOrigin", "anteriorInterventricularVeinOrigin"]
        let views: [FluoroView] = zip(geometries, images).map { g, image in
            var clicks: [String: DetectorPixel] = [:]
            for (name, p) in model.landmarksMm {
                let q = g.projection.project(groove.contains(name) ? p + up : p)!
                clicks[name] = DetectorPixel(column: q.column, row: q.row)
            }
            return FluoroView(geometry: g, venogram: image, lead: nil, clicks: clicks)
        }
        let points = (0..<12).flatMap { k in stride(from: 5.0, through: 55, by: 10).map { z in
            Vec3(30 * cos(radians(30 * Double(k))), 30 * sin(radians(30 * Double(k))), z) } }
        let lm = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: model.landmarksMm, views: views,
                                                                   landmarkWeights: model.landmarkWeights))
        let refinement = ImageRefinement()
        let fixedCurves = model.curvesMm.keys.sorted().flatMap { model.curvesMm[$0]! }
        let fixed = refinement.refine(initial: lm.fit.worldFromHeart, curvesMm: fixedCurves, venograms: images,
                                      projections: views.map(\.projection), clicks: lm.points)
        let free = refinement.refine(initial: lm.fit.worldFromHeart, model: model, maps: refinement.maps(venograms: images),
                                     projections: views.map(\.projection), clicks: lm.points)
        let eLandmarks = mtre(lm.fit.worldFromHeart, .identity, points)
        let eFixed = mtre(fixed.worldFromHeart, .identity, points), eFree = mtre(free.result.worldFromHeart, .identity, points)
        print("course fit: mTRE landmarks \(String(format: "%.2f", eLandmarks)), fixed courses \(String(format: "%.2f", eFixed)), free \(String(format: "%.2f", eFree)) mm; groove shift \(String(format: "%.2f", free.shift.grooveMm)) mm")
        // The prior cost pulls the fitted shift towards the prior mean (a MAP estimate), so only part of it is found.
        #expect(free.shift.grooveMm >= CourseShiftTolerance.grooveShiftFoundFraction * truth.grooveMm
                && free.shift.grooveMm <= truth.grooveMm + CourseShiftTolerance.grooveShiftBeyondMm, "groove shift \(free.shift.grooveMm)")
        #expect(eFree <= CourseShiftTolerance.mTREMm, "mTRE \(eFree) mm")
        #expect(eFree <= CourseShiftTolerance.fractionOfFixed * eFixed, "free \(eFree) vs fixed \(eFixed)")
    }
}

@Suite("Two breathing states in the two views (issue 15)")
struct ViewOffsetTests {
    /// The cranio-caudal offset between the views found within this (mm): the prior pulls it a little towards none.
    static let offsetToleranceMm = 1.0
    /// Per-view mTRE with the offset fitted, as a fraction of the single pose's mTRE against the same per-view truth.
    static let fractionOfSinglePose = 0.5

    @Test("the RAO venogram taken 5 mm further cranially than the LAO one (breathing): the refinement finds the offset within 1 mm and halves the per-view mTRE of a single pose")
    func offsetRecovered() throws {
        let model = try CourseShiftTests.model()
        let geometries = [CArmView.lao40, CArmView.rao30]
        let truePoses = [Affine3D.identity, Affine3D(linear: .identity, translation: Vec3(0, 0, 5))]
        let courses = model.courses(ModelLandmarks.CourseShift())
        let images = zip(geometries, truePoses).map { g, pose in
            CourseShiftTests.venograms(courses.mapValues { $0.map { pose.apply($0) } }, views: [g])[0]
        }
        let views: [FluoroView] = (0..<2).map { v in
            var clicks: [String: DetectorPixel] = [:]
            for (name, p) in model.landmarksMm {
                let q = geometries[v].projection.project(truePoses[v].apply(p))!
                clicks[name] = DetectorPixel(column: q.column, row: q.row)
            }
            return FluoroView(geometry: geometries[v], venogram: images[v], lead: nil, clicks: clicks)
        }
        let points = (0..<12).flatMap { k in stride(from: 5.0, through: 55, by: 10).map { z in
            Vec3(30 * cos(radians(30 * Double(k))), 30 * sin(radians(30 * Double(k))), z) } }
        let lm = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: model.landmarksMm, views: views,
                                                                   landmarkWeights: model.landmarkWeights))
        let curves = model.curvesMm.keys.sorted().flatMap { model.curvesMm[$0]! }
        var single = ImageRefinement.Settings()
        single.fitViewOffset = false
        let one = ImageRefinement(settings: single).refine(initial: lm.fit.worldFromHeart, curvesMm: curves, venograms: images,
                                                          projections: views.map(\.projection), clicks: lm.points)
        let two = ImageRefinement().refine(initial: lm.fit.worldFromHeart, curvesMm: curves, venograms: images,
                                          projections: views.map(\.projection), clicks: lm.points)
        let offsets = try #require(two.viewOffsetsMm)
        let found = offsets[1] - offsets[0]
        let eOne = (0..<2).map { mtre(one.worldFromHeart, truePoses[$0], points) }.reduce(0, +) / 2
        let eTwo = (0..<2).map { mtre(two.worldFromHeart(view: $0), truePoses[$0], points) }.reduce(0, +) / 2
        print("view offset: found \(found) (true (0, 0, 5)); per-view mTRE single pose \(String(format: "%.2f", eOne)), with offset \(String(format: "%.2f", eTwo)) mm")
        #expect(abs(found.z - 5) <= Self.offsetToleranceMm && abs(found.y) <= Self.offsetToleranceMm, "offset \(found)")
        #expect(eTwo <= Self.fractionOfSinglePose * eOne, "mTRE with offset \(eTwo), single pose \(eOne)")
    }
}

@Suite("Lead images at two breathing states (issue 15)")
struct LeadImagesOffsetTests {
    @Test("the RAO lead image taken with the heart 5 mm lower than in the LAO one: no match without an offset; over offsets of +-8 mm the match is found at 5 +- 1 mm with every electrode within 1 mm of its mid-breath place")
    func offsetSearchFindsTheLead() throws {
        let views = [CArmView.lao40, CArmView.rao30]
        // A quadripolar lead on the lateral wall, 10 mm gaps, and two distractor spots per view.
        let electrodes = (0..<4).map { k in Vec3(35 + 2 * Double(k), -10 + 4 * Double(k), 20 - 9 * Double(k)) }
        let heartIn = [Vec3(0, 0, 0), Vec3(0, 0, -5)]
        let candidates: [[DetectorPixel]] = (0..<2).map { v in
            (electrodes + [Vec3(-30, 10, 40), Vec3(-20, 30, -30)]).map { e in
                let q = views[v].projection.project(e + heartIn[v])!
                return DetectorPixel(column: q.column, row: q.row)
            }
        }
        let projections = views.map(\.projection)
        #expect(LeadTriangulation.match(candidates: candidates, projections: projections) == nil)
        let found = try #require(LeadTriangulation.matchOverOffsets(candidates: candidates, projections: projections,
                                                                    offsetsMm: Array(stride(from: -8.0, through: 8, by: 1)), offsetSDMm: 2.7))
        #expect(abs(found.offsetMm - 5) <= 1, "offset \(found.offsetMm)")
        // The triangulated electrodes lie at mid-breath: half the offset from either view's heart.
        let mid = electrodes.map { $0 + Vec3(0, 0, -2.5) }
        for p in found.match.worldMm {
            let nearest = mid.map { ($0 - p).length }.min()!
            #expect(nearest <= 1, "electrode \(p) is \(nearest) mm from its place")
        }
    }
}

/// Named tolerances of registration from the clicks a venogram shows (issue 15).
enum VisibleClickRegistrationTolerance {
    /// Noise-free visible clicks, exact model points and curves: mTRE (mm).
    static let noiseFreeMTREMm = 0.5
    /// The simulated clicks (2 px, 3 px for contrast start and ends) over 8 noise draws: median mTRE (mm), issue 15's
    /// 2-mm target.
    static let noisyMedianMTREMm = 2.0
}

/// An ideal-anatomy patient, full detector, whose operator clicks only what the venogram shows; the filling is
/// partial (70 % reach, 15-mm fade) but every tributary is filled.
enum VisibleClickCase {
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: """
        realism: ideal
        xray: {voxelMm: 4, visibleClicks: 1, fillReachMean: 0.7, fillFadeMm: 15, fillUnevenness: 0.15}
        """, file: "fluoro-visible-clicks.yaml")
    static let heart = HeartModel(spec: spec)
    static let truth = heart.groundTruth(phaseTimesMs: [0])
    static let simulated = XRaySimulator(heart: heart, truth: truth, seed: 3).simulate(includeVolume: false)
}

@Suite("Registration from visible clicks")
struct VisibleClickRegistrationTests {
    /// Exact model: the true landmark points; a contrast end slides along its true centreline, a lateral branch
    /// point along the true coronary sinus and great cardiac vein.
    func model() -> (points: [String: Vec3], curves: [String: [Vec3]]) {
        let sim = VisibleClickCase.simulated
        var curves: [String: [Vec3]] = [:]
        let groove = sim.veinCentrelines.filter { $0.name == "coronary sinus" || $0.name == "great cardiac vein" }.flatMap(\.pointsMm)
        for v in sim.veinCentrelines {
            guard let key = VisibleClickModel.key(ofVein: v.name) else { continue }
            curves[key + "ContrastEnd"] = v.pointsMm
            if v.name.hasPrefix("lateral") { curves[key + "Origin"] = groove }
        }
        var points = sim.landmarksMm
        for (name, c) in curves where points[name] == nil { points[name] = c[c.count / 2] }
        return (points, curves)
    }

    func views(clicks: (Int) -> [String: [Double]]) -> [FluoroView] {
        VisibleClickCase.simulated.views.enumerated().map { v, images in
            FluoroView(geometry: images.view, venogram: DetectorImage(columns: images.view.columns, rows: images.view.rows, pixels: images.venogram),
                       lead: nil, clicks: clicks(v).mapValues { DetectorPixel(column: $0[0], row: $0[1]) })
        }
    }

    @Test("without the apex: noise-free visible clicks recover the pose within 0.5 mm mTRE")
    func noiseFree() throws {
        let sim = VisibleClickCase.simulated
        #expect(sim.clicks.allSatisfy { $0.landmarks["lvApex"] == nil })
        #expect(sim.clicks.allSatisfy { $0.landmarks.keys.contains { $0.hasSuffix("ContrastEnd") } })
        let (points, curves) = model()
        let fit = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: points, views: views { sim.viewTruth[$0].landmarksPx },
                                                                   slidingCurvesMm: curves))
        let e = mtre(fit.fit.worldFromHeart, sim.worldFromPatient, lvPoints(VisibleClickCase.heart))
        print("visible clicks, noise-free: mTRE \(String(format: "%.3f", e)) mm from \(fit.points.count) clicks")
        #expect(e <= VisibleClickRegistrationTolerance.noiseFreeMTREMm, "mTRE \(e) mm")
    }

    @Test("without the apex: the simulated visible clicks (2-3 px) give a median mTRE within 2 mm over 8 draws")
    func noisy() throws {
        let sim = VisibleClickCase.simulated
        let (points, curves) = model()
        var errors: [Double] = []
        for k in 0..<8 {
            var rng = SeededRandom(seed: UInt64(k), label: "test.visible-clicks")
            let v = views { v in
                var out: [String: [Double]] = [:]
                for (name, q) in sim.viewTruth[v].landmarksPx.sorted(by: { $0.key < $1.key }) {
                    let sd = 2 * (name.hasSuffix("Origin") ? 1 : 1.5)
                    out[name] = [q[0] + sd * rng.normal(), q[1] + sd * rng.normal()]
                }
                return out
            }
            let fit = try #require(PoseEstimation.landmarkRegistration(modelLandmarksMm: points, views: v, slidingCurvesMm: curves))
            errors.append(mtre(fit.fit.worldFromHeart, sim.worldFromPatient, lvPoints(VisibleClickCase.heart)))
        }
        let median = 0.5 * (errors.sorted()[3] + errors.sorted()[4])
        print("visible clicks, 2-3 px noise: median mTRE \(String(format: "%.2f", median)) mm, max \(String(format: "%.2f", errors.max()!)) mm")
        #expect(median <= VisibleClickRegistrationTolerance.noisyMedianMTREMm, "mTRE \(errors)")
    }
}

@Suite("LV contour on the venogram")
struct HeartBorderTests {
    /// An ellipsoid (semi-axes 35, 35, 50 mm along world x, y, z; centre at the isocentre) of attenuation 0.02 / mm in
    /// front of nothing, rendered exactly in one view as -ln(I/I0) (chord length times mu), blurred by the imaging
    /// chain and with a small noise, and
    /// its surface points (rings of 36 every 5 mm, the lower half counting as apical).
    static func scene(_ view: CArmView) -> (image: DetectorImage, points: [Vec3], apical: [Bool]) {
        let axes = Vec3(35, 35, 50)
        let source = view.sourceMm
        var rng = SeededRandom(seed: 1, label: "test.heartBorder.noise")
        var pixels = [Float](repeating: 0, count: view.rows * view.columns)
        for r in 0..<view.rows { for c in 0..<view.columns {
            let d = (view.pixelPositionMm(column: Double(c), row: Double(r)) - source).normalized
            // |(s + t d) / axes|^2 = 1: a t^2 + 2 b t + k = 0.
            let sd = Vec3(source.x / axes.x, source.y / axes.y, source.z / axes.z), dd = Vec3(d.x / axes.x, d.y / axes.y, d.z / axes.z)
            let a = dd.dot(dd), b = sd.dot(dd), k = sd.dot(sd) - 1
            let disc = b * b - a * k
            let chord = disc > 0 ? 2 * disc.squareRoot() / a : 0
            pixels[r * view.columns + c] = Float(0.02 * chord)
        } }
        // A blur of the imaging chain (focal spot, detector: SD 1 px), then the noise.
        pixels = Vesselness.smooth(DetectorImage(columns: view.columns, rows: view.rows, pixels: pixels), sigma: 1).pixels
        for i in pixels.indices { pixels[i] += Float(0.005 * rng.normal()) }
        var points: [Vec3] = [], apical: [Bool] = []
        for z in stride(from: -50.0, through: 50, by: 5) {
            let radius = (max(0, 1 - z * z / 2500)).squareRoot()
            for k in 0..<36 {
                let t = radians(Double(k) * 10)
                points.append(Vec3(35 * radius * cos(t), 35 * radius * sin(t), z)); apical.append(z < 0)
            }
        }
        return (DetectorImage(columns: view.columns, rows: view.rows, pixels: pixels), points, apical)
    }

    @Test("the border score peaks at the true pose of a blurred silhouette: shifts along the image's row and column directions found within 0.5 mm (about a pixel at the isocentre)")
    func peaksAtTruth() {
        let view = CArmView.lao40
        let (image, points, apical) = Self.scene(view)
        var settings = HeartBorder.Settings()
        settings.outsideEpicardiumMm = 0   // the ellipsoid's surface is the border
        let mmPerPixel = 0.5 * (view.pixelSpacingMm[0] + view.pixelSpacingMm[1]) / view.isocentreMagnification
        let blank = DetectorImage(columns: view.columns, rows: view.rows, pixels: [Float](repeating: 0, count: image.pixels.count))
        let map = HeartBorder.edgeMap(venogram: image, vesselness: blank, sigmaPx: settings.fineSigmaPx, mmPerPixel: mmPerPixel, settings: settings)
        func bestShift(_ direction: Vec3) -> (shift: Double, score: Double, atTruth: Double) {
            var best = (shift: 0.0, score: -Double.infinity), atTruth = 0.0
            for s in stride(from: -3.0, through: 3.0, by: 0.1) {
                let pose = Affine3D(linear: .identity, translation: direction * s)
                let score = HeartBorder.score(points: points, apicalOf: apical, pose: pose, projections: [view.projection],
                                              maps: [map], sampleSpacingPx: settings.sampleSpacingPx)
                if abs(s) < 0.05 { atTruth = score }
                if score > best.score { best = (s, score) }
            }
            return (best.shift, best.score, atTruth)
        }
        // The lower (apical) half's outline: a shift along the row direction moves it across the border.
        let down = bestShift(view.rowDirection), side = bestShift(view.columnDirection)
        let far = HeartBorder.score(points: points, apicalOf: apical, pose: Affine3D(linear: .identity, translation: view.rowDirection * 5),
                                    projections: [view.projection], maps: [map], sampleSpacingPx: settings.sampleSpacingPx)
        print("LV contour: best shift down \(down.shift) mm, sideways \(side.shift) mm; score at the truth \(down.atTruth), 5 mm down \(far)")
        #expect(abs(down.shift) <= 0.5 && abs(side.shift) <= 0.5)
        #expect(far < 0.5 * down.atTruth, "an outline 5 mm off the border must score well below the truth")
    }
}

@Suite("Lead images at another cardiac phase (issue 15)")
struct CardiacDeformationTests {
    /// Exact inverse of a known deformation (mm): triangulation of noise-free pixels.
    static let recoveryToleranceMm = 1e-3

    /// A heart 90 mm long along +z from an apex at the origin, 150 -> 60 mL with the base descending 12 mm.
    static let deformation = CardiacDeformation(apexMm: .zero, axis: Vec3(0, 0, 1), lengthMm: 90, timesMs: [0, 100, 200, 300, 400, 500, 600, 700],
                                                volumesMl: [150, 120, 75, 60, 80, 120, 140, 148], edvMl: 150, esvMl: 60,
                                                descentMm: 12, myocardiumMl: 120, rrIntervalMs: 800)

    @Test("at end-diastole nothing moves; at end-systole heights shrink by the descent and the section by the volume the wall keeps")
    func scales() {
        let d = Self.deformation
        let ed = d.scales(atMs: 0)
        #expect(abs(ed.longitudinal - 1) < 1e-12 && abs(ed.radial - 1) < 1e-12)
        let es = d.scales(atMs: 300)
        #expect(abs(es.longitudinal - 78.0 / 90) < 1e-12)
        #expect(abs(es.radial - (((60.0 + 120) / 78) / ((150.0 + 120) / 90)).squareRoot()) < 1e-12)
        // Periodic: one R-R later is the same instant.
        #expect(abs(d.volumeMl(atMs: 850) - d.volumeMl(atMs: 50)) < 1e-12)
    }

    @Test("the deformation is affine: its transform moves points as atTime does, and is the identity at end-diastole")
    func affine() {
        let d = Self.deformation
        let x = Vec3(28, -10, 55)
        for t in [0.0, 150, 300, 610] {
            let m = d.transform(atMs: t)
            let (l, r) = d.scales(atMs: t)
            // Heights above the apex scale by l, distances from the axis by r (axis along z, apex at the origin).
            let expected = Vec3(x.x * r, x.y * r, x.z * l)
            #expect((m.apply(x) - expected).length < 1e-9, "t \(t): \(m.apply(x)) vs \(expected)")
        }
    }

    @Test("a wall point seen in two views at two other instants, under a registered pose, triangulates to its end-diastolic place through the deformed projections")
    func recovery() throws {
        let d = Self.deformation
        let lao = CArmView(name: "LAO40", primaryAngleDeg: 40, secondaryAngleDeg: 0, sourceToDetectorMm: 1100, sourceToPatientMm: 800,
                           rows: 512, columns: 512, pixelSpacingMm: [0.6, 0.6])
        let rao = CArmView(name: "RAO30", primaryAngleDeg: -30, secondaryAngleDeg: 0, sourceToDetectorMm: 1100, sourceToPatientMm: 800,
                           rows: 512, columns: 512, pixelSpacingMm: [0.6, 0.6])
        // A pose that is not the identity: turned 20 degrees about x and moved, as a registration gives.
        let c = cos(radians(20.0)), s = sin(radians(20.0))
        let worldFromHeart = Affine3D(linear: Mat3(rows: Vec3(1, 0, 0), Vec3(0, c, -s), Vec3(0, s, c)), translation: Vec3(5, -12, 30))
        let truthED = Vec3(28, -10, 80)  // near the base, where the wall moves most
        let times = [280.0, 610.0]
        let seen = zip([lao, rao], times).map { view, t -> (ProjectionMatrix, column: Double, row: Double) in
            let q = view.projection.project(worldFromHeart.apply(d.atTime(truthED, ms: t)))!
            return (d.projection(view.projection, worldFromHeart: worldFromHeart, atMs: t)!, q.column, q.row)
        }
        let found = try #require(triangulate(seen))
        let foundHeart = worldFromHeart.inverse!.apply(found)
        #expect((foundHeart - truthED).length < Self.recoveryToleranceMm, "\(foundHeart) vs \(truthED)")
        // The plain projections put it between its places at the two instants (there 11 and 1 mm from its ED
        // place): several millimetres off.
        let plain = try #require(triangulate(zip([lao, rao], seen).map { ($0.projection, $1.column, $1.row) }))
        #expect((worldFromHeart.inverse!.apply(plain) - truthED).length > 3)
    }
}

@Suite("Lead image alignment on the heart's border (issue 15)")
struct LeadImageAlignmentTests {
    /// About a pixel at the isocentre; the search's last step is half a pixel.
    static let toleranceMm = 0.5
    /// With the default prior on the shift, which pulls it towards none (`priorSDMm`, `priorWeight`).
    static let withPriorToleranceMm = 1.0

    @Test("a model outline 3 mm off along the image rows and 2 mm along the columns is moved back onto the blurred silhouette's border (within 0.5 mm without the shift's prior, 1 mm with it)")
    func recoversShift() {
        let view = CArmView.lao40
        let (image, points, apical) = HeartBorderTests.scene(view)
        var border = HeartBorder.Settings()
        border.outsideEpicardiumMm = 0   // the ellipsoid's surface is the border
        let mmPerPixel = 0.5 * (view.pixelSpacingMm[0] + view.pixelSpacingMm[1]) / view.isocentreMagnification
        let offsetMm = view.rowDirection * 3 - view.columnDirection * 2
        // No devices in this image: nothing to mask.
        let blank = DetectorImage(columns: view.columns, rows: view.rows, pixels: [Float](repeating: 0, count: image.pixels.count))
        var unbiased = LeadImageAlignment.Settings()
        unbiased.priorWeight = 0
        for (settings, tolerance) in [(unbiased, Self.toleranceMm), (LeadImageAlignment.Settings(), Self.withPriorToleranceMm)] {
            let found = LeadImageAlignment.shift(image: image, vesselness: blank, projection: view.projection, pointsMm: points.map { $0 - offsetMm },
                                                 apical: apical, mmPerPixel: mmPerPixel, border: border, settings: settings)
            print("lead image alignment (prior weight \(settings.priorWeight)): found \(found)")
            // The outline must move by +3 mm along the rows and -2 mm along the columns (in pixels at the isocentre).
            #expect(abs(found.rowPx * mmPerPixel - 3) <= tolerance, "row shift \(found.rowPx * mmPerPixel) mm")
            #expect(abs(found.columnPx * mmPerPixel + 2) <= tolerance, "column shift \(found.columnPx * mmPerPixel) mm")
            #expect(found.gain > 0)
        }
        // Shifted projection: a point's pixel moves by exactly the shift.
        let p = LeadImageAlignment.shifted(view.projection, columnPx: 4, rowPx: -3)
        let a = view.projection.project(Vec3(10, 20, 30))!, b = p.project(Vec3(10, 20, 30))!
        #expect(abs(b.column - a.column - 4) < 1e-9 && abs(b.row - a.row + 3) < 1e-9)
    }
}
