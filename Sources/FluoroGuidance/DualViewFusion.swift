import CRTCore
import Figures
import Foundation
import GuidancePipeline
import SegmentModel
import SurfaceMesh

/// The fluoroscopy stage of the guidance pipeline (DOMAIN.md section 1 items 6-7): registers the CMR model to the
/// two venograms (landmarks clicked by the operator, then an automatic refinement on the vessels), finds the lead's
/// electrodes in both lead images, triangulates them, maps them onto the model and classifies the pacing electrode
/// against the primary target. Inputs are `FluoroStudy` (xray/ and operator/) and the CMR pipeline's output; it
/// never sees a phantom or the generator's records.
public struct DualViewFusion: Sendable {
    public struct Settings: Codable, Sendable, Equatable {
        public var anatomy = GrooveAnatomy()
        /// Huber threshold of the landmark fit (pixels).
        public var huberDeltaPx = 3.0
        /// Weight each landmark's clicks by its prior SD on the model (`ModelLandmarks.landmarkWeights`).
        public var weightLandmarksByPrior = true
        /// Let the vessel refinement move the vein courses off the prior means (groove height, AIV and MCV angles)
        /// at a prior cost (`ImageRefinement.refine(initial:model:...)`).
        public var fitCourseShift = true
        /// Prior on the orientation of the CMR patient frame in the C-arm world (SD of each rotation-vector
        /// component, degrees; nil: none). The patient lies supine and head first in both rooms, so the CMR's LPS
        /// axes are the world's up to the heart's breathing rotation (1.5 +/- 0.9 and 1.2 +/- 1.3 degrees, at most
        /// 3.5, over the tidal cycle: Shechter et al., IEEE TMI 2004;23:1046) and the patient's position on the
        /// table (assumption: about 5 degrees); together about 6. docs/fluoroscopy.md, "Pipeline priors".
        public var orientationPriorSDDeg: Double? = 6
        /// Weight of the orientation prior against the clicks, nil: derived per case (`orientationPrior(for:)`):
        /// one SD of the prior costs as much as a click of weight 1 off by its own SD, the most certain landmark's
        /// (its prior SD on the model and the click SD combined, `GrooveAnatomy`) in pixels at the isocentre.
        public var orientationPriorPixelsPerSD: Double? = nil
        /// Run the image refinement after the landmark fit.
        public var refineOnImages = true
        public var refinement = ImageRefinement.Settings()
        /// Lead images at another cardiac phase (an ECG record gives it): each lead image's projection composed with
        /// the CMR's LV deformation from end-diastole to its instant (`CardiacDeformation`), so that the electrodes
        /// are matched, scored against the model and triangulated at end-diastole.
        public var leadImagePhaseCorrection = true
        /// Lead images taken later than the venograms: their in-plane displacement found on the heart's border
        /// (`LeadImageAlignment`; needs `heartBorder`).
        public var leadImageAlignment = LeadImageAlignment.Settings()
        /// The two lead images' breathing states: cranio-caudal offsets between them tried from -search to +search
        /// (mm, world z) in steps of `leadImagesOffsetStepMm`, costed with the refinement's prior SD
        /// (`ImageRefinement.Settings.viewOffsetSDCranioCaudalMm`, 2.7 mm); 0: none. 8 mm is three SDs.
        public var leadImagesOffsetSearchMm = 8.0
        public var leadImagesOffsetStepMm = 1.0
        /// The LV contour against the heart's border in the refinement (`HeartBorder`).
        public var heartBorder = HeartBorder.Settings()
        public var electrodes = ElectrodeDetection.Settings()
        public var leadMatching = LeadTriangulation.Settings()
        /// Aimed-at segment when there is no primary target (conventional mid inferolateral / posterolateral wall).
        public var conventionalAimSegment = 21
        public var standardHeart = StandardHeart()
        public init() {}
    }

    /// The orientation prior of `Settings` for a study and its model landmarks, nil when it is off. A weight-1
    /// click is off by the most certain landmark's SD, sqrt(clickSD^2 + priorSD^2) mm on the model, which the
    /// views show at (pixel spacing x source-to-patient / source-to-detector) mm per pixel at the isocentre (mean
    /// over the views); the prior's SD then costs as much as such a click.
    func orientationPrior(for study: FluoroStudy, landmarks: ModelLandmarks) -> PoseEstimation.OrientationPrior? {
        guard let sdDeg = settings.orientationPriorSDDeg else { return nil }
        let pixels: Double
        if let fixed = settings.orientationPriorPixelsPerSD {
            pixels = fixed
        } else {
            let click = settings.anatomy.clickSDMm, best = landmarks.landmarkSDMm.values.min() ?? 0
            let mmPerPixel = study.views.map(\.millimetresPerPixelAtIsocentre).reduce(0, +) / Double(max(study.views.count, 1))
            pixels = (click * click + best * best).squareRoot() / max(mmPerPixel, 1e-6)
        }
        return PoseEstimation.OrientationPrior(sdRadians: radians(sdDeg), pixelsPerSD: pixels)
    }

    /// The heart as a fluoroscopist pictures it without a CMR model, for the "fluoroscopy only" classification: a
    /// published average orientation, not the phantom's (docs/fluoroscopy.md, "Pipeline priors"). The long axis
    /// points `azimuthDeg` from anterior towards the patient's left in the axial plane, the azimuth of the LAO
    /// projection that shows the interventricular septum edge-on (LAO 40 degrees); its projection on the frontal
    /// plane lies `frontalAxisBelowHorizontalDeg` below the horizontal (anatomical cardiac axis on CT, 38.1 degrees,
    /// Br J Cardiol 2015;22:69, doi 10.5837/bjc.2015.016), which fixes the elevation. The septum faces the RV,
    /// perpendicular to the long axis in the septal plane that contains the LAO 40 beam (mid-septum at segment angle
    /// 60). The LV is centred at the isocentre (the operator centres the heart), with a cavity of `cavityLengthMm`
    /// centred on it (LV end-diastolic long axis of dilated CRT candidates, about 90 mm; assumption from the
    /// Simpson biplane lengths of heart-failure cohorts).
    public struct StandardHeart: Codable, Sendable, Equatable {
        public var azimuthDeg = 40.0
        public var frontalAxisBelowHorizontalDeg = 38.1
        public var cavityLengthMm = 90.0
        public var centreWorldMm = [0.0, 0.0, 0.0]
        public var rings = RingBoundaries.crtsimDefault
        public init() {}

