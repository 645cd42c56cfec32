import CRTCore
import Foundation
import Fourier

/// Stage 1b and 3: endocardial and epicardial contours of one slice, found at the first phase and tracked
/// through every phase of the cycle.
///
/// Method (boundary tracking, as clinical feature-tracking software follows the endo- and epicardial borders):
/// - optionally (`trackTranslation`), the slice's in-plane motion is tracked by FFT phase correlation of a window
///   around the LV against the first phase (`PhaseCorrelation`); by default the rays keep the slice's ED centre;
/// - the blood pool is the 4-connected region above the blood/myocardium level around the centre; its
///   morphological closing (`endocardiumClosingRadiusMm`; the convex hull where the closing cannot stand in for it)
///   bridges papillary muscles and trabeculae, which count as cavity (docs/pipeline.md);
/// - on each of `rayCount` rays the endocardium is the sub-pixel crossing of the blood/myocardium half level
///   nearest the closing's border, the epicardium the first crossing past the wall of the half level towards brighter tissue
///   (fat, RV blood) or darker tissue (lung, air), searched within `maxFrameStepMm` of the previous phase;
/// - a cyclic median over neighbouring rays replaces outliers.
/// Levels are measured on the slice itself: blood = median inside the pool, myocardium = median of the band
/// just outside the endocardium, dark = 5th percentile around the heart.
public struct WallTracker: Sendable {
    public struct Settings: Codable, Sendable, Equatable {
        public init() {}
        /// Rays per slice (3 degrees apart by default).
        public var rayCount = 120
        /// Radial sampling step along a ray (mm).
        public var radialStepMm = 0.25
        /// Wall thickness search range (mm).
        public var minWallMm = 2.0
        public var maxWallMm = 25.0
        /// Largest move of a border between consecutive phases (mm).
        public var maxFrameStepMm = 4.0
        /// A ray's border further than this from the median of its neighbours is replaced by that median (mm).
        public var outlierMm = 2.0
        /// Half-width of the cyclic median over rays (rays).
        public var medianHalfWidth = 3
        /// A slice shows myocardium all round at a phase when at least this fraction of rays found an epicardium.
        public var closedRingFraction = 0.8
        /// A slice whose myocardium-to-blood level ratio exceeds the stack's median ratio by more than this (as a
        /// fraction of the blood level) measured its myocardium band on the blood-to-wall transition, not on the wall:
        /// where the slice cuts the wall obliquely (apex, base) the band 1.5-4.5 mm beyond a first endocardium still
        /// holds blood by partial volume. It is tracked with the levels of its nearest slice that keeps its own (`stackLevels`);
        /// nil: each slice keeps its own levels.
        public var maxMyocardiumRatioExcess: Double? = 0.1
        /// Track in-plane translation of the heart by phase correlation and move the ray centre with it. Off by
        /// default: measured on the LBBB phantoms, the correlation follows the early septal contraction as if it were
        /// a translation, and the moving centre halved the measured spread of activation times (mid ring 58 ms
        /// instead of 115 ms); with the centre fixed per slice the times fall within about 5 ms of the phantom's values
        /// (measured by the `standard` scenario, outside this module).
        public var trackTranslation = false
        /// Median of each ray's border over three consecutive phases.
        public var temporalMedian = true
        /// Largest outward move of the epicardium from the first phase (mm).
        public var maxEpicardialOutwardMm = 1.0
        /// Papillary muscles and trabeculae joined to the wall only bulge the endocardial border inwards, over a few
        /// rays; the convex hull bridges them only where blood lies on their far side. Rays whose endocardium lies
        /// more than `papillaryToleranceMm` inside a smooth contour (Fourier series of the radius over angle up to
        /// `papillaryBridgeHarmonics`, refitted with those rays replaced) take the contour's radius, so these
        /// structures count as cavity (DOMAIN.md section 7) at every phase. 0 harmonics: off, the default.
        /// Measured on `standard` with 4 harmonics and 1 mm (and an earlier stopping rule: once the set of bridged
        /// rays was stable): the early activation bias of the papillary sectors
        /// (mid 240-270 degrees, LBBB preset) fell from -24 to -5 ms, EDV / ESV errors fell, activation MAE 4.07 ->
        /// 3.60 ms; but it uncovered a late bias of the apical lateral segments (+16 to +19 ms) that the papillary
        /// bias had hidden, and targets moved apical (exact 0.80 -> 0.60). Worth enabling once apical strain is
        /// measured normal to the curved wall.
        public var papillaryBridgeHarmonics = 0
        public var papillaryToleranceMm = 1.0
        /// The endocardium is sought near the convex hull of the blood pool, which bridges papillary muscles and
        /// trabeculae. Beside an outward bulge of the pool (a dyskinetic scar at end-systole) the hull's chord runs
        /// through the neighbouring wall, which then measured as thinning. With this tolerance (mm), a ray's
        /// endocardium lies more than it outside the ray's end-diastolic endocardium only where the pool itself
        /// reaches; otherwise it is held at the farther of that position and the pool's own border on the ray.
        /// nil: no such limit.
        public var maxOutwardEndocardiumMm: Double? = 1.0
        /// The endocardium is sought near the pool's morphological closing by a disk of this radius (mm) instead of
        /// its convex hull (nil: the hull everywhere). The closing bridges papillary muscles and trabeculae narrower
        /// than the disk's diameter, as the hull does, but keeps the broad concavity that contracting wall leaves
        /// beside a segment that does not contract, where the hull's chord runs through the contracting wall and the
        /// segment reads as akinetic (docs/pipeline.md "Endocardium near the pool's closing"). 7 mm: the disk spans
        /// the largest normal papillary muscle, 11 mm across (mean 7 +- 2 mm, hypertrophy above mean + 2 SD: "Solitary
        /// papillary muscle hypertrophy as a possible form of hypertrophic cardiomyopathy", 40 healthy subjects on
        /// echocardiography), plus a pixel of partial volume on either side.
        public var endocardiumClosingRadiusMm: Double? = 7.0
        /// Where the closing's border lies deeper than this inside the hull (mm), the hull is kept: the endocardium of
        /// contracting wall lies inside its neighbour's by at most its systolic thickening, at most about 45-49 % of a
        /// 10-13 mm wall (normal radial strain, mean + 2 SD; docs/pipeline.md), about 6 mm; deeper is a papillary muscle lying
        /// against the wall at end-systole (a broad bulge the closing does not bridge) or a channel the closing
        /// follows (outflow tract, atrium at the base).
        public var closingMaxInsideHullMm = 6.0
        /// Rays on which the first phase's pool ends at least this far (mm) inside its hull, or on which at a later
        /// phase the closing bridges at least this far beyond the pool's own border (a papillary muscle or trabeculae
        /// with blood beside them; 3 mm, the smallest normal papillary muscle, mean 7 - 2 SD of 2 mm), keep the hull
        /// from that phase on, with `closingPapillaryMarginRays` rays either side (6 degrees at 120 rays; the muscle
        /// thickens in systole): a papillary muscle at end-systole can lie against the wall with no blood between
        /// them. The concavity beside a segment that does not contract is broad and never bridged, so never marked.
        public var closingPapillaryMinMm = 3.0
        public var closingPapillaryMarginRays = 2
    }

