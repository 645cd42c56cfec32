import CRTCore
import Foundation
import SegmentModel

/// Stages 3-4: per-segment radial strain curves from the tracked contours, and from them the activation time
/// (DOMAIN.md section 1 item 3), peak radial strain, and two alternative timings reported under their own names.
///
/// Radial strain of a group of rays (one slice's part of a segment) is (T(t) - T(ED)) / T(ED) with T the group's
/// mean wall thickness; a segment's curve is the wall-area-weighted mean of its groups' curves, so slices keep
/// their weight over the cycle. Activation time is the first time the curve reaches `activationFraction` of its
/// own peak, interpolated linearly between phases, in ms after the R trigger (TriggerTime).
public struct SegmentMotion: Sendable {
    public struct Settings: Codable, Sendable, Equatable {
        public init() {}
        /// Fraction of the segment's own peak that marks activation (DOMAIN.md: 0.5).
        public var activationFraction = CaseFindings.activationFractionOfPeak
        /// Peaks below this (fraction) are too small to time: activation is null.
        public var minimumMeasurablePeak = 0.02
        /// Spatial regularisation of the activation map (`regularised(reliable:)`): each segment's time is blended
        /// with its two angular neighbours in the ring with this weight each (0 = none). Activation spreads as a
        /// smooth wavefront, so this lowers the per-segment noise (one 32 ms frame is several times the difference
        /// between neighbours) without moving a smooth map's latest site. Only reliable neighbours take part.
        public var neighbourWeight = 0.25
        /// The same for the segments of the same sector in the adjacent rings (weight each).
        public var ringNeighbourWeight = 0.125
        /// How a segment's activation time is read from its curve (docs/pipeline.md, "Activation time"):
        /// `halfPeakCrossing` is the curve's own first 50 % crossing; `templateDelay` (default) is the delay of the
        /// whole curve behind the case's mean curve (least-squares fit of a scaled, shifted copy, every phase
        /// taking part), put on the 50 % crossing scale by the median over segments of (crossing - delay).
        public var activationMethod = ActivationMethod.templateDelay
        /// Curves whose peak is at least this (fraction) make the template: hypokinetic and akinetic curves (below
        /// the TARGET trial's 10 %, DOMAIN section 1 item 5) are mostly noise and passive motion.
        public var templateMinPeak = 0.10
        /// With the template delay, a time whose SD exceeds this many frame intervals is not resolved and is
        /// reported as not measured (null), as a peak too small to time is: on `advise-cohort` such times (2 % of
        /// them) were off by 21 ms at the median and 92 ms at the 90th percentile, against 3 ms for the rest, and
        /// they were the latest segment of three patients.
        public var maxActivationSDFrames = 1.0
    }

    public enum ActivationMethod: String, Codable, Sendable { case halfPeakCrossing, templateDelay }

    /// Radial strain per segment (index id - 1) and phase; nil for segments no slice covers.
    var curves: [[Double]?]
    var peak: [Double?]
    var activationMs: [Double?]
    /// One standard deviation of each activation time (ms; `TargetUncertainty.activationUncertaintyMs`).
    var activationUncertaintyMs: [Double?] = Array(repeating: nil, count: 36)
    var timeToPeakMs: [Double?]
    /// Delay of each segment's curve behind the global mean curve by circular cross-correlation (ms).
    var crossCorrelationDelayMs: [Double?]
    var wallThicknessMm: [Double?]
    var areaCm2: [Double?]
    var centreMm: [Vec3?]

    /// Per segment (index id - 1), the wall-area-weighted sums that make its curve, thickness, area and centre.
    struct Accumulated {
        var sum: [[Double]], phaseWeight: [[Double]]
        var weight = [Double](repeating: 0, count: 36), thick = [Double](repeating: 0, count: 36)
        var area = [Double](repeating: 0, count: 36)
        var centre = [Vec3](repeating: .zero, count: 36)
        init(frames: Int) {
            sum = [[Double]](repeating: [Double](repeating: 0, count: frames), count: 36)
            phaseWeight = sum
        }
    }

