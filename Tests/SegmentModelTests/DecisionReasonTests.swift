import Foundation
import SegmentModel
import Testing

/// `DecisionModel.reasons` against hand-worked segments: the verdict and the words follow the same rules as
/// `decide` (DOMAIN.md section 1 item 5), at the default thresholds (scar 0.10, peak strain 0.10, 3 LMA sites).
@Suite(.tags(.fast))
struct DecisionReasonTests {
    /// How far below a threshold a value must be to count as below it (the rules compare exactly).
    static let justBelow = 1e-9

    /// 36 healthy segments activated at 100 + id ms with 20 % peak strain, then the hand-worked changes.
    static func records() -> [SegmentRecord] {
        var r = Segment36.all.map {
            SegmentRecord(id: $0, scarFraction: 0, transmurality: 0, activationTimeMs: 100 + Double($0.id), peakRadialStrain: 0.20)
        }
        func set(_ id: Int, scar: Double? = nil, strain: Double? = nil, time: Double?? = nil) {
            if let scar { r[id - 1] = SegmentRecord(id: Segment36(id)!, scarFraction: scar, transmurality: scar,
                                                    activationTimeMs: r[id - 1].activationTimeMs, peakRadialStrain: r[id - 1].peakRadialStrain) }
            if let strain { r[id - 1].peakRadialStrain = strain }
            if let time { r[id - 1].activationTimeMs = time }
        }
        set(36, scar: 0.25, time: 300)                  // latest of all, but scarred: excluded
        set(35, time: 290)                              // latest eligible: primary target
        set(30, time: 280); set(25, time: 280)          // tie: the lower id ranks first (25 LMA 2, 30 LMA 3)
        set(11, strain: 0.05)                           // weak
        set(12, time: .some(nil))                       // not measurable
        set(9, scar: 0.5, strain: 0.02)                 // scarred and weak
        set(20, strain: 0.10 - 0.0004)                  // just below the strain limit: shown with enough decimals
        set(13, scar: 0.10)                             // exactly at the scar threshold: scarred
        set(14, scar: 0.10 - Self.justBelow)            // just below: eligible
        return r
    }

    @Test func handWorkedSegments() {
        let model = DecisionModel()
        let segments = Self.records()
        let reasons = model.reasons(segments)
        #expect(reasons.map(\.id) == Array(1...36))
        func reason(_ id: Int) -> SegmentReason { reasons[id - 1] }

        #expect(reason(35).verdict == .primaryTarget && reason(35).lmaRank == 1)
        #expect(reason(35).text == "Primary target: eligible and the latest activated eligible segment (290 ms).")
        #expect(reason(25).verdict == .lmaSite && reason(25).lmaRank == 2)
        #expect(reason(30).verdict == .lmaSite && reason(30).lmaRank == 3)
        #expect(reason(25).text == "LMA site 2 of 3: eligible, activated at 280 ms, the 2nd latest eligible segment.")

        #expect(reason(36).verdict == .excluded && reason(36).exclusions == [.scarred])
        #expect(reason(36).text == "Not eligible: scarred (scar core 25 % of the segment, at least 10 %).")
        #expect(reason(11).exclusions == [.lowPeakStrain])
        #expect(reason(11).text == "Not eligible: peak radial strain 5.0 % is below 10.0 % (TARGET criterion).")
        #expect(reason(12).exclusions == [.activationNotMeasurable])
        #expect(reason(12).text == "Not eligible: its activation time could not be measured.")
        #expect(reason(9).exclusions == [.scarred, .lowPeakStrain])
        #expect(reason(9).text == "Not eligible: scarred (scar core 50 % of the segment, at least 10 %) and peak radial strain 2.0 % is below 10.0 % (TARGET criterion).")
        // 9.96 % must not read "10.0 % is below 10.0 %".
        #expect(reason(20).text == "Not eligible: peak radial strain 9.96 % is below 10.00 % (TARGET criterion).")
        #expect(reason(13).exclusions == [.scarred])
        #expect(reason(14).verdict == .eligibleNotLatest)

        #expect(reason(1).verdict == .eligibleNotLatest && reason(1).lmaRank == nil)
        #expect(reason(1).text == "Eligible, not a target: activated at 101 ms, before the 3 LMA sites (the 3rd latest eligible segment activated at 280 ms).")
    }

    /// The reasons and `decide` agree on every segment: one set of rules.
    @Test func agreesWithDecide() {
        let model = DecisionModel()
        let segments = Self.records()
        let decision = model.decide(segments)
        let reasons = model.reasons(segments)
        #expect(decision.primaryTarget == 35)
        #expect(decision.lmaTargets == [35, 25, 30])
        #expect(reasons.filter { $0.lmaRank != nil }.sorted { $0.lmaRank! < $1.lmaRank! }.map(\.id) == decision.lmaTargets)
        for (s, r) in zip(segments, reasons) {
            #expect((r.verdict == .excluded) == !model.exclusions(of: s).isEmpty, "segment \(s.id)")
        }
    }

    /// With every segment scarred there is no target, and every reason says why.
    @Test func noEligibleSegment() {
        let model = DecisionModel()
        let segments = Segment36.all.map {
            SegmentRecord(id: $0, scarFraction: 0.4, transmurality: 0.4, activationTimeMs: 200, peakRadialStrain: 0.2)
        }
        #expect(model.decide(segments).primaryTarget == nil)
        #expect(model.reasons(segments).allSatisfy { $0.verdict == .excluded && $0.exclusions == [.scarred] })
    }

    /// Thresholds are parameters: a stricter strain limit changes the reason.
    @Test func thresholdsAreParameters() {
        var model = DecisionModel()
        model.minPeakRadialStrain = 0.25
        let r = model.reasons(Self.records())
        #expect(r[0].text == "Not eligible: peak radial strain 20.0 % is below 25.0 % (TARGET criterion).")
    }
}
