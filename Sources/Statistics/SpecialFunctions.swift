import Foundation

/// The natural logarithm of the gamma function for x > 0.
///
/// Method: Lanczos approximation with g = 7 and nine coefficients (Lanczos 1964; coefficients as tabulated by
/// P. Godfrey), relative error about 1e-15; for x < 0.5 the reflection formula is used. Pure Swift, so it is
/// thread-safe (unlike C `lgamma`, which writes the global `signgam`).
/// - Parameter x: argument, > 0.
/// - Returns: ln Gamma(x); `nan` for x <= 0 (callers in this module never pass such x).
func logGamma(_ x: Double) -> Double {
    guard x > 0 else { return .nan }
    if x < 0.5 {
        // Gamma(x) Gamma(1 - x) = pi / sin(pi x); sin(pi x) > 0 for 0 < x < 0.5.
        return log(Double.pi / sin(Double.pi * x)) - logGamma(1 - x)
    }
    let z = x - 1
    var sum = lanczosCoefficients[0]
    for i in 1..<lanczosCoefficients.count {
        sum += lanczosCoefficients[i] / (z + Double(i))
    }
    let t = z + lanczosG + 0.5
    return 0.5 * log(2 * Double.pi) + (z + 0.5) * log(t) - t + log(sum)
}

private let lanczosG = 7.0
private let lanczosCoefficients: [Double] = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]

/// ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b).
func logBeta(_ a: Double, _ b: Double) -> Double {
    logGamma(a) + logGamma(b) - logGamma(a + b)
}

/// ln n! for n >= 0, exact summation of logarithms (used by the exact tests, where n is a table total).
struct LogFactorials {
    private var table: [Double]
    init(upTo n: Int) {
        table = [0]
        table.reserveCapacity(n + 1)
        var s = 0.0
        if n >= 1 {
            for i in 1...n {
                s += log(Double(i))
                table.append(s)
            }
        }
    }
    subscript(n: Int) -> Double { table[n] }
}

/// Largest number of continued-fraction terms before the incomplete beta gives up (enough for a, b up to ~1e8).
private let betaContinuedFractionMaxTerms = 20_000
/// Relative size of the last continued-fraction factor at which the expansion has converged.
private let betaContinuedFractionEpsilon = 1e-16
/// Floor that keeps the modified Lentz recursion away from division by zero.
private let lentzTiny = 1e-300

/// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b).
///
/// Method: the continued fraction of Numerical Recipes (Press et al., 3rd ed. 2007, section 6.4, `betacf`),
/// evaluated with the modified Lentz algorithm (Lentz 1976; Thompson & Barnett 1986), on x < (a + 1)/(a + b + 2)
/// and through I_x(a, b) = 1 - I_{1-x}(b, a) otherwise, where it converges fastest.
/// - Parameters:
///   - x: upper limit of integration, in [0, 1].
///   - a: first shape parameter, > 0.
///   - b: second shape parameter, > 0.
/// - Returns: I_x(a, b), in [0, 1].
/// - Throws: `StatisticsError` for x outside [0, 1], non-positive or non-finite a or b, or if the continued
///   fraction does not converge.
public func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) throws -> Double {
    guard a > 0, b > 0, a.isFinite, b.isFinite else {
        throw StatisticsError("incomplete beta: shape parameters must be finite and > 0, got a = \(a), b = \(b)")
    }
    guard x >= 0, x <= 1 else {
        throw StatisticsError("incomplete beta: x must be in [0, 1], got \(x)")
    }
    if x == 0 || x == 1 { return x }
    let logFront = a * log(x) + b * log1p(-x) - logBeta(a, b)
    if x < (a + 1) / (a + b + 2) {
        return exp(logFront) * (try betaContinuedFraction(x, a: a, b: b)) / a
    } else {
        return 1 - exp(logFront) * (try betaContinuedFraction(1 - x, a: b, b: a)) / b
    }
}

/// The continued fraction for I_x(a, b) (Numerical Recipes `betacf`), modified Lentz evaluation.
private func betaContinuedFraction(_ x: Double, a: Double, b: Double) throws -> Double {
    let qab = a + b, qap = a + 1, qam = a - 1
    var c = 1.0
    var d = 1 - qab * x / qap
    if abs(d) < lentzTiny { d = lentzTiny }
    d = 1 / d
    var h = d
    for m in 1...betaContinuedFractionMaxTerms {
        let m = Double(m), m2 = 2 * m
        // Even step.
        var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        if abs(d) < lentzTiny { d = lentzTiny }
        c = 1 + aa / c
        if abs(c) < lentzTiny { c = lentzTiny }
        d = 1 / d
        h *= d * c
        // Odd step.
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        if abs(d) < lentzTiny { d = lentzTiny }
        c = 1 + aa / c
        if abs(c) < lentzTiny { c = lentzTiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) <= betaContinuedFractionEpsilon { return h }
    }
    throw StatisticsError("incomplete beta: continued fraction did not converge for a = \(a), b = \(b), x = \(x)")
}

/// Iterations allowed to the safeguarded Newton inversion of the incomplete beta.
private let inverseBetaMaxIterations = 400
/// Relative step size at which the inversion has converged.
private let inverseBetaTolerance = 1e-15

/// The inverse of the regularized incomplete beta: the x in [0, 1] with I_x(a, b) = p.
///
/// Method: Newton's method on I_x(a, b) - p with the beta density as derivative, safeguarded by a bisection
/// bracket (any step leaving the bracket is replaced by its midpoint), so it always converges; I_x is
/// increasing in x. Used for the quantiles of the t and F distributions.
/// - Parameters:
///   - p: probability, in [0, 1].
///   - a: first shape parameter, > 0.
///   - b: second shape parameter, > 0.
/// - Returns: x with I_x(a, b) = p, to about 1e-14 relative.
/// - Throws: `StatisticsError` for p outside [0, 1] or invalid shape parameters.
public func inverseRegularizedIncompleteBeta(_ p: Double, a: Double, b: Double) throws -> Double {
    guard a > 0, b > 0, a.isFinite, b.isFinite else {
        throw StatisticsError(
            "inverse incomplete beta: shape parameters must be finite and > 0, got a = \(a), b = \(b)")
    }
    guard p >= 0, p <= 1 else {
        throw StatisticsError("inverse incomplete beta: probability must be in [0, 1], got \(p)")
    }
    if p == 0 || p == 1 { return p }
    let lnB = logBeta(a, b)
    var lo = 0.0, hi = 1.0
    var x = a / (a + b)
    for _ in 0..<inverseBetaMaxIterations {
        let f = try regularizedIncompleteBeta(x, a: a, b: b) - p
        if f == 0 { return x }
        if f < 0 { lo = x } else { hi = x }
        let logDensity = (a - 1) * log(x) + (b - 1) * log1p(-x) - lnB
        let density = exp(logDensity)
        var next = x - f / density
        if !(density > 0) || !next.isFinite || next <= lo || next >= hi {
            next = 0.5 * (lo + hi)
        }
        if abs(next - x) <= inverseBetaTolerance * max(x, Double.leastNormalMagnitude) { return next }
        if hi - lo <= inverseBetaTolerance * max(lo, Double.leastNormalMagnitude) { return next }
        x = next
    }
    return x
}
