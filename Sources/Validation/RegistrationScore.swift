import CRTCore
import FluoroGuidance
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import SegmentModel

/// Scores the fluoroscopy stage against the truth (DOMAIN.md section 4, van de Kraats et al. 2005): the
/// estimated `heartPose` against the true one over points of the LV myocardium, and the lead classification.
public struct RegistrationScore: Codable, Sendable {
    /// Mean target registration error (mm): mean |T_true x - T_est x| over the LV myocardium points.
    public var mTREMm: Double
    /// The same for the landmark-only pose (before the image refinement).
    public var landmarkMTREMm: Double?
    /// Mean projection distance (mm at the isocentre): detector distance between the points projected with the true
    /// and the estimated pose, over the points and views, divided by the isocentre magnification.
    public var mPDMm: Double
    /// Mean reprojection distance (mm): distance from each true world point to the ray from the source through
    /// its projection under the estimated pose, over points and views.
    public var mRPDMm: Double
    /// Success: final mTRE below `successMTREMm` (and below 2 mm).
    public var success: Bool
    public var successStrict: Bool
    /// Lead: truth and analysis segment of the pacing electrode and categories (nil when either side has none).
    public var leadSegmentTruth: Int?
    public var leadSegmentAnalysis: Int?
    public var leadCategory36Truth: String?
    public var leadCategory36Analysis: String?
    public var leadCategory18Truth: String?
    public var leadCategory18Analysis: String?
    /// Category against the pipeline's own primary target of the true segment of the electrode the pipeline chose
    /// for pacing (the truth electrode nearest the pipeline's pacing electrode; the truth's pacing electrode when the
    /// truth lists no electrode segments): isolates the lead localisation from the CMR target choice.
    public var leadCategory36TruthSegmentVsAnalysisTarget: String?
    /// The truth has a lead and the analysis found none (its `lead` is absent).
    public var leadNotFound: Bool?
    /// Fluoroscopy-only segment and category (against the pipeline's target).
    public var fluoroscopyOnlySegment: Int?
    public var fluoroscopyOnlyCategory36: String?
    /// Distance of the estimated pacing electrode from the true one (CMR frame, mm). The two are chosen against
    /// different targets (the pipeline's and the truth's), so this carries the target choice as well.
    public var pacingElectrodeErrorMm: Double?
    /// Distance of the estimated pacing electrode from the nearest true electrode (CMR frame, mm): the lead
    /// localisation alone (detection, triangulation, registration).
    public var electrodeLocalisationErrorMm: Double?

    public static let successMTREMm = 5.0
    public static let strictSuccessMTREMm = 2.0
    /// Points sampled from the myocardium (every n-th voxel) to keep scoring fast.
    public static let maximumPoints = 4000

    /// LV myocardium points (CMR patient mm) of `truth/cine-labels.nii.gz` at end-diastole (frame 0).
    public static func myocardiumPoints(caseDirectory: String) throws -> [Vec3] {
        let labels = try NIfTI.read(caseDirectory + "/truth/cine-labels.nii.gz")
        let g = labels.grid, n = g.size[0] * g.size[1] * g.size[2]
        let myo = Float(Tissue.lvMyocardium.rawValue)
        var idx: [Int] = []
        for i in 0..<n where labels.data[i] == myo { idx.append(i) }
        let step = max(1, idx.count / maximumPoints)
        return stride(from: 0, to: idx.count, by: step).map { i in
            let v = idx[i]
            return g.patient(Double(v % g.size[0]), Double((v / g.size[0]) % g.size[1]), Double(v / (g.size[0] * g.size[1])))
        }
    }

    public static func score(caseDirectory: String, analysisDirectory: String) throws -> RegistrationScore? {
        let truth = try JSONDecoder().decode(GroundTruth.self, from: Data(contentsOf: URL(fileURLWithPath: caseDirectory + "/truth/truth.json")))
        let analysis = try JSONDecoder().decode(AnalysisResult.self, from: Data(contentsOf: URL(fileURLWithPath: analysisDirectory + "/analysis.json")))
        return score(truth: truth, analysis: analysis, pointsMm: try myocardiumPoints(caseDirectory: caseDirectory))
    }

