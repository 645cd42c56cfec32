import Foundation
import Statistics
import Testing

/// Cohen's kappa (plain and weighted), ICC(2,1) and the Landis-Koch words.
@Suite(.tags(.fast)) struct AgreementTests {
    /// Fleiss (1981), Statistical Methods for Rates and Proportions, 2nd ed., chapter 13: two psychiatrists,
    /// 100 patients, diagnoses psychotic / neurotic / organic. The book gives p_o = 0.89, p_e = 0.66 and
    /// kappa = (0.89 - 0.66) / 0.34 = 0.68.
    static let fleiss1981 = [[75, 1, 4], [5, 4, 1], [0, 0, 10]]

    @Test func kappaOnFleissTable() throws {
        let r = try cohensKappa(ConfusionMatrix(counts: Self.fleiss1981))
        #expect(r.subjects == 100 && r.categories == 3 && r.weighting == .unweighted)
        #expect(isClose(r.observedAgreement, 0.89, absolute: Tolerance.closedForm))
        #expect(isClose(r.expectedAgreement, 0.66, absolute: Tolerance.closedForm))
        #expect(isClose(r.kappa, 0.68, absolute: Tolerance.printed(digits: 2)))
        // statsmodels 0.15: r = cohens_kappa(table); r.kappa, r.std_kappa, r.std_kappa0, r.kappa_low,
        // r.kappa_upp, r.z_value, r.pvalue_two_sided.
        #expect(isClose(r.kappa, 0.676470588235294, absolute: Tolerance.closedForm))
        #expect(isClose(r.standardError, 0.08770295347521254, absolute: Tolerance.closedForm))
        #expect(isClose(r.standardErrorUnderNull, 0.07618725792346259, absolute: Tolerance.closedForm))
        #expect(isClose(r.confidenceInterval.lower, 0.5045759580860855, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.upper, 0.8483652183845026, relative: Tolerance.special))
        #expect(isClose(try #require(r.z), 8.879051519545088, relative: Tolerance.special))
        #expect(isClose(try #require(r.pValue), 6.743287254207236e-19, relative: 1e-6))
        #expect(r.strength == .substantial)
    }

    /// Linearly and quadratically weighted kappa on the same table, against statsmodels
    /// `cohens_kappa(table, wt="linear")` and `wt="quadratic"` (agreement weights 1 - |i-j|/(k-1) and
    /// 1 - (i-j)^2/(k-1)^2; the point values also recomputed by hand from p_o and p_e).
    @Test(arguments: [
        (
            KappaWeighting.linear, 0.7222222222222223, 0.08430095392318866, 0.08786056417982566,
            0.556995388670402, 0.8874490557740426
        ),
        (
            KappaWeighting.quadratic, 0.7553191489361702, 0.08670713249380735, 0.0989476085815205,
            0.5853762920455652, 0.9252620058267753
        ),
    ])
    func weightedKappaOnFleissTable(
        weighting: KappaWeighting, kappa: Double, se: Double, se0: Double,
        lower: Double, upper: Double
    ) throws {
        let r = try cohensKappa(ConfusionMatrix(counts: Self.fleiss1981), weighting: weighting)
        #expect(isClose(r.kappa, kappa, absolute: Tolerance.closedForm))
        #expect(isClose(r.standardError, se, absolute: Tolerance.closedForm))
        #expect(isClose(r.standardErrorUnderNull, se0, absolute: Tolerance.closedForm))
        #expect(isClose(r.confidenceInterval.lower, lower, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.upper, upper, relative: Tolerance.special))
    }

    /// The ordered lead categories of the method.
    enum Lead: Hashable { case within, adjacent, remote }

    /// Paired ratings of 20 leads by two observers; the same numbers as statsmodels `cohens_kappa` on the
    /// tabulated counts [[6, 2, 0], [1, 4, 2], [0, 1, 4]] (weights None, "linear", "quadratic").
    @Test func kappaFromPairedLeadCategories() throws {
        let codes: [Lead] = [.within, .adjacent, .remote]
        let a = [0, 0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2, 0, 1, 1, 0, 2, 0, 1].map { codes[$0] }
        let b = [0, 1, 1, 2, 2, 0, 2, 1, 1, 0, 0, 0, 2, 0, 1, 2, 0, 2, 1, 1].map { codes[$0] }
        let table = try ConfusionMatrix(first: a, second: b, categories: codes)
        #expect(table.counts == [[6, 2, 0], [1, 4, 2], [0, 1, 4]])
        let expected: [(KappaWeighting, Double, Double, Double, Double, Double)] = [
            (
                .unweighted, 0.5471698113207546, 0.15428030349206212, 0.24478597295240362, 0.8495536496891056,
                0.0005382220088734005
            ),
            (
                .linear, 0.6551724137931034, 0.12474436902606913, 0.410677943227834, 0.8996668843583728,
                0.00017067751310901146
            ),
            (
                .quadratic, 0.7665369649805447, 0.09177427060208115, 0.5866626998930325, 0.9464112300680568,
                0.0005495393768522928
            ),
        ]
        for (weighting, kappa, se, lower, upper, p) in expected {
            let r = try cohensKappa(first: a, second: b, categories: codes, weighting: weighting)
            #expect(isClose(r.kappa, kappa, absolute: Tolerance.closedForm), "\(weighting)")
            #expect(isClose(r.standardError, se, absolute: Tolerance.closedForm), "\(weighting)")
            #expect(isClose(r.confidenceInterval.lower, lower, relative: Tolerance.special), "\(weighting)")
            #expect(isClose(r.confidenceInterval.upper, upper, relative: Tolerance.special), "\(weighting)")
            #expect(isClose(try #require(r.pValue), p, relative: Tolerance.special), "\(weighting)")
        }
    }

    /// Perfect agreement: kappa 1, standard error 0, the interval collapses onto 1.
    @Test func perfectAgreement() throws {
        let r = try cohensKappa(ConfusionMatrix(counts: [[7, 0, 0], [0, 3, 0], [0, 0, 5]]), weighting: .linear)
        #expect(r.kappa == 1 && r.standardError == 0)
        #expect(r.confidenceInterval.lower == 1 && r.confidenceInterval.upper == 1)
        #expect(r.strength == .almostPerfect)
    }

    /// The interval is clipped to [-1, 1] (a small table where kappa + 1.96 SE exceeds 1).
    @Test func intervalIsClipped() throws {
        let r = try cohensKappa(ConfusionMatrix(counts: [[4, 0], [1, 5]]))
        #expect(r.kappa + 1.96 * r.standardError > 1)
        #expect(r.confidenceInterval.upper == 1)
    }

    /// Landis & Koch (1977) words, limits inclusive above as in DOMAIN.md section 4.
    @Test(arguments: [
        (-0.1, LandisKochStrength.poor), (0.0, .slight), (0.20, .slight), (0.21, .fair), (0.40, .fair),
        (0.41, .moderate), (0.60, .moderate), (0.61, .substantial), (0.80, .substantial), (0.81, .almostPerfect),
        (1.0, .almostPerfect),
    ])
    func landisKoch(kappa: Double, strength: LandisKochStrength) {
        #expect(LandisKochStrength(kappa: kappa) == strength)
    }

    @Test func landisKochLabels() {
        #expect(LandisKochStrength.almostPerfect.label == "almost perfect")
        #expect(LandisKochStrength.fair.label == "fair")
    }

    /// Degenerate tables throw with a message instead of returning nan.
    @Test func kappaDegenerateInput() {
        // Both raters used one category for everyone: p_e = 1, kappa = 0/0.
        #expect(throws: StatisticsError.self) { try cohensKappa(ConfusionMatrix(counts: [[9, 0], [0, 0]])) }
        #expect(throws: StatisticsError.self) { try cohensKappa(ConfusionMatrix(counts: [[0, 0], [0, 0]])) }
        #expect(throws: StatisticsError.self) { try ConfusionMatrix(counts: [[1, 2], [3]]) }
        #expect(throws: StatisticsError.self) { try ConfusionMatrix(counts: [[1]]) }
        #expect(throws: StatisticsError.self) { try ConfusionMatrix(counts: [[1, -2], [3, 4]]) }
        #expect(throws: StatisticsError.self) {
            try ConfusionMatrix(first: [Lead.within], second: [Lead.within, .remote], categories: [.within, .remote])
        }
        #expect(throws: StatisticsError.self) {
            try ConfusionMatrix(first: [Lead.adjacent], second: [Lead.within], categories: [.within, .remote])
        }
        #expect(throws: StatisticsError.self) {
            try ConfusionMatrix(first: [Lead.within], second: [Lead.within], categories: [.within, .within])
        }
        do {
            _ = try cohensKappa(ConfusionMatrix(counts: [[9, 0], [0, 0]]))
        } catch let error as StatisticsError {
            #expect(error.message.contains("chance"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// Shrout & Fleiss (Psychol. Bull. 86:420, 1979), table 2: 6 targets rated by 4 judges; their table 4 gives
    /// ICC(2,1) = .29. Full-precision references: pingouin 0.7 `intraclass_corr` (ICC(A,1) = 0.289764,
    /// F = 11.027248 on 5 and 15 df, p = 0.000135, CI95 printed as [0.02, 0.76]) and the McGraw & Wong case 2A
    /// formula evaluated in Python with `scipy.stats.f.ppf` for the limits.
    static let shroutFleiss: [[Double]] = [
        [9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7],
    ]

    @Test func iccOnShroutFleissData() throws {
        let r = try intraclassCorrelation(Self.shroutFleiss)
        #expect(r.subjects == 6 && r.raters == 4)
        #expect(isClose(r.icc, 0.29, absolute: Tolerance.printed(digits: 2)))
        #expect(isClose(r.icc, 0.2897637795275591, absolute: Tolerance.closedForm))
        #expect(isClose(r.meanSquareSubjects, 11.241666666666669, absolute: Tolerance.closedForm))
        #expect(isClose(r.meanSquareRaters, 32.486111111111114, absolute: Tolerance.closedForm))
        #expect(isClose(r.meanSquareError, 1.0194444444444444, absolute: Tolerance.closedForm))
        #expect(isClose(try #require(r.f), 11.027247956403272, absolute: Tolerance.closedForm))
        #expect(r.numeratorDegreesOfFreedom == 5 && r.denominatorDegreesOfFreedom == 15)
        #expect(isClose(r.pValue, 0.00013456651648433688, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.lower, 0.02, absolute: Tolerance.printed(digits: 2)))
        #expect(isClose(r.confidenceInterval.upper, 0.76, absolute: Tolerance.printed(digits: 2)))
        #expect(isClose(r.confidenceInterval.lower, 0.018786513374712016, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.upper, 0.7610843696489529, relative: Tolerance.special))
        #expect(r.strength == .fair)
    }

    /// Two observers measuring 10 subjects (a value in mm, say), at 95 % and 90 %; references from the same
    /// Python evaluation of the McGraw & Wong formulas with SciPy's F quantiles.
    @Test func iccTwoRaters() throws {
        let ratings: [[Double]] = [
            [12.1, 11.8], [15.3, 15.9], [9.8, 10.4], [20.2, 19.1], [14.4, 14.9], [17.7, 18.3], [11.0, 10.2],
            [13.3, 13.9], [16.8, 16.1], [10.5, 11.6],
        ]
        let r = try intraclassCorrelation(ratings)
        #expect(isClose(r.icc, 0.9754167670255671, absolute: Tolerance.closedForm))
        #expect(isClose(r.confidenceInterval.lower, 0.9065605716743415, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.upper, 0.9938041730406972, relative: Tolerance.special))
        #expect(isClose(r.pValue, 2.314841880518668e-07, relative: Tolerance.special))
        let r90 = try intraclassCorrelation(ratings, confidence: 0.90)
        #expect(isClose(r90.confidenceInterval.lower, 0.9252023734271646, relative: Tolerance.special))
        #expect(isClose(r90.confidenceInterval.upper, 0.9921663573021845, relative: Tolerance.special))
    }

    /// Identical ratings within every subject: ICC 1 with a collapsed interval; no variance at all throws.
    @Test func iccDegenerateInput() throws {
        let same = try intraclassCorrelation([[1, 1], [2, 2], [5, 5]])
        #expect(same.icc == 1 && same.confidenceInterval.lower == 1 && same.f == nil && same.pValue == 0)
        #expect(throws: StatisticsError.self) { try intraclassCorrelation([[3, 3], [3, 3]]) }
        #expect(throws: StatisticsError.self) { try intraclassCorrelation([[1, 2]]) }
        #expect(throws: StatisticsError.self) { try intraclassCorrelation([[1], [2]]) }
        #expect(throws: StatisticsError.self) { try intraclassCorrelation([[1, 2], [2]]) }
        #expect(throws: StatisticsError.self) { try intraclassCorrelation([[1, 2], [2, .infinity]]) }
    }
}

/// Confusion matrices round-trip through JSON, and decoding checks the table like the initialiser does.
@Suite(.tags(.fast)) struct ConfusionMatrixCodingTests {
    @Test func roundTripAndValidation() throws {
        let table = try ConfusionMatrix(counts: [[3, 1], [0, 4]])
        let data = try JSONEncoder().encode(table)
        #expect(String(decoding: data, as: UTF8.self) == "[[3,1],[0,4]]")
        #expect(try JSONDecoder().decode(ConfusionMatrix.self, from: data) == table)
        #expect(throws: StatisticsError.self) {
            try JSONDecoder().decode(ConfusionMatrix.self, from: Data("[[3,1],[0]]".utf8))
        }
    }
}
