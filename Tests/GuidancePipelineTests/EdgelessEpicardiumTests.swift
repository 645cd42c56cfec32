import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import Testing

/// A heart whose wall has no epicardial edge: on bSSFP liver, chest wall and other soft tissue can be as bright as
/// myocardium, so beyond the LV wall the image stays at the myocardium's level except where RV blood lies. The
/// slices must still count as LV (`WallTracker.SliceWall.myocardialRing`): before, every slice whose epicardium was
/// found on fewer than 80 % of the rays was left out at every phase (an independent generator's patient lost 30 mL
/// of its EDV that way; scripts/foreign-check.sh).
@Suite("LV slices without an epicardial edge", .serialized)
struct EdgelessEpicardiumTests {
    /// Surroundings replaced within this distance of the LV myocardium (mm): beyond the epicardial search's reach
    /// from the endocardium (`WallTracker.Settings.maxWallMm`, 25 mm, less the wall).
    static let bandMm = 20.0

    @Test("an ideal patient whose LV wall borders tissue of its own brightness all round but the RV: every slice holding LV cavity at end-diastole counts, EDV within 5 % of the truth")
    func volumesWithoutEdge() throws {
        let source = try CaseStore.shared.folder(preset: "normal-conduction", seed: 2)
        let cine = try NIfTI.read(source + "/cmr/cine.nii.gz")
        let labels = try NIfTI.read(source + "/truth/cine-labels.nii.gz")
        let edited = Self.withoutEpicardialEdge(cine, labels: labels)
        let out = try Self.cmrFolder(from: source, cine: edited, label: "edgeless")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try GuidancePipeline().run(try CMRStudy.load(cmrDirectory: out)).result
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/truth/truth.json"))) as! [String: Any]
        let edv = try #require(truth["edvMl"] as? Double)
        #expect(abs(result.edvMl / edv - 1) <= Tolerance.volumeRelative, "EDV \(result.edvMl) mL against \(edv) mL")
        let cavity: Set<UInt8> = [Tissue.lvBlood.rawValue, Tissue.trabecula.rawValue, Tissue.papillaryMuscle.rawValue]
        let pixelMm2 = labels.grid.spacingMm[0] * labels.grid.spacingMm[1]
        for s in result.slices {
            let truthArea = Double(labels.slice(s.sliceIndex, frame: result.edFrame).filter { cavity.contains(UInt8($0)) }.count) * pixelMm2
            guard truthArea >= Self.wholeSliceAreaMm2 else { continue }
            #expect(s.valid[result.edFrame], "slice \(s.sliceIndex) (truth cavity \(Int(truthArea)) mm2) left out at end-diastole")
        }
        // Not asserted: ESV. With no edge the epicardium is guessed, the wall-thickness check drops some systolic
        // phases of mid slices and the valve-plane model reads them as the base passing (ESV 20 % low on this case;
        // docs/pipeline.md, Known limits "LV wall without an epicardial edge").
    }

