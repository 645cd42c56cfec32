import Foundation
import SegmentModel
import Statistics

/// Metrics of a scenario run: id, unit and direction, computed from the per-case results (DOMAIN.md section 4).
/// A metric that does not apply to a run (registration without fluoroscopy, inter-observer agreement without a
/// second observer, an undefined statistic) is NaN, written as null; an expectation on it fails. There are no timing
/// metrics: times vary with the machine's load, so they are in cases.csv and the benchmarks, not in what `compare`
/// and shard merging must reproduce exactly.
public enum PipelineMetrics {
    public struct Metric: Codable, Sendable, Equatable {
        public var id: String
        public var value: Double
        public var unit: String
        /// "higher" or "lower" is better.
        public var better: String
        /// Why the value is null (NaN): set for every metric without a value, absent otherwise.
        public var reason: String?
        /// Cases the value is computed on (coverage: fewer than the run's cases when some lack what it reads).
        public var cases: Int?

        enum CodingKeys: String, CodingKey { case id, value, unit, better, reason, cases }
        public init(id: String, value: Double, unit: String, better: String, reason: String? = nil, cases: Int? = nil) {
            self.id = id; self.value = value; self.unit = unit; self.better = better; self.reason = reason; self.cases = cases
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            value = try c.decodeIfPresent(Double.self, forKey: .value) ?? .nan
            unit = try c.decode(String.self, forKey: .unit)
            better = try c.decode(String.self, forKey: .better)
            reason = try c.decodeIfPresent(String.self, forKey: .reason)
            cases = try c.decodeIfPresent(Int.self, forKey: .cases)
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            if value.isFinite { try c.encode(value, forKey: .value) } else { try c.encodeNil(forKey: .value) }
            try c.encode(unit, forKey: .unit)
            try c.encode(better, forKey: .better)
            try c.encodeIfPresent(reason, forKey: .reason)
            try c.encodeIfPresent(cases, forKey: .cases)
        }
    }

    /// What a metric needs from the run beyond the CMR analysis: registration and lead metrics need the
    /// fluoroscopy stage, observer metrics a second observer, the capture range perturbed registration starts.
    public enum Requirement: String, Sendable { case cmr, fluoroscopy, registrationStarts, secondObserver }

    /// The requirement of metric `id` (by its family prefix).
    public static func requirement(of id: String) -> Requirement {
        if id == "registration.capture_range_mm" { return .registrationStarts }
        if id.hasPrefix("registration.") || id.hasPrefix("lead.") { return .fluoroscopy }
        if id.hasPrefix("observer.") { return .secondObserver }
        return .cmr
    }

    /// Why metric `id` has no value on `cases`: the stage it needs did not run, or the statistic is undefined on
    /// these cases (no case it applies to, a single category, no spread).
    public static func nullReason(id: String, cases: [CaseEvaluation.Result]) -> String {
        if cases.isEmpty { return "no cases" }
        switch requirement(of: id) {
        case .fluoroscopy where !cases.contains { $0.registration != nil || $0.notRegistered != nil }:
            return "needs the fluoroscopy stage, which no case ran (scenario fluoroscopy disabled)"
        case .fluoroscopy where !cases.contains { $0.registration != nil }:
            return "no case was registered (\(cases.filter { $0.notRegistered != nil }.count) not registered: analysis without heartPose)"
        case .registrationStarts where !cases.contains { !($0.registrationTrials ?? []).isEmpty }:
            return "needs perturbed registration starts (scenario fluoroscopy.registrationStarts is 0 or fluoroscopy disabled)"
        case .secondObserver where !cases.contains { $0.secondObserver != nil }:
            return "needs a second observer, which the scenario does not have"
        default:
            return id.contains("kappa") || id.contains("icc")
                ? "undefined on these cases: no case it applies to, or every pair in one category (no spread to agree on)"
                : "undefined on these cases: no case it applies to"
        }
    }

