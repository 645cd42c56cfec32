import Foundation
import Statistics
import Testing
import Validation

/// A/B comparison from hand-made case records whose answers are known: the discordant counts, McNemar's and
/// Wilcoxon's p-values (statsmodels 0.15 / SciPy 1.17 on the same pairs), each pipeline's verdicts, the failed case
/// left out of the pairs, and the disagreements.
@Suite(.tags(.fast)) struct PipelineComparisonTests {
    static func score(target: Int, category: String, efError: Double) -> AnalysisScore {
        let flags = [Bool](repeating: false, count: 36)
        return AnalysisScore(scarKappa: 1, scarBurdenErrorPoints: 0, truthHasScar: false, analysisFoundScar: false,
                             edvRelativeError: 0.01, esvRelativeError: 0.02, efErrorPoints: efError,
                             primaryTargetCategory: category, primaryTargetTruth: 23, primaryTargetAnalysis: target,
                             scarredTruth: flags, scarredAnalysis: flags)
    }

    /// Ten cases. Judged: target right in cases 1-9, adjacent in case 0, EF error 2 points. Other: right in cases 0,
    /// 7 and 8, adjacent in 1-6, EF error 2 + k_i; it fails on case 9.
    static let k = [0.5, -0.3, 1.1, 0.9, 1.4, -0.2, 0.7, 1.9, 0.6]
    static func cases() -> [CaseEvaluation.Result] {
        (0..<10).map { (i: Int) -> CaseEvaluation.Result in
            var r = CaseEvaluation.Result(index: i, preset: "p", seed: UInt64(i),
                                          score: score(target: i == 0 ? 24 : 23, category: i == 0 ? "adjacent" : "within", efError: 2))
            if i < 9 {
                let right = i == 0 || i >= 7
                let other = score(target: right ? 23 : 24, category: right ? "within" : "adjacent", efError: 2 + k[i])
                r.compared = [CaseEvaluation.ComparedOutcome(pipeline: "other", score: other)]
            } else {
                r.compared = [CaseEvaluation.ComparedOutcome(pipeline: "other", failure: "exit status 1")]
            }
            return r
        }
    }

    @Test func pairedTestsVerdictsAndDisagreements() throws {
        let expectations = [Scenario.Expectation(metric: "target.exact_rate", kind: .atLeast, value: 0.8)]
        let c = try #require(PipelineComparison.compare(judged: "builtin", cases: Self.cases(), failures: [], expectations: expectations))
        #expect(c.pipelines.map(\.name) == ["builtin", "other"])
        #expect(c.pipelines[0].passed && !c.pipelines[1].passed)  // exact rate 0.9 against 3 / 9
        #expect(c.pipelines[1].failedCases == [9])
        let failure = try #require(c.pipelines[1].metrics.first { $0.id == "pipeline.failure_rate" })
        #expect(abs(failure.value - 0.1) < 1e-12)

        let exact = try #require(c.tests.first { $0.quantity == "target.exact" })
        #expect(exact.pairs == 9 && exact.onlyJudged == 6 && exact.onlyOther == 1)
        let exactP = try #require(exact.pValue), judgedRate = try #require(exact.judgedValue), otherRate = try #require(exact.otherValue)
        #expect(abs(exactP - 0.125) < 1e-12)  // statsmodels mcnemar([[0, 6], [1, 0]], exact=True)
        #expect(abs(judgedRate - 8.0 / 9) < 1e-12 && abs(otherRate - 3.0 / 9) < 1e-12)

        let ef = try #require(c.tests.first { $0.quantity == "volume.ef_abs_error" })
        #expect(ef.pairs == 9 && ef.method == "exact" && ef.statistic == 3)
        let efP = try #require(ef.pValue), efMedian = try #require(ef.judgedValue)
        #expect(abs(efP - 0.01953125) < 1e-12)  // scipy.stats.wilcoxon(-k)
        #expect(efMedian == 2)

        let lead = try #require(c.tests.first { $0.quantity == "lead.category36_correct" })
        #expect(lead.pairs == 0 && lead.pValue == nil)  // no fluoroscopy: nothing to pair
        #expect(c.disagreements.map(\.index) == Array(0...6))
        #expect(c.disagreements.allSatisfy { $0.what == "primary target" && $0.pipeline == "other" })
        #expect(c.disagreements[0].judged == "24" && c.disagreements[0].other == "23")
    }

    @Test func noComparisonWithoutComparedPipelines() {
        var plain = Self.cases()
        for i in plain.indices { plain[i].compared = nil }
        #expect(PipelineComparison.compare(judged: "builtin", cases: plain, failures: [], expectations: []) == nil)
    }
}
