import CRTCore
import Foundation
import SegmentModel
import SurfaceMesh

/// Where the coronary veins lie on the LV relative to the pipeline's own model: the coronary sinus and great
/// cardiac vein in the atrioventricular groove above the base plane, the anterior interventricular vein (AIV) in the
/// anterior interventricular groove (the anterior RV insertion), the middle cardiac vein (MCV) in the posterior
/// interventricular groove (the inferior RV insertion), both descending towards the apex on the epicardium.
///
/// Every value is a prior from the anatomical literature, a mean with a spread (SD) between patients, never the
/// generator's constants (docs/fluoroscopy.md, "Pipeline priors", gives each source). The spreads weight the
/// landmarks in the registration (`landmarkSDMm`, `ModelLandmarks.landmarkWeights`): a landmark whose place on the
/// model is uncertain counts less.
public struct GrooveAnatomy: Codable, Sendable, Equatable {
    /// Height of the AV groove (coronary sinus) above the base plane (mm, towards the atria), and its SD.
    public var avGrooveAboveBaseMm = 6.0
    public var avGrooveAboveBaseSDMm = 3.0
    /// Height of the AIV origin (end of the great cardiac vein) above the base plane (mm), and its SD.
    public var aivOriginAboveBaseMm = 8.0
    public var aivOriginAboveBaseSDMm = 4.0
    /// Where the AIV ends: this fraction of the cavity length from the base towards the endocardial apex, and its SD.
    public var aivEndFraction = 0.9
    public var aivEndFractionSD = 0.1
    /// Segment angle of the AIV end (degrees; 360 = the anterior interventricular groove), and its SD.
    public var aivEndAngleDeg = 360.0
    public var aivEndAngleSDDeg = 8.0
    /// The MCV ends this much (mm) before the AIV end height, and its SD.
    public var mcvEndShortOfAivMm = 0.0
    public var mcvEndShortOfAivSDMm = 10.0
    /// Angle of the coronary sinus ostium and of the MCV origin from the inferior RV insertion (degrees, segment
    /// angle convention: positive away from the septum), and their SDs.
    public var ostiumAngleFromInferiorDeg = -10.0
    public var ostiumAngleSDDeg = 10.0
    public var mcvOriginAngleFromInferiorDeg = 0.0
    public var mcvOriginAngleSDDeg = 8.0
    /// Angular span of the septum between the RV insertions (degrees), used when the LV model gives no inferior
    /// insertion point (AHA: two 60-degree septal sectors).
    public var septalSpanDeg = 120.0
    /// Vein centre outside the epicardium (mm): vein radius plus the fat between vein and myocardium. Coronary sinus
    /// ostium (diameter about 8-10 mm), proximal AIV / MCV (about 4-5 mm), distal AIV / MCV (about 2 mm); one SD for all.
    public var ostiumOutsideEpicardiumMm = 5.0
    public var proximalVeinOutsideEpicardiumMm = 3.0
    public var distalVeinOutsideEpicardiumMm = 2.0
    public var outsideEpicardiumSDMm = 1.5
    /// SD of the model's epicardial apex (mm): the apex lies between short-axis slices 8-10 mm apart.
    public var apexSDMm = 3.0
    /// Angle (segment convention) where the coronary sinus becomes the great cardiac vein on the lateral wall
    /// (degrees); the AV groove rises from `avGrooveAboveBaseMm` to `aivOriginAboveBaseMm` beyond it.
    public var greatCardiacVeinStartDeg = 220.0
    /// Where the contrast column of a balloon-occluded venogram starts (the balloon's distal end): this far along the
    /// coronary sinus from the ostium (mm), and its SD. The occlusion balloon sits in the proximal sinus, its
    /// inflated length about 10 mm (assumption from the catheters' specifications; docs/fluoroscopy.md).
    public var contrastStartAlongSinusMm = 15.0
    public var contrastStartAlongSinusSDMm = 5.0
    /// Segment angles (degrees) between which lateral and posterolateral tributaries leave the coronary sinus /
    /// great cardiac vein: the inferolateral to anterolateral wall (a branch point clicked there slides along
    /// this part of the AV groove).
    /// Use lateral branch points as sliding landmarks along the lateral AV groove (on `Scenarios/vein-anatomy.yaml`
    /// on and off gave the same median mTRE, docs/fluoroscopy.md).
    public var useLateralBranchOrigins = true
    public var lateralBranchOriginMinDeg = 150.0
    public var lateralBranchOriginMaxDeg = 300.0
    /// A vein end where the contrast fades may lie anywhere between the vein's origin and its anatomical end: the
    /// AIV / MCV end slides along the course extended this many SDs of `aivEndFractionSD` beyond the prior end
    /// (capped at the apex).
    public var contrastEndBeyondSD = 2.0
    /// The SD of a click (mm at the heart) against which a landmark's prior SD is weighed:
    /// weight = clickSD^2 / (clickSD^2 + priorSD^2). 2 px at about 0.45 mm per pixel at the isocentre.
    public var clickSDMm = 1.0
    public init() {}
}

