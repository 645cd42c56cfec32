import Foundation

/// McNemar's test of two paired binary outcomes (the same cases judged right or wrong by two methods).
public struct McNemarResult: Sendable, Equatable, Hashable, Codable {
    /// Pairs where only the first method is right (b) and only the second is (c).
    public var onlyFirst: Int
    public var onlySecond: Int
    /// min(b, c), the exact test's statistic.
    public var statistic: Int
    /// Two-sided exact p-value.
    public var pValue: Double
}

/// McNemar's exact test (two-sided) on the discordant pairs: under the null hypothesis each discordant pair is
/// equally likely to favour either method, so min(b, c) follows Binomial(b + c, 1/2) and
/// p = min(1, 2 P(X <= min(b, c))) (McNemar, Psychometrika 12:153, 1947; the exact form as statsmodels
/// `mcnemar(table, exact=True)`). With no discordant pair p = 1.
/// - Throws: `StatisticsError` for negative counts.
public func mcNemarExact(onlyFirst b: Int, onlySecond c: Int) throws -> McNemarResult {
    guard b >= 0, c >= 0 else { throw StatisticsError("McNemar: discordant counts must be >= 0, got \(b) and \(c)") }
    let n = b + c, k = min(b, c)
    // P(X <= k) for X ~ Binomial(n, 1/2), summed in log space (n can be thousands of cases).
    var cdf = 0.0
    if n > 0 {
        let logHalfN = Double(n) * log(0.5)
        for i in 0...k {
            cdf += exp(lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1)) + logHalfN)
        }
    } else {
        cdf = 1
    }
    return McNemarResult(onlyFirst: b, onlySecond: c, statistic: k, pValue: min(1, 2 * cdf))
}

/// How the p-value of the Wilcoxon signed-rank test was computed.
public enum WilcoxonMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// The exact null distribution of W+ (n <= 50, no ties, no zero differences).
    case exact
    /// Every one of the 2^n sign assignments (n <= 13 with ties or zeros).
    case permutation
    /// Normal approximation with tie-corrected variance, no continuity correction.
    case normalApproximation = "normal_approximation"
}

/// The Wilcoxon signed-rank test of paired differences.
public struct WilcoxonSignedRankResult: Sendable, Equatable, Hashable, Codable {
    /// Pairs given and pairs with a non-zero difference (the ones ranked).
    public var pairs: Int
    public var nonZero: Int
    /// Sum of the ranks of the positive differences (W+) and of the negative ones (W-).
    public var rankSumPositive: Double
    public var rankSumNegative: Double
    /// min(W+, W-), the two-sided statistic.
    public var statistic: Double
    /// Two-sided p-value.
    public var pValue: Double
    public var method: WilcoxonMethod
}

/// Largest number of pairs the exact null distribution is used for (as SciPy).
public let wilcoxonExactLimit = 50
/// Largest number of pairs (with ties or zeros) whose 2^n sign flips are enumerated (as SciPy: 2^13 < 9999).
public let wilcoxonPermutationLimit = 13

/// The Wilcoxon signed-rank test (two-sided) of whether paired differences are centred on zero.
///
/// Method: Wilcoxon (Biometrics Bulletin 1:80, 1945). Zero differences are dropped before ranking (Wilcoxon's
/// method); |d| get midranks; W+ is the sum of the ranks of positive d. The p-value follows SciPy's
/// `scipy.stats.wilcoxon(d)` defaults (zero_method "wilcox", no continuity correction, method "auto"):
/// - n <= 50, no ties, no zeros: exact null distribution of W+ (number of subsets of 1..m with each sum, / 2^m),
///   p = min(1, 2 min(P(W >= W+), P(W <= W+)));
/// - n <= 13 otherwise: all 2^m sign assignments of the non-zero differences, same two-sided rule;
/// - else: z = (W+ - m(m+1)/4) / sqrt(m(m+1)(2m+1)/24 - sum(t^3 - t)/48), p = 2 P(Z > |z|).
/// Here n counts the pairs given and m the non-zero ones.
/// - Parameter differences: paired differences, first minus second (finite; any unit).
/// - Throws: `StatisticsError` for no pairs or non-finite values.
public func wilcoxonSignedRank(_ differences: [Double]) throws -> WilcoxonSignedRankResult {
    try requireSample(differences, minimum: 1, "Wilcoxon signed-rank")
    let nonZero = differences.filter { $0 != 0 }
    let m = nonZero.count
    let (ranks, tieGroups) = midranks(nonZero.map(abs))
    var plus = 0.0, minus = 0.0
    for (d, r) in zip(nonZero, ranks) { if d > 0 { plus += r } else { minus += r } }
    let statistic = min(plus, minus)
    let n = differences.count
    let hasZeros = m < n, hasTies = !tieGroups.isEmpty
    func result(_ p: Double, _ method: WilcoxonMethod) -> WilcoxonSignedRankResult {
        WilcoxonSignedRankResult(pairs: n, nonZero: m, rankSumPositive: plus, rankSumNegative: minus,
                                 statistic: statistic, pValue: min(1, max(0, p)), method: method)
    }
    if m == 0 {
        return result(1, .permutation)
    }
    if n <= wilcoxonExactLimit && !hasZeros && !hasTies {
        // counts[s]: number of subsets of {1..m} whose sum is s (exact in Double up to 2^53 > 2^50).
        let top = m * (m + 1) / 2
        var counts = [Double](repeating: 0, count: top + 1)
        counts[0] = 1
        for k in 1...m {
            for s in stride(from: top, through: k, by: -1) { counts[s] += counts[s - k] }
        }
        let total = pow(2.0, Double(m))
        let w = Int(plus.rounded())
        let atMost = counts[0...w].reduce(0, +) / total
        let atLeast = counts[w...top].reduce(0, +) / total
        return result(2 * min(atMost, atLeast), .exact)
    }
    if n <= wilcoxonPermutationLimit {
        // Every sign assignment of the non-zero differences (zeros flip to themselves and only repeat each outcome).
        let flips = 1 << m
        var atLeast = 0, atMost = 0
        let tolerance = 1e-12 * max(1, abs(plus))
        for mask in 0..<flips {
            var sum = 0.0
            for k in 0..<m where mask & (1 << k) != 0 { sum += ranks[k] }
            if sum >= plus - tolerance { atLeast += 1 }
            if sum <= plus + tolerance { atMost += 1 }
        }
        return result(2 * Double(min(atLeast, atMost)) / Double(flips), .permutation)
    }
    let mean = Double(m) * Double(m + 1) / 4
    let tieCorrection = tieGroups.reduce(0.0) { $0 + pow(Double($1), 3) - Double($1) }
    let variance = (Double(m) * Double(m + 1) * Double(2 * m + 1) - tieCorrection / 2) / 24
    guard variance > 0 else { return result(1, .normalApproximation) }
    let z = (plus - mean) / variance.squareRoot()
    return result(2 * StandardNormal.sf(abs(z)), .normalApproximation)
}
