import CRTCore
import Foundation

extension RealismField {
    /// LV shape and base drawn per patient (Phantoms/README.md, "Realism"). Every ideal value is neutral: the
    /// axisymmetric truncated spheroid with a flat base plane of crtsim's first releases.
    static var anatomyFields: [RealismField] {
        [
            RealismField("anatomy.ellipticity", \.anatomy.ellipticity, unit: "(fraction)", range: 0...0.25,
                         clinical: .normal(mean: 0.06, sd: 0.025), ideal: 0,
                         meaning: "short-axis ellipticity: endocardial and epicardial radii x (1 + e cos 2(phi - ellipticityAngleDeg)); long/short diameter (1 + e)/(1 - e)",
                         source: "LV short-axis sections are near-circular with major/minor diameter ratios of about 1.0-1.2 at end-diastole (Ryan et al., JACC 1985;5:918, eccentricity index 1.0 in normals); the spread is an assumption covering that range"),
            RealismField("anatomy.ellipticityAngleDeg", \.anatomy.ellipticityAngleDeg, unit: "degrees", range: 0...180,
                         clinical: .uniform(min: 0, max: 180), ideal: 0,
                         meaning: "segment angle of the long short-axis diameter",
                         source: "no preferred orientation assumed"),
            RealismField("anatomy.septalFlattening", \.anatomy.septalFlattening, unit: "(fraction)", range: 0...0.4,
                         clinical: .normal(mean: 0.08, sd: 0.04), ideal: 0,
                         meaning: "septal flattening: the endocardium over the septum (centre angle inferiorInsertionAngleDeg/2) cut by a chord at (1 - k) x radius; eccentricity index about 1/(1 - k/2)",
                         source: "eccentricity index 1.0 in normals, above 1.1 with septal flattening from RV pressure or volume load (Ryan et al., JACC 1985;5:918); most CRT candidates near normal, spread an assumption"),
            RealismField("anatomy.septalToLateralWallRatio", \.anatomy.septalToLateralWallRatio, unit: "(ratio)", range: 0.6...2,
                         clinical: .normal(mean: 1.1, sd: 0.1), ideal: 1,
                         meaning: "septal / lateral wall thickness; thickness (wallThicknessMm at the equator) x (1 + g cos(phi - septal centre)), g = (ratio - 1)/(ratio + 1), so the mean stays wallThicknessMm",
                         source: "adult septum 8.3-11.2 mm, posterior wall 7.5-9.8 mm (medians by age; Int J Cardiol 1983;4:405), ratio 1.0 +/- 0.1 (Shimane Heart Study), normal wall 6-10 mm (Lang et al., JASE 2015;28:1)"),
            RealismField("anatomy.annulusTiltDeg", \.anatomy.annulusTiltDeg, unit: "degrees", range: 0...35,
                         clinical: .normal(mean: 10, sd: 4), ideal: 0,
                         meaning: "tilt of the mitral annulus against the short-axis plane, aortic side (angle 25, the LV outflow tract) up: ring height H(phi) = H0 + R tan(tilt) cos(phi - 25) + saddle/2 cos 2(phi - 25), R the basal endocardial radius; inside the cavity a tilted plane plus saddle through H0 (Phantoms/README.md \"LV shape and base\")",
                         source: "the aortic valve and LV outflow tract lie above the posterior mitral annulus, so a basal short-axis slice shows LV outflow tract anteriorly and atrium posteriorly (Schulz-Menger et al., JCMR 2020;22:19, basal slice rules); angle and spread an assumption: short-axis stacks are planned roughly parallel to the annulus, leaving a residual tilt of 5-15 degrees, i.e. 6-18 mm between the aortic and the posterior ring across a dilated base"),
            RealismField("anatomy.annulusSaddleHeightMm", \.anatomy.annulusSaddleHeightMm, unit: "mm", range: 0...14,
                         clinical: .normal(mean: 5, sd: 1.5), ideal: 0,
                         meaning: "saddle height of the mitral annulus: high at the aortic (25) and posterior (205) sides, low at the commissures",
                         source: "non-planar saddle-shaped annulus (Levine et al., Circulation 1989;80:589); annular height / intercommissural diameter 15-25 % in normals (Salgo et al., Circulation 2002;106:711), about 9-13 % in LV dysfunction (Topilsky et al., JAHA 2013;2:e000039), i.e. 3-8 mm over a 35-45 mm dilated annulus"),
            RealismField("anatomy.anterolateralPapillaryAngleDeg", \.anatomy.anterolateralPapillaryAngleDeg, unit: "degrees", range: 200...300,
                         clinical: .normal(mean: 250, sd: 12), ideal: 250,
                         meaning: "segment angle of the anterolateral papillary muscle",
                         source: "assumption: the muscles sit under the commissures, anterolateral and inferomedial, and move by up to half a 60-degree segment between patients; crtsim's earlier fixed angles as the mean"),
            RealismField("anatomy.posteromedialPapillaryAngleDeg", \.anatomy.posteromedialPapillaryAngleDeg, unit: "degrees", range: 110...210,
                         clinical: .normal(mean: 160, sd: 12), ideal: 160,
                         meaning: "segment angle of the posteromedial papillary muscle",
                         source: "as the anterolateral muscle (assumption)"),
            RealismField("anatomy.trabeculationPattern", \.anatomy.trabeculationPattern, unit: "(pattern number)", range: 0...65535,
                         integer: true, clinical: .uniform(min: 0, max: 65535), ideal: 0,
                         meaning: "which irregular trabeculation pattern (depth and width per strand); 0 is the pattern of crtsim's first releases",
                         source: "trabeculation differs between individuals (Petersen et al., JACC 2005;46:101); every pattern equally likely"),
            RealismField("anatomy.rvSizeFactor", \.anatomy.rvSizeFactor, unit: "(multiple of rvWidthMm)", range: 0.5...1.8,
                         clinical: .normal(mean: 1, sd: 0.2), ideal: nil,
                         meaning: "width of the RV cavity crescent over the septum as a multiple of rvWidthMm (the RV's size per patient); unset, 1",
                         source: "RV mid-cavity diameter 27 +/- 4 mm in normals (Lang et al., JASE 2015;28:1), i.e. a spread of about 15 %; widened to 20 % for the RV dilatation common in heart failure (assumption)"),
            RealismField("anatomy.rvApexFraction", \.anatomy.rvApexFraction, unit: "(fraction of the LV cavity length)", range: 0.55...0.9,
                         clinical: .normal(mean: 0.75, sd: 0.06), ideal: nil,
                         meaning: "how far towards the LV apex the RV cavity reaches, from the base; unset, 0.75",
                         source: "the RV apex lies short of the LV apex, which forms the cardiac apex (standard anatomy); crtsim's earlier fixed 0.75 as the mean, spread an assumption"),
            RealismField("anatomy.grooveFatMm", \.anatomy.grooveFatMm, unit: "mm", range: 0.5...8,
                         clinical: .normal(mean: 3.5, sd: 1.2), ideal: nil,
                         meaning: "thickness of the epicardial fat in the AV and interventricular grooves (when epicardialFat is on); unset, 3.5",
                         source: "epicardial adipose tissue thickness varies severalfold between patients (Iacobellis, Nat Rev Endocrinol 2015;11:363); crtsim's earlier fixed 3.5 mm as the mean, spread an assumption"),
            RealismField("anatomy.pericardiumMm", \.anatomy.pericardiumMm, unit: "mm", range: 0...5,
                         clinical: .uniform(min: 1, max: 3), ideal: nil,
                         meaning: "thickness of the parietal pericardium and its fluid film round the ventricles below the base, in the X-ray chest model only (it widens the heart's shadow beyond the epicardium; the CMR renders without it); unset, none",
                         source: "normal pericardium 1-2 mm thick on CT and MR (Wang et al., Radiographics 2003;23:S167; Bogaert and Francone, J Cardiovasc Magn Reson 2009;11:14) with 15-50 mL of physiological fluid, a film of up to about 1 mm over the ventricles; uniform over 1-3 mm (assumption)"),
            RealismField("anatomy.sphericityIndex", \.anatomy.sphericityIndex, unit: "(ratio)", range: 0.4...0.95,
                         clinical: { spec in
                             // A given lengthToDiameterRatio fixes the shape: record its index instead of drawing one.
                             if let k = spec.anatomy.lengthToDiameterRatio { return .fixed(2 / (k * (1 + spec.anatomy.baseTruncation))) }
                             return spec.anatomy.edvMl >= 180 ? .normal(mean: 0.72, sd: 0.07) : .normal(mean: 0.58, sd: 0.05)
                         },
                         ideal: nil,
                         meaning: "end-diastolic sphericity index, short-axis cavity diameter / long-axis length; sets the spheroid's lengthToDiameterRatio = 2 / (SI (1 + baseTruncation)) unless that is given; unset, ratio 2.2 (SI 0.73 at baseTruncation 0.25)",
                         source: "CMR sphericity index (short-axis / long-axis end-diastolic length) 72 +/- 7 % in dilated cardiomyopathy, below 63.5 % separating normal LVs with 92 % specificity ('The cardiac magnetic resonance sphericity index in the dilated cardiomyopathy: new diagnostic and prognostic marker', 132 patients); EDV >= 180 mL taken as dilated; the non-dilated mean and spread are an assumption below that cut-off"),
            RealismField("anatomy.longAxisCurvatureMm", \.anatomy.longAxisCurvatureMm, unit: "mm", range: 0...12,
                         clinical: .uniform(min: 0, max: 6), ideal: 0,
                         meaning: "curved long axis: the cavity's centreline bows sideways by this much at mid-height (parabolic, zero at the apex and the base), each short-axis section moved whole, so volumes and wall thickness are kept",
                         source: "assumption: long-axis views show the cavity bowing rather than straight; no published distribution found, so a few mm either way"),
            RealismField("anatomy.longAxisCurvatureAngleDeg", \.anatomy.longAxisCurvatureAngleDeg, unit: "degrees", range: 0...360,
                         clinical: .uniform(min: 0, max: 360), ideal: 0,
                         meaning: "segment angle towards which the centreline bows",
                         source: "no preferred direction assumed"),
        ]
    }
}

