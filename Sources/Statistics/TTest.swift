import Foundation

/// A two-sample t-test of equal means.
public struct TTestResult: Sendable, Equatable, Hashable, Codable {
    /// Whether the variances were pooled (Student) or not (Welch).
    public var equalVariances: Bool
    /// Mean of the first sample minus mean of the second (unit of the values).
    public var meanDifference: Double
    /// Standard error of the difference (unit of the values).
    public var standardError: Double
    /// t = meanDifference / standardError.
    public var t: Double
    /// Degrees of freedom: n1 + n2 - 2 (Student) or Welch-Satterthwaite (fractional).
    public var degreesOfFreedom: Double
    /// Two-sided p-value P(|T| > |t|).
    public var pValue: Double
    /// Confidence interval of the mean difference (unit of the values).
    public var confidenceInterval: ConfidenceInterval
}

/// Student's two-sample t-test (pooled variance), two-sided.
///
/// Method: Student (Biometrika 6:1, 1908), in Fisher's two-sample form: pooled variance
/// s^2 = ((n1 - 1) s1^2 + (n2 - 1) s2^2) / (n1 + n2 - 2), SE = s sqrt(1/n1 + 1/n2), t on n1 + n2 - 2 degrees of
/// freedom; p from the t distribution through the regularized incomplete beta (as SciPy `ttest_ind`).
/// - Parameters:
///   - first: the first sample (any unit, the same as `second`).
///   - second: the second sample; together at least 3 values, each sample at least 1.
///   - confidence: coverage of the interval of the difference, in (0, 1), default 0.95.
/// - Throws: `StatisticsError` for too few or non-finite values, or when both samples are constant (SE = 0).
public func studentTTest(_ first: [Double], _ second: [Double], confidence: Double = defaultConfidenceLevel)
    throws -> TTestResult
{
    try requireSample(first, minimum: 1, "Student's t-test (first sample)")
    try requireSample(second, minimum: 1, "Student's t-test (second sample)")
    guard first.count + second.count >= 3 else {
        throw StatisticsError("Student's t-test: needs at least 3 values in all, got \(first.count + second.count)")
    }
    let n1 = Double(first.count), n2 = Double(second.count)
    let df = n1 + n2 - 2
    let pooled = (sumOfSquaredDeviations(first) + sumOfSquaredDeviations(second)) / df
    let se = (pooled * (1 / n1 + 1 / n2)).squareRoot()
    return try tTestResult(
        first, second, se: se, df: df, equalVariances: true, confidence: confidence,
        name: "Student's t-test")
}

/// Welch's two-sample t-test (unequal variances), two-sided.
///
/// Method: Welch (Biometrika 34:28, 1947): SE = sqrt(s1^2/n1 + s2^2/n2), degrees of freedom by
/// Welch-Satterthwaite, (s1^2/n1 + s2^2/n2)^2 / ((s1^2/n1)^2/(n1 - 1) + (s2^2/n2)^2/(n2 - 1)); p from the t
/// distribution (as SciPy `ttest_ind(..., equal_var=False)`).
/// - Parameters:
///   - first: the first sample, at least 2 values (any unit, the same as `second`).
///   - second: the second sample, at least 2 values.
///   - confidence: coverage of the interval of the difference, in (0, 1), default 0.95.
/// - Throws: `StatisticsError` for fewer than 2 values in a sample, non-finite values, or when both samples are
///   constant (SE = 0).
public func welchTTest(_ first: [Double], _ second: [Double], confidence: Double = defaultConfidenceLevel)
    throws -> TTestResult
{
    try requireSample(first, minimum: 2, "Welch's t-test (first sample)")
    try requireSample(second, minimum: 2, "Welch's t-test (second sample)")
    let n1 = Double(first.count), n2 = Double(second.count)
    let v1 = sumOfSquaredDeviations(first) / (n1 - 1) / n1
    let v2 = sumOfSquaredDeviations(second) / (n2 - 1) / n2
    let se = (v1 + v2).squareRoot()
    let df = (v1 + v2) * (v1 + v2) / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return try tTestResult(
        first, second, se: se, df: df, equalVariances: false, confidence: confidence,
        name: "Welch's t-test")
}

private func tTestResult(
    _ first: [Double], _ second: [Double], se: Double, df: Double, equalVariances: Bool,
    confidence: Double, name: String
) throws -> TTestResult {
    try requireConfidenceLevel(confidence, name)
    guard se > 0, df.isFinite, df > 0 else {
        throw StatisticsError("\(name): undefined because both samples are constant (standard error 0)")
    }
    let difference = try mean(first) - mean(second)
    let t = difference / se
    let distribution = try StudentTDistribution(degreesOfFreedom: df)
    let p = try distribution.twoSidedTail(t)
    let critical = try distribution.quantile(0.5 + confidence / 2)
    return TTestResult(
        equalVariances: equalVariances, meanDifference: difference, standardError: se, t: t,
        degreesOfFreedom: df, pValue: p,
        confidenceInterval: ConfidenceInterval(
            lower: difference - critical * se,
            upper: difference + critical * se, level: confidence))
}
