import CRTCore
import Foundation
import SegmentModel
import Statistics

/// What a categorical metric would be without a pipeline (docs/metrics.md, "Null baselines"): the score of a
/// constant answer (the run's most frequent truth) and the expected score of a random eligible answer, beside the
/// pipeline's, with the pipeline's margin over the better of the two (positive: better than answering blindly).
public struct NullBaseline: Codable, Sendable, Equatable {
    public var metric: String
    public var pipeline: Double?
    /// The constant answer and its score.
    public var constantAnswer: String
    public var constant: Double?
    /// Expected score of an answer drawn uniformly from the eligible ones (segments: the truth's eligible segments;
    /// lead categories: within / adjacent / remote).
    public var random: Double?
    /// Pipeline minus the better baseline (higher-is-better metrics) or the better baseline minus the pipeline
    /// (lower-is-better), so positive always means the pipeline beats both.
    public var margin: Double?

    /// The baselines of every categorical metric over `cases`, given the pipeline's `metrics`.
    public static func compute(_ cases: [CaseEvaluation.Result], metrics: [PipelineMetrics.Metric]) -> [NullBaseline] {
        let scores = cases.map(\.score)
        func value(_ id: String) -> Double? { metrics.first { $0.id == id }.flatMap { $0.value.isFinite ? $0.value : nil } }
        func mean(_ x: [Double]) -> Double? { x.isEmpty ? nil : x.reduce(0, +) / Double(x.count) }
        /// The most frequent value (the lowest on a tie, so the answer does not depend on case order).
        func mode<T: Hashable & Comparable>(_ x: [T]) -> T? {
            let counts = Dictionary(x.map { ($0, 1) }, uniquingKeysWith: +)
            return counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        }
        func category(_ answer: Int, _ truth: Int) -> LeadCategory? {
            guard let a = Segment36(answer), let t = Segment36(truth) else { return nil }
            return LeadCategory.category36(lead: a, target: t)
        }
        var out: [NullBaseline] = []
        func add(_ metric: String, answer: String, constant: Double?, random: Double?) {
            let p = value(metric)
            let higher = PipelineMetrics.definitions.first { $0.id == metric }?.better != "lower"
            let best = [constant, random].compactMap { $0 }
            let margin = p.flatMap { p in (higher ? best.max() : best.min()).map { higher ? p - $0 : $0 - p } }
            out.append(NullBaseline(metric: metric, pipeline: p, constantAnswer: answer, constant: constant, random: random, margin: margin))
        }
        // Primary target: cases whose truth has one (as the target rates count them).
        let targeted = scores.compactMap { s in s.primaryTargetTruth.map { (truth: $0, eligible: s.eligibleTruth ?? []) } }
        if let c = mode(targeted.map(\.truth)) {
            let constantCategories = targeted.map { category(c, $0.truth) }
            func randomShare(_ accept: (LeadCategory) -> Bool) -> Double? {
                mean(targeted.map { t in
                    t.eligible.isEmpty ? 0 : Double(t.eligible.filter { e in category(e, t.truth).map(accept) ?? false }.count) / Double(t.eligible.count)
                })
            }
            let share = { (accept: (LeadCategory) -> Bool) in mean(constantCategories.map { $0.map(accept) == true ? 1 : 0 }) }
            add("target.exact_rate", answer: "segment \(c)", constant: share { $0 == .within }, random: randomShare { $0 == .within })
            add("target.within_or_adjacent_rate", answer: "segment \(c)", constant: share { $0 != .remote }, random: randomShare { $0 != .remote })
            add("target.remote_rate", answer: "segment \(c)", constant: share { $0 == .remote }, random: randomShare { $0 == .remote })
        }
        // Latest-activated segment: any of the 36 may be the answer.
        let latest = scores.compactMap(\.latestSegmentTruth)
        if let c = mode(latest) {
            let hits = latest.map { t in category(c, t).map { $0 != .remote } == true ? 1.0 : 0 }
            let random = mean(latest.map { t in Double((1...36).filter { category($0, t).map { $0 != .remote } == true }.count) / 36 })
            add("activation.latest_hit_rate", answer: "segment \(c)", constant: mean(hits), random: random)
        }
        // Lead category against the pipeline's target: the truth's most frequent category, or one of three at random.
        let leadTruth = cases.compactMap { $0.registration?.leadCategory36Truth }
        if let c = mode(leadTruth) {
            add("lead.category36_agreement_rate", answer: c, constant: mean(leadTruth.map { $0 == c ? 1 : 0 }),
                random: 1.0 / Double(PipelineMetrics.leadCategories.count))
            add("lead.category36_kappa", answer: c, constant: 0, random: 0)
        }
        if !scores.isEmpty {
            // Kappa is chance-corrected: a constant or random rating scores 0 by construction.
            add("scar.kappa", answer: "no scar anywhere", constant: 0, random: 0)
        }
        return out
    }
}

