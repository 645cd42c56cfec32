import CRTCore
import Foundation

/// Automatic refinement of the landmark pose on the venograms: the model's vein courses (AV groove, anterior and
/// posterior interventricular grooves, `ModelLandmarks.curvesMm`) are projected into both views and the pose is
/// moved to maximise the vesselness of the contrast-filled veins sampled along them and, with `border`, the fall of
/// the venogram across the LV's projected outline (`HeartBorder`), while the operator's clicks hold it near the
/// landmark solution.
///
/// Cost (minimised by Nelder-Mead over a rotation vector about the model centroid and a translation, plus the
/// course shift and the border offset when they are fitted):
/// `clickWeight * mean_i huber(r_i) / clickSigmaPx^2 - mean vesselness along the projected courses
/// - border weight * border score + prior costs of the course shift and the border offset`, the maps smoothed first
/// coarsely (wide capture) and then finely.
public struct ImageRefinement: Sendable {
    public struct Settings: Codable, Sendable, Equatable {
        public var vesselness = Vesselness.Settings()
        /// Smoothing of the vesselness map for the coarse and the fine pass (pixels).
        public var coarseSigmaPx = 6.0
        public var fineSigmaPx = 2.0
        /// Weight of the click term and the click noise it assumes (pixels).
        public var clickWeight = 0.02
        public var clickSigmaPx = 2.0
        public var huberDeltaPx = 3.0
        /// Initial simplex steps: rotation (degrees) and translation (mm).
        public var rotationStepDeg = 2.0
        public var translationStepMm = 2.0
        public var maxEvaluations = 600
        /// The vein courses may depart from the model's prior means (`refine(initial:model:...)`): weight of the
        /// departure's prior cost (half the squared shifts in SDs) against the mean vesselness (0-1), and the
        /// initial simplex steps of the groove height (mm) and the AIV / MCV angles (degrees).
        public var courseShiftWeight = 0.05
        public var courseShiftStepMm = 2.0
        public var courseShiftStepDeg = 4.0
        /// Two views taken one after the other on a single-plane C-arm catch the heart at two points of the
        /// breathing cycle: the refinement fits, with the shared pose, a world translation between the two views
        /// (anterior-posterior along world y, cranio-caudal along world z, the table's long axis), each view
        /// moved by half of it in opposite directions, at a cost of `viewOffsetWeight` times half its squared size
        /// in prior SDs. The SDs are those of the difference of the breathing displacement at two independent
        /// breathing phases: amplitude caudal 4.9 +/- 1.9 mm and anterior 1.3 +/- 1.8 mm (Shechter et al., IEEE
        /// TMI 2004;23:1046, X-ray angiograms of 10 patients), shaped cos^4 over the cycle (Lujan et al., Med
        /// Phys 1999;26:715): SD of cos^4 at a uniform phase sqrt(35/128 - 9/64) = 0.364, times sqrt(2) for a
        /// difference, times the amplitude's root mean square (5.26 and 2.22 mm): 2.7 and 1.1 mm
        /// (docs/fluoroscopy.md, "Two breathing states"). The weight: at 0.05 (`courseShiftWeight`'s) the prior
        /// shrank 6 mm offsets to under 3 mm on `standard`; 0.01 and 0.003 recovered them alike (residual RMS 1.3 of
        /// 3.0 mm cranio-caudal), and 0.01 keeps more of the prior's pull where the images say little.
        public var fitViewOffset = true
        public var viewOffsetSDAnteriorPosteriorMm = 1.1
        public var viewOffsetSDCranioCaudalMm = 2.7
        public var viewOffsetWeight = 0.01
        public var viewOffsetStepMm = 2.0
        public init() {}
    }