    static func measure(_ g: LVGeometry, timesMs: [Double], settings: Settings) -> SegmentMotion {
        let frames = timesMs.count, ed = g.edFrame
        // Accumulated per tier of through-plane steadiness (`sliceTier`): 0 steady, 1 guard slices, 2 the last
        // slice the base moves through. Each segment is measured from the steadiest tier that reaches it.
        var tiers = [Accumulated](repeating: Accumulated(frames: frames), count: 3)
        // The largest LV cavity at end-diastole: a contour round the atrium or leaked through the valve plane is no
        // reference for the apical tip.
        let largestCavity = LVGeometry.largestLVCavityMm2(walls: g.walls, frame: ed)
        let lastMoving = g.walls.indices.last { s in g.walls[s].valid[ed] && (g.walls[s].valid.contains(false) || g.walls[s].content.contains(.partlyLeft)) && g.heightsMm[s] < g.cavityLengthMm / 2 }
        // How steady slice `s` is through the cycle (nil: no strain from it): 0 apical to the guard, 1 a guard
        // slice, 2 the last slice the base moves through (1 and 2 only with `measureUncoveredSegmentsNearBase`).
        func sliceTier(_ s: Int) -> Int? {
            guard let moving = lastMoving else { return 0 }
            if s > moving + g.settings.throughPlaneGuardSlices { return 0 }
            guard g.settings.measureUncoveredSegmentsNearBase else { return nil }
            if s > moving { return 1 }
            return s == moving ? 2 : nil
        }
        for (s, w) in g.walls.enumerated() where g.rings[s] != nil && w.valid[ed]
            && w.cavityAreaMm2(frame: ed) >= g.settings.minStrainCavityFraction * largestCavity {
            guard let tier = sliceTier(s) else { continue }
            let rays = w.rayCount
            let dphi = 2 * Double.pi / Double(rays)
            var groups: [Int: [Int]] = [:]
            for r in 0..<rays where g.segmentIds[s][r] > 0 { groups[g.segmentIds[s][r], default: []].append(r) }
            for (id, members) in groups {
                func meanThickness(_ t: Int) -> Double {
                    members.reduce(0) { $0 + w.epi[t][$1] - w.endo[t][$1] } / Double(members.count)
                }
                let t0 = meanThickness(ed)
                guard t0 > 0.5 else { continue }
                var wallArea = 0.0, midArea = 0.0, c = Vec3.zero
                for r in members {
                    let en = w.endo[ed][r], ep = w.epi[ed][r], mid = 0.5 * (en + ep)
                    wallArea += 0.5 * (ep * ep - en * en) * dphi
                    let a = mid * dphi * g.spacingMm
                    midArea += a
                    c += g.point(slice: s, frame: ed, ray: r, radiusMm: mid) * a
                }
                let i = id - 1
                for t in 0..<frames where w.valid[t] {
                    tiers[tier].sum[i][t] += wallArea * (meanThickness(t) / t0 - 1)
                    tiers[tier].phaseWeight[i][t] += wallArea
                }
                tiers[tier].weight[i] += wallArea
                tiers[tier].thick[i] += t0 * wallArea
                tiers[tier].area[i] += midArea
                tiers[tier].centre[i] += c
            }
        }
        // Each segment from its steadiest tier.
        let from = (0..<36).map { i in tiers.first { $0.weight[i] > 0 } ?? tiers[0] }
        var result = SegmentMotion(curves: [], peak: [], activationMs: [], timeToPeakMs: [], crossCorrelationDelayMs: [],
                                   wallThicknessMm: [], areaCm2: [], centreMm: [])
        // A phase where no slice of the segment is valid takes the mean of its neighbours (cyclic).
        let curves: [[Double]?] = (0..<36).map { i in
            let a = from[i]
            guard a.weight[i] > 0 else { return nil }
            var c = (0..<frames).map { t in a.phaseWeight[i][t] > 0 ? a.sum[i][t] / a.phaseWeight[i][t] : Double.nan }
            for t in 0..<frames where !c[t].isFinite {
                let prev = (1..<frames).lazy.map { c[(t - $0 + frames) % frames] }.first { $0.isFinite } ?? 0
                let next = (1..<frames).lazy.map { c[(t + $0) % frames] }.first { $0.isFinite } ?? 0
                c[t] = 0.5 * (prev + next)
            }
            return c
        }
        let measured = curves.compactMap { $0 }
        let global: [Double] = measured.isEmpty ? [] : (0..<frames).map { t in measured.reduce(0) { $0 + $1[t] } / Double(measured.count) }
        let interval = frames > 1 ? (timesMs.last! - timesMs.first!) / Double(frames - 1) : 0
        for i in 0..<36 {
            result.curves.append(curves[i])
            guard let c = curves[i] else {
                result.peak.append(nil); result.activationMs.append(nil); result.timeToPeakMs.append(nil)
                result.crossCorrelationDelayMs.append(nil); result.wallThicknessMm.append(nil)
                result.areaCm2.append(nil); result.centreMm.append(nil)
                continue
            }
            let p = c.max()!
            let tp = c.firstIndex(of: p)!
            result.peak.append(p)
            let a = from[i]
            result.wallThicknessMm.append(a.thick[i] / a.weight[i])
            result.areaCm2.append(a.area[i] / 100)
            result.centreMm.append(a.centre[i] / a.area[i])
            guard p >= settings.minimumMeasurablePeak else {
                result.activationMs.append(nil); result.timeToPeakMs.append(nil); result.crossCorrelationDelayMs.append(nil)
                continue
            }
            let level = settings.activationFraction * p
            var act: Double? = nil
            for t in 1..<frames where c[t] >= level {
                let f = (level - c[t - 1]) / (c[t] - c[t - 1])
                act = timesMs[t - 1] + clamp(f, 0, 1) * (timesMs[t] - timesMs[t - 1])
                result.activationUncertaintyMs[i] = TargetUncertainty.activationUncertaintyMs(
                    curve: c, crossing: t, timesMs: timesMs)
                break
            }
            result.activationMs.append(act)
            result.timeToPeakMs.append(timesMs[tp] + interval * parabolicOffset(c, tp))
            result.crossCorrelationDelayMs.append(global.isEmpty ? nil : interval * circularLag(c, global))
        }
        if settings.activationMethod == .templateDelay {
            result.useTemplateDelays(timesMs: timesMs, settings: settings)
        }
        return result
    }