/// 3D landmarks and vein courses (CMR patient LPS mm) derived from the pipeline's LV model alone, named as the
/// operator's clicks are named (`lvApex`, `coronarySinusOstium`, `middleCardiacVeinOrigin` / `End`,
/// `anteriorInterventricularVeinOrigin` / `End`).
///
/// Method: each contour slice's anterior RV insertion is recovered from its rays' 36-segment ids (every change of
/// id is a 30-degree boundary of known segment angle; their circular mean gives the ray angle of segment angle 0).
/// A groove point at segment angle a and height H below the base plane is the epicardial contour point at that
/// angle on the slices, interpolated linearly in height between slices, towards the epicardial apex beyond the
/// last slice and at the basal slice's radius above it (the AV groove), then moved outwards, away from the long
/// axis, by the vein's centre offset. Lateral branch origins are not modelled (their angles vary between
/// patients), so those clicks are not used.
public struct ModelLandmarks: Sendable {
    public var landmarksMm: [String: Vec3]
    /// Vein courses for image alignment, by name ("av groove", "anterior interventricular", "middle cardiac").
    public var curvesMm: [String: [Vec3]]
    /// Base-plane centre, base-to-apex unit vector, epicardial apex, cavity length (mm).
    public var baseCentreMm: Vec3
    public var baseToApex: Vec3
    public var epicardialApexMm: Vec3
    public var cavityLengthMm: Double
    /// The mitral annulus plane fitted in the long-axis cine (a point on it and its normal), which the AV groove
    /// follows; nil: the base plane through `baseCentreMm` perpendicular to `baseToApex`.
    public var annulusPlane: (centreMm: Vec3, normal: Vec3)?
    /// Segment angle of the inferior RV insertion, where the middle cardiac vein and coronary sinus ostium are
    /// placed (degrees): from the LV model's inferior insertion point, else `GrooveAnatomy.septalSpanDeg`.
    public var septalSpanDeg: Double
    /// Prior SD of each landmark's place on the model (mm), from `GrooveAnatomy`'s spreads.
    public var landmarkSDMm: [String: Double]

    /// Weight of each landmark's clicks in the registration: clickSD^2 / (clickSD^2 + priorSD^2).
    public var landmarkWeights: [String: Double] {
        let c2 = anatomy.clickSDMm * anatomy.clickSDMm
        return landmarkSDMm.mapValues { c2 / (c2 + $0 * $0) }
    }

    /// Landmarks the model knows only up to a curve (`PointCorrespondence.curveMm`): a vein end where the contrast
    /// fades slides along its vein's course, a lateral branch point along the lateral AV groove. Their entries in
    /// `landmarksMm` are nominal points on the curves (the closed-form start, the overlay).
    public var slidingCurvesMm: [String: [Vec3]] = [:]

    /// How much of each vein course the venograms show, from the operator's clicks (`restrictCourses`): the fraction
    /// of the AIV / MCV course from its origin to where the contrast ends ("anterior interventricular",
    /// "middle cardiac"; 0: not opacified, the course is dropped), and the arc length of the AV groove course
    /// before the contrast column starts at the balloon (mm). Empty / 0: the whole courses (clicks of every
    /// landmark, as before the visible-click model).
    public var courseFractions: [String: Double] = [:]
    public var grooveStartMm = 0.0

