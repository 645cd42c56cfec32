import Testing

extension Tag {
    /// Runs in well under a second.
    @Tag static var fast: Self
}

/// Named tolerances for comparing the statistics with their references.
enum Tolerance {
    /// Closed-form values (means, sums of squares, kappa, ICC, t, F, U) against SciPy / statsmodels / NumPy:
    /// the same arithmetic in another order, so agreement to rounding. Absolute.
    static let closedForm = 1e-9
    /// Values that go through an iterative special function (incomplete beta and its inverse, normal quantile):
    /// p-values, quantiles and the confidence limits built from them, against SciPy. Relative.
    static let special = 1e-8
    /// Values printed in a publication or a manual: half a unit in the last printed digit (given per test as
    /// `printed(digits:)`).
    static func printed(digits: Int) -> Double {
        var unit = 1.0
        for _ in 0..<digits { unit /= 10 }
        return unit / 2
    }
}

/// Whether `actual` is within `absolute` or within `relative` times |expected| of `expected`.
func isClose(_ actual: Double, _ expected: Double, absolute: Double = 0, relative: Double = 0) -> Bool {
    abs(actual - expected) <= max(absolute, relative * abs(expected))
}