    /// Area (mm2) enclosed by a contour given as radii (mm) on equally spaced rays about its centre.
    public static func enclosedAreaMm2(radii: [Double]) -> Double {
        let dphi = 2 * Double.pi / Double(radii.count)
        return radii.reduce(0) { $0 + 0.5 * $1 * $1 * dphi }
    }

    /// Contours of one slice over the cycle.
    struct SliceWall: Sendable {
        let slice: Int
        let plane: SlicePlane
        /// Ray centre per phase (in-plane mm).
        var centres: [SIMD2<Double>]
        /// Endocardial and epicardial radius per phase and ray (mm).
        var endo: [[Double]]
        var epi: [[Double]]
        /// Whether an epicardial border was found all round at each phase (`closedRingFraction` of the rays).
        var closed: [Bool]
        /// Whether myocardial intensity lies just outside the endocardium all round at each phase
        /// (`BasalSlices.myocardialRays`, arc of at least `BasalSlices.Settings.closedFraction`; set by `LVGeometry`,
        /// empty: not tested). It holds where the epicardium has no edge to find: a wall against liver or chest wall
        /// of about the myocardium's brightness on bSSFP.
        var myocardialRing: [Bool] = []
        /// Whether the slice still cuts the LV at each phase (set by `LVGeometry`): closed, a cavity, a plausible wall.
        var valid: [Bool] = []
        /// What the contour encloses at each phase and the fraction of its cavity area that counts as LV (set by
        /// `LVGeometry` from `BasalSlices`; empty: the LV cavity, whole).
        var content: [BasalSlices.Content] = []
        var areaFraction: [Double] = []
        /// Whether the contour ran through the valve plane at each phase (far larger than its apical neighbour's, see
        /// `BasalSlices.Settings.maxAreaRatioToApicalNeighbour`): its own area says nothing of the LV's (set by
        /// `LVGeometry`; empty: none did).
        var leaked: [Bool] = []
        /// Cavity area (mm2) counted as LV at a phase: the contour's, times `areaFraction`.
        func lvCavityAreaMm2(frame t: Int) -> Double {
            cavityAreaMm2(frame: t) * (areaFraction.isEmpty ? 1 : areaFraction[t])
        }
        /// Signal levels: blood pool, myocardium, dark surroundings.
        var bloodLevel: Float, myocardiumLevel: Float, darkLevel: Float

