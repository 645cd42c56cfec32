import Foundation

/// "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten, bounds rounded out to whole steps.
///
/// Method: Heckbert, "Nice numbers for graph labels", Graphics Gems (1990): the range is rounded up to a nice
/// number, divided by `targetCount - 1` and rounded to the nearest nice step.
public struct AxisTicks: Hashable, Sendable {
    /// Axis lower and upper bounds (multiples of `step`, enclosing the data).
    public var lower: Double
    public var upper: Double
    public var step: Double
    /// Tick positions from `lower` to `upper` inclusive.
    public var values: [Double]

    /// Ticks for data spanning `dataMin...dataMax` (finite; equal bounds are widened to a unit-ish range).
    /// - Parameter targetCount: wanted number of ticks (the result has roughly this many).
    public init(dataMin: Double, dataMax: Double, targetCount: Int = 6) {
        var lo = min(dataMin, dataMax), hi = max(dataMin, dataMax)
        if !(hi > lo) {
            // Degenerate range: widen by 5 % of the value, or by 0.5 around zero.
            let half = lo == 0 ? 0.5 : abs(lo) * 0.05
            lo -= half; hi += half
        }
        let range = AxisTicks.niceNumber(hi - lo, round: false)
        let step = AxisTicks.niceNumber(range / Double(max(targetCount - 1, 1)), round: true)
        // Tolerance so that data sitting on a tick (up to rounding) does not add a whole extra step.
        let slack = 1e-9
        let lower = (lo / step + slack).rounded(.down) * step
        let upper = (hi / step - slack).rounded(.up) * step
        let count = Int(((upper - lower) / step).rounded()) + 1
        self.lower = lower
        self.upper = upper
        self.step = step
        // Snap values within rounding of zero to exactly zero (no "-0" labels).
        self.values = (0..<count).map { k in
            let v = lower + Double(k) * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
    }

    /// A nice number near `x` > 0: the smallest of 1, 2, 5, 10 (times a power of ten) >= x, or with `round` the
    /// nearest of them.
    static func niceNumber(_ x: Double, round: Bool) -> Double {
        let exponent = floor(log10(x))
        let power = pow(10, exponent)
        let f = x / power
        let nice: Double
        if round {
            nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10
        } else {
            nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
        }
        return nice * power
    }

    /// A tick label: as many decimals as the step needs, scientific for very large or small magnitudes.
    public func label(_ value: Double) -> String {
        let magnitude = max(abs(lower), abs(upper))
        if magnitude >= 1e6 || step < 1e-4 { return String(format: "%g", value) }
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        return String(format: "%.\(decimals)f", value)
    }
}
