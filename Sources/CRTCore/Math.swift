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

/// Convex hull of points in a plane (Andrew's monotone chain): the indices of the hull's points in order, with
/// positive signed area (counter-clockwise with y up), without collinear points. Points are ordered by (x, y).
public func convexHullIndices(_ points: [SIMD2<Double>]) -> [Int] {
    let order = points.indices.sorted { (points[$0].x, points[$0].y) < (points[$1].x, points[$1].y) }
    guard order.count >= 3 else { return order }
    func cross(_ o: Int, _ a: Int, _ b: Int) -> Double {
        (points[a].x - points[o].x) * (points[b].y - points[o].y) - (points[a].y - points[o].y) * (points[b].x - points[o].x)
    }
    var lower: [Int] = [], upper: [Int] = []
    for q in order {
        while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], q) <= 0 { lower.removeLast() }
        lower.append(q)
    }
    for q in order.reversed() {
        while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], q) <= 0 { upper.removeLast() }
        upper.append(q)
    }
    return Array(lower.dropLast() + upper.dropLast())
}
