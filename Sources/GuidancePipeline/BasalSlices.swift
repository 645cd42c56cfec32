import CRTCore
import Foundation

/// What a basal short-axis contour encloses at one phase, decided as a reader does (SCMR post-processing
/// recommendations, Schulz-Menger et al., JCMR 2020: a basal slice counts as LV when its blood pool is surrounded by
/// at least 50 % myocardium; the LV outflow tract counts as LV blood pool).
///
/// Method: along each ray a band just outside the endocardial contour is sampled; the ray meets myocardium when most
/// of the band lies between the myocardium/dark and blood/myocardium half levels, the blood level being that of the
/// pool inside the contour at that phase (the thin atrial wall, fat, lung or blood beyond the contour fail). Gaps shorter than `minGapDegrees` are closed (a vein, noise) and the longest
/// cyclic run of myocardial rays is the myocardial arc. Then:
/// - arc >= `closedFraction` of the circumference: the LV cavity, counted whole;
/// - a gap that is already there at end-diastole (anatomical, so it does not open with the base's descent) with an
///   arc of at least `outflowMinFraction` (SCMR's 50 %): the outflow tract, counted whole as LV;
/// - a gap that opens during the cycle with an arc of at least `atriumBelowFraction`: the base has partly left the
///   slice; the slice counts the cavity on the ventricular side of the chord joining the endocardial ends of the
///   arc (the valve ring spans the gap), a partial area rather than all or nothing;
/// - otherwise the atrium: myocardium no longer closes around the pool, nothing counts; so too a contour that does
///   not enclose the slice's LV axis (a pool beside it, such as the atrium or the aortic root once the base has left).
/// Continuity along the stack (`LVGeometry`): at each phase a basal contour much larger than its apical neighbour
/// has leaked into the atrium and counts only as much as that neighbour (`maxAreaRatioToApicalNeighbour`), and a
/// slice basal to one decided atrium is atrium too.
public enum BasalSlices {
    public struct Settings: Codable, Sendable, Equatable {
        public init() {}
        /// Band sampled outside the endocardium: from this distance (mm, past the endocardial partial-volume edge)...
        public var bandFromMm = 1.0
        /// ...to this fraction of the reference wall thickness (median end-diastolic wall of the stack), held
        /// between `bandMinMm` and `bandMaxMm` (a thin atrial wall, 2-3 mm, covers less than half of it).
        public var bandWallFraction = 0.5
        public var bandMinMm = 2.5
        public var bandMaxMm = 5.0
        /// A ray meets myocardium when at least this fraction of its band lies in the myocardium's intensity range.
        public var rayMyocardialFraction = 2.0 / 3.0
        /// Gaps in the myocardial arc shorter than this are closed (degrees).
        public var minGapDegrees = 15.0
        /// Arc fractions of the circumference: at least `closedFraction` is a closed ring; an anatomical gap with at
        /// least `outflowMinFraction` is the outflow tract; below `atriumBelowFraction` the atrium.
        public var closedFraction = 0.9
        public var outflowMinFraction = 0.5
        public var atriumBelowFraction = 0.25
        /// A gap is anatomical when at least this fraction of its rays is also outside the arc at end-diastole.
        public var anatomicalGapOverlap = 0.5
        /// A ray whose endocardium lies within this distance of the slice's LV axis (the rays' centre) crosses no
        /// blood pool; a contour with more than 1 - `closedFraction` of such rays does not enclose the LV axis (a pool
        /// beside it: atrium, aortic root) and is atrium (mm).
        public var minCavityRadiusMm = 1.0
        /// Contour leak: a basal contour whose cavity is more than this multiple of the next slice's towards the apex
        /// (same phase; that slice's trend from the one below it when larger, and its LV rather than its contour when
        /// it leaked too) has run through the valve plane into the atrium or the aortic root; its LV part is taken as
        /// large as that next slice's cavity (counted as partly left). The LV's
        /// cross-section changes smoothly along its axis (a prolate shape truncated above its equator narrows
        /// towards the base), so no real basal slice is half as large again as its neighbour; blood-pool
        /// segmentation leaking at the base is the usual failure this guards against. 0 turns the check off.
        public var maxAreaRatioToApicalNeighbour = 1.5
        /// Where a leaked slice's myocardial ring is sought along each ray (`leakProbe`), as fractions of the apical
        /// neighbour's endocardial radius: the LV narrows towards the annulus (a basal cross-section 60-70 % of the
        /// one below at the hinge), and a stack tilted from the long axis by up to about 15 degrees moves the wall by
        /// up to a fifth of the radius on one side.
        public var leakSearchInner = 0.6
        public var leakSearchOuter = 1.2
        /// A basal contour (not already judged atrium) whose median wall is thinner than this fraction of its
        /// end-diastolic wall, at a phase when the mid-ventricular slices' walls are thicker than at end-diastole
        /// (systole), no longer cuts the LV: myocardium is nearly incompressible, so where the cavity shrinks the LV
        /// wall thickens, and a ring that thins while the rest of the LV thickens holds less tissue than the slab did,
        /// the base having moved out of it (the atrial wall, stretched as the atrium fills in ventricular systole,
        /// with the groove tissue round it, can look like a closed myocardial ring). Even the most impaired LV's
        /// global systolic wall thickening stays positive; dyskinesia thins a segment, not the ring's median.
        /// nil: off.
        public var minSystolicWallRatio: Double? = 0.8
    }

