import Foundation

/// The arithmetic mean.
/// - Parameter values: the sample, at least one finite value (any unit; the result has the same unit).
/// - Throws: `StatisticsError` for an empty sample or a non-finite value.
public func mean(_ values: [Double]) throws -> Double {
    try requireSample(values, minimum: 1, "mean")
    return compensatedSum(values) / Double(values.count)
}

/// The sample variance with Bessel's correction, sum (x - mean)^2 / (n - 1).
///
/// Method: two-pass algorithm (the mean first, then squared deviations), which avoids the cancellation of the
/// textbook one-pass formula (Chan, Golub & LeVeque, Am. Stat. 37:242, 1983).
/// - Parameter values: the sample, at least two finite values; the result is in the unit squared.
/// - Throws: `StatisticsError` for fewer than two values or a non-finite value.
public func variance(_ values: [Double]) throws -> Double {
    try requireSample(values, minimum: 2, "variance")
    return sumOfSquaredDeviations(values) / Double(values.count - 1)
}

/// The sample standard deviation, the square root of `variance(_:)` (n - 1 in the denominator).
/// - Parameter values: the sample, at least two finite values; the result has the unit of the values.
/// - Throws: `StatisticsError` for fewer than two values or a non-finite value.
public func standardDeviation(_ values: [Double]) throws -> Double {
    try variance(values).squareRoot()
}

/// The median: the middle value, or the mean of the two middle values for an even count.
/// - Parameter values: the sample, at least one finite value.
/// - Throws: `StatisticsError` for an empty sample or a non-finite value.
public func median(_ values: [Double]) throws -> Double {
    try percentile(values, 50)
}

/// A percentile by linear interpolation between order statistics.
///
/// Method: definition 7 of Hyndman & Fan (Am. Stat. 50:361, 1996), the default of R `quantile`, NumPy
/// `percentile` and Excel `PERCENTILE.INC`: with the sorted values x(1) <= ... <= x(n), h = (n - 1) p / 100 + 1,
/// the result is x(floor h) + (h - floor h) (x(floor h + 1) - x(floor h)). The checked form of
/// `percentile(sorted:_:method:)` with `.linear`.
/// - Parameters:
///   - values: the sample, at least one finite value.
///   - percent: which percentile, in percent, in [0, 100] (50 is the median, 25 and 75 the quartiles).
/// - Throws: `StatisticsError` for an empty sample, a non-finite value or `percent` outside [0, 100].
public func percentile(_ values: [Double], _ percent: Double) throws -> Double {
    try requireSample(values, minimum: 1, "percentile")
    guard percent >= 0, percent <= 100 else {
        throw StatisticsError("percentile: percent must be in [0, 100], got \(percent)")
    }
    return percentile(sorted: values.sorted(), percent, method: .linear)
}

/// How `percentile(sorted:_:method:)` turns the position (n - 1) p / 100 (0-based, between two order statistics)
/// into a value; the names are NumPy's `np.percentile(..., method=)`.
public enum PercentileMethod: Sendable, Equatable {
    /// Linear interpolation between the two order statistics around the position (Hyndman & Fan definition 7,
    /// NumPy's default `"linear"`).
    case linear
    /// The order statistic at or below the position (NumPy `"lower"`): always a value of the sample.
    case lower
    /// The order statistic nearest the position, a position exactly halfway rounded up (NumPy `"nearest"` rounds
    /// it to the even index instead; the two differ only there).
    case nearest
}

/// The percentile `percent` of values already sorted ascending, without checks, for image code on `[Float]` in
/// loops (the checked form for samples is `percentile(_:_:)`).
///
/// The position is h = (n - 1) percent / 100 (0-based, computed in Double); `method` says how it becomes a value.
/// With `.linear` the result is x[floor h] + (x[floor h + 1] - x[floor h]) T(h - floor h), evaluated in `T`.
/// - Parameters:
///   - values: sorted ascending (not checked); NaN gives unspecified results.
///   - percent: in [0, 100]; values outside are clamped to the extremes.
///   - method: `.linear` (default), `.lower` or `.nearest`.
/// - Returns: the percentile, or NaN for an empty array.
@inlinable
public func percentile<T: BinaryFloatingPoint>(sorted values: [T], _ percent: Double, method: PercentileMethod = .linear) -> T {
    let n = values.count
    guard n > 0, !percent.isNaN else { return .nan }
    let position = min(max(Double(n - 1) * percent / 100, 0), Double(n - 1))
    switch method {
    case .lower:
        return values[Int(position.rounded(.down))]
    case .nearest:
        return values[min(n - 1, Int(position.rounded()))]
    case .linear:
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, n - 1)
        let fraction = T(position - Double(lower))
        return values[lower] + (values[upper] - values[lower]) * fraction
    }
}

