import CRTCore
import Foundation

/// Stage 1a: finds the LV blood pool on each cine slice from the images alone, assuming nothing about where
/// the heart lies, its size or its orientation.
///
/// Method: the heart is where the image changes over the cycle, so the temporal SD over the whole stack gives
/// a search region. On each slice's first (end-diastolic) phase the bright blood pools are the connected
/// components above Otsu's threshold of that region; the LV pool is the one that is compact (round), surrounded
/// all round by darker wall, shrinks in systole, and continues from slice to slice along the stack.
public struct LVLocalization: Sendable {
    /// Configuration of the search (documented defaults).
    public struct Settings: Codable, Sendable, Equatable {
        public init() {}
        /// Radius of the search region around the moving part of the images (mm).
        public var searchRadiusMm = 100.0
        /// Plausible LV blood-pool area on one slice at its largest (mm2).
        public var minPoolAreaMm2 = 40.0
        public var maxPoolAreaMm2 = 12_000.0
        /// Largest in-plane step of the pool centre between adjacent slices (mm).
        /// 25 mm allows for breath-hold misregistration (3 mm SD per slice and direction broke the chain at 15 mm
        /// in one of 30 cases) and stays below the LV-RV centre distance.
        public var maxCentreStepMm = 25.0
        /// Smallest score (0-1) of a pool candidate that starts the chain.
        public var minScore = 0.25
        /// Smallest score of a pool that continues a chain from its neighbouring slice (the basal slice, cut by the
        /// outflow tract, and the apical tip score low on their own).
        public var continueScore = 0.02
        /// Smallest pool that continues a chain (mm2): the apical slices, where the cavity narrows to the apex, are
        /// analysed down to it (a chain starts only from a pool of at least `minPoolAreaMm2`). Such a small pool must
        /// shrink in systole (its bright area in the minimum-over-time image at most `smallPoolSystolicRatio` of it),
        /// as a cavity does and fat or a vessel does not.
        public var minContinuePoolAreaMm2 = 10.0
        public var smallPoolSystolicRatio = 0.9
        /// A slice whose Otsu threshold is above its chain neighbour's is also searched at the neighbour's threshold
        /// (bright chest-wall fat in the search region lifts Otsu's threshold towards the blood level near the
        /// apex); its own pool gives way to the one found so when its equivalent radius is below this fraction of
        /// that one's (a lower threshold adds only the partial-volume rim, a few percent of the radius, to a pool
        /// that its own threshold did not cut).
        public var clippedPoolRadiusFraction = 0.7
    }

    /// The LV blood pool on one slice.
    struct Pool: Sendable {
        var slice: Int
        /// Centre (in-plane mm) and equivalent-circle radius (mm) at the largest extent over the cycle.
        var centre: SIMD2<Double>
        var radiusMm: Double
        var score: Double
        /// Otsu threshold used (image intensity units).
        var threshold: Float
    }

    let settings: Settings

