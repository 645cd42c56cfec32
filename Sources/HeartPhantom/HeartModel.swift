import CRTCore
import SegmentModel
import Foundation

/// The synthetic left ventricle (with RV, atria, veins attached): a truncated prolate-spheroidal shell sized by
/// its end-diastolic volume, with regional activation, thickening, longitudinal shortening and scar.
///
/// Method: all regional properties live on a material grid over height s (apex 0 to base H, mm) and angle phi
/// (1 degree). At each time the endocardial and epicardial radii of every material cell follow from
/// incompressibility of the wall annulus: thickness T' = T0 (1 + radial strain), annulus area A' = A0 / lambda
/// (lambda = longitudinal stretch, apex fixed, base descends), so r_endo' = (A'/T' - T') / 2. A point is
/// classified by inverting this map: s = s'/lambda, radii looked up at (s, phi).
public final class HeartModel: Sendable {
    public let spec: PhantomSpec
    public let frame: HeartFrame
    /// Prolate-spheroid semi-axes (mm): endocardial short/long, epicardial short/long.
    public let endoShortMm: Double, endoLongMm: Double, epiShortMm: Double, epiLongMm: Double
    /// Height of the spheroids' centre, of the base plane and of the endocardial apex above the epicardial apex (mm).
    /// With a tilted or saddle-shaped mitral annulus (`anatomy.annulusTiltDeg`, `annulusSaddleHeightMm`) the base
    /// height is the annulus's mean over the angle; `annulusHeight(phiDeg:)` is the local height.
    public let centreHeightMm: Double, baseHeightMm: Double, endoApexHeightMm: Double
    /// Top of the material grid: the annulus's highest point (the base plane when the base is flat) (mm).
    public let gridTopMm: Double
    /// The mitral annulus surface (AnatomyVariation.swift): the LV blood pool ends at it, the wall at its ring.
    let annulusSurface: AnnulusSurface
    /// True for the flat base plane of the first releases (no tilt, no saddle).
    public let flatBase: Bool
    /// Material grid: `heightSamples` rows over [0, gridTopMm], 360 angle columns.
    public let heightSamples: Int
    public let heightStepMm: Double
    public static let angleSamples = 360

    // Time-independent per-cell tables (row-major: index = i * 360 + j).
    let rEndo0: [Float], rEpi0: [Float]
    /// Scar per cell: core and grey-zone intervals across the wall (fractions from the endocardium), the core's
    /// gadolinium uptake (0-1) and the outer depth of microvascular obstruction (ScarTissue.swift).
    let coreIn: [Float], coreOut: [Float], borderIn: [Float], borderOut: [Float]
    let coreEnhancement: [Float], obstructionOut: [Float]
    /// Grey-zone gadolinium uptake (fraction of the core's), `scarTissue.greyZoneEnhancement`.
    public let greyZoneEnhancement: Double
    /// Whether the RV wall at the insertion points is fibrotic (`scarTissue.rvInsertionFibrosis`).
    public let rvInsertionFibrosis: Bool
    /// The RV crescent's largest width (mm) and how far down the LV it reaches (fraction of the cavity length from
    /// the base), and the groove fat's thickness (mm): `anatomy.rvWidthMm` x `rvSizeFactor`, `rvApexFraction`,
    /// `grooveFatMm`.
    public let rvWidthMm: Double, rvApexFraction: Double, grooveFatMm: Double
    /// `PhantomSpec.Anatomy.pericardiumMm` (0: none), drawn by `sample(_:_:includePericardium:)` only.
    public let pericardiumMm: Double
    /// Bounds for `sample`'s early answer "no cardiac tissue" below the base: the lowest annulus ring height
    /// (mm, material; 1e-6 mm under it, below any rounding of the ring's interpolation between angle columns)
    /// and how far (mm) outside the largest epicardial radius anything below the base reaches (the RV crescent
    /// and its wall, the 16 mm vein search, groove fat; plus 0.01 mm for the Float radii's rounding).
    let farBelowBase: (ringMm: Double, beyondEpiMm: Double)
    let onsetMs: [Float], peakStrain: [Float]
    let segmentIds: [UInt8]
    /// Mean contraction of the LV at each ms of the R-R interval (0-1), drives longitudinal shortening.
    let globalCurve: [Float]
    public let veins: VenousTree
    /// Largest epicardial radius at end-diastole (mm).
    public let maxEpiRadiusMm: Double
    /// Per material cell below the top row (index i * 360 + j), the annulus surface's positive roots at the cell's
    /// mid-height (`AnnulusSurface.positiveRoots`) for `cavityVolumeMm3`; empty for a flat base.
    let cavityRoots: [SIMD2<Double>]
    /// Centres above the base that depend on the heart's size alone (`sampleAboveBase`), computed once instead of
    /// at every point (the same expressions, so the same bits).
    let aboveBase: AboveBaseLayout

