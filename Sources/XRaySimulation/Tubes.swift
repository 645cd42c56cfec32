import CRTCore
import Foundation

/// A straight cylinder with flat ends (patient LPS mm) and an attenuation added on top of the chest volume
/// (1/mm): contrast in a vein (contrast minus blood), a catheter, the lead body, an electrode. Thin structures
/// are drawn analytically (exact chord lengths) instead of voxelised, so that a 1 mm wire stays sharp at the
/// detector's 0.44 mm pixels at the isocentre.
public struct TubeSegment: Sendable, Equatable {
    public var startMm: Vec3
    public var endMm: Vec3
    public var radiusMm: Double
    /// Attenuation added inside the tube (1/mm at the effective energy).
    public var mu: Float
    /// The material of the added attenuation, for the polyenergetic image formation (`XRaySpectrum`).
    public var basis: XRayBasis

    public init(startMm: Vec3, endMm: Vec3, radiusMm: Double, mu: Float, basis: XRayBasis = .water) {
        self.startMm = startMm; self.endMm = endMm; self.radiusMm = radiusMm; self.mu = mu; self.basis = basis
    }

    /// Length (mm) of the part of the ray o + t d (d a unit vector, t >= 0) inside the cylinder.
    ///
    /// Method: the ray's distance to the axis is quadratic in t (an interval where it is below the radius), its
    /// axial coordinate linear in t (an interval between the end planes); the chord is their overlap.
    @inline(__always) public func chordLength(origin o: Vec3, direction d: Vec3) -> Double {
        let axis = endMm - startMm
        let length = axis.length
        guard length > 0 else { return 0 }
        let a = axis / length
        let w = o - startMm
        let da = d.dot(a), wa = w.dot(a)
        // Axial interval.
        var t0 = 0.0, t1 = Double.greatestFiniteMagnitude
        if abs(da) < 1e-12 {
            if wa < 0 || wa > length { return 0 }
        } else {
            let ta = -wa / da, tb = (length - wa) / da
            t0 = max(t0, min(ta, tb)); t1 = min(t1, max(ta, tb))
        }
        // Radial interval.
        let dp = d - a * da, wp = w - a * wa
        let qa = dp.dot(dp), qb = 2 * wp.dot(dp), qc = wp.dot(wp) - radiusMm * radiusMm
        if qa < 1e-18 {
            if qc > 0 { return 0 }
        } else {
            let disc = qb * qb - 4 * qa * qc
            if disc <= 0 { return 0 }
            let sq = disc.squareRoot()
            let r0 = (-qb - sq) / (2 * qa), r1 = (-qb + sq) / (2 * qa)
            t0 = max(t0, r0); t1 = min(t1, r1)
        }
        return max(0, t1 - t0)
    }

    /// Fraction of the box [lo, hi] (patient mm) inside the cylinder, by n^3 point samples.
    func coverage(centre c: Vec3, halfSizeMm h: Double, samples n: Int) -> Double {
        let axis = endMm - startMm
        let len2 = axis.dot(axis)
        var inside = 0
        for k in 0..<n { for j in 0..<n { for i in 0..<n {
            let q = c + Vec3((Double(i) + 0.5) / Double(n) - 0.5, (Double(j) + 0.5) / Double(n) - 0.5,
                             (Double(k) + 0.5) / Double(n) - 0.5) * (2 * h)
            let w = q - startMm
            let s = w.dot(axis)
            if s < 0 || s > len2 { continue }
            let perp = w - axis * (s / len2)
            if perp.dot(perp) <= radiusMm * radiusMm { inside += 1 }
        } } }
        return Double(inside) / Double(n * n * n)
    }
}

/// A polyline with arc-length parametrisation (patient mm).
public struct Polyline: Sendable, Equatable {
    public var points: [Vec3]
    /// Cumulative arc length at each point (mm), starting at 0.
    public private(set) var arcMm: [Double]

    public init(_ points: [Vec3]) {
        self.points = points
        var acc = [0.0]
        for k in 1..<max(points.count, 1) { acc.append(acc[k - 1] + (points[k] - points[k - 1]).length) }
        arcMm = Array(acc.prefix(points.count))
    }

    public var lengthMm: Double { arcMm.last ?? 0 }

    /// Point at arc length s (clamped to the ends).
    public func point(atArc s: Double) -> Vec3 {
        guard points.count > 1 else { return points.first ?? .zero }
        if s <= 0 { return points[0] }
        if s >= lengthMm { return points[points.count - 1] }
        var lo = 0, hi = arcMm.count - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if arcMm[mid] <= s { lo = mid } else { hi = mid } }
        let f = (s - arcMm[lo]) / max(arcMm[hi] - arcMm[lo], 1e-12)
        return points[lo] + (points[hi] - points[lo]) * f
    }

    /// Unit tangent at arc length s.
    public func tangent(atArc s: Double) -> Vec3 {
        (point(atArc: min(s + 0.5, lengthMm)) - point(atArc: max(s - 0.5, 0))).normalized
    }

    /// Tube segments along the polyline between arc lengths `from` and `to`, about `stepMm` long each.
    public func tubes(from: Double = 0, to: Double? = nil, stepMm: Double = 2, radiusMm: Double, mu: Float,
                      basis: XRayBasis) -> [TubeSegment] {
        let end = min(to ?? lengthMm, lengthMm)
        guard end > from else { return [] }
        let n = max(1, Int(ceil((end - from) / stepMm)))
        return (0..<n).map { k in
            let a = from + (end - from) * Double(k) / Double(n), b = from + (end - from) * Double(k + 1) / Double(n)
            return TubeSegment(startMm: point(atArc: a), endMm: point(atArc: b), radiusMm: radiusMm, mu: mu, basis: basis)
        }
    }

    /// Resampled at a uniform arc-length step (mm).
    public func resampled(stepMm: Double) -> Polyline {
        let n = max(1, Int(ceil(lengthMm / stepMm)))
        return Polyline((0...n).map { point(atArc: lengthMm * Double($0) / Double(n)) })
    }

    /// A smooth curve through control points (centripetal-free uniform Catmull-Rom), `samples` per span.
    public static func catmullRom(_ c: [Vec3], samples: Int = 12) -> Polyline {
        guard c.count > 2 else { return Polyline(c) }
        var pts: [Vec3] = []
        for i in 0..<(c.count - 1) {
            let p0 = c[max(i - 1, 0)], p1 = c[i], p2 = c[i + 1], p3 = c[min(i + 2, c.count - 1)]
            for k in 0..<samples {
                let t = Double(k) / Double(samples), t2 = t * t, t3 = t2 * t
                let a = p1 * 2, b = (p2 - p0) * t, cc = (p0 * 2 - p1 * 5 + p2 * 4 - p3) * t2
                let d = (p1 * 3 - p0 - p2 * 3 + p3) * t3
                pts.append((a + b + cc + d) * 0.5)
            }
        }
        pts.append(c[c.count - 1])
        return Polyline(pts)
    }
}
