import CRTCore
import HeartPhantom
import Foundation

/// Measured image-quality figures of one rendered X-ray image, for comparison with published ranges
/// (docs/fluoroscopy.md, "Scatter and image checks"; truth.json `xray.imageChecks`). Measured over the detector's
/// central quarter (rows and columns 3/8 to 5/8, where the heart lies), on the simulation's own expected primary
/// and scatter and on the rendered image.
public struct XRayImageChecks: Sendable, Equatable {
    /// Scatter fraction S / (S + P), summed over the central quarter.
    public var scatterFraction: Double
    /// Mean air kerma at the detector per image over the central quarter (nGy): detected photons per mm2 over
    /// `photonsPerMm2PerNGy`.
    public var detectorAirKermaNGy: Double
    /// Quantum noise of the displayed (log) image: SD of the rendered image minus its noise-free expectation over
    /// the central quarter, after the detector blur.
    public var logImageNoiseSD: Double
    /// Contrast of the great cardiac vein at its midpoint, 1 - I(vein) / I(beside it), noise-free, scatter included;
    /// nil when it does not project onto the detector (venogram images only).
    public var greatCardiacVeinContrast: Double?
    /// The same contrast over the quantum noise SD of one pixel's counts (contrast-to-noise ratio per pixel).
    public var greatCardiacVeinCNR: Double?

    /// Photons per mm2 per nGy of air kerma at the effective energy (60 keV): 1 / (E mu_en/rho of air), with
    /// mu_en/rho = 0.03041 cm2/g at 60 keV (NIST, Hubbell and Seltzer): 3.42e3 photons/cm2/nGy.
    public static let photonsPerMm2PerNGy = 34.2

    /// - Parameters:
    ///   - lineIntegrals: the image's noise-free line integrals; `scatter` its expected scattered photons per pixel
    ///     (nil: none); `rendered` the output image, -ln(counts / N0).
    ///   - veinContrastIntegral: the great cardiac vein's contrast line integral through its midpoint and that
    ///     midpoint's pixel (nil: not measured).
    public static func measure(lineIntegrals l: [Float], scatter: [Float]?, rendered: [Float], rows: Int, columns: Int,
                               photonsPerPixel n0: Double, pixelSpacingMm: Double,
                               veinContrastIntegral: (integral: Double, pixel: Int)?) -> XRayImageChecks {
        let centre = ScatterModel.centralQuarter(rows: rows, columns: columns)
        var primary = 0.0, scattered = 0.0
        var diff: [Double] = []
        diff.reserveCapacity(centre.count)
        for i in centre {
            let p = n0 * exp(-Double(l[i])), s = scatter.map { Double($0[i]) } ?? 0
            primary += p; scattered += s
            diff.append(Double(rendered[i]) + log((p + s) / n0))
        }
        let meanDiff = diff.reduce(0, +) / Double(diff.count)
        let sd = (diff.reduce(0) { $0 + ($1 - meanDiff) * ($1 - meanDiff) } / Double(max(diff.count - 1, 1))).squareRoot()
        let meanCounts = (primary + scattered) / Double(centre.count)
        var contrast: Double? = nil, cnr: Double? = nil
        if let v = veinContrastIntegral {
            let s = scatter.map { Double($0[v.pixel]) } ?? 0
            let background = n0 * exp(-(Double(l[v.pixel]) - v.integral))
            let lost = background * (1 - exp(-v.integral))
            contrast = lost / (background + s)
            cnr = lost / (background + s).squareRoot()
        }
        return XRayImageChecks(scatterFraction: scattered / max(primary + scattered, 1e-12),
                               detectorAirKermaNGy: meanCounts / (pixelSpacingMm * pixelSpacingMm) / photonsPerMm2PerNGy,
                               logImageNoiseSD: sd, greatCardiacVeinContrast: contrast, greatCardiacVeinCNR: cnr)
    }

    /// truth.json form.
    public var facts: AnyCodableValue {
        var o: [String: AnyCodableValue] = [
            "scatterFraction": .number(scatterFraction),
            "detectorAirKermaNGy": .number(detectorAirKermaNGy),
            "logImageNoiseSD": .number(logImageNoiseSD),
        ]
        if let c = greatCardiacVeinContrast { o["greatCardiacVeinContrast"] = .number(c) }
        if let c = greatCardiacVeinCNR { o["greatCardiacVeinCNR"] = .number(c) }
        return .object(o)
    }
}