    /// The landmark names the pipeline can place.
    public static let names = ["lvApex", "coronarySinusOstium", "coronarySinusContrastStart", "middleCardiacVeinOrigin", "middleCardiacVeinEnd",
                               "middleCardiacVeinContrastEnd", "anteriorInterventricularVeinOrigin", "anteriorInterventricularVeinEnd",
                               "anteriorInterventricularVeinContrastEnd", "lateralBranch1Origin", "lateralBranch2Origin", "lateralBranch3Origin"]

    struct Ring { var height: Double; var centre: Vec3; var u: Vec3; var v: Vec3; var epi: [Double]; var anteriorRad: Double }

    let rings: [Ring]
    let anatomy: GrooveAnatomy

    /// - Parameters:
    ///   - contours: the end-diastolic contour stack (`GuidancePipeline.Output.contoursED`).
    ///   - baseCentreMm: centre of the base plane (`lvAxis["baseCentreMm"]`).
    ///   - inferiorInsertionMm: the inferior RV insertion point (`rvInsertionPointsMm["inferior"]`), which places the
    ///     posterior interventricular groove; nil: `anatomy.septalSpanDeg` from the anterior insertion.
    ///   - annulusPlane: the mitral annulus plane at end-diastole fitted in the long-axis cine (`mitralAnnulus`):
    ///     the AV groove then follows it, so the groove landmarks and courses sit at their prior height above the
    ///     annulus at their own angle; nil: the base plane through `baseCentreMm` perpendicular to the long axis.
    ///     Heights along the axis (segments, the AIV and MCV ends) stay measured from `baseCentreMm`.
    ///   - anatomy: vein course defaults.
    /// - Throws: `InputError` when no slice carries segment ids (no RV insertion known).
    public init(contours: WallContourStack, baseCentreMm: Vec3, inferiorInsertionMm: Vec3? = nil,
                annulusPlane: (centreMm: Vec3, normal: Vec3)? = nil, anatomy: GrooveAnatomy = GrooveAnatomy()) throws {
        self.anatomy = anatomy
        self.annulusPlane = annulusPlane
        let axis = contours.baseToApex.normalized
        self.baseToApex = axis
        self.baseCentreMm = baseCentreMm
        self.epicardialApexMm = contours.epicardialApexMm
        cavityLengthMm = (contours.endocardialApexMm - baseCentreMm).dot(axis)
        var rings: [Ring] = []
        for s in contours.slices {
            // The exact insertion angle when the contours carry it; else the mean of the segment boundaries, which
            // the ray ids place only to within half a ray (1.5 degrees on 120 rays, the same for all twelve).
            guard let anterior = s.segmentZeroAngleDegrees.map(radians) ?? Self.insertionFromSegmentIds(s) else { continue }
            rings.append(Ring(height: (s.centreMm - baseCentreMm).dot(axis), centre: s.centreMm, u: s.axisU, v: s.axisV,
                              epi: s.epiRadiiMm, anteriorRad: anterior))
        }
        guard !rings.isEmpty else {
            throw InputError("LV model: no slice has 36-segment ids, so the interventricular grooves cannot be placed")
        }
        self.rings = rings.sorted { $0.height < $1.height }
        landmarksMm = [:]
        curvesMm = [:]
        landmarkSDMm = [:]
        septalSpanDeg = anatomy.septalSpanDeg
        if let p = inferiorInsertionMm {
            septalSpanDeg = wrapDegrees(segmentAngleDegrees(of: p))
        }
        let a = anatomy, inferior = septalSpanDeg
        let aivEnd = a.aivEndFraction * cavityLengthMm
        landmarksMm["lvApex"] = contours.epicardialApexMm
        let ostium = inferior + a.ostiumAngleFromInferiorDeg, mcvOrigin = inferior + a.mcvOriginAngleFromInferiorDeg
        landmarksMm["coronarySinusOstium"] = groovePoint(angleDeg: ostium, heightMm: baseOffsetMm(angleDeg: ostium) - a.avGrooveAboveBaseMm, outsideMm: a.ostiumOutsideEpicardiumMm)
        landmarksMm["middleCardiacVeinOrigin"] = groovePoint(angleDeg: mcvOrigin, heightMm: baseOffsetMm(angleDeg: mcvOrigin) - a.avGrooveAboveBaseMm, outsideMm: a.proximalVeinOutsideEpicardiumMm)
        landmarksMm["middleCardiacVeinEnd"] = groovePoint(angleDeg: inferior, heightMm: aivEnd - a.mcvEndShortOfAivMm, outsideMm: a.distalVeinOutsideEpicardiumMm)
        landmarksMm["anteriorInterventricularVeinOrigin"] = groovePoint(angleDeg: 0, heightMm: baseOffsetMm(angleDeg: 0) - a.aivOriginAboveBaseMm, outsideMm: a.proximalVeinOutsideEpicardiumMm)
        landmarksMm["anteriorInterventricularVeinEnd"] = groovePoint(angleDeg: a.aivEndAngleDeg, heightMm: aivEnd, outsideMm: a.distalVeinOutsideEpicardiumMm)

        // Prior SDs: angle SD times the basal epicardial radius, height SD, offset SD, in quadrature.
        let basalRadius = self.rings.first!.epi.reduce(0, +) / Double(max(self.rings.first!.epi.count, 1))
        func sd(angleDeg: Double, heightMm: Double) -> Double {
            let along = radians(angleDeg) * basalRadius
            return (along * along + heightMm * heightMm + a.outsideEpicardiumSDMm * a.outsideEpicardiumSDMm).squareRoot()
        }
        let aivEndSD = a.aivEndFractionSD * cavityLengthMm
        landmarkSDMm["lvApex"] = a.apexSDMm
        landmarkSDMm["coronarySinusOstium"] = sd(angleDeg: a.ostiumAngleSDDeg, heightMm: a.avGrooveAboveBaseSDMm)
        landmarkSDMm["middleCardiacVeinOrigin"] = sd(angleDeg: a.mcvOriginAngleSDDeg, heightMm: a.avGrooveAboveBaseSDMm)
        landmarkSDMm["middleCardiacVeinEnd"] = sd(angleDeg: a.mcvOriginAngleSDDeg, heightMm: (aivEndSD * aivEndSD + a.mcvEndShortOfAivSDMm * a.mcvEndShortOfAivSDMm).squareRoot())
        landmarkSDMm["anteriorInterventricularVeinOrigin"] = sd(angleDeg: 0, heightMm: a.aivOriginAboveBaseSDMm)
        landmarkSDMm["anteriorInterventricularVeinEnd"] = sd(angleDeg: a.aivEndAngleSDDeg, heightMm: aivEndSD)

        curvesMm = courses(CourseShift())

        // Landmarks of a venogram that shows only what is opacified (docs/fluoroscopy.md, "Click model").
        let groove = curvesMm["av groove"]!
        landmarksMm["coronarySinusContrastStart"] = ModelLandmarks.point(along: groove, arcMm: a.contrastStartAlongSinusMm)
        landmarkSDMm["coronarySinusContrastStart"] = (pow(landmarkSDMm["coronarySinusOstium"]!, 2) + pow(a.contrastStartAlongSinusSDMm, 2)).squareRoot()
        let endHeight = min(a.aivEndFraction + a.contrastEndBeyondSD * a.aivEndFractionSD, 1) * cavityLengthMm
        let beyond = (endHeight - aivEnd) / max(aivEnd - (baseOffsetMm(angleDeg: 0) - a.aivOriginAboveBaseMm), 1)
        func line(_ n: Int, _ f: (Double) -> Vec3) -> [Vec3] { (0...n).map { f(Double($0) / Double(n)) } }
        let aivCurve = line(30) { t in
            groovePoint(angleDeg: lerp(360, a.aivEndAngleDeg, min(t * (1 + beyond), 1)),
                        heightMm: lerp(baseOffsetMm(angleDeg: 0) - a.aivOriginAboveBaseMm, endHeight, t),
                        outsideMm: lerp(a.proximalVeinOutsideEpicardiumMm, a.distalVeinOutsideEpicardiumMm, t))
        }
        let mcvStartHeight = baseOffsetMm(angleDeg: mcvOrigin) - a.avGrooveAboveBaseMm
        let mcvCurve = line(30) { t in
            groovePoint(angleDeg: inferior + a.mcvOriginAngleFromInferiorDeg * (1 - t),
                        heightMm: lerp(mcvStartHeight, endHeight - a.mcvEndShortOfAivMm, t),
                        outsideMm: lerp(a.proximalVeinOutsideEpicardiumMm, a.distalVeinOutsideEpicardiumMm, t))
        }
        slidingCurvesMm["anteriorInterventricularVeinContrastEnd"] = aivCurve
        slidingCurvesMm["middleCardiacVeinContrastEnd"] = mcvCurve
        landmarksMm["anteriorInterventricularVeinContrastEnd"] = aivCurve[24]
        landmarksMm["middleCardiacVeinContrastEnd"] = mcvCurve[24]
        landmarkSDMm["anteriorInterventricularVeinContrastEnd"] = sd(angleDeg: a.aivEndAngleSDDeg, heightMm: 0)
        landmarkSDMm["middleCardiacVeinContrastEnd"] = sd(angleDeg: a.mcvOriginAngleSDDeg, heightMm: 0)
        let lateral = line(30) { t in
            let angle = lerp(a.lateralBranchOriginMinDeg, a.lateralBranchOriginMaxDeg, t)
            let rise = max(0, (angle - a.greatCardiacVeinStartDeg) / (360 - a.greatCardiacVeinStartDeg))
            return groovePoint(angleDeg: angle, heightMm: baseOffsetMm(angleDeg: angle) - lerp(a.avGrooveAboveBaseMm, a.aivOriginAboveBaseMm, rise),
                               outsideMm: a.proximalVeinOutsideEpicardiumMm)
        }
        for k in 1...3 where a.useLateralBranchOrigins {
            slidingCurvesMm["lateralBranch\(k)Origin"] = lateral
            // Nominal points spread in the branches' order along the sinus (quarter points of the range).
            landmarksMm["lateralBranch\(k)Origin"] = lateral[[8, 15, 22][k - 1]]
            landmarkSDMm["lateralBranch\(k)Origin"] = sd(angleDeg: 0, heightMm: a.avGrooveAboveBaseSDMm)
        }
    }

