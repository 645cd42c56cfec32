import CRTCore
import Foundation
import GuidancePipeline
import ImageIO
import Testing

/// Named tolerances of the systolic-thinning test.
enum SystolicThinningTolerance {
    /// The painted slice's end-systolic slab must leave the ESV: at least this fraction of it (the valve plane's
    /// modelled descent may fill part of the gap it leaves, at most half a slice, docs/pipeline.md).
    static let slabFractionLeft = 0.5
}

/// A basal slice that the base has left at end-systole can show the atrium inside a thin ring of tissue as bright
/// as myocardium (an atrioventricular groove without fat, as on an independent generator's hearts,
/// docs/foreign-phantoms.md): a closed "myocardial" ring round a large pool, counted whole. Myocardium is nearly
/// incompressible, so an LV ring thickens while the cavity shrinks; a ring that thins while the mid-ventricular walls
/// thicken is not LV at that phase (`basal.minSystolicWallRatio`, docs/pipeline.md).
@Suite("A basal slice whose ring thins in systole")
struct SystolicThinningTests {
    @Test("a clinical patient (short axis only) whose most basal whole-LV slice is drawn as a pool shrinking like the LV's in a ring thinning to 3 mm at end-systole: not counted at end-systole, ESV lower by at least half that slice's slab; counted without the rule")
    func thinRingInSystoleIsNotLV() throws {
        let out = try generateClinicalCase(preset: "advise-typical", seed: 4, label: "systolic-thinning")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var study = try CMRStudy.load(cmrDirectory: out + "/cmr")
        study.longAxis = [:]   // short axis alone, as the independent generator's stacks
        let plain = try GuidancePipeline().run(study).result
        let ed = plain.edFrame, es = plain.esFrame
        // The most basal slice that is the LV whole at both phases: not larger than its apical neighbour (a contour
        // leaked into the atrium is judged by the leak rule instead) and counted at end-systole.
        let stack = plain.slices.sorted { $0.sliceIndex < $1.sliceIndex }
        let chosen = try #require(stack.indices.dropLast().first { i in
            stack[i].valid[ed] && stack[i].valid[es] && stack[i].cavityAreaMm2[ed] <= 1.2 * stack[i + 1].cavityAreaMm2[ed]
        }.map { stack[$0] }, "no basal slice is the LV whole at both phases")
        let k = chosen.sliceIndex
        let cine = study.cine
        let w = cine.grid.size[0], h = cine.grid.size[1], dx = cine.grid.spacingMm[0]
        let spacing = study.cine.grid.spacingMm[2]
        // The LV's centre on the slice from the truth's long axis (voxel coordinates, interpolated along k).
        let axis = try truthLVAxis(out)
        let base = cine.grid.voxel(of: axis.base), apex = cine.grid.voxel(of: axis.apex)
        let f = (Double(k) - base.z) / (apex.z - base.z)
        let (ci, cj) = (base.x + f * (apex.x - base.x), base.y + f * (apex.y - base.y))
        // Levels of this slice at end-diastole: blood within 8 mm of the centre, myocardium at mid-wall.
        let edRadius = (chosen.cavityAreaMm2[ed] / Double.pi).squareRoot(), wall = chosen.wallThicknessMm[ed]
        let esRadius = (chosen.cavityAreaMm2[es] / Double.pi).squareRoot()
        try #require(esRadius > 8 && wall > 3, "slice \(k): end-systolic cavity radius \(esRadius) mm, wall \(wall) mm")
        func ring(_ from: Double, _ to: Double) -> Float {
            var v: [Float] = []
            for j in 0..<h { for i in 0..<w {
                let r = ((Double(i) - ci) * (Double(i) - ci) + (Double(j) - cj) * (Double(j) - cj)).squareRoot() * dx
                if r >= from && r <= to { v.append(cine[i, j, k, ed]) }
            } }
            return v.sorted()[v.count / 2]
        }
        let blood = ring(0, 8), myocardium = ring(edRadius + 0.35 * wall, edRadius + 0.65 * wall), dark = 0.3 * myocardium
        // At every phase a ring drawn over the slice: the pool shrinks from its end-diastolic to its end-systolic size
        // with the LV's volume curve, while the ring thins from the end-diastolic wall to 3 mm at end-systole (an
        // atrial wall and groove tissue stretched as the atrium fills), dark beyond it for 10 mm.
        let curve = plain.volumeCurveMl, (edv, esv) = (plain.volumeCurveMl[ed], plain.volumeCurveMl[es])
        var painted = cine
        for t in 0..<cine.frames {
            let systole = min(1, max(0, (edv - curve[t]) / (edv - esv)))
            let pool = edRadius - (edRadius - esRadius) * systole, ringMm = wall - (wall - 3) * systole
            for j in 0..<h { for i in 0..<w {
                let r = ((Double(i) - ci) * (Double(i) - ci) + (Double(j) - cj) * (Double(j) - cj)).squareRoot() * dx
                if r <= pool { painted.data[painted.index(i, j, k, t)] = blood }
                else if r <= pool + ringMm { painted.data[painted.index(i, j, k, t)] = myocardium }
                else if r <= pool + ringMm + 10 { painted.data[painted.index(i, j, k, t)] = dark }
            } }
        }
        study.cine = painted
        let result = try GuidancePipeline().run(study).result
        let slice = try #require(result.slices.first { $0.sliceIndex == k })
        #expect(!slice.valid[result.esFrame], "the painted slice \(k) counts at end-systole (phase \(result.esFrame))")
        // Its end-systolic part (the whole slab, or the part below the modelled valve plane) leaves the ESV.
        let slab = chosen.cavityAreaMm2[es] * spacing / 1000
        #expect(result.esvMl <= plain.esvMl - SystolicThinningTolerance.slabFractionLeft * slab,
                "ESV \(result.esvMl) mL against \(plain.esvMl) mL unpainted (the slice's end-systolic slab \(slab) mL)")
        var off = PipelineConfiguration()
        off.geometry.basal.minSystolicWallRatio = nil
        let without = try GuidancePipeline(configuration: off).run(study).result
        let counted = try #require(without.slices.first { $0.sliceIndex == k })
        #expect(counted.valid[without.esFrame], "without the rule the painted ring is not counted: the test shows nothing")
    }
}
