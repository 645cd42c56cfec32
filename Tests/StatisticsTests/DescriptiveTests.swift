import Statistics
import Testing

/// Mean, SD, median, percentiles and the Wilson interval.
@Suite(.tags(.fast)) struct DescriptiveTests {
    /// A small sample; references from NumPy 2 (`np.mean`, `np.std(x, ddof=1)`, `np.var(x, ddof=1)`,
    /// `np.median`, `np.percentile(x, q)` with the default linear method).
    static let sample = [2.5, 3.1, 4.7, 1.0, 8.9, 3.3, 5.2]

    @Test func meanVarianceMedian() throws {
        #expect(isClose(try mean(Self.sample), 4.1, absolute: Tolerance.closedForm))
        #expect(isClose(try variance(Self.sample), 6.403333333333335, absolute: Tolerance.closedForm))
        #expect(isClose(try standardDeviation(Self.sample), 2.5304808502206324, absolute: Tolerance.closedForm))
        #expect(isClose(try median(Self.sample), 3.3, absolute: Tolerance.closedForm))
        #expect(isClose(try median([4, 1, 3, 2]), 2.5, absolute: Tolerance.closedForm))
    }

    @Test(arguments: [(0.0, 1.0), (10, 1.9), (25, 2.8), (37.5, 3.15), (75, 4.95), (90, 6.68), (100, 8.9)])
    func percentiles(percent: Double, expected: Double) throws {
        #expect(isClose(try percentile(Self.sample, percent), expected, absolute: Tolerance.closedForm))
    }

    /// The summary agrees with the separate functions.
    @Test func summary() throws {
        let s = try SampleSummary(Self.sample)
        #expect(s.count == 7 && s.minimum == 1 && s.maximum == 8.9)
        #expect(isClose(s.lowerQuartile, 2.8, absolute: Tolerance.closedForm))
        #expect(isClose(s.upperQuartile, 4.95, absolute: Tolerance.closedForm))
        #expect(try SampleSummary([3]).standardDeviation == nil)
    }

    /// Wilson intervals against statsmodels 0.15 `proportion_confint(k, n, alpha=0.05, method="wilson")`,
    /// including 0 and n successes, where the Wald interval degenerates.
    @Test(arguments: [
        (0, 10, 0.0, 0.27753279986288926), (7, 10, 0.39677814746114537, 0.8922087325936989),
        (81, 263, 0.2552885198782742, 0.36620957698280004), (29, 29, 0.8830302015002592, 1.0),
    ])
    func wilson(successes: Int, trials: Int, lower: Double, upper: Double) throws {
        let e = try wilsonInterval(successes: successes, trials: trials)
        #expect(isClose(e.confidenceInterval.lower, lower, absolute: 1e-15, relative: Tolerance.special))
        #expect(isClose(e.confidenceInterval.upper, upper, relative: Tolerance.special))
        #expect(e.proportion == Double(successes) / Double(trials))
    }

    /// A 90 % Wilson interval (statsmodels, alpha=0.10).
    @Test func wilsonOtherLevel() throws {
        let e = try wilsonInterval(successes: 81, trials: 263, confidence: 0.90)
        #expect(isClose(e.confidenceInterval.lower, 0.2633136171884814, relative: Tolerance.special))
        #expect(isClose(e.confidenceInterval.upper, 0.35656634960848815, relative: Tolerance.special))
        #expect(e.confidenceInterval.level == 0.90)
    }

    @Test func degenerateInputThrows() {
        #expect(throws: StatisticsError.self) { try mean([]) }
        #expect(throws: StatisticsError.self) { try mean([1, .nan]) }
        #expect(throws: StatisticsError.self) { try standardDeviation([1]) }
        #expect(throws: StatisticsError.self) { try percentile([1, 2], 101) }
        #expect(throws: StatisticsError.self) { try wilsonInterval(successes: 1, trials: 0) }
        #expect(throws: StatisticsError.self) { try wilsonInterval(successes: 5, trials: 4) }
        #expect(throws: StatisticsError.self) { try wilsonInterval(successes: 1, trials: 4, confidence: 1) }
    }
}
