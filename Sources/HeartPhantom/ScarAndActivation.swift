import CRTCore
import SegmentModel
import Foundation

/// One scar region on the material grid. Footprint: an ellipse in (angle, height fraction) of the given full
/// extents. Core transmurality is `transmurality` over most of the footprint and tapers in its outer rim; the grey
/// border zone surrounds the core by `borderZoneMm` tangentially and transmurally.
struct ScarShape {
    let centreAngle: Double, centreFraction: Double
    let halfAngle: Double, halfFraction: Double
    let transmurality: Double, borderMm: Double

    init(region: PhantomSpec.ScarRegion, rings: RingBoundaries) {
        if let a = region.centreAngleDeg, let f = region.centreHeightFraction {
            centreAngle = a; centreFraction = f
        } else {
            let seg = Segment36(region.centreSegment ?? 1)!
            let ring = seg.ring
            centreAngle = seg.centreAngleDegrees
            let bounds = [0, rings.basalMidFraction, rings.midApicalFraction, 1]
            centreFraction = 0.5 * (bounds[ring] + bounds[ring + 1])
        }
        halfAngle = region.angularExtentDeg / 2
        halfFraction = region.heightExtentFraction / 2
        transmurality = region.transmurality
        borderMm = region.borderZoneMm
    }

    /// Core and border-zone depths (fractions of the wall from the endocardium) at a material point.
    func depths(phiDeg: Double, fraction f: Double, midRadiusMm: Double, lengthMm: Double, wallMm: Double) -> (core: Double, border: Double) {
        let da = angleDifferenceDegrees(phiDeg, centreAngle)
        let df = f - centreFraction
        let q2 = (da / halfAngle) * (da / halfAngle) + (df / halfFraction) * (df / halfFraction)
        var core = 0.0
        if q2 < 1 { core = transmurality * min(1, 2 * (1 - q2).squareRoot()) }
        var border = core
        if borderMm > 0 {
            let degPerMm = 180 / (.pi * max(midRadiusMm, 1))
            let ha = halfAngle + borderMm * degPerMm, hf = halfFraction + borderMm / lengthMm
            let qb = (da / ha) * (da / ha) + (df / hf) * (df / hf)
            if qb < 1 {
                border = max(core, min(1, transmurality * min(1, 2 * (1 - qb).squareRoot()) + borderMm / wallMm))
            }
        }
        return (core, border)
    }
}

/// The generator's mechanical onset field (ms after the R trigger) for each activation pattern.
///
/// - lbbb: earliest at the mid septum (segment angle 60), latest at `latestAngleDeg` (default 220,
///   inferolateral/posterolateral) and `latestHeightFraction` (default the base), later the nearer a point is to
///   that height.
/// - normal: near-synchronous, earliest septal-apical, latest basal lateral; default spread 30 ms.
/// - rbbb: LV early laterally, latest anteroseptal (default angle 30); default spread 50 ms.
/// - explicit: per-segment onsets from `explicitOnsetMs` (piecewise constant per segment).
struct OnsetField {
    let pattern: String
    let earliest: Double, delay: Double
    let earlyAngle: Double, lateAngle: Double
    let baseWeight: Double
    /// Height fraction of the latest site (0 = base).
    let lateHeight: Double
    let explicit: [Int: Double]
    /// Conduction around scar: the scars that block (core transmurality >= `blockingTransmurality`), the
    /// conduction velocity of the detour (mm/ms; nil: no block, the ideal patient) and the most the detour may
    /// add (ms): the slack of the beat (95 % of the R-R interval less the latest onset, contraction and relaxation)
    /// so that every point still relaxes within the beat.
    let blocks: [ScarShape]
    let conductionMmPerMs: Double?
    let maxBlockDelayMs: Double
    static let blockingTransmurality = 0.5

    init(spec: PhantomSpec) {
        let a = spec.activation
        pattern = a.pattern
        earliest = a.earliestOnsetMs
        delay = a.resolvedTotalDelayMs
        lateAngle = a.resolvedLatestAngleDeg
        earlyAngle = wrapDegrees(lateAngle + 180)
        baseWeight = a.pattern == "normal" ? 0.5 : 0.2
        lateHeight = a.latestHeightFraction ?? 0
        explicit = a.explicitOnsetMs
        blocks = spec.scars.map { ScarShape(region: $0, rings: spec.segmentModel) }
            .filter { $0.transmurality >= OnsetField.blockingTransmurality }
        conductionMmPerMs = a.scarConductionVelocityMmPerMs
        let m = spec.motion
        maxBlockDelayMs = max(0, 0.95 * m.rrIntervalMs - (a.earliestOnsetMs + delay + m.contractionMs + m.relaxationMs))
    }

