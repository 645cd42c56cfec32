import CRTCore
import Foundation
import SegmentModel

/// Every ground-truth value a scorer needs. Written as `truth/truth.json`, flat: the keys of the shared vocabulary
/// (`findings`, DOMAIN.md section 7, the same type as the pipeline's `AnalysisResult.findings`) beside the keys only
/// the truth has. Reads and writes of the shared keys go through `findings` (`truth.edvMl` is `truth.findings.edvMl`).
@dynamicMemberLookup
public struct GroundTruth: Codable, Sendable {
    /// 4 since the per-image X-ray truth (`views[].clickedFrame`, `views[].images[]`: venogram runs and lead images
    /// with their own cardiac phase, breathing and pose; docs/truth-schema.md "Motion and time");
    /// 3 since the realistic-patient acquisition keys and transmurality as the fraction of the wall the core spans;
    /// 2 since `targetTies` and `latestTies` (docs/schemas.md); a version-1 file is read with both derived from its
    /// segments by the default decision model.
    public var schemaVersion = 4
    /// The shared vocabulary: the generator's exact values. ED is t = 0 (the R trigger) and ES the smallest cavity
    /// volume on a 2 ms grid; the scar is the scar core and the myocardial volume the whole LV myocardium at
    /// end-diastole, apical cap included; `radialStrainCurves` has all 36 segments; `heartPose` and `lead` are
    /// filled by XRaySimulation (absent when the case has no X-ray images).
    public var findings: CaseFindings
    /// Near-ties of the primary target: the eligible segments activated within `DecisionModel.activationTieMarginMs`
    /// (10 ms) of the latest eligible one, ids ascending (the primary target among them; one id when there is no
    /// near-tie, empty without a target). A pipeline that names any of them names the truth within its resolution.
    public var targetTies: [Int] = []
    /// Near-ties of the latest-activated segment: every segment activated within 10 ms of the latest, ids ascending.
    public var latestTies: [Int] = []
    /// Things the image simulation adds (breath-hold shifts, inversion times); filled by CMRSimulation.
    public var acquisition: [String: AnyCodableValue] = [:]

    // Fluoroscopy (filled by XRaySimulation; absent when the case has no X-ray images).
    /// One entry per C-arm view: name, projection (world mm to pixel), geometry, landmark pixels.
    public var views: [XRayViewTruth]?
    /// Anatomical landmarks at the X-ray cardiac phase, CMR patient frame (LPS mm).
    public var landmarksMm: [String: Vec3]?
    /// Vein centrelines at the X-ray cardiac phase, CMR patient frame (LPS mm), by vein name.
    public var veinCentrelinesMm: [String: [Vec3]]?
    /// Facts of the X-ray simulation (phase, contrast, dose, the attenuation volume's geometry).
    public var xray: [String: AnyCodableValue]?

    /// A key of the shared vocabulary, read and written through `findings`.
    public subscript<T>(dynamicMember key: WritableKeyPath<CaseFindings, T>) -> T {
        get { findings[keyPath: key] }
        set { findings[keyPath: key] = newValue }
    }

    /// The keys only the truth has; the shared ones are `CaseFindings.CodingKeys`, in the same JSON object.
    enum CodingKeys: String, CodingKey {
        case schemaVersion, targetTies, latestTies, acquisition, views, landmarksMm, veinCentrelinesMm, xray
    }
}