/// The shape of the LV beyond the spheroid, with nil read as the ideal (neutral) value.
struct AnatomyShape: Sendable {
    let ellipticity: Double, ellipticityAngleDeg: Double, septalFlattening: Double, septalRatio: Double
    let tiltDeg: Double, saddleMm: Double
    let septumCentreDeg: Double
    /// Angle of the annulus's high (aortic) side: the aortic orifice of `sampleAboveBase`.
    static let aorticAngleDeg = 25.0

    init(_ an: PhantomSpec.Anatomy) {
        ellipticity = an.ellipticity ?? 0
        ellipticityAngleDeg = an.ellipticityAngleDeg ?? 0
        septalFlattening = an.septalFlattening ?? 0
        septalRatio = an.septalToLateralWallRatio ?? 1
        tiltDeg = an.annulusTiltDeg ?? 0
        saddleMm = an.annulusSaddleHeightMm ?? 0
        septumCentreDeg = an.inferiorInsertionAngleDeg / 2
    }

    /// True when the cross-section is a circle of uniform wall (the tables are built exactly as before).
    var circular: Bool { ellipticity == 0 && septalFlattening == 0 && septalRatio == 1 }
    /// True when the base is the flat plane of the first releases.
    var flatBase: Bool { tiltDeg == 0 && saddleMm == 0 }

