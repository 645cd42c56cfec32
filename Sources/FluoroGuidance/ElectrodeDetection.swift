import CRTCore
import Foundation

/// Automatic detection of the four ring electrodes of a quadripolar LV lead on one lead image (-ln(I/I0)).
///
/// Method: a top-hat by subtraction of a wide Gaussian background (`backgroundSigmaPx`) leaves thin dense
/// structures; after light smoothing, pixels above `thresholdFraction` of the strongest response (and
/// `minimumContrastNoiseSDs` robust SDs of the top-hat above zero) form 8-connected components; the four components of largest integrated contrast are the
/// electrodes (platinum-iridium rings are far denser than the lead body, ribs or spine), located at their
/// contrast-weighted centroids and ordered along the lead. The distal end is the one beyond which no lead body
/// continues (lower contrast along rays leaving the end electrode away from the chain).
public struct ElectrodeDetection: Sendable {
    public struct Settings: Codable, Sendable, Equatable {
        public var backgroundSigmaPx = 6.0
        public var smoothingSigmaPx = 0.7
        public var thresholdFraction = 0.3
        /// Smallest top-hat contrast an electrode must reach, in robust SDs of the top-hat image (1.4826 x its median
        /// absolute deviation: quantum noise and anatomical texture). Relative, not in line-integral units, because
        /// scatter compresses a dense object's contrast in the log image: a platinum ring that shows 2-3 without
        /// scatter shows 0.6-0.9 at a scatter fraction of 0.45 (docs/fluoroscopy.md, "Scatter and image checks").
        /// 5 SDs: the Rose criterion for a small object seen by eye (10 lost the rings at the highest drawn scatter,
        /// where they stand 7-9 SDs above the texture).
        public var minimumContrastNoiseSDs = 5.0
        /// Electrodes expected and the smallest component (pixels).
        public var electrodeCount = 4
        public var minimumAreaPx = 3
        /// Non-maximum suppression radius and centroid window half-size (pixels).
        public var peakRadiusPx = 2
        /// Candidates kept per view for the two-view matching.
        public var maximumCandidates = 8
        /// The same when the implanted model is known (operator/lead.json): room for the RV and RA leads' tips, rings
        /// and crossings besides the LV lead's electrodes; the model's gaps and the registered LV model sort them.
        public var maximumCandidatesKnownLead = 24
        /// The same for the threshold: the RV lead's tip and an ICD coil can be twice as dense as the LV lead's 1-mm
        /// rings, which a threshold relative to the strongest spot would lose.
        public var thresholdFractionKnownLead = 0.2
        /// A spot from which the top-hat stays above `ridgeFraction` of its peak over every distance in
        /// `ridgeRangePx`, in one direction, lies on a long dense structure (a defibrillator shock coil, 50 mm, about
        /// 115 px), not on an electrode (at most a few millimetres long, with lead body or a gap beyond it): it is no
        /// candidate. 32 px (14 mm at the isocentre) because a lead body running along the beam is dense too: 16 px
        /// rejected the rings at the end of such a stretch (drawn case, Attain Performa foreshortened in LAO 40).
        public var ridgeRangePx: ClosedRange<Double> = 4...32
        /// 0.7: a shock coil's top-hat is even along it (about 1 of its peak), while the lead body beside a ring stays
        /// below about 0.6 of the ring's. Scatter raises that share: the log image compresses a nearly opaque ring's
        /// contrast more than the half-transparent body's (docs/fluoroscopy.md, "Scatter and image checks"), and with
        /// 0.5 the proximal ring, from which the body leaves, was taken for a ridge.
        public var ridgeFraction = 0.7
        /// Radii (pixels) at which a spot's continuation on both sides is measured (`bodyContinuation`): 4-8 px are
        /// 1.5-3.5 mm at the isocentre, beyond a ring's half length (0.65-0.75 mm) and its blur, short enough that
        /// a curving lead body still runs through them.
        public var continuationRadiiPx: [Double] = [4, 6, 8]
        /// Extension beyond an end electrode sampled for the lead body (pixels from the electrode centre).
        public var extensionRangePx: ClosedRange<Double> = 8...16
        /// Directions within this angle of the chain (towards the neighbouring electrode) are not lead body (degrees).
        public var bodyExclusionDegrees = 60.0
        public init() {}
    }

