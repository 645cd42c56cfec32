import Foundation

/// The standard normal distribution N(0, 1).
public enum StandardNormal {
    /// P(Z <= z), computed as erfc(-z / sqrt 2) / 2 so that both tails keep full relative precision.
    /// - Parameter z: standard deviate (unitless).
    public static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// P(Z > z), the upper tail (survival function).
    /// - Parameter z: standard deviate (unitless).
    public static func sf(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// The z with P(Z <= z) = p.
    ///
    /// Method: Wichura's algorithm AS 241 (PPND16; Applied Statistics 37:477-484, 1988), relative accuracy about
    /// 1e-16.
    /// - Parameter p: probability in [0, 1]; 0 and 1 give -infinity and +infinity, anything else outside gives nan.
    public static func quantile(_ p: Double) -> Double {
        guard p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            return q * horner(as241A, r) / horner(as241B, r)
        }
        var r = q < 0 ? p : 1 - p
        r = (-log(r)).squareRoot()
        let value: Double
        if r <= 5 {
            r -= 1.6
            value = horner(as241C, r) / horner(as241D, r)
        } else {
            r -= 5
            value = horner(as241E, r) / horner(as241F, r)
        }
        return q < 0 ? -value : value
    }
}

/// Evaluates c[0] + c[1] x + ... + c[n] x^n.
private func horner(_ c: [Double], _ x: Double) -> Double {
    var v = 0.0
    for coefficient in c.reversed() { v = v * x + coefficient }
    return v
}

// AS 241 coefficients (Wichura 1988), constant term first.
private let as241A: [Double] = [
    3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3, 1.3731693765509461125e+4,
    4.5921953931549871457e+4, 6.7265770927008700853e+4, 3.3430575583588128105e+4, 2.5090809287301226727e+3,
]
private let as241B: [Double] = [
    1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
    2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4, 5.2264952788528545610e+3,
]
private let as241C: [Double] = [
    1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0, 3.64784832476320460504e0,
    1.27045825245236838258e0, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4,
]
private let as241D: [Double] = [
    1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
    1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9,
]
private let as241E: [Double] = [
    6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0, 2.96560571828504891230e-1,
    2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
]
private let as241F: [Double] = [
    1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
    7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15,
]

/// Student's t distribution with `degreesOfFreedom` degrees of freedom.
///
/// Method: through the regularized incomplete beta, P(|T| > t) = I_{v/(v + t^2)}(v/2, 1/2) (Abramowitz & Stegun
/// 26.7.1 and 26.5.27); quantiles by inverting it.
public struct StudentTDistribution: Sendable, Equatable, Hashable {
    /// Degrees of freedom v, > 0 (need not be an integer: Welch's test uses fractional v).
    public let degreesOfFreedom: Double

