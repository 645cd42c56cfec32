import Foundation
internal import CFFTW

/// Single-precision 2D discrete Fourier transforms with FFTW, in place on `ComplexBuffer2D`.
///
/// Conventions (FFTW's): `forward` computes X[k, l] = sum_{r, c} x[r, c] exp(-2 pi i (k r / rows + l c / columns)),
/// `inverse` the same sum with +i. Neither is normalised: `inverse(forward(x))` = rows * columns * x, so scale by
/// 1 / (rows * columns) once (or use `inverseNormalised`). DC sits at index (0, 0).
///
/// Plans come from a process-wide cache (`FFTW_ESTIMATE`, byte-deterministic; see `PlanCache`) and are executed
/// with the thread-safe new-array functions, so any number of tasks may transform different buffers at once.
public enum FFT2D {
    /// In-place forward transform (sign -1), unnormalised.
    public static func forward(_ b: ComplexBuffer2D) { transform(b, forward: true) }

    /// In-place inverse transform (sign +1), unnormalised: multiplies the round trip by rows * columns.
    public static func inverse(_ b: ComplexBuffer2D) { transform(b, forward: false) }

    /// Columns transformed together in one block (see `transform`).
    static let columnBlock = 16

    /// The 2D transform as rows, then columns in blocks: one FFTW plan transforms every (contiguous) row; the
    /// columns are copied `columnBlock` at a time into a scratch block where each row of the block is contiguous,
    /// transformed there by one plan that FFTW vectorises over the block, and copied back. FFTW_ESTIMATE's own 2D
    /// plan transforms the columns in place at a stride of a whole row, which was 2.2 times slower at 384 x 384
    /// and 9.5 times at 512 x 512 on this project's machines (docs/performance.md); the plans here stay
    /// FFTW_ESTIMATE, so the output is as reproducible as before.
    static func transform(_ b: ComplexBuffer2D, forward: Bool) {
        let rows = b.rows, columns = b.columns, block = columnBlock
        let rowPlan = PlanCache.shared.plan(rows: rows, columns: columns, kind: forward ? .rowsForward : .rowsInverse)
        fftwf_execute_dft(rowPlan, b.storage.asFFTWComplex, b.storage.asFFTWComplex)
        let blockPlan = PlanCache.shared.plan(rows: rows, columns: block,
                                              kind: forward ? .columnBlockForward : .columnBlockInverse)
        let scratch = PlanCache.shared.allocateComplex(rows * block)
        defer { PlanCache.shared.free(scratch) }
        scratch.initialize(repeating: 0, count: 2 * rows * block)
        let floatsPerRow = 2 * columns, floatsPerBlockRow = 2 * block
        var c0 = 0
        while c0 < columns {
            // The last block may be partial: its unused lanes hold zeros or an earlier block's values, transformed
            // and never copied back.
            let lanes = min(block, columns - c0)
            for j in 0..<rows {
                (scratch + j * floatsPerBlockRow).update(from: b.storage + j * floatsPerRow + 2 * c0, count: 2 * lanes)
            }
            fftwf_execute_dft(blockPlan, scratch.asFFTWComplex, scratch.asFFTWComplex)
            for j in 0..<rows {
                (b.storage + j * floatsPerRow + 2 * c0).update(from: scratch + j * floatsPerBlockRow, count: 2 * lanes)
            }
            c0 += block
        }
    }

    /// In-place inverse transform scaled by 1 / (rows * columns), so that it undoes `forward` exactly
    /// (up to rounding).
    public static func inverseNormalised(_ b: ComplexBuffer2D) {
        inverse(b)
        b.scale(by: 1 / Float(b.count))
    }