/// truth.json is one flat object: the shared keys (`CaseFindings`, with its reading rule) and the truth's own.
extension GroundTruth {
    public init(from decoder: Decoder) throws {
        findings = try CaseFindings(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        if schemaVersion >= 2 {
            targetTies = try c.decode([Int].self, forKey: .targetTies)
            latestTies = try c.decode([Int].self, forKey: .latestTies)
        } else {
            // Version 1 had no ties: derived from its segments (the default decision model's eligibility).
            targetTies = DecisionModel().targetTies(findings.segments)
            latestTies = DecisionModel.latestTies(findings.segments)
        }
        acquisition = try c.decode([String: AnyCodableValue].self, forKey: .acquisition)
        views = try c.decodeIfPresent([XRayViewTruth].self, forKey: .views)
        landmarksMm = try c.decodeIfPresent([String: Vec3].self, forKey: .landmarksMm)
        veinCentrelinesMm = try c.decodeIfPresent([String: [Vec3]].self, forKey: .veinCentrelinesMm)
        xray = try c.decodeIfPresent([String: AnyCodableValue].self, forKey: .xray)
    }

    public func encode(to encoder: Encoder) throws {
        try findings.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(targetTies, forKey: .targetTies)
        try c.encode(latestTies, forKey: .latestTies)
        try c.encode(acquisition, forKey: .acquisition)
        try c.encodeIfPresent(views, forKey: .views)
        try c.encodeIfPresent(landmarksMm, forKey: .landmarksMm)
        try c.encodeIfPresent(veinCentrelinesMm, forKey: .veinCentrelinesMm)
        try c.encodeIfPresent(xray, forKey: .xray)
    }
}

/// Truth of one C-arm view (truth.json `views[]`).
public struct XRayViewTruth: Codable, Sendable, Equatable {
    /// View name (as in the file names, e.g. "LAO40").
    public var name: String
    /// World (C-arm, mm) to detector pixel (column, row), origin at the centre of the first pixel.
    public var projection: ProjectionMatrix
    /// CMR patient (LPS mm) to detector pixel: `projection` composed with `heartPose`.
    public var projectionFromPatient: ProjectionMatrix
    /// The DICOM geometry the projection was built from (the same values as xray/<name>.json).
    public var geometry: CArmView
    /// True pixel (column, row) of each landmark that falls on the detector.
    public var landmarksPx: [String: [Double]]
    /// With motion (schemaVersion 4): the venogram frame the operator clicked; `projectionFromPatient` and
    /// `landmarksPx` are that frame's.
    public var clickedFrame: Int?
    /// With motion (schemaVersion 4): every image of the view, venogram frames first, then the lead image.
    public var images: [XRayImageTruth]?
    public init(name: String, projection: ProjectionMatrix, projectionFromPatient: ProjectionMatrix,
                geometry: CArmView, landmarksPx: [String: [Double]]) {
        self.name = name; self.projection = projection; self.projectionFromPatient = projectionFromPatient
        self.geometry = geometry; self.landmarksPx = landmarksPx
    }

    /// The heart's pose (CMR patient to world) in the venogram frame `frame` (nil: the clicked frame); nil without
    /// per-image truth.
    public func venogramPose(frame: Int? = nil) -> Affine3D? {
        guard let images, let k = frame ?? clickedFrame,
              let image = images.first(where: { $0.state == "venogram" && $0.frame == k }) else { return nil }
        return Affine3D(matrix4x4: image.heartPose)
    }
}

/// One X-ray image of a view (truth.json `views[].images[]`, schemaVersion 4): when it was taken and where the
/// heart was.
public struct XRayImageTruth: Codable, Sendable, Equatable {
    /// "venogram" or "lead".
    public var state: String
    /// Frame index in the venogram run (0 for the lead image).
    public var frame: Int
    /// Time since the first frame of the view's venogram run (ms; 0 for the lead image).
    public var timeInRunMs: Double
    /// Cardiac phase (fraction of the R-R interval, 0 = R wave) and breathing phase (0 = end-inspiration).
    public var cardiacPhaseFraction: Double
    public var respiratoryPhase: Double
    /// The breathing displacement's fraction of its end-inspiration value (0 = end-expiration).
    public var respiratoryFraction: Double
    /// CMR patient (LPS mm) to C-arm world (mm) in this image: the table pose, the breathing displacement and, for
    /// the lead image, the patient's movement.
    public var heartPose: [[Double]]
    /// Lead image: the LV lead's electrode centres at this image's cardiac phase (CMR patient mm, distal first).
    public var leadElectrodesMm: [Vec3]?

    public init(state: String, frame: Int, timeInRunMs: Double, cardiacPhaseFraction: Double, respiratoryPhase: Double,
                respiratoryFraction: Double, heartPose: [[Double]], leadElectrodesMm: [Vec3]? = nil) {
        self.state = state; self.frame = frame; self.timeInRunMs = timeInRunMs; self.cardiacPhaseFraction = cardiacPhaseFraction
        self.respiratoryPhase = respiratoryPhase; self.respiratoryFraction = respiratoryFraction; self.heartPose = heartPose
        self.leadElectrodesMm = leadElectrodesMm
    }
}

/// A small JSON value for free-form truth records.
public enum AnyCodableValue: Codable, Sendable, Equatable {
    case number(Double), text(String), vectors([Vec3]), numbers([Double]), object([String: AnyCodableValue])
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let x): try c.encode(x)
        case .text(let s): try c.encode(s)
        case .vectors(let v): try c.encode(v)
        case .numbers(let v): try c.encode(v)
        case .object(let o): try c.encode(o)
        }
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let x = try? c.decode(Double.self) { self = .number(x) }
        else if let s = try? c.decode(String.self) { self = .text(s) }
        else if let v = try? c.decode([Double].self) { self = .numbers(v) }
        else if let v = try? c.decode([Vec3].self) { self = .vectors(v) }
        else { self = .object(try c.decode([String: AnyCodableValue].self)) }
    }
}

