import Foundation
import GuidancePipeline
import ImageIO
import SegmentModel
import Testing

/// The endocardium beside a dyskinetic scar (docs/pipeline.md, step 1 "Contours"): the blood pool's convex hull
/// bulges with the scar at end-systole and its chord ran through the neighbouring viable wall, which then measured as
/// thinning; `contours.maxOutwardEndocardiumMm` holds the endocardium at its end-diastolic position there.
@Suite("Endocardium beside a dyskinetic scar")
struct DyskineticBorderTests {
    /// Segments with a truth scar fraction at least this count as scarred (the decision model's threshold).
    static let scarredFraction = 0.10

    @Test("ischaemic posterolateral patient (seed 1065937187): the viable segments bordering the scar measure their peak radial strain closer to the truth's with the limit than without, and all segments no worse on average")
    func scarBorderStrain() throws {
        let out = try generateClinicalCase(preset: "ischemic-posterolateral", seed: 1_065_937_187, label: "dyskinetic-border")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/truth/truth.json"))) as! [String: Any]
        let scar = (truth["segments"] as! [[String: Any]]).map { $0["scarFraction"] as! Double }
        let truthPeak = (truth["radialStrainCurves"] as! [[Double]]).map { $0.max()! }
        func neighbours(_ i: Int) -> [Int] {
            let ring = i / 12, sector = i % 12
            var n = [ring * 12 + (sector + 1) % 12, ring * 12 + (sector + 11) % 12]
            for r in [ring - 1, ring + 1] where (0..<3).contains(r) { n.append(r * 12 + sector) }
            return n
        }
        let border = (0..<36).filter { i in
            scar[i] < Self.scarredFraction && truthPeak[i] >= 0.10 && neighbours(i).contains { scar[$0] >= Self.scarredFraction }
        }
        #expect(border.count >= 4, "segments bordering the scar: \(border.map { $0 + 1 })")
        let study = try CMRStudy.load(cmrDirectory: out + "/cmr")
        func errors(limit: Double?) throws -> (border: Double, all: Double) {
            var config = PipelineConfiguration()
            config.contours.maxOutwardEndocardiumMm = limit
            let result = try GuidancePipeline(configuration: config).run(study).result
            let measured = result.radialStrainCurves.indices.filter { result.radialStrainCurves[$0] != nil }
            let e = { (i: Int) in abs(result.segments[i].peakRadialStrain - truthPeak[i]) }
            return (border.map(e).reduce(0, +) / Double(border.count), measured.map(e).reduce(0, +) / Double(measured.count))
        }
        let with = try errors(limit: 1.0), without = try errors(limit: nil)
        #expect(with.border < without.border, "bordering segments' mean |peak error|: \(with.border) with the limit, \(without.border) without")
        #expect(with.all <= without.all, "all segments' mean |peak error|: \(with.all) with the limit, \(without.all) without")
    }
}