    public static let definitions: [(id: String, unit: String, better: String)] = [
        ("scar.kappa", "1", "higher"), ("scar.kappa_ci_lower", "1", "higher"), ("scar.dice_mean", "1", "higher"),
        ("scar.burden_abs_error_max_pp", "percentage points", "lower"), ("scar.burden_icc", "1", "higher"),
        ("scar.false_positive_cases", "cases", "lower"),
        ("scar.pabak", "1", "higher"), ("scar.prevalence_index", "1", "lower"), ("scar.bias_index", "1", "lower"),
        ("volume.edv_abs_rel_error_max", "fraction", "lower"), ("volume.esv_abs_rel_error_max", "fraction", "lower"),
        ("volume.ef_abs_error_max_points", "EF points", "lower"), ("volume.edv_icc", "1", "higher"), ("volume.ef_icc", "1", "higher"),
        ("activation.mae_median_ms", "ms", "lower"), ("activation.latest_hit_rate", "fraction", "higher"),
        ("activation.latest_within_tie_set_rate", "fraction", "higher"), ("activation.cases_with_latest_ties", "cases", "lower"),
        ("activation.segments_measured_fraction", "fraction", "higher"),
        ("strain.radial_rmse_mean_pct", "strain percent", "lower"),
        ("target.within_or_adjacent_rate", "fraction", "higher"), ("target.exact_rate", "fraction", "higher"),
        ("target.remote_rate", "fraction", "lower"), ("target.distance_mean_mm", "mm", "lower"),
        ("target.within_tie_set_rate", "fraction", "higher"), ("target.cases_with_ties", "cases", "lower"),
        ("target.exact_rate_cases_with_ties", "fraction", "higher"), ("target.within_tie_set_rate_cases_with_ties", "fraction", "higher"),
        ("target.within_or_adjacent_rate_cases_with_ties", "fraction", "higher"), ("target.remote_rate_cases_with_ties", "fraction", "lower"),
        ("registration.mtre_median_mm", "mm", "lower"), ("registration.mtre_landmarks_median_mm", "mm", "lower"),
        ("registration.mpd_median_mm", "mm", "lower"), ("registration.mrpd_median_mm", "mm", "lower"),
        ("registration.success_rate_5mm", "fraction", "higher"), ("registration.success_rate_2mm", "fraction", "higher"),
        ("registration.not_registered_cases", "cases", "lower"),
        ("registration.capture_range_mm", "mm", "higher"),
        ("lead.tip_error_median_mm", "mm", "lower"), ("lead.electrode_localisation_error_median_mm", "mm", "lower"),
        ("lead.electrode_localisation_error_max_mm", "mm", "lower"), ("lead.segment_agreement_rate", "fraction", "higher"),
        ("lead.category36_agreement_rate", "fraction", "higher"), ("lead.category36_kappa", "1", "higher"),
        ("lead.category36_kappa_ci_lower", "1", "higher"), ("lead.category36_weighted_kappa", "1", "higher"),
        ("lead.category36_pabak", "1", "higher"), ("lead.category36_truth_mode_share", "fraction", "lower"),
        ("lead.category18_kappa", "1", "higher"), ("lead.localisation_category36_kappa", "1", "higher"),
        ("lead.fluoroscopy_only_kappa", "1", "higher"),
        ("observer.scar_kappa", "1", "higher"), ("observer.scar_burden_icc", "1", "higher"),
        ("observer.target_same_rate", "fraction", "higher"), ("observer.target_within_or_adjacent_rate", "fraction", "higher"),
        ("observer.lead_category36_kappa", "1", "higher"),
        ("pipeline.failure_rate", "fraction", "lower"),
    ]
    public static var ids: [String] { definitions.map(\.id) }

    /// The lead categories in their order (for the linearly weighted kappa).
    public static let leadCategories = ["within", "adjacent", "remote"]
    /// The lead categories and the analysis' "not found", the worst outcome: a true lead the pipeline did not find
    /// counts against its agreement instead of leaving the kappa.
    /// After it, `NotRegistered.leadCategory` for a case not registered at all.
    public static let leadOutcomes = leadCategories + ["not found", NotRegistered.leadCategory]

