import Foundation
import Testing
import Validation

/// Metrics and group tests over hand-made case results (decoded from JSON, as results.json stores them), against
/// reference values computed independently (the kappa formulas by hand, Fisher and Mann-Whitney with SciPy 1.x:
/// `scipy.stats.fisher_exact([[2, 2], [4, 0]])` p = 0.428571, `mannwhitneyu([10, 20, 30, 40], [5, 6, 7, 8],
/// method="asymptotic")` U = 16, p = 0.030383).
@Suite struct ScenarioMetricsTests {
    static let leadTruth = ["within", "within", "adjacent", "adjacent", "adjacent", "remote", "remote", "adjacent"]
    static let leadAnalysis = ["within", "adjacent", "adjacent", "adjacent", "remote", "remote", "remote", "adjacent"]
    static let targets = ["within", "adjacent", "remote", "remote", "within", "within", "adjacent", "adjacent"]
    static let distances = [10.0, 20, 30, 40, 5, 6, 7, 8]

    static func cases() throws -> [CaseEvaluation.Result] {
        try (0..<8).map { i in
            let json = """
            {"index": \(i), "preset": "p", "seed": \(i), "analysisSeconds": 1,
             "groups": {"icm": "\(i < 4 ? "ICM" : "non-ICM")", "lbbb": "LBBB", "phantom": "p", "sweep": ""},
             "score": {"scarKappa": 1, "scarBurdenErrorPoints": \(i == 3 ? -1.5 : 0.5), "truthHasScar": \(i < 4), "analysisFoundScar": \(i < 4 || i == 7),
                       "edvRelativeError": 0.01, "esvRelativeError": \(i == 2 ? -0.04 : 0.02), "efErrorPoints": 1,
                       "activationMedianAbsErrorMs": \(Double(i)), "latestSegmentCategory": "\(i == 0 ? "remote" : "within")",
                       "primaryTargetCategory": "\(targets[i])", "targetDistanceMm": \(distances[i]),
                       "scarredTruth": [\(i < 4), false], "scarredAnalysis": [\(i < 4 || i == 7), false]},
             "registration": {"mTREMm": \(Double(i) * 0.5), "mPDMm": 0.3, "mRPDMm": 0.3, "success": \(i < 7), "successStrict": \(i < 4),
                              "leadCategory36Truth": "\(leadTruth[i])", "leadCategory36Analysis": "\(leadAnalysis[i])",
                              "leadSegmentTruth": 9, "leadSegmentAnalysis": \(i < 6 ? 9 : 10)}
            }
            """
            return try JSONDecoder().decode(CaseEvaluation.Result.self, from: Data(json.utf8))
        }
    }

    func metric(_ m: [PipelineMetrics.Metric], _ id: String) -> Double { m.first { $0.id == id }!.value }

    /// An expectation on a metric that has no value (registration without fluoroscopy, observer agreement without
    /// a second observer) fails with the reason, and the results still encode: null in JSON, read back as NaN.
    /// (It used to end the run with "cannot encode JSON ... nan" and no output at all.)
    @Test("expectations on null metrics fail with a reason, and results.json still encodes", .tags(.fast))
    func nullMetricExpectation() throws {
        var cases = try Self.cases()
        for i in cases.indices { cases[i].registration = nil }
        let expectations = [Scenario.Expectation(metric: "registration.mtre_median_mm", kind: .atMost, value: 2),
                            Scenario.Expectation(metric: "observer.scar_kappa", kind: .atLeast, value: 0.8),
                            Scenario.Expectation(metric: "scar.false_positive_cases", kind: .atMost, value: 1)]
        let r = ScenarioRunner.judge(scenario: "s", description: "", expectations: expectations, groupBy: [], manifest: [:], cases: cases)
        #expect(r.verdicts.map(\.passed) == [false, false, true])
        #expect(r.verdicts[0].reason?.contains("fluoroscopy") == true)
        #expect(r.verdicts[1].reason?.contains("second observer") == true)
        #expect(r.verdicts[2].reason == nil)
        #expect(!r.passed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(r)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"metric\":\"registration.mtre_median_mm\",\"passed\":false,\"reason\""))
        let back = try JSONDecoder().decode(ScenarioRunner.Results.self, from: data)
        #expect(back.verdicts[0].value.isNaN && back.verdicts[0].reason == r.verdicts[0].reason)
        #expect(back.metrics.first { $0.id == "registration.mtre_median_mm" }?.reason == r.metrics.first { $0.id == "registration.mtre_median_mm" }?.reason)
    }