    /// - Parameter degreesOfFreedom: v, finite and > 0.
    /// - Throws: `StatisticsError` otherwise.
    public init(degreesOfFreedom: Double) throws {
        guard degreesOfFreedom > 0, degreesOfFreedom.isFinite else {
            throw StatisticsError("t distribution: degrees of freedom must be finite and > 0, got \(degreesOfFreedom)")
        }
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// P(|T| > |t|), the two-sided tail probability of the statistic t.
    public func twoSidedTail(_ t: Double) throws -> Double {
        let v = degreesOfFreedom
        if !t.isFinite { return t.isNaN ? .nan : 0 }
        return try regularizedIncompleteBeta(v / (v + t * t), a: v / 2, b: 0.5)
    }

    /// P(T <= t).
    public func cdf(_ t: Double) throws -> Double {
        let half = try twoSidedTail(t) / 2
        return t < 0 ? half : 1 - half
    }

    /// P(T > t).
    public func sf(_ t: Double) throws -> Double { try cdf(-t) }

    /// The t with P(T <= t) = p.
    /// - Parameter p: probability in (0, 1).
    /// - Throws: `StatisticsError` for p outside (0, 1).
    public func quantile(_ p: Double) throws -> Double {
        guard p > 0, p < 1 else { throw StatisticsError("t quantile: probability must be in (0, 1), got \(p)") }
        if p == 0.5 { return 0 }
        let v = degreesOfFreedom
        let twoSided = 2 * min(p, 1 - p)
        let x = try inverseRegularizedIncompleteBeta(twoSided, a: v / 2, b: 0.5)
        let magnitude = (v * (1 - x) / x).squareRoot()
        return p < 0.5 ? -magnitude : magnitude
    }
}

/// The F (Fisher-Snedecor) distribution with numerator and denominator degrees of freedom.
///
/// Method: P(F <= f) = I_{d1 f/(d1 f + d2)}(d1/2, d2/2) (Abramowitz & Stegun 26.6.2); the upper tail is evaluated
/// from the complementary form so that small p-values keep their relative precision.
public struct FDistribution: Sendable, Equatable, Hashable {
    /// Numerator degrees of freedom d1, > 0.
    public let numeratorDegreesOfFreedom: Double
    /// Denominator degrees of freedom d2, > 0 (fractional for the ICC confidence interval).
    public let denominatorDegreesOfFreedom: Double

    /// - Parameters:
    ///   - numeratorDegreesOfFreedom: d1, finite and > 0.
    ///   - denominatorDegreesOfFreedom: d2, finite and > 0.
    /// - Throws: `StatisticsError` otherwise.
    public init(numeratorDegreesOfFreedom: Double, denominatorDegreesOfFreedom: Double) throws {
        for d in [numeratorDegreesOfFreedom, denominatorDegreesOfFreedom] where !(d > 0 && d.isFinite) {
            throw StatisticsError(
                "F distribution: degrees of freedom must be finite and > 0, got "
                    + "\(numeratorDegreesOfFreedom) and \(denominatorDegreesOfFreedom)")
        }
        self.numeratorDegreesOfFreedom = numeratorDegreesOfFreedom
        self.denominatorDegreesOfFreedom = denominatorDegreesOfFreedom
    }

    /// P(F <= f); 0 for f <= 0.
    public func cdf(_ f: Double) throws -> Double {
        if f <= 0 { return 0 }
        if f == .infinity { return 1 }
        let d1 = numeratorDegreesOfFreedom, d2 = denominatorDegreesOfFreedom
        return try regularizedIncompleteBeta(d1 * f / (d1 * f + d2), a: d1 / 2, b: d2 / 2)
    }

    /// P(F > f), the p-value of an F statistic; 1 for f <= 0.
    public func sf(_ f: Double) throws -> Double {
        if f <= 0 { return 1 }
        if f == .infinity { return 0 }
        let d1 = numeratorDegreesOfFreedom, d2 = denominatorDegreesOfFreedom
        return try regularizedIncompleteBeta(d2 / (d2 + d1 * f), a: d2 / 2, b: d1 / 2)
    }

    /// The f with P(F <= f) = p.
    /// - Parameter p: probability in (0, 1).
    /// - Throws: `StatisticsError` for p outside (0, 1).
    public func quantile(_ p: Double) throws -> Double {
        guard p > 0, p < 1 else { throw StatisticsError("F quantile: probability must be in (0, 1), got \(p)") }
        let d1 = numeratorDegreesOfFreedom, d2 = denominatorDegreesOfFreedom
        if p <= 0.5 {
            let x = try inverseRegularizedIncompleteBeta(p, a: d1 / 2, b: d2 / 2)
            return d2 * x / (d1 * (1 - x))
        } else {
            // Upper tail 1 - p through the complementary variable y = d2 / (d2 + d1 f).
            let y = try inverseRegularizedIncompleteBeta(1 - p, a: d2 / 2, b: d1 / 2)
            return d2 * (1 - y) / (d1 * y)
        }
    }
}
