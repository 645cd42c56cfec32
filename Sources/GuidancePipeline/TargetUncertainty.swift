import Foundation
import SegmentModel
import Statistics

/// How sure the pipeline is of its activation times and its target (docs/pipeline.md, "Target uncertainty").
///
/// With `SegmentMotion.ActivationMethod.templateDelay` (default) the SD is the template fit's (`TemplateDelay`);
/// what follows is the SD of the other method, `halfPeakCrossing`.
/// An activation time is where the segment's radial strain curve first crosses half its peak, interpolated
/// linearly between two phases. Its error has two parts. The strain noise moves the curve and the 50 % level: near
/// the crossing a strain error e shifts the time by e / slope. The noise SD s of the curve is estimated from its own
/// second differences (for white noise of SD s they have SD s sqrt(6); the curve's smooth bends add a little, so
/// the estimate errs on the large side); the level is half the peak, so its noise is half the curve's, and the two
/// add in quadrature: 1.12 s at the crossing. The linear interpolation between phases misses the curve's bend by at
/// most |second difference| / 8 in strain, that is |d2| / (8 slope) in time. On `standard` (25 phases) this gives a
/// median SD of about 6 ms, where the measured activation errors (median 4 ms) imply an SD of about 6 ms.
public enum TargetUncertainty {
    /// Candidates are the eligible segments whose activation is within this many SD of the difference from the
    /// primary target's (two-sided 95 %).
    public static let candidateZ = 1.96

    /// One SD of the activation time of `curve` (strain fraction per phase, cyclic) crossing its 50 % level between
    /// phases `crossing - 1` and `crossing` of `timesMs`.
    public static func activationUncertaintyMs(curve: [Double], crossing t: Int, timesMs: [Double]) -> Double {
        let n = curve.count
        let dt = timesMs[t] - timesMs[t - 1]
        func secondDifference(_ k: Int) -> Double { curve[(k + n - 1) % n] - 2 * curve[k] + curve[(k + 1) % n] }
        var sumSquares = 0.0
        for k in 0..<n { sumSquares += secondDifference(k) * secondDifference(k) }
        let noise = n >= 3 ? (sumSquares / Double(n) / 6).squareRoot() : 0
        let slope = (curve[t] - curve[t - 1]) / dt
        guard slope > 0 else { return dt }
        let fromNoise = 1.25.squareRoot() * noise / slope
        let bend = n >= 3 ? max(abs(secondDifference(t - 1)), abs(secondDifference(t))) : 0
        let fromInterpolation = bend / 8 / slope
        return min((fromNoise * fromNoise + fromInterpolation * fromInterpolation).squareRoot(), (timesMs.last! - timesMs.first!) / 2)
    }

    /// The candidate targets and the confidence of the primary one.
    /// - Parameters:
    ///   - records: the 36 segment records with their activation times.
    ///   - uncertaintyMs: one SD per segment (index id - 1; nil: no uncertainty known, taken as 0).
    ///   - primaryTarget: the decision model's primary target for `records` (nil: none).
    ///   - decision: the decision model (eligibility).
    /// - Returns: the eligible segments within `candidateZ` SD of the difference from the primary target, latest
    ///   first (the primary target first), and the probability that the primary target is the latest of the
    ///   eligible segments under independent Gaussian errors (numerical integration); empty and nil without target.
    public static func candidates(records: [SegmentRecord], uncertaintyMs: [Double?], primaryTarget: Int?, decision: DecisionModel)
        -> (candidates: [Int], confidence: Double?) {
        guard let primary = primaryTarget,
              let tp = records.first(where: { $0.id == primary })?.activationTimeMs else { return ([], nil) }
        func sd(_ id: Int) -> Double { id - 1 < uncertaintyMs.count ? (uncertaintyMs[id - 1] ?? 0) : 0 }
        let eligible = records.filter { decision.exclusions(of: $0).isEmpty }
        let sp = sd(primary)
        let others = eligible.filter { $0.id != primary }.map { (t: $0.activationTimeMs!, s: sd($0.id), id: $0.id) }
        let close = others.filter { o in o.t >= tp - candidateZ * (sp * sp + o.s * o.s).squareRoot() }
            .sorted { ($0.t, -$0.id) > ($1.t, -$1.id) }.map(\.id)
        // P(primary latest) = integral of N(x; tp, sp) * prod_i P(T_i < x); a deterministic sum over x.
        func below(_ x: Double, _ o: (t: Double, s: Double, id: Int)) -> Double {
            o.s > 0 ? StandardNormal.cdf((x - o.t) / o.s) : (o.t < x ? 1 : o.t == x ? 0.5 : 0)
        }
        let confidence: Double
        if sp > 0 {
            let steps = 400, half = 6 * sp, h = 2 * half / Double(steps)
            var sum = 0.0
            for k in 0...steps {
                let x = tp - half + Double(k) * h
                let w = (k == 0 || k == steps) ? 0.5 : 1
                let density = exp(-0.5 * ((x - tp) / sp) * ((x - tp) / sp)) / (sp * (2 * Double.pi).squareRoot())
                sum += w * density * others.reduce(1.0) { $0 * below(x, $1) }
            }
            confidence = min(1, sum * h)
        } else {
            confidence = others.reduce(1.0) { $0 * below(tp, $1) }
        }
        return ([primary] + close, confidence)
    }
}