    /// The point at arc length `arcMm` along a polyline (clamped to its ends).
    static func point(along curve: [Vec3], arcMm: Double) -> Vec3 {
        var remaining = arcMm
        for k in 1..<curve.count {
            let d = (curve[k] - curve[k - 1]).length
            if remaining <= d { return curve[k - 1] + (curve[k] - curve[k - 1]) * (remaining / max(d, 1e-12)) }
            remaining -= d
        }
        return curve.last!
    }

    /// A departure of the vein courses from the prior means, as the vessel refinement may fit it: the AV groove (and
    /// the great cardiac vein) higher by `grooveMm`, the AIV and the MCV turned by `aivDeg` and `mcvDeg`.
    public struct CourseShift: Sendable, Equatable {
        public var grooveMm = 0.0, aivDeg = 0.0, mcvDeg = 0.0
        public init(grooveMm: Double = 0, aivDeg: Double = 0, mcvDeg: Double = 0) {
            self.grooveMm = grooveMm; self.aivDeg = aivDeg; self.mcvDeg = mcvDeg
        }
        /// Prior cost of the shift: half the sum of squared shifts in units of the priors' SDs.
        public func priorCost(_ a: GrooveAnatomy) -> Double {
            0.5 * (pow(grooveMm / a.avGrooveAboveBaseSDMm, 2) + pow(aivDeg / a.aivEndAngleSDDeg, 2) + pow(mcvDeg / a.mcvOriginAngleSDDeg, 2))
        }
    }

