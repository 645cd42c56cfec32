import Foundation

/// How the p-value of the Mann-Whitney U test is computed.
public enum MannWhitneyMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// Normal approximation with tie-corrected variance and continuity correction.
    case normalApproximation = "normal_approximation"
    /// Exact permutation distribution of U; small samples without ties only.
    case exact
}

/// Largest n1 x n2 for which the exact distribution of U is tabulated (memory grows as (n1 n2)^2 / 2).
public let mannWhitneyExactLimit = 2_500

/// The Mann-Whitney U (Wilcoxon rank-sum) test of two independent samples.
public struct MannWhitneyResult: Sendable, Equatable, Hashable, Codable {
    /// Size of the first sample.
    public var firstCount: Int
    /// Size of the second sample.
    public var secondCount: Int
    /// U of the first sample: the number of pairs (x, y) with x > y, ties counting one half.
    public var u: Double
    /// U of the second sample, n1 n2 - u.
    public var uSecond: Double
    /// Standardised statistic of the normal approximation (positive when the first sample tends to be larger),
    /// with tie and continuity corrections; nil for the exact method.
    public var z: Double?
    /// Two-sided p-value.
    public var pValue: Double
    /// How the p-value was computed.
    public var method: MannWhitneyMethod
    /// u / (n1 n2): the probability that a value of the first sample exceeds one of the second (ties one half),
    /// the common-language effect size (McGraw & Wong 1992); 0.5 means no shift.
    public var commonLanguageEffectSize: Double
}

/// The Mann-Whitney U test (two-sided) of whether one sample tends to have larger values than the other.
///
/// Method: Mann & Whitney (Ann. Math. Stat. 18:50, 1947). Pooled midranks; U1 = R1 - n1 (n1 + 1) / 2. Normal
/// approximation: mean n1 n2 / 2 and tie-corrected variance n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))
/// (Lehmann, Nonparametrics, 1975, eq. 1.61), z moved 0.5 towards 0 (continuity correction), p = 2 P(Z > |z|)
/// (as SciPy `mannwhitneyu(..., method="asymptotic")`). Exact: the permutation distribution of U by the
/// recursion p(u; m, n) = m/(m+n) p(u - n; m - 1, n) + n/(m+n) p(u; m, n - 1), p = 2 min(P(U <= U1), P(U >= U1)).
/// - Parameters:
///   - first: the first sample (at least one finite value; any unit, the same as `second`).
///   - second: the second sample (at least one finite value).
///   - method: `.normalApproximation` (default) or `.exact` (no ties, n1 n2 <= `mannWhitneyExactLimit`).
/// - Throws: `StatisticsError` for an empty sample, non-finite values, all values tied (no variance), or the exact
///   method with ties or too large samples.
public func mannWhitneyU(
    _ first: [Double], _ second: [Double],
    method: MannWhitneyMethod = .normalApproximation
) throws -> MannWhitneyResult {
    try requireSample(first, minimum: 1, "Mann-Whitney U (first sample)")
    try requireSample(second, minimum: 1, "Mann-Whitney U (second sample)")
    let n1 = first.count, n2 = second.count, n = n1 + n2
    let (ranks, tieGroups) = midranks(first + second)
    let rankSum = compensatedSum(Array(ranks[0..<n1]))
    let u1 = rankSum - Double(n1) * Double(n1 + 1) / 2
    let product = Double(n1) * Double(n2)
    let u2 = product - u1
    let effect = u1 / product

    switch method {
    case .normalApproximation:
        let tieSum = tieGroups.reduce(0.0) { $0 + Double($1) * Double($1) * Double($1) - Double($1) }
        let nd = Double(n)
        let variance = product / 12 * ((nd + 1) - tieSum / (nd * (nd - 1)))
        guard variance > 0 else {
            throw StatisticsError("Mann-Whitney U: all \(n) values are tied, so the ranks carry no information")
        }
        let deviation = u1 - product / 2
        let z = (deviation < 0 ? -1.0 : 1.0) * max(0, abs(deviation) - 0.5) / variance.squareRoot()
        let p = min(1, 2 * StandardNormal.sf(abs(z)))
        return MannWhitneyResult(
            firstCount: n1, secondCount: n2, u: u1, uSecond: u2, z: z, pValue: p,
            method: method, commonLanguageEffectSize: effect)
    case .exact:
        guard tieGroups.isEmpty else {
            throw StatisticsError(
                "Mann-Whitney U: the exact method needs values without ties; "
                    + "\(tieGroups.count) group\(tieGroups.count == 1 ? " is" : "s are") tied (use the normal approximation)"
            )
        }
        guard n1 * n2 <= mannWhitneyExactLimit else {
            throw StatisticsError(
                "Mann-Whitney U: the exact method is limited to n1 n2 <= \(mannWhitneyExactLimit), "
                    + "got \(n1) x \(n2) (use the normal approximation)")
        }
        let distribution = exactUDistribution(n1, n2)
        let u = Int(u1.rounded())
        let lower = distribution[0...u].reduce(0, +)
        let upper = distribution[u...].reduce(0, +)
        let p = min(1, 2 * min(lower, upper))
        return MannWhitneyResult(
            firstCount: n1, secondCount: n2, u: u1, uSecond: u2, z: nil, pValue: p,
            method: method, commonLanguageEffectSize: effect)
    }
}

/// Midranks (1-based; tied values share the mean of their ranks) and the sizes of the tie groups (size >= 2).
func midranks(_ values: [Double]) -> (ranks: [Double], tieGroups: [Int]) {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = Array(repeating: 0.0, count: values.count)
    var ties: [Int] = []
    var start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
        let rank = Double(start + end) / 2 + 1
        for i in start...end { ranks[order[i]] = rank }
        if end > start { ties.append(end - start + 1) }
        start = end + 1
    }
    return (ranks, ties)
}

/// P(U = u) for u in 0...m n under the null hypothesis, for samples of m and n values without ties.
private func exactUDistribution(_ m: Int, _ n: Int) -> [Double] {
    // table[i][j] is the distribution for samples of i and j values; built up in j, then i.
    var previousRow: [[Double]] = (0...n).map { _ in [1.0] }  // i = 0: U = 0 with certainty
    if m == 0 { return previousRow[n] }
    for i in 1...m {
        var row: [[Double]] = [[1.0]]  // j = 0: U = 0 with certainty
        for j in 1...n {
            var p = Array(repeating: 0.0, count: i * j + 1)
            let a = Double(i) / Double(i + j), b = Double(j) / Double(i + j)
            // The largest of the i + j values belongs to the first sample (probability i / (i + j)) and then
            // exceeds all j values of the second, or to the second sample.
            for (u, q) in previousRow[j].enumerated() { p[u + j] += a * q }
            for (u, q) in row[j - 1].enumerated() { p[u] += b * q }
            row.append(p)
        }
        previousRow = row
    }
    return previousRow[n]
}