    /// Builds and sizes the heart for `spec.anatomy.edvMl`.
    public init(spec: PhantomSpec) {
        self.spec = spec
        let an = spec.anatomy
        let fb = an.baseTruncation, k = an.resolvedLengthToDiameterRatio
        let targetMm3 = an.edvMl * 1000
        var aEn = pow(targetMm3 / (Double.pi * k * (2.0 / 3 + fb - fb * fb * fb / 3)), 1.0 / 3)
        let ns = 220
        heightSamples = ns
        var built: Tables!
        for _ in 0..<6 {
            built = HeartModel.buildTables(spec: spec, endoShort: aEn, ns: ns)
            let v = built.edVolumeMm3
            aEn *= pow(targetMm3 / v, 1.0 / 3)
        }
        built = HeartModel.buildTables(spec: spec, endoShort: aEn, ns: ns)
        endoShortMm = aEn; endoLongMm = built.cEn; epiShortMm = built.aEp; epiLongMm = built.cEp
        centreHeightMm = built.sc; baseHeightMm = built.h; endoApexHeightMm = built.sApexEndo
        gridTopMm = built.top; annulusSurface = built.surface; flatBase = built.surface.flat
        heightStepMm = built.top / Double(ns - 1)
        rEndo0 = built.rEn; rEpi0 = built.rEp
        coreIn = built.coreIn; coreOut = built.coreOut; borderIn = built.borderIn; borderOut = built.borderOut
        coreEnhancement = built.coreEnhancement; obstructionOut = built.obstructionOut
        greyZoneEnhancement = spec.scarTissue.greyZoneEnhancement ?? 0.3
        rvInsertionFibrosis = (spec.scarTissue.rvInsertionFibrosis ?? 0) >= 0.5
        rvWidthMm = an.rvWidthMm * (an.rvSizeFactor ?? 1)
        rvApexFraction = an.rvApexFraction ?? 0.75
        grooveFatMm = an.grooveFatMm ?? 3.5
        pericardiumMm = an.pericardiumMm ?? 0
        let builtSurface: AnnulusSurface = built.surface
        let lowestRing = builtSurface.flat ? builtSurface.h0 : (0..<360).map { builtSurface.ring($0) }.min()!
        farBelowBase = (lowestRing - 1e-6,
                        max(an.rvWidthMm * (an.rvSizeFactor ?? 1) + an.rvWallThicknessMm + (an.pericardiumMm ?? 0), 16,
                            an.grooveFatMm ?? 3.5, an.pericardiumMm ?? 0) + 0.01)
        onsetMs = built.onset; peakStrain = built.peak; segmentIds = built.segment
        globalCurve = built.globalCurve

        let c = an.heartCentreMm
        let centre = Vec3(c[0], c[1], c[2])
        let sMid = (built.sApexEndo + built.h) / 2
        let tmp = HeartFrame.make(apexMm: .zero, azimuthDeg: an.longAxisAzimuthDeg, elevationDeg: an.longAxisElevationDeg,
                                  rollDeg: an.rollDeg, septumAngleDeg: an.inferiorInsertionAngleDeg / 2)
        frame = HeartFrame(apexMm: centre - tmp.baseDirection * sMid, baseDirection: tmp.baseDirection, u: tmp.u, v: tmp.v)
        maxEpiRadiusMm = Double(built.rEp.max() ?? 0)
        let step = heightStepMm, na = HeartModel.angleSamples
        cavityRoots = built.surface.flat ? [] : (0..<((ns - 1) * na)).map { idx in
            built.surface.positiveRoots(s: Double(idx / na) * step + 0.5 * step, j: idx % na)
        }
        aboveBase = AboveBaseLayout(endoShortMm: aEn, inferiorInsertionAngleDeg: an.inferiorInsertionAngleDeg)
        let surface = built.surface!
        veins = VenousTree(spec: spec, baseHeightMm: built.h, endoApexHeightMm: built.sApexEndo,
                           annulusRingMm: surface.flat ? nil : { surface.height(r: .greatestFiniteMagnitude, phiDeg: $0) })
        curvatureMm = an.longAxisCurvatureMm ?? 0
        let ca = radians(an.longAxisCurvatureAngleDeg ?? 0)
        curvatureDirection = (cos(ca), sin(ca))
    }