        var rayCount: Int { endo.first?.count ?? 0 }
        /// Cavity area (mm2) at a phase: the area inside the endocardial contour.
        func cavityAreaMm2(frame t: Int) -> Double { WallTracker.enclosedAreaMm2(radii: endo[t]) }
        /// Myocardial area (mm2) at a phase.
        func wallAreaMm2(frame t: Int) -> Double {
            let dphi = 2 * Double.pi / Double(rayCount)
            return zip(endo[t], epi[t]).reduce(0) { $0 + 0.5 * ($1.1 * $1.1 - $1.0 * $1.0) * dphi }
        }
        /// Unit in-plane direction of ray r.
        func direction(_ r: Int) -> SIMD2<Double> {
            let t = 2 * Double.pi * Double(r) / Double(rayCount)
            return SIMD2(cos(t), sin(t))
        }
    }

    let settings: Settings

    /// A slice's intensity levels on its first phase (signal units): blood inside the pool, myocardium in a band
    /// 1.5-4.5 mm beyond a first endocardium, dark the 5th percentile around the heart.
    struct Levels: Sendable { var blood: Float, myocardium: Float, dark: Float }

    /// The radius (mm) around the pool centre within which a slice is searched.
    func maxRadiusMm(_ pool: LVLocalization.Pool) -> Double { pool.radiusMm * 1.8 + settings.maxWallMm + 10 }

    /// Measures a slice's levels on its first phase (`Levels`).
    func levels(cine: ImageVolume<Float>, pool: LVLocalization.Pool) -> Levels {
        let first = PlaneImage(volume: cine, slice: pool.slice, frame: 0)
        let plane = first.plane
        let maxRadius = maxRadiusMm(pool)
        let hull0 = hull(of: poolMembers(first, seed: pool.centre, level: pool.threshold, limitMm: maxRadius), plane: plane)
        let prof0 = RayProfiles(image: first, centre: pool.centre, rayCount: settings.rayCount,
                                stepMm: settings.radialStepMm, maxRadiusMm: maxRadius)
        var bloodSamples: [Float] = [], wallSamples: [Float] = []
        for r in 0..<settings.rayCount {
            let rh = hullRadius(hull0, centre: pool.centre, ray: r)
            var rho = 0.0
            while rho < 0.6 * rh { bloodSamples.append(prof0.value(ray: r, radiusMm: rho)); rho += settings.radialStepMm }
            let en = prof0.lastDownwardCrossing(ray: r, level: pool.threshold, fromMm: rh - 2.5, toMm: rh + 2.5) ?? rh
            rho = en + 1.5
            while rho < en + 4.5 { wallSamples.append(prof0.value(ray: r, radiusMm: rho)); rho += settings.radialStepMm }
        }
        var around: [Float] = []
        for j in 0..<plane.height { for i in 0..<plane.width {
            let d = plane.position(i, j) - pool.centre
            if (d * d).sum() <= maxRadius * maxRadius { around.append(first.value(i, j)) }
        } }
        return Levels(blood: bloodSamples.isEmpty ? pool.threshold * 1.5 : Stats.median(bloodSamples),
                      myocardium: wallSamples.isEmpty ? pool.threshold * 0.5 : Stats.median(wallSamples),
                      dark: Stats.percentile(around, 5))
    }

