import Foundation

/// ICC(2,1) with its two-way ANOVA, confidence interval and F test.
public struct IntraclassCorrelationResult: Sendable, Equatable, Hashable, Codable {
    /// Number of subjects n (rows).
    public var subjects: Int
    /// Number of raters k (columns).
    public var raters: Int
    /// Between-subjects mean square MS_R (unit of the ratings, squared).
    public var meanSquareSubjects: Double
    /// Between-raters mean square MS_C (unit squared).
    public var meanSquareRaters: Double
    /// Residual mean square MS_E (unit squared).
    public var meanSquareError: Double
    /// ICC(2,1): two-way random effects, absolute agreement, single rater; unitless, at most 1.
    public var icc: Double
    /// F-based interval of McGraw & Wong (1996), case 2A.
    public var confidenceInterval: ConfidenceInterval
    /// F = MS_R / MS_E, the test of ICC = 0; nil when MS_E = 0 (the raters differ by constants at most).
    public var f: Double?
    /// Numerator degrees of freedom of `f`, n - 1.
    public var numeratorDegreesOfFreedom: Double
    /// Denominator degrees of freedom of `f`, (n - 1)(k - 1).
    public var denominatorDegreesOfFreedom: Double
    /// One-sided p-value P(F > f) of ICC = 0 (0 when `f` is nil).
    public var pValue: Double
    /// Landis-Koch words for `icc` (often quoted for ICCs too; Koo & Li 2016 give stricter limits).
    public var strength: LandisKochStrength
}

/// The intraclass correlation ICC(2,1): two-way random effects, absolute agreement, single rater.
///
/// Method: Shrout & Fleiss (Psychol. Bull. 86:420, 1979), ICC(2,1) = (MS_R - MS_E) /
/// (MS_R + (k - 1) MS_E + k (MS_C - MS_E) / n), from the two-way ANOVA without replication; McGraw & Wong
/// (Psychol. Methods 1:30, 1996) call it ICC(A,1). The confidence interval is their case 2A (table 7): with
/// a = k ICC / (n (1 - ICC)), b = 1 + k ICC (n - 1) / (n (1 - ICC)) and Satterthwaite degrees of freedom
/// v = (a MS_C + b MS_E)^2 / ((a MS_C)^2 / (k - 1) + (b MS_E)^2 / ((n - 1)(k - 1))), lower =
/// n (MS_R - F* MS_E) / (F* (k MS_C + (k n - k - n) MS_E) + n MS_R) with F* = F_{1-alpha/2}(n - 1, v), and upper =
/// n (F* MS_R - MS_E) / (k MS_C + (k n - k - n) MS_E + n F* MS_R) with F* = F_{1-alpha/2}(v, n - 1).
/// - Parameters:
///   - ratings: `ratings[i][j]` is rater j's value for subject i (n >= 2 subjects, k >= 2 raters, every row the same
///     length, no missing values; any unit).
///   - confidence: coverage of the interval, in (0, 1), default 0.95.
/// - Throws: `StatisticsError` for fewer than 2 subjects or raters, ragged rows, non-finite values, or when all
///   values within every subject agree and every subject has the same mean (no variance at all).
public func intraclassCorrelation(_ ratings: [[Double]], confidence: Double = defaultConfidenceLevel) throws
    -> IntraclassCorrelationResult
{
    try requireConfidenceLevel(confidence, "ICC(2,1)")
    let n = ratings.count
    guard n >= 2 else { throw StatisticsError("ICC(2,1): needs at least 2 subjects, got \(n)") }
    let k = ratings[0].count
    guard k >= 2 else { throw StatisticsError("ICC(2,1): needs at least 2 raters, got \(k)") }
    for (i, row) in ratings.enumerated() {
        guard row.count == k else {
            throw StatisticsError(
                "ICC(2,1): subject \(i) has \(row.count) ratings, subject 0 has \(k); "
                    + "every subject needs one rating per rater")
        }
        try requireFinite(row, "ICC(2,1) subject \(i)")
    }
    let nd = Double(n), kd = Double(k)
    let grandMean = compensatedSum(ratings.flatMap { $0 }) / (nd * kd)
    let subjectMeans = ratings.map { compensatedSum($0) / kd }
    let raterMeans = (0..<k).map { j in compensatedSum(ratings.map { $0[j] }) / nd }
    let ssSubjects = kd * compensatedSum(subjectMeans.map { ($0 - grandMean) * ($0 - grandMean) })
    let ssRaters = nd * compensatedSum(raterMeans.map { ($0 - grandMean) * ($0 - grandMean) })
    var residuals: [Double] = []
    residuals.reserveCapacity(n * k)
    for i in 0..<n {
        for j in 0..<k {
            let e = ratings[i][j] - subjectMeans[i] - raterMeans[j] + grandMean
            residuals.append(e * e)
        }
    }
    let ssError = compensatedSum(residuals)
    let dfSubjects = nd - 1, dfRaters = kd - 1, dfError = (nd - 1) * (kd - 1)
    let msR = ssSubjects / dfSubjects, msC = ssRaters / dfRaters, msE = ssError / dfError

    let denominator = msR + (kd - 1) * msE + kd * (msC - msE) / nd
    guard denominator > 0 else {
        throw StatisticsError(
            "ICC(2,1): undefined because the ratings have no variance "
                + "(every value equals \(ratings[0][0]))")
    }
    let icc = (msR - msE) / denominator

    let alpha = 1 - confidence
    let interval: ConfidenceInterval
    if icc >= 1 {
        // Identical ratings within every subject: the estimate is 1 and the F-based limits collapse onto it.
        interval = ConfidenceInterval(lower: icc, upper: icc, level: confidence)
    } else {
        let a = kd * icc / (nd * (1 - icc))
        let b = 1 + kd * icc * (nd - 1) / (nd * (1 - icc))
        let numerator = (a * msC + b * msE) * (a * msC + b * msE)
        let v = numerator / ((a * msC) * (a * msC) / dfRaters + (b * msE) * (b * msE) / dfError)
        guard v.isFinite, v > 0 else {
            throw StatisticsError(
                "ICC(2,1): the Satterthwaite degrees of freedom of the interval are undefined "
                    + "(ICC = \(icc))")
        }
        let fLower = try FDistribution(numeratorDegreesOfFreedom: dfSubjects, denominatorDegreesOfFreedom: v)
            .quantile(1 - alpha / 2)
        let fUpper = try FDistribution(numeratorDegreesOfFreedom: v, denominatorDegreesOfFreedom: dfSubjects)
            .quantile(1 - alpha / 2)
        let crossTerm = kd * msC + (kd * nd - kd - nd) * msE
        let lower = nd * (msR - fLower * msE) / (fLower * crossTerm + nd * msR)
        let upper = nd * (fUpper * msR - msE) / (crossTerm + nd * fUpper * msR)
        interval = ConfidenceInterval(lower: lower, upper: upper, level: confidence)
    }

    let f: Double? = msE > 0 ? msR / msE : nil
    let p =
        try f.map {
            try FDistribution(numeratorDegreesOfFreedom: dfSubjects, denominatorDegreesOfFreedom: dfError).sf($0)
        } ?? 0
    return IntraclassCorrelationResult(
        subjects: n, raters: k, meanSquareSubjects: msR, meanSquareRaters: msC,
        meanSquareError: msE, icc: icc, confidenceInterval: interval,
        f: f, numeratorDegreesOfFreedom: dfSubjects,
        denominatorDegreesOfFreedom: dfError, pValue: p,
        strength: LandisKochStrength(kappa: icc))
}
