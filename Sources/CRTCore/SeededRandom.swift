import Foundation

/// Deterministic randomness. Every draw in crtsim comes from a generator derived from the scenario seed and a
/// stable label (`SeededRandom(seed: 7, label: "cmr.cine.noise.slice3.phase12")`), so adding a stage never
/// reshuffles the others and any case or stage can be replayed alone.
///
/// Generator: xoshiro256** (Blackman and Vigna 2018), state filled by SplitMix64 from a 64-bit FNV-1a hash of the
/// label mixed with the seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    public init(seed: UInt64, label: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in label.utf8 { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        var sm = SplitMix64(state: h ^ (seed &* 0x9E37_79B9_7F4A_7C15))
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        spareNormal = nil
    }

    /// A child generator for a sub-label ("<label>.<sub>" semantics without string building by callers).
    public static func derived(seed: UInt64, _ parts: String...) -> SeededRandom {
        SeededRandom(seed: seed, label: parts.joined(separator: "."))
    }

    @inlinable static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = SeededRandom.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = SeededRandom.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// Standard normal draw (Marsaglia polar method; the spare value is kept, so draws come in pairs).
    public mutating func normal() -> Double {
        if let s = spareNormal { spareNormal = nil; return s }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let q = u * u + v * v
            if q > 0 && q < 1 {
                let f = (-2 * log(q) / q).squareRoot()
                spareNormal = v * f
                return u * f
            }
        }
    }

    /// Normal draw with mean and standard deviation.
    public mutating func normal(mean: Double, sd: Double) -> Double { mean + sd * normal() }
}

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededRandom {
    /// A Poisson-distributed count with the given mean (>= 0), returned as a Double.
    ///
    /// Method: means below 10 by multiplying uniforms (Knuth); larger means by the transformed rejection
    /// method with squeeze, PTRS (W. Hoermann, "The transformed rejection method for generating Poisson random
    /// variables", Insurance: Mathematics and Economics 12, 1993), exact for every mean.
    public mutating func poisson(mean: Double) -> Double {
        guard mean > 0 else { return 0 }
        if mean < 10 {
            let limit = exp(-mean)
            var k = 0.0, prod = uniform()
            while prod > limit { k += 1; prod *= uniform() }
            return k
        }
        let slam = mean.squareRoot(), loglam = log(mean)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5, v = uniform()
            let us = 0.5 - abs(u)
            let k = floor((2 * a / us + b) * u + mean + 0.43)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -mean + k * loglam - SeededRandom.logFactorial(k) { return k }
        }
    }

    /// ln(k!) for a non-negative integer k: a table below 10, Stirling's series with three correction terms
    /// above (error below 1e-10). Pure (no global state, unlike lgamma's signgam).
    static func logFactorial(_ k: Double) -> Double {
        if k < 10 {
            let table = [0, 0, 0.6931471805599453, 1.791759469228055, 3.1780538303479458, 4.787491742782046,
                         6.579251212010101, 8.525161361065415, 10.60460290274525, 12.801827480081469]
            return table[Int(k)]
        }
        let k2 = k * k
        return k * log(k) - k + 0.5 * log(2 * Double.pi * k) + 1 / (12 * k) - 1 / (360 * k * k2) + 1 / (1260 * k2 * k2 * k)
    }
}