        /// Elevation of the long axis below the horizontal plane (degrees) that gives the frontal-plane angle at
        /// this azimuth: tan(frontal) = tan(elevation) / sin(azimuth).
        public var elevationDeg: Double { degrees(atan(tan(radians(frontalAxisBelowHorizontalDeg)) * sin(radians(azimuthDeg)))) }

        /// Segment of a world point (C-arm world = patient LPS orientation on the table).
        public func segment(ofWorldPoint p: Vec3) -> Segment36 {
            let az = radians(azimuthDeg), el = radians(elevationDeg)
            let w = Vec3(cos(el) * sin(az), -cos(el) * cos(az), -sin(el)).normalized   // base to apex
            // Septal normal: horizontal, perpendicular to the LAO beam at `azimuthDeg`, towards the right and anterior.
            let towardsRV = Vec3(-cos(az), -sin(az), 0)
            let dSep = (towardsRV - w * towardsRV.dot(w)).normalized
            let u = Mat3.rotation(axis: w, angleRadians: radians(-60)) * dSep          // segment angle 0
            let v = w.cross(u)
            let c = Vec3(centreWorldMm)
            let d = p - c
            let fraction = clamp((d.dot(w) + cavityLengthMm / 2) / cavityLengthMm, 0, 0.999)
            let angle = wrapDegrees(degrees(atan2(d.dot(v), d.dot(u))))
            return Segment36.id(ring: rings.ring(forFraction: fraction) ?? 2, angleDegrees: angle)
        }
    }

    public struct Output: Sendable {
        public var worldFromHeart: Affine3D
        public var views: [ViewProjectionRecord]
        public var lead: LeadPosition?
        public var record: FluoroscopyRecord
        public var landmarks: ModelLandmarks
        /// Wall-clock time of the registration (s); for timing.json only, never in analysis.json.
        public var registrationSeconds: Double
    }

    public var settings: Settings
    public init(settings: Settings = Settings()) { self.settings = settings }

    /// The image maps that depend on the fluoroscopy study alone, not on the CMR model: the venograms' maps for the
    /// vessel refinement and the lead images' vesselness. `CaseAnalysis` computes them while the CMR is analysed;
    /// `run` computes whatever it is not given, so the result is the same either way.
    public struct StudyMaps: Sendable {
        /// The refinement's maps of the venograms (`ImageRefinement.maps`); nil without the image refinement.
        var refinement: ImageRefinement.Maps?
        /// Per view (the study's order), the lead image's vesselness for its alignment; nil where not needed.
        var leadVesselness: [DetectorImage?]
    }

    /// The study's `StudyMaps` for these settings.
    public func studyMaps(_ study: FluoroStudy) -> StudyMaps {
        let refinement = settings.refineOnImages ? refinementMaps(study: study) : nil
        let alignLead = settings.leadImageAlignment.enabled && settings.heartBorder.enabled
        return StudyMaps(refinement: refinement, leadVesselness: study.views.map { v in
            guard alignLead, let lead = v.lead else { return nil }
            return Vesselness.frangi(lead, settings: settings.refinement.vesselness)
        })
    }

