import CRTCore
import Foundation

/// Two-view matching of electrode candidates: the four electrodes are the four candidates in each view whose
/// chains (ordered along the lead, same or reversed direction) satisfy the epipolar geometry (small reprojection
/// error after DLT triangulation) and lie along the lead at nearly equal 3D spacing.
public enum LeadTriangulation {
    public struct Match: Sendable {
        /// Electrode pixels per view, in matched order (not yet distal first).
        public var chains: [[DetectorPixel]]
        /// Triangulated electrodes (world mm) and their worst-view reprojection error (pixels).
        public var worldMm: [Vec3]
        public var residualsPx: [Double]
        /// Mean distance between neighbouring electrodes (mm).
        public var spacingMm: Double
        public var score: Double
    }

    public struct Settings: Codable, Sendable, Equatable {
        /// Plausible spacing of neighbouring electrodes (quadripolar leads span 30-50 mm over four rings; mm).
        public var spacingRangeMm: ClosedRange<Double> = 7...20
        /// Largest reprojection error of an accepted electrode (pixels).
        public var maximumResidualPx = 4.0
        /// Weight of the spacing irregularity (pixels per mm) in the score.
        public var spacingWeight = 1.0
        public init() {}
    }

    static func subsets(_ n: Int, _ k: Int) -> [[Int]] {
        guard k > 0 else { return [[]] }
        guard n >= k else { return [] }
        var out: [[Int]] = []
        func rec(_ start: Int, _ cur: [Int]) {
            if cur.count == k { out.append(cur); return }
            guard start < n else { return }
            for i in start..<n { rec(i + 1, cur + [i]) }
        }
        rec(0, [])
        return out
    }

    /// Best match of `count` electrodes between two views.
    /// - Parameters:
    ///   - candidates: candidate pixels per view (two views).
    ///   - projections: world-to-pixel matrices of the two views.
    @inline(never)
    public static func match(candidates: [[DetectorPixel]], projections: [ProjectionMatrix], count: Int = 4,
                             settings: Settings = Settings()) -> Match? {
        guard candidates.count == 2, projections.count == 2 else { return nil }
        let chainsA = subsets(candidates[0].count, count).map { s -> [DetectorPixel] in
            let pts = s.map { candidates[0][$0] }
            return ElectrodeDetection.chainOrder(pts).map { pts[$0] }
        }
        let chainsB = subsets(candidates[1].count, count).map { s -> [DetectorPixel] in
            let pts = s.map { candidates[1][$0] }
            return ElectrodeDetection.chainOrder(pts).map { pts[$0] }
        }
        var best: Match? = nil
        for a in chainsA {
            for b0 in chainsB {
                for b in [b0, Array(b0.reversed())] {
                    var world: [Vec3] = [], res: [Double] = []
                    var ok = true
                    for k in 0..<count {
                        guard let p = triangulate([(projections[0], column: a[k].column, row: a[k].row),
                                                   (projections[1], column: b[k].column, row: b[k].row)]),
                              let qa = projections[0].project(p), let qb = projections[1].project(p) else { ok = false; break }
                        let e = max(DetectorPixel(column: qa.column, row: qa.row).distance(to: a[k]),
                                    DetectorPixel(column: qb.column, row: qb.row).distance(to: b[k]))
                        if e > settings.maximumResidualPx { ok = false; break }
                        world.append(p); res.append(e)
                    }
                    guard ok else { continue }
                    let d = (1..<count).map { (world[$0] - world[$0 - 1]).length }
                    let mean = d.reduce(0, +) / Double(d.count)
                    guard settings.spacingRangeMm.contains(mean) else { continue }
                    let irregular = d.reduce(0) { $0 + abs($1 - mean) }
                    let score = res.reduce(0, +) + settings.spacingWeight * irregular
                    if best == nil || score < best!.score {
                        best = Match(chains: [a, b], worldMm: world, residualsPx: res, spacingMm: mean, score: score)
                    }
                }
            }
        }
        return best
    }
}
