import CRTCore
import Foundation
import GuidancePipeline

/// The LV's shape change from end-diastole to another instant of the cycle, as the CMR analysis measured it, for
/// points on or near the wall (the lead's electrodes in their veins): a global model with the apex fixed, the base
/// descending along the long axis and the section widening or narrowing uniformly.
///
/// - Longitudinal: the annulus descends by `descentMm` (the long-axis cine's ED-to-ES descent, `MitralAnnulus`) in
///   proportion to the ejected volume, (EDV - V(t)) / (EDV - ESV); heights above the apex scale by
///   (L - descent) / L, L the ED apex-to-base length. The apex moves little over the cycle (Rogers et al.,
///   Circulation 1991;84:721: apical excursion a few millimetres against 10-15 mm at the base).
/// - Radial: the wall keeps its volume, so the epicardial section area is (V(t) + myocardial volume) over the length
///   at t; distances from the long axis scale by the square root of its ratio to the ED value.
///
/// The volume curve is the CMR analysis' (`volumeCurveMl` at `curveTimesMs`); `t` is ms after the R wave.
public struct CardiacDeformation: Sendable {
    public let apexMm: Vec3
    /// Unit vector from the apex towards the base, and the ED apex-to-base length (mm).
    public let axis: Vec3
    public let lengthMm: Double
    public let timesMs: [Double], volumesMl: [Double]
    public let edvMl: Double, esvMl: Double
    public let descentMm: Double
    public let myocardiumMl: Double
    public let rrIntervalMs: Double

    public init(apexMm: Vec3, axis: Vec3, lengthMm: Double, timesMs: [Double], volumesMl: [Double], edvMl: Double, esvMl: Double,
                descentMm: Double, myocardiumMl: Double, rrIntervalMs: Double) {
        self.apexMm = apexMm; self.axis = axis; self.lengthMm = lengthMm; self.timesMs = timesMs; self.volumesMl = volumesMl
        self.edvMl = edvMl; self.esvMl = esvMl; self.descentMm = descentMm; self.myocardiumMl = myocardiumMl; self.rrIntervalMs = rrIntervalMs
    }
}

extension CardiacDeformation {
    /// Nil when the analysis lacks what the model needs (axis, volume curve, a positive stroke volume).
    public init?(_ r: AnalysisResult, rrIntervalMs: Double) {
        guard let apex = r.lvAxis["apexMm"], let base = r.lvAxis["baseCentreMm"], r.volumeCurveMl.count >= 3,
              r.curveTimesMs.count == r.volumeCurveMl.count, r.esFrame < r.volumeCurveMl.count, r.edFrame < r.volumeCurveMl.count,
              rrIntervalMs > 0, (base - apex).length > 10 else { return nil }
        let edv = r.volumeCurveMl[r.edFrame], esv = r.volumeCurveMl[r.esFrame]
        guard edv - esv > 1 else { return nil }
        let myo = r.scar.myocardialVolumeMl
        // Without an LGE myocardial volume, a typical wall of 0.8 times the ED cavity volume (assumption).
        self.init(apexMm: apex, axis: (base - apex).normalized, lengthMm: (base - apex).length, timesMs: r.curveTimesMs,
                  volumesMl: r.volumeCurveMl, edvMl: edv, esvMl: esv, descentMm: max(0, r.mitralAnnulus?.descentMm ?? 0),
                  myocardiumMl: myo.isFinite && myo > 0 ? myo : 0.8 * edv, rrIntervalMs: rrIntervalMs)
    }

    /// Cavity volume at `t` ms after the R wave (linear between the curve's samples, periodic over the R-R interval).
    public func volumeMl(atMs t: Double) -> Double {
        let tt = t - (t / rrIntervalMs).rounded(.down) * rrIntervalMs
        let n = timesMs.count
        if tt <= timesMs[0] { return volumesMl[0] }
        for k in 1..<n where tt <= timesMs[k] {
            let f = (tt - timesMs[k - 1]) / max(timesMs[k] - timesMs[k - 1], 1e-9)
            return volumesMl[k - 1] + f * (volumesMl[k] - volumesMl[k - 1])
        }
        // After the last sample: towards the first, one R-R later.
        let f = (tt - timesMs[n - 1]) / max(rrIntervalMs + timesMs[0] - timesMs[n - 1], 1e-9)
        return volumesMl[n - 1] + f * (volumesMl[0] - volumesMl[n - 1])
    }

    /// Scale factors of heights above the apex and of distances from the long axis, from ED to `t`.
    public func scales(atMs t: Double) -> (longitudinal: Double, radial: Double) {
        let ejected = clamp((edvMl - volumeMl(atMs: t)) / (edvMl - esvMl), -0.5, 1.5)
        let length = lengthMm - descentMm * ejected
        let areaNow = (volumeMl(atMs: t) + myocardiumMl) / max(length, 1)
        let areaED = (edvMl + myocardiumMl) / lengthMm
        return (length / lengthMm, (areaNow / areaED).squareRoot())
    }

    /// The deformation from ED to `t` as an affine map of CMR patient mm: x -> apex + M (x - apex), with
    /// M = radial I + (longitudinal - radial) a a^T (a the long axis). Being affine, it folds into a projection
    /// matrix: a point seen at `t` through P is seen at ED through P composed after this map.
    public func transform(atMs t: Double) -> Affine3D {
        let (l, r) = scales(atMs: t)
        let a = axis, k = l - r
        let m = Mat3(rows: Vec3(r + k * a.x * a.x, k * a.x * a.y, k * a.x * a.z),
                     Vec3(k * a.y * a.x, r + k * a.y * a.y, k * a.y * a.z),
                     Vec3(k * a.z * a.x, k * a.z * a.y, r + k * a.z * a.z))
        return Affine3D(linear: m, translation: apexMm - m * apexMm)
    }

    /// Where a wall point at ED (CMR patient mm) lies at `t`.
    public func atTime(_ x: Vec3, ms t: Double) -> Vec3 { transform(atMs: t).apply(x) }

    /// A view's projection of world points at ED (the registered pose `worldFromHeart`) as seen in an image taken at
    /// `t`: world -> CMR patient frame -> deformed to `t` -> world -> pixel. Triangulating through such projections
    /// gives the ED place of a point seen in several images at their own instants, exactly (the map is affine).
    public func projection(_ p: ProjectionMatrix, worldFromHeart: Affine3D, atMs t: Double) -> ProjectionMatrix? {
        guard let heartFromWorld = worldFromHeart.inverse else { return nil }
        return p.composed(after: worldFromHeart.composed(after: transform(atMs: t).composed(after: heartFromWorld)))
    }
}