    public enum Content: String, Codable, Sendable { case lvCavity, outflowTract, partlyLeft, atrium }

    public struct Decision: Sendable, Equatable {
        public var content: Content
        /// Myocardial arc as a fraction of the circumference.
        public var arcFraction: Double
        /// Fraction of the contour's cavity area that counts as LV (1, 0, or the chord part when partly left).
        public var areaFraction: Double
        /// First ray and length (rays) of the myocardial arc.
        public var arcStart: Int, arcLength: Int
    }

    /// Intensity window of myocardium around a contour (radii per ray): between the half level to the blood of the
    /// pool it encloses (median over the inner 60 % of its radius; a contour that has caught a darker pool, atrial
    /// blood dimmed by through-plane partial volume, is judged against that pool, so the pool's own surroundings are
    /// not taken for myocardium; the slice's blood level when nothing is inside) and the half level to the dark
    /// surroundings; and the width of the band tested beyond an edge (mm).
    private static func myocardialWindow(centre: SIMD2<Double>, radii: [Double], referenceWallMm: Double,
                                         blood: Float, myocardium: Float, dark: Float, settings: Settings,
                                         sample: (SIMD2<Double>) -> Float) -> (upper: Float, lower: Float, bandMm: Double) {
        let n = radii.count
        var inside: [Float] = []
        for r in stride(from: 0, to: n, by: max(1, n / 60)) {
            let d = direction(r, of: n)
            var rho = 0.0
            while rho < 0.6 * radii[r] { inside.append(sample(centre + d * rho)); rho += 0.5 }
        }
        let pool = inside.isEmpty ? blood : Stats.median(inside)
        return (0.5 * (pool + myocardium), 0.5 * (myocardium + dark),
                clamp(settings.bandWallFraction * referenceWallMm, settings.bandMinMm, settings.bandMaxMm))
    }

    /// Whether the band from `bandFromMm` beyond an edge at `edgeMm` along `d` lies in the myocardial window for at
    /// least `rayMyocardialFraction` of its 0.5 mm samples.
    private static func bandIsMyocardial(centre: SIMD2<Double>, _ d: SIMD2<Double>, edgeMm: Double,
                                         window: (upper: Float, lower: Float, bandMm: Double), settings: Settings,
                                         sample: (SIMD2<Double>) -> Float) -> Bool {
        var inside = 0, total = 0
        var rho = edgeMm + settings.bandFromMm
        while rho <= edgeMm + settings.bandFromMm + window.bandMm {
            let v = sample(centre + d * rho)
            if v < window.upper && v > window.lower { inside += 1 }
            total += 1; rho += 0.5
        }
        return total > 0 && Double(inside) >= settings.rayMyocardialFraction * Double(total)
    }

    private static func direction(_ r: Int, of n: Int) -> SIMD2<Double> {
        let a = 2 * Double.pi * Double(r) / Double(n)
        return SIMD2(cos(a), sin(a))
    }

