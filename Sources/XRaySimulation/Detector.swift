import CRTCore
import Dispatch
import Foundation
import Fourier

/// Image formation at the detector: Beer-Lambert attenuation of a mono-energetic beam, scattered radiation
/// (`ScatterModel`, optional), Poisson quantum noise, detector blur and the logarithmic display used for the output
/// images.
///
/// For a line integral L = integral of mu ds along a pixel's ray, the expected count is N0 exp(-L) (N0 =
/// `photonsPerPixel`, the unattenuated beam) plus the expected scatter S at the pixel; the detected count is a Poisson draw of it (each row from its own
/// generator, label "<noiseLabel>.row<r>", so rows run in parallel and the result does not depend on
/// scheduling); the counts are blurred with a normalised Gaussian point-spread function by FFT convolution
/// (`Fourier.Convolver`; normalised convolution, out = (k * counts) / (k * 1), so the border keeps its level);
/// the output is -ln(max(counts, `minimumCounts`) / N0), an estimate of L.
public final class Detector: @unchecked Sendable {
    // @unchecked Sendable: every stored property is a `let` of a Sendable value or of `Convolver`, which is
    // immutable after init; a class only because Convolver is one (it owns FFTW memory).
    public let rows: Int, columns: Int
    /// Unattenuated photons per pixel.
    public let photonsPerPixel: Double
    /// Gaussian PSF SD (pixels); 0 = no blur.
    public let blurSigmaPx: Double
    /// Scattered radiation behind the grid; nil: none.
    public let scatter: ScatterModel?
    /// Pixel spacing at the detector (mm), for the scatter kernel.
    public let pixelSpacingMm: Double
    /// Floor of the counts before the logarithm (photons), so a pixel behind metal that detects nothing stays
    /// finite.
    public static let minimumCounts: Float = 0.5
    /// Kernel half width in SDs.
    public static let kernelHalfWidthSD = 3.0
    let convolver: Convolver?
    let normaliser: [Float]

    public init(rows: Int, columns: Int, photonsPerPixel: Double, blurSigmaPx: Double, scatter: ScatterModel? = nil,
                pixelSpacingMm: Double = 1) {
        self.rows = rows; self.columns = columns
        self.scatter = scatter; self.pixelSpacingMm = pixelSpacingMm
        self.photonsPerPixel = photonsPerPixel; self.blurSigmaPx = blurSigmaPx
        if blurSigmaPx > 0 {
            let conv = Convolver(rows: rows, columns: columns, gaussianSigmaPx: blurSigmaPx, halfWidthSD: Detector.kernelHalfWidthSD)
            convolver = conv
            normaliser = conv.apply([Float](repeating: 1, count: rows * columns))
        } else {
            convolver = nil
            normaliser = []
        }
    }

    /// Expected scattered photons per pixel for noise-free line integrals `l`; nil without a scatter model.
    public func expectedScatter(lineIntegrals l: [Float]) -> [Float]? {
        scatter?.expectedScatter(lineIntegrals: l, rows: rows, columns: columns, pixelSpacingMm: pixelSpacingMm,
                                 photonsPerPixel: photonsPerPixel)
    }

    /// Detected counts (Poisson) for line integrals L (rows x columns, column fastest), primary plus scatter
    /// (`expectedScatter` of the same line integrals when already computed, else computed here).
    public func counts(lineIntegrals l: [Float], expectedScatter precomputed: [Float]? = nil, seed: UInt64, noiseLabel: String) -> [Float] {
        precondition(l.count == rows * columns, "image size does not match the detector")
        let out = ParallelOutput<Float>(count: l.count, initial: 0)
        let n0 = photonsPerPixel, cols = columns
        let scattered = precomputed ?? expectedScatter(lineIntegrals: l)
        DispatchQueue.concurrentPerform(iterations: rows) { r in
            var rng = SeededRandom(seed: seed, label: "\(noiseLabel).row\(r)")
            let dst = out.range((r * cols)..<((r + 1) * cols))
            for c in 0..<cols {
                let s = scattered.map { Double($0[r * cols + c]) } ?? 0
                dst[c] = Float(rng.poisson(mean: n0 * exp(-Double(l[r * cols + c])) + s))
            }
        }
        return out.array
    }

    /// Blurred counts (identity when `blurSigmaPx` is 0).
    public func blurred(_ counts: [Float]) -> [Float] {
        guard let convolver else { return counts }
        var b = convolver.apply(counts)
        for i in 0..<b.count { b[i] /= normaliser[i] }
        return b
    }

    /// The displayed image -ln(max(counts, minimumCounts) / N0).
    public func logImage(_ counts: [Float]) -> [Float] {
        let n0 = Float(photonsPerPixel)
        return counts.map { -log(max($0, Detector.minimumCounts) / n0) }
    }

    /// Noise, blur and logarithm in one call.
    public func image(lineIntegrals l: [Float], expectedScatter: [Float]? = nil, seed: UInt64, noiseLabel: String) -> [Float] {
        logImage(blurred(counts(lineIntegrals: l, expectedScatter: expectedScatter, seed: seed, noiseLabel: noiseLabel)))
    }
}