    /// Tracks one slice through the cycle with its levels (`levels(cine:pool:)`, after `stackLevels`).
    func track(cine: ImageVolume<Float>, pool: LVLocalization.Pool, levels: Levels) -> SliceWall {
        let k = pool.slice
        let frames = cine.frames
        let first = PlaneImage(volume: cine, slice: k, frame: 0)
        let plane = first.plane
        let maxRadius = maxRadiusMm(pool)
        let blood = levels.blood, myo = levels.myocardium, dark = levels.dark
        let bloodMyoLevel = 0.5 * (blood + myo)
        let darkLevel = 0.5 * (myo + dark)

        let window = WindowCorrelator(plane: plane, centre: pool.centre, radiusMm: pool.radiusMm + settings.maxWallMm)
        let reference = window.map(first.pixels)
        var wall = SliceWall(slice: k, plane: plane, centres: [], endo: [], epi: [], closed: [],
                             bloodLevel: blood, myocardiumLevel: myo, darkLevel: dark)
        var prevEpi: [Double]? = nil
        var papillaryRays = [Bool](repeating: false, count: settings.rayCount)
        for t in 0..<frames {
            let image = t == 0 ? first : PlaneImage(volume: cine, slice: k, frame: t)
            var centre = pool.centre
            if settings.trackTranslation && t > 0 {
                centre += window.shiftMm(reference: reference, moving: window.map(image.pixels))
            }
            let members = poolMembers(image, seed: centre, level: bloodMyoLevel, limitMm: maxRadius)
            let hull = hull(of: members, plane: plane)
            let closed = settings.endocardiumClosingRadiusMm.map {
                ImageMorphology.closing(members, width: plane.width, height: plane.height, dxMm: plane.dxMm,
                                        dyMm: plane.dyMm, radiusMm: $0)
            }
            // The pool as a mask, for the rules that walk it along a ray.
            let outwardLimited = settings.maxOutwardEndocardiumMm != nil && t > 0
            var inPool: [Bool] = []
            if closed != nil || outwardLimited {
                inPool = [Bool](repeating: false, count: plane.width * plane.height)
                for m in members { inPool[m] = true }
            }
            if closed != nil && t == 0 {
                // Tissue the hull bridges at the first phase, before the wall contracts: papillary muscles, trabeculae.
                for r in 0..<settings.rayCount
                where hullRadius(hull, centre: centre, ray: r) - firstPoolExitMm(inPool, plane: plane, centre: centre, ray: r)
                    >= settings.closingPapillaryMinMm {
                    markWithMargin(r, &papillaryRays)
                }
            }
            let prof = RayProfiles(image: image, centre: centre, rayCount: settings.rayCount,
                                   stepMm: settings.radialStepMm, maxRadiusMm: maxRadius)
            var endo = [Double](repeating: 0, count: settings.rayCount)
            var epi = [Double](repeating: .nan, count: settings.rayCount)
            var found = 0
            var bridgedNow: [Int] = []
            for r in 0..<settings.rayCount {
                let rHull = hullRadius(hull, centre: centre, ray: r)
                // The closing lies inside the hull: its last pixel on the ray, within reach of the hull's border.
                let rClosed = closed.map { poolExitMm($0, plane: plane, centre: centre, ray: r, maxMm: rHull + 2.5) } ?? 0
                let rh = rClosed > 0 && !papillaryRays[r] && rHull - rClosed <= settings.closingMaxInsideHullMm ? rClosed : rHull
                // From this phase on, a ray on which the closing bridges a papillary muscle (blood beside it still)
                // keeps the hull: later in systole the muscle may lie against the wall.
                if t > 0, rClosed > 0,
                   rClosed - firstPoolExitMm(inPool, plane: plane, centre: centre, ray: r)
                    >= settings.closingPapillaryMinMm {
                    bridgedNow.append(r)
                }
                let en = rh > 0
                    ? (prof.lastDownwardCrossing(ray: r, level: bloodMyoLevel, fromMm: rh - 2.5, toMm: rh + 2.5) ?? rh)
                    : 0
                endo[r] = max(0, en)
                // Outside its end-diastolic position only where the pool itself reaches (not a hull chord).
                if let tolerance = settings.maxOutwardEndocardiumMm, outwardLimited, let ed = wall.endo.first?[r],
                   endo[r] > ed + tolerance {
                    let exit = poolExitMm(inPool, plane: plane, centre: centre, ray: r, maxMm: rh + 2.5)
                    let border = exit > 0
                        ? (prof.lastDownwardCrossing(ray: r, level: bloodMyoLevel, fromMm: exit - 2.5, toMm: exit + 2.5) ?? exit)
                        : 0
                    let limit = max(ed, border)
                    if endo[r] > limit + tolerance { endo[r] = limit }
                }
                // Epicardium: first searched near the previous phase's border, then over the whole wall range.
                let from = endo[r] + settings.minWallMm, to = endo[r] + settings.maxWallMm
                var windows = [(from, to)]
                if let p = prevEpi?[r], p.isFinite {
                    windows.insert((max(from, p - settings.maxFrameStepMm), min(to, p + settings.maxFrameStepMm)), at: 0)
                }
                for (a, b) in windows where b > a {
                    let up = prof.firstCrossing(ray: r, level: bloodMyoLevel, downward: false, fromMm: a, toMm: b)
                    let down = prof.firstCrossing(ray: r, level: darkLevel, downward: true, fromMm: a, toMm: b)
                    if let e = [up, down].compactMap({ $0 }).min() { epi[r] = e; found += 1; break }
                }
            }
            for r in bridgedNow { markWithMargin(r, &papillaryRays) }
            endo = bridgeInwardBulges(clean(endo))
            epi = clean(epi)
            for r in 0..<settings.rayCount where !(epi[r] > endo[r] + settings.minWallMm * 0.5) {
                epi[r] = endo[r] + settings.minWallMm * 0.5
            }
            wall.centres.append(centre)
            wall.endo.append(endo); wall.epi.append(epi)
            wall.closed.append(Double(found) / Double(settings.rayCount) >= settings.closedRingFraction)
            prevEpi = epi
        }
        // The epicardium moves inwards in systole (the heart's outer volume falls); a border found further out than
        // at the first phase by more than `maxEpicardialOutwardMm` has slipped to the next edge (a thin RV blood
        // layer fading by partial volume, fat) and is held there.
        for t in 1..<frames {
            for r in 0..<settings.rayCount {
                wall.epi[t][r] = min(wall.epi[t][r], wall.epi[0][r] + settings.maxEpicardialOutwardMm)
            }
        }
        // Temporal median over three consecutive phases (cyclic) per ray removes single-phase glitches.
        if frames >= 3 && settings.temporalMedian {
            for (path, values) in [(\SliceWall.endo, wall.endo), (\SliceWall.epi, wall.epi)] {
                var filtered = values
                for t in 0..<frames {
                    let a = values[(t - 1 + frames) % frames], c = values[(t + 1) % frames]
                    for r in 0..<settings.rayCount { filtered[t][r] = Self.median3(a[r], values[t][r], c[r]) }
                }
                wall[keyPath: path] = filtered
            }
        }
        return wall
    }

