import CRTCore
import Foundation

// Scar as it is in CRT candidates rather than a smooth homogeneous ellipse: irregular borders, islands of surviving
// myocardium within the grey zone, uneven gadolinium uptake, microvascular obstruction, mid-wall and epicardial
// patterns, a septal mid-wall stripe in non-ischaemic cardiomyopathy, fibrosis at the RV insertion points, and
// passive stretch of transmural scar. Each is a realism field (Phantoms/README.md), neutral under `realism: ideal`.

extension RealismField {
    static var scarTissueFields: [RealismField] {
        [
            RealismField("scarTissue.borderIrregularity", \.scarTissue.borderIrregularity, unit: "(fraction of the half-extents)",
                         range: 0...0.5, clinical: .uniform(min: 0.1, max: 0.35), ideal: 0,
                         meaning: "random wobble of each scar's border (smooth noise, about 12 mm across), so footprints are not ellipses",
                         source: "infarcts follow the perfusion territory with irregular, interdigitating borders (Schmidt et al., Circulation 2007;115:2006; Yan et al., Circulation 2006;114:32); amplitude an assumption"),
            RealismField("scarTissue.patchiness", \.scarTissue.patchiness, unit: "(noise threshold, 0-1)",
                         range: 0...0.5, clinical: .uniform(min: 0, max: 0.3), ideal: 0,
                         meaning: "islands of surviving myocardium in the core (about 5 mm across) where a smooth noise field is below the threshold; they become grey zone",
                         source: "heterogeneous infarct core and peri-infarct zone, viable and fibrotic tissue interdigitating (Schmidt et al., Circulation 2007;115:2006); amount an assumption"),
            RealismField("scarTissue.coreHeterogeneity", \.scarTissue.coreHeterogeneity, unit: "(fraction of the enhancement)",
                         range: 0...0.5, clinical: .uniform(min: 0.05, max: 0.3), ideal: 0,
                         meaning: "uneven gadolinium uptake within the core: enhancement 1 - h x noise (about 3 mm across)",
                         source: "signal intensity varies within infarct core on LGE (Schmidt et al., Circulation 2007;115:2006); spread an assumption"),
            RealismField("scarTissue.greyZoneEnhancement", \.scarTissue.greyZoneEnhancement, unit: "(fraction of the core's R1 change)",
                         range: 0.1...0.45, clinical: .uniform(min: 0.15, max: 0.4), ideal: 0.3,
                         meaning: "gadolinium uptake (relaxation-rate change) of the grey border zone relative to the core: 0.3 gives about 35 % of the core's LGE signal at the nulling TI; above about 0.45 the zone would exceed 50 %, which FWHM counts as core by definition",
                         source: "peri-infarct grey zone: signal above remote + 2 SD and below 50 % of the core maximum (Schmidt et al., Circulation 2007;115:2006; Yan et al., Circulation 2006;114:32)"),
            RealismField("scarTissue.microvascularObstruction", \.scarTissue.microvascularObstruction, unit: "(fraction of the footprint radius)",
                         range: 0...0.5, clinical: .zeroOrUniform(probabilityZero: 0.9, min: 0.15, max: 0.4), ideal: 0,
                         meaning: "unenhanced (dark) centre of a transmural ischaemic core, in its endocardial half; scar in the truth",
                         source: "MVO in about half of reperfused acute infarcts, resolving within weeks (de Waha et al., Eur Heart J 2010;31:1079; Ibanez et al., JACC 2019;74:238); rare in the chronic scar of CRT candidates (probability an assumption)"),
            RealismField("scarTissue.rvInsertionFibrosis", \.scarTissue.rvInsertionFibrosis, unit: "(0 or 1)", range: 0...1,
                         integer: true, clinical: .bernoulli(probability: 0.2), ideal: 0,
                         meaning: "enhancement of the RV wall at both insertion points (RV scar, not LV scar: a pipeline must not count it)",
                         source: "RV insertion-point LGE in non-ischaemic cardiomyopathy and pulmonary hypertension (Grigoratos et al., Heart Fail Rev 2016;21:323); probability an assumption"),
            RealismField("scarTissue.septalMidwallStripe", \.scarTissue.septalMidwallStripe, unit: "(0 or 1)", range: 0...1,
                         integer: true,
                         clinical: { spec in spec.scars.isEmpty && spec.activation.pattern == "lbbb" ? .bernoulli(probability: 0.3) : .fixed(0) },
                         ideal: 0,
                         meaning: "a septal mid-wall stripe of fibrosis (basal to mid septum, a third of the wall); drawn only for LBBB patients without given scar",
                         source: "mid-wall septal fibrosis in about 30 % of non-ischaemic dilated cardiomyopathy (McCrohon et al., Circulation 2003;108:54; Assomull et al., JACC 2006;48:1977)"),
            RealismField("scarTissue.texturePattern", \.scarTissue.texturePattern, unit: "(pattern number)", range: 0...9999,
                         integer: true, clinical: .uniform(min: 0, max: 9999), ideal: 0,
                         meaning: "which noise fields shape the scar's border, islands and uptake",
                         source: "a label: one texture per patient"),
            RealismField("motion.scarPassiveStretch", \.motion.scarPassiveStretch, unit: "(fraction of the healthy peak radial strain)",
                         range: 0...0.5, clinical: .uniform(min: 0, max: 0.3), ideal: 0,
                         meaning: "systolic thinning of transmural scar (negative radial strain: passive stretch by the contracting remote wall)",
                         source: "dyskinetic, passively stretched infarct segments with negative systolic radial strain (Kramer et al., Circulation 1993;88:1279; Bijnens et al., Eur J Echocardiogr 2009;10:216); magnitude an assumption"),
        ]
    }
}