    public struct Blob: Sendable, Equatable {
        public var pixel: DetectorPixel
        public var areaPx: Int
        public var integratedContrast: Double
        public var peakContrast: Double
        /// How far the structure under the spot continues on both sides, as a fraction of its peak
        /// (`bodyContinuation`): a ring stands out from the lead body on either side (median 0.27 over `standard`'s
        /// true electrodes, 95th percentile 0.58), a noise maximum on a lead body does not (0.75-1.2). A crossing of
        /// two equally dense leads is twice as dense as either arm and measures like a ring (0.5-0.7).
        public var continuation: Double = 0
    }

    public struct Result: Sendable {
        /// Electrodes ordered along the lead, distal first (empty when fewer than the expected count were found).
        public var electrodes: [DetectorPixel]
        /// All components found, strongest first.
        public var blobs: [Blob]
        /// Lead-body evidence beyond the distal and the proximal end (mean top-hat contrast), for the ordering.
        public var bodyBeyondDistal: Double
        public var bodyBeyondProximal: Double
        public var status: String
    }

    public var settings: Settings
    public init(settings: Settings = Settings()) { self.settings = settings }

    /// Orders points along a chain: from the end farthest from their centroid, then by nearest neighbour.
    public static func chainOrder(_ pts: [DetectorPixel]) -> [Int] {
        let n = pts.count
        let cc = pts.reduce(0.0) { $0 + $1.column } / Double(n), cr = pts.reduce(0.0) { $0 + $1.row } / Double(n)
        let centroid = DetectorPixel(column: cc, row: cr)
        var order = [pts.indices.max { pts[$0].distance(to: centroid) < pts[$1].distance(to: centroid) }!]
        while order.count < n {
            let last = pts[order.last!]
            order.append(pts.indices.filter { !order.contains($0) }.min { pts[$0].distance(to: last) < pts[$1].distance(to: last) }!)
        }
        return order
    }

    /// Top-hat image: smoothed image minus its wide Gaussian background.
    public func topHat(_ image: DetectorImage) -> DetectorImage {
        let bg = Vesselness.smooth(image, sigma: settings.backgroundSigmaPx)
        let fg = Vesselness.smooth(image, sigma: settings.smoothingSigmaPx)
        return DetectorImage(columns: image.columns, rows: image.rows, pixels: zip(fg.pixels, bg.pixels).map { $0 - $1 })
    }

    /// Pixels within `radiusPx` of the projection of any of `pointsMm` (world mm) through `projection`.
    public static func region(around pointsMm: [Vec3], projection: ProjectionMatrix, columns: Int, rows: Int, radiusPx: Double) -> [Bool] {
        var mask = [Bool](repeating: false, count: columns * rows)
        let r = max(0, radiusPx), r2 = r * r, reach = Int(ceil(r))
        for p in pointsMm {
            guard let q = projection.project(p) else { continue }
            let c0 = Int(q.column.rounded()), r0 = Int(q.row.rounded())
            for dr in -reach...reach {
                let row = r0 + dr
                guard row >= 0, row < rows else { continue }
                for dc in -reach...reach where Double(dc * dc + dr * dr) <= r2 {
                    let col = c0 + dc
                    if col >= 0 && col < columns { mask[row * columns + col] = true }
                }
            }
        }
        return mask
    }

    /// Robust SD of values: 1.4826 x the median absolute deviation from the median.
    static func robustSD(_ values: [Float]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let median = sorted[sorted.count / 2]
        let deviations = values.map { abs($0 - median) }.sorted()
        return 1.4826 * Double(deviations[deviations.count / 2])
    }

