import CRTCore
import SegmentModel
import Foundation

/// One scar region on the material grid. Footprint: an ellipse in (angle, height fraction) of the given full
/// extents, its border wobbled by the patient's `borderIrregularity`. Core transmural extent is `transmurality` over
/// most of the footprint and tapers in its outer rim; the grey border zone surrounds the core by `borderZoneMm`
/// tangentially and transmurally. The core lies from the endocardium (`subendocardial`), centred in the wall
/// (`midwall`) or from the epicardium (`epicardial`).
struct ScarShape {
    let centreAngle: Double, centreFraction: Double
    let halfAngle: Double, halfFraction: Double
    let transmurality: Double, borderMm: Double
    let layer: PhantomSpec.ScarLayer
    /// Index of the region, so that each scar gets its own border wobble.
    let index: Int

    init(region: PhantomSpec.ScarRegion, rings: RingBoundaries, index: Int = 0) {
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
        layer = region.layer
        self.index = index
    }

    /// Where the empty cells' intervals sit, so that interpolating towards a scar's edge shrinks its interval
    /// towards its own layer (the endocardium, the mid-wall or the epicardium).
    var anchor: Double {
        switch layer {
        case .subendocardial: return 0
        case .midwall: return 0.5
        case .epicardial: return 1
        }
    }

    /// The wall interval (fractions from the endocardium) of a layer spanning `extent` of the wall.
    func interval(extent e: Double, extra: Double) -> (Double, Double) {
        let x = min(1, e)
        switch layer {
        case .subendocardial: return (0, min(1, x + extra))
        case .epicardial: return (max(0, 1 - x - extra), 1)
        case .midwall: return (max(0, 0.5 - x / 2 - extra), min(1, 0.5 + x / 2 + extra))
        }
    }

    /// The scar of this region in one cell at segment angle phi and height fraction f (0 base, 1 apex), or nil
    /// where the region does not reach.
    func cell(phiDeg: Double, fraction f: Double, midRadiusMm: Double, lengthMm: Double, wallMm: Double,
              texture: ScarTexture) -> ScarCell? {
        let da = angleDifferenceDegrees(phiDeg, centreAngle)
        let df = f - centreFraction
        let heightMm = f * lengthMm
        // Irregular border: the footprint's radius (in units of the half-extents) wobbles by +- irregularity.
        var scale = 1.0
        if texture.irregularity > 0 {
            let n = texture.noise.value(channel: UInt64(10 + index), phiDeg: phiDeg, heightMm: heightMm, cellMm: 12)
            scale = 1 + texture.irregularity * (2 * n - 1)
        }
        let s2 = scale * scale
        let q2 = ((da / halfAngle) * (da / halfAngle) + (df / halfFraction) * (df / halfFraction)) / s2
        let degPerMm = 180 / (.pi * max(midRadiusMm, 1))
        let ha = halfAngle + borderMm * degPerMm, hf = halfFraction + borderMm / lengthMm
        let qb = ((da / ha) * (da / ha) + (df / hf) * (df / hf)) / s2
        guard q2 < 1 || (borderMm > 0 && qb < 1) else { return nil }
        var c = ScarCell()
        (c.coreIn, c.coreOut) = (anchor, anchor)
        var coreExtent = 0.0, islandExtent = 0.0
        if q2 < 1 {
            coreExtent = transmurality * min(1, 2 * (1 - q2).squareRoot())
            // Islands of surviving myocardium: where the patch field is below the threshold the core is grey zone.
            if texture.patchiness > 0,
               texture.noise.value(channel: 20, phiDeg: phiDeg, heightMm: heightMm, cellMm: 5) < texture.patchiness {
                islandExtent = coreExtent
                coreExtent = 0
            }
        }
        if coreExtent > 0 { (c.coreIn, c.coreOut) = interval(extent: coreExtent, extra: 0) }
        var borderExtent = coreExtent
        if borderMm > 0 && qb < 1 {
            borderExtent = max(coreExtent, min(1, transmurality * min(1, 2 * (1 - qb).squareRoot())))
            let extra = borderMm / wallMm
            (c.borderIn, c.borderOut) = interval(extent: borderExtent, extra: extra)
        } else if islandExtent > 0 {
            (c.borderIn, c.borderOut) = interval(extent: islandExtent, extra: 0)   // an island is grey zone
        } else {
            (c.borderIn, c.borderOut) = (c.coreIn, c.coreOut)
        }
        if coreExtent > 0 && texture.heterogeneity > 0 {
            c.coreEnhancement = 1 - texture.heterogeneity * texture.noise.value(channel: 30, phiDeg: phiDeg, heightMm: heightMm, cellMm: 3)
        }
        // Microvascular obstruction: the centre of a transmural ischaemic core, in its endocardial half.
        if layer == .subendocardial && transmurality >= 0.5 && texture.obstruction > 0 && coreExtent > 0
            && q2 < texture.obstruction * texture.obstruction {
            c.obstructionOut = 0.5 * coreExtent
        }
        return c
    }

    /// Core and border-zone intervals of several regions in one cell: the hull of each (scars of different layers
    /// that overlap in a cell join across the wall), the lowest uptake and the deepest obstruction.
    static func combined(_ shapes: [ScarShape], phiDeg: Double, fraction f: Double, midRadiusMm: Double,
                         lengthMm: Double, wallMm: Double, texture: ScarTexture) -> ScarCell {
        var out = ScarCell()
        let anchor = shapes.allSatisfy { $0.layer == shapes.first?.layer } ? (shapes.first?.anchor ?? 0) : 0
        (out.coreIn, out.coreOut, out.borderIn, out.borderOut) = (anchor, anchor, anchor, anchor)
        for sh in shapes {
            guard let c = sh.cell(phiDeg: phiDeg, fraction: f, midRadiusMm: midRadiusMm, lengthMm: lengthMm,
                                  wallMm: wallMm, texture: texture) else { continue }
            if c.hasCore {
                if out.hasCore { out.coreIn = min(out.coreIn, c.coreIn); out.coreOut = max(out.coreOut, c.coreOut) }
                else { out.coreIn = c.coreIn; out.coreOut = c.coreOut }
                out.coreEnhancement = min(out.coreEnhancement, c.coreEnhancement)
                out.obstructionOut = max(out.obstructionOut, c.obstructionOut)
            }
            if c.hasBorder {
                if out.hasBorder { out.borderIn = min(out.borderIn, c.borderIn); out.borderOut = max(out.borderOut, c.borderOut) }
                else { out.borderIn = c.borderIn; out.borderOut = c.borderOut }
            }
        }
        return out
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
        blocks = spec.effectiveScars.map { ScarShape(region: $0, rings: spec.segmentModel) }
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
