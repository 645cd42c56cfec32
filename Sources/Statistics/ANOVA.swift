import Foundation

/// One-way analysis of variance of k independent groups.
public struct OneWayANOVAResult: Sendable, Equatable, Hashable, Codable {
    /// Number of groups k.
    public var groups: Int
    /// Total number of values N.
    public var observations: Int
    /// Between-groups sum of squares (unit of the values, squared).
    public var sumOfSquaresBetween: Double
    /// Within-groups sum of squares (unit squared).
    public var sumOfSquaresWithin: Double
    /// Between-groups degrees of freedom, k - 1.
    public var degreesOfFreedomBetween: Double
    /// Within-groups degrees of freedom, N - k.
    public var degreesOfFreedomWithin: Double
    /// Between-groups mean square (unit squared).
    public var meanSquareBetween: Double
    /// Within-groups mean square (unit squared).
    public var meanSquareWithin: Double
    /// F = meanSquareBetween / meanSquareWithin.
    public var f: Double
    /// P(F > f) on (k - 1, N - k) degrees of freedom.
    public var pValue: Double
    /// Effect size eta^2 = SS_between / SS_total, a fraction in [0, 1].
    public var etaSquared: Double
}

/// One-way ANOVA: do k independent groups share one mean?
///
/// Method: Fisher's analysis of variance (Statistical Methods for Research Workers, 1925, ch. VII), F =
/// (SS_between / (k - 1)) / (SS_within / (N - k)), p = P(F > f) from the F distribution through the regularized
/// incomplete beta (as SciPy `f_oneway`).
/// - Parameters:
///   - groups: k >= 2 groups of finite values (any unit, the same for all), each non-empty, N - k >= 1.
/// - Throws: `StatisticsError` for fewer than 2 groups, an empty group, too few values, non-finite values, or
///   when every group is constant (within-group variance 0, F undefined).
public func oneWayANOVA(_ groups: [[Double]]) throws -> OneWayANOVAResult {
    guard groups.count >= 2 else {
        throw StatisticsError("one-way ANOVA: needs at least 2 groups, got \(groups.count)")
    }
    for (i, g) in groups.enumerated() { try requireSample(g, minimum: 1, "one-way ANOVA (group \(i))") }
    let k = groups.count, total = groups.reduce(0) { $0 + $1.count }
    guard total > k else {
        throw StatisticsError(
            "one-way ANOVA: needs more values (\(total)) than groups (\(k)) "
                + "to estimate the within-group variance")
    }
    let grandMean = compensatedSum(groups.flatMap { $0 }) / Double(total)
    var between: [Double] = []
    var within = 0.0
    for g in groups {
        let m = compensatedSum(g) / Double(g.count)
        between.append(Double(g.count) * (m - grandMean) * (m - grandMean))
        within += sumOfSquaredDeviations(g)
    }
    let ssBetween = compensatedSum(between)
    let dfBetween = Double(k - 1), dfWithin = Double(total - k)
    let msBetween = ssBetween / dfBetween, msWithin = within / dfWithin
    guard msWithin > 0 else {
        throw StatisticsError("one-way ANOVA: undefined because every group is constant (within-group variance 0)")
    }
    let f = msBetween / msWithin
    let p = try FDistribution(numeratorDegreesOfFreedom: dfBetween, denominatorDegreesOfFreedom: dfWithin).sf(f)
    return OneWayANOVAResult(
        groups: k, observations: total, sumOfSquaresBetween: ssBetween,
        sumOfSquaresWithin: within, degreesOfFreedomBetween: dfBetween,
        degreesOfFreedomWithin: dfWithin, meanSquareBetween: msBetween,
        meanSquareWithin: msWithin, f: f, pValue: p,
        etaSquared: ssBetween / (ssBetween + within))
}
