import Foundation
import Fourier

/// Scattered radiation reaching the detector behind the anti-scatter grid, by scatter-kernel superposition
/// (docs/fluoroscopy.md, "Scatter and image checks"): each pixel's primary beam sends scatter to the detector spread
/// by a broad Gaussian kernel, in proportion to the pixel's line integral (the water-equivalent thickness the beam
/// crossed):
///
///     S(x) = k sum over x' of P(x') L(x') h(x - x'),    P = N0 exp(-L),
///
/// with h the Gaussian of SD `kernelSDMm` (at the detector) and the field outside the collimated detector adding
/// nothing. The scale k makes the scatter fraction sum(S) / sum(S + P) over the detector's central quarter (where the
/// heart lies) equal `scatterFraction`, the quantity the literature reports; around it thick parts get more scatter
/// than primary, thin parts (lung) less, and the field's edges less. Scatter is a low-frequency field: it is computed
/// on bins of the detector (about a quarter of the kernel SD) and interpolated bilinearly back to the pixels.
///
/// The kernel form follows the scatter-kernel superposition of Sun and Star-Lack (Phys Med Biol 2010;55:6695), with
/// the amplitude linear in the line integral (their exponents alpha 0, beta 1).
public struct ScatterModel: Sendable, Equatable {
    /// Scatter fraction sum(S) / sum(S + P) over the detector's central quarter.
    public var scatterFraction: Double
    /// SD of the scatter kernel at the detector (mm).
    public var kernelSDMm: Double

    /// Kernel SD when the phantom leaves `xray.scatterKernelSDMm` unset (mm).
    public static let defaultKernelSDMm = 40.0

    /// The model of a phantom's X-ray settings; nil without scatter (`xray.scatterFraction` unset or 0).
    public static func of(fraction: Double?, kernelSDMm: Double?) -> ScatterModel? {
        guard let f = fraction, f > 0 else { return nil }
        return ScatterModel(scatterFraction: f, kernelSDMm: kernelSDMm ?? defaultKernelSDMm)
    }

    public init(scatterFraction: Double, kernelSDMm: Double) {
        self.scatterFraction = scatterFraction; self.kernelSDMm = kernelSDMm
    }

    /// Scatter-to-primary ratio of the reference field.
    public var scatterToPrimary: Double { scatterFraction / (1 - scatterFraction) }

    /// Pixel indices of the detector's central quarter (rows and columns 3/8 to 5/8), where the heart lies.
    public static func centralQuarter(rows: Int, columns: Int) -> [Int] {
        var out: [Int] = []
        for r in (3 * rows / 8)..<max(3 * rows / 8 + 1, 5 * rows / 8) {
            for c in (3 * columns / 8)..<max(3 * columns / 8 + 1, 5 * columns / 8) { out.append(r * columns + c) }
        }
        return out
    }

    /// Bin size (pixels) for a detector pixel spacing: about a quarter of the kernel SD, at least one pixel.
    func binPx(pixelSpacingMm: Double) -> Int { max(1, Int((kernelSDMm / 4 / pixelSpacingMm).rounded(.down))) }

    /// Expected scattered photons per pixel for noise-free line integrals `l` (rows x columns, column fastest) and
    /// `photonsPerPixel` photons in the unattenuated beam.
    public func expectedScatter(lineIntegrals l: [Float], rows: Int, columns: Int, pixelSpacingMm: Double,
                                photonsPerPixel: Double) -> [Float] {
        precondition(l.count == rows * columns, "image size does not match the detector")
        guard scatterFraction > 0 else { return [Float](repeating: 0, count: l.count) }
        // Scatter sources P L, averaged over bins.
        let bin = binPx(pixelSpacingMm: pixelSpacingMm)
        let bRows = (rows + bin - 1) / bin, bColumns = (columns + bin - 1) / bin
        var source = [Float](repeating: 0, count: bRows * bColumns)
        var counts = [Float](repeating: 0, count: bRows * bColumns)
        for r in 0..<rows {
            for c in 0..<columns {
                let li = Double(l[r * columns + c])
                let k = (r / bin) * bColumns + c / bin
                source[k] += Float(photonsPerPixel * exp(-li) * li)
                counts[k] += 1
            }
        }
        for k in source.indices { source[k] /= counts[k] }
        // Gaussian kernel in bins, the field outside the detector contributing nothing (collimation).
        let sd = kernelSDMm / (pixelSpacingMm * Double(bin))
        let convolver = Convolver(rows: bRows, columns: bColumns, gaussianSigmaPx: sd, halfWidthSD: 3)
        let spread = convolver.apply(source)
        // Bilinear interpolation from bin centres ((b + 0.5) bin - 0.5 in pixels) back to the pixels.
        var out = [Float](repeating: 0, count: l.count)
        func axis(_ p: Int, _ n: Int) -> (Int, Int, Float) {
            let x = (Double(p) + 0.5) / Double(bin) - 0.5
            let i0 = min(max(Int(x.rounded(.down)), 0), n - 1), i1 = min(i0 + 1, n - 1)
            let f = Float(min(max(x - Double(i0), 0), 1))
            return (i0, i1, i1 == i0 ? 0 : f)
        }
        let cols = (0..<columns).map { axis($0, bColumns) }
        for r in 0..<rows {
            let (r0, r1, fr) = axis(r, bRows)
            for c in 0..<columns {
                let (c0, c1, fc) = cols[c]
                let top = spread[r0 * bColumns + c0] * (1 - fc) + spread[r0 * bColumns + c1] * fc
                let bottom = spread[r1 * bColumns + c0] * (1 - fc) + spread[r1 * bColumns + c1] * fc
                out[r * columns + c] = top * (1 - fr) + bottom * fr
            }
        }
        // Scale to the scatter fraction over the central quarter.
        var primary = 0.0, scattered = 0.0
        for i in ScatterModel.centralQuarter(rows: rows, columns: columns) {
            primary += photonsPerPixel * exp(-Double(l[i])); scattered += Double(out[i])
        }
        guard scattered > 0 else { return [Float](repeating: 0, count: l.count) }
        let k = Float(scatterToPrimary * primary / scattered)
        for i in out.indices { out[i] *= k }
        return out
    }
}
