import CRTCore
import Foundation
import GuidancePipeline
import Testing

/// Named tolerances of the template-delay tests.
enum TemplateDelayTolerance {
    /// Delay recovered from a noise-free curve sampled at 32 ms (ms): the template is interpolated linearly between
    /// phases, which bends a smooth curve by a fraction of a percent of its peak.
    static let noiseFreeMs = 2.0
    /// Reported SD against the spread of the estimates over noise draws: within this factor either way.
    static let sdFactor = 1.6
}

/// A systolic radial-thickening curve (fraction): zero until the onset, a raised-cosine rise to `peak` over 220 ms,
/// held 60 ms, back to zero over 240 ms (the shape of a segment's thickening over an 800 ms cycle), cyclic.
private func thickening(_ tMs: Double, onsetMs: Double, peak: Double, cycleMs: Double = 800) -> Double {
    var t = (tMs - onsetMs).truncatingRemainder(dividingBy: cycleMs)
    if t < 0 { t += cycleMs }
    switch t {
    case ..<220: return peak * 0.5 * (1 - cos(Double.pi * t / 220))
    case ..<280: return peak
    case ..<520: return peak * 0.5 * (1 + cos(Double.pi * (t - 280) / 240))
    default: return 0
    }
}

/// The curve's 50 % crossing of its own peak (continuous: 110 ms after the onset, where the raised cosine is half).
private func halfPeakMs(onsetMs: Double) -> Double { onsetMs + 110 }

@Suite("Template-delay activation")
struct TemplateDelayTests {
    let times = (0..<25).map { Double($0) * 32 }