    /// 2D convolution of a real image with a real kernel through real-to-complex FFTs; same-size output.
    ///
    /// out[r, c] = sum_{i, j} kernel[i, j] * image[r + cr - i, c + cc - j], with the kernel origin at its centre
    /// (cr, cc) = (kernelRows / 2, kernelColumns / 2) (integer division; for odd sizes the middle element), so
    /// a kernel with 1 at its centre returns the input. Outside the image `boundary` applies.
    /// - Parameters:
    ///   - image: rows * columns values, row-major (column fastest).
    ///   - rows, columns: image size.
    ///   - kernel: kernelRows * kernelColumns values, row-major; nil sizes mean a square kernel
    ///     (side sqrt(kernel.count), which must be an integer).
    ///   - boundary: `.zero` (default; linear convolution on zero-padded arrays) or `.circular` (periodic image).
    /// - Returns: rows * columns values.
    public static func convolve(image: [Float], rows: Int, columns: Int, kernel: [Float],
                                kernelRows: Int? = nil, kernelColumns: Int? = nil,
                                boundary: ConvolutionBoundary = .zero) -> [Float] {
        let (kr, kc) = kernelShape(count: kernel.count, rows: kernelRows, columns: kernelColumns)
        let conv = Convolver(rows: rows, columns: columns, kernel: kernel, kernelRows: kr, kernelColumns: kc,
                             boundary: boundary)
        return conv.apply(image)
    }

    static func kernelShape(count: Int, rows: Int?, columns: Int?) -> (Int, Int) {
        switch (rows, columns) {
        case let (r?, c?): return (r, c)
        case let (r?, nil): return (r, count / r)
        case let (nil, c?): return (count / c, c)
        case (nil, nil):
            let s = Int(Double(count).squareRoot().rounded())
            precondition(s * s == count, "kernel is not square: give kernelRows and kernelColumns")
            return (s, s)
        }
    }
}

/// What a convolution assumes beyond the image edges.
public enum ConvolutionBoundary: String, Codable, Sendable, CaseIterable {
    /// Zero outside the image (linear convolution; the FFT runs on arrays padded to at least
    /// image + kernel - 1 per axis, rounded up to a product of 2, 3, 5 and 7).
    case zero
    /// The image repeats periodically (circular convolution on the image size).
    case circular
}

/// A real 2D convolution with a fixed kernel and image size: the kernel spectrum is computed once, so applying
/// it to many images (detector blur on every frame) costs one real-to-complex and one complex-to-real FFT each.
/// Immutable and `Sendable`: `apply` may run from several tasks at once. Semantics as `FFT2D.convolve`.
public final class Convolver: @unchecked Sendable {
    // @unchecked Sendable: every stored property is set in init and never changed (the kernel spectrum buffer is
    // only read); `apply` works on its own scratch buffers and executes FFTW plans, which is thread-safe.
    /// Image size.
    public let rows: Int, columns: Int
    /// Boundary handling.
    public let boundary: ConvolutionBoundary
    /// FFT size (padded for `.zero`).
    let fftRows: Int, fftColumns: Int
    /// Kernel centre offsets.
    let centreRow: Int, centreColumn: Int
    /// Half spectrum of the kernel scaled by 1 / (fftRows * fftColumns), fftRows * (fftColumns / 2 + 1)
    /// complex values.
    let kernelSpectrum: UnsafeMutablePointer<Float>

    /// - Parameters:
    ///   - rows, columns: size of the images to convolve.
    ///   - kernel: kernelRows * kernelColumns values, row-major, origin at (kernelRows / 2, kernelColumns / 2).
    ///   - boundary: `.zero` or `.circular`.
    public init(rows: Int, columns: Int, kernel: [Float], kernelRows: Int, kernelColumns: Int,
                boundary: ConvolutionBoundary = .zero) {
        precondition(rows > 0 && columns > 0 && kernelRows > 0 && kernelColumns > 0, "sizes must be positive")
        precondition(kernel.count == kernelRows * kernelColumns, "kernel count does not match its size")
        self.rows = rows
        self.columns = columns
        self.boundary = boundary
        centreRow = kernelRows / 2
        centreColumn = kernelColumns / 2
        switch boundary {
        case .zero:
            fftRows = goodFFTSize(atLeast: rows + kernelRows - 1)
            fftColumns = goodFFTSize(atLeast: columns + kernelColumns - 1)
        case .circular:
            fftRows = rows
            fftColumns = columns
        }
        // Zero boundary: kernel element (0, 0) at index (0, 0) and the output read with the centre offset.
        // Circular: the kernel centre wrapped to index (0, 0), so the output needs no offset.
        let n = fftRows * fftColumns
        let padded = PlanCache.shared.allocateReal(n)
        defer { PlanCache.shared.free(padded) }
        padded.initialize(repeating: 0, count: n)
        for i in 0..<kernelRows {
            for j in 0..<kernelColumns {
                let (r, c): (Int, Int)
                switch boundary {
                case .zero: (r, c) = (i, j)
                case .circular:
                    (r, c) = (frequencyIndex(i - kernelRows / 2, fftRows), frequencyIndex(j - kernelColumns / 2, fftColumns))
                }
                padded[r * fftColumns + c] += kernel[i * kernelColumns + j]
            }
        }
        let halfCount = fftRows * (fftColumns / 2 + 1)
        kernelSpectrum = PlanCache.shared.allocateComplex(halfCount)
        let plan = PlanCache.shared.plan(rows: fftRows, columns: fftColumns, kind: .realToComplex)
        fftwf_execute_dft_r2c(plan, padded, kernelSpectrum.asFFTWComplex)
        let scale = 1 / Float(n)
        for i in 0..<(2 * halfCount) { kernelSpectrum[i] *= scale }
    }

