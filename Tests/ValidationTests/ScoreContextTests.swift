import Foundation
import SegmentModel
import Statistics
import Testing
import Validation

/// Issue 18's figures checked against hand computations: the null baselines on hand-built truths, the bootstrap
/// against the binomial interval and wider by anatomy when cases share one, near-ties of the decision model and
/// their scoring, and PABAK with the prevalence and bias indices.
@Suite(.tags(.fast)) struct ScoreContextTests {
    static func score(truth: Int?, analysis: Int?, eligible: [Int] = [10, 11, 30], category: String = "within") -> AnalysisScore {
        let flags = [Bool](repeating: false, count: 36)
        var s = AnalysisScore(scarKappa: 1, scarBurdenErrorPoints: 0, truthHasScar: false, analysisFoundScar: false,
                              edvRelativeError: 0, esvRelativeError: 0, efErrorPoints: 0, primaryTargetCategory: category,
                              primaryTargetTruth: truth, primaryTargetAnalysis: analysis, scarredTruth: flags, scarredAnalysis: flags)
        s.eligibleTruth = eligible
        return s
    }

    /// Truths 10, 10, 10, 11, 30 with eligible segments {10, 11, 30}. Constant answer 10: exact 3/5, within or
    /// adjacent 4/5 (11 is the next half of the same ring; 30 is apical, two rings away: remote). Random eligible
    /// answer: exact 1/3; within or adjacent (2/3 + 2/3 + 2/3 + 2/3 + 1/3) / 5 = 0.6.
    @Test func nullBaselinesOnHandBuiltTruths() throws {
        let cases = [10, 10, 10, 11, 30].enumerated().map { i, t in
            CaseEvaluation.Result(index: i, preset: "p", seed: 0, score: Self.score(truth: t, analysis: t))
        }
        let metrics = [PipelineMetrics.Metric(id: "target.exact_rate", value: 0.9, unit: "fraction", better: "higher"),
                       PipelineMetrics.Metric(id: "target.remote_rate", value: 0.1, unit: "fraction", better: "lower")]
        let b = NullBaseline.compute(cases, metrics: metrics)
        let exact = try #require(b.first { $0.metric == "target.exact_rate" })
        #expect(exact.constantAnswer == "segment 10")
        let (c1, r1, m1) = (try #require(exact.constant), try #require(exact.random), try #require(exact.margin))
        #expect(abs(c1 - 0.6) < 1e-12 && abs(r1 - 1.0 / 3) < 1e-12 && abs(m1 - 0.3) < 1e-12)
        let near = try #require(b.first { $0.metric == "target.within_or_adjacent_rate" })
        let (c2, r2) = (try #require(near.constant), try #require(near.random))
        #expect(abs(c2 - 0.8) < 1e-12 && abs(r2 - 0.6) < 1e-12)
        #expect(near.margin == nil)  // the pipeline's value was not given
        let remote = try #require(b.first { $0.metric == "target.remote_rate" })
        // Lower is better: margin = the better (lower) baseline 0.2 minus the pipeline's 0.1.
        let (c3, m3) = (try #require(remote.constant), try #require(remote.margin))
        #expect(abs(c3 - 0.2) < 1e-12 && abs(m3 - 0.1) < 1e-12)
    }

    /// 40 independent cases, 20 exact: the case bootstrap of the exact rate approaches the binomial interval
    /// 0.5 +- 1.96 sqrt(0.25 / 40) = [0.345, 0.655]. The same 40 cases as 4 anatomies of 10 identical copies (two
    /// anatomies always right, two always wrong) hold 4 patients: the anatomy interval spans [0, 1].
    @Test func bootstrapByCaseAndByAnatomy() throws {
        func cases(anatomies: Bool) -> [CaseEvaluation.Result] {
            (0..<40).map { i in
                let right = anatomies ? (i / 10) % 2 == 0 : i % 2 == 0
                var r = CaseEvaluation.Result(index: i, preset: "p", seed: 0,
                                              score: Self.score(truth: 10, analysis: right ? 10 : 30, category: right ? "within" : "remote"))
                r.anatomy = anatomies ? "heart \(i / 10)" : "heart \(i)"
                return r
            }
        }
        let independent = cases(anatomies: false)
        let metrics = PipelineMetrics.compute(independent)
        let u = MetricUncertainty.compute(independent, failed: 0, metrics: metrics, seed: 7)
        #expect(u.cases == 40 && u.anatomies == 40)
        let exact = try #require(u.intervals.first { $0.metric == "target.exact_rate" })
        let byCase = try #require(exact.byCase)
        #expect(abs(byCase[0] - 0.345) <= 0.05 && abs(byCase[1] - 0.655) <= 0.05, "\(byCase)")
        #expect(exact.byAnatomy == nil)  // every case its own anatomy: nothing to cluster

        let clustered = cases(anatomies: true)
        let c = MetricUncertainty.compute(clustered, failed: 0, metrics: PipelineMetrics.compute(clustered), seed: 7)
        #expect(c.anatomies == 4)
        let ci = try #require(c.intervals.first { $0.metric == "target.exact_rate" }?.byAnatomy)
        #expect(ci == [0, 1], "\(ci)")
        let pooled = try wilsonInterval(successes: 20, trials: 40)
        #expect(ci[1] - ci[0] > 2 * (pooled.confidenceInterval.upper - pooled.confidenceInterval.lower))
        // Same seed, same intervals.
        #expect(MetricUncertainty.compute(clustered, failed: 0, metrics: PipelineMetrics.compute(clustered), seed: 7).intervals == c.intervals)
    }

    /// Segments 10 and 11 activated 1 ms apart are near-ties; 12, 15 ms earlier, is not; 4, later but scarred, is
    /// a near-tie of the latest segment but not of the target. A pick of 11 against the true 10 scores "tie".
    @Test func nearTies() throws {
        func record(_ id: Int, _ t: Double, scar: Double = 0) -> SegmentRecord {
            SegmentRecord(id: Segment36(id)!, scarFraction: scar, transmurality: scar, activationTimeMs: t, peakRadialStrain: 0.3)
        }
        let segments = (1...36).map { id -> SegmentRecord in
            switch id {
            case 4: return record(4, 305, scar: 0.5)
            case 10: return record(10, 300)
            case 11: return record(11, 299)
            case 12: return record(12, 285)
            default: return record(id, 100 + Double(id))
            }
        }
        let model = DecisionModel()
        #expect(model.decide(segments).primaryTarget == 10)
        #expect(model.targetTies(segments) == [10, 11])
        #expect(DecisionModel.latestTies(segments) == [4, 10, 11])
        #expect(DecisionModel.activationTieMarginMs == 10)
    }

    /// PABAK and the indices against hand computation. 2 x 2 [[40, 5], [3, 2]]: p_o = 42/50 = 0.84, PABAK 0.68,
    /// prevalence index |40 - 2| / 50 = 0.76, bias index |5 - 3| / 50 = 0.04. 3 x 3 [[1, 2, 0], [0, 20, 1],
    /// [0, 3, 3]]: p_o = 24/30 = 0.8, PABAK (3 x 0.8 - 1) / 2 = 0.7, first rater's largest share 21/30 = 0.7.
    @Test func pabakAgainstHandComputation() throws {
        let two = try prevalenceAdjustedKappa(ConfusionMatrix(counts: [[40, 5], [3, 2]]))
        #expect(abs(two.agreement - 0.84) < 1e-12 && abs(two.pabak - 0.68) < 1e-12)
        let bias = try #require(two.biasIndex)
        #expect(abs(two.prevalenceIndex - 0.76) < 1e-12 && abs(bias - 0.04) < 1e-12)
        let three = try prevalenceAdjustedKappa(ConfusionMatrix(counts: [[1, 2, 0], [0, 20, 1], [0, 3, 3]]))
        #expect(abs(three.pabak - 0.7) < 1e-12 && abs(three.prevalenceIndex - 0.7) < 1e-12 && three.biasIndex == nil)
        #expect(throws: StatisticsError.self) { try prevalenceAdjustedKappa(ConfusionMatrix(counts: [[0, 0], [0, 0]])) }
    }
}

/// Tie-aware target metrics from per-case tie categories: 4 cases (exact, tie, adjacent, remote), the two middle
/// ones with a 2-segment tie set.
@Suite(.tags(.fast)) struct TieMetricsTests {
    @Test func tieAwareRates() throws {
        let categories: [(String, Int)] = [("exact", 1), ("tie", 2), ("adjacent", 2), ("remote", 1)]
        let cases = categories.enumerated().map { i, c -> CaseEvaluation.Result in
            var s = ScoreContextTests.score(truth: 10, analysis: 11, category: c.0 == "exact" ? "within" : c.0 == "remote" ? "remote" : "adjacent")
            s.primaryTargetTieCategory = c.0
            s.targetTieCount = c.1
            return CaseEvaluation.Result(index: i, preset: "p", seed: 0, score: s)
        }
        let m = Dictionary(uniqueKeysWithValues: PipelineMetrics.compute(cases).map { ($0.id, $0) })
        #expect(m["target.within_tie_set_rate"]?.value == 0.5)
        #expect(m["target.cases_with_ties"]?.value == 2)
        #expect(m["target.exact_rate_cases_with_ties"]?.value == 0)
        #expect(m["target.within_tie_set_rate_cases_with_ties"]?.value == 0.5)
        #expect(m["target.exact_rate_cases_with_ties"]?.cases == 2 && m["target.exact_rate"]?.cases == 4)
        // The two tie cases score "adjacent" against the primary target: both within or adjacent, none remote.
        #expect(m["target.within_or_adjacent_rate_cases_with_ties"]?.value == 1)
        #expect(m["target.remote_rate_cases_with_ties"]?.value == 0 && m["target.remote_rate_cases_with_ties"]?.cases == 2)
        #expect(m["target.remote_rate"]?.value == 0.25)
    }
}
