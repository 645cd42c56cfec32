import Foundation
import Testing
import CRTCore
import Fourier

extension Tag {
    @Tag static var fast: Self
}

/// Tolerances (float32 FFTs of sizes up to 64 x 64; rounding grows like log(N) * 6e-8).
enum Tolerance {
    /// FFTW forward vs a double-precision naive DFT, relative to the largest reference magnitude.
    static let dftRelative = 1e-4
    /// forward + inverse / (rows * columns) vs the input, relative to the largest input magnitude.
    static let roundTripRelative = 1e-5
    /// Band-limited crop vs the analytic cosines, absolute (unit-amplitude cosines).
    static let bandLimitedAbsolute = 1e-4
    /// FFT convolution vs direct summation, absolute (inputs in [-1, 1], kernels summing to about 1).
    static let convolutionAbsolute = 1e-5
}

/// Deterministic random complex test data.
func randomBuffer(rows: Int, columns: Int, label: String) -> ComplexBuffer2D {
    var rng = SeededRandom(seed: 20240601, label: label)
    let re = (0..<(rows * columns)).map { _ in Float(rng.uniform(-1, 1)) }
    let im = (0..<(rows * columns)).map { _ in Float(rng.uniform(-1, 1)) }
    return ComplexBuffer2D(rows: rows, columns: columns, real: re, imaginary: im)
}

/// Naive O(N^2) 2D DFT in double precision with FFTW's sign convention.
func naiveDFT(_ b: ComplexBuffer2D, sign: Double) -> [(Double, Double)] {
    var out = [(Double, Double)](repeating: (0, 0), count: b.count)
    for k in 0..<b.rows {
        for l in 0..<b.columns {
            var sr = 0.0, si = 0.0
            for r in 0..<b.rows {
                for c in 0..<b.columns {
                    let phase = sign * 2 * Double.pi * (Double(k * r) / Double(b.rows) + Double(l * c) / Double(b.columns))
                    let x = b[r, c]
                    sr += Double(x.real) * cos(phase) - Double(x.imag) * sin(phase)
                    si += Double(x.real) * sin(phase) + Double(x.imag) * cos(phase)
                }
            }
            out[k * b.columns + l] = (sr, si)
        }
    }
    return out
}

func bits(_ b: ComplexBuffer2D) -> [UInt32] {
    b.withUnsafeMutableInterleaved { $0.map(\.bitPattern) }
}

@Suite(.tags(.fast))
struct FFT2DTests {
    @Test(arguments: [(6, 10), (8, 8), (5, 7)])
    func forwardMatchesNaiveDFT(rows: Int, columns: Int) {
        let x = randomBuffer(rows: rows, columns: columns, label: "fft.dft.\(rows)x\(columns)")
        let reference = naiveDFT(x, sign: -1)
        FFT2D.forward(x)
        let scale = reference.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.max()!
        var worst = 0.0
        for r in 0..<rows {
            for c in 0..<columns {
                let ref = reference[r * columns + c], got = x[r, c]
                worst = max(worst, hypot(Double(got.real) - ref.0, Double(got.imag) - ref.1))
            }
        }
        #expect(worst / scale < Tolerance.dftRelative, "relative error \(worst / scale)")
    }

    @Test func inverseMatchesNaiveDFT() {
        let x = randomBuffer(rows: 6, columns: 10, label: "fft.idft")
        let reference = naiveDFT(x, sign: +1)
        FFT2D.inverse(x)
        let scale = reference.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.max()!
        let worst = (0..<x.count).map { i in
            hypot(Double(x.realPart[i]) - reference[i].0, Double(x.imaginaryPart[i]) - reference[i].1)
        }.max()!
        #expect(worst / scale < Tolerance.dftRelative)
    }

    @Test(arguments: [(6, 10), (8, 8), (64, 64), (33, 17)])
    func roundTrip(rows: Int, columns: Int) {
        let x = randomBuffer(rows: rows, columns: columns, label: "fft.roundtrip")
        let y = x.copy()
        FFT2D.forward(y)
        FFT2D.inverse(y)
        y.scale(by: 1 / Float(rows * columns))
        let worst = zip(x.realPart + x.imaginaryPart, y.realPart + y.imaginaryPart).map { abs($0 - $1) }.max()!
        #expect(Double(worst) / 1.0 < Tolerance.roundTripRelative, "error \(worst)")  // inputs in [-1, 1]
        let z = x.copy()
        FFT2D.forward(z)
        FFT2D.inverseNormalised(z)
        #expect(bits(z) == bits(y))
    }