    /// Onset (ms) at segment angle phi and height fraction f (0 base, 1 apex); `lengthMm` is the cavity length.
    func onsetMs(phiDeg: Double, fraction f: Double, segment: UInt8, lengthMm: Double = 0) -> Double {
        if pattern == "explicit" {
            return segment == 0 ? earliest : (explicit[Int(segment)] ?? earliest)
        }
        let dLate = abs(angleDifferenceDegrees(phiDeg, lateAngle)) / 180      // 0 at the latest site, 1 opposite
        let angular = 0.5 * (1 + cos(.pi * dLate))                             // 1 at the latest, 0 opposite
        let height = 1 - min(1, abs(f - lateHeight))                          // 1 at the latest site's height
        let lateness = (angular + baseWeight * height) / (1 + baseWeight)     // 0-1
        return earliest + delay * lateness + blockDelayMs(phiDeg: phiDeg, fraction: f, lengthMm: lengthMm)
    }

    /// Extra delay behind a blocking scar (U-shaped activation): the wavefront spreads round the LV from the
    /// earliest site both ways; a point whose path crosses a transmural scar at its own height is reached round
    /// the scar's nearer edge in height and back, `2 (halfHeight - |f - centre|) x length` mm further, at
    /// `conductionMmPerMs`. The shadow fades over 90 degrees beyond the scar's far edge as the wave closes in
    /// behind it.
    func blockDelayMs(phiDeg: Double, fraction f: Double, lengthMm: Double) -> Double {
        guard let cv = conductionMmPerMs, cv > 0, !blocks.isEmpty, lengthMm > 0 else { return 0 }
        let path = angleDifferenceDegrees(phiDeg, earlyAngle)                 // signed, from the earliest site
        var extra = 0.0
        for b in blocks {
            let toScar = angleDifferenceDegrees(b.centreAngle, earlyAngle)
            guard toScar * path > 0 else { continue }                         // the scar is on the other way round
            let beyond = abs(path) - (abs(toScar) + b.halfAngle)              // degrees past the scar's far edge
            let off = abs(f - b.centreFraction)
            guard beyond > 0, off < b.halfFraction else { continue }
            let detourMm = 2 * (b.halfFraction - off) * lengthMm
            extra = max(extra, detourMm / cv * max(0, 1 - beyond / 90))
        }
        return min(extra, maxBlockDelayMs)
    }
}

extension RealismField {
    /// Where the latest-activated site lies, drawn per patient (clinical magnitudes, Phantoms/README.md).
    static var activationFields: [RealismField] {
        [
            RealismField("activation.latestAngleDeg", \.activation.latestAngleDeg, unit: "degrees", range: 0...360,
                         clinical: { spec in
                             switch spec.activation.pattern {
                             case "normal": return .normal(mean: 270, sd: 40)
                             case "rbbb": return .normal(mean: 30, sd: 30)
                             default: return .normal(mean: 225, sd: 35)
                             }
                         },
                         ideal: nil,
                         meaning: "segment angle of the latest-activated LV site (0 anterior RV insertion, through the septum)",
                         source: "LBBB: latest site lateral, posterolateral or inferolateral with spread between patients (Auricchio et al., Circulation 2004;109:1133; Ypenburg et al., JACC 2008;52:1402); normal and RBBB: crtsim's earlier fixed sites with a comparable spread (assumption)"),
            RealismField("activation.scarConductionVelocityMmPerMs", \.activation.scarConductionVelocityMmPerMs, unit: "mm/ms",
                         range: 0.2...1.5, clinical: .normal(mean: 0.6, sd: 0.15), ideal: nil,
                         meaning: "conduction velocity of the wavefront detouring round a transmural scar (scar core transmurality >= 0.5 blocks; U-shaped activation); unset, no block",
                         source: "LV myocardial conduction 0.3-1 m/s in CRT candidates, slowed near scar; lines of block and U-shaped activation round scar and in LBBB (Auricchio et al., Circulation 2004;109:1133)"),
            RealismField("activation.latestHeightFraction", \.activation.latestHeightFraction, unit: "(fraction, base 0 to apex 1)",
                         range: 0...0.9, clinical: .normal(mean: 0.3, sd: 0.15), ideal: nil,
                         meaning: "height of the latest-activated site; unset, the base",
                         source: "latest mechanical activation at basal or mid level in most CRT candidates (Ypenburg et al., JACC 2008;52:1402; Delgado et al., JACC 2011;57:2034); spread chosen to cover the basal and mid rings"),
        ]
    }
}