extension PhantomSpec {
    /// The scar regions the model carries: those the file gives and, when drawn, the septal mid-wall stripe of
    /// non-ischaemic cardiomyopathy (basal to mid inferoseptum and anteroseptum, a third of the wall).
    public var effectiveScars: [ScarRegion] {
        guard (scarTissue.septalMidwallStripe ?? 0) >= 0.5 else { return scars }
        var stripe = ScarRegion()
        stripe.centreAngleDeg = anatomy.inferiorInsertionAngleDeg / 2
        stripe.centreHeightFraction = 0.4
        stripe.angularExtentDeg = 0.7 * anatomy.inferiorInsertionAngleDeg
        stripe.heightExtentFraction = 0.6
        stripe.transmurality = 0.3
        stripe.borderZoneMm = 1
        stripe.layer = .midwall
        return scars + [stripe]
    }
}

/// Smooth pseudo-random fields on the LV wall for one patient: value noise on a lattice in (arc mm at a reference
/// radius, mm along the long axis), smoothstep-interpolated, values in [0, 1]. Deterministic from the pattern number
/// and a channel, so a case is the same whatever machine or job made it.
struct WallNoise: Sendable {
    let pattern: UInt64

    /// The field of `channel` at segment angle `phiDeg` and height `heightMm`, on a lattice of `cellMm`.
    func value(channel: UInt64, phiDeg: Double, heightMm: Double, cellMm: Double) -> Double {
        // Arc length at a 30 mm reference radius; the lattice wraps at 360 degrees.
        let circumference = 2 * Double.pi * 30
        let cellsAround = max(1, Int((circumference / cellMm).rounded()))
        let x = phiDeg / 360 * Double(cellsAround), y = heightMm / cellMm
        let x0 = floor(x), y0 = floor(y)
        let fx = smooth(x - x0), fy = smooth(y - y0)
        func lattice(_ i: Double, _ j: Double) -> Double {
            let ii = ((Int(i) % cellsAround) + cellsAround) % cellsAround
            var h = pattern &* 0x9E37_79B9_7F4A_7C15 ^ channel &* 0xBF58_476D_1CE4_E5B9
            h ^= UInt64(truncatingIfNeeded: ii) &* 0x94D0_49BB_1331_11EB
            h ^= UInt64(truncatingIfNeeded: Int(j)) &* 0xD6E8_FEB8_6659_FD93
            h = (h ^ (h >> 31)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            return Double(h >> 11) / Double(1 << 53)
        }
        let a = lattice(x0, y0), b = lattice(x0 + 1, y0), c = lattice(x0, y0 + 1), d = lattice(x0 + 1, y0 + 1)
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }

    private func smooth(_ t: Double) -> Double { t * t * (3 - 2 * t) }
}

/// The scar in one cell of the material grid: core and grey-zone intervals across the wall (fractions from the
/// endocardium), the core's gadolinium uptake, and the microvascular obstruction's outer depth.
struct ScarCell: Equatable {
    var coreIn = 0.0, coreOut = 0.0
    var borderIn = 0.0, borderOut = 0.0
    var coreEnhancement = 1.0
    var obstructionOut = 0.0
    var hasCore: Bool { coreOut > coreIn }
    var hasBorder: Bool { borderOut > borderIn }
    /// Fraction of the wall the core spans.
    var coreExtent: Double { max(0, coreOut - coreIn) }
    var borderExtent: Double { max(0, borderOut - borderIn) }
}

/// The patient's scar texture (`PhantomSpec.ScarTissue` resolved to numbers).
struct ScarTexture: Sendable {
    let irregularity: Double, patchiness: Double, heterogeneity: Double, obstruction: Double
    let noise: WallNoise

    init(_ t: PhantomSpec.ScarTissue) {
        irregularity = t.borderIrregularity ?? 0
        patchiness = t.patchiness ?? 0
        heterogeneity = t.coreHeterogeneity ?? 0
        obstruction = t.microvascularObstruction ?? 0
        noise = WallNoise(pattern: UInt64(max(0, t.texturePattern ?? 0)))
    }

}