    /// Runs registration and lead localisation.
    /// - Parameter maps: the study's image maps (`studyMaps`), computed beforehand; nil: computed here.
    /// - Throws: `RegistrationNotPossible` when the clicks give too few landmarks seen in two views (the venograms
    ///   did not show them: the CMR result stands without a pose); `InputError` when the LV model has no base.
    @inline(never)
    public func run(_ study: FluoroStudy, cmr: GuidancePipeline.Output, maps: StudyMaps? = nil) throws -> Output {
        let start = Date()
        let r = cmr.result
        guard let base = r.lvAxis["baseCentreMm"] else { throw InputError("LV model: no base centre") }
        // The AV groove follows the mitral annulus fitted in the long-axis cine when the case has it.
        let annulus = r.mitralAnnulus.map { (centreMm: $0.edCentreMm, normal: $0.edNormal) }
        var landmarks = try ModelLandmarks(contours: cmr.contoursED, baseCentreMm: base,
                                           inferiorInsertionMm: r.rvInsertionPointsMm["inferior"], annulusPlane: annulus,
                                           anatomy: settings.anatomy)
        var warnings = study.warnings
        let clicked = Set(study.views.flatMap { $0.clicks.keys })
        let ignored = clicked.subtracting(landmarks.landmarksMm.keys).sorted()
        if clicked.isEmpty {
            throw RegistrationNotPossible(reason: "operator: no landmark clicks (expected operator/clicks-<VIEW>.json for each view); the registration starts from the operator's landmarks")
        }
        let prior = orientationPrior(for: study, landmarks: landmarks)
        guard let (fit, points) = PoseEstimation.landmarkRegistration(modelLandmarksMm: landmarks.landmarksMm, views: study.views,
                                                                       huberDeltaPx: settings.huberDeltaPx,
                                                                       landmarkWeights: settings.weightLandmarksByPrior ? landmarks.landmarkWeights : nil,
                                                                       slidingCurvesMm: landmarks.slidingCurvesMm,
                                                                       orientationPrior: prior) else {
            throw RegistrationNotPossible(reason: "operator: "
                + (prior == nil ? "fewer than 3 of the landmarks" : "none of the landmarks")
                + " \(ModelLandmarks.names.joined(separator: ", ")) are clicked in two views; registration needs at least "
                + (prior == nil ? "3" : "1 with the orientation prior"))
        }
        // Landmarks clicked in two views (a correspondence per view), all and the point landmarks among them.
        let seenTwice = Set(points.map(\.name)).filter { n in points.filter { $0.name == n }.count >= 2 }
        let pointLandmarks = seenTwice.filter { n in points.contains { $0.name == n && $0.curveMm == nil } }
        if seenTwice.count < 3 {
            warnings.append("registration: only \(seenTwice.count) landmark(s) clicked in two views (\(seenTwice.sorted().joined(separator: ", "))); the orientation rests on the published average orientation (the prior) and the vessels")
        } else if pointLandmarks.count < 3 {
            warnings.append("registration: only \(pointLandmarks.count) point landmark(s) clicked in two views (\(pointLandmarks.sorted().joined(separator: ", "))); the pose rests on sliding landmarks and the vessels, so it is less certain")
        }
        func keyed(_ residuals: [Double]) -> [String: Double] {
            var out: [String: Double] = [:]
            for (p, e) in zip(points, residuals) { out["\(study.views[p.view].name)/\(p.name)"] = e }
            return out
        }
        var pose = fit.worldFromHeart
        var finalResiduals = fit.residualsPx
        // The vessel refinement follows only the veins the venograms show (when the clicks say so).
        landmarks.restrictCourses(clicks: study.views.map(\.clicks), projections: study.views.map(\.projection), pose: pose)
        var vBefore: Double? = nil, vAfter: Double? = nil
        var contour: (before: Double, after: Double, offsetMm: Double)? = nil
        var method = "landmarks"
        var viewPoses: [String: [[Double]]]? = nil
        if settings.refineOnImages {
            let refined = refineOnVessels(pose, study: study, landmarks: landmarks, points: points, prior: prior,
                                          maps: maps?.refinement)
            vBefore = refined.vesselnessBefore; vAfter = refined.vesselnessAfter
            if let offset = refined.borderOffsetMm { contour = (refined.borderBefore, refined.borderAfter, offset) }
            if refined.imageScoreAfter > refined.imageScoreBefore {
                pose = refined.worldFromHeart
                finalResiduals = refined.clickResidualsPx
                if refined.viewOffsetsMm != nil {
                    viewPoses = Dictionary(uniqueKeysWithValues: study.views.indices.map { (study.views[$0].name, refined.worldFromHeart(view: $0).matrix4x4) })
                }
                method = contour == nil ? "landmarks+vessels" : "landmarks+vessels+lv-contour"
            } else {
                warnings.append("image refinement did not raise the vesselness along the model's veins and the LV contour's edge score; the landmark pose is kept")
            }
        }
        var registration = FluoroscopyRecord.Registration(
            method: method, modelLandmarksMm: landmarks.landmarksMm, landmarksUsed: Array(Set(points.map(\.name))).sorted(),
            landmarksIgnored: ignored, landmarkPose: fit.worldFromHeart.matrix4x4, landmarkResidualsPx: keyed(fit.residualsPx),
            finalResidualsPx: keyed(finalResiduals), vesselnessBefore: vBefore, vesselnessAfter: vAfter)
        registration.lvContourScoreBefore = contour?.before
        registration.lvContourScoreAfter = contour?.after
        registration.lvContourOffsetMm = contour?.offsetMm
        let registrationSeconds = Date().timeIntervalSince(start)

        let (lead, leadRecord, fluoroOnly, leadWarning) = localiseLead(study, cmr: cmr, worldFromHeart: pose, model: landmarks,
                                                                       leadVesselness: maps?.leadVesselness)
        if let w = leadWarning { warnings.append(w) }
        var record = FluoroscopyRecord(viewNames: study.views.map(\.name), viewSeparationDegrees: study.separationDegrees,
                                       warnings: warnings, registration: registration, lead: leadRecord, fluoroscopyOnly: fluoroOnly)
        record.viewHeartPoses = viewPoses
        if study.views.contains(where: { $0.venogramFrameChoice != .single }) {
            record.venogramFrames = Dictionary(uniqueKeysWithValues: study.views.map { ($0.name, $0.venogramFrame) })
            record.venogramFrameChoice = Dictionary(uniqueKeysWithValues: study.views.map { ($0.name, $0.venogramFrameChoice.rawValue) })
        }
        return Output(worldFromHeart: pose, views: study.views.map { ViewProjectionRecord(name: $0.name, projection: $0.projection) },
                      lead: lead, record: record, landmarks: landmarks, registrationSeconds: registrationSeconds)
    }

    /// The automatic refinement on the venograms from `pose`: the model's vein curves aligned to the vessels, the
    /// clicks kept as a weak prior.
    /// - Parameter maps: the study's image maps (`refinementMaps`); nil: computed here.
    func refineOnVessels(_ pose: Affine3D, study: FluoroStudy, landmarks: ModelLandmarks,
                         points: [PointCorrespondence], prior: PoseEstimation.OrientationPrior?,
                         maps: ImageRefinement.Maps? = nil) -> ImageRefinement.Result {
        let refinement = imageRefinement(study: study, landmarks: landmarks, prior: prior)
        let maps = maps ?? refinement.maps(venograms: study.views.map(\.venogram))
        if settings.fitCourseShift {
            return refinement.refine(initial: pose, model: landmarks, maps: maps, projections: study.views.map(\.projection), clicks: points).result
        }
        let curves = landmarks.curvesMm.keys.sorted().flatMap { landmarks.curvesMm[$0]! }
        return refinement.refine(initial: pose, maps: maps, projections: study.views.map(\.projection), clicks: points, extraSteps: [],
                                 curves: { _ in curves }, extraCost: { _ in 0 }).result
    }