    @Test("a scaled, delayed copy of the template: its delay within 2 ms, and its SD within a factor 1.6 of the spread over 200 noise draws")
    func recoversDelay() throws {
        let template = times.map { thickening($0, onsetMs: 60, peak: 0.3) }
        let clean = times.map { thickening($0, onsetMs: 60 + 23.4, peak: 0.21) }
        let exact = try #require(TemplateDelay.fit(curve: clean, template: template, intervalMs: 32))
        #expect(abs(exact.delayMs - 23.4) <= TemplateDelayTolerance.noiseFreeMs, "delay \(exact.delayMs) ms")
        #expect(abs(exact.scale - 0.7) <= 0.02, "scale \(exact.scale)")
        // Noise of 0.01 strain (a few percent of the peak, as on clinical cine): the estimates' spread against the
        // SD each fit reports.
        var random = SeededRandom(seed: 11, label: "template-delay-noise")
        var delays: [Double] = [], reported: [Double] = []
        for _ in 0..<200 {
            let noisy = clean.map { $0 + random.normal(mean: 0, sd: 0.01) }
            let f = try #require(TemplateDelay.fit(curve: noisy, template: template, intervalMs: 32))
            delays.append(f.delayMs); reported.append(f.sdMs)
        }
        let mean = delays.reduce(0, +) / Double(delays.count)
        let spread = (delays.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(delays.count - 1)).squareRoot()
        let sd = reported.sorted()[reported.count / 2]
        #expect(abs(mean - 23.4) <= TemplateDelayTolerance.noiseFreeMs, "mean delay \(mean) ms")
        #expect(sd / spread <= TemplateDelayTolerance.sdFactor && spread / sd <= TemplateDelayTolerance.sdFactor,
                "reported SD \(sd) ms against the spread \(spread) ms")
    }

    @Test("36 segments with known onsets: noise-free, every time within 2 ms of its 50 % crossing; with noise, smaller errors than the crossing and the latest segment kept")
    func activationAgainstCrossing() throws {
        var settings = SegmentMotion.Settings()
        settings.activationMethod = .templateDelay
        // Onsets 40-110 ms, latest segment 11 (basal, 110 ms), the runner-up 10 ms earlier.
        let onsets = (0..<36).map { i -> Double in i == 10 ? 110 : 40 + 60 * Double((i * 7) % 36) / 35 }
        let peaks = (0..<36).map { 0.15 + 0.15 * Double($0 * 5 % 36) / 35 }
        func crossing(_ c: [Double]) -> Double? {
            let level = 0.5 * c.max()!
            for t in 1..<c.count where c[t] >= level {
                return times[t - 1] + (level - c[t - 1]) / (c[t] - c[t - 1]) * 32
            }
            return nil
        }
        let clean = (0..<36).map { i in times.map { thickening($0, onsetMs: onsets[i], peak: peaks[i]) } }
        let exact = try #require(SegmentMotion.templateDelayActivation(curves: clean, crossingsMs: clean.map(crossing),
                                                                      timesMs: times, settings: settings))
        for i in 0..<36 {
            let t = try #require(exact.activationMs[i])
            #expect(abs(t - halfPeakMs(onsetMs: onsets[i])) <= TemplateDelayTolerance.noiseFreeMs,
                    "segment \(i + 1): \(t) ms against \(halfPeakMs(onsetMs: onsets[i])) ms")
            #expect((exact.uncertaintyMs[i] ?? -1) >= 0)
        }
        // Noise 0.012 strain: the template times' median error is below the crossings', and the latest stays 11.
        var random = SeededRandom(seed: 5, label: "template-delay-segments")
        var templateErrors: [Double] = [], crossingErrors: [Double] = [], latestKept = 0
        let draws = 20
        for _ in 0..<draws {
            let noisy = clean.map { $0.map { $0 + random.normal(mean: 0, sd: 0.012) } }
            let crossings = noisy.map(crossing)
            let timed = try #require(SegmentMotion.templateDelayActivation(curves: noisy, crossingsMs: crossings,
                                                                          timesMs: times, settings: settings))
            for i in 0..<36 {
                templateErrors.append(abs(timed.activationMs[i]! - halfPeakMs(onsetMs: onsets[i])))
                crossingErrors.append(abs(crossings[i]! - halfPeakMs(onsetMs: onsets[i])))
            }
            if (0..<36).max(by: { timed.activationMs[$0]! < timed.activationMs[$1]! }) == 10 { latestKept += 1 }
        }
        let median = { (a: [Double]) in a.sorted()[a.count / 2] }
        #expect(median(templateErrors) < median(crossingErrors),
                "median error \(median(templateErrors)) ms (template) against \(median(crossingErrors)) ms (crossing)")
        #expect(latestKept >= draws * 9 / 10, "latest segment kept in \(latestKept) of \(draws) draws")
    }

    @Test("a dyskinetic curve gives no time, nor does a curve too poor to time within a frame gives no time; the other segments keep theirs")
    func unresolvedTimes() throws {
        let settings = SegmentMotion.Settings()
        var curves = (0..<36).map { i in times.map { thickening($0, onsetMs: 40 + Double(i), peak: 0.2) } }
        // Segment 5: a brief passive thickening, then thinning while the others thicken (dyskinetic scar); it fits
        // the template only with a negative scale. Segment 6: a thickening of 0.4 % under an alternating 1 % ripple,
        // which fits with a positive scale and an SD of far more than a frame.
        curves[4] = times.map { 0.08 * thickening($0, onsetMs: 0, peak: 1) - 0.2 * thickening($0, onsetMs: 45, peak: 1) }
        curves[5] = times.indices.map { t in thickening(times[t], onsetMs: 60, peak: 0.004) + (t % 2 == 0 ? 0.01 : -0.01) }
        let crossings = curves.map { c -> Double? in
            let level = 0.5 * (c.max() ?? 0)
            guard level > 0 else { return nil }
            for t in 1..<c.count where c[t] >= level { return times[t - 1] + (level - c[t - 1]) / (c[t] - c[t - 1]) * 32 }
            return nil
        }
        let dyskinetic = try #require(crossings[4])
        #expect(crossings[5] != nil, "the rippled curve has a crossing to replace")
        let template = (0..<times.count).map { t in (0..<36).filter { ![4, 5].contains($0) }.reduce(0.0) { $0 + curves[$1][t] } / 34 }
        #expect(TemplateDelay.fit(curve: curves[4], template: template, intervalMs: 32) == nil, "negative scale: no fit")
        let ripple = try #require(TemplateDelay.fit(curve: curves[5], template: template, intervalMs: 32))
        #expect(ripple.scale > 0 && ripple.sdMs > 32, "scale \(ripple.scale), SD \(ripple.sdMs) ms")
        let timed = try #require(SegmentMotion.templateDelayActivation(curves: curves, crossingsMs: crossings,
                                                                      timesMs: times, settings: settings))
        // The dyskinetic curve's own crossing (its passive early bump) is no activation time: none is given.
        #expect(dyskinetic < halfPeakMs(onsetMs: 40), "the passive bump's crossing, \(dyskinetic) ms, precedes every active segment's")
        #expect(timed.activationMs[4] == nil && timed.uncertaintyMs[4] == nil)
        #expect(timed.activationMs[5] == nil && timed.uncertaintyMs[5] == nil)
        for i in 0..<36 where i != 4 && i != 5 {
            let t = try #require(timed.activationMs[i])
            #expect(abs(t - halfPeakMs(onsetMs: 40 + Double(i))) <= TemplateDelayTolerance.noiseFreeMs, "segment \(i + 1): \(t) ms")
            #expect((timed.uncertaintyMs[i] ?? .infinity) <= 32)
        }
    }
}
