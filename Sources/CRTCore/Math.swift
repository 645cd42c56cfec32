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
    // Sorted by (x, y) with ties in input order, as a stable sort by (x, y) orders them: the coordinates sorted
    // with their index as the last key (no look-ups into `points` inside the comparisons).
    var keyed = points.indices.map { (x: points[$0].x, y: points[$0].y, index: $0) }
    keyed.sort { ($0.x, $0.y, $0.index) < ($1.x, $1.y, $1.index) }
    let order = keyed.map(\.index)
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

/// The k-th smallest element (0-based) of `values`: the element `values.sorted()[k]` is, found by selection
/// (Hoare's quickselect with median-of-three pivots, expected linear time) instead of a full sort. The array is
/// reordered so that the elements before index k are at most the result and those after it at least the result.
/// The values must be totally ordered by `<` (no NaN).
@inlinable public func selectKthSmallest<T: Comparable>(_ values: inout [T], _ k: Int) -> T {
    precondition(k >= 0 && k < values.count, "selectKthSmallest: index \(k) outside 0..<\(values.count)")
    return values.withUnsafeMutableBufferPointer { b -> T in
        var lo = 0, hi = b.count - 1
        while hi > lo {
            // Median of three: afterwards b[lo] <= pivot <= b[hi], which stop the two scans below.
            let mid = lo + (hi - lo) / 2
            if b[mid] < b[lo] { b.swapAt(mid, lo) }
            if b[hi] < b[lo] { b.swapAt(hi, lo) }
            if b[hi] < b[mid] { b.swapAt(hi, mid) }
            let pivot = b[mid]
            var i = lo, j = hi
            while i <= j {
                while b[i] < pivot { i += 1 }
                while pivot < b[j] { j -= 1 }
                if i <= j { b.swapAt(i, j); i += 1; j -= 1 }
            }
            // Now b[lo...j] <= pivot <= b[i...hi], and everything between j and i equals the pivot.
            if k <= j { hi = j } else if k >= i { lo = i } else { return b[k] }
        }
        return b[k]
    }
}

/// The median of `values` as the sorted array gives it (the middle element, or the mean of the two middle ones),
/// by selection; NaN when empty. The values must not be NaN.
@inlinable public func medianBySelection(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    var a = values
    let k = a.count / 2
    let upper = selectKthSmallest(&a, k)
    if a.count % 2 == 1 { return upper }
    // The (k-1)-th smallest is the largest of the k elements selection left before index k.
    var lower = a[0]
    for i in 1..<k where lower < a[i] { lower = a[i] }
    return 0.5 * (lower + upper)
}