    /// Replaces each measured activation time (50 % crossing) by the template delay (`ActivationMethod.templateDelay`)
    /// and its uncertainty by the fit's; a time not resolved (`maxActivationSDFrames`) or of a curve that does not
    /// fit the template (negative scale: dyskinetic) becomes null. Nothing changes with fewer than 3 template curves.
    mutating func useTemplateDelays(timesMs: [Double], settings: Settings) {
        guard let timed = Self.templateDelayActivation(curves: curves, crossingsMs: activationMs, timesMs: timesMs,
                                                       settings: settings) else { return }
        for i in 0..<36 where activationMs[i] != nil {
            activationMs[i] = timed.activationMs[i]
            // No time: no SD either.
            if timed.activationMs[i] == nil { activationUncertaintyMs[i] = nil }
            else if let sd = timed.uncertaintyMs[i] { activationUncertaintyMs[i] = sd }
        }
    }

    /// Template-delay activation times (`ActivationMethod.templateDelay`) of strain curves (index id - 1; nil: not
    /// measured) given their own 50 % crossings (ms; nil: none, and then no time): the template is the mean of the
    /// curves peaking at `templateMinPeak` or more, each crossing's curve is timed by `TemplateDelay.fit`, and the
    /// delays are put on the crossing scale by the median of (crossing - delay); a delay whose SD exceeds
    /// `maxActivationSDFrames` frame intervals gives no time, nor does a curve that fits only with a negative scale
    /// (dyskinetic). Nil with fewer than 3 template curves or fewer than 3 phases.
    public static func templateDelayActivation(curves: [[Double]?], crossingsMs: [Double?], timesMs: [Double],
                                               settings: Settings) -> (activationMs: [Double?], uncertaintyMs: [Double?])? {
        let frames = timesMs.count
        guard frames >= 3, curves.count == crossingsMs.count else { return nil }
        let template = curves.compactMap { $0 }.filter { $0.count == frames && ($0.max() ?? 0) >= settings.templateMinPeak }
        guard template.count >= 3 else { return nil }
        let mean = (0..<frames).map { t in template.reduce(0) { $0 + $1[t] } / Double(template.count) }
        let interval = (timesMs[frames - 1] - timesMs[0]) / Double(frames - 1)
        let fits = curves.indices.map { i -> TemplateDelay.Fit? in
            guard crossingsMs[i] != nil, let c = curves[i], c.count == frames else { return nil }
            return TemplateDelay.fit(curve: c, template: mean, intervalMs: interval)
        }
        let offsets = curves.indices.compactMap { i in fits[i].flatMap { f in crossingsMs[i].map { $0 - f.delayMs } } }
        guard !offsets.isEmpty else { return nil }
        let offset = Stats.median(offsets)
        // A curve that fits the template only with a negative scale (dyskinetic scar, thinning while the others
        // thicken) carries no active thickening to time: its 50 % crossing is the passive early bump or noise
        // (docs/pipeline.md "Activation time"), so it gets no time, as a fit whose SD exceeds
        // `maxActivationSDFrames` frame intervals does not.
        let limit = settings.maxActivationSDFrames * interval
        let times = curves.indices.map { i -> Double? in
            guard crossingsMs[i] != nil, let f = fits[i] else { return nil }
            return f.sdMs <= limit ? f.delayMs + offset : nil
        }
        return (times, fits.map { f in f.flatMap { $0.sdMs <= limit ? $0.sdMs : nil } })
    }

