import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom
import ImageIO
import Testing

/// Tests that measure the simulated images (not the model) against the phantom's truth.
@Suite("CMR images measured against truth", .tags(.images))
struct CMRImageTests {
    let c = SharedCase.self

    /// LV cavity volume (mL) segmented from one cine frame: per slice, the bright blood pool connected to the LV
    /// axis (threshold halfway between blood and myocardium), filled by its convex hull (papillary muscles and
    /// trabeculae count as cavity), summed as discs of the slice spacing.
    func segmentedVolumeMl(frame t: Int) -> Double {
        let cine = c.images.cine
        let ssfp = BalancedSSFP(flipAngleDeg: c.spec.cmr.cineFlipAngleDeg)
        let threshold = Float(0.5 * (ssfp.signal(Tissue.lvBlood.properties) + ssfp.signal(Tissue.lvMyocardium.properties)))
        let sp = cine.grid.spacingMm
        var total = 0.0
        for k in 0..<cine.grid.size[2] {
            let plane = Plane(cine, slice: k, frame: t)
            let (x, y) = axisVoxel(grid: cine.grid, slice: k, heart: c.heart)
            let blood = floodFill(plane, seed: (Int(x.rounded()), Int(y.rounded())), threshold: threshold)
            guard blood.count > 3 else { continue }
            total += Double(convexHullPixelCount(blood)) * sp[0] * sp[1] * sp[2]
        }
        return total / 1000
    }

    @Test("cavity volume segmented from the ED and ES cine is within 5 % of the truth")
    func cineVolumes() {
        let esPhase = c.truth.volumeCurveMl.enumerated().min { $0.element < $1.element }!.offset
        for (frame, truth) in [(0, c.truth.volumeCurveMl[0]), (esPhase, c.truth.volumeCurveMl[esPhase])] {
            let measured = segmentedVolumeMl(frame: frame)
            let err = abs(measured - truth) / truth
            print("volume phase \(frame): image \(measured) mL truth \(truth) mL")
            #expect(err < Tolerance.volume, "phase \(frame): image \(measured) mL vs truth \(truth) mL (\(100 * err) %)")
        }
        #expect(abs(c.truth.volumeCurveMl[0] - c.truth.edvMl) < 1e-9, "phase 0 is end-diastole")
    }

    @Test("SNR measured in the myocardium is within 15 % of the requested value (cine and LGE)")
    func snr() {
        // Noise by the difference of two acquisitions with different seeds (NEMA MS 1), signal from the first.
        func measure(_ a: ImageVolume<Float>, _ b: ImageVolume<Float>, labels: ImageVolume<UInt8>, scar: ImageVolume<UInt8>?,
                     wantScar: UInt8?, reach: Int) -> (snr: Double, n: Int) {
            let n = a.grid.size[0], m = a.grid.size[1]
            var signal = 0.0, diffs: [Double] = []
            for k in 0..<a.grid.size[2] {
                for j in 2..<(m - 2) {
                    for i in 2..<(n - 2) {
                        // Interior: the pixel and its 2-pixel neighbourhood all LV myocardium (of the wanted scar class).
                        var ok = true
                        outer: for dj in -reach...reach { for di in -reach...reach where abs(di) + abs(dj) <= reach {
                            let idx = labels.index(i + di, j + dj, k)
                            if labels.data[idx] != Tissue.lvMyocardium.rawValue { ok = false; break outer }
                            if let scar, let wantScar, scar.data[idx] != wantScar { ok = false; break outer }
                        } }
                        guard ok else { continue }
                        let idx = a.index(i, j, k)
                        signal += Double(a.data[idx])
                        diffs.append(Double(a.data[idx] - b.data[idx]))
                    }
                }
            }
            let mean = diffs.reduce(0, +) / Double(diffs.count)
            let sd = (diffs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(diffs.count - 1)).squareRoot() / 2.0.squareRoot()
            return (signal / Double(diffs.count) / sd, diffs.count)
        }
        let cineLabelsED = ImageVolume(grid: c.images.cine.grid, data: Array(c.images.cineLabels.data.prefix(c.images.cine.grid.voxelCount)))
        let cineED = ImageVolume(grid: c.images.cine.grid, data: Array(c.images.cine.data.prefix(c.images.cine.grid.voxelCount)))
        let cineED2 = ImageVolume(grid: c.images.cine.grid, data: Array(SharedCase.imagesSeed2.cine.data.prefix(c.images.cine.grid.voxelCount)))
        let cine = measure(cineED, cineED2, labels: cineLabelsED, scar: nil, wantScar: nil, reach: 2)
        #expect(cine.n > 200, "enough interior myocardium pixels (\(cine.n))")
        #expect(abs(cine.snr - c.spec.cmr.cine.snr) / c.spec.cmr.cine.snr < Tolerance.snr, "cine SNR \(cine.snr) for \(c.spec.cmr.cine.snr)")
        let lge = measure(c.images.lge, SharedCase.imagesSeed2.lge, labels: c.images.lgeLabels, scar: c.images.lgeScar, wantScar: 2, reach: 1)
        print("SNR cine \(cine.snr) (\(cine.n) px), LGE \(lge.snr) (\(lge.n) px)")
        #expect(lge.n > 20, "enough interior scar pixels (\(lge.n))")
        #expect(abs(lge.snr - c.spec.cmr.lge.snr) / c.spec.cmr.lge.snr < Tolerance.snr, "LGE SNR \(lge.snr) for \(c.spec.cmr.lge.snr)")
    }