    /// Mean target registration error of a pose over points (mm).
    public static func mTRE(_ truePose: Affine3D, _ estimate: Affine3D, _ points: [Vec3]) -> Double {
        points.reduce(0) { $0 + (truePose.apply($1) - estimate.apply($1)).length } / Double(max(points.count, 1))
    }

    /// The mean of `mTRE` over several true poses (one per view when the views were taken at different instants).
    public static func meanMTRE(_ truePoses: [Affine3D], _ estimate: Affine3D, _ points: [Vec3]) -> Double {
        truePoses.reduce(0) { $0 + mTRE($1, estimate, points) } / Double(max(truePoses.count, 1))
    }

    /// The mean over views of `mTRE` with a pose per view on both sides (`estimates` in the order of `truePoses`;
    /// a single estimate stands for every view).
    public static func meanMTRE(_ truePoses: [Affine3D], estimates: [Affine3D], _ points: [Vec3]) -> Double {
        guard estimates.count == truePoses.count else { return meanMTRE(truePoses, estimates.first ?? .identity, points) }
        return zip(truePoses, estimates).reduce(0) { $0 + mTRE($1.0, $1.1, points) } / Double(max(truePoses.count, 1))
    }

    /// The analysis's pose per view: `fluoroscopy.viewHeartPoses` when it gives every view, else `heartPose` for all.
    public static func estimatedPoses(_ analysis: AnalysisResult, viewNames: [String], heartPose: Affine3D) -> [Affine3D] {
        guard let poses = analysis.fluoroscopy?.viewHeartPoses, viewNames.allSatisfy({ poses[$0] != nil }) else {
            return viewNames.map { _ in heartPose }
        }
        return viewNames.map { Affine3D(matrix4x4: poses[$0]!) }
    }

    /// The true pose per view the registration is scored against: with motion (truth `views[].images`), the
    /// heart's pose in the venogram frame the registration used (`frames`: analysis `fluoroscopy.venogramFrames`),
    /// else the frame the operator clicked; without motion, `heartPose`. Nil when the truth has no pose.
    public static func truePoses(_ truth: GroundTruth, frames: [String: Int]?) -> [Affine3D]? {
        guard let tp = truth.findings.heartPose, let views = truth.views else { return nil }
        return views.map { v in v.venogramPose(frame: frames?[v.name]) ?? Affine3D(matrix4x4: tp) }
    }