    /// The refinement of this stage: its settings, the orientation prior and the LV contour term on the model's
    /// epicardial surface.
    func imageRefinement(study: FluoroStudy, landmarks: ModelLandmarks, prior: PoseEstimation.OrientationPrior?) -> ImageRefinement {
        var border: ImageRefinement.Border? = nil
        if settings.heartBorder.enabled {
            let surface = landmarks.epicardialSurface(angleStepDeg: settings.heartBorder.angleStepDeg)
            border = ImageRefinement.Border(pointsMm: surface.map(\.pointMm),
                                            apical: surface.map { $0.heightFraction > settings.heartBorder.basalExclusionFraction },
                                            mmPerPixel: study.views.map(\.millimetresPerPixelAtIsocentre), settings: settings.heartBorder)
        }
        return ImageRefinement(settings: settings.refinement, orientationPrior: prior, border: border)
    }

    /// The image maps of a study's venograms for the refinement, to compute once when registering from several
    /// starts (`register(from:study:landmarks:maps:)`); they depend on the venograms and the settings only.
    /// They depend on the views' pixel sizes, not on the model (the border's points), so they are made with a border
    /// without points.
    public func refinementMaps(study: FluoroStudy) -> ImageRefinement.Maps {
        let border = settings.heartBorder.enabled
            ? ImageRefinement.Border(pointsMm: [], apical: [], mmPerPixel: study.views.map(\.millimetresPerPixelAtIsocentre),
                                     settings: settings.heartBorder) : nil
        return ImageRefinement(settings: settings.refinement, orientationPrior: nil, border: border)
            .maps(venograms: study.views.map(\.venogram))
    }

    /// Registration from a given starting pose instead of the landmarks' closed-form start, as the capture-range
    /// evaluation needs: the clicks fitted from `start` (Levenberg-Marquardt), then the vessel refinement, kept when it
    /// raises the vesselness (the same rule as `run`).
    /// - Parameter maps: the study's image maps (`refinementMaps`), to share between starts; nil: computed here.
    /// - Returns: the pose in each view (the shared pose followed by that view's breathing offset when the
    ///   refinement fitted one; `ImageRefinement.Settings.fitViewOffset`).
    public func register(from start: Affine3D, study: FluoroStudy, landmarks: ModelLandmarks,
                         maps: ImageRefinement.Maps? = nil) -> [Affine3D] {
        let points = PoseEstimation.correspondences(modelLandmarksMm: landmarks.landmarksMm, views: study.views,
                                                    slidingCurvesMm: landmarks.slidingCurvesMm)
        var weights: [Double]? = nil
        let lw = landmarks.landmarkWeights
        if settings.weightLandmarksByPrior, let top = lw.values.max(), top > 0 { weights = points.map { (lw[$0.name] ?? top) / top } }
        let prior = orientationPrior(for: study, landmarks: landmarks)
        let fit = PoseEstimation.refine(initial: start, points: points, projections: study.views.map(\.projection),
                                        huberDeltaPx: settings.huberDeltaPx, pointWeights: weights,
                                        orientationPrior: prior)
        let landmarkPoses = study.views.map { _ in fit.worldFromHeart }
        guard settings.refineOnImages else { return landmarkPoses }
        var landmarks = landmarks
        landmarks.restrictCourses(clicks: study.views.map(\.clicks), projections: study.views.map(\.projection), pose: fit.worldFromHeart)
        let refined = refineOnVessels(fit.worldFromHeart, study: study, landmarks: landmarks, points: points, prior: prior, maps: maps)
        return refined.imageScoreAfter > refined.imageScoreBefore ? study.views.indices.map { refined.worldFromHeart(view: $0) } : landmarkPoses
    }

    /// Epicardial centre of a segment on the annotated mesh (mean of its vertices), nil when no vertex carries it.
    static func segmentCentre(_ mesh: TriangleMesh, _ id: Int) -> Vec3? {
        guard let ids = mesh.intAttributes[LVSurfaceBuilder.segmentAttribute] else { return nil }
        var s = Vec3.zero, n = 0
        for (v, i) in zip(mesh.vertices, ids) where Int(i) == id { s += v; n += 1 }
        return n > 0 ? s / Double(n) : nil
    }