/// Count, mean, standard deviation, extremes and quartiles of a sample, for tables in reports.
public struct SampleSummary: Sendable, Equatable, Hashable, Codable {
    /// Number of values.
    public var count: Int
    /// Arithmetic mean (unit of the values).
    public var mean: Double
    /// Sample standard deviation (n - 1); nil for a single value.
    public var standardDeviation: Double?
    /// Smallest value.
    public var minimum: Double
    /// 25th percentile (Hyndman & Fan definition 7).
    public var lowerQuartile: Double
    /// Median.
    public var median: Double
    /// 75th percentile (Hyndman & Fan definition 7).
    public var upperQuartile: Double
    /// Largest value.
    public var maximum: Double

    /// Summarises `values`.
    /// - Parameter values: at least one finite value.
    /// - Throws: `StatisticsError` for an empty sample or a non-finite value.
    public init(_ values: [Double]) throws {
        try requireSample(values, minimum: 1, "summary")
        count = values.count
        mean = try Statistics.mean(values)
        standardDeviation = values.count >= 2 ? try Statistics.standardDeviation(values) : nil
        minimum = values.min()!
        maximum = values.max()!
        lowerQuartile = try percentile(values, 25)
        median = try percentile(values, 50)
        upperQuartile = try percentile(values, 75)
    }
}

/// A proportion (successes / trials) with its confidence interval.
public struct ProportionEstimate: Sendable, Equatable, Hashable, Codable {
    /// Number of successes, 0...trials.
    public var successes: Int
    /// Number of trials, > 0.
    public var trials: Int
    /// successes / trials, a fraction in [0, 1].
    public var proportion: Double
    /// Wilson score interval for the proportion (fractions in [0, 1]).
    public var confidenceInterval: ConfidenceInterval
}

/// A proportion with its Wilson score confidence interval.
///
/// Method: Wilson (J. Am. Stat. Assoc. 22:209, 1927), the interval recommended over the Wald interval by
/// Brown, Cai & DasGupta (Stat. Sci. 16:101, 2001); it stays inside [0, 1] and is sensible at 0 and n successes.
/// With p = x/n and z the two-sided normal critical value: centre (p + z^2/2n) / (1 + z^2/n), half-width
/// z / (1 + z^2/n) sqrt(p(1 - p)/n + z^2/4n^2).
/// - Parameters:
///   - successes: x, in 0...trials.
///   - trials: n, > 0.
///   - confidence: coverage in (0, 1), default 0.95.
/// - Throws: `StatisticsError` for trials <= 0, successes outside 0...trials or a bad level.
public func wilsonInterval(successes: Int, trials: Int, confidence: Double = defaultConfidenceLevel) throws
    -> ProportionEstimate
{
    guard trials > 0 else { throw StatisticsError("Wilson interval: needs at least one trial, got \(trials)") }
    guard successes >= 0, successes <= trials else {
        throw StatisticsError("Wilson interval: successes must be in 0...\(trials), got \(successes)")
    }
    try requireConfidenceLevel(confidence, "Wilson interval")
    let n = Double(trials), p = Double(successes) / n
    let z = normalCriticalValue(confidence), z2 = z * z
    let denominator = 1 + z2 / n
    let centre = (p + z2 / (2 * n)) / denominator
    let halfWidth = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
    let interval = ConfidenceInterval(
        lower: max(0, centre - halfWidth), upper: min(1, centre + halfWidth),
        level: confidence)
    return ProportionEstimate(successes: successes, trials: trials, proportion: p, confidenceInterval: interval)
}

// MARK: - Shared sums

/// Kahan-Babuska (Neumaier) compensated sum, so long samples do not lose digits.
func compensatedSum(_ values: [Double]) -> Double {
    var sum = 0.0, compensation = 0.0
    for v in values {
        let t = sum + v
        if abs(sum) >= abs(v) { compensation += (sum - t) + v } else { compensation += (v - t) + sum }
        sum = t
    }
    return sum + compensation
}

/// sum (x - mean)^2, two-pass.
func sumOfSquaredDeviations(_ values: [Double]) -> Double {
    let m = compensatedSum(values) / Double(values.count)
    return compensatedSum(values.map { ($0 - m) * ($0 - m) })
}
