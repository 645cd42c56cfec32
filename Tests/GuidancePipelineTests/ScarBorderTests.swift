import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import Testing
import Validation

/// Named tolerance of the border-voxel test.
enum ScarBorderTolerance {
    /// Scar Dice against the truth's core on these patients (DOMAIN.md: automated scar against experts 0.79-0.83).
    /// Without the rule (border voxels only at the blood level) it was 0.64 and 0.70: the scar's endocardial rim,
    /// about as bright as blood but not brighter, was lost.
    static let dice = 0.80
}

@Suite("Scar at the wall's borders", .serialized)
struct ScarBorderTests {
    /// Clinical ischaemic patients whose subendocardial scar reaches the endocardium: the border voxels next to scar
    /// within the wall are scar whatever their level against the blood.
    @Test("subendocardial scar reaching the endocardium keeps its border voxels: Dice at least 0.80",
          arguments: [UInt64(69_576_272), UInt64(1_746_637_918)])
    func borderVoxelsFromInnerScar(seed: UInt64) throws {
        let out = try generateClinicalCase(preset: "ischemic-posterolateral", seed: seed, label: "scar-border")
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + "-analysis") }
        _ = try analyse(out, into: out + "-analysis")
        let s = try CaseScoring.score(caseDirectory: out, analysisDirectory: out + "-analysis").score
        let dice = try #require(s.scarDice)
        #expect(s.analysisFoundScar && dice >= ScarBorderTolerance.dice, "Dice \(dice)")
    }
}

/// Named tolerance of the annulus-slab test.
enum AnnulusSlabTolerance {
    /// Atrial blood voxels (truth label) inside the LV mask on the LGE grid that make the situation: the basal LGE
    /// slice's breath-hold put atrium where the cine contour carried LV wall (this patient: 35 false-scar voxels
    /// there before the rule, 32 of them atrial blood).
    static let atrialVoxelsInMask = 10
}

@Suite("Scar at the mitral annulus", .serialized)
struct AnnulusSlabTests {
    /// A scar-free clinical patient whose basal LGE slice, cut by the mitral annulus plane within its 8 mm slab, shows
    /// atrial blood inside the mask carried from the cine. Those voxels average atrium and wall: they are border
    /// voxels, which cannot pass the presence gate alone, and no scar is found. Without the rule the atrial blood
    /// passes as scar.
    @Test("voxels whose slab the annulus plane cuts are border voxels: no false scar from the atrium")
    func annulusSlabIsBorder() throws {
        let out = try generateClinicalCase(preset: "advise-typical", seed: 1_801_323_028, label: "annulus-slab")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let study = try CMRStudy.load(cmrDirectory: out + "/cmr")
        let labels = try NIfTI.read(out + "/truth/lge-labels.nii.gz")
        let scarTruth = try NIfTI.read(out + "/truth/lge-scar.nii.gz")
        #expect(!scarTruth.data.contains { $0 >= 2 }, "the patient has no scar")
        let withRule = try GuidancePipeline().run(study)
        var config = PipelineConfiguration()
        config.scar.annulusSlabIsBorder = false
        let withoutRule = try GuidancePipeline(configuration: config).run(study)
        let atrialBlood = Float(Tissue.blood.rawValue)
        let atrialInMask = zip(withRule.scar.segmentMap.data, labels.data).filter { $0.0 > 0 && $0.1 == atrialBlood }.count
        #expect(atrialInMask >= AnnulusSlabTolerance.atrialVoxelsInMask, "atrial blood voxels in the mask: \(atrialInMask)")
        #expect(!withRule.scar.scarMask.data.contains { $0 != 0 }, "false scar with the rule")
        let falseScarWithout = zip(withoutRule.scar.scarMask.data, labels.data).filter { $0.0 != 0 && $0.1 == atrialBlood }.count
        #expect(falseScarWithout > 0, "the control without the rule found no scar on the atrium")
    }
}