    /// Electrodes in both lead images -> epipolar matching -> triangulation -> CMR frame -> segment and category;
    /// the fourth value is a warning when one view showed the electrodes merged (matched along epipolar lines).
    /// - Parameter leadVesselness: per view of the study, its lead image's vesselness (`StudyMaps`); nil: computed here.
    func localiseLead(_ study: FluoroStudy, cmr: GuidancePipeline.Output, worldFromHeart: Affine3D, model: ModelLandmarks,
                      leadVesselness: [DetectorImage?]? = nil)
        -> (LeadPosition?, FluoroscopyRecord.Lead, FluoroscopyRecord.FluoroscopyOnly?, String?) {
        let detector = ElectrodeDetection(settings: settings.electrodes)
        let given = Dictionary(uniqueKeysWithValues: study.views.indices.compactMap { i in
            leadVesselness?[i].map { (study.views[i].name, $0) } })
        let views = study.views.filter { $0.lead != nil }
        guard views.count >= 2 else {
            return (nil, FluoroscopyRecord.Lead(status: "not found: lead images in \(views.count) view(s), two needed"), nil, nil)
        }
        // The first two views with a lead image: candidates in each, matched by epipolar geometry and spacing.
        let pair = Array(views.prefix(2))
        // The implant record's model fixes the electrode count and gaps. Without it, the generic equal spacing and
        // the commercial layouts (`KnownLeadLayouts`) are each tried, and the best chain is kept (below).
        let layouts: [ImplantedLead?] = study.implantedLead.map { [$0] } ?? ([nil] + KnownLeadLayouts.all.map { $0 })
        var modelDistance: ((Vec3) -> Double?)? = nil
        var epicardiumWorldMm: [Vec3] = []
        if let heartFromWorld = worldFromHeart.inverse {
            // Other leads in the field (RV, RA, ICD): only points near the registered LV epicardium (the LV lead lies
            // in its veins) and not over the septum's RV face (no coronary vein runs there; the RV lead's tip, ring
            // and coil do) may be electrodes, whether or not the implant record names the lead.
            let epi = AnalysisProducts.annotatedMesh(cmr, surface: .epicardium).vertices.map { worldFromHeart.apply($0) }
            epicardiumWorldMm = epi
            let reach = settings.leadMatching.maximumModelDistanceMm, margin = settings.leadMatching.septalMarginDeg
            modelDistance = { p in
                let distance = epi.reduce(Double.infinity) { min($0, ($1 - p).length) }
                guard distance <= reach else { return nil }
                let angle = model.segmentAngleDegrees(of: heartFromWorld.apply(p))
                return angle > margin && angle < model.septalSpanDeg - margin ? nil : distance
            }
        }
        // The lead images' own place: the CMR's deformation to their cardiac phase, and their in-plane shift against
        // the registered venograms (breathing, the patient's movement) found on the heart's border.
        let times = pair.compactMap(\.leadImageTimeMs)
        let deformation = settings.leadImagePhaseCorrection && times.count == pair.count
            ? study.rrIntervalMs.flatMap { CardiacDeformation(cmr.result, rrIntervalMs: $0) } : nil
        var leadProjections = pair.map(\.projection)
        var shiftsPx: [String: [Double]] = [:]
        if settings.leadImageAlignment.enabled && settings.heartBorder.enabled {
            let surface = model.epicardialSurface(angleStepDeg: settings.heartBorder.angleStepDeg)
            let apical = surface.map { $0.heightFraction > settings.heartBorder.basalExclusionFraction }
            for (k, v) in pair.enumerated() {
                let points = surface.map { s -> Vec3 in
                    let p = deformation.map { $0.atTime(s.pointMm, ms: times[k]) } ?? s.pointMm
                    return worldFromHeart.apply(p)
                }
                let vesselness = given[v.name] ?? Vesselness.frangi(v.lead!, settings: settings.refinement.vesselness)
                let shift = LeadImageAlignment.shift(image: v.lead!, vesselness: vesselness,
                                                     projection: v.projection, pointsMm: points, apical: apical,
                                                     mmPerPixel: v.millimetresPerPixelAtIsocentre, border: settings.heartBorder,
                                                     settings: settings.leadImageAlignment)
                leadProjections[k] = LeadImageAlignment.shifted(v.projection, columnPx: shift.columnPx, rowPx: shift.rowPx)
                shiftsPx[v.name] = [shift.columnPx, shift.rowPx]
            }
        }
        // Lead images at other cardiac phases than the CMR model's end-diastole (the ECG record says when), each its
        // own: the LV deformation the CMR measured is affine (`CardiacDeformation`) and folds into each lead image's
        // projection, so the candidates are matched, compared with the ED model and triangulated at end-diastole.
        // Without it an electrode seen at two instants does not meet its own epipolar line (the base moves 10-15 mm
        // over the cycle) and lies off the ED epicardium, so a chain of other spots could win.
        if let deformation {
            for k in pair.indices {
                if let p = deformation.projection(leadProjections[k], worldFromHeart: worldFromHeart, atMs: times[k]) { leadProjections[k] = p }
            }
        }
        // Spots are looked for over the registered LV (its epicardium's projection widened by the model distance)
        // when other leads share the field: the strongest spots of the whole image are often not the LV lead's
        // (scatter compresses a dense ring's contrast most where the heart is thickest, while wires over the lung
        // keep theirs; docs/fluoroscopy.md, "Scatter and image checks"). Without a registration near the lead the
        // whole image is searched again below.
        let regions: [[Bool]?] = pair.indices.map { k in
            guard !epicardiumWorldMm.isEmpty else { return nil }
            let v = pair[k]
            return ElectrodeDetection.region(around: epicardiumWorldMm, projection: leadProjections[k], columns: v.lead!.columns, rows: v.lead!.rows,
                                             radiusPx: settings.leadMatching.maximumModelDistanceMm / v.millimetresPerPixelAtIsocentre)
        }
        // One electrode layout tried: candidates, the match near the registered model, else over the whole images by
        // the layout alone (with a warning), else along the epipolar lines of a view where the electrodes merge.
        typealias Candidates = (blobs: [ElectrodeDetection.Blob], topHat: DetectorImage, threshold: Double)
        struct Attempt {
            var layout: ImplantedLead?
            var match: LeadTriangulation.Match
            var found: [Candidates]
            var projections: [ProjectionMatrix]
            var offsetMm: Double
            var warning: String?
            /// 0: matched near the registered model, 1: by the layout alone, 2: along epipolar lines.
            var tier: Int
            var cost: Double
        }
        // The two lead images, taken one after the other, catch the heart at two breathing states
        // (`LeadTriangulation.matchOverOffsets`).
        let searchMm = settings.leadImagesOffsetSearchMm, stepMm = settings.leadImagesOffsetStepMm
        let offsetsMm = searchMm > 0 && stepMm > 0 ? Array(stride(from: -searchMm, through: searchMm + 1e-9, by: stepMm)) : [0]
        // Candidates per view, found once per detector setting and search area and shared by the layouts tried. With a
        // layout known its gaps tell the LV lead from the others, so more and fainter candidates are taken.
        var candidateCache: [String: [Candidates]] = [:]
        func candidates(knownLayout: Bool, wholeImage: Bool) -> [Candidates] {
            let key = "\(knownLayout) \(wholeImage)"
            if let cached = candidateCache[key] { return cached }
            var detectorSettings = settings.electrodes
            if knownLayout {
                detectorSettings.maximumCandidates = settings.electrodes.maximumCandidatesKnownLead
                detectorSettings.thresholdFraction = settings.electrodes.thresholdFractionKnownLead
            }
            let found = pair.indices.map { ElectrodeDetection(settings: detectorSettings).candidates(pair[$0].lead!, region: wholeImage ? nil : regions[$0]) }
            candidateCache[key] = found
            return found
        }
        func attempt(_ layout: ImplantedLead?) -> (attempt: Attempt?, failure: String) {
            let count = layout?.electrodeCount ?? settings.electrodes.electrodeCount
            let gaps = layout?.gapsMm
            var projections = leadProjections
            var found = candidates(knownLayout: layout != nil, wholeImage: false)
            let fewest = count - settings.leadMatching.maximumSharedCandidates
            if let empty = zip(pair, found).first(where: { $0.1.blobs.isEmpty }) {
                return (nil, "not found: no electrode-like spot on \(empty.0.name), \(count) expected")
            }
            var warning: String? = nil
            var matched: LeadTriangulation.Match? = nil
            var tier = 0, cost = 0.0
            var offsetMm = 0.0
            let offsetSDMm = settings.refinement.viewOffsetSDCranioCaudalMm
            func bestMatch(modelDistanceMm: ((Vec3) -> Double?)?) -> LeadTriangulation.Match? {
                guard let m = LeadTriangulation.matchOverOffsets(candidates: found.map { $0.blobs.map(\.pixel) }, projections: projections,
                                                                 offsetsMm: offsetsMm, offsetSDMm: offsetSDMm,
                                                                 count: count, expectedGapsMm: gaps, modelDistanceMm: modelDistanceMm,
                                                                 candidateCostsPx: found.map { $0.blobs.map { LeadTriangulation.continuationCostPx($0.continuation, settings: settings.leadMatching) } },
                                                                 settings: settings.leadMatching) else { return nil }
                offsetMm = m.offsetMm
                projections = BreathingOffset.projections(projections, offsetMm: Vec3(0, 0, m.offsetMm))
                cost = m.match.score + pow(m.offsetMm / max(offsetSDMm, 1e-6), 2)
                return m.match
            }
            if found.allSatisfy({ $0.blobs.count >= max(1, fewest) }) {
                matched = bestMatch(modelDistanceMm: modelDistance)
                if matched == nil && modelDistance != nil {
                    // A registration far off (mTRE above the model distance) leaves no chain near the model: the whole
                    // images and the layout's gaps alone, with a warning.
                    if regions.contains(where: { $0 != nil }) {
                        found = candidates(knownLayout: layout != nil, wholeImage: true)
                    }
                    matched = bestMatch(modelDistanceMm: nil)
                    tier = 1
                    if matched != nil {
                        warning = "lead: no electrode chain lies near the registered LV model (registration may be off); matched by "
                            + (layout != nil ? "the electrode gaps of \(layout!.model)" : "the electrodes' spacing") + " alone"
                    }
                }
            }
            if matched == nil {
                // A lead along one view's beam merges its rings into one or two spots there: search along the epipolar
                // lines of the other view's electrodes (the view with more spots).
                let s = found[0].blobs.count >= found[1].blobs.count ? 0 : 1, m = 1 - s
                if var e = LeadTriangulation.matchAlongEpipolarLines(separated: found[s].blobs.map(\.pixel), merged: found[m].blobs.map(\.pixel),
                                                                     mergedTopHat: found[m].topHat, projections: [projections[s], projections[m]],
                                                                     count: count, expectedGapsMm: gaps, settings: settings.leadMatching) {
                    if s == 1 { e.chains.reverse() }
                    matched = e
                    tier = 2; cost = e.score
                    warning = "lead: the electrodes merge into \(found[m].blobs.count) spot(s) on \(pair[m].name) (lead along its beam); "
                        + "located there along the epipolar lines of \(pair[s].name)'s electrodes, so their depth in \(pair[s].name) is less certain"
                }
            }
            guard let match = matched else {
                let spots = zip(pair, found).map { "\($0.1.blobs.count) on \($0.0.name)" }.joined(separator: ", ")
                return (nil, "not found: no \(count) electrode spots in the two views agree in 3D (epipolar geometry and spacing; spots: \(spots))")
            }
            return (Attempt(layout: layout, match: match, found: found, projections: projections, offsetMm: offsetMm,
                            warning: warning, tier: tier, cost: cost), "")
        }
        // The best of the layouts tried: the most electrodes explained, then the surest way of matching (near the
        // model, by the layout alone, along epipolar lines), then the lowest cost. The first layout's failure is
        // reported when none matches.
        var chosen: Attempt? = nil
        var failure = ""
        for layout in layouts {
            let (a, why) = attempt(layout)
            if failure.isEmpty { failure = why }
            guard let a else { continue }
            if let c = chosen {
                let n = a.match.worldMm.count, nc = c.match.worldMm.count
                guard n > nc || (n == nc && (a.tier < c.tier || (a.tier == c.tier && a.cost < c.cost))) else { continue }
            }
            chosen = a
        }
        guard let chosen else { return (nil, FluoroscopyRecord.Lead(status: failure), nil, nil) }
        var match = chosen.match
        let found = chosen.found, warning = chosen.warning, offsetMm = chosen.offsetMm
        leadProjections = chosen.projections
        let layout = chosen.layout
        // Distal first: the lead body continues beyond the proximal end only.
        let last = match.worldMm.count - 1
        var beyondFirst = 0.0, beyondLast = 0.0
        // Only views where each end electrode stands apart from its neighbour give the chain's direction there;
        // in a foreshortened view the extension points anywhere.
        let apart = settings.electrodes.extensionRangePx.lowerBound / 2
        let directional = found.indices.filter { k in
            let c = match.chains[k]
            return c[0].distance(to: c[1]) >= apart && c[last].distance(to: c[last - 1]) >= apart
        }
        for k in directional.isEmpty ? Array(found.indices) : directional {
            let c = match.chains[k]
            beyondFirst += detector.bodyBeyond(found[k].topHat, end: c[0], neighbour: c[1])
            beyondLast += detector.bodyBeyond(found[k].topHat, end: c[last], neighbour: c[last - 1])
        }
        // A lead of unequal gaps is already ordered distal first by them.
        if !match.orientedByGaps && beyondFirst > beyondLast {
            match.chains = match.chains.map { Array($0.reversed()) }
            match.worldMm.reverse(); match.residualsPx.reverse()
        }
        let (world, residuals, chains) = (match.worldMm, match.residualsPx, match.chains)
        let views2 = pair
        var electrodesPx: [String: [[Double]]] = [:]
        for (v, c) in zip(views2, chains) { electrodesPx[v.name] = c.map { [$0.column, $0.row] } }
        guard let heartFromWorld = worldFromHeart.inverse else {
            return (nil, FluoroscopyRecord.Lead(status: "not found: singular pose"), nil, nil)
        }
        // At end-diastole already when the lead images' projections carry the deformation (above).
        let heart = world.map { heartFromWorld.apply($0) }
        let mesh = AnalysisProducts.annotatedMesh(cmr, surface: .epicardium)
        let ids = mesh.intAttributes[LVSurfaceBuilder.segmentAttribute] ?? []
        let result = cmr.result
        let aimId = result.primaryTarget ?? settings.conventionalAimSegment
        guard let aim = DualViewFusion.segmentCentre(mesh, aimId) else {
            return (nil, FluoroscopyRecord.Lead(status: "not found: the mesh has no vertex of segment \(aimId)"), nil, nil)
        }
        let distances = heart.map { ($0 - aim).length }
        let pacing = distances.indices.min { distances[$0] < distances[$1] }!
        let p = heart[pacing]
        var nearestD = Double.infinity
        for (i, v) in mesh.vertices.enumerated() where i < ids.count && ids[i] > 0 { nearestD = min(nearestD, (v - p).length) }
        let seg = model.segment(of: p, rings: result.configuration.geometry.rings,
                                fromLocalAnnulus: result.configuration.geometry.ringFromLocalAnnulus)
        let target = result.primaryTarget.flatMap { Segment36($0) }
        let (c36, c18) = LeadPosition.categories(lead: seg, target: target)
        // Tip: the distal end lies half an electrode length (the model's offset) beyond the distal electrode's centre.
        let dir = (heart[0] - heart[1]).normalized
        let tip = heart[0] + dir * (layout?.electrodeOffsetsFromDistalEndMm[0] ?? 1.5)
        let lead = LeadPosition(segment36: seg.id, category36: c36, category18: c18, pacingElectrodeMm: p, tipMm: tip)
        var record = FluoroscopyRecord.Lead(status: "found", electrodesPx: electrodesPx, electrodesWorldMm: world, electrodesMm: heart,
                                            triangulationResidualsPx: residuals, pacingElectrodeIndex: pacing,
                                            targetDistanceMm: result.primaryTarget == nil ? nil : distances[pacing], meshDistanceMm: nearestD)
        if !shiftsPx.isEmpty { record.leadImageShiftPx = shiftsPx }
        if deformation != nil { record.cardiacPhaseCorrected = true }
        if offsetsMm.count > 1 { record.leadImagesOffsetMm = offsetMm }
        record.electrodeLayout = study.implantedLead != nil ? "implant record: \(layout!.model)"
            : (layout.map { "assumed: \($0.model) (no implant record; best of \(layouts.count) layouts)" }
               ?? "assumed: generic equal spacing (no implant record; best of \(layouts.count) layouts)")
        // Fluoroscopy only: the same electrode judged on the standard heart in the world frame.
        let fSeg = settings.standardHeart.segment(ofWorldPoint: world[pacing])
        let (f36, f18) = LeadPosition.categories(lead: fSeg, target: target)
        let fluoroOnly = FluoroscopyRecord.FluoroscopyOnly(method: "standard heart orientation at the isocentre (no CMR model)",
                                                           segment36: fSeg.id, category36: f36, category18: f18)
        return (lead, record, fluoroOnly, warning)
    }

