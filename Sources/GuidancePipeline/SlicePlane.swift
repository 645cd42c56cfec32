import CRTCore
import Foundation
import Statistics

/// One 2D image of a short-axis stack with its place in the patient: in-plane coordinates are millimetres along
/// the row direction (`axisColumns`, growing column index) and the column direction (`axisRows`, growing row
/// index) from the centre of the first pixel.
struct SlicePlane: Sendable {
    let width: Int, height: Int
    /// Pixel spacing along columns (x) and rows (y), mm.
    let dxMm: Double, dyMm: Double
    /// Patient position of pixel (0, 0) (LPS mm) and the in-plane unit vectors.
    let originMm: Vec3
    let axisColumns: Vec3, axisRows: Vec3
    /// Slice normal `axisColumns x axisRows`.
    var normal: Vec3 { axisColumns.cross(axisRows).normalized }

    init(grid: ImageGrid, slice k: Int) {
        width = grid.size[0]; height = grid.size[1]
        let (c0, c1, _) = grid.patientFromVoxel.linear.columns
        dxMm = c0.length; dyMm = c1.length
        axisColumns = c0.normalized; axisRows = c1.normalized
        originMm = grid.patient(0, 0, Double(k))
    }

    /// Patient point of in-plane position (x, y) mm.
    func patient(_ p: SIMD2<Double>) -> Vec3 { originMm + axisColumns * p.x + axisRows * p.y }
    /// In-plane position (mm) of a patient point, and its signed distance from the plane (mm).
    func inPlane(_ q: Vec3) -> (position: SIMD2<Double>, offsetMm: Double) {
        let d = q - originMm
        return (SIMD2(d.dot(axisColumns), d.dot(axisRows)), d.dot(normal))
    }
    /// Pixel index (continuous) of an in-plane position.
    func pixel(_ p: SIMD2<Double>) -> SIMD2<Double> { SIMD2(p.x / dxMm, p.y / dyMm) }
    /// Centre of pixel (i, j) in mm.
    func position(_ i: Int, _ j: Int) -> SIMD2<Double> { SIMD2(Double(i) * dxMm, Double(j) * dyMm) }
}

/// A 2D float image (column fastest) with bilinear sampling in millimetres.
struct PlaneImage: Sendable {
    let plane: SlicePlane
    var pixels: [Float]

    init(plane: SlicePlane, pixels: [Float]) {
        precondition(pixels.count == plane.width * plane.height)
        self.plane = plane; self.pixels = pixels
    }

    init(volume: ImageVolume<Float>, slice k: Int, frame t: Int) {
        self.init(plane: SlicePlane(grid: volume.grid, slice: k), pixels: Array(volume.slice(k, frame: t)))
    }

    @inline(__always) func value(_ i: Int, _ j: Int) -> Float { pixels[j * plane.width + i] }

    /// Bilinear value at in-plane position p (mm); 0 outside the image.
    @inline(__always) func sample(_ p: SIMD2<Double>) -> Float {
        let x = p.x / plane.dxMm, y = p.y / plane.dyMm
        guard x >= 0, y >= 0, x <= Double(plane.width - 1), y <= Double(plane.height - 1) else { return 0 }
        let i0 = min(Int(x), plane.width - 2), j0 = min(Int(y), plane.height - 2)
        let fx = Float(x - Double(i0)), fy = Float(y - Double(j0))
        let a = value(i0, j0), b = value(i0 + 1, j0), c = value(i0, j0 + 1), d = value(i0 + 1, j0 + 1)
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }
}

/// Intensity profiles along `rayCount` rays from a centre, at radii `stepMm * s` (s = 0..<samples). Ray r points
/// at angle 2 pi r / rayCount measured from the image's column axis towards its row axis.
struct RayProfiles: Sendable {
    let rayCount: Int, samples: Int
    let stepMm: Double
    var values: [Float]

    init(image: PlaneImage, centre: SIMD2<Double>, rayCount: Int, stepMm: Double, maxRadiusMm: Double) {
        self.rayCount = rayCount; self.stepMm = stepMm
        samples = Int(maxRadiusMm / stepMm) + 1
        var v = [Float](repeating: 0, count: rayCount * samples)
        for r in 0..<rayCount {
            let t = 2 * Double.pi * Double(r) / Double(rayCount)
            let d = SIMD2(cos(t), sin(t))
            for s in 0..<samples { v[r * samples + s] = image.sample(centre + d * (Double(s) * stepMm)) }
        }
        // Light smoothing across neighbouring rays (1/4, 1/2, 1/4) to steady the edges against noise.
        var smoothed = v
        for r in 0..<rayCount {
            let a = ((r - 1 + rayCount) % rayCount) * samples, b = r * samples, c = ((r + 1) % rayCount) * samples
            for s in 0..<samples { smoothed[b + s] = 0.25 * v[a + s] + 0.5 * v[b + s] + 0.25 * v[c + s] }
        }
        values = smoothed
    }