    /// Endocardial radius factor at angle phi: ellipticity, then the septal chord.
    func endoFactor(phiDeg phi: Double) -> Double {
        var f = 1 + ellipticity * cos(2 * (phi - ellipticityAngleDeg) * .pi / 180)
        if septalFlattening > 0 {
            let d = abs(angleDifferenceDegrees(phi, septumCentreDeg)) * .pi / 180
            if d < .pi / 2 { f = min(f, (1 - septalFlattening) / cos(d)) }
        }
        return f
    }

    /// Wall thickness factor at angle phi (mean 1 over the circumference).
    func thicknessFactor(phiDeg phi: Double) -> Double {
        let g = (septalRatio - 1) / (septalRatio + 1)
        return 1 + g * cos((phi - septumCentreDeg) * .pi / 180)
    }

}

/// The mitral annulus as a surface across the LV: material height (mm above the epicardial apex) at radial
/// distance r from the long axis and angle phi,
///   H(r, phi) = H0 + rho T cos(phi - 25) + rho^2 (saddle / 2) cos 2(phi - 25),  rho = min(r, R) / R,
/// R the endocardial radius at the mean base H0 and T = R tan(tilt). Inside the cavity the tilt term is a plane and
/// the saddle term a hyperbolic paraboloid (x^2 - y^2), so a short-axis plane meets it along a chord, as the
/// leaflets are met in a real basal slice; from the endocardial ring outwards (the wall, the AV groove) the height
/// is the ring's, H(R, phi). A flat base (no tilt, no saddle) is the plane H0.
struct AnnulusSurface: Sendable {
    let h0: Double, radius: Double
    /// T cos(phi - 25) and (saddle / 2) cos 2(phi - 25) per degree (empty for a flat base).
    let tilt: [Double], saddle: [Double]
    var flat: Bool { tilt.isEmpty }

    init(shape: AnatomyShape, h0: Double, radius: Double) {
        self.h0 = h0; self.radius = max(radius, 1)
        if shape.flatBase { tilt = []; saddle = []; return }
        let tt = self.radius * tan(shape.tiltDeg * .pi / 180)
        tilt = (0..<360).map { tt * cos((Double($0) - AnatomyShape.aorticAngleDeg) * .pi / 180) }
        saddle = (0..<360).map { 0.5 * shape.saddleMm * cos(2 * (Double($0) - AnatomyShape.aorticAngleDeg) * .pi / 180) }
    }

    /// Height of the annulus ring (r >= R) at angle column j.
    @inline(__always) func ring(_ j: Int) -> Double { flat ? h0 : h0 + tilt[j] + saddle[j] }

    /// Height at radius r and angle phi (degrees, any).
    @inline(__always) func height(r: Double, phiDeg: Double) -> Double {
        heights(r: r, phiDeg: phiDeg).surface
    }