    /// The levels of the stack's slices with the outliers replaced: a slice whose myocardium-to-blood ratio exceeds
    /// the stack's median ratio by more than `maxMyocardiumRatioExcess` takes the blood and myocardium levels of the
    /// nearest slice of the stack that keeps its own (bSSFP myocardium and blood keep their ratio from slice to slice;
    /// the receive-coil shading, which scales both, changes little between neighbouring slices). The neighbour's
    /// levels, not the slice's own blood: a slab that reaches past the apex shows no full blood level, and the
    /// centre-plane border lies at the half level between the full blood and myocardium levels.
    func stackLevels(_ levels: [Levels], slices: [Int]) -> [Levels] {
        guard let excess = settings.maxMyocardiumRatioExcess, levels.count >= 3 else { return levels }
        let ratios = levels.map { Double($0.myocardium) / max(Double($0.blood), 1e-12) }
        let median = Stats.median(ratios)
        let outliers = Set(levels.indices.filter { ratios[$0] > median + excess })
        guard outliers.count < levels.count else { return levels }
        var out = levels
        for i in outliers.sorted() {
            let j = levels.indices.filter { !outliers.contains($0) }.min { abs(slices[$0] - slices[i]) < abs(slices[$1] - slices[i]) }!
            out[i].blood = levels[j].blood; out[i].myocardium = levels[j].myocardium
        }
        return out
    }