    /// Electrode candidates: local maxima (within `peakRadiusPx`) of the top-hat above the threshold, located by
    /// the contrast-weighted centroid of the pixels above half their peak in a (2 `peakRadiusPx` + 1) window;
    /// strongest first, at most `maximumCandidates`. With a `region` (one flag per pixel) only peaks inside it are
    /// candidates, and the strongest response and the noise the thresholds refer to are measured inside it.
    @inline(never)
    public func candidates(_ image: DetectorImage, region: [Bool]? = nil) -> (blobs: [Blob], topHat: DetectorImage, threshold: Double) {
        let th = topHat(image)
        let w = th.columns, h = th.rows, rad = settings.peakRadiusPx
        let inside = region.map { mask in th.pixels.indices.filter { mask[$0] }.map { th.pixels[$0] } } ?? th.pixels
        let peak = Double(inside.max() ?? 0)
        let threshold = max(settings.thresholdFraction * peak, settings.minimumContrastNoiseSDs * ElectrodeDetection.robustSD(inside))
        var blobs: [Blob] = []
        let t = Float(threshold)
        for r in rad..<(h - rad) { for c in rad..<(w - rad) {
            let v = th.pixels[r * w + c]
            guard v > t, region?[r * w + c] ?? true else { continue }
            var isMax = true
            for dr in -rad...rad where isMax { for dc in -rad...rad where dr != 0 || dc != 0 {
                let u = th.pixels[(r + dr) * w + c + dc]
                if u > v || (u == v && (dr < 0 || (dr == 0 && dc < 0))) { isMax = false; break }
            } }
            guard isMax else { continue }
            var sum = 0.0, sc = 0.0, sr = 0.0, area = 0
            let half = 0.5 * v
            for dr in -rad...rad { for dc in -rad...rad {
                let u = th.pixels[(r + dr) * w + c + dc]
                guard u > half else { continue }
                let x = Double(u - half)
                sum += x; sc += x * Double(c + dc); sr += x * Double(r + dr); area += 1
            } }
            guard area >= settings.minimumAreaPx, sum > 0 else { continue }
            guard !onRidge(th, column: c, row: r, peak: v) else { continue }
            blobs.append(Blob(pixel: DetectorPixel(column: sc / sum, row: sr / sum), areaPx: area, integratedContrast: sum, peakContrast: Double(v)))
        } }
        blobs.sort { $0.integratedContrast > $1.integratedContrast }
        var kept = Array(blobs.prefix(settings.maximumCandidates))
        for k in kept.indices { kept[k].continuation = bodyContinuation(th, at: kept[k].pixel, peak: kept[k].peakContrast) }
        return (kept, th, threshold)
    }

    /// The structure's continuation on both sides of a spot: at each radius of `continuationRadiiPx`, the top-hat
    /// (best of 1 px either side) in the strongest direction (every 5 degrees) and the strongest direction more than
    /// 90 degrees from it; the weaker of the two sides over `peak`, smallest over the radii. A ring electrode is a
    /// short dense blob on a lighter body, so at least one radius finds a side well below its peak (the neighbouring
    /// ring of a short bipole may fill one side at one radius, not at all); a point on a lead body continues on both
    /// sides at every radius.
    public func bodyContinuation(_ th: DetectorImage, at p: DetectorPixel, peak: Double) -> Double {
        guard peak > 0 else { return 0 }
        var smallest = Double.infinity
        for radius in settings.continuationRadiiPx {
            var values: [Double] = []
            for angleDeg in stride(from: 0.0, to: 360, by: 5) {
                let dx = cos(radians(angleDeg)), dy = sin(radians(angleDeg))
                values.append(Double(ElectrodeDetection.strongestAcross(th, column: p.column, row: p.row, dx: dx, dy: dy, at: radius)))
            }
            let first = values.indices.max { values[$0] < values[$1] }!
            var other = -Double.infinity
            for k in values.indices where abs(angleDifferenceDegrees(Double(k) * 5, Double(first) * 5)) > 90 { other = max(other, values[k]) }
            smallest = min(smallest, other / peak)
        }
        return smallest
    }

