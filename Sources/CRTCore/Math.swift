import Foundation

/// Degrees to radians.
@inlinable public func radians(_ degrees: Double) -> Double { degrees * .pi / 180 }
/// Radians to degrees.
@inlinable public func degrees(_ radians: Double) -> Double { radians * 180 / .pi }

/// Wraps an angle in degrees into [0, 360).
@inlinable public func wrapDegrees(_ a: Double) -> Double {
    let r = a.truncatingRemainder(dividingBy: 360)
    return r < 0 ? r + 360 : r
}

/// Smallest signed difference a - b of two angles in degrees, in (-180, 180].
@inlinable public func angleDifferenceDegrees(_ a: Double, _ b: Double) -> Double {
    var d = wrapDegrees(a - b)
    if d > 180 { d -= 360 }
    return d
}

/// Linear interpolation.
@inlinable public func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double { a + (b - a) * t }

/// Clamps x into [lo, hi].
@inlinable public func clamp(_ x: Double, _ lo: Double, _ hi: Double) -> Double { min(max(x, lo), hi) }

/// Hermite smoothstep from 0 (x <= 0) to 1 (x >= 1).
@inlinable public func smoothstep(_ x: Double) -> Double {
    let t = clamp(x, 0, 1)
    return t * t * (3 - 2 * t)
}