    @Test("apical slices whose soft tissue (chest wall, liver, fat) is as bright as myocardium and fills the search region, so that Otsu's threshold falls below it and the pool merges with it: every slice holding LV cavity at end-diastole is still analysed")
    func apicalPoolsAmongBrightSoftTissue() throws {
        let source = try CaseStore.shared.folder(preset: "normal-conduction", seed: 2)
        let cine = try NIfTI.read(source + "/cmr/cine.nii.gz")
        let labels = try NIfTI.read(source + "/truth/cine-labels.nii.gz")
        let n = cine.grid.size[2]
        // Soft tissue everywhere at the myocardium's level, and the lung within 40 mm of the heart too (the far lung
        // stays dark, so Otsu's threshold falls between it and the soft tissue).
        let soft = Self.withoutEpicardialEdge(cine, labels: labels, bandMm: 200, slices: (n / 2)..<n, keepLung: true)
        let edited = Self.withoutEpicardialEdge(soft, labels: labels, bandMm: 40, slices: (n / 2)..<n)
        let out = try Self.cmrFolder(from: source, cine: edited, label: "bright-apex")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try GuidancePipeline().run(try CMRStudy.load(cmrDirectory: out)).result
        let cavity: Set<UInt8> = [Tissue.lvBlood.rawValue, Tissue.trabecula.rawValue, Tissue.papillaryMuscle.rawValue]
        let pixelMm2 = labels.grid.spacingMm[0] * labels.grid.spacingMm[1]
        let analysed = Set(result.slices.map(\.sliceIndex))
        for k in 0..<n {
            let truthArea = Double(labels.slice(k, frame: 0).filter { cavity.contains(UInt8($0)) }.count) * pixelMm2
            guard truthArea >= Self.wholeSliceAreaMm2 else { continue }
            #expect(analysed.contains(k), "slice \(k) (truth cavity \(Int(truthArea)) mm2) not analysed")
        }
    }

    /// A temporary copy of a case's CMR folder with its cine replaced by `cine` (the caller removes it).
    static func cmrFolder(from source: String, cine: ImageVolume<Float>, label: String) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-\(label)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source + "/cmr") where name != "cine.nii.gz" {
            try FileManager.default.copyItem(atPath: source + "/cmr/" + name, toPath: out + "/" + name)
        }
        try NIfTI.write(cine, to: out + "/cine.nii.gz", description: "edited cine (test)")
        return out
    }

    /// A slice whose LV cavity at ED is at least this (mm2) holds more than a sliver of the LV.
    static let wholeSliceAreaMm2 = 400.0

    /// The cine with every pixel within `bandMm` of the LV myocardium that is neither blood nor heart muscle (fat,
    /// lung, liver, chest wall...) set to the mean LV myocardium intensity of its slice and phase.
    /// - Parameters:
    ///   - slices: the slices edited (all by default).
    ///   - keepLung: leave lung and air dark (then only the soft tissue round the heart changes).
    static func withoutEpicardialEdge(_ cine: ImageVolume<Float>, labels: ImageVolume<Float>, bandMm: Double = bandMm,
                                      slices: Range<Int>? = nil, keepLung: Bool = false) -> ImageVolume<Float> {
        var out = cine
        let w = cine.grid.size[0], h = cine.grid.size[1]
        var kept: [Tissue] = [.lvMyocardium, .rvMyocardium, .lvBlood, .rvBlood, .blood, .venousBlood, .papillaryMuscle,
                              .trabecula, .valvePlane, .atrialWall]
        if keepLung { kept += [.lung, .air] }
        let keep: Set<UInt8> = kept.reduce(into: []) { $0.insert($1.rawValue) }
        let reach = Int((bandMm / min(cine.grid.spacingMm[0], cine.grid.spacingMm[1])).rounded(.up))
        for t in 0..<cine.frames {
            for k in slices ?? 0..<cine.grid.size[2] {
                var near = [Bool](repeating: false, count: w * h)
                var sum = 0.0, count = 0
                for j in 0..<h { for i in 0..<w where UInt8(labels.data[labels.index(i, j, k, t)]) == Tissue.lvMyocardium.rawValue {
                    sum += Double(cine.data[cine.index(i, j, k, t)]); count += 1
                    for dj in -reach...reach where j + dj >= 0 && j + dj < h {
                        for di in -reach...reach where i + di >= 0 && i + di < w && di * di + dj * dj <= reach * reach {
                            near[(j + dj) * w + i + di] = true
                        }
                    }
                } }
                guard count > 0 else { continue }
                let level = Float(sum / Double(count))
                for j in 0..<h { for i in 0..<w where near[j * w + i] && !keep.contains(UInt8(labels.data[labels.index(i, j, k, t)])) {
                    out.data[out.index(i, j, k, t)] = level
                } }
            }
        }
        return out
    }
}