extension HeartModel {
    /// LV cavity volume (mm^3) at time t: the region inside the endocardium between the endocardial apex and the
    /// local mitral annulus (papillary muscles and trabeculae included, as clinical contours count them; the LV
    /// outflow tract up to the aortic valve counts as LV blood pool, as in Schulz-Menger et al., JCMR 2020;22:19).
    public func cavityVolumeMm3(atMs t: Double) -> Double {
        let lambda = longitudinalStretch(atMs: t)
        var v = 0.0
        let dphi = radians(1)
        for i in 0..<(heightSamples - 1) {
            let s = Double(i) * heightStepMm
            if s < endoApexHeightMm { continue }
            for j in 0..<HeartModel.angleSamples {
                let idx = i * 360 + j
                let en0 = Double(rEndo0[idx]), ep0 = Double(rEpi0[idx])
                guard en0 > 0 else { continue }
                let e = Double(peakStrain[idx]) * contraction(t - Double(onsetMs[idx]))
                let thick = (ep0 - en0) * (1 + e)
                let en = max(0, ((ep0 * ep0 - en0 * en0) / lambda / thick - thick) / 2)
                if flatBase {
                    v += 0.5 * en * en * dphi * heightStepMm * lambda
                } else {
                    // Only the blood pool below the annulus surface (cell mid-height).
                    v += annulusSurface.cavityArea(en: en, s: s + 0.5 * heightStepMm, j: j, roots: cavityRoots[idx]) * dphi * heightStepMm * lambda
                }
            }
        }
        return v
    }

