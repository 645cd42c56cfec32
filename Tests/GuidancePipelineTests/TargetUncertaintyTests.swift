import Foundation
import GuidancePipeline
import SegmentModel
import Testing

/// The pipeline's activation uncertainty and target candidates against known values: a noise-free linear ramp
/// (only the frame sampling), a two-segment near-tie and a clear latest segment.
@Suite("Target uncertainty") struct TargetUncertaintyTests {
    /// A cyclic curve that rises and falls linearly has zero second differences except at its peak (-0.05) and
    /// its two feet (0.025 each): noise SD sqrt((0.05^2 + 2 x 0.025^2) / 25 / 6) = 0.0058, slope 0.025 per 32 ms,
    /// no bend at a crossing in the middle of the ramp: SD = 1.12 x 0.0058 / (0.025 / 32) = 8.3 ms.
    @Test func noiseAndBendTerms() {
        let times = (0..<25).map { Double($0) * 32 }
        let curve: [Double] = (0..<25).map { (k: Int) -> Double in Double(k <= 12 ? k : 24 - k) * 0.025 }  // peak 0.3 at phase 12
        let sd = TargetUncertainty.activationUncertaintyMs(curve: curve, crossing: 6, timesMs: times)
        let noise = ((0.05 * 0.05 + 0.025 * 0.025 + 0.025 * 0.025) / 25 / 6).squareRoot()
        let expected: Double = 1.25.squareRoot() * noise / (0.025 / 32)
        #expect(abs(sd - expected) < 1e-9, "\(sd) vs \(expected)")
        // A crossing next to the peak bend adds the interpolation term 0.05 / 8 / slope.
        let nearPeak = TargetUncertainty.activationUncertaintyMs(curve: curve, crossing: 12, timesMs: times)
        let bend: Double = 0.05 / 8 / (0.025 / 32)
        #expect(abs(nearPeak - (expected * expected + bend * bend).squareRoot()) < 1e-9)
    }

    static func records(_ times: [Int: Double]) -> [SegmentRecord] {
        (1...36).map { id in
            SegmentRecord(id: Segment36(id)!, scarFraction: 0, transmurality: 0, activationTimeMs: times[id] ?? 100, peakRadialStrain: 0.3)
        }
    }

    /// Segments 10 and 11 one ms apart with 10 ms SD each: both are candidates and the confidence is close to a
    /// half (P(N(1, sqrt(200)) > 0) = 0.528 for two; the 34 segments at 100 ms do not matter).
    @Test func nearTieHasTwoCandidatesAndHalfConfidence() throws {
        let r = Self.records([10: 301, 11: 300])
        let sd = [Double?](repeating: 10, count: 36)
        let c = TargetUncertainty.candidates(records: r, uncertaintyMs: sd, primaryTarget: DecisionModel().decide(r).primaryTarget, decision: DecisionModel())
        #expect(c.candidates == [10, 11])
        let confidence = try #require(c.confidence)
        #expect(abs(confidence - 0.5282) < 0.002, "\(confidence)")
    }

    /// A latest segment 80 ms after the next one with 10 ms SDs: one candidate, confidence 1 to 1e-6.
    @Test func clearTargetHasOneCandidate() throws {
        let r = Self.records([10: 380, 11: 300])
        let c = TargetUncertainty.candidates(records: r, uncertaintyMs: [Double?](repeating: 10, count: 36), primaryTarget: DecisionModel().decide(r).primaryTarget, decision: DecisionModel())
        #expect(c.candidates == [10])
        #expect(abs(try #require(c.confidence) - 1) < 1e-6)
        // Without a target (every segment scarred): no candidates, no confidence.
        let scarred = (1...36).map { SegmentRecord(id: Segment36($0)!, scarFraction: 0.5, transmurality: 0.5, activationTimeMs: 100, peakRadialStrain: 0.3) }
        let none = TargetUncertainty.candidates(records: scarred, uncertaintyMs: [], primaryTarget: DecisionModel().decide(scarred).primaryTarget, decision: DecisionModel())
        #expect(none.candidates.isEmpty && none.confidence == nil)
    }
}