    /// Pools of the LV, one per slice that shows it, ordered by slice index.
    /// - Throws: `InputError` when no slice shows a plausible LV blood pool.
    func locate(cine: ImageVolume<Float>) throws -> [Pool] {
        let (w, h, ns) = (cine.grid.size[0], cine.grid.size[1], cine.grid.size[2])
        let n = w * h
        var minimum = [[Float]](repeating: [Float](repeating: .infinity, count: n), count: ns)
        var sd = [[Float]](repeating: [Float](repeating: 0, count: n), count: ns)
        for k in 0..<ns {
            var sum = [Double](repeating: 0, count: n), sum2 = sum
            for t in 0..<cine.frames {
                let s = cine.slice(k, frame: t)
                var i = 0
                for v in s {
                    minimum[k][i] = min(minimum[k][i], v)
                    sum[i] += Double(v); sum2[i] += Double(v) * Double(v); i += 1
                }
            }
            let f = Double(cine.frames)
            for i in 0..<n { sd[k][i] = Float(max(0, sum2[i] / f - sum[i] * sum[i] / (f * f)).squareRoot()) }
        }
        // Search centre: SD-weighted centroid of the strongly changing pixels of the stack (patient mm).
        let allSD = sd.flatMap { $0 }
        let sdLevel = 0.3 * Stats.percentile(allSD.filter { $0 > 0 }, 99.5)
        var acc = Vec3.zero, wsum = 0.0
        if sdLevel > 0 {
            for k in 0..<ns {
                let plane = SlicePlane(grid: cine.grid, slice: k)
                for j in 0..<h { for i in 0..<w where sd[k][j * w + i] > sdLevel {
                    let wt = Double(sd[k][j * w + i])
                    acc += plane.patient(plane.position(i, j)) * wt; wsum += wt
                } }
            }
        }
        let searchCentre: Vec3? = wsum > 0 ? acc / wsum : nil

        var candidates: [[Pool]] = []
        var slices: [SliceSearch?] = []
        for k in 0..<ns {
            let plane = SlicePlane(grid: cine.grid, slice: k)
            // The first phase (at the R-wave trigger, end-diastole) rather than the maximum over time: at the base the
            // maximum merges the LV pool with the atrium that moves into the slice in systole.
            let image = PlaneImage(volume: cine, slice: k, frame: 0)
            let systolic = PlaneImage(plane: plane, pixels: minimum[k])
            var inRegion = [Bool](repeating: true, count: n)
            if let c = searchCentre {
                let c2 = plane.inPlane(c).position
                for j in 0..<h { for i in 0..<w {
                    let d = plane.position(i, j) - c2
                    inRegion[j * w + i] = (d * d).sum() <= settings.searchRadiusMm * settings.searchRadiusMm
                } }
            }
            let values = (0..<n).filter { inRegion[$0] }.map { image.pixels[$0] }
            guard values.count > 16 else { candidates.append([]); slices.append(nil); continue }
            let threshold = Stats.otsu(values)
            candidates.append(pools(in: image, systolic: systolic, region: inRegion, threshold: threshold, slice: k))
            slices.append(SliceSearch(image: image, systolic: systolic, region: inRegion, threshold: threshold))
        }
        // A slice whose threshold differs from its chain neighbour's is searched again at the neighbour's level:
        // towards the apex the search region takes in the bright chest-wall fat, which lifts Otsu's threshold to the
        // blood level and leaves the small apical pool dark, or only its brightest core above it; or the region holds
        // so little blood that Otsu's threshold falls between lung and soft tissue, and the pool joins the soft tissue
        // round it into one region too large to be a pool (an independent generator's apical slices, where liver and
        // chest wall are about as bright as myocardium: docs/foreign-phantoms.md).
        // Memoised per slice and threshold: every seed's chain asks again for the same neighbour levels.
        var carriedPools: [Int: [Float: [Pool]]] = [:]
        let carried: (Pool, Int) -> [Pool] = { neighbour, k in
            guard let s = slices[k], neighbour.threshold != s.threshold else { return [] }
            if let known = carriedPools[k]?[neighbour.threshold] { return known }
            let found = pools(in: s.image, systolic: s.systolic, region: s.region, threshold: neighbour.threshold, slice: k)
            carriedPools[k, default: [:]][neighbour.threshold] = found
            return found
        }
        return try chain(candidates, grid: cine.grid, carried: carried)
    }

    /// One slice's search inputs, kept for a second search at a neighbour's threshold.
    private struct SliceSearch {
        var image: PlaneImage
        var systolic: PlaneImage
        var region: [Bool]
        var threshold: Float
    }

