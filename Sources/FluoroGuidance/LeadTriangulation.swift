import CRTCore
import Foundation

/// Two-view matching of electrode candidates: the four electrodes are the four candidates in each view whose
/// chains (ordered along the lead, same or reversed direction) satisfy the epipolar geometry (small reprojection
/// error after DLT triangulation) and lie along the lead at nearly equal 3D spacing. When the implanted lead's
/// model is known (operator/lead.json), its electrode count and its own, often unequal, spacing replace the equal
/// spacing: the chain must reproduce the model's gaps, which also tells the LV lead from the RV and RA leads.
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
        /// True when the chain is ordered distal first by the model's unequal gaps (`worldMm[0]` is the tip
        /// electrode); false when the order along the chain is still to be decided (symmetric or unknown spacing).
        public var orientedByGaps = false
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
        /// Weight of the fold penalty: per pixel by which a view's 2D chain, taken in the 3D order, is longer than
        /// its shortest 2D ordering. Two electrodes on nearly the same epipolar line can be swapped between the
        /// views with residuals as small as the true pairing, which puts electrodes millimetres off; the lead's
        /// projection then zigzags. A true fold (a lead curving towards the viewer) costs the same in both pairings.
        public var foldPenaltyPerPx = 0.2
        /// Most electrodes that may share a candidate with another in one view. A lead running nearly along one
        /// view's beam projects its four rings within a few pixels there, so they merge into two or three spots
        /// (seen in the LAO 40 view of basal inferolateral leads); the other view then fixes their spacing.
        public var maximumSharedCandidates = 2
        /// Epipolar fallback (`matchAlongEpipolarLines`): how far from a spot of the merged view an epipolar line
        /// may pass, and how far along the line from that spot the strongest response is sought (pixels).
        public var epipolarSearchPx = 8.0
        /// Known lead model: largest difference between a 3D gap and the model's gap, the larger of this (mm) and
        /// `gapToleranceFraction` of the gap (triangulation error plus the lead's bending between rings).
        public var gapToleranceMm = 4.0
        public var gapToleranceFraction = 0.25
        /// Known lead model: the gaps decide which end is distal when the two directions differ by more than this (mm).
        public var orientationMarginMm = 3.0
        /// Known lead model: electrodes lie within this distance of the registered LV epicardium (mm): the veins run
        /// on it, plus the registration error of difficult cases (mTRE up to about 20 mm).
        public var maximumModelDistanceMm = 25.0
        /// Known lead model: points whose segment angle on the registered model lies over the septum, more than this
        /// inside either RV insertion (degrees), are not the LV lead's (the AIV and middle cardiac vein run at the
        /// insertions, no vein on the septum's RV face); the margin covers the registration's rotation error.
        public var septalMarginDeg = 25.0
        /// Known lead model with a registered LV model: score (pixels) per millimetre of an electrode's distance from
        /// the registered epicardium. The LV lead lies in a vein on the epicardium, so of two chains that fit the
        /// epipolar geometry and the gaps equally, the one on the LV wins over one along the RV lead or a wire; needed
        /// since scatter fades the rings towards the other devices' contrast and more spots become candidates
        /// (docs/fluoroscopy.md, "Scatter and image checks"). 0.5: a chain 10 mm farther off on each of four
        /// electrodes costs 20 px, more than any accepted set's reprojection errors (at most 4 x 4 px).
        public var modelDistanceWeightPxPerMm = 0.5
        /// A candidate whose structure continues on both sides (`ElectrodeDetection.Blob.continuation`) above this
        /// fraction of its peak is less likely a ring than a noise maximum on a lead body; 0.6: the lead body
        /// beside a ring stays below about 0.6 of the ring's contrast (`ElectrodeDetection.Settings.ridgeFraction`).
        public var continuationFloor = 0.6
        /// Score (pixels) per unit of continuation above the floor, per electrode: a spot on a uniform body (1.0)
        /// costs 4 px, as much as the largest accepted reprojection error. Soft, not a rejection: 5 % of
        /// `standard`'s true electrodes continue above 0.6, 3 % above 0.7 (a ring over another lead, a lead along
        /// the beam).
        public var continuationPenaltyPx = 10.0
        public init() {}
    }

    /// Epipolar line in view `to` of the pixel (column, row) of view `from`, homogeneous (a, b, c) with
    /// a column + b row + c = 0 and (a, b) of unit length; nil when a camera is degenerate.
    public static func epipolarLine(column: Double, row: Double, from: ProjectionMatrix, to: ProjectionMatrix) -> Vec3? {
        let m = from.m
        guard let inv = Mat3(rows: Vec3(m[0][0], m[0][1], m[0][2]), Vec3(m[1][0], m[1][1], m[1][2]), Vec3(m[2][0], m[2][1], m[2][2])).inverse else { return nil }
        let p4 = Vec3(m[0][3], m[1][3], m[2][3])
        // Source (camera centre) and one point of the pixel's ray, both imaged in the other view (homogeneous).
        let centre = inv * (-1 * p4), onRay = inv * (Vec3(column, row, 1) - p4)
        let e = to.homogeneous(centre), x = to.homogeneous(onRay)
        let line = Vec3(e.0, e.1, e.2).cross(Vec3(x.0, x.1, x.2))
        let n = (line.x * line.x + line.y * line.y).squareRoot()
        guard n > 1e-12 else { return nil }
        return line * (1 / n)
    }

    /// Match for a lead whose electrodes merge in one view into fewer spots than `maximumSharedCandidates` allows
    /// (the lead runs along that view's beam): every set of `count` candidates of the other (`separated`) view is
    /// paired, electrode by electrode, with the strongest top-hat response of the merged view along the
    /// candidate's epipolar line, within `epipolarSearchPx` of one of the merged view's spots; the pairs are
    /// triangulated, ordered as the shortest 3D path and scored by the irregularity of their spacing.
    /// - Parameters:
    ///   - separated: candidate pixels of the view that shows the electrodes apart (strongest first).
    ///   - merged: candidate pixels (spots) of the other view, and its top-hat image.
    ///   - projections: world-to-pixel matrices, separated view first.
    /// - Returns: the match with chains in the order [separated, merged].
    public static func matchAlongEpipolarLines(separated: [DetectorPixel], merged: [DetectorPixel], mergedTopHat: DetectorImage,
                                               projections: [ProjectionMatrix], count: Int = 4, expectedGapsMm: [Double]? = nil,
                                               settings: Settings = Settings()) -> Match? {
        guard projections.count == 2, separated.count >= count, !merged.isEmpty else { return nil }
        let reach = settings.epipolarSearchPx
        // For each separated candidate: its partner in the merged view and the triangulated point.
        var partner: [(DetectorPixel, Vec3, Double)?] = []
        for a in separated {
            guard let l = epipolarLine(column: a.column, row: a.row, from: projections[0], to: projections[1]) else { partner.append(nil); continue }
            var best: (Float, DetectorPixel)? = nil
            for spot in merged {
                let d = l.x * spot.column + l.y * spot.row + l.z
                guard abs(d) <= reach else { continue }
                // Foot of the spot on the line, then along the line (direction (-b, a)) in quarter pixels.
                let foot = DetectorPixel(column: spot.column - d * l.x, row: spot.row - d * l.y)
                for k in stride(from: -reach, through: reach, by: 0.25) {
                    let q = DetectorPixel(column: foot.column - k * l.y, row: foot.row + k * l.x)
                    let v = mergedTopHat.sample(column: q.column, row: q.row)
                    if best == nil || v > best!.0 { best = (v, q) }
                }
            }
            guard let (_, q) = best,
                  let p = triangulate([(projections[0], column: a.column, row: a.row), (projections[1], column: q.column, row: q.row)]),
                  let qa = projections[0].project(p), let qb = projections[1].project(p)
            else { partner.append(nil); continue }
            let e = max(DetectorPixel(column: qa.column, row: qa.row).distance(to: a), DetectorPixel(column: qb.column, row: qb.row).distance(to: q))
            partner.append((q, p, e))
        }
        let usable = separated.indices.filter { partner[$0] != nil }
        guard usable.count >= count else { return nil }
        let orders = paths(count)
        var best: Match? = nil
        for subset in subsets(usable.count, count) {
            let chosen = subset.map { usable[$0] }
            let pts = chosen.map { partner[$0]!.1 }
            guard let (bestOrder, irregular, mean, oriented) = chainAlongLead(pts, orders: orders, expectedGapsMm: expectedGapsMm, settings: settings) else { continue }
            let score = settings.spacingWeight * irregular
            if best == nil || score < best!.score {
                best = Match(chains: [bestOrder.map { separated[chosen[$0]] }, bestOrder.map { partner[chosen[$0]]!.0 }],
                             worldMm: bestOrder.map { pts[$0] }, residualsPx: bestOrder.map { partner[chosen[$0]]!.2 },
                             spacingMm: mean, score: score, orientedByGaps: oriented)
            }
        }
        return best
    }

    /// Points ordered along the lead as the shortest 3D path over `orders`: the order, the summed deviation of the
    /// gaps from their mean (mm) and the mean gap; nil when the spacing is implausible (`spacingRangeMm`, no gap
    /// under half its lower end).
    static func alongLead(_ pts: [Vec3], orders: [[Int]], settings: Settings) -> (order: [Int], irregularityMm: Double, meanMm: Double)? {
        var bestOrder: [Int] = [], bestLength = Double.infinity
        for o in orders {
            var len = 0.0
            for m in 1..<pts.count { len += (pts[o[m]] - pts[o[m - 1]]).length }
            if len < bestLength { bestLength = len; bestOrder = o }
        }
        let d = (1..<pts.count).map { (pts[bestOrder[$0]] - pts[bestOrder[$0 - 1]]).length }
        let mean = d.reduce(0, +) / Double(d.count)
        guard settings.spacingRangeMm.contains(mean), d.min()! >= settings.spacingRangeMm.lowerBound / 2 else { return nil }
        return (bestOrder, d.reduce(0) { $0 + abs($1 - mean) }, mean)
    }

    /// `alongLead` when the spacing is unknown (`expectedGapsMm` nil, not oriented); otherwise the points ordered to
    /// reproduce the model's gaps (`alongKnownLead`).
    static func chainAlongLead(_ pts: [Vec3], orders: [[Int]], expectedGapsMm: [Double]?, settings: Settings)
        -> (order: [Int], irregularityMm: Double, meanMm: Double, oriented: Bool)? {
        if let g = expectedGapsMm { return alongKnownLead(pts, orders: orders, gapsMm: g, settings: settings) }
        return alongLead(pts, orders: orders, settings: settings).map { ($0.order, $0.irregularityMm, $0.meanMm, false) }
    }

    /// Points ordered along a lead of known electrode gaps (distal first, `gapsMm`): over `orders` and both
    /// directions, the order whose 3D gaps differ least from the model's (summed absolute difference, mm) plus how
    /// much longer its 3D path is than the shortest (a lead does not zigzag: two electrodes a few millimetres apart
    /// could otherwise swap places at a small gap cost); nil when a gap differs by more than its tolerance
    /// (`gapToleranceMm`, `gapToleranceFraction`). The order is returned distal first and `oriented` is true when
    /// the reverse direction fits worse by `orientationMarginMm`.
    static func alongKnownLead(_ pts: [Vec3], orders: [[Int]], gapsMm g: [Double], settings: Settings)
        -> (order: [Int], irregularityMm: Double, meanMm: Double, oriented: Bool)? {
        guard g.count == pts.count - 1 else { return nil }
        let tolerance = g.map { max(settings.gapToleranceMm, settings.gapToleranceFraction * $0) }
        func pathLength(_ o: [Int]) -> Double { (1..<pts.count).reduce(0) { $0 + (pts[o[$1]] - pts[o[$1 - 1]]).length } }
        let shortest = orders.map(pathLength).min() ?? 0
        var best: (order: [Int], cost: Double, other: Double)? = nil
        for o in orders {
            let excess = pathLength(o) - shortest
            let d = (1..<pts.count).map { (pts[o[$0]] - pts[o[$0 - 1]]).length }
            let forward = zip(d, g).map { abs($0 - $1) }, backward = zip(d.reversed(), g).map { abs($0 - $1) }
            let fits = [(o, forward), (Array(o.reversed()), backward)].filter { zip($0.1, tolerance).allSatisfy { $0 <= $1 } }
            for (order, diff) in fits {
                let cost = diff.reduce(0, +) + excess
                let otherCost = (order == o ? backward : forward).reduce(0, +) + excess
                if best == nil || cost < best!.cost { best = (order, cost, otherCost) }
            }
        }
        guard let b = best else { return nil }
        let d = (1..<pts.count).map { (pts[b.order[$0]] - pts[b.order[$0 - 1]]).length }
        return (b.order, b.cost, d.reduce(0, +) / Double(d.count), b.other - b.cost > settings.orientationMarginMm)
    }

    /// How much longer (pixels) a view's chain is in `order` than in its shortest ordering over `orders`.
    static func excessLengthPx(_ px: [DetectorPixel], order: [Int], orders: [[Int]]) -> Double {
        func length(_ o: [Int]) -> Double { (1..<o.count).reduce(0) { $0 + px[o[$1]].distance(to: px[o[$1 - 1]]) } }
        return length(order) - (orders.map(length).min() ?? 0)
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

    /// Per candidate, the score added for looking like lead body rather than a ring (`continuationFloor`,
    /// `continuationPenaltyPx`).
    public static func continuationCostPx(_ continuation: Double, settings: Settings) -> Double {
        settings.continuationPenaltyPx * max(0, continuation - settings.continuationFloor)
    }

    /// `match` for two images taken one after the other, at two breathing states: tried with the views' projections
    /// offset cranio-caudally (world z) by each of `offsetsMm` (`BreathingOffset`), each match's score raised by
    /// (offset / `offsetSDMm`)^2 pixels (a prior on the breathing difference); the best match and its offset. Breathing
    /// moves the heart mostly cranio-caudally, vertically in LAO and RAO images, which is
    /// across the epipolar lines of such a pair: an offset of a few millimetres breaks the epipolar agreement that
    /// `maximumResidualPx` asks for.
    public static func matchOverOffsets(candidates: [[DetectorPixel]], projections: [ProjectionMatrix], offsetsMm: [Double],
                                        offsetSDMm: Double, count: Int = 4, expectedGapsMm: [Double]? = nil,
                                        modelDistanceMm: ((Vec3) -> Double?)? = nil, candidateCostsPx: [[Double]]? = nil,
                                        settings: Settings = Settings()) -> (match: Match, offsetMm: Double)? {
        var best: (match: Match, offsetMm: Double, cost: Double)? = nil
        for dz in offsetsMm {
            guard let m = match(candidates: candidates, projections: BreathingOffset.projections(projections, offsetMm: Vec3(0, 0, dz)), count: count,
                                expectedGapsMm: expectedGapsMm, modelDistanceMm: modelDistanceMm, candidateCostsPx: candidateCostsPx,
                                settings: settings) else { continue }
            let cost = m.score + pow(dz / max(offsetSDMm, 1e-6), 2)
            if best == nil || cost < best!.cost { best = (m, dz, cost) }
        }
        return best.map { ($0.match, $0.offsetMm) }
    }

    /// Best match of `count` electrodes between two views: every candidate pair is triangulated once; every set of
    /// `count` pairs with distinct candidates in both views whose reprojection errors are small is ordered along
    /// the lead as the shortest 3D path, and scored by the summed reprojection error plus the irregularity of the
    /// 3D spacing. (2D chain order is not used: a lead that curves towards the viewer folds back in projection.)
    /// - Parameters:
    ///   - candidates: candidate pixels per view (two views).
    ///   - projections: world-to-pixel matrices of the two views.
    @inline(never)
    ///   - expectedGapsMm: the implanted model's electrode gaps, distal first (nil: unknown, nearly equal spacing).
    ///   - modelDistanceMm: for a triangulated point (world mm), its distance from the registered LV epicardium (mm)
    ///     when it may be an electrode, nil when it may not (the pipeline keeps points near its registered model and
    ///     off the septum); each kept electrode's distance adds `modelDistanceWeightPxPerMm` per mm to the score.
    ///     Nil: every point may be one, none scored.
    ///   - candidateCostsPx: per view and candidate, a cost (pixels) added for each electrode it stands for (the
    ///     `continuationPenalty` of spots that look like lead body); nil: none.
    public static func match(candidates: [[DetectorPixel]], projections: [ProjectionMatrix], count: Int = 4,
                             expectedGapsMm: [Double]? = nil, modelDistanceMm: ((Vec3) -> Double?)? = nil,
                             candidateCostsPx: [[Double]]? = nil, settings: Settings = Settings()) -> Match? {
        guard candidates.count == 2, projections.count == 2 else { return nil }
        let a = candidates[0], b = candidates[1]
        var pairPoint = [[Vec3?]](repeating: [Vec3?](repeating: nil, count: b.count), count: a.count)
        var pairError = [[Double]](repeating: [Double](repeating: .infinity, count: b.count), count: a.count)
        var pairModelCost = [[Double]](repeating: [Double](repeating: 0, count: b.count), count: a.count)
        for i in a.indices { for j in b.indices {
            guard let p = triangulate([(projections[0], column: a[i].column, row: a[i].row),
                                       (projections[1], column: b[j].column, row: b[j].row)]),
                  let qa = projections[0].project(p), let qb = projections[1].project(p) else { continue }
            let e = max(DetectorPixel(column: qa.column, row: qa.row).distance(to: a[i]),
                        DetectorPixel(column: qb.column, row: qb.row).distance(to: b[j]))
            guard e <= settings.maximumResidualPx else { continue }
            var distance = 0.0
            if let modelDistanceMm {
                guard let d = modelDistanceMm(p) else { continue }
                distance = d
            }
            pairPoint[i][j] = p
            pairError[i][j] = e
            pairModelCost[i][j] = settings.modelDistanceWeightPxPerMm * distance
                + (candidateCostsPx.map { $0[0][i] + $0[1][j] } ?? 0)
        } }
        let orders = paths(count)
        var pairs: [(Int, Int)] = []
        for i in a.indices { for j in b.indices where pairPoint[i][j] != nil { pairs.append((i, j)) } }
        var best: Match? = nil
        let repeatPairs = expectedGapsMm?.contains { $0 < settings.gapToleranceMm } ?? false
        // A known lead spans at most its gaps plus their tolerances: sets of points farther apart are not tried.
        let spanMm = expectedGapsMm.map { g in g.reduce(0, +) + g.map { max(settings.gapToleranceMm, settings.gapToleranceFraction * $0) }.reduce(0, +) }
        // First every candidate at most once per view; failing that, one candidate may stand for two electrodes
        // that overlap in that view's projection (foreshortening), at a penalty each; then two. With a known model
        // every level is tried and the penalties decide: a wrong chain of distinct spots can fit the gaps while the
        // true one shares its short-bipole spot.
        let knownGaps = expectedGapsMm != nil
        for allowedShared in 0...max(0, settings.maximumSharedCandidates) where best == nil || knownGaps {
            func consider(_ chosen: [(Int, Int)]) {
                let pts = chosen.map { pairPoint[$0.0][$0.1]! }
                let err = chosen.map { pairError[$0.0][$0.1] }
                guard let (bestOrder, irregular, mean, oriented) = chainAlongLead(pts, orders: orders, expectedGapsMm: expectedGapsMm, settings: settings) else { return }
                let shared = (count - Set(chosen.map(\.0)).count) + (count - Set(chosen.map(\.1)).count)
                let fold = [chosen.map { a[$0.0] }, chosen.map { b[$0.1] }].reduce(0) { $0 + excessLengthPx($1, order: bestOrder, orders: orders) }
                let modelCost = chosen.reduce(0.0) { $0 + pairModelCost[$1.0][$1.1] }
                let score = err.reduce(0, +) + settings.spacingWeight * irregular + settings.sharedPenaltyPx * Double(shared)
                    + settings.foldPenaltyPerPx * fold + modelCost
                if best == nil || score < best!.score {
                    best = Match(chains: [bestOrder.map { a[chosen[$0].0] }, bestOrder.map { b[chosen[$0].1] }],
                                 worldMm: bestOrder.map { pts[$0] }, residualsPx: bestOrder.map { err[$0] },
                                 spacingMm: mean, score: score, orientedByGaps: oriented)
                }
            }
            // Branch and bound: every term of the score is non-negative, so a partial set whose pairs' reprojection
            // errors and model costs already reach the best score cannot win (same result, fewer sets tried).
            func pick(_ start: Int, _ chosen: [(Int, Int)], _ sharedSoFar: Int, _ partialCost: Double) {
                if chosen.count == count { consider(chosen); return }
                guard start < pairs.count else { return }
                for k in start..<pairs.count {
                    let (i, j) = pairs[k]
                    let cost = partialCost + pairError[i][j] + pairModelCost[i][j]
                    if let b = best, cost > b.score + 1e-9 { continue }
                    let sa = chosen.contains { $0.0 == i }, sb = chosen.contains { $0.1 == j }
                    let extra = (sa ? 1 : 0) + (sb ? 1 : 0)
                    if let span = spanMm, chosen.contains(where: { (pairPoint[$0.0][$0.1]! - pairPoint[i][j]!).length > span }) { continue }
                    if sharedSoFar + extra <= allowedShared {
                        // A model's closely spaced pair (the Attain Performa's short bipole) may merge into one spot in
                        // both views: the same pair then stands for both electrodes (shared in each view).
                        pick(repeatPairs ? k : k + 1, chosen + [(i, j)], sharedSoFar + extra, cost)
                    }
                }
            }
            pick(0, [], 0, 0)
        }
        return best
    }
}
