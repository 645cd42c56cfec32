import Fourier
import Foundation
import Testing

@Suite("Phase correlation")
struct PhaseCorrelationTests {
    /// A known sub-pixel shift of a smooth blob is recovered within 0.15 pixel.
    @Test func recoversKnownShift() {
        let n = 64
        func blob(_ dx: Double, _ dy: Double) -> [Float] {
            (0..<(n * n)).map { i in
                let x = Double(i % n) - 30 - dx, y = Double(i / n) - 34 - dy
                return Float(exp(-(x * x + y * y) / 60) + 0.5 * exp(-((x - 8) * (x - 8) + (y + 5) * (y + 5)) / 20))
            }
        }
        let s = PhaseCorrelation.shift(reference: blob(0, 0), moving: blob(3.4, -2.2), rows: n, columns: n)
        #expect(abs(s.columns - 3.4) < 0.15, "columns \(s.columns)")
        #expect(abs(s.rows + 2.2) < 0.15, "rows \(s.rows)")
    }
}