    public var settings: Settings
    /// The orientation prior of the landmark fit (`PoseEstimation.OrientationPrior`), weighed here as in that
    /// fit: like the click residuals of its pixel scale, inside the click term.
    public var orientationPrior: PoseEstimation.OrientationPrior?
    /// The LV contour term (`HeartBorder`), nil: vessels and clicks only.
    public var border: Border?
    public init(settings: Settings = Settings(), orientationPrior: PoseEstimation.OrientationPrior? = nil, border: Border? = nil) {
        self.settings = settings; self.orientationPrior = orientationPrior; self.border = border
    }

    /// The model's epicardial surface for the LV contour term, and each view's scale at the isocentre.
    public struct Border: Sendable {
        public var pointsMm: [Vec3]
        /// Whether each point lies apical of `HeartBorder.Settings.basalExclusionFraction`.
        public var apical: [Bool]
        /// Millimetres per pixel at the isocentre, per view (the border's offset outside the epicardium in pixels).
        public var mmPerPixel: [Double]
        public var settings: HeartBorder.Settings
        public init(pointsMm: [Vec3], apical: [Bool], mmPerPixel: [Double], settings: HeartBorder.Settings) {
            self.pointsMm = pointsMm; self.apical = apical; self.mmPerPixel = mmPerPixel; self.settings = settings
        }
    }

    public struct Result: Sendable {
        public var worldFromHeart: Affine3D
        /// Mean vesselness (fine map) along the projected courses before and after.
        public var vesselnessBefore: Double
        public var vesselnessAfter: Double
        /// Border score (`HeartBorder.score`, fine map) before and after; 0 without the border term.
        public var borderBefore: Double = 0
        public var borderAfter: Double = 0
        /// The image score the refinement maximised: vesselness plus the weighted border score (fine maps).
        public var imageScoreBefore: Double { vesselnessBefore + borderWeight * borderBefore }
        public var imageScoreAfter: Double { vesselnessAfter + borderWeight * borderAfter }
        var borderWeight: Double = 0
        /// The border's fitted offset outside the epicardium (mm; the prior mean when not fitted), nil without it.
        public var borderOffsetMm: Double? = nil
        /// Click reprojection residuals after refinement (pixels).
        public var clickResidualsPx: [Double]
        public var evaluations: Int
        /// Per view, the world translation (mm) that follows `worldFromHeart` in that view (`Settings.fitViewOffset`:
        /// the two breathing states); nil when not fitted.
        public var viewOffsetsMm: [Vec3]? = nil
        /// The pose in view `v`: `worldFromHeart`, then that view's offset.
        public func worldFromHeart(view v: Int) -> Affine3D {
            guard let o = viewOffsetsMm, v < o.count else { return worldFromHeart }
            return Affine3D(linear: .identity, translation: o[v]).composed(after: worldFromHeart)
        }
    }

    /// The image maps the cost samples, computed once per study (they depend on the venograms and the settings only,
    /// not on the pose): the normalised vesselness smoothed for the coarse and the fine pass, and with `border` the
    /// LV contour's edge maps for both passes.
    public struct Maps: Sendable {
        /// [pass][view]: vesselness smoothed with `coarseSigmaPx` (pass 0) and `fineSigmaPx` (pass 1), each map
        /// scaled to a maximum of 1.
        var vesselPasses: [[DetectorImage]]
        /// [pass][view]: the border's edge maps (empty without the border term).
        var borderPasses: [[HeartBorder.EdgeMap]]
    }

