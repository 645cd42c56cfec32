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
        /// Penalty (pixels) for one candidate standing for two overlapping electrodes in one view.
        public var sharedPenaltyPx = 3.0
        /// Most electrodes that may share a candidate with another in one view. A lead running nearly along one
        /// view's beam projects its four rings within a few pixels there, so they merge into two or three spots
        /// (seen in the LAO 40 view of basal inferolateral leads); the other view then fixes their spacing.
        public var maximumSharedCandidates = 2
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

    /// All orderings of 0..<n up to reversal (the order of the electrodes along the lead).
    static func paths(_ n: Int) -> [[Int]] {
        var out: [[Int]] = []
        func rec(_ cur: [Int]) {
            if cur.count == n { if cur.first! < cur.last! { out.append(cur) }; return }
            for i in 0..<n where !cur.contains(i) { rec(cur + [i]) }
        }
        rec([])
        return out
    }

    /// Best match of `count` electrodes between two views: every candidate pair is triangulated once; every set of
    /// `count` pairs with distinct candidates in both views whose reprojection errors are small is ordered along
    /// the lead as the shortest 3D path, and scored by the summed reprojection error plus the irregularity of the
    /// 3D spacing. (2D chain order is not used: a lead that curves towards the viewer folds back in projection.)
    /// - Parameters:
    ///   - candidates: candidate pixels per view (two views).
    ///   - projections: world-to-pixel matrices of the two views.
    @inline(never)
    public static func match(candidates: [[DetectorPixel]], projections: [ProjectionMatrix], count: Int = 4,
                             settings: Settings = Settings()) -> Match? {
        guard candidates.count == 2, projections.count == 2 else { return nil }
        let a = candidates[0], b = candidates[1]
        var pairPoint = [[Vec3?]](repeating: [Vec3?](repeating: nil, count: b.count), count: a.count)
        var pairError = [[Double]](repeating: [Double](repeating: .infinity, count: b.count), count: a.count)
        for i in a.indices { for j in b.indices {
            guard let p = triangulate([(projections[0], column: a[i].column, row: a[i].row),
                                       (projections[1], column: b[j].column, row: b[j].row)]),
                  let qa = projections[0].project(p), let qb = projections[1].project(p) else { continue }
            let e = max(DetectorPixel(column: qa.column, row: qa.row).distance(to: a[i]),
                        DetectorPixel(column: qb.column, row: qb.row).distance(to: b[j]))
            if e <= settings.maximumResidualPx { pairPoint[i][j] = p; pairError[i][j] = e }
        } }
        let orders = paths(count)
        var pairs: [(Int, Int)] = []
        for i in a.indices { for j in b.indices where pairPoint[i][j] != nil { pairs.append((i, j)) } }
        var best: Match? = nil
        // First every candidate at most once per view; failing that, one candidate may stand for two electrodes
        // that overlap in that view's projection (foreshortening), at a penalty each; then two.
        for allowedShared in 0...max(0, settings.maximumSharedCandidates) where best == nil {
            func consider(_ chosen: [(Int, Int)]) {
                let pts = chosen.map { pairPoint[$0.0][$0.1]! }
                let err = chosen.map { pairError[$0.0][$0.1] }
                var bestOrder: [Int] = [], bestLength = Double.infinity
                for o in orders {
                    var len = 0.0
                    for m in 1..<count { len += (pts[o[m]] - pts[o[m - 1]]).length }
                    if len < bestLength { bestLength = len; bestOrder = o }
                }
                let d = (1..<count).map { (pts[bestOrder[$0]] - pts[bestOrder[$0 - 1]]).length }
                let mean = d.reduce(0, +) / Double(d.count)
                guard settings.spacingRangeMm.contains(mean), d.min()! >= settings.spacingRangeMm.lowerBound / 2 else { return }
                let shared = (count - Set(chosen.map(\.0)).count) + (count - Set(chosen.map(\.1)).count)
                let irregular = d.reduce(0) { $0 + abs($1 - mean) }
                let score = err.reduce(0, +) + settings.spacingWeight * irregular + settings.sharedPenaltyPx * Double(shared)
                if best == nil || score < best!.score {
                    best = Match(chains: [bestOrder.map { a[chosen[$0].0] }, bestOrder.map { b[chosen[$0].1] }],
                                 worldMm: bestOrder.map { pts[$0] }, residualsPx: bestOrder.map { err[$0] },
                                 spacingMm: mean, score: score)
                }
            }
            func pick(_ start: Int, _ chosen: [(Int, Int)], _ sharedSoFar: Int) {
                if chosen.count == count { consider(chosen); return }
                guard start < pairs.count else { return }
                for k in start..<pairs.count {
                    let (i, j) = pairs[k]
                    let sa = chosen.contains { $0.0 == i }, sb = chosen.contains { $0.1 == j }
                    let extra = (sa ? 1 : 0) + (sb ? 1 : 0)
                    if sharedSoFar + extra <= allowedShared { pick(k + 1, chosen + [(i, j)], sharedSoFar + extra) }
                }
            }
            pick(0, [], 0)
        }
        return best
    }
}