    @inline(__always) func value(ray r: Int, sample s: Int) -> Float { values[r * samples + s] }
    /// Linear value at radius rho (mm) on ray r.
    func value(ray r: Int, radiusMm rho: Double) -> Float {
        let x = rho / stepMm
        guard x >= 0 else { return value(ray: r, sample: 0) }
        let s = min(Int(x), samples - 2)
        let f = Float(x - Double(s))
        return value(ray: r, sample: s) * (1 - f) + value(ray: r, sample: s + 1) * f
    }

    /// Radius (mm) of the first crossing of `level` on ray r between `fromMm` and `toMm`, going outward;
    /// `downward` looks for the profile falling through the level, otherwise rising. nil when none.
    func firstCrossing(ray r: Int, level: Float, downward: Bool, fromMm: Double, toMm: Double) -> Double? {
        let s0 = max(0, Int(fromMm / stepMm)), s1 = min(samples - 1, Int(toMm / stepMm))
        guard s1 > s0 else { return nil }
        for s in s0..<s1 {
            let a = value(ray: r, sample: s), b = value(ray: r, sample: s + 1)
            let hit = downward ? (a >= level && b < level) : (a <= level && b > level)
            if hit { return (Double(s) + Double((a - level) / (a - b))) * stepMm }
        }
        return nil
    }

    /// Radius (mm) of the last downward crossing of `level` on ray r within [fromMm, toMm]; nil when none.
    func lastDownwardCrossing(ray r: Int, level: Float, fromMm: Double, toMm: Double) -> Double? {
        let s0 = max(0, Int(fromMm / stepMm)), s1 = min(samples - 1, Int(toMm / stepMm))
        guard s1 > s0 else { return nil }
        for s in stride(from: s1 - 1, through: s0, by: -1) {
            let a = value(ray: r, sample: s), b = value(ray: r, sample: s + 1)
            if a >= level && b < level { return (Double(s) + Double((a - level) / (a - b))) * stepMm }
        }
        return nil
    }
}

/// Small statistics used by several stages.
enum Stats {
    static func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        // Selection gives the sorted array's middle elements without the sort (these medians run per ray profile,
        // per contour and per alignment candidate); NaN has no place in an order, so it keeps the sort's answer.
        if !x.contains(where: \.isNaN) { return medianBySelection(x) }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }
    static func median(_ x: [Float]) -> Float { Float(median(x.map(Double.init))) }
    /// Percentile `p` (0...100): the order statistic nearest the position (Statistics `.nearest`); NaN when empty.
    static func percentile(_ x: [Float], _ p: Double) -> Float {
        guard !x.isEmpty, !p.isNaN, !x.contains(where: \.isNaN) else {
            return Statistics.percentile(sorted: x.sorted(), p, method: .nearest)
        }
        // The order statistic `.nearest` picks (the same position), by selection.
        let position = min(max(Double(x.count - 1) * p / 100, 0), Double(x.count - 1))
        var a = x
        return selectKthSmallest(&a, min(x.count - 1, Int(position.rounded())))
    }
    static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }
    /// Median absolute deviation scaled to a Gaussian SD (x 1.4826).
    static func robustSD(_ x: [Double]) -> Double {
        let m = median(x)
        return 1.4826 * median(x.map { abs($0 - m) })
    }
    /// Theil-Sen line through (x, y): the median of the pairwise slopes, and the median of y - slope x as intercept
    /// (robust to up to about 29 % outlying points). Needs two distinct x.
    static func theilSen(x: [Double], y: [Double]) -> (intercept: Double, slope: Double) {
        var slopes: [Double] = []
        for i in x.indices { for j in x.indices where j > i && x[j] != x[i] { slopes.append((y[j] - y[i]) / (x[j] - x[i])) } }
        let slope = slopes.isEmpty ? 0 : median(slopes)
        return (median(x.indices.map { y[$0] - slope * x[$0] }), slope)
    }
    /// Otsu's threshold of values (256 bins between min and max).
    static func otsu(_ x: [Float]) -> Float {
        guard let lo = x.min(), let hi = x.max(), hi > lo else { return x.first ?? 0 }
        let bins = 256
        var h = [Double](repeating: 0, count: bins)
        let scale = Float(bins - 1) / (hi - lo)
        for v in x { h[Int((v - lo) * scale)] += 1 }
        let total = Double(x.count)
        let sumAll = h.enumerated().reduce(0.0) { $0 + Double($1.offset) * $1.element }
        var wB = 0.0, sumB = 0.0, best = 0.0, bestBin = 0
        for b in 0..<bins {
            wB += h[b]; if wB == 0 { continue }
            let wF = total - wB; if wF == 0 { break }
            sumB += Double(b) * h[b]
            let mB = sumB / wB, mF = (sumAll - sumB) / wF
            let between = wB * wF * (mB - mF) * (mB - mF)
            if between > best { best = between; bestBin = b }
        }
        return lo + (Float(bestBin) + 0.5) / scale
    }
    /// Median filter over a cyclic sequence (window 2 half + 1).
    static func cyclicMedian(_ x: [Double], half: Int) -> [Double] {
        let n = x.count
        return (0..<n).map { i in median((-half...half).map { x[((i + $0) % n + n) % n] }.filter(\.isFinite)) }
    }
}
