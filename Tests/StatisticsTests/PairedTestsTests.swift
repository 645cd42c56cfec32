import Foundation
import Statistics
import Testing

/// McNemar's exact test and the Wilcoxon signed-rank test against statsmodels 0.15 `mcnemar(table, exact=True)`
/// and SciPy 1.17 `wilcoxon(d)` (defaults) on the same pairs, in each of SciPy's three regimes.
@Suite(.tags(.fast)) struct PairedTestsTests {
    /// Discordant counts (b, c) and statsmodels' p-value, from none discordant to 2500 discordant pairs.
    @Test func mcNemarAgainstStatsmodels() throws {
        let cases: [(Int, Int, Double)] = [
            (3, 9, 0.14599609375), (0, 0, 1.0), (5, 5, 1.0), (40, 60, 0.05688793364098089),
            (0, 7, 0.015625), (1200, 1300, 0.047681865221043444),
        ]
        for (b, c, p) in cases {
            let r = try mcNemarExact(onlyFirst: b, onlySecond: c)
            #expect(isClose(r.pValue, p, relative: Tolerance.special), "b \(b), c \(c): \(r.pValue) vs \(p)")
            #expect(r.statistic == min(b, c))
            #expect(try mcNemarExact(onlyFirst: c, onlySecond: b).pValue == r.pValue)
        }
        #expect(throws: StatisticsError.self) { try mcNemarExact(onlyFirst: -1, onlySecond: 2) }
    }

    /// n <= 50 without ties or zeros: the exact null distribution.
    @Test func wilcoxonExact() throws {
        let ten = [0.8, -1.3, 2.1, 0.4, 1.7, -0.2, 3.3, 0.9, 1.1, -0.6]
        let r = try wilcoxonSignedRank(ten)
        #expect(r.method == .exact)
        #expect(r.statistic == 11)
        #expect(isClose(r.pValue, 0.10546875, relative: Tolerance.special))
        let fifty = (1...50).map { sin(0.7 * Double($0)) - 0.25 }
        let f = try wilcoxonSignedRank(fifty)
        #expect(f.method == .exact)
        #expect(f.statistic == 428)
        #expect(isClose(f.pValue, 0.04294367729928261, relative: Tolerance.special))
    }

    /// n <= 13 with ties and a zero: every sign assignment.
    @Test func wilcoxonPermutation() throws {
        let r = try wilcoxonSignedRank([1.0, -1.0, 2.0, 0.0, 2.0, 3.0, 0.5, -0.5])
        #expect(r.method == .permutation)
        #expect(r.nonZero == 7)
        #expect(r.statistic == 5)
        #expect(isClose(r.pValue, 0.15625, relative: Tolerance.special))
        #expect(try wilcoxonSignedRank([0, 0, 0]).pValue == 1)
    }

    /// n > 50, or ties and a zero above 13 pairs: the normal approximation with tie-corrected variance.
    @Test func wilcoxonNormalApproximation() throws {
        let sixty = (1...60).map { sin(1.3 * Double($0)) + 0.2 }
        let r = try wilcoxonSignedRank(sixty)
        #expect(r.method == .normalApproximation)
        #expect(r.statistic == 591)
        #expect(isClose(r.pValue, 0.017071723791291522, relative: Tolerance.special))
        let tied = [0.3, 0.6, 0.0, -0.6, -0.2, -0.7, 0.4, 1.6, -0.2, -0.3, 0.8, 0.7, 0.4, -0.6, 0.3, 1.0, -1.0, -0.2,
                    -1.6, -1.0, -1.5, 0.1, -1.0, 0.6, 0.5, 0.1, -2.2, -0.2, 0.3, 0.4]
        let t = try wilcoxonSignedRank(tied)
        #expect(t.method == .normalApproximation)
        #expect(t.statistic == 203)
        #expect(isClose(t.pValue, 0.7535453903350631, relative: Tolerance.special))
        #expect(throws: StatisticsError.self) { try wilcoxonSignedRank([]) }
        #expect(throws: StatisticsError.self) { try wilcoxonSignedRank([1, .nan]) }
    }
}
