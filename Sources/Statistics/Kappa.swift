import Foundation

/// A square table of paired ratings: `counts[i][j]` subjects were put in category i by the first rater and in
/// category j by the second. Categories are in their order (for ordered categories such as the lead categories
/// within < adjacent < remote, index 0 is the lowest).
public struct ConfusionMatrix: Sendable, Equatable, Hashable, Codable {
    /// Counts, k rows (first rater) by k columns (second rater), each >= 0.
    public let counts: [[Int]]

    /// Number of categories k.
    public var categoryCount: Int { counts.count }
    /// Number of rated subjects, the sum of all counts.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    /// Subjects per category of the first rater (row sums).
    public var firstRaterTotals: [Int] { counts.map { $0.reduce(0, +) } }
    /// Subjects per category of the second rater (column sums).
    public var secondRaterTotals: [Int] { (0..<categoryCount).map { j in counts.reduce(0) { $0 + $1[j] } } }

    /// A table from counts.
    /// - Parameter counts: k x k non-negative counts, k >= 2.
    /// - Throws: `StatisticsError` if the table is not square, has fewer than two categories or a negative count.
    public init(counts: [[Int]]) throws {
        let k = counts.count
        guard k >= 2 else { throw StatisticsError("confusion matrix: needs at least 2 categories, got \(k)") }
        for (i, row) in counts.enumerated() {
            guard row.count == k else {
                throw StatisticsError(
                    "confusion matrix: must be square (\(k) x \(k)); row \(i) has \(row.count) entries")
            }
            if let j = row.firstIndex(where: { $0 < 0 }) {
                throw StatisticsError("confusion matrix: count [\(i)][\(j)] is negative (\(row[j]))")
            }
        }
        self.counts = counts
    }