    /// The vein courses ("av groove", "anterior interventricular", "middle cardiac") at the prior means moved by
    /// `shift` (patient mm).
    public func courses(_ shift: CourseShift) -> [String: [Vec3]] {
        let a = anatomy, inferior = septalSpanDeg
        let aivEnd = a.aivEndFraction * cavityLengthMm
        let groove = a.avGrooveAboveBaseMm + shift.grooveMm, aivOrigin = a.aivOriginAboveBaseMm + shift.grooveMm
        func line(_ n: Int, _ f: (Double) -> Vec3) -> [Vec3] { (0...n).map { f(Double($0) / Double(n)) } }
        var out: [String: [Vec3]] = [:]
        let csStart = inferior + a.ostiumAngleFromInferiorDeg
        out["av groove"] = line(40) { t in
            let angle = lerp(csStart, 360, t)
            return groovePoint(angleDeg: angle, heightMm: baseOffsetMm(angleDeg: angle) - lerp(groove, aivOrigin, max(0, (angle - a.greatCardiacVeinStartDeg) / (360 - a.greatCardiacVeinStartDeg))),
                               outsideMm: lerp(a.ostiumOutsideEpicardiumMm, a.proximalVeinOutsideEpicardiumMm, t))
        }
        let fAIV = courseFractions["anterior interventricular"] ?? 1, fMCV = courseFractions["middle cardiac"] ?? 1
        out["anterior interventricular"] = line(20) { t0 in
            let t = t0 * fAIV
            return groovePoint(angleDeg: lerp(360, a.aivEndAngleDeg, t) + shift.aivDeg, heightMm: lerp(baseOffsetMm(angleDeg: 0) - aivOrigin, aivEnd, t),
                        outsideMm: lerp(a.proximalVeinOutsideEpicardiumMm, a.distalVeinOutsideEpicardiumMm, t))
        }
        out["middle cardiac"] = line(20) { t0 in
            let t = t0 * fMCV
            return groovePoint(angleDeg: inferior + a.mcvOriginAngleFromInferiorDeg * (1 - t) + shift.mcvDeg,
                        heightMm: lerp(baseOffsetMm(angleDeg: inferior + a.mcvOriginAngleFromInferiorDeg) - groove, aivEnd - a.mcvEndShortOfAivMm, t),
                        outsideMm: lerp(a.proximalVeinOutsideEpicardiumMm, a.distalVeinOutsideEpicardiumMm, t))
        }
        if fAIV <= 0 { out["anterior interventricular"] = nil }
        if fMCV <= 0 { out["middle cardiac"] = nil }
        if grooveStartMm > 0, let g = out["av groove"] {
            var arc = 0.0, k = 0
            while k + 1 < g.count && arc + (g[k + 1] - g[k]).length <= grooveStartMm { arc += (g[k + 1] - g[k]).length; k += 1 }
            out["av groove"] = Array(g[k...])
        }
        return out
    }