    @Test("LGE: mean in truth scar core is at least 5x remote myocardium")
    func lgeContrast() {
        var scar = 0.0, ns = 0, remote = 0.0, nr = 0
        let lge = c.images.lge
        for idx in 0..<lge.data.count where c.images.lgeLabels.data[idx] == Tissue.lvMyocardium.rawValue {
            switch c.images.lgeScar.data[idx] {
            case 2: scar += Double(lge.data[idx]); ns += 1
            case 0: remote += Double(lge.data[idx]); nr += 1
            default: break
            }
        }
        #expect(ns > 50 && nr > 500)
        let ratio = (scar / Double(ns)) / (remote / Double(nr))
        #expect(ratio >= Tolerance.lgeScarToRemote, "scar / remote = \(ratio)")
    }

    @Test("wall thickness measured across the image profile is within one pixel of the truth")
    func wallThickness() {
        let cine = c.images.cine
        let ssfp = BalancedSSFP(flipAngleDeg: c.spec.cmr.cineFlipAngleDeg)
        let blood = ssfp.signal(Tissue.lvBlood.properties), myo = ssfp.signal(Tissue.lvMyocardium.properties)
        let lung = ssfp.signal(Tissue.lung.properties)
        let st = c.heart.state(atMs: 0)
        let pixel = cine.grid.spacingMm[0]
        let k = 2  // a basal-mid slice without trabeculae or papillary muscles
        let plane = Plane(cine, slice: k, frame: 0)
        let (cx, cy) = axisVoxel(grid: cine.grid, slice: k, heart: c.heart)
        let centre = cine.grid.patient(cx, cy, Double(k))
        let sNow = (centre - c.heart.frame.apexMm).dot(c.heart.frame.baseDirection)
        var checked = 0
        for phi in [160.0, 180, 230, 280, 300, 320] {   // free wall away from the RV, veins and grooves
            let dir = c.heart.frame.direction(phiDeg: phi)
            let inv = cine.grid.patientFromVoxel.inverse!.linear
            let step = inv * (dir * 0.1)   // 0.1 mm along the ray, in voxel units
            var r = 0.0, endo: Double? = nil, epi: Double? = nil
            while r < 80 {
                let v = plane.at(cx + step.x * r * 10, cy + step.y * r * 10)
                if endo == nil, v < 0.5 * (blood + myo) { endo = r }
                if let e = endo, r > e + 1, v < 0.5 * (myo + lung) { epi = r; break }
                r += 0.1
            }
            guard let e0 = endo, let e1 = epi else { Issue.record("no wall found at \(phi) degrees"); continue }
            let truth = c.heart.wallRadii(sNow: sNow, phiDeg: phi, st)
            let err = abs((e1 - e0) - (truth.epi - truth.endo))
            #expect(err <= Tolerance.wallThicknessMm(pixelMm: pixel),
                    "angle \(phi): image \(e1 - e0) mm vs truth \(truth.epi - truth.endo) mm")
            checked += 1
        }
        #expect(checked >= 5)
    }
}