    static func median3(_ a: Double, _ b: Double, _ c: Double) -> Double { max(min(a, b), min(max(a, b), c)) }

    /// The endocardial radii with inward bulges (papillary muscles, trabeculae) replaced by a smooth contour: a
    /// Fourier series over the rays' angles up to `papillaryBridgeHarmonics`, fitted to the radii with the bulging
    /// rays replaced by the previous fit, until no ray moves by 0.005 mm (at most 50 rounds).
    func bridgeInwardBulges(_ radii: [Double]) -> [Double] {
        Self.bridgeInwardBulges(radii, harmonics: settings.papillaryBridgeHarmonics, toleranceMm: settings.papillaryToleranceMm)
    }

    /// `bridgeInwardBulges` on equally spaced rays' radii (mm), with its settings as arguments.
    public static func bridgeInwardBulges(_ radii: [Double], harmonics maxHarmonics: Int, toleranceMm: Double) -> [Double] {
        let n = radii.count, harmonics = min(maxHarmonics, (n - 1) / 2)
        guard harmonics > 0, n >= 8 else { return radii }
        let angles = (0..<n).map { 2 * Double.pi * Double($0) / Double(n) }
        func smooth(_ x: [Double]) -> [Double] {
            // Rays are equally spaced, so the truncated discrete Fourier series is the least-squares fit.
            var out = [Double](repeating: x.reduce(0, +) / Double(n), count: n)
            for k in 1...harmonics {
                var a = 0.0, b = 0.0
                for (r, v) in x.enumerated() { a += v * cos(Double(k) * angles[r]); b += v * sin(Double(k) * angles[r]) }
                a *= 2 / Double(n); b *= 2 / Double(n)
                for r in 0..<n { out[r] += a * cos(Double(k) * angles[r]) + b * sin(Double(k) * angles[r]) }
            }
            return out
        }
        var working = radii
        for _ in 0..<50 {
            let fit = smooth(working)
            let next = (0..<n).map { radii[$0] < fit[$0] - toleranceMm ? fit[$0] : radii[$0] }
            let change = zip(next, working).map { abs($0 - $1) }.max() ?? 0
            working = next
            if change < 0.005 { break }
        }
        return working
    }

    /// Replaces rays further than `outlierMm` from the cyclic median of their neighbours (and NaN rays).
    private func clean(_ x: [Double]) -> [Double] {
        let m = Stats.cyclicMedian(x, half: settings.medianHalfWidth)
        return zip(x, m).map { v, med in
            guard med.isFinite else { return v.isFinite ? v : 0 }
            return (v.isFinite && abs(v - med) <= settings.outlierMm) ? v : med
        }
    }

    /// Convex hull of a blood pool's pixels (`poolMembers`; pixel centres, in-plane mm); empty if no pool.
    private func hull(of members: [Int], plane: SlicePlane) -> [SIMD2<Double>] {
        ImageMorphology.convexHull(members.map { plane.position($0 % plane.width, $0 / plane.width) })
    }

    /// The blood pool connected to the seed (pixel indices); empty if none.
    private func poolMembers(_ image: PlaneImage, seed: SIMD2<Double>, level: Float, limitMm: Double) -> [Int] {
        let plane = image.plane
        let (w, h) = (plane.width, plane.height)
        let px = plane.pixel(seed)
        var best: Int? = nil, bestD = Double.infinity
        let search = Int((6 / min(plane.dxMm, plane.dyMm)).rounded(.up))
        let ci = Int(px.x.rounded()), cj = Int(px.y.rounded())
        for j in max(0, cj - search)...min(h - 1, max(0, cj + search)) {
            for i in max(0, ci - search)...min(w - 1, max(0, ci + search)) where image.value(i, j) > level {
                let d = plane.position(i, j) - seed
                let dd = (d * d).sum()
                if dd < bestD && dd <= 36 { bestD = dd; best = j * w + i }
            }
        }
        guard let start = best else { return [] }
        var labels = [Int32](repeating: 0, count: w * h)
        return ImageMorphology.floodFill(width: w, height: h, seed: start, labels: &labels, label: 1) { q in
            guard image.pixels[q] > level else { return false }
            let d = plane.position(q % w, q / w) - seed
            return (d * d).sum() <= limitMm * limitMm
        }
    }