    /// The overlay figure of one view: the epicardial mesh projected with scar in red, the LMA targets in green
    /// (the primary target strongest), the rest faint blue; the model's vein courses and landmarks (yellow), the LV
    /// contour the refinement used (orange), the clicks and the detected electrodes.
    public static func overlay(view: FluoroView, cmr: GuidancePipeline.Output, fusion: Output) -> ProjectionOverlay {
        let mesh = AnalysisProducts.annotatedMesh(cmr, surface: .epicardium)
        let p = view.projection.composed(after: fusion.worldFromHeart)
        let ids = mesh.intAttributes[LVSurfaceBuilder.segmentAttribute] ?? []
        let scar = mesh.scalarAttributes[LVSurfaceBuilder.scarAttribute] ?? []
        let r = cmr.result
        // Grey window from the heart's part of the image (the projected epicardium's bounding box, widened by a
        // quarter each way): over the whole field the abdomen and spine set it, and the veins, faint under scatter,
        // vanish.
        let heartPx = mesh.vertices.compactMap { p.project($0) }
        var windowed = view.venogram.pixels
        if let c0 = heartPx.map(\.column).min(), let c1 = heartPx.map(\.column).max(),
           let r0 = heartPx.map(\.row).min(), let r1 = heartPx.map(\.row).max() {
            let w = view.geometry.columns, h = view.geometry.rows
            let mc = 0.25 * (c1 - c0), mr = 0.25 * (r1 - r0)
            let cs = max(0, Int(c0 - mc)), ce = min(w - 1, Int(c1 + mc)), rs = max(0, Int(r0 - mr)), re = min(h - 1, Int(r1 + mr))
            if cs < ce && rs < re {
                windowed = (rs...re).flatMap { r in (cs...ce).map { view.venogram.pixels[r * w + $0] } }
            }
        }
        let sorted = windowed.sorted()
        let lo = sorted[Int(0.005 * Double(sorted.count - 1))], hi = sorted[Int(0.995 * Double(sorted.count - 1))]
        var fig = ProjectionOverlay(columns: view.geometry.columns, rows: view.geometry.rows, image: view.venogram.pixels,
                                    window: (lo, max(hi, lo + 1e-6)),
                                    title: "\(view.name): CMR model on the venogram (red scar, green LMA target)")
        let projected = mesh.vertices.map { p.homogeneous($0) }
        for t in mesh.triangles {
            let idx = [Int(t.x), Int(t.y), Int(t.z)]
            guard idx.allSatisfy({ projected[$0].2 > 1e-6 }) else { continue }
            let corners = idx.map { (projected[$0].0 / projected[$0].2, projected[$0].1 / projected[$0].2) }
            let depth = idx.reduce(0.0) { $0 + projected[$1].2 } / 3
            let segs = idx.compactMap { $0 < ids.count ? Int(ids[$0]) : nil }
            let scarMean = idx.compactMap { $0 < scar.count && scar[$0].isFinite ? Double(scar[$0]) : nil }
            let transmural = scarMean.isEmpty ? 0 : scarMean.reduce(0, +) / Double(scarMean.count)
            let seg = segs.first ?? 0
            let fill: RGBA
            if transmural > 0.1 {
                fill = RGBA(red: 0.9, green: 0.1, blue: 0.1, alpha: 0.35 + 0.4 * min(transmural, 1))
            } else if seg > 0 && seg == r.primaryTarget {
                fill = RGBA(red: 0.1, green: 0.85, blue: 0.2, alpha: 0.7)
            } else if seg > 0 && r.lmaTargets.contains(seg) {
                fill = RGBA(red: 0.4, green: 0.9, blue: 0.4, alpha: 0.35)
            } else {
                fill = RGBA(red: 0.35, green: 0.6, blue: 1.0, alpha: 0.08)
            }
            fig.triangles.append(.init(corners: corners, depth: depth, fill: fill))
        }
        for (name, curve) in fusion.landmarks.curvesMm.sorted(by: { $0.key < $1.key }) {
            let pts = curve.compactMap { p.project($0) }.map { ($0.column, $0.row) }
            fig.polylines.append((pts, RGBA(red: 1, green: 0.8, blue: 0.1, alpha: 0.7), 1.2))
            _ = name
        }
        // The LV contour the refinement aligned with the heart's border (`HeartBorder`): the outline's apical edges.
        let border = HeartBorder.Settings()
        let surface = fusion.landmarks.epicardialSurface(angleStepDeg: border.angleStepDeg)
        let outline = HeartBorder.convexHull(surface.enumerated().compactMap { i, s in p.project(s.pointMm).map { (x: $0.column, y: $0.row, index: i) } })
        for k in outline.indices {
            let a = outline[k], b = outline[(k + 1) % outline.count]
            guard surface[a.index].heightFraction > border.basalExclusionFraction, surface[b.index].heightFraction > border.basalExclusionFraction else { continue }
            fig.polylines.append(([(a.x, a.y), (b.x, b.y)], RGBA(red: 1, green: 0.55, blue: 0.1, alpha: 0.9), 1.5))
        }
        for (name, x) in fusion.landmarks.landmarksMm.sorted(by: { $0.key < $1.key }) {
            if fusion.landmarks.slidingCurvesMm[name] == nil, let q = p.project(x) { fig.markers.append(.init(column: q.column, row: q.row, color: RGBA(red: 1, green: 0.8, blue: 0.1), label: "")) }
            if let c = view.clicks[name] { fig.markers.append(.init(column: c.column, row: c.row, color: RGBA(red: 0.2, green: 0.9, blue: 1), label: name)) }
        }
        if let px = fusion.record.lead.electrodesPx[view.name] {
            for (k, e) in px.enumerated() {
                let pacing = fusion.record.lead.pacingElectrodeIndex == k
                fig.markers.append(.init(column: e[0], row: e[1], color: pacing ? RGBA(red: 1, green: 0.3, blue: 1) : RGBA(red: 1, green: 1, blue: 1),
                                         label: pacing ? "pacing" : ""))
            }
        }
        return fig
    }
}