    /// Scores in memory; nil when either side has no pose.
    public static func score(truth: GroundTruth, analysis: AnalysisResult, pointsMm: [Vec3]) -> RegistrationScore? {
        // The poses and the lead are keys of the shared vocabulary; the views (truth) and the landmark pose and
        // fluoroscopy-only lead (analysis) are each side's own.
        guard let views = truth.views else { return nil }
        let fluoroscopy = analysis.fluoroscopy
        guard let poses = truePoses(truth, frames: fluoroscopy?.venogramFrames), let ep = analysis.findings.heartPose else { return nil }
        let estimates = estimatedPoses(analysis, viewNames: views.map(\.name), heartPose: Affine3D(matrix4x4: ep))
        let truth = truth.findings, analysis = analysis.findings
        let mtre = meanMTRE(poses, estimates: estimates, pointsMm)
        let landmark = fluoroscopy.map { meanMTRE(poses, Affine3D(matrix4x4: $0.registration.landmarkPose), pointsMm) }
        var pd = 0.0, rpd = 0.0, n = 0
        for ((v, t), e) in zip(zip(views, poses), estimates) {
            let g = v.geometry, p = v.projection
            let mmPerPixel = 0.5 * (g.columnSpacingMm + g.rowSpacingMm) / g.isocentreMagnification
            for x in pointsMm {
                let wt = t.apply(x), we = e.apply(x)
                guard let qt = p.project(wt), let qe = p.project(we) else { continue }
                pd += ((qt.column - qe.column) * (qt.column - qe.column) + (qt.row - qe.row) * (qt.row - qe.row)).squareRoot() * mmPerPixel
                let ray = (g.pixelPositionMm(column: qe.column, row: qe.row) - g.sourceMm).normalized
                let d = wt - g.sourceMm
                rpd += (d - ray * d.dot(ray)).length
                n += 1
            }
        }
        var s = RegistrationScore(mTREMm: mtre, landmarkMTREMm: landmark, mPDMm: pd / Double(max(n, 1)), mRPDMm: rpd / Double(max(n, 1)),
                                  success: mtre < successMTREMm, successStrict: mtre < strictSuccessMTREMm)
        s.leadSegmentTruth = truth.lead?.segment36
        s.leadSegmentAnalysis = analysis.lead?.segment36
        s.leadCategory36Truth = truth.lead?.category36?.rawValue
        s.leadCategory18Truth = truth.lead?.category18?.rawValue
        s.leadCategory36Analysis = analysis.lead?.category36?.rawValue
        s.leadCategory18Analysis = analysis.lead?.category18?.rawValue
        s.leadNotFound = truth.lead != nil && analysis.lead == nil
        if let tl = truth.lead, let target = analysis.primaryTarget.flatMap({ Segment36($0) }) {
            var segment = tl.segment36
            if let chosen = analysis.lead?.pacingElectrodeMm, let electrodes = tl.electrodesMm, let segments = tl.electrodeSegments36,
               electrodes.count == segments.count, !electrodes.isEmpty {
                let nearest = electrodes.indices.min { (electrodes[$0] - chosen).length < (electrodes[$1] - chosen).length }!
                segment = segments[nearest]
                s.electrodeLocalisationErrorMm = (electrodes[nearest] - chosen).length
            }
            if let ts = Segment36(segment) {
                s.leadCategory36TruthSegmentVsAnalysisTarget = LeadCategory.category36(lead: ts, target: target).rawValue
            }
        }
        s.fluoroscopyOnlySegment = fluoroscopy?.fluoroscopyOnly?.segment36
        s.fluoroscopyOnlyCategory36 = fluoroscopy?.fluoroscopyOnly?.category36?.rawValue
        if let a = analysis.lead?.pacingElectrodeMm, let b = truth.lead?.pacingElectrodeMm { s.pacingElectrodeErrorMm = (a - b).length }
        return s
    }

    /// A score from its pose errors; the lead fields start nil (set them as needed).
    public init(mTREMm: Double, landmarkMTREMm: Double?, mPDMm: Double, mRPDMm: Double, success: Bool, successStrict: Bool) {
        self.mTREMm = mTREMm; self.landmarkMTREMm = landmarkMTREMm; self.mPDMm = mPDMm; self.mRPDMm = mRPDMm
        self.success = success; self.successStrict = successStrict
    }
}

/// A case whose truth has fluoroscopy but whose analysis gives no `heartPose`: the pipeline did not register the
/// views (any pipeline; the built-in one says why in `notes`). It counts as a registration failure in the success
/// rates and its lead as `leadCategory` in the lead agreements, so that leaving a hard case unregistered cannot
/// raise a pipeline's registration or lead scores (docs/metrics.md, "Cases not registered").
public struct NotRegistered: Codable, Sendable, Equatable {
    /// The analysis's own reason (its note `CaseAnalysis.notRegisteredNote` ...) or "analysis.json has no heartPose".
    public var reason: String
    /// The truth's lead categories, paired with `leadCategory` in the lead agreements (nil without a true lead).
    public var leadCategory36Truth: String?
    public var leadCategory18Truth: String?
    /// The true lead segment's category against the analysis's own primary target (nil without either).
    public var leadCategory36TruthSegmentVsAnalysisTarget: String?

    /// The analysis side of a not-registered case in the lead agreements: a category the truth never has.
    public static let leadCategory = "not registered"
    public init(truth: GroundTruth, analysis: AnalysisResult) {
        reason = analysis.notes.first { $0.hasPrefix(CaseAnalysis.notRegisteredNote) }.map { String($0.dropFirst(CaseAnalysis.notRegisteredNote.count)) }
            ?? "analysis.json has no heartPose"
        let lead = truth.findings.lead
        leadCategory36Truth = lead?.category36?.rawValue
        leadCategory18Truth = lead?.category18?.rawValue
        if let lead, let target = analysis.findings.primaryTarget.flatMap({ Segment36($0) }), let segment = Segment36(lead.segment36) {
            leadCategory36TruthSegmentVsAnalysisTarget = LeadCategory.category36(lead: segment, target: target).rawValue
        }
    }
}