    // MARK: Curved long axis

    /// Bow of the cavity's centreline at mid-height (mm) and its direction in the frame's (u, v) plane.
    let curvatureMm: Double
    let curvatureDirection: (a: Double, b: Double)

    /// Sideways displacement (mm, along the frame's u and v) of the short-axis section at current height `sNow`
    /// with longitudinal stretch `lambda`: parabolic in the material height, zero at the epicardial apex and at the
    /// base and above. Each section moves whole, so areas, volumes and wall thickness are those of the straight LV.
    @inline(__always) public func centrelineOffset(sNow: Double, lambda: Double) -> (a: Double, b: Double) {
        guard curvatureMm != 0 else { return (0, 0) }
        let x = min(max(sNow / (lambda * baseHeightMm), 0), 1)
        let d = curvatureMm * 4 * x * (1 - x)
        return (d * curvatureDirection.a, d * curvatureDirection.b)
    }

    /// Heart-local coordinates of patient point p for longitudinal stretch `lambda`: current height along the long
    /// axis, radius from the (curved) centreline and segment angle; the inverse of `patient(sNow:r:phiDeg:lambda:)`.
    public func local(_ p: Vec3, lambda: Double = 1) -> (s: Double, r: Double, phiDeg: Double) {
        let d = p - frame.apexMm
        let sNow = d.dot(frame.baseDirection)
        let o = centrelineOffset(sNow: sNow, lambda: lambda)
        let a = d.dot(frame.u) - o.a, b = d.dot(frame.v) - o.b
        var phi = atan2(b, a) * (180 / .pi)
        if phi < 0 { phi += 360 }
        return (sNow, (a * a + b * b).squareRoot(), phi)
    }

    /// Patient position (LPS mm) of the point at current height `sNow`, radius r from the (curved) centreline and
    /// segment angle phi, for longitudinal stretch `lambda` (1: the material / end-diastolic heart).
    public func patient(sNow: Double, r: Double, phiDeg: Double, lambda: Double = 1) -> Vec3 {
        let o = centrelineOffset(sNow: sNow, lambda: lambda)
        return frame.patient(s: sNow, r: r, phiDeg: phiDeg) + frame.u * o.a + frame.v * o.b
    }

    /// Segment angle of the aortic orifice and LV outflow tract (degrees): the annulus's high side, where the aortic
    /// root sits on the AV plane (`sampleAboveBase`); the 3-chamber view runs through it.
    public static let aorticOrificeAngleDeg = AnatomyShape.aorticAngleDeg

    // MARK: Annulus

    /// Material height of the mitral annulus ring at segment angle phi (mm above the epicardial apex):
    /// `baseHeightMm` for a flat base, else H0 + R tan(tilt) cos(phi - 25) + saddle/2 cos 2(phi - 25)
    /// (AnatomyVariation.swift). The LV wall ends at this height; segment heights are measured from it.
    @inline(__always) public func annulusHeight(phiDeg: Double) -> Double {
        annulusSurface.height(r: .greatestFiniteMagnitude, phiDeg: phiDeg)
    }
    /// Material height of the annulus surface at radial distance r (mm) from the long axis: inside the cavity the
    /// tilted plane plus saddle that the LV blood pool (outflow tract included) ends at; the ring height outside.
    @inline(__always) public func annulusHeight(r: Double, phiDeg: Double) -> Double {
        annulusSurface.height(r: r, phiDeg: phiDeg)
    }

    /// `annulusHeight(r:phiDeg:)` and `annulusHeight(phiDeg:)` (the ring) in one table interpolation.
    @inline(__always) func annulusHeights(r: Double, phiDeg: Double) -> (surface: Double, ring: Double) {
        annulusSurface.heights(r: r, phiDeg: phiDeg)
    }

    /// `heightFraction(s:phiDeg:)` given the ring height at that angle, `annulusHeight(phiDeg:)` (mm).
    @inline(__always) func heightFraction(s: Double, ringMm h: Double) -> Double {
        if flatBase { return heightFraction(s: s) }
        return (h - s) / (h - endoApexHeightMm)
    }