    /// The activation map blended over neighbouring segments (`Settings.neighbourWeight`, `ringNeighbourWeight`),
    /// where only `reliable` neighbours (index id - 1) contribute. Scarred and akinetic segments are not reliable:
    /// their thickening is passive or at the noise level, so their 50 % crossing says nothing about activation, and
    /// blending it in moved the latest eligible site by a sector next to a scar (`lead-placement` scenario,
    /// ischaemic-posterolateral preset: apical segment 33 chosen over 34 in 10 of 20 cases). A segment's own time is
    /// always kept in its blend, reliable or not.
    func regularised(reliable: [Bool], settings: Settings) -> SegmentMotion {
        var out = self
        out.activationMs = SegmentMotion.regularisedActivation(activationMs, reliable: reliable, settings: settings)
        return out
    }

    /// `regularised(reliable:settings:)` on a bare activation map: 36 times (ms, index id - 1, nil = not measured)
    /// and 36 reliability flags; returns the blended map.
    public static func regularisedActivation(_ raw: [Double?], reliable: [Bool], settings: Settings) -> [Double?] {
        guard settings.neighbourWeight > 0 || settings.ringNeighbourWeight > 0 else { return raw }
        return (0..<36).map { i in
            guard let own = raw[i] else { return nil }
            let ring = i / 12, sector = i % 12
            let selfWeight = max(0, 1 - 2 * settings.neighbourWeight - 2 * settings.ringNeighbourWeight)
            var sum = own * selfWeight, weight = selfWeight
            var neighbours = [-1, 1].map { (ring * 12 + (sector + $0 + 12) % 12, settings.neighbourWeight) }
            for r in [ring - 1, ring + 1] where (0..<3).contains(r) { neighbours.append((r * 12 + sector, settings.ringNeighbourWeight)) }
            for (j, w) in neighbours where w > 0 && reliable[j] {
                if let n = raw[j] { sum += w * n; weight += w }
            }
            return weight > 0 ? sum / weight : own
        }
    }

    /// Sub-sample offset of a peak by a parabola through it and its neighbours (cyclic).
    static func parabolicOffset(_ c: [Double], _ i: Int) -> Double {
        let n = c.count
        guard n >= 3 else { return 0 }
        let a = c[(i - 1 + n) % n], b = c[i], d = c[(i + 1) % n]
        let den = a - 2 * b + d
        return abs(den) > 1e-12 ? clamp(0.5 * (a - d) / den, -0.5, 0.5) : 0
    }

    /// Lag (in samples, sub-sample by a parabola) by which `x` trails `reference`, maximising the circular
    /// cross-correlation of the mean-removed curves.
    static func circularLag(_ x: [Double], _ reference: [Double]) -> Double {
        let n = x.count
        let mx = x.reduce(0, +) / Double(n), mr = reference.reduce(0, +) / Double(n)
        let cc: [Double] = (0..<n).map { lag in
            (0..<n).reduce(0.0) { $0 + (x[($1 + lag) % n] - mx) * (reference[$1] - mr) }
        }
        let best = cc.indices.max { cc[$0] < cc[$1] }!
        var lag = Double(best) + parabolicOffset(cc, best)
        if lag > Double(n) / 2 { lag -= Double(n) }
        return lag
    }
}

