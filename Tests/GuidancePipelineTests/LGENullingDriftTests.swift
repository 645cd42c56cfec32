import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import SyntheticCase
import Testing

/// Named tolerances of the per-slice remote level test.
enum NullingDriftTolerance {
    /// Scar Dice against the truth's core where the TI was 30 ms short at the first LGE slice and the remote null rose
    /// 5 ms per slice, blood T1 the clinical default's 255 ms (DOMAIN.md: automated scar against experts 0.79-0.83;
    /// these are ideal hearts, no breath-hold misregistration). Seeds 7-9 give 0.88-0.89. With the stack's median and
    /// SD the remote wall of the later slices, no longer nulled, raised the gate above the scar and nothing was found
    /// (Dice 0 on the three).
    static let dice = 0.75
}

@Suite("LGE with a TI that drifts from the remote null")
struct LGENullingDriftTests {
    static func spec(scarred: Bool) throws -> PhantomSpec {
        try PhantomSpec.load(yaml: """
            realism: ideal
            scars: \(scarred ? "[{centreAngleDeg: 215, centreHeightFraction: 0.4, angularExtentDeg: 80, heightExtentFraction: 0.5, transmurality: 0.5}]" : "[]")
            cmr: {inversionTimeErrorMs: -30, inversionTimeDriftMsPerSlice: 5, bloodT1PostMs: 255}
            """, file: "ti-drift.yaml")
    }

    /// The remote wall's signal rises from slice to slice (the TI falls ever shorter of its null); the scar, its null
    /// further away, stays bright. The remote level is measured per slice, so the scar is found.
    @Test func scarFoundThoughTheRemoteWallIsNotNulled() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-ti-drift-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try CaseGenerator.generate(spec: Self.spec(scarred: true), seed: 7, out: dir, previews: false, xray: false)
        let out = try GuidancePipeline().run(CMRStudy.load(cmrDirectory: dir + "/cmr"))
        let overlap = scarCoreOverlap(out.scar.scarMask, truth: try NIfTI.read(dir + "/truth/lge-scar.nii.gz"))
        let d = 2 * overlap.both / max(overlap.sum, 1)
        #expect(out.result.scar.present && d >= NullingDriftTolerance.dice, "scar found \(out.result.scar.present), Dice \(d)")
    }

    /// The same TI error on a heart without scar: the remote wall of the later slices, above half the brightest voxel,
    /// is not taken for scar.
    @Test func noFalseScarWhereTheRemoteWallIsNotNulled() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-ti-drift-free-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try CaseGenerator.generate(spec: Self.spec(scarred: false), seed: 7, out: dir, previews: false, xray: false)
        let out = try GuidancePipeline().run(CMRStudy.load(cmrDirectory: dir + "/cmr"))
        #expect(!out.result.scar.present, "false scar: \(out.result.scar.status), burden \(out.result.scarBurdenPercent) %")
    }
}