    /// The maps of `venograms` (one per view) for this refinement's settings and border.
    public func maps(venograms: [DetectorImage]) -> Maps {
        let vessel = venograms.map { Vesselness.frangi($0, settings: settings.vesselness) }
        let coarse = vessel.map { Vesselness.smooth($0, sigma: settings.coarseSigmaPx) }
        let fine = vessel.map { Vesselness.smooth($0, sigma: settings.fineSigmaPx) }
        // Normalise each smoothed map to a maximum of 1 so that both passes weigh the click term alike.
        func normalised(_ m: [DetectorImage]) -> [DetectorImage] {
            m.map { img in
                let mx = img.pixels.max() ?? 1
                return DetectorImage(columns: img.columns, rows: img.rows, pixels: img.pixels.map { $0 / max(mx, 1e-12) })
            }
        }
        // The LV contour's edge maps, coarse and fine, with the veins masked by the unsmoothed vesselness.
        let borderPasses: [[HeartBorder.EdgeMap]] = border.map { b in
            precondition(b.mmPerPixel.count == venograms.count, "one pixel size per view")
            return [b.settings.coarseSigmaPx, b.settings.fineSigmaPx].map { sigma in
                venograms.indices.map { v in
                    HeartBorder.edgeMap(venogram: venograms[v], vesselness: vessel[v], sigmaPx: sigma,
                                        mmPerPixel: b.mmPerPixel[v], settings: b.settings)
                }
            }
        } ?? []
        return Maps(vesselPasses: [normalised(coarse), normalised(fine)], borderPasses: borderPasses)
    }

    /// Mean of `map` sampled at the projected points (points outside a view count as 0).
    static func meanSample(_ maps: [DetectorImage], _ projections: [ProjectionMatrix], _ pointsMm: [Vec3], _ pose: Affine3D) -> Double {
        var s = 0.0, n = 0
        for (v, p) in projections.enumerated() {
            for x in pointsMm {
                n += 1
                if let q = p.project(pose.apply(x)) { s += Double(maps[v].sample(column: q.column, row: q.row)) }
            }
        }
        return n > 0 ? s / Double(n) : 0
    }

    /// Refines `initial` (`worldFromHeart`).
    /// - Parameters:
    ///   - curvesMm: model vein courses (CMR patient mm).
    ///   - venograms: one per view, in the order of `projections`.
    ///   - clicks: the landmark correspondences of the landmark registration.
    @inline(never)
    public func refine(initial: Affine3D, curvesMm: [Vec3], venograms: [DetectorImage], projections: [ProjectionMatrix],
                       clicks: [PointCorrespondence]) -> Result {
        refine(initial: initial, maps: maps(venograms: venograms), projections: projections, clicks: clicks, extraSteps: [],
               curves: { _ in curvesMm }, extraCost: { _ in 0 }).result
    }

    /// Refines `initial` together with a departure of the vein courses from the model's prior means
    /// (`ModelLandmarks.CourseShift`): the courses may move where the veins are, at a cost of `courseShiftWeight`
    /// times the shift's prior cost (in SDs), so that a patient whose veins lie off the textbook course does not
    /// drag the pose with them.
    /// - Returns: the result and the fitted shift.
    @inline(never)
    public func refine(initial: Affine3D, model: ModelLandmarks, maps: Maps, projections: [ProjectionMatrix],
                       clicks: [PointCorrespondence]) -> (result: Result, shift: ModelLandmarks.CourseShift) {
        func shift(_ e: [Double]) -> ModelLandmarks.CourseShift { ModelLandmarks.CourseShift(grooveMm: e[0], aivDeg: e[1], mcvDeg: e[2]) }
        func flat(_ c: [String: [Vec3]]) -> [Vec3] { c.keys.sorted().flatMap { c[$0]! } }
        let w = settings.courseShiftWeight
        let out = refine(initial: initial, maps: maps, projections: projections, clicks: clicks,
                         extraSteps: [settings.courseShiftStepMm, settings.courseShiftStepDeg, settings.courseShiftStepDeg],
                         curves: { flat(model.courses(shift($0))) }, extraCost: { w * shift($0).priorCost(model.anatomy) })
        return (out.result, shift(out.extra))
    }