    /// Distance from `centre` along ray r to the last point within `maxMm` whose nearest pixel belongs to the pool
    /// (`inPool`, row-major); 0 when none.
    private func poolExitMm(_ inPool: [Bool], plane: SlicePlane, centre: SIMD2<Double>, ray r: Int, maxMm: Double) -> Double {
        let t = 2 * Double.pi * Double(r) / Double(settings.rayCount)
        let d = SIMD2(cos(t), sin(t))
        var last = 0.0, rho = 0.0
        while rho <= maxMm {
            let p = centre + d * rho
            let i = Int((p.x / plane.dxMm).rounded()), j = Int((p.y / plane.dyMm).rounded())
            if i >= 0, j >= 0, i < plane.width, j < plane.height, inPool[j * plane.width + i] { last = rho }
            rho += settings.radialStepMm
        }
        return last
    }

    /// Marks ray r and `closingPapillaryMarginRays` rays either side (cyclic).
    private func markWithMargin(_ r: Int, _ marks: inout [Bool]) {
        let m = settings.closingPapillaryMarginRays, n = settings.rayCount
        for d in -m...m { marks[((r + d) % n + n) % n] = true }
    }

    /// Distance from `centre` along ray r to where the pool (`inPool`, row-major) is first left (mm).
    private func firstPoolExitMm(_ inPool: [Bool], plane: SlicePlane, centre: SIMD2<Double>, ray r: Int) -> Double {
        let t = 2 * Double.pi * Double(r) / Double(settings.rayCount)
        let d = SIMD2(cos(t), sin(t))
        var rho = 0.0
        while true {
            let p = centre + d * rho
            let i = Int((p.x / plane.dxMm).rounded()), j = Int((p.y / plane.dyMm).rounded())
            guard i >= 0, j >= 0, i < plane.width, j < plane.height, inPool[j * plane.width + i] else { return rho }
            rho += settings.radialStepMm
        }
    }

    private func hullRadius(_ hull: [SIMD2<Double>], centre: SIMD2<Double>, ray r: Int) -> Double {
        let t = 2 * Double.pi * Double(r) / Double(settings.rayCount)
        return ImageMorphology.rayExit(polygon: hull, centre: centre, direction: SIMD2(cos(t), sin(t))) ?? 0
    }
}

/// A square window around the LV for phase correlation (power-of-two side, clipped to the image).
struct WindowCorrelator {
    let plane: SlicePlane
    let side: Int
    let i0: Int, j0: Int

    init(plane: SlicePlane, centre: SIMD2<Double>, radiusMm: Double) {
        self.plane = plane
        let needed = Int((2 * radiusMm / min(plane.dxMm, plane.dyMm)).rounded(.up))
        var s = 32
        while s < needed && s < 256 { s *= 2 }
        side = min(s, plane.width, plane.height)
        let px = plane.pixel(centre)
        i0 = min(max(0, Int(px.x) - side / 2), plane.width - side)
        j0 = min(max(0, Int(px.y) - side / 2), plane.height - side)
    }

    func map(_ pixels: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: side * side)
        for j in 0..<side { for i in 0..<side { out[j * side + i] = pixels[(j0 + j) * plane.width + i0 + i] } }
        return out
    }

    /// In-plane shift (mm) of `moving` relative to `reference`; zero when the correlation is weak or the shift
    /// implausibly large.
    func shiftMm(reference: [Float], moving: [Float]) -> SIMD2<Double> {
        let s = PhaseCorrelation.shift(reference: reference, moving: moving, rows: side, columns: side)
        let d = SIMD2(s.columns * plane.dxMm, s.rows * plane.dyMm)
        return (s.peak > 0.05 && (d * d).sum() < 15 * 15) ? d : .zero
    }
}
