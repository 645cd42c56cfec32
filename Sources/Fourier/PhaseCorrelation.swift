import Foundation

/// Translation between two images by phase correlation (Kuglin and Hines 1975): the normalised cross-power
/// spectrum of the two images is a pure phase ramp whose inverse transform peaks at the shift. A Hann window
/// tapers both images first so that their borders do not dominate; the peak is refined to sub-pixel precision
/// by a parabola through it and its neighbours on each axis.
public enum PhaseCorrelation {
    /// The shift (columns, rows) in pixels that moves `reference` onto `moving` (moving(x) ~ reference(x - shift)).
    /// - Parameters:
    ///   - reference, moving: images of `rows` x `columns` pixels, row-major.
    /// - Returns: the shift in pixels (within +-size/2) and the correlation peak height (0-1; 1 for a pure shift).
    public static func shift(reference: [Float], moving: [Float], rows: Int, columns: Int)
        -> (columns: Double, rows: Double, peak: Double) {
        precondition(reference.count == rows * columns && moving.count == rows * columns)
        let window = hann(rows: rows, columns: columns)
        let a = ComplexBuffer2D(rows: rows, columns: columns, real: zip(reference, window).map { $0 * $1 })
        let b = ComplexBuffer2D(rows: rows, columns: columns, real: zip(moving, window).map { $0 * $1 })
        FFT2D.forward(a)
        FFT2D.forward(b)
        // Cross-power spectrum B conj(A) / |B conj(A)|.
        b.withUnsafeMutableInterleaved { pb in
            a.withUnsafeMutableInterleaved { pa in
                for i in 0..<(rows * columns) {
                    let ar = pa[2 * i], ai = pa[2 * i + 1], br = pb[2 * i], bi = pb[2 * i + 1]
                    let re = br * ar + bi * ai, im = bi * ar - br * ai
                    let m = (re * re + im * im).squareRoot()
                    pb[2 * i] = m > 1e-20 ? re / m : 0
                    pb[2 * i + 1] = m > 1e-20 ? im / m : 0
                }
            }
        }
        FFT2D.inverse(b)
        let surface = b.realPart.map { $0 / Float(rows * columns) }
        var best = 0
        for i in 1..<surface.count where surface[i] > surface[best] { best = i }
        let pr = best / columns, pc = best % columns
        func value(_ r: Int, _ c: Int) -> Double {
            Double(surface[((r % rows + rows) % rows) * columns + (c % columns + columns) % columns])
        }
        func vertex(_ m: Double, _ c: Double, _ p: Double) -> Double {
            let d = m - 2 * c + p
            return abs(d) > 1e-12 ? clampHalf(0.5 * (m - p) / d) : 0
        }
        let dc = vertex(value(pr, pc - 1), value(pr, pc), value(pr, pc + 1))
        let dr = vertex(value(pr - 1, pc), value(pr, pc), value(pr + 1, pc))
        let sc = Double(pc >= (columns + 1) / 2 ? pc - columns : pc) + dc
        let sr = Double(pr >= (rows + 1) / 2 ? pr - rows : pr) + dr
        return (sc, sr, value(pr, pc))
    }

    private static func clampHalf(_ x: Double) -> Double { min(0.5, max(-0.5, x)) }

    /// Separable Hann window, row-major.
    static func hann(rows: Int, columns: Int) -> [Float] {
        func w(_ i: Int, _ n: Int) -> Float { Float(0.5 - 0.5 * cos(2 * Double.pi * (Double(i) + 0.5) / Double(n))) }
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows { for c in 0..<columns { out[r * columns + c] = w(r, rows) * w(c, columns) } }
        return out
    }
}