    /// Fraction of the cavity length from the local annulus (0) to the endocardial apex (1) at (s, phi): the
    /// height the segment rings are measured in (docs/truth-schema.md "Base and volumes").
    @inline(__always) public func heightFraction(s: Double, phiDeg: Double) -> Double {
        if flatBase { return heightFraction(s: s) }
        let h = annulusHeight(phiDeg: phiDeg)
        return (h - s) / (h - endoApexHeightMm)
    }
    /// Material height of a height fraction at angle phi (the inverse of `heightFraction(s:phiDeg:)`).
    public func height(fraction f: Double, phiDeg: Double) -> Double {
        if flatBase { return height(fraction: f) }
        let h = annulusHeight(phiDeg: phiDeg)
        return h - f * (h - endoApexHeightMm)
    }

    /// Weight (0-1) of material cell row i (heights [s, s + ds]) at angle column j below the local annulus.
    @inline(__always) func cellWeight(_ i: Int, _ j: Int) -> Double {
        if flatBase { return 1 }
        let s = Double(i) * heightStepMm
        return min(1, max(0, (annulusSurface.ring(j) - s) / heightStepMm))
    }

    // MARK: Geometry helpers

    /// Fraction of the cavity length from the mean base plane (0) to the endocardial apex (1) of material height s.
    @inlinable public func heightFraction(s: Double) -> Double {
        (baseHeightMm - s) / (baseHeightMm - endoApexHeightMm)
    }
    /// Material height of a height fraction.
    public func height(fraction f: Double) -> Double { baseHeightMm - f * (baseHeightMm - endoApexHeightMm) }

    /// Contraction time curve (0-1) at `tauMs` after a point's onset: sin^2 rise to the peak over
    /// `contractionMs`, cos^2 relaxation over `relaxationMs`, rest otherwise.
    @inlinable public static func contraction(tauMs: Double, contractionMs: Double, relaxationMs: Double) -> Double {
        if tauMs <= 0 { return 0 }
        if tauMs < contractionMs { let x = sin(0.5 * .pi * tauMs / contractionMs); return x * x }
        let r = tauMs - contractionMs
        if r < relaxationMs { let x = cos(0.5 * .pi * r / relaxationMs); return x * x }
        return 0
    }

    func contraction(_ tau: Double) -> Double {
        HeartModel.contraction(tauMs: tau, contractionMs: spec.motion.contractionMs, relaxationMs: spec.motion.relaxationMs)
    }

    /// Mean LV contraction (0-1) at time t (ms after the R trigger).
    public func globalContraction(atMs t: Double) -> Double {
        let rr = spec.motion.rrIntervalMs
        var tt = t.truncatingRemainder(dividingBy: rr); if tt < 0 { tt += rr }
        let i = min(Int(tt), globalCurve.count - 2)
        let f = tt - Double(i)
        return Double(globalCurve[i]) * (1 - f) + Double(globalCurve[i + 1]) * f
    }

    /// Longitudinal stretch lambda(t) = 1 + peak longitudinal strain x mean contraction.
    public func longitudinalStretch(atMs t: Double) -> Double {
        1 + spec.motion.peakLongitudinalStrain * globalContraction(atMs: t)
    }

    // MARK: Table construction

    struct Tables {
        var cEn = 0.0, aEp = 0.0, cEp = 0.0, sc = 0.0, h = 0.0, sApexEndo = 0.0, top = 0.0
        var surface: AnnulusSurface! = nil
        var rEn: [Float] = [], rEp: [Float] = []
        var coreIn: [Float] = [], coreOut: [Float] = [], borderIn: [Float] = [], borderOut: [Float] = []
        var coreEnhancement: [Float] = [], obstructionOut: [Float] = []
        var onset: [Float] = [], peak: [Float] = [], segment: [UInt8] = []
        var globalCurve: [Float] = []
        var edVolumeMm3 = 0.0
    }

