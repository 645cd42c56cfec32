import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom
import Testing

extension Tag {
    @Tag static var images: Self
}

/// Named tolerances of the image tests (issue: phantom and CMR simulation).
enum Tolerance {
    /// Cavity volume segmented from the cine vs truth (fraction).
    static let volume = 0.05
    /// Measured SNR vs requested (fraction).
    static let snr = 0.15
    /// LGE: scar mean at least this multiple of remote myocardium mean.
    static let lgeScarToRemote = 5.0
    /// Wall thickness from an image profile vs truth (mm): one pixel.
    static func wallThicknessMm(pixelMm: Double) -> Double { pixelMm }
    /// Fraction of mid-wall myocardial points whose voxel (through the NIfTI affine) is labelled myocardium.
    static let affineHitRate = 0.95
}

/// A simulated ischaemic case at the default acquisition (generated once, shared by the tests).
enum SharedCase {
    static let spec: PhantomSpec = try! PhantomSpec.load(yaml: """
        anatomy: {edvMl: 210}
        motion: {peakRadialStrain: 0.30, peakLongitudinalStrain: -0.10}
        scars: [{centreAngleDeg: 215, centreHeightFraction: 0.4, angularExtentDeg: 80, heightExtentFraction: 0.5, transmurality: 1.0}]
        """, file: "shared-case.yaml")
    static let heart = HeartModel(spec: spec)
    static let images = CMRSimulator(heart: heart, seed: 1).simulate()
    static let imagesSeed2 = CMRSimulator(heart: heart, seed: 2).simulate()
    static let truth = heart.groundTruth(phaseTimesMs: images.phaseTimesMs)
}

/// Where the LV long axis crosses slice k (continuous voxel index), at time t.
func axisVoxel(grid: ImageGrid, slice k: Int, heart: HeartModel) -> (Double, Double) {
    let f = heart.frame
    let centre = grid.patient(0, 0, Double(k))
    let normal = grid.patientFromVoxel.linear.columns.2.normalized
    let t = (centre - f.apexMm).dot(normal) / f.baseDirection.dot(normal)
    let v = grid.voxel(of: f.apexMm + f.baseDirection * t)
    return (v.x, v.y)
}

/// A 2D slice accessor.
struct Plane {
    let n: Int, m: Int
    let values: [Float]
    init(_ v: ImageVolume<Float>, slice k: Int, frame t: Int) {
        n = v.grid.size[0]; m = v.grid.size[1]; values = Array(v.slice(k, frame: t))
    }
    subscript(i: Int, j: Int) -> Float { values[j * n + i] }
    /// Bilinear interpolation at continuous voxel coordinates.
    func at(_ x: Double, _ y: Double) -> Double {
        let i = Int(floor(x)), j = Int(floor(y))
        guard i >= 0, j >= 0, i + 1 < n, j + 1 < m else { return 0 }
        let fx = x - Double(i), fy = y - Double(j)
        let a = Double(self[i, j]) * (1 - fx) + Double(self[i + 1, j]) * fx
        let b = Double(self[i, j + 1]) * (1 - fx) + Double(self[i + 1, j + 1]) * fx
        return a * (1 - fy) + b * fy
    }
}

/// Pixels 4-connected to `seed` with value above `threshold`.
func floodFill(_ p: Plane, seed: (Int, Int), threshold: Float) -> [(Int, Int)] {
    guard p[seed.0, seed.1] > threshold else { return [] }
    var seen = [Bool](repeating: false, count: p.n * p.m)
    var stack = [seed], out: [(Int, Int)] = []
    seen[seed.1 * p.n + seed.0] = true
    while let (i, j) = stack.popLast() {
        out.append((i, j))
        for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            let a = i + di, b = j + dj
            guard a >= 0, b >= 0, a < p.n, b < p.m, !seen[b * p.n + a], p[a, b] > threshold else { continue }
            seen[b * p.n + a] = true
            stack.append((a, b))
        }
    }
    return out
}

/// Number of pixels whose centres lie inside the convex hull of `points` (fills papillary muscles and
/// trabeculae, as clinical contours do).
func convexHullPixelCount(_ points: [(Int, Int)]) -> Int {
    let pts = Array(Set(points.map { SIMD2<Int>($0.0, $0.1) })).sorted { ($0.x, $0.y) < ($1.x, $1.y) }
    guard pts.count > 2 else { return pts.count }
    func cross(_ o: SIMD2<Int>, _ a: SIMD2<Int>, _ b: SIMD2<Int>) -> Int { (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x) }
    var lower: [SIMD2<Int>] = [], upper: [SIMD2<Int>] = []
    for p in pts { while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }; lower.append(p) }
    for p in pts.reversed() { while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }; upper.append(p) }
    let hull = Array(lower.dropLast() + upper.dropLast())
    let xs = pts.map(\.x), ys = pts.map(\.y)
    var count = 0
    for y in ys.min()!...ys.max()! {
        for x in xs.min()!...xs.max()! {
            let q = SIMD2(x, y)
            var inside = true
            for k in 0..<hull.count where cross(hull[k], hull[(k + 1) % hull.count], q) < 0 { inside = false; break }
            if inside { count += 1 }
        }
    }
    return count
}
