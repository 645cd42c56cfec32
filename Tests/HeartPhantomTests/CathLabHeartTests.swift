import Foundation
import HeartPhantom
import Testing

/// Tolerances of the cath lab's heart (`PhantomSpec.cathLabSpec`).
enum CathLabTolerance {
    /// Its end-diastolic volume against the CMR heart's times 1 + c (the sizing's own precision).
    static let edvRelative = 0.01
    /// Its myocardial volume against the CMR heart's: the thickness rule (1 + c)^(-2/3) treats the wall as a thin
    /// shell; a wall a third of the cavity radius thick keeps its volume to a few per cent.
    static let myocardiumRelative = 0.04
}

@Suite("The heart in the cath lab (non-rigid change)")
struct CathLabHeartTests {
    @Test("another loading: EDV times 1 + c within 1 %, myocardial volume kept within 4 %, nothing when c is unset or 0", arguments: [-0.2, -0.05, 0.1, 0.2])
    func loadingChange(_ c: Double) throws {
        var base = try spec("realism: ideal\n")
        #expect(base.cathLabSpec == nil)
        base.xray.cathLabVolumeChange = 0
        #expect(base.cathLabSpec == nil)
        base.xray.cathLabVolumeChange = c
        let cath = try #require(base.cathLabSpec)
        let cmr = HeartModel(spec: base).groundTruth(phaseTimesMs: [0])
        let lab = HeartModel(spec: cath).groundTruth(phaseTimesMs: [0])
        #expect(abs(lab.edvMl / (cmr.edvMl * (1 + c)) - 1) <= CathLabTolerance.edvRelative, "EDV \(lab.edvMl) mL against \(cmr.edvMl) x \(1 + c)")
        #expect(abs(lab.lvMyocardialVolumeMl / cmr.lvMyocardialVolumeMl - 1) <= CathLabTolerance.myocardiumRelative,
                "myocardium \(lab.lvMyocardialVolumeMl) mL against \(cmr.lvMyocardialVolumeMl)")
        // Shape, orientation, scar and activation as drawn: the same target.
        #expect(lab.primaryTarget == cmr.primaryTarget)
    }
}
