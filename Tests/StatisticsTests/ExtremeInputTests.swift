import Statistics
import Testing

/// Inputs at the edges of the usable range stay finite and agree with SciPy 1.17.
@Suite(.tags(.fast)) struct ExtremeInputTests {
    /// Large degrees of freedom and far tails (`t.ppf(0.975, 1e6)`, `f.ppf(0.975, 3, 1e5)`,
    /// `betaincinv(2, 3, 1e-200)`, `2 * t.sf(40, 3)`).
    @Test func distributionsAtTheEdges() throws {
        let t = try StudentTDistribution(degreesOfFreedom: 1e6).quantile(0.975)
        #expect(isClose(t, 1.959966356814107, relative: Tolerance.special))
        let f = try FDistribution(numeratorDegreesOfFreedom: 3, denominatorDegreesOfFreedom: 1e5).quantile(0.975)
        #expect(isClose(f, 3.116264611922469, relative: Tolerance.special))
        let x = try inverseRegularizedIncompleteBeta(1e-200, a: 2, b: 3)
        #expect(isClose(x, 4.0824829046386305e-101, relative: 1e-6))
        let p = try StudentTDistribution(degreesOfFreedom: 3).twoSidedTail(40)
        #expect(isClose(p, 3.4380680789158506e-05, relative: Tolerance.special))
    }

    /// A large 2x2 table (n = 100 000) against SciPy `fisher_exact`: small p-values keep their relative precision.
    @Test func fisherLargeCounts() throws {
        let r = try fisherExactTest([[40000, 10000], [39000, 11000]])
        #expect(isClose(r.pValue, 8.679834443400673e-15, relative: 1e-6))
    }

    /// Raters who disagree more than chance: a negative ICC with a finite interval (McGraw & Wong case 2A in
    /// Python with SciPy F quantiles).
    @Test func negativeICC() throws {
        let r = try intraclassCorrelation([[1, 4], [2, 2], [3, 5], [4, 1], [5, 3]])
        #expect(isClose(r.icc, -0.4054054054054054, absolute: Tolerance.closedForm))
        #expect(isClose(r.confidenceInterval.lower, -1.4387891013799836, relative: Tolerance.special))
        #expect(isClose(r.confidenceInterval.upper, 0.7227838706635262, relative: Tolerance.special))
        #expect(r.strength == .poor)
    }

    /// The exact Mann-Whitney distribution at its size limit (50 x 50) against SciPy
    /// `mannwhitneyu(x, y, method="exact")`; one more value is refused.
    @Test func mannWhitneyExactAtLimit() throws {
        let x = (0..<50).map { Double(2 * $0) }, y = (0..<50).map { Double(2 * $0 + 1) }
        let r = try mannWhitneyU(x, y, method: .exact)
        #expect(r.u == 1225)
        #expect(isClose(r.pValue, 0.8664717523984028, relative: Tolerance.special))
        #expect(throws: StatisticsError.self) { try mannWhitneyU(x + [1000.5], y, method: .exact) }
    }
}
