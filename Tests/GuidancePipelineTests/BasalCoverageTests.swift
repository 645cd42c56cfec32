import CRTCore
import Foundation
import GuidancePipeline
import Testing

/// Named tolerances of the basal-coverage test.
enum BasalCoverageTolerance {
    /// Activation time of a basal segment against the truth's, after removing the case's median offset over all
    /// segments (the pipeline's activation scale starts at the 50 % crossing, the truth's at its own onset): half the
    /// 32 ms frame interval of the 25-phase cine. The median over the ring's eligible segments.
    static let basalActivationMedianMs = 16.0
    /// Truth segments below this scar fraction with at least this peak radial strain are the decision model's
    /// eligible ones (`DecisionModel` defaults), whose timing must be measured.
    static let eligibleScarFraction = 0.1
    static let eligiblePeakStrain = 0.1
}

/// The median of a non-empty list.
private func median(_ x: [Double]) -> Double {
    let s = x.sorted(), n = s.count
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
}

@Suite("Basal segments where the base moves through several slices", .serialized)
struct BasalCoverageTests {
    /// Patients whose mitral annulus descends through the two most basal slices, so that the slice the base leaves
    /// and the guard slice below it were the only ones in the basal ring: every basal segment was left unmeasured,
    /// and never a target, though the truth's target was basal.
    @Test("every basal segment has a strain curve, two thirds of the eligible ones are timed, the ring's median activation error within half a frame interval",
          arguments: [("normal-conduction", UInt64(749_606_699)), ("ischemic-posterolateral", UInt64(69_576_272))])
    func basalRingMeasured(preset: String, seed: UInt64) throws {
        let out = try generateClinicalCase(preset: preset, seed: seed, label: "basal-coverage")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try GuidancePipeline().run(try CMRStudy.load(cmrDirectory: out + "/cmr")).result
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/truth/truth.json"))) as! [String: Any]
        let truthSegments = (truth["segments"] as! [[String: Any]]).map { s in
            (id: s["id"] as! Int, activationMs: s["activationTimeMs"] as? Double,
             scar: s["scarFraction"] as! Double, peak: s["peakRadialStrain"] as! Double)
        }
        let measured = Dictionary(uniqueKeysWithValues: result.findings.segments.compactMap { s in s.activationTimeMs.map { (s.id, $0) } })
        let errors = truthSegments.compactMap { t -> (id: Int, errorMs: Double)? in
            guard let a = measured[t.id], let b = t.activationMs else { return nil }
            return (t.id, a - b)
        }
        let offset = median(errors.map(\.errorMs))
        let eligibleBasal = truthSegments.filter {
            $0.id <= 12 && $0.scar < BasalCoverageTolerance.eligibleScarFraction && $0.peak >= BasalCoverageTolerance.eligiblePeakStrain
        }
        try #require(eligibleBasal.count >= 6, "the patient should have at least six eligible basal segments")
        // Every basal segment has a strain curve (before: none had).
        #expect(!result.unmeasuredSegments.contains { $0 <= 12 }, "basal segments without a strain curve: \(result.unmeasuredSegments)")
        // Timed: a strain curve whose template fit resolves the delay (near the scar some stay untimed).
        let basalErrors = errors.filter { e in eligibleBasal.contains { $0.id == e.id } }.map { abs($0.errorMs - offset) }
        #expect(basalErrors.count * 3 >= eligibleBasal.count * 2,
                "\(basalErrors.count) of \(eligibleBasal.count) eligible basal segments timed")
        try #require(!basalErrors.isEmpty)
        #expect(median(basalErrors) <= BasalCoverageTolerance.basalActivationMedianMs,
                "basal activation errors (ms, offset \(offset) removed): \(basalErrors.map { Int($0.rounded()) })")
    }
}
