import CRTCore
import Foundation

/// The endocardial apex at end-diastole in the long-axis cine views (2-, 3- and 4-chamber), as a reader measures the
/// LV length: where the cavity ends along the LV long axis (Kramer CM et al., JCMR 2020;22:17: the apical views
/// contain the long axis and show the true apex, which a short-axis stack cuts only in slabs 8-10 mm apart;
/// Schulz-Menger J et al., JCMR 2020;22:19).
///
/// Method, per view: the long axis (through the centre of the most apical short-axis slice with a cavity) is drawn
/// into the view's plane; along it, from that slice's centre towards the apex, the image is averaged over a band
/// `bandHalfWidthMm` either side of the line every `stepMm`. Its levels come from the same image: the blood from the
/// axis in the cavity basal of that slice (up to `bloodSpanMm`), the myocardium from where the short-axis
/// contours of the last slices cross the view (the wall's middle), so the receive-coil shading cancels. The apex is
/// the first point where the profile falls below the half level between blood and myocardium and stays there for
/// `endRunMm` (a trabecula or papillary tip is shorter), interpolated between samples. A view whose plane lies more
/// than `maxAxisOffsetMm` from the axis point, or whose profile never reaches blood or never ends, gives nothing.
/// The height is the median over the views. Nothing here knows the phantom: only the images, their geometry and
/// the short-axis analysis.
public enum LongAxisApex {
    public struct Settings: Codable, Sendable, Equatable {
        public init() {}
        /// Use the long-axis views for the endocardial apex when the case has them; false: the short-axis
        /// extrapolation alone (as without views).
        public var enabled = true
        public var stepMm = 0.5
        public var bandHalfWidthMm = 1.5
        /// Blood level: the profile over this length of the axis basal of the last short-axis cavity centre (mm).
        public var bloodSpanMm = 10.0
        /// The profile must stay below the half level this long (mm) for the cavity to have ended.
        public var endRunMm = 3.0
        /// The apex is sought this far beyond the last short-axis cavity centre (mm).
        public var searchBeyondMm = 30.0
        /// A view whose plane lies farther than this from the axis point does not show the apex on the axis (mm).
        public var maxAxisOffsetMm = 5.0
        /// Measure the apical wall along the axis in the views (the epicardial apex where the profile beyond the
        /// endocardial apex leaves the myocardium's range for `endRunMm`: below half the wall level, lung; above the
        /// half level to blood, fat). false: the wall of the last short-axis slice with a cavity, which cuts the
        /// apical cap obliquely and reads thicker than the wall along the axis.
        public var apicalWallFromViews = true
        /// Plausible apical wall along the axis (mm): normal apical wall 5-7 mm, thinned apical scar 2-3 mm
        /// (Kawel N et al., Circ Cardiovasc Imaging 2012;5:500: normal segmental wall thickness by CMR, apical
        /// segments thinnest); outside this range a view's wall is not used.
        public var apicalWallRangeMm: ClosedRange<Double> = 2...15
    }

    /// Height of the endocardial apex along `baseToApex` from `originMm` (mm), the median over the views that show it,
    /// the per-view heights, and the apical wall along the axis (mm, the median over the views where its outer edge
    /// was found; nil where none); nil when no view shows the apex.
    /// - Parameters:
    ///   - axisPointMm: the centre of the most apical short-axis slice with a cavity at ED (patient mm).
    ///   - wallSlices: the last short-axis walls with a cavity at ED (their wall crossings give the myocardium level).
    static func detect(views: [MitralAnnulus.View], timeMs: Double, axisPointMm: Vec3, baseToApex: Vec3, originMm: Vec3,
                       wallSlices: [WallTracker.SliceWall], frame ed: Int, settings: Settings)
        -> (heightMm: Double, perView: [String: Double], apicalWallMm: Double?)? {
        guard settings.enabled else { return nil }
        var perView: [String: Double] = [:]
        var walls: [Double] = []
        for v in views where v.volume.frames > 0 {
            let times = v.timesMs.count == v.volume.frames ? v.timesMs : (0..<v.volume.frames).map(Double.init)
            let tLA = times.indices.min { abs(times[$0] - timeMs) < abs(times[$1] - timeMs) }!
            let image = PlaneImage(volume: v.volume, slice: 0, frame: tLA)
            if let p = apexPoint(image: image, axisPointMm: axisPointMm, baseToApex: baseToApex, wallSlices: wallSlices,
                                 frame: ed, settings: settings) {
                perView[v.name] = (p.endocardium - originMm).dot(baseToApex)
                if let wall = p.wallMm { walls.append(wall) }
            }
        }
        guard !perView.isEmpty else { return nil }
        return (Stats.median(Array(perView.values)), perView, walls.isEmpty ? nil : Stats.median(walls))
    }