    /// Restricts the vein courses used by the vessel refinement to what the venograms show, as the operator's clicks
    /// tell it (`courseFractions`, `grooveStartMm`): only when the clicks are of the visible-click kind (a contrast
    /// start or a contrast end is clicked); then an AIV / MCV whose contrast end is clicked in no view is dropped, and
    /// one whose end is clicked keeps its course up to the point nearest the click under `pose` (mean over the
    /// views; beyond the prior end the whole course).
    public mutating func restrictCourses(clicks: [[String: DetectorPixel]], projections: [ProjectionMatrix], pose: Affine3D) {
        let visibleKind = clicks.contains { c in c.keys.contains { $0.hasSuffix("ContrastEnd") || $0 == "coronarySinusContrastStart" } }
        guard visibleKind else { return }
        let full = courses(CourseShift())
        for (course, end) in [("anterior interventricular", "anteriorInterventricularVeinContrastEnd"), ("middle cardiac", "middleCardiacVeinContrastEnd")] {
            guard let curve = full[course], curve.count >= 2 else { continue }
            var fractions: [Double] = []
            for (view, c) in clicks.enumerated() {
                guard let px = c[end], view < projections.count else { continue }
                var best = (d: Double.infinity, t: 1.0)
                for k in 1..<curve.count {
                    guard let a = projections[view].project(pose.apply(curve[k - 1])), let b = projections[view].project(pose.apply(curve[k])) else { continue }
                    let dx = b.column - a.column, dy = b.row - a.row, len2 = dx * dx + dy * dy
                    let u = len2 > 0 ? clamp(((px.column - a.column) * dx + (px.row - a.row) * dy) / len2, 0, 1) : 0
                    let ex = a.column + u * dx - px.column, ey = a.row + u * dy - px.row
                    let d = ex * ex + ey * ey
                    if d < best.d { best = (d, (Double(k - 1) + u) / Double(curve.count - 1)) }
                }
                fractions.append(best.t)
            }
            courseFractions[course] = fractions.isEmpty ? 0 : max(fractions.reduce(0, +) / Double(fractions.count), 0.05)
        }
        if clicks.contains(where: { $0["coronarySinusContrastStart"] != nil }) { grooveStartMm = anatomy.contrastStartAlongSinusMm }
        curvesMm = courses(CourseShift())
    }

