import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import SegmentModel
import Statistics

/// Scores one analysis (the pipeline's output) against its case's truth (DOMAIN.md section 4). This is the scorer,
/// in `Validation`, outside the pipeline: it reads both sides; the pipeline modules (`GuidancePipeline`,
/// `FluoroGuidance`) cannot import the generator and never read `truth/`. Every metric compares keys of the shared vocabulary (truth.json vs analysis.json).
public struct AnalysisScore: Codable, Sendable {
    /// Cohen's kappa of scarred / not scarred over the 36 segments (1 when both are constant and agree).
    public var scarKappa: Double
    /// Voxel Dice of the scar mask against the truth's scar core on the LGE grid; nil when neither has scar.
    public var scarDice: Double?
    /// Scar burden difference, analysis - truth (percentage points).
    public var scarBurdenErrorPoints: Double
    public var truthHasScar: Bool
    public var analysisFoundScar: Bool
    /// Relative volume errors (fraction) and EF difference (points).
    public var edvRelativeError: Double
    public var esvRelativeError: Double
    public var efErrorPoints: Double
    /// Median absolute activation-time error over segments measured by both (ms).
    public var activationMedianAbsErrorMs: Double?
    /// Latest-activated segment found vs truth: "within", "adjacent" or "remote".
    public var latestSegmentCategory: String?
    /// Primary target vs truth: "within", "adjacent", "remote", or "missing" (one side has none), "agree-none".
    public var primaryTargetCategory: String
    public var primaryTargetTruth: Int?
    public var primaryTargetAnalysis: Int?
    /// Scarred flags of the 36 segments (truth, analysis), for kappa pooled over cases.
    public var scarredTruth: [Bool]
    public var scarredAnalysis: [Bool]
    /// Distance (mm) between the end-diastolic centres, in the truth's geometry, of the truth's and the analysis'
    /// primary targets; nil unless both have one.
    public var targetDistanceMm: Double?
    /// RMSE of the radial strain curves (strain in percent) over the segments the analysis measured and the frames
    /// both sides have; nil when none.
    public var strainRMSEPercent: Double?
    /// The primary target against the truth's near-ties (`GroundTruth.targetTies`): "exact", "tie" (another
    /// segment of the tie set), "adjacent" (to the true target, outside the tie set), "remote"; nil unless both
    /// have a target. `targetTieCount`: the size of the truth's tie set (1: no near-tie).
    public var primaryTargetTieCategory: String?
    public var targetTieCount: Int?
    /// The same for the latest-activated segment (`GroundTruth.latestTies`).
    public var latestSegmentTieCategory: String?
    public var latestTieCount: Int?
    /// The truth's latest-activated segment and its eligible segments (for the null baselines: a constant answer
    /// and a random eligible answer).
    public var latestSegmentTruth: Int?
    public var eligibleTruth: [Int]?
    /// Segments with an activation time in the analysis (coverage; 36 = every segment measured).
    public var activationSegmentsMeasured: Int?
    /// Values of both sides, for agreement statistics (ICC) over cases: scar burden (%), EDV (mL), EF (fraction).
    public var scarBurdenTruthPercent: Double?
    public var scarBurdenAnalysisPercent: Double?
    public var edvTruthMl: Double?
    public var edvAnalysisMl: Double?
    public var efTruth: Double?
    public var efAnalysis: Double?

    /// A score from its values (the scorer builds it with `score(truth:analysis:truthScarLabels:analysisScarMask:)`;
    /// tests and merged runs may build one directly).
    public init(scarKappa: Double, scarDice: Double? = nil, scarBurdenErrorPoints: Double, truthHasScar: Bool,
                analysisFoundScar: Bool, edvRelativeError: Double, esvRelativeError: Double, efErrorPoints: Double,
                activationMedianAbsErrorMs: Double? = nil, latestSegmentCategory: String? = nil,
                primaryTargetCategory: String, primaryTargetTruth: Int? = nil, primaryTargetAnalysis: Int? = nil,
                scarredTruth: [Bool], scarredAnalysis: [Bool], targetDistanceMm: Double? = nil,
                strainRMSEPercent: Double? = nil, scarBurdenTruthPercent: Double? = nil, scarBurdenAnalysisPercent: Double? = nil,
                edvTruthMl: Double? = nil, edvAnalysisMl: Double? = nil, efTruth: Double? = nil, efAnalysis: Double? = nil) {
        self.scarKappa = scarKappa; self.scarDice = scarDice; self.scarBurdenErrorPoints = scarBurdenErrorPoints
        self.truthHasScar = truthHasScar; self.analysisFoundScar = analysisFoundScar
        self.edvRelativeError = edvRelativeError; self.esvRelativeError = esvRelativeError; self.efErrorPoints = efErrorPoints
        self.activationMedianAbsErrorMs = activationMedianAbsErrorMs; self.latestSegmentCategory = latestSegmentCategory
        self.primaryTargetCategory = primaryTargetCategory; self.primaryTargetTruth = primaryTargetTruth
        self.primaryTargetAnalysis = primaryTargetAnalysis; self.scarredTruth = scarredTruth; self.scarredAnalysis = scarredAnalysis
        self.targetDistanceMm = targetDistanceMm; self.strainRMSEPercent = strainRMSEPercent
        self.scarBurdenTruthPercent = scarBurdenTruthPercent; self.scarBurdenAnalysisPercent = scarBurdenAnalysisPercent
        self.edvTruthMl = edvTruthMl; self.edvAnalysisMl = edvAnalysisMl; self.efTruth = efTruth; self.efAnalysis = efAnalysis
    }