    /// The endocardial apex of one view (patient mm) and the wall beyond it along the axis (mm; nil where its outer
    /// edge was not found), or nil.
    static func apexPoint(image: PlaneImage, axisPointMm: Vec3, baseToApex: Vec3, wallSlices: [WallTracker.SliceWall],
                          frame ed: Int, settings: Settings) -> (endocardium: Vec3, wallMm: Double?)? {
        let plane = image.plane
        let (a0, offset) = plane.inPlane(axisPointMm)
        guard abs(offset) <= settings.maxAxisOffsetMm else { return nil }
        let ahead = plane.inPlane(axisPointMm + baseToApex * 10).position - a0
        let aheadLength = (ahead.x * ahead.x + ahead.y * ahead.y).squareRoot()
        guard aheadLength > 5 else { return nil }   // axis far out of the plane
        let u = ahead / aheadLength, across = SIMD2(-u.y, u.x)
        let width = Double(plane.width - 1) * plane.dxMm, height = Double(plane.height - 1) * plane.dyMm
        func band(_ s: Double) -> Double? {
            var sum = 0.0, count = 0.0
            var c = -settings.bandHalfWidthMm
            while c <= settings.bandHalfWidthMm + 1e-9 {
                let p = a0 + u * s + across * c
                guard p.x >= 0, p.y >= 0, p.x <= width, p.y <= height else { return nil }
                sum += Double(image.sample(p)); count += 1
                c += settings.stepMm
            }
            return sum / count
        }
        // Levels on this image: blood along the axis basal of the last cavity centre, myocardium mid-wall where the
        // last slices' contours cross the view.
        var blood: [Double] = []
        var s = -settings.bloodSpanMm
        while s <= 0 { if let b = band(s) { blood.append(b) }; s += settings.stepMm }
        var wall: [Double] = []
        for w in wallSlices where w.valid.indices.contains(ed) && w.valid[ed] {
            let endo = MitralAnnulus.crossings(w, frame: ed, radii: w.endo[ed], plane: plane)
            let epi = MitralAnnulus.crossings(w, frame: ed, radii: w.epi[ed], plane: plane)
            for e in endo {
                guard let p = epi.min(by: { (($0 - e) * ($0 - e)).sum() < (($1 - e) * ($1 - e)).sum() }) else { continue }
                wall.append(Double(image.sample(0.5 * (e + p))))
            }
        }
        guard blood.count >= 4, !wall.isEmpty else { return nil }
        let bloodLevel = Stats.median(blood), wallLevel = Stats.median(wall)
        guard bloodLevel > wallLevel else { return nil }
        let half = 0.5 * (bloodLevel + wallLevel)
        // Walk from the last cavity centre towards the apex: the first crossing below half that stays below.
        let run = Int((settings.endRunMm / settings.stepMm).rounded(.up))
        let steps = Int(settings.searchBeyondMm / settings.stepMm)
        var profile: [Double] = []
        for k in 0...(steps + run) {
            guard let b = band(Double(k) * settings.stepMm) else { break }
            profile.append(b)
        }
        guard let first = profile.first, first >= half else { return nil }
        for k in 1..<max(1, profile.count - run) where profile[k] < half && profile[k - 1] >= half {
            guard profile[k..<(k + run)].allSatisfy({ $0 < half }) else { continue }
            let f = (profile[k - 1] - half) / max(1e-12, profile[k - 1] - profile[k])
            let endoMm = (Double(k - 1) + f) * settings.stepMm
            var wallMm: Double? = nil
            if settings.apicalWallFromViews {
                // Beyond the endocardium: the wall lasts while the profile stays between half the wall level (lung,
                // air: darker) and the half level to blood (fat, fluid: brighter); its outer edge is the crossing of
                // the level it leaves by, the first run of `endRunMm` outside.
                let low = 0.5 * wallLevel, high = half
                let outside = { (x: Double) in x < low || x > high }
                let candidates = (k + 1)..<max(k + 1, profile.count - run)
                if let j = candidates.first(where: { profile[$0..<($0 + run)].allSatisfy(outside) }) {
                    let level = profile[j] < low ? low : high, step = profile[j - 1] - profile[j]
                    let g = step == 0 ? 0 : min(1, max(0, (profile[j - 1] - level) / step))
                    let outer = (Double(j - 1) + g) * settings.stepMm
                    if settings.apicalWallRangeMm.contains(outer - endoMm) { wallMm = outer - endoMm }
                }
            }
            return (plane.patient(a0 + u * endoMm), wallMm)
        }
        return nil
    }
}