    /// Whether each ray meets myocardium just outside the endocardium. Rays are equally spaced, ray r at angle
    /// 2 pi r / n from the in-plane column axis; `sample` reads the image at an in-plane position (mm).
    public static func myocardialRays(centre: SIMD2<Double>, endo: [Double], referenceWallMm: Double,
                                      blood: Float, myocardium: Float, dark: Float, settings: Settings,
                                      sample: (SIMD2<Double>) -> Float) -> [Bool] {
        let n = endo.count
        let window = myocardialWindow(centre: centre, radii: endo, referenceWallMm: referenceWallMm, blood: blood,
                                      myocardium: myocardium, dark: dark, settings: settings, sample: sample)
        return (0..<n).map { r in
            endo[r] >= settings.minCavityRadiusMm
                && bandIsMyocardial(centre: centre, direction(r, of: n), edgeMm: endo[r], window: window,
                                    settings: settings, sample: sample)
        }
    }

    /// The myocardial ring of a slice whose own contour leaked, sought along each ray near a guide contour (the
    /// apical neighbour's endocardium, mm per ray): from `leakSearchInner` to `leakSearchOuter` times the guide radius,
    /// the first place where the pool (inside 0.6 of the guide, as in `myocardialRays`) gives way to a band of
    /// myocardial intensity as `myocardialRays` tests it. Returns per ray whether it met myocardium and the
    /// endocardial radius there (the guide's where it did not). A stack tilted from the long axis or an LV that narrows
    /// towards the annulus puts the wall at another distance on every side, which one scale of the guide cannot follow.
    public static func leakProbe(centre: SIMD2<Double>, guide: [Double], referenceWallMm: Double,
                                 blood: Float, myocardium: Float, dark: Float, settings: Settings,
                                 sample: (SIMD2<Double>) -> Float) -> (myocardial: [Bool], endo: [Double]) {
        let n = guide.count
        let window = myocardialWindow(centre: centre, radii: guide, referenceWallMm: referenceWallMm, blood: blood,
                                      myocardium: myocardium, dark: dark, settings: settings, sample: sample)
        var myocardial = [Bool](repeating: false, count: n), endo = guide
        for r in 0..<n {
            let d = direction(r, of: n)
            var rho = settings.leakSearchInner * guide[r]
            var wasPool = false
            while rho <= settings.leakSearchOuter * guide[r] {
                if sample(centre + d * rho) >= window.upper { wasPool = true; rho += 0.5; continue }
                // Pool to wall: the band beyond this edge decides, as in `myocardialRays`.
                if wasPool {
                    if bandIsMyocardial(centre: centre, d, edgeMm: rho, window: window, settings: settings, sample: sample) {
                        myocardial[r] = true; endo[r] = rho
                        break
                    }
                    wasPool = false
                }
                rho += 0.5
            }
        }
        return (myocardial, endo)
    }

    /// The decision at one phase from the myocardial rays then and at end-diastole, and the endocardial radii then.
    public static func decide(myocardial: [Bool], atEndDiastole: [Bool], endo: [Double], settings: Settings) -> Decision {
        let n = myocardial.count
        let closed = closeGaps(myocardial, maxGap: Int(settings.minGapDegrees / 360 * Double(n)))
        let noCavity = endo.filter { $0 < settings.minCavityRadiusMm }.count
        guard let arc = longestRun(closed), Double(noCavity) <= (1 - settings.closedFraction) * Double(n) else {
            return Decision(content: .atrium, arcFraction: 0, areaFraction: 0, arcStart: 0, arcLength: 0)
        }
        let f = Double(arc.length) / Double(n)
        if f >= settings.closedFraction {
            return Decision(content: .lvCavity, arcFraction: f, areaFraction: 1, arcStart: arc.start, arcLength: arc.length)
        }
        let edClosed = closeGaps(atEndDiastole, maxGap: Int(settings.minGapDegrees / 360 * Double(n)))
        let gap = (arc.length..<n).map { (arc.start + $0) % n }
        let sharedWithED = gap.filter { !edClosed[$0] }.count
        if f >= settings.outflowMinFraction, Double(sharedWithED) >= settings.anatomicalGapOverlap * Double(gap.count) {
            return Decision(content: .outflowTract, arcFraction: f, areaFraction: 1, arcStart: arc.start, arcLength: arc.length)
        }
        if f >= settings.atriumBelowFraction {
            return Decision(content: .partlyLeft, arcFraction: f,
                            areaFraction: chordAreaFraction(endo: endo, arcStart: arc.start, arcLength: arc.length),
                            arcStart: arc.start, arcLength: arc.length)
        }
        return Decision(content: .atrium, arcFraction: f, areaFraction: 0, arcStart: arc.start, arcLength: arc.length)
    }