    /// The top-hat at distance `t` from (column, row) along the unit direction (dx, dy), the largest of the point and
    /// the points 1 px either side of it (a thin lead need not pass exactly through the sampled line).
    static func strongestAcross(_ th: DetectorImage, column: Double, row: Double, dx: Double, dy: Double, at t: Double) -> Float {
        var strongest = -Float.infinity
        for lat in [-1.0, 0.0, 1.0] {
            strongest = max(strongest, th.sample(column: column + dx * t - dy * lat, row: row + dy * t + dx * lat))
        }
        return strongest
    }

    /// Whether pixel (column, row) with top-hat `peak` lies on a long dense ridge (`ridgeRangePx`, `ridgeFraction`):
    /// along some direction (every 10 degrees, either way, 1 px lateral tolerance) the top-hat never drops below the
    /// fraction of the peak.
    func onRidge(_ th: DetectorImage, column c: Int, row r: Int, peak: Float) -> Bool {
        let floor = Float(settings.ridgeFraction) * peak
        for angleDeg in stride(from: 0.0, to: 360, by: 10) {
            let dx = cos(radians(angleDeg)), dy = sin(radians(angleDeg))
            var t = settings.ridgeRangePx.lowerBound, continuous = true
            while t <= settings.ridgeRangePx.upperBound && continuous {
                continuous = ElectrodeDetection.strongestAcross(th, column: Double(c), row: Double(r), dx: dx, dy: dy, at: t) >= floor
                t += 1
            }
            if continuous { return true }
        }
        return false
    }

    /// Lead-body evidence beyond the chain's `end` electrode: the largest mean top-hat contrast along a ray from it
    /// (radii `extensionRangePx`, lateral tolerance 1 px) over the directions more than `bodyExclusionDegrees` away
    /// from `neighbour`. The lead body leaves the proximal electrode, often at a bend (out of the coronary sinus
    /// into the branch), so any direction away from the chain counts; beyond the distal electrode lies only the tip.
    public func bodyBeyond(_ th: DetectorImage, end: DetectorPixel, neighbour: DetectorPixel) -> Double {
        let towardsDeg = degrees(atan2(neighbour.row - end.row, neighbour.column - end.column))
        var best = -Double.infinity
        for angleDeg in stride(from: 0.0, to: 360, by: 5) {
            guard abs(angleDifferenceDegrees(angleDeg, towardsDeg)) > settings.bodyExclusionDegrees else { continue }
            let dx = cos(radians(angleDeg)), dy = sin(radians(angleDeg))
            var s = 0.0, k = 0
            var t = settings.extensionRangePx.lowerBound
            while t <= settings.extensionRangePx.upperBound {
                s += Double(ElectrodeDetection.strongestAcross(th, column: end.column, row: end.row, dx: dx, dy: dy, at: t)); k += 1; t += 1
            }
            best = max(best, s / Double(max(k, 1)))
        }
        return best
    }

    /// Single-view detection: the strongest `electrodeCount` candidates ordered along the lead, distal first.
    @inline(never)
    public func detect(_ image: DetectorImage) -> Result {
        let (blobs, th, threshold) = candidates(image)
        let n = settings.electrodeCount
        guard blobs.count >= n else {
            return Result(electrodes: [], blobs: blobs, bodyBeyondDistal: 0, bodyBeyondProximal: 0,
                          status: "not found: \(blobs.count) electrode-like spot(s) above contrast \(String(format: "%.2f", threshold)), \(n) expected")
        }
        let chosen = Array(blobs.prefix(n))
        let pts = chosen.map(\.pixel)
        var chain = ElectrodeDetection.chainOrder(pts).map { pts[$0] }
        var beyondFirst = bodyBeyond(th, end: chain[0], neighbour: chain[1]), beyondLast = bodyBeyond(th, end: chain[n - 1], neighbour: chain[n - 2])
        if beyondFirst > beyondLast { chain.reverse(); swap(&beyondFirst, &beyondLast) }
        return Result(electrodes: chain, blobs: blobs, bodyBeyondDistal: beyondFirst, bodyBeyondProximal: beyondLast, status: "found")
    }
}