/// Bootstrap confidence intervals of every pooled metric (docs/metrics.md, "Uncertainty by patient"): cases
/// resampled with replacement, and, when cases share an anatomy, whole anatomies resampled (the cluster bootstrap),
/// since segments and noise seeds of one heart are not independent patients.
public struct MetricUncertainty: Codable, Sendable {
    /// Cases, distinct anatomies (the phantom's geometry) and distinct scar patterns of the run.
    public var cases: Int
    public var anatomies: Int
    public var scarPatterns: Int
    /// Bootstrap resamples and the confidence level of the percentile intervals.
    public var resamples: Int
    public var confidence: Double
    public var intervals: [Interval]

    public struct Interval: Codable, Sendable, Equatable {
        public var metric: String
        public var value: Double?
        /// Percentile interval over case resamples, and over anatomy resamples (nil when every case has its own).
        public var byCase: [Double]?
        public var byAnatomy: [Double]?
    }

    public static let defaultResamples = 1000

    /// Intervals for every metric with a value; `seed` makes the resampling reproducible (label "bootstrap.cases" /
    /// "bootstrap.anatomies").
    public static func compute(_ cases: [CaseEvaluation.Result], failed: Int, metrics: [PipelineMetrics.Metric], seed: UInt64,
                               resamples: Int = defaultResamples, confidence: Double = 0.95) -> MetricUncertainty {
        let anatomyOf = cases.map { $0.anatomy ?? "case \($0.index)" }
        let clusters = Dictionary(grouping: cases.indices, by: { anatomyOf[$0] }).sorted { $0.key < $1.key }.map(\.value)
        let scarPatterns = Set(cases.map { $0.scarPattern ?? "case \($0.index)" }).count
        let wanted = metrics.filter { $0.value.isFinite }.map(\.id)
        func draws(_ label: String, _ pick: (inout SeededRandom) -> [CaseEvaluation.Result]) -> [String: [Double]] {
            var rng = SeededRandom(seed: seed, label: label)
            var samples: [String: [Double]] = [:]
            for _ in 0..<resamples {
                let sample = pick(&rng)
                for m in PipelineMetrics.compute(sample, failed: failed) where m.value.isFinite && wanted.contains(m.id) {
                    samples[m.id, default: []].append(m.value)
                }
            }
            return samples
        }
        func index(_ n: Int, _ rng: inout SeededRandom) -> Int { min(n - 1, Int(rng.uniform() * Double(n))) }
        let byCase = cases.isEmpty ? [:] : draws("bootstrap.cases") { rng in (0..<cases.count).map { _ in cases[index(cases.count, &rng)] } }
        let shared = clusters.count < cases.count && clusters.count > 1
        let byAnatomy = !shared ? [:] : draws("bootstrap.anatomies") { rng in
            (0..<clusters.count).flatMap { _ in clusters[index(clusters.count, &rng)].map { cases[$0] } }
        }
        let tail = 100 * (1 - confidence) / 2
        func interval(_ x: [Double]?) -> [Double]? {
            guard let x, x.count >= resamples / 2, let lo = try? percentile(x, tail), let hi = try? percentile(x, 100 - tail) else { return nil }
            return [lo, hi]
        }
        let intervals = metrics.filter { $0.value.isFinite }.map { m in
            Interval(metric: m.id, value: m.value, byCase: interval(byCase[m.id]), byAnatomy: interval(byAnatomy[m.id]))
        }
        return MetricUncertainty(cases: cases.count, anatomies: clusters.count, scarPatterns: scarPatterns, resamples: resamples,
                                 confidence: confidence, intervals: intervals)
    }
}