    /// The categories of a set of lead pairs: "not found" and "not registered" join them only when they occur, so
    /// the linear weights of a run that registered every case and found every lead stay those of the three ordered
    /// categories.
    public static func leadCategories(of pairs: [(String, String)]) -> [String] {
        leadCategories + leadOutcomes.dropFirst(leadCategories.count).filter { c in pairs.contains { $0.1 == c } }
    }

    /// (truth, analysis) lead categories over the cases with a truth category; the analysis side is "not found"
    /// when the pipeline found no lead.
    public static func leadPairs(_ regs: [RegistrationScore], truth: KeyPath<RegistrationScore, String?>,
                          analysis: KeyPath<RegistrationScore, String?>) -> [(String, String)] {
        regs.compactMap { r in
            guard let a = r[keyPath: truth] else { return nil }
            if let b = r[keyPath: analysis] { return (a, b) }
            return r.leadNotFound == true ? (a, "not found") : nil
        }
    }

    /// Every metric over a set of case results. Scar kappa is pooled over all segments of all cases (a case where
    /// neither side has scar counts as agreement); Dice counts only cases where truth or estimate has scar.
    /// - Parameters:
    ///   - cases: the scored cases.
    ///   - failed: cases whose pipeline failed (they have no scores; `pipeline.failure_rate` counts them).
    public static func compute(_ cases: [CaseEvaluation.Result], failed: Int = 0) -> [Metric] {
        let scores = cases.map(\.score)
        func frac(_ x: [Bool]) -> Double { x.isEmpty ? .nan : Double(x.filter { $0 }.count) / Double(x.count) }
        func med(_ x: [Double]) -> Double { (try? Statistics.median(x)) ?? .nan }
        func mean(_ x: [Double]) -> Double { (try? Statistics.mean(x)) ?? .nan }
        func icc(_ pairs: [(Double?, Double?)]) -> Double {
            let rows = pairs.compactMap { p -> [Double]? in
                guard let a = p.0, let b = p.1 else { return nil }
                return [a, b]
            }
            return (try? intraclassCorrelation(rows).icc) ?? .nan
        }
        func kappa(_ pairs: [(String, String)], _ w: KappaWeighting = .unweighted) -> KappaResult? {
            pairs.isEmpty ? nil : try? cohensKappa(first: pairs.map(\.0), second: pairs.map(\.1), categories: leadCategories(of: pairs), weighting: w)
        }
        let truthFlags = scores.flatMap(\.scarredTruth), estFlags = scores.flatMap(\.scarredAnalysis)
        let scarKappa = try? cohensKappa(first: truthFlags, second: estFlags, categories: [false, true])
        let agreeAll = truthFlags == estFlags
        let dices = scores.compactMap(\.scarDice)
        let targets = scores.filter { $0.primaryTargetCategory != "agree-none" }
        let regs = cases.compactMap(\.registration)
        // Cases with fluoroscopy that the pipeline did not register: failures in the success rates, "not registered"
        // against the truth's lead category in the lead agreements (NotRegistered).
        let unregistered = cases.compactMap(\.notRegistered)
        let trials = cases.flatMap { $0.registrationTrials ?? [] }
        func withUnregistered(_ pairs: [(String, String)], _ truth: KeyPath<NotRegistered, String?>) -> [(String, String)] {
            pairs + unregistered.compactMap { u in u[keyPath: truth].map { ($0, NotRegistered.leadCategory) } }
        }
        let lead36 = withUnregistered(leadPairs(regs, truth: \.leadCategory36Truth, analysis: \.leadCategory36Analysis), \.leadCategory36Truth)
        let lead18 = withUnregistered(leadPairs(regs, truth: \.leadCategory18Truth, analysis: \.leadCategory18Analysis), \.leadCategory18Truth)
        let localisation = withUnregistered(leadPairs(regs, truth: \.leadCategory36TruthSegmentVsAnalysisTarget, analysis: \.leadCategory36Analysis),
                                            \.leadCategory36TruthSegmentVsAnalysisTarget)
        let fluoroOnly = regs.compactMap { r -> (String, String)? in
            guard let a = r.leadCategory36Analysis, let b = r.fluoroscopyOnlyCategory36 else { return nil }; return (a, b)
        }
        let observed = cases.filter { $0.firstObserver != nil && $0.secondObserver != nil }
        let o1 = observed.map { $0.firstObserver! }, o2 = observed.map { $0.secondObserver! }
        let obsScar = observed.isEmpty ? nil : try? cohensKappa(first: o1.flatMap(\.scarredSegments), second: o2.flatMap(\.scarredSegments), categories: [false, true])
        let obsTargets = zip(o1, o2).compactMap { a, b -> String? in
            guard let x = a.primaryTarget.flatMap({ Segment36($0) }), let y = b.primaryTarget.flatMap({ Segment36($0) }) else { return nil }
            return LeadCategory.category36(lead: y, target: x).rawValue
        }
        let obsLead = zip(o1, o2).compactMap { a, b -> (String, String)? in
            guard let x = a.leadCategory36, let y = b.leadCategory36 else { return nil }; return (x, y)
        }
        let k36 = kappa(lead36)
        let scarTable = try? ConfusionMatrix(first: truthFlags, second: estFlags, categories: [false, true])
        let scarPabak = scarTable.flatMap { try? prevalenceAdjustedKappa($0) }
        let lead36Pabak = lead36.isEmpty ? nil : (try? ConfusionMatrix(first: lead36.map(\.0), second: lead36.map(\.1), categories: leadCategories(of: lead36)))
            .flatMap { try? prevalenceAdjustedKappa($0) }
        // Near-ties (GroundTruth.targetTies / latestTies): a pick in the truth's tie set is within its resolution.
        let tieTargets = scores.compactMap { s in s.primaryTargetTieCategory.map { (category: $0, ties: s.targetTieCount ?? 1) } }
        let withTies = tieTargets.filter { $0.ties > 1 }
        let tieLatest = scores.compactMap { s in s.latestSegmentTieCategory.map { (category: $0, ties: s.latestTieCount ?? 1) } }
        let inTies = { (c: String) in c == "exact" || c == "tie" }
        // The target checks on the cases whose truth target is a near-tie (issue 16: reported apart).
        let targetsWithTies = targets.filter { ($0.targetTieCount ?? 1) > 1 }
        let nearTarget = { (c: String) in c == "within" || c == "adjacent" }
        let measured = scores.compactMap(\.activationSegmentsMeasured)
        let values: [String: Double] = [
            "scar.pabak": scarPabak?.pabak ?? .nan,
            "scar.prevalence_index": scarPabak?.prevalenceIndex ?? .nan,
            "scar.bias_index": scarPabak?.biasIndex ?? .nan,
            "activation.latest_within_tie_set_rate": frac(tieLatest.map { inTies($0.category) }),
            "activation.cases_with_latest_ties": tieLatest.isEmpty ? .nan : Double(tieLatest.filter { $0.ties > 1 }.count),
            "activation.segments_measured_fraction": measured.isEmpty ? .nan : Double(measured.reduce(0, +)) / Double(36 * measured.count),
            "target.within_tie_set_rate": frac(tieTargets.map { inTies($0.category) }),
            "target.cases_with_ties": tieTargets.isEmpty ? .nan : Double(withTies.count),
            "target.exact_rate_cases_with_ties": frac(withTies.map { $0.category == "exact" }),
            "target.within_tie_set_rate_cases_with_ties": frac(withTies.map { inTies($0.category) }),
            "target.within_or_adjacent_rate_cases_with_ties": frac(targetsWithTies.map { nearTarget($0.primaryTargetCategory) }),
            "target.remote_rate_cases_with_ties": frac(targetsWithTies.map { !nearTarget($0.primaryTargetCategory) }),
            "lead.category36_pabak": lead36Pabak?.pabak ?? .nan,
            "lead.category36_truth_mode_share": lead36Pabak?.prevalenceIndex ?? .nan,
            "scar.kappa": scarKappa?.kappa ?? (agreeAll && !scores.isEmpty ? 1 : .nan),
            "scar.kappa_ci_lower": scarKappa?.confidenceInterval.lower ?? (agreeAll && !scores.isEmpty ? 1 : .nan),
            "scar.dice_mean": dices.isEmpty ? (scores.isEmpty ? .nan : 1) : mean(dices),
            "scar.burden_abs_error_max_pp": scores.map { abs($0.scarBurdenErrorPoints) }.max() ?? .nan,
            "scar.burden_icc": icc(scores.map { ($0.scarBurdenTruthPercent, $0.scarBurdenAnalysisPercent) }),
            "scar.false_positive_cases": Double(scores.filter { !$0.truthHasScar && $0.analysisFoundScar }.count),
            "volume.edv_abs_rel_error_max": scores.map { abs($0.edvRelativeError) }.max() ?? .nan,
            "volume.esv_abs_rel_error_max": scores.map { abs($0.esvRelativeError) }.max() ?? .nan,
            "volume.ef_abs_error_max_points": scores.map { abs($0.efErrorPoints) }.max() ?? .nan,
            "volume.edv_icc": icc(scores.map { ($0.edvTruthMl, $0.edvAnalysisMl) }),
            "volume.ef_icc": icc(scores.map { ($0.efTruth, $0.efAnalysis) }),
            "activation.mae_median_ms": med(scores.compactMap(\.activationMedianAbsErrorMs)),
            "activation.latest_hit_rate": frac(scores.compactMap(\.latestSegmentCategory).map { $0 != "remote" }),
            "strain.radial_rmse_mean_pct": mean(scores.compactMap(\.strainRMSEPercent)),
            "target.within_or_adjacent_rate": frac(targets.map { $0.primaryTargetCategory == "within" || $0.primaryTargetCategory == "adjacent" }),
            "target.exact_rate": frac(targets.map { $0.primaryTargetCategory == "within" }),
            "target.remote_rate": frac(targets.map { $0.primaryTargetCategory != "within" && $0.primaryTargetCategory != "adjacent" }),
            "target.distance_mean_mm": mean(scores.compactMap(\.targetDistanceMm)),
            "registration.mtre_median_mm": med(regs.map(\.mTREMm)),
            "registration.mtre_landmarks_median_mm": med(regs.compactMap(\.landmarkMTREMm)),
            "registration.mpd_median_mm": med(regs.map(\.mPDMm)),
            "registration.mrpd_median_mm": med(regs.map(\.mRPDMm)),
            "registration.success_rate_5mm": frac(regs.map(\.success) + unregistered.map { _ in false }),
            "registration.success_rate_2mm": frac(regs.map(\.successStrict) + unregistered.map { _ in false }),
            "registration.not_registered_cases": regs.isEmpty && unregistered.isEmpty ? .nan : Double(unregistered.count),
            "registration.capture_range_mm": RegistrationTrials.captureRangeMm(trials) ?? .nan,
            "lead.tip_error_median_mm": med(regs.compactMap(\.pacingElectrodeErrorMm)),
            "lead.electrode_localisation_error_median_mm": med(regs.compactMap(\.electrodeLocalisationErrorMm)),
            "lead.electrode_localisation_error_max_mm": regs.compactMap(\.electrodeLocalisationErrorMm).max() ?? .nan,
            "lead.segment_agreement_rate": frac(regs.filter { $0.leadSegmentTruth != nil }.map { $0.leadSegmentTruth == $0.leadSegmentAnalysis }),
            "lead.category36_agreement_rate": frac(lead36.map { $0.0 == $0.1 }),
            "lead.category36_kappa": k36?.kappa ?? .nan,
            "lead.category36_kappa_ci_lower": k36?.confidenceInterval.lower ?? .nan,
            "lead.category36_weighted_kappa": kappa(lead36, .linear)?.kappa ?? .nan,
            "lead.category18_kappa": kappa(lead18)?.kappa ?? .nan,
            "lead.localisation_category36_kappa": kappa(localisation)?.kappa ?? .nan,
            "lead.fluoroscopy_only_kappa": kappa(fluoroOnly)?.kappa ?? .nan,
            "observer.scar_kappa": obsScar?.kappa ?? (observed.isEmpty ? .nan : (o1.flatMap(\.scarredSegments) == o2.flatMap(\.scarredSegments) ? 1 : .nan)),
            "observer.scar_burden_icc": icc(zip(o1, o2).map { ($0.scarBurdenPercent, $1.scarBurdenPercent) }),
            "observer.target_same_rate": frac(obsTargets.map { $0 == "within" }),
            "observer.target_within_or_adjacent_rate": frac(obsTargets.map { $0 != "remote" }),
            "observer.lead_category36_kappa": kappa(obsLead)?.kappa ?? .nan,
            "pipeline.failure_rate": cases.count + failed > 0 ? Double(failed) / Double(cases.count + failed) : .nan,
        ]
        // Cases each value is computed on (coverage), by what the metric reads.
        func counted(_ id: String) -> Int {
            switch id {
            case "pipeline.failure_rate": return cases.count + failed
            case "scar.dice_mean": return dices.isEmpty ? scores.count : dices.count
            case "activation.mae_median_ms": return scores.filter { $0.activationMedianAbsErrorMs != nil }.count
            case "activation.latest_hit_rate", "activation.latest_within_tie_set_rate", "activation.cases_with_latest_ties": return tieLatest.count
            case "activation.segments_measured_fraction": return measured.count
            case "strain.radial_rmse_mean_pct": return scores.filter { $0.strainRMSEPercent != nil }.count
            case "target.distance_mean_mm": return scores.filter { $0.targetDistanceMm != nil }.count
            case "target.within_tie_set_rate", "target.cases_with_ties": return tieTargets.count
            case "target.exact_rate_cases_with_ties", "target.within_tie_set_rate_cases_with_ties": return withTies.count
            case "target.within_or_adjacent_rate_cases_with_ties", "target.remote_rate_cases_with_ties": return targetsWithTies.count
            case "registration.mtre_landmarks_median_mm": return regs.filter { $0.landmarkMTREMm != nil }.count
            case "registration.success_rate_5mm", "registration.success_rate_2mm", "registration.not_registered_cases":
                return regs.count + unregistered.count
            case "registration.capture_range_mm": return cases.filter { !($0.registrationTrials ?? []).isEmpty }.count
            case "lead.tip_error_median_mm": return regs.filter { $0.pacingElectrodeErrorMm != nil }.count
            case "lead.electrode_localisation_error_median_mm", "lead.electrode_localisation_error_max_mm":
                return regs.filter { $0.electrodeLocalisationErrorMm != nil }.count
            case "lead.segment_agreement_rate": return regs.filter { $0.leadSegmentTruth != nil }.count
            case "lead.category18_kappa": return lead18.count
            case "lead.localisation_category36_kappa": return localisation.count
            case "lead.fluoroscopy_only_kappa": return fluoroOnly.count
            default:
                if id.hasPrefix("target.") { return targets.count }
                if id.hasPrefix("lead.") { return lead36.count }
                if id.hasPrefix("registration.") { return regs.count }
                if id.hasPrefix("observer.") { return observed.count }
                return scores.count
            }
        }
        return definitions.map { d in
            let v = values[d.id] ?? .nan
            let reason = v.isFinite ? nil : cases.isEmpty && failed > 0 ? "every case's pipeline failed" : nullReason(id: d.id, cases: cases)
            return Metric(id: d.id, value: v, unit: d.unit, better: d.better, reason: reason, cases: counted(d.id))
        }
    }
}