    deinit { PlanCache.shared.free(kernelSpectrum) }

    /// Convolves one image (rows * columns values, row-major) with the kernel.
    public func apply(_ image: [Float]) -> [Float] {
        precondition(image.count == rows * columns, "image has \(image.count) values, expected \(rows * columns)")
        let n = fftRows * fftColumns, halfCount = fftRows * (fftColumns / 2 + 1)
        let real = PlanCache.shared.allocateReal(n)
        let spectrum = PlanCache.shared.allocateComplex(halfCount)
        defer { PlanCache.shared.free(real); PlanCache.shared.free(spectrum) }
        real.initialize(repeating: 0, count: n)
        image.withUnsafeBufferPointer { src in
            for r in 0..<rows {
                (real + r * fftColumns).update(from: src.baseAddress! + r * columns, count: columns)
            }
        }
        fftwf_execute_dft_r2c(PlanCache.shared.plan(rows: fftRows, columns: fftColumns, kind: .realToComplex),
                              real, spectrum.asFFTWComplex)
        for k in 0..<halfCount {
            let a = spectrum[2 * k], b = spectrum[2 * k + 1]
            let c = kernelSpectrum[2 * k], d = kernelSpectrum[2 * k + 1]
            spectrum[2 * k] = a * c - b * d
            spectrum[2 * k + 1] = a * d + b * c
        }
        fftwf_execute_dft_c2r(PlanCache.shared.plan(rows: fftRows, columns: fftColumns, kind: .complexToReal),
                              spectrum.asFFTWComplex, real)
        let (dr, dc) = boundary == .zero ? (centreRow, centreColumn) : (0, 0)
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns { out[r * columns + c] = real[(r + dr) * fftColumns + c + dc] }
        }
        return out
    }
}

extension Convolver {
    /// A Gaussian convolver of SD `sigmaPx` (pixels), the kernel cut at `halfWidthSD` SDs (at least one pixel) and
    /// normalised to sum 1, for images of `rows` x `columns`.
    public convenience init(rows: Int, columns: Int, gaussianSigmaPx sigma: Double, halfWidthSD: Double,
                            boundary: ConvolutionBoundary = .zero) {
        let half = max(1, Int(ceil(halfWidthSD * sigma)))
        let side = 2 * half + 1
        var k = [Float](repeating: 0, count: side * side)
        var sum: Float = 0
        for i in 0..<side { for j in 0..<side {
            let di = Double(i - half), dj = Double(j - half)
            let v = Float(exp(-(di * di + dj * dj) / (2 * sigma * sigma)))
            k[i * side + j] = v; sum += v
        } }
        self.init(rows: rows, columns: columns, kernel: k.map { $0 / sum }, kernelRows: side, kernelColumns: side, boundary: boundary)
    }
}

/// The smallest n' >= n whose prime factors are all 2, 3, 5 or 7 (sizes FFTW transforms fastest).
public func goodFFTSize(atLeast n: Int) -> Int {
    precondition(n > 0, "size must be positive")
    var m = n
    while true {
        var r = m
        for p in [2, 3, 5, 7] { while r % p == 0 { r /= p } }
        if r == 1 { return m }
        m += 1
    }
}