    /// Scored bright components of one slice.
    private func pools(in image: PlaneImage, systolic: PlaneImage, region: [Bool], threshold: Float, slice k: Int) -> [Pool] {
        let plane = image.plane
        let (w, h) = (plane.width, plane.height)
        let pixelArea = plane.dxMm * plane.dyMm
        var label = [Int32](repeating: 0, count: w * h)
        var result: [Pool] = []
        var next: Int32 = 0
        for start in 0..<(w * h) where label[start] == 0 && region[start] && image.pixels[start] > threshold {
            next += 1
            let members = ImageMorphology.floodFill(width: w, height: h, seed: start, labels: &label, label: next) {
                region[$0] && image.pixels[$0] > threshold
            }
            let area = Double(members.count) * pixelArea
            guard area >= min(settings.minPoolAreaMm2, settings.minContinuePoolAreaMm2), area <= settings.maxPoolAreaMm2 else { continue }
            var c = SIMD2<Double>(0, 0)
            for m in members { c += plane.position(m % w, m / w) }
            c /= Double(members.count)
            var rmax = 0.0
            for m in members { let d = plane.position(m % w, m / w) - c; rmax = max(rmax, (d * d).sum()) }
            rmax = rmax.squareRoot() + 0.5 * max(plane.dxMm, plane.dyMm)
            let compactness = min(1, area / (Double.pi * rmax * rmax))
            let req = (area / Double.pi).squareRoot()
            // Wall all round: along 24 rays, a stretch below the threshold within 25 mm past the pool's edge.
            var walled = 0
            for r in 0..<24 {
                let t = 2 * Double.pi * Double(r) / 24
                let d = SIMD2(cos(t), sin(t))
                var rho = 0.0, edge: Double? = nil, darkRun = 0.0
                let step = 0.5 * min(plane.dxMm, plane.dyMm)
                while rho < rmax + 25 {
                    let v = image.sample(c + d * rho)
                    if edge == nil { if v < threshold && rho > 0.3 * req { edge = rho } }
                    else if v < threshold { darkRun += step; if darkRun >= 3 { walled += 1; break } }
                    else if rho - edge! > 2 { darkRun = 0 }
                    rho += step
                }
            }
            let ringFraction = Double(walled) / 24
            // Systolic shrinkage: bright area around the centre in the minimum-over-time image.
            var systolicArea = 0.0
            for m in members where systolic.pixels[m] > threshold { systolicArea += pixelArea }
            let ratio = systolicArea / area
            if area < settings.minPoolAreaMm2 && ratio > settings.smallPoolSystolicRatio { continue }
            let shrink = min(1, 0.3 + 2 * max(0, 1 - ratio))
            let score = compactness * ringFraction * shrink
            result.append(Pool(slice: k, centre: c, radiusMm: req, score: score, threshold: threshold))
        }
        return result.sorted { $0.score > $1.score }
    }

    /// The chain of pools that continues along the stack with the largest total score. `carried(pool, k)` gives the
    /// pools of slice k found at `pool`'s threshold when that differs from slice k's own (else none).
    private func chain(_ candidates: [[Pool]], grid: ImageGrid, carried: (Pool, Int) -> [Pool]) throws -> [Pool] {
        let ns = candidates.count
        func patientCentre(_ p: Pool) -> Vec3 { SlicePlane(grid: grid, slice: p.slice).patient(p.centre) }
        func near(_ a: Pool, _ k: Int) -> Pool? {
            let plane = SlicePlane(grid: grid, slice: k)
            let q = plane.inPlane(patientCentre(a)).position
            let continues: (Pool) -> Bool = {
                let d = $0.centre - q
                return (d * d).sum().squareRoot() <= settings.maxCentreStepMm && $0.score >= settings.continueScore
            }
            let own = candidates[k].filter(continues).max { $0.score < $1.score }
            guard let atNeighbourLevel = carried(a, k).filter(continues).max(by: { $0.score < $1.score }) else { return own }
            guard let own else { return atNeighbourLevel }
            // The own threshold cut into the blood (only a bright core left): the pool at the neighbour's level.
            return own.radiusMm < settings.clippedPoolRadiusFraction * atNeighbourLevel.radiusMm ? atNeighbourLevel : own
        }
        var bestChain: [Pool] = [], bestTotal = 0.0
        for k in 0..<ns {
            for seed in candidates[k] where seed.score >= settings.minScore
                && Double.pi * seed.radiusMm * seed.radiusMm >= settings.minPoolAreaMm2 {
                var chain = [seed]
                var cur = seed
                var kk = k - 1
                while kk >= 0, let p = near(cur, kk) { chain.insert(p, at: 0); cur = p; kk -= 1 }
                cur = seed; kk = k + 1
                while kk < ns, let p = near(cur, kk) { chain.append(p); cur = p; kk += 1 }
                let total = chain.reduce(0) { $0 + $1.score }
                if total > bestTotal { bestTotal = total; bestChain = chain }
            }
        }
        guard !bestChain.isEmpty else {
            throw InputError("cine.nii.gz: no LV blood pool found (no round bright region with a wall all round that "
                + "shrinks in systole); is there a heart in the image?")
        }
        return bestChain
    }
}

