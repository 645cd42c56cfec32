import Foundation
internal import CFFTW

/// The FFTW library version string, e.g. "fftw-3.3.10-sse2-avx" (read through the CFFTW shim, since
/// `fftw_version` is a C array of unknown size).
public var fftwVersion: String { String(cString: crt_fftw_version()) }

/// The kinds of single-precision 2D transforms the cache plans.
enum TransformKind: Hashable {
    /// Out-of-place real (rows x columns) to half spectrum (rows x (columns / 2 + 1)).
    case realToComplex
    /// Out-of-place half spectrum to real; destroys its input.
    case complexToReal
    /// In-place 1D complex transforms of every row of a rows x columns array (sign -1 or +1).
    case rowsForward, rowsInverse
    /// In-place 1D complex transforms of length `rows` of a block of `columns` interleaved columns: element j of
    /// column k at j * columns + k (sign -1 or +1). FFTW vectorises over the block.
    case columnBlockForward, columnBlockInverse
}

/// Process-wide cache of FFTW plans, keyed by (rows, columns, kind).
///
/// FFTW's planner (plan creation and destruction, and by FFTW's documentation every call other than the
/// `fftwf_execute*` family) is not thread-safe, so all of those run under one lock here: plan creation,
/// `fftwf_alloc_*` and `fftwf_free`. Executing an existing plan on other arrays with the new-array functions
/// (`fftwf_execute_dft`, `..._r2c`, `..._c2r`) is thread-safe, so callers in parallel tasks share plans and
/// execute them without the lock.
///
/// Plans are made with `FFTW_ESTIMATE`: FFTW then chooses the algorithm by a fixed heuristic instead of timing
/// candidates (`FFTW_MEASURE`), so the same input gives byte-identical output in every run on the same machine
/// and FFTW build (the simulator's images must be reproducible bit for bit). ESTIMATE plans are also made in
/// microseconds rather than 0.1-0.3 s, at some cost in execution speed.
///
/// Plans are made on scratch arrays from `fftwf_alloc_*` (SIMD-aligned) and executed only on arrays from the
/// same allocator (`ComplexBuffer2D`, internal scratch), which the new-array execute functions require. They
/// are never destroyed: the cache lives as long as the process and holds one plan per size and kind used.
final class PlanCache: @unchecked Sendable {
    // @unchecked Sendable: `plans` is read and written only under `lock`, which also serialises the FFTW planner
    // (not thread-safe); the plans handed out are immutable and executing them from several tasks is safe.
    static let shared = PlanCache()

    private struct Key: Hashable {
        var rows: Int
        var columns: Int
        var kind: TransformKind
    }

    private let lock = NSLock()
    private var plans: [Key: OpaquePointer] = [:]

    /// The cached plan for a transform of this size and kind, created on first use.
    func plan(rows: Int, columns: Int, kind: TransformKind) -> OpaquePointer {
        precondition(rows > 0 && columns > 0, "FFT sizes must be positive")
        precondition(rows <= Int(Int32.max) && columns <= Int(Int32.max), "FFT size too large")
        let key = Key(rows: rows, columns: columns, kind: kind)
        lock.lock()
        defer { lock.unlock() }
        if let p = plans[key] { return p }
        let p = makePlan(rows: Int32(rows), columns: Int32(columns), kind: kind)
        plans[key] = p
        return p
    }

    /// Creates a plan on scratch arrays; the caller holds the lock.
    private func makePlan(rows: Int32, columns: Int32, kind: TransformKind) -> OpaquePointer {
        let n = Int(rows) * Int(columns)
        let halfN = Int(rows) * (Int(columns) / 2 + 1)
        let flags = UInt32(FFTW_ESTIMATE)
        let plan: OpaquePointer?
        switch kind {
        case .realToComplex:
            let r = fftwf_alloc_real(n)!, c = fftwf_alloc_complex(halfN)!
            defer { fftwf_free(r); fftwf_free(c) }
            plan = fftwf_plan_dft_r2c_2d(rows, columns, r, c, flags)
        case .complexToReal:
            let c = fftwf_alloc_complex(halfN)!, r = fftwf_alloc_real(n)!
            defer { fftwf_free(c); fftwf_free(r) }
            plan = fftwf_plan_dft_c2r_2d(rows, columns, c, r, flags)
        case .rowsForward, .rowsInverse:
            let a = fftwf_alloc_complex(n)!
            defer { fftwf_free(a) }
            var length = columns
            plan = fftwf_plan_many_dft(1, &length, rows, a, nil, 1, columns, a, nil, 1, columns,
                                       kind == .rowsForward ? FFTW_FORWARD : FFTW_BACKWARD, flags)
        case .columnBlockForward, .columnBlockInverse:
            let a = fftwf_alloc_complex(n)!
            defer { fftwf_free(a) }
            var length = rows
            plan = fftwf_plan_many_dft(1, &length, columns, a, nil, columns, 1, a, nil, columns, 1,
                                       kind == .columnBlockForward ? FFTW_FORWARD : FFTW_BACKWARD, flags)
        }
        guard let plan else { fatalError("FFTW could not plan a \(rows) x \(columns) \(kind) transform") }
        return plan
    }

    /// Allocates `count` SIMD-aligned complex values (interleaved re, im floats) with `fftwf_alloc_complex`.
    func allocateComplex(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        guard let p = fftwf_alloc_complex(max(count, 1)) else { fatalError("fftwf_alloc_complex failed") }
        return UnsafeMutableRawPointer(p).bindMemory(to: Float.self, capacity: 2 * max(count, 1))
    }

    /// Allocates `count` SIMD-aligned floats with `fftwf_alloc_real`.
    func allocateReal(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        guard let p = fftwf_alloc_real(max(count, 1)) else { fatalError("fftwf_alloc_real failed") }
        return p
    }

    /// Frees memory from `allocateComplex` or `allocateReal`.
    func free(_ p: UnsafeMutablePointer<Float>) {
        lock.lock()
        defer { lock.unlock() }
        fftwf_free(p)
    }
}

/// Typed views of interleaved float storage for the FFTW calls.
extension UnsafeMutablePointer where Pointee == Float {
    var asFFTWComplex: UnsafeMutablePointer<fftwf_complex> {
        UnsafeMutableRawPointer(self).assumingMemoryBound(to: fftwf_complex.self)
    }
}