    /// The two-pass Nelder-Mead over the pose (6) and `extraSteps.count` course parameters.
    func refine(initial: Affine3D, maps: Maps, projections: [ProjectionMatrix], clicks: [PointCorrespondence],
                extraSteps: [Double], curves: ([Double]) -> [Vec3], extraCost: ([Double]) -> Double) -> (result: Result, extra: [Double]) {
        let passes = maps.vesselPasses, borderPasses = maps.borderPasses
        func borderScore(_ pass: Int, _ p: Affine3D, offsetMm: Double = 0, projections: [ProjectionMatrix]) -> Double {
            guard let b = border, pass < borderPasses.count else { return 0 }
            return HeartBorder.score(points: b.pointsMm, apicalOf: b.apical, pose: p, projections: projections,
                                     maps: borderPasses[pass], sampleSpacingPx: b.settings.sampleSpacingPx, extraOffsetMm: offsetMm)
        }
        let borderWeight = border?.settings.weight ?? 0
        let s = settings
        // The border's offset outside the epicardium may depart from its prior mean at a prior cost (one parameter
        // after the course parameters).
        let fitOffset = border?.settings.fitOffset == true
        let offsetCost: (Double) -> Double = { e in
            guard let b = border?.settings else { return 0 }
            return b.offsetPriorWeight * 0.5 * pow(e / max(b.outsideEpicardiumSDMm, 1e-6), 2)
        }
        let nExtra = extraSteps.count
        // The two views' breathing offset: two parameters (world y, z) after the course parameters and the border
        // offset; view 0 moves by +half, view 1 by -half.
        let fitViews = s.fitViewOffset && projections.count == 2
        let viewIndex = 6 + nExtra + (fitOffset ? 1 : 0)
        func viewOffset(_ x: [Double]) -> Vec3 { Vec3(0, x[viewIndex], x[viewIndex + 1]) }
        func viewProjections(_ x: [Double]) -> [ProjectionMatrix] {
            fitViews ? BreathingOffset.projections(projections, offsetMm: viewOffset(x)) : projections
        }
        let viewCost: ([Double]) -> Double = { x in
            guard fitViews else { return 0 }
            return s.viewOffsetWeight * 0.5 * (pow(x[viewIndex] / s.viewOffsetSDAnteriorPosteriorMm, 2)
                                               + pow(x[viewIndex + 1] / s.viewOffsetSDCranioCaudalMm, 2))
        }
        let curvesMm = curves([Double](repeating: 0, count: nExtra))
        let centre = curvesMm.reduce(Vec3.zero, +) / Double(max(curvesMm.count, 1))
        func pose(_ x: [Double], _ base: Affine3D) -> Affine3D {
            let c = base.apply(centre)
            return PoseEstimation.perturbation([radians(x[0]), radians(x[1]), radians(x[2]), x[3], x[4], x[5]], centre: c).composed(after: base)
        }
        let prior = orientationPrior
        func clickCost(_ p: Affine3D, _ projections: [ProjectionMatrix]) -> Double {
            guard !clicks.isEmpty else { return 0 }
            let r = PoseEstimation.pixelErrors(PoseEstimation.residuals(p, clicks, projections))
            let d = s.huberDeltaPx
            let h = r.map { $0 <= d ? 0.5 * $0 * $0 : d * ($0 - 0.5 * d) }
            let orientation = prior?.residuals(p).reduce(0) { $0 + 0.5 * $1 * $1 } ?? 0
            return (h.reduce(0, +) + orientation) / Double(r.count) / (s.clickSigmaPx * s.clickSigmaPx)
        }
        let before = ImageRefinement.meanSample(passes[1], projections, curvesMm, initial)
        let borderBefore = borderScore(1, initial, projections: projections)
        var current = initial
        var extra = [Double](repeating: 0, count: nExtra)
        var borderOffset = 0.0
        var fittedViewOffset = [0.0, 0.0]
        var evaluations = 0
        for (k, maps) in passes.enumerated() {
            let base = current
            let scale = k == 0 ? 1.0 : 0.5
            let f: ([Double]) -> Double = { x in
                let p = pose(x, base)
                let e = Array(x[6..<(6 + nExtra)])
                let o = fitOffset ? x[6 + nExtra] : 0
                let c = nExtra == 0 ? curvesMm : curves(e)
                let v = viewProjections(x)
                return s.clickWeight * clickCost(p, v) - ImageRefinement.meanSample(maps, v, c, p) - borderWeight * borderScore(k, p, offsetMm: o, projections: v)
                    + (nExtra == 0 ? 0 : extraCost(e)) + (fitOffset ? offsetCost(o) : 0) + viewCost(x)
            }
            let offsetStep = border.map { [$0.settings.outsideEpicardiumSDMm] } ?? []
            let steps = ([s.rotationStepDeg, s.rotationStepDeg, s.rotationStepDeg, s.translationStepMm, s.translationStepMm, s.translationStepMm]
                + extraSteps + (fitOffset ? offsetStep : []) + (fitViews ? [s.viewOffsetStepMm, s.viewOffsetStepMm] : [])).map { $0 * scale }
            let start = [0, 0, 0, 0, 0, 0] + extra + (fitOffset ? [borderOffset] : []) + (fitViews ? fittedViewOffset : [])
            let (best, used) = NelderMead.minimise(f, start: start, steps: steps, maxEvaluations: s.maxEvaluations * start.count / 6)
            evaluations += used
            current = pose(best, base)
            extra = Array(best[6..<(6 + nExtra)])
            if fitOffset { borderOffset = best[6 + nExtra] }
            if fitViews { fittedViewOffset = [best[viewIndex], best[viewIndex + 1]] }
        }
        let final = [0, 0, 0, 0, 0, 0] + extra + (fitOffset ? [borderOffset] : []) + (fitViews ? fittedViewOffset : [])
        let finalProjections = viewProjections(final)
        let after = ImageRefinement.meanSample(passes[1], finalProjections, nExtra == 0 ? curvesMm : curves(extra), current)
        let residuals = PoseEstimation.pixelErrors(PoseEstimation.residuals(current, clicks, finalProjections))
        var result = Result(worldFromHeart: current, vesselnessBefore: before, vesselnessAfter: after, borderBefore: borderBefore,
                            borderAfter: borderScore(1, current, offsetMm: borderOffset, projections: finalProjections), borderWeight: borderWeight,
                            borderOffsetMm: border.map { $0.settings.outsideEpicardiumMm + borderOffset }, clickResidualsPx: residuals,
                            evaluations: evaluations)
        if fitViews { result.viewOffsetsMm = BreathingOffset.perView(viewOffset(final)) }
        return (result, extra)
    }
}

