import Foundation
import Statistics

/// A/B comparison of pipelines run on the same cases (`Scenario.comparedPipelines`): each pipeline's metrics and
/// verdicts side by side, paired tests of the judged pipeline against each other one (McNemar's exact test on the
/// per-case right / wrong outcomes, the Wilcoxon signed-rank test on the per-case errors), and the cases where
/// their answers differ. Computed from the case records alone, so a merged run compares the same way.
public struct PipelineComparison: Codable, Sendable {
    /// The pipeline the expectations judge (its verdicts are the run's).
    public var judged: String
    /// Every pipeline, the judged one first.
    public var pipelines: [Side]
    /// Paired tests: the judged pipeline against each other one, per quantity.
    public var tests: [PairedTest]
    /// Cases where the judged pipeline and another one answer differently (target, lead category, scar found).
    public var disagreements: [Disagreement]

    /// One pipeline's metrics (computed as the run's) and verdicts on the same expectations.
    public struct Side: Codable, Sendable {
        public var name: String
        public var metrics: [PipelineMetrics.Metric]
        public var verdicts: [ScenarioRunner.Verdict]
        public var passed: Bool
        /// Cases where this pipeline failed.
        public var failedCases: [Int]
    }

    /// One paired test over the cases both pipelines scored.
    public struct PairedTest: Codable, Sendable, Equatable {
        /// The other pipeline (the judged one is `PipelineComparison.judged`).
        public var pipeline: String
        /// What is compared (`PipelineComparison.binaryQuantities` / `continuousQuantities`).
        public var quantity: String
        /// "mcnemar" (exact) or "wilcoxon" (signed-rank, SciPy's default method).
        public var test: String
        /// Cases both pipelines have the quantity for.
        public var pairs: Int
        /// McNemar: the rate of right outcomes; Wilcoxon: the median; judged and other pipeline (null without pairs).
        public var judgedValue: Double?
        public var otherValue: Double?
        /// McNemar: cases right only for the judged pipeline and only for the other one.
        public var onlyJudged: Int?
        public var onlyOther: Int?
        /// Wilcoxon: min(W+, W-) of the differences judged - other, and how the p-value was computed.
        public var statistic: Double?
        public var method: String?
        /// Two-sided p-value (null without pairs).
        public var pValue: Double?
        /// The quantity's unit and which direction is better.
        public var unit: String
        public var better: String
    }

    /// One case where two pipelines answer differently.
    public struct Disagreement: Codable, Sendable, Equatable {
        public var index: Int
        public var pipeline: String
        /// "primary target", "lead category" or "scar found".
        public var what: String
        public var judged: String
        public var other: String
    }

    /// Per-case right / wrong outcomes compared with McNemar's test.
    public static let binaryQuantities: [(id: String, description: String)] = [
        ("target.exact", "primary target is the true one (or both have none)"),
        ("target.within_or_adjacent", "primary target within or adjacent to the true one"),
        ("lead.category36_correct", "lead category (within / adjacent / remote) equals the truth's"),
    ]

    /// Per-case values compared with the Wilcoxon signed-rank test: id, unit, better.
    public static let continuousQuantities: [(id: String, unit: String, better: String)] = [
        ("volume.edv_abs_rel_error", "fraction", "lower"), ("volume.esv_abs_rel_error", "fraction", "lower"),
        ("volume.ef_abs_error", "points", "lower"), ("scar.burden_abs_error", "percentage points", "lower"),
        ("scar.kappa", "1", "higher"), ("scar.dice", "1", "higher"), ("activation.mae", "ms", "lower"),
        ("strain.radial_rmse", "percent", "lower"), ("target.distance", "mm", "lower"),
        ("registration.mtre", "mm", "lower"), ("lead.electrode_localisation_error", "mm", "lower"),
    ]

    /// One pipeline's scores on one case.
    struct Scored {
        var score: AnalysisScore
        var registration: RegistrationScore?
        var notRegistered: NotRegistered? = nil
    }

    static func binary(_ id: String, _ s: Scored) -> Bool? {
        switch id {
        case "target.exact": return ["within", "agree-none"].contains(s.score.primaryTargetCategory)
        case "target.within_or_adjacent": return ["within", "adjacent", "agree-none"].contains(s.score.primaryTargetCategory)
        case "lead.category36_correct":
            if s.notRegistered?.leadCategory36Truth != nil { return false }
            guard let g = s.registration, let truth = g.leadCategory36Truth else { return nil }
            return g.leadNotFound != true && g.leadCategory36Analysis == truth
        default: return nil
        }
    }

    static func continuous(_ id: String, _ s: Scored) -> Double? {
        let a = s.score
        switch id {
        case "volume.edv_abs_rel_error": return abs(a.edvRelativeError)
        case "volume.esv_abs_rel_error": return abs(a.esvRelativeError)
        case "volume.ef_abs_error": return abs(a.efErrorPoints)
        case "scar.burden_abs_error": return abs(a.scarBurdenErrorPoints)
        case "scar.kappa": return a.scarKappa
        case "scar.dice": return a.scarDice
        case "activation.mae": return a.activationMedianAbsErrorMs
        case "strain.radial_rmse": return a.strainRMSEPercent
        case "target.distance": return a.targetDistanceMm
        case "registration.mtre": return s.registration?.mTREMm
        case "lead.electrode_localisation_error": return s.registration?.electrodeLocalisationErrorMm
        default: return nil
        }
    }