/// Delay of a cyclic curve behind a template: the shift tau (ms) and scale a minimising the squared difference
/// between the curve and a * template(t - tau) over every phase (the template linearly interpolated between phases),
/// i.e. the delay of the whole curve rather than of one level crossing. Its SD is the Cramer-Rao bound of delay
/// estimation in white noise: sigma / (|a| sqrt(sum of template'(t - tau)^2)), sigma from the fit's residuals
/// (n - 2 degrees of freedom), inflated for correlated residuals. Cross-correlation timing of regional strain
/// curves: Fornwalt BK et al., J Am Soc Echocardiogr 2007;20:1330-7.
public enum TemplateDelay {
    public struct Fit: Equatable, Sendable { public var delayMs: Double; public var scale: Double; public var sdMs: Double }

    /// Grid step of the search (ms), refined by a parabola through the best step and its neighbours.
    public static let stepMs = 1.0

    public static func fit(curve: [Double], template: [Double], intervalMs: Double) -> Fit? {
        let n = curve.count
        guard n >= 3, template.count == n, intervalMs > 0 else { return nil }
        let cycle = Double(n) * intervalMs
        func shifted(_ tau: Double) -> [Double] {
            (0..<n).map { t in
                var x = (Double(t) * intervalMs - tau).truncatingRemainder(dividingBy: cycle) / intervalMs
                if x < 0 { x += Double(n) }
                let i0 = Int(x) % n, f = x - x.rounded(.down)
                return template[i0] * (1 - f) + template[(i0 + 1) % n] * f
            }
        }
        func residual(_ tau: Double) -> (rss: Double, scale: Double) {
            let g = shifted(tau)
            let gg = g.reduce(0) { $0 + $1 * $1 }
            guard gg > 0 else { return (.infinity, 0) }
            let a = zip(g, curve).reduce(0) { $0 + $1.0 * $1.1 } / gg
            return (zip(g, curve).reduce(0) { $0 + ($1.1 - a * $1.0) * ($1.1 - a * $1.0) }, a)
        }
        let steps = Int((cycle / stepMs).rounded())
        let taus = (0..<steps).map { -cycle / 2 + Double($0) * stepMs }
        let rss = taus.map { residual($0).rss }
        guard let best = rss.indices.min(by: { rss[$0] < rss[$1] }), rss[best].isFinite else { return nil }
        let a = rss[(best - 1 + steps) % steps], b = rss[best], c = rss[(best + 1) % steps]
        let den = a - 2 * b + c
        let tau = taus[best] + (den > 1e-15 ? clamp(0.5 * (a - c) / den, -0.5, 0.5) : 0) * stepMs
        let (rssAt, scale) = residual(tau)
        guard scale > 0 else { return nil }
        // Derivative of the shifted template per ms (central differences, cyclic).
        let g = shifted(tau)
        let slopeSquares = (0..<n).reduce(0.0) { s, t in
            let d = (g[(t + 1) % n] - g[(t - 1 + n) % n]) / (2 * intervalMs)
            return s + d * d
        }
        let sigma = (rssAt / Double(max(1, n - 2))).squareRoot()
        // Residuals that are not white (a curve whose shape differs from the template's, not only noise) carry fewer
        // independent samples: the variance is inflated by (1 + rho) / (1 - rho), rho their lag-1 autocorrelation
        // (the AR(1) effective sample size).
        let r = (0..<n).map { curve[$0] - scale * g[$0] }
        let lag1 = (0..<n).reduce(0.0) { $0 + r[$1] * r[($1 + 1) % n] } / max(1e-300, r.reduce(0) { $0 + $1 * $1 })
        let rho = clamp(lag1, 0, 0.9)
        let inflation = ((1 + rho) / (1 - rho)).squareRoot()
        let sd = slopeSquares > 0 ? inflation * sigma / (scale * slopeSquares.squareRoot()) : cycle / 2
        return Fit(delayMs: tau, scale: scale, sdMs: min(sd, cycle / 2))
    }
}