    static func buildTables(spec: PhantomSpec, endoShort aEn: Double, ns: Int) -> Tables {
        let an = spec.anatomy, na = angleSamples
        var t = Tables()
        t.cEn = an.resolvedLengthToDiameterRatio * aEn
        t.aEp = aEn + an.wallThicknessMm
        t.cEp = t.cEn + an.apicalWallThicknessMm
        t.sc = t.cEp
        t.h = t.sc + an.baseTruncation * t.cEn
        t.sApexEndo = t.cEp - t.cEn
        // The mitral annulus: flat at H0 = t.h, or tilted and saddle-shaped about it; the grid reaches its top.
        let shape = AnatomyShape(an)
        let zb = (t.h - t.sc) / t.cEn
        t.surface = AnnulusSurface(shape: shape, h0: t.h, radius: aEn * max(0, 1 - zb * zb).squareRoot())
        let flatBase = t.surface.flat
        t.top = flatBase ? t.h : (0..<na).map { t.surface.ring($0) }.max() ?? t.h
        let endoFactor = (0..<na).map { shape.endoFactor(phiDeg: Double($0)) }
        let thickFactor = (0..<na).map { shape.thicknessFactor(phiDeg: Double($0)) }
        let circular = shape.circular
        let ds = t.top / Double(ns - 1)
        let n = ns * na
        t.rEn = .init(repeating: 0, count: n); t.rEp = .init(repeating: 0, count: n)
        t.coreIn = .init(repeating: 0, count: n); t.coreOut = .init(repeating: 0, count: n)
        t.borderIn = .init(repeating: 0, count: n); t.borderOut = .init(repeating: 0, count: n)
        t.coreEnhancement = .init(repeating: 1, count: n); t.obstructionOut = .init(repeating: 0, count: n)
        t.onset = .init(repeating: 0, count: n); t.peak = .init(repeating: 0, count: n)
        t.segment = .init(repeating: 0, count: n)
        let length = t.h - t.sApexEndo
        let rings = spec.segmentModel
        let scars = spec.effectiveScars.enumerated().map { ScarShape(region: $1, rings: rings, index: $0) }
        let texture = ScarTexture(spec.scarTissue)
        let stretch = spec.motion.scarPassiveStretch ?? 0
        let onsetField = OnsetField(spec: spec)
        var volume = 0.0
        for i in 0..<ns {
            let s = Double(i) * ds
            let zEp = (s - t.sc) / t.cEp, zEn = (s - t.sc) / t.cEn
            let rEpS = t.aEp * max(0, 1 - zEp * zEp).squareRoot()
            let rEnS = abs(zEn) < 1 ? aEn * max(0, 1 - zEn * zEn).squareRoot() : 0
            let fRow = (t.h - s) / length
            let ringRow = rings.ring(forFraction: fRow)
            for j in 0..<na {
                let phi = Double(j)
                let idx = i * na + j
                // Shape beyond the spheroid: elliptical, septum-flattened endocardium, regional wall thickness.
                var rEn = rEnS, rEp = rEpS
                if !circular {
                    rEn = rEnS * endoFactor[j]
                    rEp = rEnS > 0 ? rEn + (rEpS - rEnS) * thickFactor[j] : rEpS * thickFactor[j]
                }
                let rMid = 0.5 * (rEp + rEn)
                // Height fraction from the local annulus (the flat base: from the base plane).
                let ringTop = t.surface.ring(j)
                let f = flatBase ? fRow : (ringTop - s) / (ringTop - t.sApexEndo)
                let ring = flatBase ? ringRow : rings.ring(forFraction: f)
                var cell = ScarCell()
                if !scars.isEmpty {
                    cell = ScarShape.combined(scars, phiDeg: phi, fraction: f, midRadiusMm: rMid, lengthMm: length,
                                              wallMm: max(rEp - rEn, 1), texture: texture)
                }
                if rEn <= 0 { cell = ScarCell() } // the apical cap carries no scar in this model
                let core = cell.coreExtent
                // Wall thinning at transmural scar: the endocardium moves outwards (ischaemic, endocardial core).
                var en = rEn
                if rEn > 0 && core > 0 && cell.coreIn == 0 {
                    let wall = rEp - rEn
                    en = rEp - wall * (1 - an.scarThinningFraction * cell.coreOut * cell.coreOut)
                }
                t.rEn[idx] = Float(en); t.rEp[idx] = Float(rEp)
                t.coreIn[idx] = Float(cell.coreIn); t.coreOut[idx] = Float(cell.coreOut)
                t.borderIn[idx] = Float(cell.borderIn); t.borderOut[idx] = Float(cell.borderOut)
                t.coreEnhancement[idx] = Float(cell.coreEnhancement); t.obstructionOut[idx] = Float(cell.obstructionOut)
                let effective = min(1, core + 0.5 * (max(core, cell.borderExtent) - core))
                // Residual thickening of scar, less its passive stretch (negative radial strain when transmural).
                let scarStrain = 1 - (1 - spec.motion.transmuralScarResidual) * effective - stretch * effective * effective
                t.peak[idx] = Float(spec.motion.peakRadialStrain * scarStrain)
                let seg: UInt8 = ring.map { UInt8(Segment36.id(ring: $0, angleDegrees: phi).id) } ?? 0
                t.segment[idx] = seg
                t.onset[idx] = Float(onsetField.onsetMs(phiDeg: phi, fraction: min(max(f, 0), 1), segment: seg, lengthMm: length))
                if s >= t.sApexEndo && i < ns - 1 {
                    // The blood pool below the annulus surface (cell mid-height; the whole section when flat).
                    let area = flatBase ? 0.5 * en * en : t.surface.cavityArea(en: en, s: s + 0.5 * ds, j: j)
                    volume += area * radians(1) * ds
                }
            }
        }
        t.edVolumeMm3 = volume
        t.globalCurve = globalCurve(spec: spec, tables: t, ns: ns)
        return t
    }