extension DualViewFusion.Output {
    /// Records the fusion in the CMR pipeline's output: the heart pose, the views, the lead and the fluoroscopy
    /// record (the analysis.json keys `heartPose`, `views`, `lead`, `fluoroscopy`).
    public func record(into output: inout GuidancePipeline.Output) {
        output.result.heartPose = worldFromHeart.matrix4x4
        output.result.views = views
        output.result.lead = lead
        output.result.fluoroscopy = record
    }

    /// An `AnalysisWriter` extra that writes `figures/overlay-<VIEW>.png` for every view: the mesh projected with
    /// scar in red and the LMA target in green (the paper's Figure 2).
    public func overlayWriter(study: FluoroStudy, cmr: GuidancePipeline.Output) -> AnalysisProducts.Writer {
        let fusion = self
        return { path in
            for view in study.views {
                try DualViewFusion.overlay(view: view, cmr: cmr, fusion: fusion).writePNG(path: path("figures/overlay-\(view.name).png"))
            }
        }
    }
}

/// The registration could not start: the operator's clicks give too few landmarks seen in two views (the
/// venograms did not show them). Not an input error: the CMR analysis stands, written without `heartPose`, and a
/// scorer counts the case as not registered (docs/fluoroscopy.md, "When the views cannot be registered").
public struct RegistrationNotPossible: Error, CustomStringConvertible, Sendable {
    /// One line: which landmarks are missing and how many the registration needs.
    public var reason: String
    public init(reason: String) { self.reason = oneLine(reason) }
    public var description: String { reason }
}