    /// A table from paired ratings of the same subjects.
    /// - Parameters:
    ///   - first: the first rater's category for each subject.
    ///   - second: the second rater's category for the same subjects, same count and order.
    ///   - categories: all categories, in order, without repeats (categories nobody used still count for k).
    /// - Throws: `StatisticsError` if the lists differ in length, a rating is not among `categories`, or
    ///   `categories` has repeats or fewer than two entries.
    public init<Category: Hashable>(first: [Category], second: [Category], categories: [Category]) throws {
        guard first.count == second.count else {
            throw StatisticsError(
                "confusion matrix: the raters rated different numbers of subjects "
                    + "(\(first.count) and \(second.count))")
        }
        var index: [Category: Int] = [:]
        for (i, c) in categories.enumerated() {
            guard index.updateValue(i, forKey: c) == nil else {
                throw StatisticsError("confusion matrix: category \(c) is listed twice")
            }
        }
        var counts = Array(repeating: Array(repeating: 0, count: categories.count), count: categories.count)
        for (s, (a, b)) in zip(first, second).enumerated() {
            guard let i = index[a], let j = index[b] else {
                throw StatisticsError(
                    "confusion matrix: subject \(s) has a rating (\(index[a] == nil ? a : b)) "
                        + "that is not among the categories")
            }
            counts[i][j] += 1
        }
        try self.init(counts: counts)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(counts: container.decode([[Int]].self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(counts)
    }
}

/// How disagreement between ordered categories is credited in kappa.
public enum KappaWeighting: String, Sendable, Hashable, Codable, CaseIterable {
    /// Only exact agreement counts (Cohen 1960); for nominal categories.
    case unweighted
    /// Agreement weight 1 - |i - j| / (k - 1) (Cicchetti & Allison 1971); for ordered categories.
    case linear
    /// Agreement weight 1 - (i - j)^2 / (k - 1)^2 (Fleiss & Cohen 1973); for ordered categories.
    case quadratic

    /// The k x k agreement weights (1 on the diagonal, 0 for the farthest pair when weighted).
    func weights(_ k: Int) -> [[Double]] {
        (0..<k).map { i in
            (0..<k).map { j in
                let d = Double(abs(i - j)) / Double(k - 1)
                switch self {
                case .unweighted: return i == j ? 1 : 0
                case .linear: return 1 - d
                case .quadratic: return 1 - d * d
                }
            }
        }
    }
}

/// The strength-of-agreement words of Landis & Koch (Biometrics 33:159, 1977, table on p. 165).
public enum LandisKochStrength: String, Sendable, Hashable, Codable, CaseIterable {
    /// kappa < 0.
    case poor
    /// 0 <= kappa <= 0.20.
    case slight
    /// 0.20 < kappa <= 0.40.
    case fair
    /// 0.40 < kappa <= 0.60.
    case moderate
    /// 0.60 < kappa <= 0.80.
    case substantial
    /// kappa > 0.80.
    case almostPerfect = "almost_perfect"

    /// The upper limits of slight, fair, moderate and substantial (each limit belongs to the lower word).
    static let upperLimits: [(LandisKochStrength, Double)] = [
        (.slight, 0.20), (.fair, 0.40), (.moderate, 0.60), (.substantial, 0.80),
    ]

    /// The word for a kappa value (limits inclusive above: 0.20 is slight, 0.21 fair, as DOMAIN.md section 4).
    /// - Parameter kappa: kappa (or an ICC), unitless, at most 1.
    public init(kappa: Double) {
        if kappa < 0 {
            self = .poor
            return
        }
        for (strength, limit) in Self.upperLimits where kappa <= limit {
            self = strength
            return
        }
        self = .almostPerfect
    }

    /// The words as printed in reports ("almost perfect").
    public var label: String {
        switch self {
        case .almostPerfect: return "almost perfect"
        default: return rawValue
        }
    }
}

/// Cohen's kappa with its standard errors, confidence interval and test of kappa = 0.
public struct KappaResult: Sendable, Equatable, Hashable, Codable {
    /// How disagreements were weighted.
    public var weighting: KappaWeighting
    /// Number of rated subjects n.
    public var subjects: Int
    /// Number of categories k.
    public var categories: Int
    /// Observed (weighted) agreement p_o, a fraction in [0, 1].
    public var observedAgreement: Double
    /// (Weighted) agreement expected by chance from the marginals, p_e, a fraction in [0, 1).
    public var expectedAgreement: Double
    /// kappa = (p_o - p_e) / (1 - p_e), unitless, at most 1.
    public var kappa: Double
    /// Large-sample standard error of kappa (Fleiss, Cohen & Everitt 1969, not assuming kappa = 0).
    public var standardError: Double
    /// Wald interval kappa +/- z standardError, clipped to [-1, 1].
    public var confidenceInterval: ConfidenceInterval
    /// Standard error under the null hypothesis kappa = 0 (Fleiss, Cohen & Everitt 1969).
    public var standardErrorUnderNull: Double
    /// kappa / standardErrorUnderNull; nil when that standard error is 0.
    public var z: Double?
    /// Two-sided p-value of kappa = 0 from `z` (normal approximation); nil when `z` is nil.
    public var pValue: Double?
    /// Landis-Koch words for `kappa`.
    public var strength: LandisKochStrength
}

/// Cohen's kappa (unweighted, linearly or quadratically weighted) from a confusion matrix.
///
/// Method: kappa = (p_o - p_e) / (1 - p_e) with agreement weights w_ij (Cohen, Educ. Psychol. Meas. 20:37, 1960;
/// weighted: Cohen, Psychol. Bull. 70:213, 1968). Standard errors are the large-sample variances of Fleiss, Cohen &
/// Everitt (Psychol. Bull. 72:323, 1969), as given in Fleiss, Levin & Paik, Statistical Methods for Rates and
/// Proportions, 3rd ed., 2003, chapter 18:
/// var(kappa) = [sum_ij p_ij (w_ij - (wbar_i. + wbar_.j)(1 - kappa))^2 - (kappa - p_e (1 - kappa))^2] / (n (1 - p_e)^2)
/// and, under kappa = 0, var_0 = [sum_ij p_i. p_.j (w_ij - (wbar_i. + wbar_.j))^2 - p_e^2] / (n (1 - p_e)^2),
/// with wbar_i. = sum_j p_.j w_ij and wbar_.j = sum_i p_i. w_ij. The interval is the Wald interval.
/// - Parameters:
///   - table: the paired ratings (k >= 2 categories, in order when weighted).
///   - weighting: `.unweighted` (default) for nominal categories, `.linear` or `.quadratic` for ordered ones.
///   - confidence: coverage of the interval, in (0, 1), default 0.95.
/// - Throws: `StatisticsError` for an empty table, or when chance agreement is 1 (both raters used a single,
///   common category, or the weights make every pair agree), where kappa is 0/0.
public func cohensKappa(
    _ table: ConfusionMatrix, weighting: KappaWeighting = .unweighted,
    confidence: Double = defaultConfidenceLevel
) throws -> KappaResult {
    try requireConfidenceLevel(confidence, "Cohen's kappa")
    let n = table.total
    guard n > 0 else { throw StatisticsError("Cohen's kappa: the table is empty (no rated subjects)") }
    let k = table.categoryCount, nd = Double(n)
    let w = weighting.weights(k)
    let p = table.counts.map { $0.map { Double($0) / nd } }
    let rows = table.firstRaterTotals.map { Double($0) / nd }
    let cols = table.secondRaterTotals.map { Double($0) / nd }

    var observed = 0.0, expected = 0.0
    for i in 0..<k {
        for j in 0..<k {
            observed += w[i][j] * p[i][j]
            expected += w[i][j] * rows[i] * cols[j]
        }
    }
    let chanceComplement = 1 - expected
    guard chanceComplement > 1e-12 else {
        throw StatisticsError(
            "Cohen's kappa: undefined because agreement expected by chance is 1 "
                + "(both raters used one and the same category for all \(n) subjects)")
    }
    let kappa = (observed - expected) / chanceComplement

    let rowMeanWeight = (0..<k).map { i in (0..<k).reduce(0.0) { $0 + cols[$1] * w[i][$1] } }
    let colMeanWeight = (0..<k).map { j in (0..<k).reduce(0.0) { $0 + rows[$1] * w[$1][j] } }
    var sumAlternative = 0.0, sumNull = 0.0
    for i in 0..<k {
        for j in 0..<k {
            let a = w[i][j] - (rowMeanWeight[i] + colMeanWeight[j]) * (1 - kappa)
            sumAlternative += p[i][j] * a * a
            let b = w[i][j] - (rowMeanWeight[i] + colMeanWeight[j])
            sumNull += rows[i] * cols[j] * b * b
        }
    }
    let scale = nd * chanceComplement * chanceComplement
    let shift = kappa - expected * (1 - kappa)
    let variance = max(0, (sumAlternative - shift * shift) / scale)
    let varianceNull = max(0, (sumNull - expected * expected) / scale)
    let se = variance.squareRoot(), se0 = varianceNull.squareRoot()
    let zCritical = normalCriticalValue(confidence)
    let interval = ConfidenceInterval(
        lower: max(-1, kappa - zCritical * se), upper: min(1, kappa + zCritical * se),
        level: confidence)
    let z: Double? = se0 > 0 ? kappa / se0 : nil
    return KappaResult(
        weighting: weighting, subjects: n, categories: k, observedAgreement: observed,
        expectedAgreement: expected, kappa: kappa, standardError: se, confidenceInterval: interval,
        standardErrorUnderNull: se0, z: z, pValue: z.map { 2 * StandardNormal.sf(abs($0)) },
        strength: LandisKochStrength(kappa: kappa))
}

/// Cohen's kappa from paired ratings of the same subjects (see `cohensKappa(_:weighting:confidence:)`).
/// - Parameters:
///   - first: the first rater's category per subject.
///   - second: the second rater's category for the same subjects, in the same order.
///   - categories: all categories in order (lowest first when weighted), without repeats.
///   - weighting: `.unweighted` (default), `.linear` or `.quadratic`.
///   - confidence: coverage of the interval, in (0, 1), default 0.95.
/// - Throws: `StatisticsError` as `ConfusionMatrix(first:second:categories:)` and `cohensKappa(_:)`.
public func cohensKappa<Category: Hashable>(
    first: [Category], second: [Category], categories: [Category],
    weighting: KappaWeighting = .unweighted,
    confidence: Double = defaultConfidenceLevel
) throws -> KappaResult {
    try cohensKappa(
        ConfusionMatrix(first: first, second: second, categories: categories),
        weighting: weighting, confidence: confidence)
}

/// Kappa's companions when one category dominates (Byrt, Bishop & Carlin, J Clin Epidemiol 46:423, 1993): kappa
/// depends on the prevalence of the categories and on the raters' bias, and is low or undefined beside high
/// agreement when nearly every subject falls in one category.
public struct PrevalenceAdjustedKappa: Sendable, Equatable, Hashable, Codable {
    /// Observed agreement p_o (fraction of subjects on the diagonal).
    public var agreement: Double
    /// PABAK = (k p_o - 1) / (k - 1) for k categories (2 p_o - 1 for two): kappa with equal prevalences and no bias.
    public var pabak: Double
    /// Prevalence index |a - d| / n of a 2 x 2 table (a, d the agreeing cells); for k > 2 categories, the first
    /// rater's share of its most frequent category. Near 1: one category dominates.
    public var prevalenceIndex: Double
    /// Bias index |b - c| / n of a 2 x 2 table (b, c the disagreeing cells); nil for k > 2.
    public var biasIndex: Double?
}

/// PABAK, prevalence and bias indices of a confusion table (rows: first rater, columns: second).
/// - Throws: `StatisticsError` for an empty table or fewer than two categories.
public func prevalenceAdjustedKappa(_ table: ConfusionMatrix) throws -> PrevalenceAdjustedKappa {
    let n = table.total, k = table.categoryCount
    guard n > 0 else { throw StatisticsError("PABAK: the table is empty (no rated subjects)") }
    guard k >= 2 else { throw StatisticsError("PABAK: needs at least two categories, got \(k)") }
    let c = table.counts
    let agreement = Double((0..<k).reduce(0) { $0 + c[$1][$1] }) / Double(n)
    let pabak = (Double(k) * agreement - 1) / Double(k - 1)
    if k == 2 {
        return PrevalenceAdjustedKappa(agreement: agreement, pabak: pabak,
                                       prevalenceIndex: Double(abs(c[0][0] - c[1][1])) / Double(n),
                                       biasIndex: Double(abs(c[0][1] - c[1][0])) / Double(n))
    }
    return PrevalenceAdjustedKappa(agreement: agreement, pabak: pabak,
                                   prevalenceIndex: Double(table.firstRaterTotals.max() ?? 0) / Double(n), biasIndex: nil)
}