    /// Wall-volume-weighted mean contraction per ms over the R-R interval, via a histogram of onsets.
    static func globalCurve(spec: PhantomSpec, tables t: Tables, ns: Int) -> [Float] {
        let rr = Int(spec.motion.rrIntervalMs.rounded(.up)) + 2
        var hist = [Double](repeating: 0, count: rr)
        var total = 0.0
        let ds = t.top / Double(ns - 1)
        for idx in 0..<(ns * angleSamples) {
            var w = Double(t.rEp[idx] * t.rEp[idx] - t.rEn[idx] * t.rEn[idx])
            if !t.surface.flat {
                let s = Double(idx / angleSamples) * ds
                w *= min(1, max(0, (t.surface.ring(idx % angleSamples) - s) / ds))
            }
            let b = min(max(Int(Double(t.onset[idx]).rounded()), 0), rr - 1)
            hist[b] += w; total += w
        }
        var curve = [Float](repeating: 0, count: rr)
        let m = spec.motion
        for tt in 0..<rr {
            var acc = 0.0
            for b in 0..<rr where hist[b] > 0 {
                acc += hist[b] * HeartModel.contraction(tauMs: Double(tt - b), contractionMs: m.contractionMs, relaxationMs: m.relaxationMs)
            }
            curve[tt] = Float(acc / max(total, 1e-12))
        }
        return curve
    }

    // MARK: Table access

    @inlinable func cellIndex(_ i: Int, _ j: Int) -> Int { i * HeartModel.angleSamples + j }

    /// Bilinear weights into the material grid at (s, phi). s is clamped to [0, H].
    @inline(__always) func gridPosition(s: Double, phiDeg: Double) -> (i0: Int, j0: Int, j1: Int, fs: Float, fp: Float) {
        let x = min(max(s / heightStepMm, 0), Double(heightSamples - 1) - 1e-9)
        let i0 = Int(x)
        let fs = Float(x - Double(i0))
        let j0 = Int(phiDeg) % 360
        let fp = Float(phiDeg - floor(phiDeg))
        return (i0, j0, (j0 + 1) % 360, fs, fp)
    }

    @inline(__always) func bilinear(_ a: [Float], _ g: (i0: Int, j0: Int, j1: Int, fs: Float, fp: Float)) -> Float {
        let r0 = g.i0 * 360, r1 = r0 + 360
        let top = a[r0 + g.j0] * (1 - g.fp) + a[r0 + g.j1] * g.fp
        let bot = a[r1 + g.j0] * (1 - g.fp) + a[r1 + g.j1] * g.fp
        return top * (1 - g.fs) + bot * g.fs
    }

    @inline(__always) func nearest<T>(_ a: [T], s: Double, phiDeg: Double) -> T {
        let i = min(max(Int((s / heightStepMm).rounded()), 0), heightSamples - 1)
        let j = Int(phiDeg.rounded()) % 360
        return a[i * 360 + j]
    }

    /// 36-segment id (0 = apical cap or outside the LV) of material height s and angle phi.
    public func segment(s: Double, phiDeg: Double) -> UInt8 { nearest(segmentIds, s: s, phiDeg: phiDeg) }
    /// Generator onset (ms) at (s, phi).
    public func onset(s: Double, phiDeg: Double) -> Double { Double(nearest(onsetMs, s: s, phiDeg: phiDeg)) }
}