    /// Computes the ground truth. `phaseTimesMs` are the cine phase times at which strain and volume curves are
    /// recorded.
    public func groundTruth(phaseTimesMs: [Double], decision: DecisionModel = DecisionModel()) -> GroundTruth {
        let na = HeartModel.angleSamples
        let dphi = radians(1), ds = heightStepMm
        var myo = [Double](repeating: 0, count: 37), core = [Double](repeating: 0, count: 37)
        var transW = [Double](repeating: 0, count: 37), area = [Double](repeating: 0, count: 37)
        var thickW = [Double](repeating: 0, count: 37)
        var centre = [Vec3](repeating: .zero, count: 37)
        var onsetW = [Double](repeating: 0, count: 37)
        let rr = Int(spec.motion.rrIntervalMs.rounded(.up)) + 1
        // Per segment: histogram over onset (ms) of volume x peak strain, for the mean strain curve.
        var hist = [[Double]](repeating: [Double](repeating: 0, count: rr), count: 37)
        var totalMyo = 0.0, totalCore = 0.0
        for i in 0..<(heightSamples - 1) {
            let s = Double(i) * ds
            for j in 0..<na {
                let idx = i * na + j
                let en = Double(rEndo0[idx]), ep = Double(rEpi0[idx])
                // Only the wall below the local annulus is LV myocardium (weight 1 everywhere for a flat base).
                let w = cellWeight(i, j)
                let vol = 0.5 * (ep * ep - en * en) * dphi * ds * w
                guard vol > 0 else { continue }
                // The core interval across the wall (obstruction included): its volume and transmural extent.
                let cIn = Double(coreIn[idx]), cOut = Double(coreOut[idx])
                let c = max(0, cOut - cIn)
                let rIn = en + cIn * (ep - en), rOut = en + cOut * (ep - en)
                let coreVol = c > 0 ? 0.5 * (rOut * rOut - rIn * rIn) * dphi * ds * w : 0
                totalMyo += vol; totalCore += coreVol
                let seg = Int(segmentIds[idx])
                guard seg > 0 else { continue }
                myo[seg] += vol; core[seg] += coreVol
                let mid0 = 0.5 * (en + ep)
                let idx1 = (i + 1) * na + j
                let mid1 = 0.5 * Double(rEndo0[idx1] + rEpi0[idx1])
                let dA = mid0 * dphi * (ds * ds + (mid1 - mid0) * (mid1 - mid0)).squareRoot() * w
                area[seg] += dA
                transW[seg] += c * dA
                thickW[seg] += (ep - en) * dA
                centre[seg] += patient(sNow: s, r: mid0, phiDeg: Double(j)) * dA
                onsetW[seg] += Double(onsetMs[idx]) * dA
                let b = min(max(Int(Double(onsetMs[idx]).rounded()), 0), rr - 1)
                hist[seg][b] += vol * Double(peakStrain[idx])
            }
        }
        let m = spec.motion
        func meanStrain(_ seg: Int, _ t: Double) -> Double {
            var acc = 0.0
            for (b, w) in hist[seg].enumerated() where w > 0 {
                acc += w * HeartModel.contraction(tauMs: t - Double(b), contractionMs: m.contractionMs, relaxationMs: m.relaxationMs)
            }
            return acc / myo[seg]
        }
        var records: [SegmentRecord] = []
        var curves: [[Double]] = []
        for seg in Segment36.all {
            let k = seg.id
            // Mean radial strain curve at 1 ms; activation = first 50 % crossing of its own peak.
            var curve = [Double](repeating: 0, count: rr)
            for t in 0..<rr { curve[t] = meanStrain(k, Double(t)) }
            let peak = curve.max() ?? 0
            var act: Double? = nil
            if peak > 0.005 {
                let half = CaseFindings.activationFractionOfPeak * peak
                for t in 1..<rr where curve[t] >= half {
                    let f = (half - curve[t - 1]) / (curve[t] - curve[t - 1])
                    act = Double(t - 1) + f
                    break
                }
            }
            var r = SegmentRecord(id: seg, scarFraction: core[k] / myo[k], transmurality: transW[k] / area[k],
                                  activationTimeMs: act, peakRadialStrain: peak, decision: decision)
            r.areaCm2 = area[k] / 100
            r.wallThicknessMm = thickW[k] / area[k]
            r.centreMm = centre[k] / area[k]
            r.onsetTimeMs = onsetW[k] / area[k]
            records.append(r)
            curves.append(phaseTimesMs.map { meanStrain(k, $0) })
        }
        let decided = decision.decide(records)
        // Volumes: ED at t = 0; ES = minimum over a 2 ms grid.
        // The grid's volumes in parallel (each time independent), then the same scan as a serial loop.
        let gridTimes = stride(from: 0.0, to: spec.motion.rrIntervalMs, by: 2).map { $0 }
        let gridVolumes = ParallelOutput<Double>(count: gridTimes.count, initial: 0)
        DispatchQueue.concurrentPerform(iterations: gridTimes.count) { i in
            gridVolumes.range(i..<(i + 1))[0] = cavityVolumeMm3(atMs: gridTimes[i])
        }
        let volumes = gridVolumes.array
        let edv = cavityVolumeMm3(atMs: 0)
        var esv = edv, esT = 0.0
        for (t, v) in zip(gridTimes, volumes) where v < esv { esv = v; esT = t }
        let sMid = 0.5 * (endoApexHeightMm + baseHeightMm)
        let g0 = gridPosition(s: sMid, phiDeg: 0), gi = gridPosition(s: sMid, phiDeg: spec.anatomy.inferiorInsertionAngleDeg)
        let ins: [String: Vec3] = [
            "anterior": patient(sNow: sMid, r: Double(bilinear(rEpi0, g0)), phiDeg: 0),
            "inferior": patient(sNow: sMid, r: Double(bilinear(rEpi0, gi)), phiDeg: spec.anatomy.inferiorInsertionAngleDeg),
        ]
        let axis: [String: Vec3] = [
            "apexMm": frame.apexMm,
            "baseCentreMm": frame.patient(s: baseHeightMm, r: 0, phiDeg: 0),
            "baseToApex": frame.apexDirection,
        ]
        let thick = records.compactMap(\.wallThicknessMm)
        var truth = GroundTruth(findings: CaseFindings(
            edvMl: edv / 1000, esvMl: esv / 1000, ef: (edv - esv) / edv, esTimeMs: esT,
            scarBurdenPercent: 100 * totalCore / totalMyo, lvMyocardialVolumeMl: totalMyo / 1000,
            wallThicknessMm: thick.reduce(0, +) / Double(thick.count),
            segments: records, lmaTargets: decided.lmaTargets, primaryTarget: decided.primaryTarget,
            targetStatus: decided.targetStatus, rvInsertionPointsMm: ins, lvAxis: axis,
            radialStrainCurves: curves, curveTimesMs: phaseTimesMs,
            volumeCurveMl: phaseTimesMs.map { cavityVolumeMm3(atMs: $0) / 1000 }))
        truth.ringBoundaries = spec.segmentModel
        truth.targetTies = decision.targetTies(records)
        truth.latestTies = DecisionModel.latestTies(records)
        return truth
    }
}

