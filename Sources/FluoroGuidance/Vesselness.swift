import CRTCore
import Foundation

/// Gaussian filtering and multiscale Hessian vessel enhancement of a detector image.
public enum Vesselness {
    /// Settings of the Frangi filter.
    public struct Settings: Codable, Sendable, Equatable {
        /// Gaussian scales (pixels): vein radii of about 1-4 mm appear 2-9 px wide at 1.4x magnification and 0.6 mm
        /// pixels, so scales 1.5-4 px cover them.
        public var scalesPx: [Double] = [1.5, 2.5, 4.0]
        /// Frangi blob suppression beta (ratio of the two eigenvalues) and structure sensitivity c as a fraction of
        /// the largest Hessian norm.
        public var beta = 0.5
        public var structureFraction = 0.5
        /// The map is divided by this quantile of its non-zero values and clipped at 1.
        public var normalisationQuantile = 0.99
        public init() {}
    }

    /// 1D Gaussian kernel (or its first / second derivative) of SD `sigma`, truncated at 4 sigma.
    static func kernel(sigma: Double, order: Int) -> [Float] {
        let half = max(1, Int((4 * sigma).rounded(.up)))
        var k = [Float](repeating: 0, count: 2 * half + 1)
        let s2 = sigma * sigma
        for i in -half...half {
            let x = Double(i), g = exp(-x * x / (2 * s2)) / ((2 * Double.pi).squareRoot() * sigma)
            switch order {
            case 0: k[i + half] = Float(g)
            case 1: k[i + half] = Float(-x / s2 * g)
            default: k[i + half] = Float((x * x - s2) / (s2 * s2) * g)
            }
        }
        return k
    }

    /// Separable convolution with clamped (replicated) borders: `kx` along columns, `ky` along rows.
    ///
    /// Each output is the sum over the taps in ascending order, s = 0 + k[0] x[.] + k[1] x[.] + ..., accumulated
    /// tap by tap over a whole row (the loops are interchanged so that the inner loop runs along contiguous
    /// pixels and vectorises; every pixel's own sum keeps its order, so the result is the same bit for bit as a
    /// pixel-by-pixel loop).
    public static func separable(_ image: DetectorImage, kx: [Float], ky: [Float]) -> DetectorImage {
        let w = image.columns, h = image.rows
        let hx = kx.count / 2, hy = ky.count / 2
        var tmp = [Float](repeating: 0, count: w * h)
        image.pixels.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                // Columns whose taps all fall inside the row (c - k in 0..<w for every k in -hx...hx).
                let lo = min(hx, w), hi = max(lo, w - hx)
                for r in 0..<h {
                    let row = r * w
                    let d = dst.baseAddress! + row, x = src.baseAddress! + row
                    for t in 0..<kx.count {
                        let weight = kx[t], k = t - hx
                        for c in 0..<lo { d[c] += weight * x[min(max(c - k, 0), w - 1)] }
                        for c in lo..<hi { d[c] += weight * x[c - k] }
                        for c in hi..<w { d[c] += weight * x[min(max(c - k, 0), w - 1)] }
                    }
                }
            }
        }
        var out = [Float](repeating: 0, count: w * h)
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<h {
                    let d = dst.baseAddress! + r * w
                    for t in 0..<ky.count {
                        let weight = ky[t], k = t - hy
                        let x = src.baseAddress! + min(max(r - k, 0), h - 1) * w
                        for c in 0..<w { d[c] += weight * x[c] }
                    }
                }
            }
        }
        return DetectorImage(columns: w, rows: h, pixels: out)
    }

    /// Gaussian smoothing with SD `sigma` (pixels).
    public static func smooth(_ image: DetectorImage, sigma: Double) -> DetectorImage {
        guard sigma > 0 else { return image }
        let g = kernel(sigma: sigma, order: 0)
        return separable(image, kx: g, ky: g)
    }

    /// Frangi vesselness for bright tubular structures (Frangi et al., MICCAI 1998) of a -ln(I/I0) image, where
    /// contrast-filled veins are ridges of high line integral: maximum over the scales of
    /// exp(-Rb^2 / 2 beta^2) (1 - exp(-S^2 / 2 c^2)) where the larger-magnitude Hessian eigenvalue is negative,
    /// with scale-normalised (sigma^2) Hessians. Normalised to 0-1.
    @inline(never)
    public static func frangi(_ image: DetectorImage, settings: Settings = Settings()) -> DetectorImage {
        let n = image.pixels.count
        var best = [Float](repeating: 0, count: n)
        for sigma in settings.scalesPx {
            let g0 = kernel(sigma: sigma, order: 0), g1 = kernel(sigma: sigma, order: 1), g2 = kernel(sigma: sigma, order: 2)
            let s2 = Float(sigma * sigma)
            let ixx = separable(image, kx: g2, ky: g0).pixels, iyy = separable(image, kx: g0, ky: g2).pixels
            let ixy = separable(image, kx: g1, ky: g1).pixels
            var l1 = [Float](repeating: 0, count: n), l2 = [Float](repeating: 0, count: n)
            var maxS: Float = 0
            for i in 0..<n {
                let a = s2 * ixx[i], d = s2 * iyy[i], b = s2 * ixy[i]
                let tr = 0.5 * (a + d), disc = (0.25 * (a - d) * (a - d) + b * b).squareRoot()
                let e1 = tr + disc, e2 = tr - disc
                let (small, large) = abs(e1) < abs(e2) ? (e1, e2) : (e2, e1)
                l1[i] = small; l2[i] = large
                maxS = max(maxS, (small * small + large * large).squareRoot())
            }
            let c = Float(settings.structureFraction) * maxS, beta = Float(settings.beta)
            guard c > 0 else { continue }
            for i in 0..<n where l2[i] < 0 {
                let rb = l1[i] / l2[i], s = l1[i] * l1[i] + l2[i] * l2[i]
                let v = exp(-rb * rb / (2 * beta * beta)) * (1 - exp(-s / (2 * c * c)))
                best[i] = max(best[i], v)
            }
        }
        let positive = best.filter { $0 > 0 }.sorted()
        if let q = positive.isEmpty ? nil : positive[min(positive.count - 1, Int(settings.normalisationQuantile * Double(positive.count - 1)))], q > 0 {
            for i in 0..<n { best[i] = min(best[i] / q, 1) }
        }
        return DetectorImage(columns: image.columns, rows: image.rows, pixels: best)
    }
}