    /// Scores values in memory. `truthScarLabels`: truth/lge-scar.nii.gz (2 = core); `analysisScarMask`: non-zero = scar.
    public static func score(truth: GroundTruth, analysis: AnalysisResult, truthScarLabels: [Float],
                             analysisScarMask: [Float]) -> AnalysisScore {
        // Every metric compares the two sides' shared vocabulary, except the scar Dice (the label files) and
        // whether the analysis found scar (its `scar.present`).
        let analysisFoundScar = analysis.scar.present
        let targetTies = truth.targetTies, latestTies = truth.latestTies
        let truth = truth.findings, analysis = analysis.findings
        let a = truth.segments.map(\.scarred), b = analysis.segments.map(\.scarred)
        var both = 0, tp = 0, fp = 0, fn = 0
        for (t, e) in zip(truthScarLabels, analysisScarMask) {
            let ts = t >= 2, es = e != 0
            if ts && es { tp += 1 } else if es { fp += 1 } else if ts { fn += 1 }
            if ts || es { both += 1 }
        }
        let dice: Double? = both > 0 ? 2 * Double(tp) / Double(2 * tp + fp + fn) : nil
        var errors: [Double] = []
        for (t, e) in zip(truth.segments, analysis.segments) {
            if let x = t.activationTimeMs, let y = e.activationTimeMs { errors.append(abs(x - y)) }
        }
        func latest(_ s: [SegmentRecord]) -> Int? {
            s.filter { $0.activationTimeMs != nil }.max { $0.activationTimeMs! < $1.activationTimeMs! }?.id
        }
        func category(_ x: Int?, _ y: Int?) -> String {
            switch (x, y) {
            case (nil, nil): return "agree-none"
            case let (t?, e?): return LeadCategory.category36(lead: Segment36(e)!, target: Segment36(t)!).rawValue
            default: return "missing"
            }
        }
        let latestT = latest(truth.segments), latestA = latest(analysis.segments)
        var distance: Double? = nil
        if let t = truth.primaryTarget, let e = analysis.primaryTarget,
           let ct = truth.segments.first(where: { $0.id == t })?.centreMm, let ce = truth.segments.first(where: { $0.id == e })?.centreMm {
            distance = (ct - ce).length
        }
        var sq = 0.0, count = 0
        for (k, curve) in analysis.radialStrainCurves.enumerated() where k < truth.radialStrainCurves.count {
            guard let curve, let reference = truth.radialStrainCurves[k] else { continue }
            for (x, y) in zip(curve, reference) where x.isFinite && y.isFinite { sq += 1e4 * (x - y) * (x - y); count += 1 }
        }
        var score = AnalysisScore(
            scarKappa: Agreement.cohensKappa(a, b), scarDice: dice,
            scarBurdenErrorPoints: analysis.scarBurdenPercent - truth.scarBurdenPercent,
            truthHasScar: truth.segments.contains { $0.scarred }, analysisFoundScar: analysisFoundScar,
            edvRelativeError: (analysis.edvMl - truth.edvMl) / truth.edvMl,
            esvRelativeError: (analysis.esvMl - truth.esvMl) / truth.esvMl,
            efErrorPoints: 100 * (analysis.ef - truth.ef),
            activationMedianAbsErrorMs: try? Statistics.median(errors),
            latestSegmentCategory: (latestT != nil && latestA != nil) ? category(latestT, latestA) : nil,
            primaryTargetCategory: category(truth.primaryTarget, analysis.primaryTarget),
            primaryTargetTruth: truth.primaryTarget, primaryTargetAnalysis: analysis.primaryTarget,
            scarredTruth: a, scarredAnalysis: b)
        score.targetDistanceMm = distance
        score.strainRMSEPercent = count > 0 ? (sq / Double(count)).squareRoot() : nil
        score.scarBurdenTruthPercent = truth.scarBurdenPercent
        score.scarBurdenAnalysisPercent = analysis.scarBurdenPercent
        score.edvTruthMl = truth.edvMl; score.edvAnalysisMl = analysis.edvMl
        score.efTruth = truth.ef; score.efAnalysis = analysis.ef
        // Near-ties: a pick inside the truth's tie set is within the truth's own resolution.
        func tieCategory(truth t: Int?, ties: [Int], analysis e: Int?) -> String? {
            guard let t, let e, let ts = Segment36(t), let es = Segment36(e) else { return nil }
            if e == t { return "exact" }
            if ties.contains(e) { return "tie" }
            return LeadCategory.category36(lead: es, target: ts) == .adjacent ? "adjacent" : "remote"
        }
        score.primaryTargetTieCategory = tieCategory(truth: truth.primaryTarget, ties: targetTies, analysis: analysis.primaryTarget)
        score.targetTieCount = truth.primaryTarget == nil ? nil : max(1, targetTies.count)
        score.latestSegmentTieCategory = tieCategory(truth: latestT, ties: latestTies, analysis: latestA)
        score.latestTieCount = latestT == nil ? nil : max(1, latestTies.count)
        score.latestSegmentTruth = latestT
        score.eligibleTruth = truth.segments.filter { DecisionModel().exclusions(of: $0).isEmpty }.map(\.id)
        score.activationSegmentsMeasured = analysis.segments.filter { $0.activationTimeMs != nil }.count
        return score
    }
}

/// Agreement of per-segment ratings for scoring (DOMAIN.md section 4), through the Statistics module.
public enum Agreement {
    /// Cohen's kappa of two binary ratings. When chance agreement is 1 (both raters constant) kappa is undefined;
    /// the scorer counts identical constant ratings as full agreement (1) and different ones as none (0), as issue 5
    /// asks for cases where neither side has scar.
    public static func cohensKappa(_ a: [Bool], _ b: [Bool]) -> Double {
        if let k = try? Statistics.cohensKappa(first: a, second: b, categories: [false, true]).kappa { return k }
        return a == b ? 1 : 0
    }
}
