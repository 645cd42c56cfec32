import Statistics
import Testing

/// The special functions and distributions under every test, against SciPy 1.17.1.
@Suite(.tags(.fast)) struct DistributionTests {
    /// I_x(a, b) against `scipy.special.betainc(a, b, x)`.
    @Test(arguments: [
        (0.3, 2.0, 3.0, 0.34829999999999994),  // closed form 6x^2 - 8x^3 + 3x^4 = 0.3483
        (0.9, 0.5, 0.5, 0.7951672353008665),
        (0.01, 10.0, 0.5, 1.770034965528571e-21),
        (0.7, 50.0, 40.0, 0.9979524488148462),
    ])
    func incompleteBeta(x: Double, a: Double, b: Double, expected: Double) throws {
        let value = try regularizedIncompleteBeta(x, a: a, b: b)
        #expect(isClose(value, expected, relative: Tolerance.special), "I_\(x)(\(a), \(b)) = \(value)")
    }

    /// The inverse against `scipy.special.betaincinv(a, b, p)`, and it round-trips.
    @Test(arguments: [
        (0.05, 2.0, 3.0, 0.09761146288641434),
        (0.975, 12.5, 0.5, 0.9999599246899235),
        (1e-6, 3.0, 7.0, 0.0022912212217033106),
    ])
    func inverseIncompleteBeta(p: Double, a: Double, b: Double, expected: Double) throws {
        let x = try inverseRegularizedIncompleteBeta(p, a: a, b: b)
        #expect(isClose(x, expected, relative: Tolerance.special), "x = \(x)")
        #expect(isClose(try regularizedIncompleteBeta(x, a: a, b: b), p, relative: Tolerance.special))
    }

    /// AS 241 against `scipy.stats.norm.ppf(p)`, both tails and the centre.
    @Test(arguments: [
        (1e-10, -6.361340902404056), (0.001, -3.090232306167813), (0.025, -1.9599639845400545),
        (0.3, -0.5244005127080409), (0.5, 0.0), (0.975, 1.959963984540054), (0.999999, 4.753424308817087),
    ])
    func normalQuantile(p: Double, expected: Double) {
        let z = StandardNormal.quantile(p)
        #expect(isClose(z, expected, absolute: 1e-15, relative: Tolerance.special), "z = \(z)")
    }

    /// Normal tails against `scipy.stats.norm.cdf(z)` and `norm.sf(z)` (the upper tail keeps relative precision).
    @Test func normalTails() {
        #expect(isClose(StandardNormal.cdf(-3), 0.0013498980316300933, relative: Tolerance.special))
        #expect(isClose(StandardNormal.cdf(1.96), 0.9750021048517795, relative: Tolerance.special))
        #expect(isClose(StandardNormal.sf(0.5), 0.3085375387259869, relative: Tolerance.special))
        #expect(isClose(StandardNormal.sf(8), 6.22096057427174e-16, relative: Tolerance.special))
    }

    /// t distribution against `scipy.stats.t.cdf(t, v)` and `2 * t.sf(|t|, v)`, fractional v included.
    @Test(arguments: [
        (2.0, 5.0, 0.9490302605850708, 0.10193947882985835),
        (-1.3, 12.7, 0.10835026729210875, 0.2167005345842175),
        (0.1, 1.0, 0.5317255174305535, 0.936548965138893),
        (4.5, 200.0, 0.9999942406093686, 1.151878126287533e-05),
    ])
    func studentT(t: Double, v: Double, cdf: Double, twoSided: Double) throws {
        let d = try StudentTDistribution(degreesOfFreedom: v)
        #expect(isClose(try d.cdf(t), cdf, relative: Tolerance.special))
        #expect(isClose(try d.twoSidedTail(t), twoSided, relative: Tolerance.special))
    }

    /// t quantiles against `scipy.stats.t.ppf(p, v)`; 12.7062 for v = 1 and 2.7764 for v = 4 are also the
    /// printed 97.5 % points of every t table (e.g. Fisher & Yates, Statistical Tables, table III).
    @Test(arguments: [
        (0.975, 1.0, 12.706204736174694), (0.975, 4.0, 2.7764451051977934),
        (0.995, 23.5, 2.802018366362082), (0.05, 9.0, -1.8331129326562376),
    ])
    func studentTQuantile(p: Double, v: Double, expected: Double) throws {
        let q = try StudentTDistribution(degreesOfFreedom: v).quantile(p)
        #expect(isClose(q, expected, relative: Tolerance.special), "t = \(q)")
    }

    /// F distribution against `scipy.stats.f.sf(f, d1, d2)`, `f.cdf` and `f.ppf`.
    @Test func fDistribution() throws {
        let cases: [(Double, Double, Double, Double)] = [
            (3.2, 2, 27, 0.056602226408500815), (0.5, 4, 6, 0.73828125), (12, 1, 1, 0.17891237502206686),
            (1.5, 5, 4.3, 0.34973322372499394),
        ]
        for (f, d1, d2, sf) in cases {
            let d = try FDistribution(numeratorDegreesOfFreedom: d1, denominatorDegreesOfFreedom: d2)
            #expect(isClose(try d.sf(f), sf, relative: Tolerance.special), "P(F(\(d1), \(d2)) > \(f))")
            #expect(isClose(try d.cdf(f), 1 - sf, relative: Tolerance.special))
        }
        let quantiles: [(Double, Double, Double, Double)] = [
            (0.975, 5, 4.3, 8.51607778007801), (0.025, 3, 10, 0.06935321586551406),
            (0.95, 2, 27, 3.3541308285291964),
        ]
        for (p, d1, d2, expected) in quantiles {
            let d = try FDistribution(numeratorDegreesOfFreedom: d1, denominatorDegreesOfFreedom: d2)
            #expect(isClose(try d.quantile(p), expected, relative: Tolerance.special), "F quantile \(p)")
        }
    }

    /// Bad parameters throw instead of returning nan.
    @Test func badParametersThrow() {
        #expect(throws: StatisticsError.self) { try regularizedIncompleteBeta(1.2, a: 1, b: 1) }
        #expect(throws: StatisticsError.self) { try regularizedIncompleteBeta(0.5, a: 0, b: 1) }
        #expect(throws: StatisticsError.self) { try StudentTDistribution(degreesOfFreedom: 0) }
        #expect(throws: StatisticsError.self) { try StudentTDistribution(degreesOfFreedom: .nan) }
        #expect(throws: StatisticsError.self) {
            try FDistribution(numeratorDegreesOfFreedom: 1, denominatorDegreesOfFreedom: -2)
        }
        #expect(throws: StatisticsError.self) { try StudentTDistribution(degreesOfFreedom: 3).quantile(1) }
    }
}