    @Test("metrics: rates, maxima, medians, pooled scar kappa, lead kappa and linearly weighted kappa", .tags(.fast))
    func metrics() throws {
        let m = PipelineMetrics.compute(try Self.cases())
        #expect(m.map(\.id) == PipelineMetrics.ids)
        // Lead categories: observed agreement 6/8, chance 0.375 -> kappa 0.6; linear weights -> 2/3 (by hand).
        #expect(abs(metric(m, "lead.category36_kappa") - 0.6) < 1e-12)
        #expect(abs(metric(m, "lead.category36_weighted_kappa") - 2.0 / 3.0) < 1e-12)
        #expect(metric(m, "lead.category36_agreement_rate") == 0.75)
        #expect(metric(m, "lead.segment_agreement_rate") == 0.75)
        // Scar: flags pooled over 16 segments, one false positive: po = 15/16, pe = (4/16)(5/16) + (12/16)(11/16).
        let po = 15.0 / 16, pe = (4.0 / 16) * (5.0 / 16) + (12.0 / 16) * (11.0 / 16)
        #expect(abs(metric(m, "scar.kappa") - (po - pe) / (1 - pe)) < 1e-12)
        #expect(metric(m, "scar.false_positive_cases") == 1)
        #expect(metric(m, "scar.burden_abs_error_max_pp") == 1.5)
        #expect(metric(m, "volume.esv_abs_rel_error_max") == 0.04)
        #expect(metric(m, "target.within_or_adjacent_rate") == 0.75)
        #expect(metric(m, "target.exact_rate") == 0.375)
        #expect(abs(metric(m, "target.distance_mean_mm") - 126.0 / 8) < 1e-12)
        #expect(metric(m, "activation.mae_median_ms") == 3.5)
        #expect(metric(m, "activation.latest_hit_rate") == 7.0 / 8)
        #expect(metric(m, "registration.mtre_median_mm") == 1.75)
        #expect(metric(m, "registration.success_rate_5mm") == 7.0 / 8)
        #expect(metric(m, "registration.success_rate_2mm") == 0.5)
        // Not applicable here: no second observer, no perturbed starts.
        #expect(metric(m, "observer.scar_kappa").isNaN)
        #expect(metric(m, "registration.capture_range_mm").isNaN)
    }

    /// Case 7's lead not found by the analysis: its (adjacent, "not found") pair stays in the kappa as a
    /// disagreement. By hand: po = 5/8, pe = (2/8)(1/8) + (4/8)(3/8) + (2/8)(3/8) + 0 = 5/16, kappa = 5/11.
    @Test("a lead the analysis did not find counts against the lead kappa instead of leaving it", .tags(.fast))
    func notFoundLead() throws {
        var cases = try Self.cases()
        cases[7].registration!.leadCategory36Analysis = nil
        cases[7].registration!.leadNotFound = true
        let m = PipelineMetrics.compute(cases)
        #expect(abs(metric(m, "lead.category36_kappa") - 5.0 / 11.0) < 1e-12)
        #expect(metric(m, "lead.category36_agreement_rate") == 5.0 / 8.0)
        // Without the flag the case would silently drop out (7 pairs, kappa above the 8-pair value).
        cases[7].registration!.leadNotFound = false
        #expect(metric(PipelineMetrics.compute(cases), "lead.category36_kappa") > 5.0 / 11.0)
    }