    /// Where the annulus plane meets the basal epicardium at segment angle `angleDeg`: its height below the base
    /// centre along `baseToApex` (mm; negative: above). 0 without an annulus plane.
    public func baseOffsetMm(angleDeg: Double) -> Double {
        guard let plane = annulusPlane, let first = rings.first else { return 0 }
        let n = plane.normal.normalized
        let along = n.dot(baseToApex)
        guard abs(along) > 0.2 else { return 0 }   // a plane nearly along the axis is no base plane
        let (q, _) = ringPoint(first, angleDeg: angleDeg)
        // The point baseCentre + baseToApex h + radial lies in the plane: solve for h.
        let radial = q - baseCentreMm - baseToApex * (q - baseCentreMm).dot(baseToApex)
        return -((baseCentreMm - plane.centreMm).dot(n) + radial.dot(n)) / along
    }

    /// Ray angle (radians) of segment angle 0 on a slice, from the circular mean of its segment boundaries; nil when
    /// the slice has none.
    static func insertionFromSegmentIds(_ s: SliceContour) -> Double? {
        let n = s.rayCount
        var sx = 0.0, sy = 0.0
        for r in 0..<n {
            let a = s.segmentIds[r], b = s.segmentIds[(r + 1) % n]
            guard a > 0, b > 0, a != b else { continue }
            // Boundary between rays r and r + 1: the start angle of the higher-angle segment of the two.
            let ka = (a - 1) % 12, kb = (b - 1) % 12
            let upper = (ka + 1) % 12 == kb ? kb : ka
            let segmentAngle = 300.0 + 30.0 * Double(upper)
            let rayAngle = 360.0 * (Double(r) + 0.5) / Double(n)
            let offset = radians(rayAngle - segmentAngle)
            sx += cos(offset); sy += sin(offset)
        }
        return sx != 0 || sy != 0 ? atan2(sy, sx) : nil
    }

    /// The 36-segment of a point on or near the LV wall (CMR patient mm) in the model's own coordinates, as the
    /// segment model of DOMAIN.md section 2 assigns a lead's segment: the ring from the point's height fraction
    /// (`RingBoundaries.heightFraction`: base 0, from the annulus plane at the point's angle when the model has one
    /// and `fromLocalAnnulus`, endocardial apex 1, clamped into [0, 0.999]: above the base counts as basal, the cap
    /// as apical), as the CMR analysis assigns its wall points (`LVGeometry.ringFraction`), and the `rings`
    /// boundaries; the segment angle about the nearest contour slice's centre from its anterior insertion.
    public func segment(of p: Vec3, rings boundaries: RingBoundaries, fromLocalAnnulus: Bool = true) -> Segment36 {
        let h = (p - baseCentreMm).dot(baseToApex)
        let f = clamp(RingBoundaries.heightFraction(of: p, baseCentreMm: baseCentreMm, baseToApex: baseToApex,
                                                    cavityLengthMm: cavityLengthMm,
                                                    annulus: fromLocalAnnulus ? annulusPlane : nil), 0, 0.999)
        return Segment36.id(ring: boundaries.ring(forFraction: f) ?? 2, angleDegrees: segmentAngleDegrees(of: p, heightMm: h))
    }

    /// Segment angle (degrees, 0-360 from the anterior insertion) of a point about the nearest contour slice's centre.
    public func segmentAngleDegrees(of p: Vec3) -> Double {
        segmentAngleDegrees(of: p, heightMm: (p - baseCentreMm).dot(baseToApex))
    }

