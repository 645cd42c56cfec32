/// Input a statistic cannot be computed from (too few values, a constant sample, a non-finite number, an empty
/// table). `message` says which statistic refused and why, on one line; nothing in this module crashes on bad data.
public struct StatisticsError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A two-sided confidence interval for an estimate.
public struct ConfidenceInterval: Sendable, Equatable, Hashable, Codable {
    /// Lower limit, in the unit of the estimate.
    public var lower: Double
    /// Upper limit, in the unit of the estimate.
    public var upper: Double
    /// Nominal coverage, a fraction in (0, 1) (0.95 for a 95 % interval).
    public var level: Double

    public init(lower: Double, upper: Double, level: Double) {
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// Whether `value` lies in the closed interval.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// The confidence level used when none is given: 95 %.
public let defaultConfidenceLevel = 0.95

// MARK: - Input checks shared by the statistics

/// Throws unless every value is finite.
func requireFinite(_ values: [Double], _ what: String) throws {
    if let i = values.firstIndex(where: { !$0.isFinite }) {
        throw StatisticsError("\(what): value \(i) is \(values[i]); every value must be finite")
    }
}

/// Throws unless `values` has at least `minimum` finite entries.
func requireSample(_ values: [Double], minimum: Int, _ what: String) throws {
    if values.count < minimum {
        throw StatisticsError("\(what): needs at least \(minimum) value\(minimum == 1 ? "" : "s"), got \(values.count)")
    }
    try requireFinite(values, what)
}

/// Throws unless `level` is a confidence level strictly between 0 and 1.
func requireConfidenceLevel(_ level: Double, _ what: String) throws {
    guard level > 0, level < 1 else {
        throw StatisticsError("\(what): confidence level must be in (0, 1), got \(level)")
    }
}

/// The two-sided critical value of the standard normal for `level` (1.959964 for 0.95).
func normalCriticalValue(_ level: Double) -> Double {
    StandardNormal.quantile(0.5 + level / 2)
}