    /// Area enclosed by the endocardium of the arc's rays and the chord joining its two ends, as a fraction of the
    /// whole contour's area (both by the shoelace formula over the rays' endocardial points).
    public static func chordAreaFraction(endo: [Double], arcStart: Int, arcLength: Int) -> Double {
        let n = endo.count
        func point(_ r: Int) -> SIMD2<Double> {
            let a = 2 * Double.pi * Double(r) / Double(n)
            return SIMD2(cos(a), sin(a)) * endo[r]
        }
        func area(_ p: [SIMD2<Double>]) -> Double {
            var s = 0.0
            for i in p.indices { let q = p[(i + 1) % p.count]; s += p[i].x * q.y - q.x * p[i].y }
            return abs(0.5 * s)
        }
        let whole = area((0..<n).map(point))
        guard whole > 0, arcLength >= 2 else { return 0 }
        return min(1, area((0..<arcLength).map { point((arcStart + $0) % n) }) / whole)
    }

    /// Closes (sets) cyclic runs of false no longer than `maxGap`, unless everything is false.
    static func closeGaps(_ x: [Bool], maxGap: Int) -> [Bool] {
        let n = x.count
        guard maxGap > 0, let anchor = x.firstIndex(of: true) else { return x }
        var out = x
        var i = 0
        while i < n {
            let idx = (anchor + i) % n
            if x[idx] { i += 1; continue }
            var j = i
            while j < n && !x[(anchor + j) % n] { j += 1 }
            if j - i <= maxGap { for k in i..<j { out[(anchor + k) % n] = true } }
            i = j
        }
        return out
    }

    /// The longest cyclic run of true values: start index and length.
    static func longestRun(_ x: [Bool]) -> (start: Int, length: Int)? {
        let n = x.count
        guard x.contains(true) else { return nil }
        if x.allSatisfy({ $0 }) { return (0, n) }
        let offset = x.firstIndex(of: false)!
        var best: (Int, Int)? = nil
        var runStart: Int? = nil
        for i in 1...n {
            let idx = (offset + i) % n
            if x[idx] { if runStart == nil { runStart = offset + i } }
            else if let s = runStart {
                let len = offset + i - s
                if best == nil || len > best!.1 { best = (s % n, len) }
                runStart = nil
            }
        }
        return best.map { (start: $0.0, length: $0.1) }
    }
}

/// The apical cap: the cavity beyond the last slice with one, from the last cavity areas (Simpson's rule with a
/// paraboloid cap, as in the modified Simpson methods: the cross-sectional area of a paraboloid falls linearly
/// towards its tip).
public enum ApicalCap {
    /// Volume (mm3) to add to Simpson's sum, which counts the last cavity slice's area over its slab, for the cap
    /// beyond the slab: the area falls linearly from `lastArea` at the last slice's centre to zero at the apex,
    /// `apexDistanceMm` beyond it, and the part beyond the slab's apical face (half a spacing from the centre) is
    /// lastArea (d - spacing / 2)^2 / (2 d). Zero when the apex lies inside the slab: the slab's area is measured on
    /// an image that averages its thickness, so it is not cut back.
    public static func correctionMm3(lastArea: Double, apexDistanceMm d: Double, spacingMm: Double) -> Double {
        guard d > spacingMm / 2 else { return 0 }
        return lastArea * (d - spacingMm / 2) * (d - spacingMm / 2) / (2 * d)
    }

    /// Distance (mm) from the last cavity slice's centre to the apex: where the area, extrapolated linearly over the
    /// last two slices with a cavity (`spacingMm` apart), reaches zero; at most `maxMm` (the pipeline: two slice
    /// spacings beyond the last slice of the stack that shows the LV), and no further than `closedAtMm` (the centre of
    /// the next slice, where the myocardium has closed over the cavity) when known.
    public static func apexDistanceMm(previousArea: Double, lastArea: Double, spacingMm: Double,
                                      closedAtMm: Double? = nil, maxMm: Double) -> Double {
        var d = previousArea > lastArea ? lastArea * spacingMm / (previousArea - lastArea) : maxMm
        d = clamp(d, 0, maxMm)
        if let c = closedAtMm { d = min(d, c) }
        return d
    }
}
