import Statistics
import Testing

/// Fisher's exact test, Mann-Whitney U, Student's and Welch's t-tests and one-way ANOVA.
@Suite(.tags(.fast)) struct GroupComparisonTests {
    // MARK: Fisher's exact test

    /// Fisher's lady tasting tea (The Design of Experiments, 1935, ch. II): 3 of 4 milk-first cups identified.
    /// Two-sided p = 0.4857 and one-sided ("greater") 0.2429 as printed in R's `fisher.test` documentation;
    /// full precision from SciPy 1.17 `fisher_exact([[3, 1], [1, 3]], alternative=...)`.
    @Test func teaTasting() throws {
        let table = [[3, 1], [1, 3]]
        let two = try fisherExactTest(table)
        #expect(isClose(two.pValue, 0.4857, absolute: Tolerance.printed(digits: 4)))
        #expect(isClose(two.pValue, 0.48571428571428565, absolute: Tolerance.closedForm))
        #expect(two.oddsRatio == 9)
        let greater = try fisherExactTest(table, alternative: .greater)
        #expect(isClose(greater.pValue, 0.2429, absolute: Tolerance.printed(digits: 4)))
        #expect(isClose(greater.pValue, 0.24285714285714283, absolute: Tolerance.closedForm))
        let less = try fisherExactTest(table, alternative: .less)
        #expect(isClose(less.pValue, 0.9857142857142858, absolute: Tolerance.closedForm))
    }

    /// Fisher's convictions of like-sex twins of criminals (J. R. Stat. Soc. A 98:39, 1935): R's `fisher.test`
    /// documentation prints p = 0.0004652 for `alternative = "less"`; SciPy for all three alternatives.
    @Test func convictions() throws {
        let table = [[2, 15], [10, 3]]
        let less = try fisherExactTest(table, alternative: .less)
        #expect(isClose(less.pValue, 0.0004652, absolute: Tolerance.printed(digits: 7)))
        #expect(isClose(less.pValue, 0.00046518094336290503, relative: Tolerance.special))
        #expect(isClose(try fisherExactTest(table).pValue, 0.0005367241191434358, relative: Tolerance.special))
        #expect(
            isClose(
                try fisherExactTest(table, alternative: .greater).pValue, 0.9999845190186861,
                relative: Tolerance.special))
        #expect(isClose(try #require(less.oddsRatio), 0.04, absolute: Tolerance.closedForm))
    }

    /// More 2x2 tables against SciPy `fisher_exact`, including a zero cell (odds ratio 0) and an asymmetric
    /// table where the two-sided p is not twice the one-sided one.
    @Test(arguments: [
        ([[8, 2], [1, 5]], 0.034965034965034975, 0.9991258741258742, 0.024475524475524483),
        ([[0, 5], [6, 2]], 0.02097902097902098, 0.016317016317016316, 1.0),
        ([[12, 5], [7, 30]], 0.0004749227316381919, 0.9999682084770806, 0.0003786927330005923),
    ])
    func fisher2x2(table: [[Int]], twoSided: Double, less: Double, greater: Double) throws {
        #expect(isClose(try fisherExactTest(table).pValue, twoSided, relative: Tolerance.special))
        #expect(isClose(try fisherExactTest(table, alternative: .less).pValue, less, relative: Tolerance.special))
        #expect(
            isClose(
                try fisherExactTest(table, alternative: .greater).pValue, greater,
                relative: Tolerance.special))
    }

    /// Odds ratio nil when b c = 0 (infinite), 0 when a d = 0.
    @Test func oddsRatioEdges() throws {
        #expect(try fisherExactTest([[3, 0], [1, 4]]).oddsRatio == nil)
        #expect(try fisherExactTest([[0, 5], [6, 2]]).oddsRatio == 0)
    }

    /// r x c tables against a brute-force enumeration in Python (every table with the observed margins,
    /// probabilities from `math.lgamma`, summing those <= the observed one x (1 + 1e-7)), which also
    /// reproduces the tea-tasting 0.4857. SciPy 1.17 answers r x c tables by Monte Carlo, so it is not used.
    @Test(arguments: [
        ([[3, 1, 2], [1, 3, 4]], 0.5004995004995006, 22),
        ([[5, 2, 1], [1, 4, 6], [0, 3, 5]], 0.038257226929063415, 1085),
        ([[10, 4, 1], [3, 6, 5]], 0.04095173775341428, 73),
        ([[8, 3, 5, 2], [2, 7, 4, 9]], 0.024795233803209162, 841),
        ([[6, 2, 3], [1, 7, 2], [3, 2, 8]], 0.022162412406511945, 3102),
    ])
    func fisherRxC(table: [[Int]], p: Double, tables: Int) throws {
        let r = try fisherExactTest(table)
        #expect(isClose(r.pValue, p, relative: Tolerance.special))
        #expect(r.tablesEnumerated <= tables)
        #expect(r.oddsRatio == nil)
    }

    /// Agresti's job-satisfaction table (Categorical Data Analysis, 2002, table 3.9; income x satisfaction,
    /// 104 people): R's `fisher.test(Job)` documentation prints p = 0.7827.
    /// Far more tables share these margins than are evaluated one by one: the bounds sum the rest.
    @Test func fisherJobSatisfaction() throws {
        let job = [[1, 3, 10, 6], [2, 3, 10, 7], [1, 6, 14, 12], [0, 1, 9, 11]]
        let r = try fisherExactTest(job)
        #expect(isClose(r.pValue, 0.7827, absolute: Tolerance.printed(digits: 4)), "p = \(r.pValue)")
        #expect(r.tablesEnumerated < fisherExactTableLimit)
    }

    @Test func fisherDegenerateInput() {
        #expect(throws: StatisticsError.self) { try fisherExactTest([[0, 0], [0, 0]]) }
        #expect(throws: StatisticsError.self) { try fisherExactTest([[1, 2]]) }
        #expect(throws: StatisticsError.self) { try fisherExactTest([[1, 2], [3]]) }
        #expect(throws: StatisticsError.self) { try fisherExactTest([[1, -2], [3, 4]]) }
        #expect(throws: StatisticsError.self) { try fisherExactTest([[1, 2, 3], [3, 4, 5]], alternative: .less) }
    }

    // MARK: Mann-Whitney U

    /// Normal approximation without ties against SciPy `mannwhitneyu(x, y, method="asymptotic")`
    /// (continuity correction on), U of the first sample.
    @Test func mannWhitneyAsymptotic() throws {
        let x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
        let y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
        let r = try mannWhitneyU(x, y)
        #expect(r.u == 58 && r.uSecond == 23)
        #expect(isClose(r.pValue, 0.13291945818531892, relative: Tolerance.special))
        #expect(try #require(r.z) > 0)
    }

    /// Ties: tie-corrected variance, against SciPy `mannwhitneyu(..., method="asymptotic")`; z recomputed in
    /// Python from `scipy.stats.rankdata` and the tie counts.
    @Test func mannWhitneyWithTies() throws {
        let x: [Double] = [3, 4, 2, 6, 2, 5, 3, 3, 7]
        let y: [Double] = [9, 7, 5, 10, 6, 8, 4, 7]
        let r = try mannWhitneyU(x, y)
        #expect(r.u == 8.5)
        #expect(isClose(try #require(r.z), -2.6173930290762057, absolute: Tolerance.closedForm))
        #expect(isClose(r.pValue, 0.008860425500132546, relative: Tolerance.special))
        #expect(isClose(r.commonLanguageEffectSize, 8.5 / 72, absolute: Tolerance.closedForm))
        // Swapping the samples swaps U and the sign of z, not the p-value.
        let s = try mannWhitneyU(y, x)
        #expect(s.u == 63.5 && isClose(s.pValue, r.pValue, relative: 1e-12))
    }

    /// Exact distribution for small samples without ties against SciPy `mannwhitneyu(..., method="exact")`
    /// (p = 0.013986 = 2 x 12 / 1716 tables), and the normal approximation on the same data.
    @Test func mannWhitneyExact() throws {
        let x = [19.1, 22.4, 17.5, 25.0, 20.3, 18.8]
        let y = [23.2, 27.9, 24.4, 26.1, 21.7, 29.3, 28.0]
        let exact = try mannWhitneyU(x, y, method: .exact)
        #expect(exact.u == 4 && exact.z == nil)
        #expect(isClose(exact.pValue, 0.013986013986013986, relative: Tolerance.special))
        let approximate = try mannWhitneyU(x, y)
        #expect(isClose(approximate.pValue, 0.01841616057630396, relative: Tolerance.special))
    }

    @Test func mannWhitneyDegenerateInput() {
        #expect(throws: StatisticsError.self) { try mannWhitneyU([], [1, 2]) }
        #expect(throws: StatisticsError.self) { try mannWhitneyU([2, 2], [2, 2, 2]) }
        #expect(throws: StatisticsError.self) { try mannWhitneyU([1, 2], [2, 3], method: .exact) }
        #expect(throws: StatisticsError.self) { try mannWhitneyU([1, .nan], [2, 3]) }
    }

    // MARK: t-tests

    static let a = [24.1, 27.3, 22.8, 26.0, 25.5, 23.9, 28.2, 24.7]
    static let b = [21.0, 23.4, 22.1, 20.5, 24.9, 19.8, 22.6]

    /// Student's t against SciPy `ttest_ind(a, b)` and `.confidence_interval(0.95)` / `(0.90)`.
    @Test func studentT() throws {
        let r = try studentTTest(Self.a, Self.b)
        #expect(r.equalVariances && r.degreesOfFreedom == 13)
        #expect(isClose(r.t, 3.524597204271496, absolute: Tolerance.closedForm))
        #expect(isClose(r.pValue, 0.0037337727789021986, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.lower, 1.2655460662135596, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.upper, 5.2737396480721515, relative: Tolerance.special))
        let r90 = try studentTTest(Self.a, Self.b, confidence: 0.90)
        #expect(isClose(r90.confidenceInterval.lower, 1.6268112389236524, relative: Tolerance.special))
        #expect(isClose(r90.confidenceInterval.upper, 4.912474475362058, relative: Tolerance.special))
    }

    /// Welch's t against SciPy `ttest_ind(a, b, equal_var=False)` (fractional degrees of freedom).
    @Test func welchT() throws {
        let r = try welchTTest(Self.a, Self.b)
        #expect(!r.equalVariances)
        #expect(isClose(r.t, 3.5302107588118075, absolute: Tolerance.closedForm))
        #expect(isClose(r.degreesOfFreedom, 12.809813439699138, absolute: Tolerance.closedForm))
        #expect(isClose(r.pValue, 0.0037721549305820435, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.lower, 1.2657088290508196, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.upper, 5.273576885234892, relative: Tolerance.special))
    }

    /// Unequal variances and sizes, where Student and Welch disagree (SciPy `ttest_ind`, both settings).
    @Test func studentVersusWelch() throws {
        let c = [5.1, 4.9, 5.3, 5.0]
        let d = [6.8, 4.1, 9.9, 2.0, 7.5, 5.5, 8.8, 3.3, 6.1, 10.4]
        let s = try studentTTest(c, d), w = try welchTTest(c, d)
        #expect(isClose(s.t, -0.9511555219858107, absolute: Tolerance.closedForm))
        #expect(isClose(s.pValue, 0.3602906178467653, relative: Tolerance.special))
        #expect(isClose(s.confidenceInterval.lower, -4.491806756361484, relative: Tolerance.special))
        #expect(isClose(w.t, -1.534879026219251, absolute: Tolerance.closedForm))
        #expect(isClose(w.degreesOfFreedom, 9.165894468101806, absolute: Tolerance.closedForm))
        #expect(isClose(w.pValue, 0.15857781778191735, relative: Tolerance.special))
        #expect(isClose(w.confidenceInterval.upper, 0.6412469017085867, relative: Tolerance.special))
    }

    @Test func tTestDegenerateInput() {
        #expect(throws: StatisticsError.self) { try studentTTest([1], [2]) }
        #expect(throws: StatisticsError.self) { try studentTTest([1, 1], [2, 2]) }
        #expect(throws: StatisticsError.self) { try welchTTest([1], [2, 3, 4]) }
        #expect(throws: StatisticsError.self) { try welchTTest([1, 2], [2, 3], confidence: 0) }
    }

    // MARK: One-way ANOVA

    /// McDonald, Seed & Koehn (Mar. Biol. 111:323, 1991), mussel shell AAM length / width at five sites, the
    /// worked example of McDonald's Handbook of Biological Statistics (F = 7.12 on 4 and 34 df, P = 2.8e-4) and
    /// of SciPy's `f_oneway` documentation; full precision from SciPy 1.17 `f_oneway`.
    @Test func anovaMussels() throws {
        let tillamook = [0.0571, 0.0813, 0.0831, 0.0976, 0.0817, 0.0859, 0.0735, 0.0659, 0.0923, 0.0836]
        let newport = [0.0873, 0.0662, 0.0672, 0.0819, 0.0749, 0.0649, 0.0835, 0.0725]
        let petersburg = [0.0974, 0.1352, 0.0817, 0.1016, 0.0968, 0.1064, 0.105]
        let magadan = [0.1033, 0.0915, 0.0781, 0.0685, 0.0677, 0.0697, 0.0764, 0.0689]
        let tvarminne = [0.0703, 0.1026, 0.0956, 0.0973, 0.1039, 0.1045]
        let r = try oneWayANOVA([tillamook, newport, petersburg, magadan, tvarminne])
        #expect(r.degreesOfFreedomBetween == 4 && r.degreesOfFreedomWithin == 34)
        #expect(isClose(r.f, 7.12, absolute: Tolerance.printed(digits: 2)))
        #expect(isClose(r.pValue, 2.8e-4, absolute: Tolerance.printed(digits: 5)))
        #expect(isClose(r.f, 7.121019471642447, absolute: Tolerance.closedForm))
        #expect(isClose(r.pValue, 0.00028122423145345525, relative: Tolerance.special))
    }

    /// Three groups of different size (SciPy `f_oneway(a, b, c)`), and two groups reproduce Student's t^2.
    @Test func anovaSmall() throws {
        let c = [5.1, 4.9, 5.3, 5.0]
        let r = try oneWayANOVA([Self.a, Self.b, c])
        #expect(isClose(r.f, 218.96890977972828, absolute: 1e-9 * 218.97))
        #expect(isClose(r.pValue, 2.382258709266028e-12, relative: Tolerance.special))
        let two = try oneWayANOVA([Self.a, Self.b])
        let t = try studentTTest(Self.a, Self.b)
        #expect(isClose(two.f, t.t * t.t, relative: 1e-12))
        #expect(isClose(two.pValue, t.pValue, relative: Tolerance.special))
    }

    @Test func anovaDegenerateInput() {
        #expect(throws: StatisticsError.self) { try oneWayANOVA([[1, 2, 3]]) }
        #expect(throws: StatisticsError.self) { try oneWayANOVA([[1, 2], []]) }
        #expect(throws: StatisticsError.self) { try oneWayANOVA([[1], [2]]) }
        #expect(throws: StatisticsError.self) { try oneWayANOVA([[1, 1], [2, 2]]) }
    }
}