/// Nelder-Mead downhill simplex (Nelder and Mead 1965; standard coefficients 1, 2, 0.5, 0.5).
enum NelderMead {
    static func minimise(_ f: ([Double]) -> Double, start: [Double], steps: [Double], maxEvaluations: Int,
                         tolerance: Double = 1e-7) -> ([Double], Int) {
        let n = start.count
        var simplex = [start]
        for i in 0..<n { var p = start; p[i] += steps[i]; simplex.append(p) }
        var values = simplex.map(f)
        var evals = n + 1
        while evals < maxEvaluations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }; values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + 1e-12) { break }
            var centroid = [Double](repeating: 0, count: n)
            for p in simplex.dropLast() { for i in 0..<n { centroid[i] += p[i] / Double(n) } }
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let xr = along(-1), fr = f(xr); evals += 1
            if fr < values[0] {
                let xe = along(-2), fe = f(xe); evals += 1
                if fe < fr { simplex[n] = xe; values[n] = fe } else { simplex[n] = xr; values[n] = fr }
            } else if fr < values[n - 1] {
                simplex[n] = xr; values[n] = fr
            } else {
                let xc = fr < values[n] ? along(-0.5) : along(0.5), fc = f(xc); evals += 1
                if fc < min(fr, values[n]) {
                    simplex[n] = xc; values[n] = fc
                } else {
                    for k in 1...n {
                        simplex[k] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[k][$0] - simplex[0][$0]) }
                        values[k] = f(simplex[k]); evals += 1
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return (simplex[best], evals)
    }
}