    /// The comparison of `judged` with the pipelines of `compared` (case records and failed cases of the run,
    /// judged pipeline's scores in the record, the others' in `compared`), judged on `expectations`.
    /// - Returns: nil when the cases carry no compared pipeline.
    public static func compare(judged: String, cases: [CaseEvaluation.Result], failures: [CaseEvaluation.Failed],
                               expectations: [Scenario.Expectation]) -> PipelineComparison? {
        let names = (cases.compactMap(\.compared).first ?? failures.compactMap(\.compared).first)?.map(\.pipeline) ?? []
        guard !names.isEmpty else { return nil }
        // Each pipeline's scores by case index; nil where it failed.
        var scored: [String: [Int: Scored]] = [:]
        var failed: [String: [Int]] = [:]
        scored[judged] = Dictionary(uniqueKeysWithValues: cases.map { ($0.index, Scored(score: $0.score, registration: $0.registration, notRegistered: $0.notRegistered)) })
        failed[judged] = failures.map(\.index)
        for name in names {
            var s: [Int: Scored] = [:], f: [Int] = []
            let outcomes = cases.map { ($0.index, $0.compared) } + failures.map { ($0.index, $0.compared) }
            for (index, list) in outcomes {
                guard let o = list?.first(where: { $0.pipeline == name }) else { continue }
                if let score = o.score { s[index] = Scored(score: score, registration: o.registration, notRegistered: o.notRegistered) } else { f.append(index) }
            }
            scored[name] = s; failed[name] = f.sorted()
        }
        // Each pipeline's records, its metrics computed by the run's own code, judged on the same expectations.
        var info: [Int: (preset: String, seed: UInt64, groups: [String: String])] = [:]
        for c in cases { info[c.index] = (c.preset, c.seed, c.groups) }
        for f in failures { info[f.index] = (f.preset, f.seed, [:]) }
        var sides: [Side] = []
        for name in [judged] + names {
            let records = name == judged ? cases : (scored[name] ?? [:]).sorted { $0.key < $1.key }.map { i, s in
                var r = CaseEvaluation.Result(index: i, preset: info[i]?.preset ?? "", seed: info[i]?.seed ?? 0, groups: info[i]?.groups ?? [:],
                                              score: s.score, registration: s.registration)
                r.notRegistered = s.notRegistered
                return r
            }
            let metrics = PipelineMetrics.compute(records, failed: failed[name]?.count ?? 0)
            let verdicts = ScenarioRunner.verdicts(expectations, metrics: metrics)
            sides.append(Side(name: name, metrics: metrics, verdicts: verdicts, passed: verdicts.allSatisfy(\.passed), failedCases: failed[name] ?? []))
        }
        var tests: [PairedTest] = []
        var disagreements: [Disagreement] = []
        let a = scored[judged] ?? [:]
        for name in names {
            let b = scored[name] ?? [:]
            let both = a.keys.filter { b[$0] != nil }.sorted()
            for q in binaryQuantities {
                let pairs = both.compactMap { i -> (Bool, Bool)? in
                    guard let x = binary(q.id, a[i]!), let y = binary(q.id, b[i]!) else { return nil }
                    return (x, y)
                }
                let onlyJudged = pairs.filter { $0.0 && !$0.1 }.count, onlyOther = pairs.filter { !$0.0 && $0.1 }.count
                let rate = { (k: KeyPath<(Bool, Bool), Bool>) -> Double? in
                    pairs.isEmpty ? nil : Double(pairs.filter { $0[keyPath: k] }.count) / Double(pairs.count)
                }
                let p = pairs.isEmpty ? nil : (try? mcNemarExact(onlyFirst: onlyJudged, onlySecond: onlyOther))?.pValue
                tests.append(PairedTest(pipeline: name, quantity: q.id, test: "mcnemar", pairs: pairs.count,
                                        judgedValue: rate(\.0), otherValue: rate(\.1), onlyJudged: onlyJudged, onlyOther: onlyOther,
                                        statistic: nil, method: nil, pValue: p, unit: "fraction", better: "higher"))
            }
            for q in continuousQuantities {
                let pairs = both.compactMap { i -> (Double, Double)? in
                    guard let x = continuous(q.id, a[i]!), let y = continuous(q.id, b[i]!), x.isFinite, y.isFinite else { return nil }
                    return (x, y)
                }
                let w = pairs.isEmpty ? nil : try? wilcoxonSignedRank(pairs.map { $0.0 - $0.1 })
                tests.append(PairedTest(pipeline: name, quantity: q.id, test: "wilcoxon", pairs: pairs.count,
                                        judgedValue: pairs.isEmpty ? nil : try? Statistics.median(pairs.map(\.0)),
                                        otherValue: pairs.isEmpty ? nil : try? Statistics.median(pairs.map(\.1)),
                                        onlyJudged: nil, onlyOther: nil, statistic: w?.statistic, method: w?.method.rawValue,
                                        pValue: w?.pValue, unit: q.unit, better: q.better))
            }
            for i in both {
                let x = a[i]!, y = b[i]!
                let targets = (x.score.primaryTargetAnalysis.map(String.init) ?? "none", y.score.primaryTargetAnalysis.map(String.init) ?? "none")
                if targets.0 != targets.1 { disagreements.append(Disagreement(index: i, pipeline: name, what: "primary target", judged: targets.0, other: targets.1)) }
                let leads = (x.registration?.leadCategory36Analysis ?? "none", y.registration?.leadCategory36Analysis ?? "none")
                if (x.registration != nil || y.registration != nil) && leads.0 != leads.1 {
                    disagreements.append(Disagreement(index: i, pipeline: name, what: "lead category", judged: leads.0, other: leads.1))
                }
                if x.score.analysisFoundScar != y.score.analysisFoundScar {
                    disagreements.append(Disagreement(index: i, pipeline: name, what: "scar found", judged: "\(x.score.analysisFoundScar)", other: "\(y.score.analysisFoundScar)"))
                }
            }
        }
        return PipelineComparison(judged: judged, pipelines: sides, tests: tests, disagreements: disagreements)
    }
}
