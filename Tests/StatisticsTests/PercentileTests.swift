import Statistics
import Testing

/// `percentile(sorted:_:method:)`, the one percentile of the image code (Figures, SyntheticCase, GuidancePipeline,
/// Teaching), against NumPy 2.4.6. The references were computed with
///
///     x = np.array([3.5, -1.25, 7.0, 2.0, 10.5, 0.0, 4.75])
///     [float(np.percentile(x, q, method=m)) for q in [0, 1, 12.5, 25, 50, 62.5, 90, 99.5, 100]]
///     for m in ["linear", "lower", "nearest"]
///
/// and for Float `x.astype(np.float32)` with q in [1, 33.3, 99.5]. `.lower` and `.nearest` pick a value of the
/// sample, so they must agree exactly; `.linear` may differ in the last bit, since NumPy interpolates from the upper
/// value when the fraction is >= 0.5 (b - (b - a)(1 - t)) and this code always from the lower (a + (b - a) t).
@Suite(.tags(.fast)) struct PercentileTests {
    static let sorted = [3.5, -1.25, 7.0, 2.0, 10.5, 0.0, 4.75].sorted()
    static let percents = [0, 1, 12.5, 25, 50, 62.5, 90, 99.5, 100]

    @Test func linearMatchesNumPyDefault() {
        let numpy = [-1.25, -1.175, -0.3125, 1.0, 3.5, 4.4375, 8.400000000000002, 10.395, 10.5]
        for (q, expected) in zip(Self.percents, numpy) {
            #expect(isClose(percentile(sorted: Self.sorted, q), expected, absolute: 1e-12), "q = \(q)")
            #expect(isClose(percentile(sorted: Self.sorted, q, method: .linear), expected, absolute: 1e-12), "q = \(q)")
        }
    }

    @Test func lowerMatchesNumPyLower() {
        let numpy = [-1.25, -1.25, -1.25, 0.0, 3.5, 3.5, 7.0, 7.0, 10.5]
        for (q, expected) in zip(Self.percents, numpy) {
            #expect(percentile(sorted: Self.sorted, q, method: .lower) == expected, "q = \(q)")
        }
    }

    @Test func nearestMatchesNumPyNearestAwayFromHalves() {
        let numpy = [-1.25, -1.25, 0.0, 2.0, 3.5, 4.75, 7.0, 10.5, 10.5]
        for (q, expected) in zip(Self.percents, numpy) {
            #expect(percentile(sorted: Self.sorted, q, method: .nearest) == expected, "q = \(q)")
        }
        // Exactly halfway (position 0.5 and 1.5 of [10, 20, 30]): rounded up here (the pipeline's behaviour kept);
        // NumPy rounds to the even index: np.percentile([10., 20., 30.], [25, 75], method="nearest") = [10, 30].
        #expect(percentile(sorted: [10.0, 20, 30], 25, method: .nearest) == 20)
        #expect(percentile(sorted: [10.0, 20, 30], 75, method: .nearest) == 30)
    }

    @Test func floatLinear() {
        let sorted = Self.sorted.map(Float.init)
        // np.percentile(x.astype(np.float32), [1, 33.3, 99.5])
        let numpy: [(Double, Float)] = [(1, -1.1749999523162842), (33.3, 1.996000051498413), (99.5, 10.395000457763672)]
        for (q, expected) in numpy {
            #expect(abs(percentile(sorted: sorted, q) - expected) <= 2e-6, "q = \(q)")
        }
    }

    /// The checked form gives the same bits as the unchecked one; the edges.
    @Test func edgesAndCheckedForm() throws {
        for q in Self.percents { #expect(try percentile(Self.sorted.reversed(), q) == percentile(sorted: Self.sorted, q)) }
        #expect(percentile(sorted: [Float](), 50).isNaN)
        #expect(percentile(sorted: [2.0], 37, method: .linear) == 2)
        #expect(percentile(sorted: Self.sorted, .nan).isNaN)
        #expect(percentile(sorted: Self.sorted, -5) == -1.25 && percentile(sorted: Self.sorted, 105) == 10.5)
    }
}