    @Test func deltaTransformsToConstant() {
        // A unit impulse at (0, 0) has a flat spectrum of ones: checks sign-free scaling exactly.
        let x = ComplexBuffer2D(rows: 4, columns: 6)
        x[0, 0] = (1, 0)
        FFT2D.forward(x)
        #expect(x.realPart.allSatisfy { $0 == 1 } && x.imaginaryPart.allSatisfy { $0 == 0 })
    }

    @Test func bandLimitedCropReproducesSubsampledCosines() {
        // f(x, y) = sum of cosines with frequencies well below 16 cycles per 64 samples: cropping the 64 x 64
        // spectrum to 32 x 32 and inverting (scaled by 1 / (64 * 64)) samples f at every second point.
        let n = 64, m = 32
        let waves: [(ky: Double, kx: Double, amp: Double, phase: Double)] =
            [(0, 0, 0.5, 0), (1, 0, 1, 0.3), (0, 3, 1, -1.1), (5, 2, 0.7, 2.0), (-4, 7, 0.4, 0.5), (15, -15, 0.2, 0)]
        func f(_ y: Double, _ x: Double, period: Double) -> Double {
            waves.reduce(0) { $0 + $1.amp * cos(2 * .pi * ($1.ky * y + $1.kx * x) / period + $1.phase) }
        }
        var re = [Float]()
        for r in 0..<n { for c in 0..<n { re.append(Float(f(Double(r), Double(c), period: Double(n)))) } }
        let b = ComplexBuffer2D(rows: n, columns: n, real: re)
        FFT2D.forward(b)
        let small = b.centredCrop(to: m, columns: m)
        FFT2D.inverse(small)
        small.scale(by: 1 / Float(n * n))
        var worst = 0.0
        for r in 0..<m {
            for c in 0..<m {
                let expected = f(Double(2 * r), Double(2 * c), period: Double(n))
                worst = max(worst, abs(Double(small.real(r, c)) - expected), abs(Double(small.imag(r, c))))
            }
        }
        #expect(worst < Tolerance.bandLimitedAbsolute, "error \(worst)")
    }

    @Test(arguments: [(8, 8, 4, 4), (9, 7, 5, 3), (8, 8, 5, 3), (7, 9, 4, 6)])
    func cropKeepsSignedFrequencies(rows: Int, columns: Int, newRows: Int, newColumns: Int) {
        // Element at signed frequency (fy, fx) must keep that frequency after the crop, and pad undoes it.
        let x = randomBuffer(rows: rows, columns: columns, label: "fft.crop")
        let cropped = x.centredCrop(to: newRows, columns: newColumns)
        for r in 0..<newRows {
            for c in 0..<newColumns {
                let fy = r < (newRows + 1) / 2 ? r : r - newRows
                let fx = c < (newColumns + 1) / 2 ? c : c - newColumns
                let src = x[(fy + rows) % rows, (fx + columns) % columns]
                #expect(cropped[r, c] == src)
            }
        }
        let padded = cropped.centredPad(to: rows, columns: columns)
        #expect(bits(padded.centredCrop(to: newRows, columns: newColumns)) == bits(cropped))
        // Energy is preserved by the pad (zeros added only).
        let e1 = cropped.magnitude.reduce(0) { $0 + $1 * $1 }, e2 = padded.magnitude.reduce(0) { $0 + $1 * $1 }
        #expect(e1 == e2)
    }

    @Test func fftshiftMovesDCToCentre() {
        for (rows, columns) in [(4, 6), (5, 7)] {
            let x = ComplexBuffer2D(rows: rows, columns: columns)
            x[0, 0] = (1, 2)
            let s = x.fftshifted()
            #expect(s[rows / 2, columns / 2] == (1, 2))
            #expect(bits(s.ifftshifted()) == bits(x))
        }
    }

    @Test func deterministicBits() {
        let a = randomBuffer(rows: 48, columns: 40, label: "fft.det")
        let b = a.copy()
        FFT2D.forward(a)
        FFT2D.forward(b)
        #expect(bits(a) == bits(b))
    }

