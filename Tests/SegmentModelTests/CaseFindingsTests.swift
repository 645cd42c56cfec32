import CRTCore
import Foundation
import Testing
import SegmentModel

/// The shared vocabulary of truth.json and analysis.json (`CaseFindings`): its reading rule and its flat keys.
@Suite(.tags(.fast))
struct CaseFindingsTests {
    static func segmentsJSON() -> String {
        "[" + (1...36).map { "{\"id\": \($0), \"scarFraction\": 0, \"scarred\": false, \"transmurality\": 0, \"peakRadialStrain\": 0.3}" }
            .joined(separator: ", ") + "]"
    }

    @Test("only edvMl, esvMl, ef, scarBurdenPercent and segments are required; the rest read as neutral values")
    func minimalFile() throws {
        let json = "{\"edvMl\": 150, \"esvMl\": 70, \"ef\": 0.53, \"scarBurdenPercent\": 4, \"segments\": \(Self.segmentsJSON())}"
        let f = try JSONDecoder().decode(CaseFindings.self, from: Data(json.utf8))
        #expect(f.edvMl == 150 && f.segments.count == 36 && f.segments[8].name == "basal-inferolateral 1")
        #expect(f.esTimeMs.isNaN && f.lvMyocardialVolumeMl.isNaN && f.wallThicknessMm.isNaN)
        #expect(f.lmaTargets.isEmpty && f.primaryTarget == nil && f.targetStatus == "none")
        #expect(f.rvInsertionPointsMm.isEmpty && f.lvAxis.isEmpty && f.radialStrainCurves.isEmpty)
        #expect(f.curveTimesMs.isEmpty && f.volumeCurveMl.isEmpty && f.heartPose == nil && f.lead == nil)
        for key in ["edvMl", "esvMl", "ef", "scarBurdenPercent", "segments"] {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            object.removeValue(forKey: key)
            #expect(throws: DecodingError.self, "\(key)") {
                try JSONDecoder().decode(CaseFindings.self, from: JSONSerialization.data(withJSONObject: object))
            }
        }
    }

    @Test("written flat with the shared keys only; a segment not measured is null in radialStrainCurves")
    func roundTrip() throws {
        let segments = Segment36.all.map { SegmentRecord(id: $0, scarFraction: 0, transmurality: 0, activationTimeMs: 100, peakRadialStrain: 0.3) }
        let f = CaseFindings(edvMl: 150, esvMl: 70, ef: 0.53, esTimeMs: 300, scarBurdenPercent: 4, lvMyocardialVolumeMl: 120,
                             wallThicknessMm: 9, segments: segments, lmaTargets: [9], primaryTarget: 9, targetStatus: "target found",
                             rvInsertionPointsMm: ["anterior": Vec3(1, 2, 3)], lvAxis: ["baseToApex": Vec3(0, 0, -1)],
                             radialStrainCurves: [[0, 0.1]] + [[Double]?](repeating: nil, count: 35), curveTimesMs: [0, 40],
                             volumeCurveMl: [150, 140])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(f)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["edvMl", "esvMl", "ef", "esTimeMs", "scarBurdenPercent", "lvMyocardialVolumeMl", "wallThicknessMm",
                                     "segments", "lmaTargets", "primaryTarget", "targetStatus", "rvInsertionPointsMm", "lvAxis",
                                     "radialStrainCurves", "curveTimesMs", "volumeCurveMl"])
        #expect(String(decoding: data, as: UTF8.self).contains("\"radialStrainCurves\":[[0,0.1],null,"))
        #expect(try JSONDecoder().decode(CaseFindings.self, from: data) == f)
        #expect(CaseFindings.activationFractionOfPeak == 0.5)
    }
}
