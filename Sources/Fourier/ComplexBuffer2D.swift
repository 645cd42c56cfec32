/// A rows x columns array of single-precision complex values in SIMD-aligned memory from
/// `fftwf_alloc_complex`, the storage every transform in `FFT2D` works on.
///
/// Layout: row-major (C order) with the column index fastest, interleaved (re, im) floats, so element
/// (row, column) sits at float offsets `2 (row * columns + column)` and `+1`. An image stored column-fastest
/// (as `ImageVolume` slices) maps to rows = image height, columns = image width.
///
/// The class owns its memory and frees it in `deinit`. It is `@unchecked Sendable` so it can be handed to
/// another task; it is not internally synchronised: do not mutate one buffer from two tasks at once.
public final class ComplexBuffer2D: @unchecked Sendable {
    // @unchecked Sendable: ownership moves between tasks (handed over, never shared while being written); see above.
    /// Number of rows (slow axis).
    public let rows: Int
    /// Number of columns (fast axis).
    public let columns: Int
    /// Interleaved (re, im) storage, 2 * rows * columns floats.
    let storage: UnsafeMutablePointer<Float>

    /// Number of complex elements, rows * columns.
    public var count: Int { rows * columns }

    /// A zero-filled buffer.
    public init(rows: Int, columns: Int) {
        precondition(rows > 0 && columns > 0, "buffer sizes must be positive")
        self.rows = rows
        self.columns = columns
        storage = PlanCache.shared.allocateComplex(rows * columns)
        storage.initialize(repeating: 0, count: 2 * rows * columns)
    }

    /// A buffer holding `real` (and `imaginary`, zero when nil), each rows * columns values in row-major order.
    public convenience init(rows: Int, columns: Int, real: [Float], imaginary: [Float]? = nil) {
        precondition(real.count == rows * columns, "real part has \(real.count) values, expected \(rows * columns)")
        precondition(imaginary.map { $0.count == rows * columns } ?? true, "imaginary part has the wrong size")
        self.init(rows: rows, columns: columns)
        for i in 0..<count { storage[2 * i] = real[i] }
        if let imaginary { for i in 0..<count { storage[2 * i + 1] = imaginary[i] } }
    }

    deinit { PlanCache.shared.free(storage) }

    /// A deep copy.
    public func copy() -> ComplexBuffer2D {
        let b = ComplexBuffer2D(rows: rows, columns: columns)
        b.storage.update(from: storage, count: 2 * count)
        return b
    }

    /// Element (row, column) as (real, imaginary).
    public subscript(row: Int, column: Int) -> (real: Float, imag: Float) {
        get {
            let i = flatIndex(row, column)
            return (storage[2 * i], storage[2 * i + 1])
        }
        set {
            let i = flatIndex(row, column)
            storage[2 * i] = newValue.real
            storage[2 * i + 1] = newValue.imag
        }
    }

    /// Real part of element (row, column).
    public func real(_ row: Int, _ column: Int) -> Float { storage[2 * flatIndex(row, column)] }
    /// Imaginary part of element (row, column).
    public func imag(_ row: Int, _ column: Int) -> Float { storage[2 * flatIndex(row, column) + 1] }

    /// Real parts in row-major order.
    public var realPart: [Float] { (0..<count).map { storage[2 * $0] } }
    /// Imaginary parts in row-major order.
    public var imaginaryPart: [Float] { (0..<count).map { storage[2 * $0 + 1] } }
    /// Magnitudes |z| in row-major order.
    public var magnitude: [Float] {
        (0..<count).map { i in
            let re = storage[2 * i], im = storage[2 * i + 1]
            return (re * re + im * im).squareRoot()
        }
    }

    /// Multiplies every element by `factor` (e.g. 1 / (rows * columns) after `FFT2D.inverse`).
    public func scale(by factor: Float) {
        for i in 0..<(2 * count) { storage[i] *= factor }
    }

    /// Direct access to the interleaved (re, im) floats, 2 * rows * columns of them, for fast filling and
    /// reading. The pointer must not escape the closure.
    public func withUnsafeMutableInterleaved<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage, count: 2 * count))
    }

    @inline(__always) func flatIndex(_ row: Int, _ column: Int) -> Int {
        precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
        return row * columns + column
    }
}

// MARK: - k-space windowing