    @Test func concurrentUseMatchesSerial() async {
        // Sizes not used elsewhere, so the first plans are created under contention too.
        let sizes = [(30, 42), (42, 30), (30, 42), (56, 18)]
        let inputs = (0..<16).map { i in
            randomBuffer(rows: sizes[i % sizes.count].0, columns: sizes[i % sizes.count].1, label: "fft.conc.\(i)")
        }
        let serial = inputs.map { x -> [UInt32] in
            let y = x.copy(); FFT2D.forward(y); FFT2D.inverse(y); FFT2D.forward(y); return bits(y)
        }
        let parallel = await withTaskGroup(of: (Int, [UInt32]).self) { group in
            for (i, x) in inputs.enumerated() {
                let y = x.copy()
                group.addTask {
                    FFT2D.forward(y); FFT2D.inverse(y); FFT2D.forward(y)
                    return (i, bits(y))
                }
            }
            var out = [[UInt32]](repeating: [], count: inputs.count)
            for await (i, b) in group { out[i] = b }
            return out
        }
        #expect(parallel == serial)
    }

    @Test func versionString() {
        #expect(fftwVersion.hasPrefix("fftw-3."))
    }

    @Test func goodSizes() {
        #expect(goodFFTSize(atLeast: 1) == 1)
        #expect(goodFFTSize(atLeast: 11) == 12)
        #expect(goodFFTSize(atLeast: 97) == 98)
        #expect(goodFFTSize(atLeast: 128) == 128)
    }
}

@Suite(.tags(.fast))
struct ConvolutionTests {
    func randomImage(_ n: Int, label: String) -> [Float] {
        var rng = SeededRandom(seed: 7, label: label)
        return (0..<n).map { _ in Float(rng.uniform(-1, 1)) }
    }

    /// Direct same-size convolution with the kernel origin at its centre.
    func direct(_ img: [Float], _ rows: Int, _ cols: Int, _ k: [Float], _ kr: Int, _ kc: Int,
                circular: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                var s = 0.0
                for i in 0..<kr {
                    for j in 0..<kc {
                        var y = r + kr / 2 - i, x = c + kc / 2 - j
                        if circular { y = ((y % rows) + rows) % rows; x = ((x % cols) + cols) % cols }
                        guard y >= 0, y < rows, x >= 0, x < cols else { continue }
                        s += Double(k[i * kc + j]) * Double(img[y * cols + x])
                    }
                }
                out[r * cols + c] = Float(s)
            }
        }
        return out
    }

    @Test(arguments: ConvolutionBoundary.allCases)
    func deltaKernelReturnsInput(boundary: ConvolutionBoundary) {
        let img = randomImage(20 * 13, label: "conv.delta")
        var k = [Float](repeating: 0, count: 9)
        k[4] = 1
        let out = FFT2D.convolve(image: img, rows: 20, columns: 13, kernel: k, boundary: boundary)
        let worst = zip(out, img).map { abs($0 - $1) }.max()!
        #expect(Double(worst) < Tolerance.convolutionAbsolute)
        let one = FFT2D.convolve(image: img, rows: 20, columns: 13, kernel: [1], boundary: boundary)
        #expect(Double(zip(one, img).map { abs($0 - $1) }.max()!) < Tolerance.convolutionAbsolute)
    }

    @Test(arguments: ConvolutionBoundary.allCases)
    func matchesDirectSummation(boundary: ConvolutionBoundary) {
        let rows = 17, cols = 22, kr = 5, kc = 4  // even kernel width exercises the centre offset
        let img = randomImage(rows * cols, label: "conv.img")
        var k = randomImage(kr * kc, label: "conv.kernel").map { abs($0) }
        let total = k.reduce(0, +)
        k = k.map { $0 / total }
        let fft = FFT2D.convolve(image: img, rows: rows, columns: cols, kernel: k, kernelRows: kr,
                                 kernelColumns: kc, boundary: boundary)
        let ref = direct(img, rows, cols, k, kr, kc, circular: boundary == .circular)
        let worst = zip(fft, ref).map { abs($0 - $1) }.max()!
        #expect(Double(worst) < Tolerance.convolutionAbsolute, "error \(worst)")
    }

    @Test func shiftKernelMovesImage() {
        // Kernel 3x3 with 1 at (0, 0): out[r, c] = in[r + 1, c + 1] (zero beyond the edge).
        let rows = 6, cols = 5
        let img = (0..<(rows * cols)).map { Float($0) }
        var k = [Float](repeating: 0, count: 9)
        k[0] = 1
        let out = FFT2D.convolve(image: img, rows: rows, columns: cols, kernel: k)
        for r in 0..<rows {
            for c in 0..<cols {
                let expected: Float = (r + 1 < rows && c + 1 < cols) ? img[(r + 1) * cols + c + 1] : 0
                #expect(abs(out[r * cols + c] - expected) < Float(Tolerance.convolutionAbsolute) * 30)
            }
        }
    }
}