    /// `segmentAngleDegrees(of:)` for a point whose height below the base (mm along `baseToApex`) is known.
    private func segmentAngleDegrees(of p: Vec3, heightMm h: Double) -> Double {
        let g = rings.min { abs($0.height - h) < abs($1.height - h) }!
        let d = p - g.centre
        let theta = atan2(d.dot(g.v), d.dot(g.u))
        return wrapDegrees(degrees(theta - g.anteriorRad))
    }

    /// Epicardial point of one slice at a segment angle (degrees), and the outward unit direction there.
    func ringPoint(_ g: Ring, angleDeg: Double) -> (Vec3, Vec3) {
        let theta = g.anteriorRad + radians(angleDeg)
        let n = g.epi.count
        let x = wrapDegrees(degrees(theta)) / 360 * Double(n)
        let i0 = Int(x.rounded(.down)) % n, i1 = (i0 + 1) % n
        let w = x - x.rounded(.down)
        let r = lerp(g.epi[i0], g.epi[i1], w)
        let dir = g.u * cos(theta) + g.v * sin(theta)
        return (g.centre + dir * r, dir)
    }

    /// A point at segment angle `angleDeg`, `heightMm` below the base plane (negative: above it), `outsideMm`
    /// outside the epicardium (patient LPS mm).
    public func groovePoint(angleDeg: Double, heightMm h: Double, outsideMm: Double) -> Vec3 {
        let first = rings.first!, last = rings.last!
        let p: Vec3, out: Vec3
        if h <= first.height {
            let (q, d) = ringPoint(first, angleDeg: angleDeg)
            p = q + baseToApex * (h - first.height); out = d
        } else if h >= last.height {
            let (q, d) = ringPoint(last, angleDeg: angleDeg)
            let apexHeight = (epicardialApexMm - baseCentreMm).dot(baseToApex)
            let t = clamp((h - last.height) / max(apexHeight - last.height, 1e-6), 0, 1)
            p = q + (epicardialApexMm - q) * t; out = d
        } else {
            let k = rings.firstIndex { $0.height >= h }!
            let (qa, da) = ringPoint(rings[k - 1], angleDeg: angleDeg), (qb, db) = ringPoint(rings[k], angleDeg: angleDeg)
            let t = (h - rings[k - 1].height) / max(rings[k].height - rings[k - 1].height, 1e-6)
            p = qa + (qb - qa) * t; out = (da + (db - da) * t).normalized
        }
        let radial = (out - baseToApex * out.dot(baseToApex)).normalized
        return p + radial * outsideMm
    }
}

extension ModelLandmarks {
    /// Points of the model's epicardial surface (CMR patient mm) every `angleStepDeg` on each contour slice and on an
    /// ellipsoidal cap from the most apical slice to the epicardial apex, each with its height below the base as a
    /// fraction of the cavity length (the LV contour of `HeartBorder`).
    public func epicardialSurface(angleStepDeg: Double = 10) -> [(pointMm: Vec3, heightFraction: Double)] {
        var out: [(pointMm: Vec3, heightFraction: Double)] = []
        let steps = max(4, Int((360 / angleStepDeg).rounded()))
        let length = max(cavityLengthMm, 1e-6)
        for g in rings {
            for k in 0..<steps { out.append((ringPoint(g, angleDeg: Double(k) * 360 / Double(steps)).0, g.height / length)) }
        }
        guard let last = rings.last else { return out }
        let apexHeight = (epicardialApexMm - baseCentreMm).dot(baseToApex)
        for t in [0.35, 0.6, 0.8, 0.93] {
            // The cap's axis runs from the last slice's centre to the apex; radii shrink as on an ellipsoid.
            let centre = last.centre + (epicardialApexMm - last.centre) * t
            let shrink = (1 - t * t).squareRoot()
            for k in 0..<steps {
                let (q, _) = ringPoint(last, angleDeg: Double(k) * 360 / Double(steps))
                out.append((centre + (q - last.centre) * shrink, lerp(last.height, apexHeight, t) / length))
            }
        }
        out.append((epicardialApexMm, apexHeight / length))
        return out
    }
}