/// Signed FFT frequency of index `i` on an axis of `n` samples with DC at index 0: indices
/// 0...ceil(n/2)-1 hold 0...ceil(n/2)-1, the rest -floor(n/2)...-1 (numpy's `fftfreq` order; for even n the
/// Nyquist index n/2 counts as -n/2).
@inline(__always) func signedFrequency(_ i: Int, _ n: Int) -> Int { i < (n + 1) / 2 ? i : i - n }

/// Index of signed frequency `f` on an axis of `n` samples (f mod n).
@inline(__always) func frequencyIndex(_ f: Int, _ n: Int) -> Int { ((f % n) + n) % n }

extension ComplexBuffer2D {
    /// Keeps the low frequencies of a spectrum with DC at index 0 (FFTW order): the result of size
    /// `rows` x `columns` (each at most the current size) holds signed frequencies -floor(n/2)...ceil(n/2)-1 per
    /// axis, i.e. indices 0...ceil(n/2)-1 from the front and the last floor(n/2) from the end. This is the k-space
    /// an MR acquisition of an n-sample matrix sees (k = -n/2...n/2-1 for even n). To keep amplitudes after
    /// `FFT2D.inverse`, scale by 1 / (new rows * new columns), not by the original size.
    public func centredCrop(to rows: Int, columns: Int) -> ComplexBuffer2D {
        precondition(rows > 0 && columns > 0 && rows <= self.rows && columns <= self.columns,
                     "crop size must be positive and at most the buffer size")
        let out = ComplexBuffer2D(rows: rows, columns: columns)
        for r in 0..<rows {
            let sr = frequencyIndex(signedFrequency(r, rows), self.rows)
            for c in 0..<columns {
                let sc = frequencyIndex(signedFrequency(c, columns), self.columns)
                let s = sr * self.columns + sc, d = r * columns + c
                out.storage[2 * d] = storage[2 * s]
                out.storage[2 * d + 1] = storage[2 * s + 1]
            }
        }
        return out
    }

    /// Zero-fills a spectrum with DC at index 0 (FFTW order) to `rows` x `columns` (each at least the current
    /// size): every signed frequency keeps its value, the new high frequencies are zero. The adjoint of
    /// `centredCrop`: `padded.centredCrop(to: old size)` returns the original exactly. Sinc interpolation of the
    /// image after `FFT2D.inverse` (scale by 1 / (original rows * columns) to keep amplitudes).
    public func centredPad(to rows: Int, columns: Int) -> ComplexBuffer2D {
        precondition(rows >= self.rows && columns >= self.columns, "pad size must be at least the buffer size")
        let out = ComplexBuffer2D(rows: rows, columns: columns)
        for r in 0..<self.rows {
            let dr = frequencyIndex(signedFrequency(r, self.rows), rows)
            for c in 0..<self.columns {
                let dc = frequencyIndex(signedFrequency(c, self.columns), columns)
                let s = r * self.columns + c, d = dr * columns + dc
                out.storage[2 * d] = storage[2 * s]
                out.storage[2 * d + 1] = storage[2 * s + 1]
            }
        }
        return out
    }

    /// Moves DC from index 0 to the centre (index floor(n/2) per axis), as numpy's `fft.fftshift`; for display.
    public func fftshifted() -> ComplexBuffer2D { rolled(rowShift: rows / 2, columnShift: columns / 2) }

    /// The inverse of `fftshifted` (they differ for odd sizes), as numpy's `fft.ifftshift`.
    public func ifftshifted() -> ComplexBuffer2D { rolled(rowShift: -(rows / 2), columnShift: -(columns / 2)) }

    /// Cyclic roll: element (r, c) moves to ((r + rowShift) mod rows, (c + columnShift) mod columns).
    func rolled(rowShift: Int, columnShift: Int) -> ComplexBuffer2D {
        let out = ComplexBuffer2D(rows: rows, columns: columns)
        for r in 0..<rows {
            let dr = frequencyIndex(r + rowShift, rows)
            for c in 0..<columns {
                let d = dr * columns + frequencyIndex(c + columnShift, columns), s = r * columns + c
                out.storage[2 * d] = storage[2 * s]
                out.storage[2 * d + 1] = storage[2 * s + 1]
            }
        }
        return out
    }
}
