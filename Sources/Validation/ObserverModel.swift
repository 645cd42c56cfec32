import CRTCore
import Foundation
import GuidancePipeline

/// The second human's operator inputs (`Scenario.HumanVariability`, docs/observer-model.md), drawn from the case
/// seed with stable labels so that a run is the same on every machine:
/// - "observer2.contours": a systematic radial offset per border (endo, epi) over the LV, plus per cine slice a
///   smooth angular field (harmonics 1 and 2) of pointwise SD `contourLocalSDMm`, as `ContourOffsets`;
/// - "observer2.rvInsertion": the first observer's RV insertion points rotated about the LV long axis, each by its
///   own angle of SD `rvInsertionSDDeg`;
/// - "observer2.fwhmReference": the FWHM reference level as a fraction of the brightest signal, 1 - |N(0, SD)|.
/// Everything acts through `OperatorInputs` and the scar settings, as a second human at the console would; nothing
/// here reads the truth.
public enum ObserverModel {
    /// Harmonics of the per-slice angular field.
    public static let harmonics = 2

    /// Contour offsets for the cine slices `0..<sliceCount`; nil when both SDs are 0 (the borders stay the
    /// first observer's).
    public static func contourOffsets(_ h: Scenario.HumanVariability, seed: UInt64, sliceCount: Int) -> ContourOffsets? {
        guard h.contourSDMm > 0 || h.contourLocalSDMm > 0, sliceCount > 0 else { return nil }
        var rng = SeededRandom(seed: seed, label: "observer2.contours")
        // Systematic offsets first, so that changing the local SD leaves them as they are.
        let biasEndo = h.contourSDMm * rng.normal(), biasEpi = h.contourSDMm * rng.normal()
        // Each harmonic coefficient has variance local^2 / (2 K): pointwise variance sum_k (a_k^2 + b_k^2) / 2 ... = local^2.
        let sd = h.contourLocalSDMm / Double(harmonics).squareRoot()
        var endo: [Int: [Double]] = [:], epi: [Int: [Double]] = [:]
        for s in 0..<sliceCount {
            endo[s] = [biasEndo] + (0..<(2 * harmonics)).map { _ in sd * rng.normal() }
            epi[s] = [biasEpi] + (0..<(2 * harmonics)).map { _ in sd * rng.normal() }
        }
        return ContourOffsets(endocardiumMm: endo, epicardiumMm: epi)
    }

    /// The RV insertion points rotated about the LV long axis (through `axisPointMm`, direction `axis`), each by its
    /// own angle drawn with SD `rvInsertionSDDeg` (in the sorted order of the point names); nil when the SD is 0.
    /// - Returns: the rotated points and the angles (degrees, right-handed about `axis`).
    public static func rvInsertion(_ h: Scenario.HumanVariability, seed: UInt64, points: [String: Vec3], axisPointMm: Vec3,
                                   axis: Vec3) -> (points: [String: Vec3], anglesDeg: [String: Double])? {
        guard h.rvInsertionSDDeg > 0, !points.isEmpty, axis.length > 0 else { return nil }
        var rng = SeededRandom(seed: seed, label: "observer2.rvInsertion")
        var out: [String: Vec3] = [:], angles: [String: Double] = [:]
        for name in points.keys.sorted() {
            let a = h.rvInsertionSDDeg * rng.normal()
            angles[name] = a
            out[name] = rotate(points[name]!, aboutAxisThrough: axisPointMm, direction: axis, degrees: a)
        }
        return (out, angles)
    }

    /// `p` rotated by `degrees` (right-handed) about the line through `c` with direction `axis`.
    public static func rotate(_ p: Vec3, aboutAxisThrough c: Vec3, direction axis: Vec3, degrees: Double) -> Vec3 {
        c + Mat3.rotation(axis: axis, angleRadians: degrees * Double.pi / 180) * (p - c)
    }

    /// The FWHM reference as a fraction of the brightest signal: 1 - |N(0, SD)|, at least 0.5; nil when the SD is 0.
    public static func fwhmReferenceScale(_ h: Scenario.HumanVariability, seed: UInt64) -> Double? {
        guard h.fwhmReferenceSD > 0 else { return nil }
        var rng = SeededRandom(seed: seed, label: "observer2.fwhmReference")
        return max(0.5, 1 - abs(h.fwhmReferenceSD * rng.normal()))
    }
}