/// What one image plane cuts near the base at one instant (truth.acquisition["sliceContent"]).
public struct SliceContent: Sendable, Equatable {
    /// LV cavity area in the plane (mm^2): inside the endocardium, below the local annulus (papillary muscles and
    /// trabeculae included, the LV outflow tract included; the same region as `cavityVolumeMm3`).
    public var lvCavityMm2: Double
    /// Blood above the local annulus in the plane (mm^2): left atrium, aortic root and right atrium.
    public var atrialMm2: Double
    /// The part of `lvCavityMm2` in the LV outflow tract (mm^2): LV cavity above the mean base plane on the aortic
    /// half of the LV (within 90 degrees of the aortic side), where only the annulus's rise towards the aortic valve
    /// keeps it ventricular; 0 for a flat base.
    public var outflowTractMm2: Double = 0
    /// lvCavity / (lvCavity + atrial); 0 when the plane cuts neither.
    public var lvFraction: Double { lvCavityMm2 + atrialMm2 > 0 ? lvCavityMm2 / (lvCavityMm2 + atrialMm2) : 0 }
    public init(lvCavityMm2: Double, atrialMm2: Double, outflowTractMm2: Double = 0) {
        self.lvCavityMm2 = lvCavityMm2; self.atrialMm2 = atrialMm2; self.outflowTractMm2 = outflowTractMm2
    }
}

extension HeartModel {
    /// LV cavity and atrial blood in the plane through `planePoint` with normal `normal` (heart-attached patient
    /// coordinates, LPS mm; breath-hold shift removed) at `t` ms: which side of the mitral annulus a basal slice
    /// shows. The plane is sampled on a `stepMm` grid over a disc around the LV long axis that covers the LV, the
    /// left atrium and the aortic root.
    public func basalContent(planePoint: Vec3, normal: Vec3, atMs t: Double, stepMm: Double = 1) -> SliceContent {
        basalContent(planePoint: planePoint, normal: normal, state: state(atMs: t), stepMm: stepMm)
    }

    /// `basalContent(planePoint:normal:atMs:stepMm:)` at a state already computed (`state(atMs:)`), for callers that
    /// judge many planes at one time.
    public func basalContent(planePoint: Vec3, normal: Vec3, state st: HeartState, stepMm: Double = 1) -> SliceContent {
        let n = normal.normalized
        // Disc centre: where the long axis meets the plane (the plane point when the plane is near-parallel to it).
        let along = frame.baseDirection.dot(n)
        var centre = planePoint
        if abs(along) > 0.2 {
            let k = (planePoint - frame.apexMm).dot(n) / along
            centre = frame.apexMm + frame.baseDirection * k
        }
        let helper = abs(n.dot(Vec3(1, 0, 0))) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
        let e1 = n.cross(helper).normalized, e2 = n.cross(e1).normalized
        let radius = maxEpiRadiusMm + 25 + curvatureMm
        let m = Int((radius / stepMm).rounded(.up))
        var lv = 0, atrial = 0, outflow = 0
        for i in -m...m {
            for j in -m...m {
                let x = Double(i) * stepMm, y = Double(j) * stepMm
                if x * x + y * y > radius * radius { continue }
                let p = centre + e1 * x + e2 * y
                let (sNow, r, phi) = local(p, lambda: st.lambda)
                if sNow < 0 { continue }
                if sNow <= annulusHeight(r: r, phiDeg: phi) * st.lambda {
                    let g = gridPosition(s: sNow / st.lambda, phiDeg: phi)
                    if r < Double(bilinear(st.rEndo, g)) {
                        lv += 1
                        if !flatBase && sNow > baseHeightMm * st.lambda
                            && abs(angleDifferenceDegrees(phi, HeartModel.aorticOrificeAngleDeg)) < 90 { outflow += 1 }
                    }
                } else if sample(p, st)?.tissue == .blood {
                    atrial += 1
                }
            }
        }
        let a = stepMm * stepMm
        return SliceContent(lvCavityMm2: Double(lv) * a, atrialMm2: Double(atrial) * a, outflowTractMm2: Double(outflow) * a)
    }
}