    /// Case 6 not registered (its analysis has no pose): it counts as a registration failure and its lead as
    /// "not registered" against the truth's "remote". By hand: success 6/8 (7/8 with case 6 registered, 6/7 were it
    /// left out); lead pairs agree on 5/8, pe = (2*1 + 4*4 + 2*2 + 0*1)/64 = 11/32, kappa = (20/32 - 11/32)/(21/32) = 3/7.
    @Test("a case not registered counts as a registration failure and a lead disagreement instead of leaving", .tags(.fast))
    func notRegisteredCase() throws {
        var cases = try Self.cases()
        let truthJSON = #"{"reason": "operator: too few landmarks", "leadCategory36Truth": "remote", "leadCategory18Truth": "remote"}"#
        cases[6].registration = nil
        cases[6].notRegistered = try JSONDecoder().decode(NotRegistered.self, from: Data(truthJSON.utf8))
        let m = PipelineMetrics.compute(cases)
        #expect(metric(m, "registration.success_rate_5mm") == 6.0 / 8.0)
        #expect(m.first { $0.id == "registration.success_rate_5mm" }?.cases == 8)
        #expect(metric(m, "registration.success_rate_2mm") == 4.0 / 8.0)
        #expect(metric(m, "registration.not_registered_cases") == 1)
        #expect(abs(metric(m, "lead.category36_kappa") - 3.0 / 7.0) < 1e-12)
        #expect(metric(m, "lead.category36_agreement_rate") == 5.0 / 8.0)
        // The distances have no value for it: the median mTRE is over the 7 registered cases (0.0 ... 3.5 mm, 7 at 0.5 mm steps without 3.0).
        #expect(metric(m, "registration.mtre_median_mm") == 1.5)
        #expect(m.first { $0.id == "registration.mtre_median_mm" }?.cases == 7)
        #expect(metric(PipelineMetrics.compute(try Self.cases()), "registration.not_registered_cases") == 0)
    }

    @Test("group tests ICM vs non-ICM agree with SciPy; shards re-judged give the same metrics", .tags(.fast))
    func groups() throws {
        let cases = try Self.cases()
        let tests = CohortStatistics.tests(cases, groupBy: ["icm"])
        let fisher = try #require(tests.first { $0.test == "fisher-exact" && $0.variable.hasPrefix("primary target") })
        #expect(fisher.groups == ["ICM", "non-ICM"])
        #expect(abs(fisher.pValue! - 0.428571) < 1e-6)
        let mwu = try #require(tests.first { $0.test == "mann-whitney-u" })
        #expect(mwu.statistic == 16)
        #expect(abs(mwu.pValue! - 0.030383) < 1e-6)
        #expect(tests.contains { $0.test == "one-way-anova" && $0.pValue != nil })
        let perGroup = CohortStatistics.groupMetrics(cases, groupBy: ["icm"])
        #expect(perGroup.map(\.cases) == [4, 4])
        #expect(metric(perGroup[1].metrics, "target.within_or_adjacent_rate") == 1)

        let whole = ScenarioRunner.judge(scenario: "t", description: "", expectations: [], groupBy: ["icm"], manifest: ["cases": "8"], cases: cases)
        let a = ScenarioRunner.judge(scenario: "t", description: "", expectations: [], groupBy: ["icm"], manifest: ["cases": "8"], cases: cases.filter { $0.index % 2 == 0 })
        let b = ScenarioRunner.judge(scenario: "t", description: "", expectations: [], groupBy: ["icm"], manifest: ["cases": "8"], cases: cases.filter { $0.index % 2 == 1 })
        let merged = try ScenarioRunner.merge([b, a], sources: ["b", "a"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(merged.metrics) == encoder.encode(whole.metrics))
        #expect(try encoder.encode(merged.groupTests) == encoder.encode(whole.groupTests))
    }
}