/// Pixel-grid helpers: flood fill, morphological closing, convex hull and ray exits.
public enum ImageMorphology {
    /// 4-connected flood fill from `seed` over pixels where `inside` holds; marks them with `label`.
    static func floodFill(width w: Int, height h: Int, seed: Int, labels: inout [Int32], label: Int32,
                          inside: (Int) -> Bool) -> [Int] {
        var members: [Int] = []
        var stack = [seed]
        labels[seed] = label
        while let p = stack.popLast() {
            members.append(p)
            let i = p % w, j = p / w
            for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                let a = i + di, b = j + dj
                guard a >= 0, b >= 0, a < w, b < h else { continue }
                let q = b * w + a
                if labels[q] == 0 && inside(q) { labels[q] = label; stack.append(q) }
            }
        }
        return members
    }

    /// Morphological closing (dilation, then erosion) of a pixel set by a disk of `radiusMm` (pixel spacing `dxMm`,
    /// `dyMm`): fills the gaps and inward notches of the set narrower than the disk's diameter and keeps its broader
    /// concavities, unlike the convex hull. Returns a row-major mask; pixels beyond the image count as outside.
    public static func closing(_ members: [Int], width w: Int, height h: Int, dxMm: Double, dyMm: Double,
                               radiusMm: Double) -> [Bool] {
        var mask = [Bool](repeating: false, count: w * h)
        guard !members.isEmpty else { return mask }
        let ri = Int((radiusMm / dxMm).rounded(.down)), rj = Int((radiusMm / dyMm).rounded(.down))
        var disk: [(Int, Int)] = []
        for dj in -rj...rj { for di in -ri...ri {
            let x = Double(di) * dxMm, y = Double(dj) * dyMm
            if x * x + y * y <= radiusMm * radiusMm { disk.append((di, dj)) }
        } }
        var i0 = w, i1 = 0, j0 = h, j1 = 0
        for m in members { i0 = min(i0, m % w); i1 = max(i1, m % w); j0 = min(j0, m / w); j1 = max(j1, m / w) }
        var dilated = [Bool](repeating: false, count: w * h)
        for m in members {
            let i = m % w, j = m / w
            for (di, dj) in disk {
                let a = i + di, b = j + dj
                if a >= 0, b >= 0, a < w, b < h { dilated[b * w + a] = true }
            }
        }
        for j in max(0, j0 - rj)...min(h - 1, j1 + rj) {
            for i in max(0, i0 - ri)...min(w - 1, i1 + ri) where dilated[j * w + i] {
                mask[j * w + i] = disk.allSatisfy { (di, dj) in
                    let a = i + di, b = j + dj
                    return a >= 0 && b >= 0 && a < w && b < h && dilated[b * w + a]
                }
            }
        }
        for m in members { mask[m] = true }
        return mask
    }

    /// Convex hull (counter-clockwise, Andrew's monotone chain) of points (`convexHullIndices`).
    static func convexHull(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
        convexHullIndices(points).map { points[$0] }
    }

    /// Distance from `centre` to the farthest crossing of a closed polygon's boundary along direction d (unit);
    /// nil when the ray does not cross it (the polygon does not close around the centre).
    static func rayExit(polygon: [SIMD2<Double>], centre: SIMD2<Double>, direction d: SIMD2<Double>) -> Double? {
        guard polygon.count >= 3 else { return nil }
        var best: Double? = nil
        for i in 0..<polygon.count {
            let a = polygon[i], b = polygon[(i + 1) % polygon.count]
            let e = b - a
            let den = d.x * e.y - d.y * e.x
            guard abs(den) > 1e-12 else { continue }
            let ac = a - centre
            let t = (ac.x * e.y - ac.y * e.x) / den
            let u = (ac.x * d.y - ac.y * d.x) / den
            if t >= 0, u >= -1e-9, u <= 1 + 1e-9 { best = max(best ?? 0, t) }
        }
        return best
    }
}