    /// Height of the surface at radius r and of the ring (r >= R) at angle phi (degrees, any), sharing the table
    /// interpolation: `surface` is `height(r:phiDeg:)`, `ring` is `height(r: .greatestFiniteMagnitude, phiDeg:)`.
    /// Every step gives the same bits as the direct formula
    ///   p = phi mod 360, j0 = Int(p) % 360, j1 = (j0 + 1) % 360, f = p - floor(p), rho = min(r, R) / R,
    ///   H = h0 + rho (t + rho s):
    /// an angle in [0, 360) is its own remainder (atan2 angles: no fmod); for p in [0, 360], Int(p) is below 360
    /// but at 360 itself and floor(p) is Double(Int(p)) (keeping the sign of a zero); rho is exactly 1 for
    /// r >= R (R / R), so the ring is h0 + (t + s) (a product by 1 is exact).
    @inline(__always) func heights(r: Double, phiDeg: Double) -> (surface: Double, ring: Double) {
        if flat { return (h0, h0) }
        var p = phiDeg
        if !(p >= 0 && p < 360) { p = p.truncatingRemainder(dividingBy: 360); if p < 0 { p += 360 } }
        let i = Int(p)
        let j0 = i < 360 ? i : i % 360, j1 = j0 < 359 ? j0 + 1 : 0
        let f = p - (p == 0 ? p : Double(i))
        let t = tilt[j0] * (1 - f) + tilt[j1] * f, s = saddle[j0] * (1 - f) + saddle[j1] * f
        let ring = h0 + (t + s)
        if r >= radius { return (ring, ring) }
        let rho = min(r, radius) / radius
        return (h0 + rho * (t + rho * s), ring)
    }

    /// Integral of r dr over the radii in [0, en] at angle column j where the surface lies above height s: the
    /// sector area (divided by the angle step) of a cavity section of radius en that is LV blood pool.
    func cavityArea(en: Double, s: Double, j: Int) -> Double {
        cavityArea(en: en, s: s, j: j, roots: flat ? SIMD2(.nan, .nan) : positiveRoots(s: s, j: j))
    }

    /// The positive roots in rho of the surface's height minus s along angle column j, (a rho + b) rho + c with
    /// a = saddle, b = tilt, c = h0 - s: ascending, NaN where there are fewer than two. They depend on the cell
    /// alone (not on the cavity radius), so the truth's volume curve takes them from a table
    /// (`HeartModel.cavityRoots`).
    func positiveRoots(s: Double, j: Int) -> SIMD2<Double> {
        let a = saddle[j], b = tilt[j], c = h0 - s
        var r0 = Double.nan, r1 = Double.nan
        if abs(a) < 1e-12 {
            if abs(b) > 1e-12 { r0 = -c / b }
        } else {
            let disc = b * b - 4 * a * c
            if disc >= 0 {
                let sq = disc.squareRoot()
                r0 = (-b - sq) / (2 * a); r1 = (-b + sq) / (2 * a)
            }
        }
        // Keep the roots above 0 (NaN fails the test), in ascending order.
        let keep0 = r0 > 0, keep1 = r1 > 0
        if keep0 && keep1 { return SIMD2(min(r0, r1), max(r0, r1)) }
        return SIMD2(keep0 ? r0 : keep1 ? r1 : .nan, .nan)
    }

    /// `cavityArea(en:s:j:)` given `positiveRoots(s: s, j: j)`: the section [0, min(en, R) / R] is cut at the roots
    /// inside it, in ascending order, and each piece where the surface lies above s adds its area (the same
    /// operations, in the same order, as sorting the cut points; no array: this runs per material cell at every
    /// time step of the truth's volume curve).
    @inline(__always) func cavityArea(en: Double, s: Double, j: Int, roots: SIMD2<Double>) -> Double {
        if flat { return s < h0 ? 0.5 * en * en : 0 }
        let a = saddle[j], b = tilt[j], c = h0 - s, R = radius
        func q(_ rho: Double) -> Double { (a * rho + b) * rho + c }
        let top = min(en, R) / R
        let lo = roots.x, hi = roots.y
        var area = 0.0
        @inline(__always) func add(_ x0: Double, _ x1: Double) {
            if x1 > x0 && q(0.5 * (x0 + x1)) > 0 { area += 0.5 * R * R * (x1 * x1 - x0 * x0) }
        }
        // lo <= hi: when lo is not below top neither is hi (NaN is never below).
        if !(lo < top) {
            add(0, top)
        } else if !(hi < top) {
            add(0, lo); add(lo, top)
        } else {
            add(0, lo); add(lo, hi); add(hi, top)
        }
        if en > R && ring(j) > s { area += 0.5 * (en * en - R * R) }
        return area
    }
}
