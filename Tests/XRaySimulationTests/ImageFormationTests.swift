import CRTCore
import Foundation
import HeartPhantom
import SegmentModel
import Testing
import XRaySimulation

@Suite("X-ray image formation", .tags(.images))
struct ImageFormationTests {
    static let ap = CArmView(name: "AP", primaryAngleDeg: 0, rows: 128, columns: 128)

    /// A volume of air with a voxelised wire (cylinder along patient y, the central ray of the AP view).
    static func wireVolume(mu: Float, lengthMm: Double, radiusMm: Double, voxelMm: Double) -> AttenuationVolume {
        let n = 81
        let origin = Vec3(-40, -40, -40) * voxelMm / 1
        var data = [Float](repeating: 0, count: n * n * n)
        for k in 1..<(n - 1) { for j in 1..<(n - 1) { for i in 1..<(n - 1) {
            let p = origin + Vec3(Double(i), Double(j), Double(k)) * voxelMm
            if p.x * p.x + p.z * p.z <= radiusMm * radiusMm && abs(p.y) <= lengthMm / 2 { data[i + n * (j + n * k)] = mu }
        } } }
        return AttenuationVolume(size: [n, n, n], voxelMm: voxelMm, originMm: origin, mu: data)
    }

    @Test("a voxelised wire of known mu and length gives the Beer-Lambert line integral within 1 %, through noise and log")
    func wireInVolume() {
        let mu: Float = 0.05, length = 61.0   // an odd number of voxels: the wire ends on voxel boundaries
        let vol = ImageFormationTests.wireVolume(mu: mu, lengthMm: length, radiusMm: 6, voxelMm: 1)
        let rays = ViewRays(view: ImageFormationTests.ap, worldFromPatient: .identity)
        let l = RayCaster.lineIntegrals(volume: vol, rays: rays)
        // The central ray passes between the 4 central pixels (128 is even): take pixel (63, 63), 0.33 mm off axis.
        let expected = Double(mu) * length
        let got = Double(l[63 * 128 + 63])
        #expect(abs(got - expected) / expected < Tolerance.lineIntegral, "line integral \(got), expected \(expected)")
        // Through the detector at a high dose (quantum noise 0.3 %), no blur.
        let det = Detector(rows: 128, columns: 128, photonsPerPixel: 1e7, blurSigmaPx: 0)
        let img = det.image(lineIntegrals: l, seed: 1, noiseLabel: "test.wire")
        let central = (62...65).flatMap { r in (62...65).map { Double(img[r * 128 + $0]) } }
        let mean = central.reduce(0, +) / Double(central.count)
        #expect(abs(mean - expected) / expected < Tolerance.lineIntegral, "-ln(I/I0) \(mean), expected \(expected)")
    }

    @Test("an analytic wire along the central ray gives mu x length; across the beam its integral is mu x volume")
    func wireAsTube() {
        let rays = ViewRays(view: ImageFormationTests.ap, worldFromPatient: .identity)
        let along = TubeSegment(startMm: Vec3(0.1, -35, 0.1), endMm: Vec3(0.1, 35, 0.1), radiusMm: 0.5, mu: 3)
        var img = [Float](repeating: 0, count: 128 * 128)
        RayCaster.addLineIntegrals(of: [along], rays: rays, to: &img)
        let centre = Double(img.max()!)
        #expect(abs(centre - 210) / 210 < Tolerance.lineIntegral, "along: \(centre), expected 210")
        // A wire across the beam at the isocentre: sum over pixels of the line integral x pixel area at the
        // isocentre = mu x wire volume (to first order in the small depth of the wire).
        let across = TubeSegment(startMm: Vec3(-20, 0, 3), endMm: Vec3(20, 0, 3), radiusMm: 8, mu: 2)
        img = [Float](repeating: 0, count: 128 * 128)
        RayCaster.addLineIntegrals(of: [across], rays: rays, to: &img)
        let pixelIso: Double = 0.6 * 800.0 / 1100.0
        let pixelAreaIso = pixelIso * pixelIso
        let sum: Double = img.reduce(0.0) { $0 + Double($1) } * pixelAreaIso
        let expected: Double = 2.0 * Double.pi * 64.0 * 40.0
        #expect(abs(sum - expected) / expected < Tolerance.lineIntegral, "across: \(sum), expected \(expected)")
    }

    @Test("Poisson noise: count mean and variance match the dose (small and large means)")
    func poissonNoise() {
        for (n0, l) in [(20.0, 1.0), (1000.0, 1.0), (3e4, 3.0), (1e6, 0.5)] {
            let det = Detector(rows: 128, columns: 128, photonsPerPixel: n0, blurSigmaPx: 0)
            let counts = det.counts(lineIntegrals: [Float](repeating: Float(l), count: 128 * 128), seed: 3, noiseLabel: "test.flat")
            let expected = n0 * exp(-l)
            let mean = counts.reduce(0) { $0 + Double($1) } / Double(counts.count)
            let variance = counts.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(counts.count - 1)
            #expect(abs(mean - expected) / expected < Tolerance.poissonMean, "N0 \(n0): mean \(mean), expected \(expected)")
            #expect(abs(variance - expected) / expected < Tolerance.poissonVariance, "N0 \(n0): variance \(variance), expected \(expected)")
            #expect(counts.allSatisfy { $0 >= 0 && $0 == $0.rounded() }, "counts are whole numbers")
        }
    }

    @Test("detector blur keeps the level (normalised convolution) and lowers the noise variance")
    func blur() {
        let flat = [Float](repeating: 2, count: 128 * 128)
        let sharp = Detector(rows: 128, columns: 128, photonsPerPixel: 1e4, blurSigmaPx: 0)
        let blurred = Detector(rows: 128, columns: 128, photonsPerPixel: 1e4, blurSigmaPx: 1)
        let a = sharp.image(lineIntegrals: flat, seed: 1, noiseLabel: "b"), b = blurred.image(lineIntegrals: flat, seed: 1, noiseLabel: "b")
        func stats(_ x: [Float]) -> (Double, Double) {
            let m = x.reduce(0) { $0 + Double($1) } / Double(x.count)
            return (m, x.reduce(0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(x.count))
        }
        let (ma, va) = stats(a), (mb, vb) = stats(b)
        #expect(abs(mb - 2) < 0.01 && abs(ma - 2) < 0.01, "means \(ma) \(mb)")
        #expect(vb < 0.3 * va, "blurred variance \(vb) vs \(va)")
        // Border pixels keep the level too.
        let border = (0..<128).map { Double(b[$0]) }.reduce(0, +) / 128
        #expect(abs(border - 2) < 0.02, "top row mean \(border)")
    }

    @Test("casting chest rays at every 2nd pixel differs from every pixel by far less than the quantum noise")
    func raySpacing() {
        let c = SmallCase.self
        let st = c.heart.state(atMs: 600)
        let vol = ChestModel().volume(heart: c.heart, state: st, zRangeMm: -60...60, voxelMm: 2)
        let rays = ViewRays(view: CArmView(name: "LAO40", primaryAngleDeg: 40, rows: 128, columns: 128), worldFromPatient: .identity)
        let full = RayCaster.lineIntegrals(volume: vol, rays: rays, raySpacing: 1)
        let coarse = RayCaster.lineIntegrals(volume: vol, rays: rays, raySpacing: 2)
        let rms = (zip(full, coarse).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(full.count)).squareRoot()
        let meanL = full.reduce(0) { $0 + Double($1) } / Double(full.count)
        let noiseSD = 1 / (30000 * exp(-meanL)).squareRoot()
        #expect(rms < Tolerance.raySpacingVsNoise * noiseSD, "rms \(rms), noise SD \(noiseSD) at mean L \(meanL)")
    }

    @Test("the same seed gives the same images; another seed other noise, pose and clicks")
    func determinism() {
        let c = SmallCase.self
        let again = XRaySimulator(heart: c.heart, truth: c.truth, seed: 5).simulate(includeVolume: false)
        for (a, b) in zip(c.simulated.views, again.views) {
            #expect(a.venogram == b.venogram && a.lead == b.lead, "\(a.view.name) differs between runs")
        }
        #expect(c.simulated.clicks == again.clicks)
        let other = XRaySimulator(heart: c.heart, truth: c.truth, seed: 6).simulate(includeVolume: false)
        #expect(other.views[0].venogram != c.simulated.views[0].venogram)
        #expect(other.worldFromPatient != c.simulated.worldFromPatient)
    }

    @Test("the venogram shows contrast where the veins project; the lead image shows the electrodes")
    func contents() {
        let c = SmallCase.self
        for (v, images) in c.simulated.views.enumerated() {
            let p = c.simulated.viewTruth[v].projectionFromPatient
            // Vein pixels (every centreline point on the detector, the coronary sinus aside): contrast adds
            // attenuation there.
            var diffs: [Double] = []
            for vein in c.simulated.veinCentrelines where vein.name != "coronary sinus" {
                for pt in vein.pointsMm {
                    let q = p.project(pt)!
                    let col = Int(q.column.rounded()), row = Int(q.row.rounded())
                    guard (0..<128).contains(col), (0..<128).contains(row) else { continue }
                    diffs.append(Double(images.venogram[row * 128 + col] - images.lead[row * 128 + col]))
                }
            }
            diffs.sort()
            #expect(diffs.count >= 5 && diffs[diffs.count / 2] > 0.1, "\(images.view.name): venogram - lead at \(diffs.count) vein points, median \(diffs.isEmpty ? 0 : diffs[diffs.count / 2])")
            for e in c.simulated.lead.electrodesMm {
                guard let q = p.project(e) else { continue }
                let col = Int(q.column.rounded()), row = Int(q.row.rounded())
                guard (0..<128).contains(col), (0..<128).contains(row) else { continue }
                #expect(images.lead[row * 128 + col] - images.venogram[row * 128 + col] > 1, "\(images.view.name): electrode not dark")
            }
        }
    }

    @Test("operator clicks are the landmarks' true pixels plus noise of the requested SD")
    func clicks() {
        let c = SmallCase.self
        var d: [Double] = []
        for (v, clicks) in c.simulated.clicks.enumerated() {
            let truth = c.simulated.viewTruth[v].landmarksPx
            #expect(Set(clicks.landmarks.keys) == Set(truth.keys))
            for (k, q) in clicks.landmarks { d.append(q[0] - truth[k]![0]); d.append(q[1] - truth[k]![1]) }
            // Truth pixels are the projections of the truth landmarks through the pose.
            for (k, q) in truth {
                let p = c.simulated.viewTruth[v].projection.project(c.simulated.worldFromPatient.apply(c.simulated.landmarksMm[k]!))!
                #expect(abs(p.column - q[0]) < 1e-6 && abs(p.row - q[1]) < 1e-6)
            }
        }
        #expect(d.count >= 8)
        let sd = (d.reduce(0) { $0 + $1 * $1 } / Double(d.count)).squareRoot()
        #expect(sd > 0.5 * 2 && sd < 2 * 2, "click noise SD \(sd) px, requested 2")
    }
}

@Suite("Attenuation volume sampling")
struct ChestVolumeSamplingTests {
    @Test("coarse-to-fine sampling of the heart gives the full sub-sampling's image within a small fraction of the quantum noise",
          .tags(.images))
    func adaptiveHeartSampling() throws {
        // The thinnest pericardium of the clinical range (1 mm, thinner than the 2 mm lattice) and epicardial fat:
        // the layers the coarse lattice can step over.
        let spec = try PhantomSpec.load(yaml: """
            anatomy: {pericardiumMm: 1, epicardialFat: true, grooveFatMm: 2}
            xray: {detectorRows: 128, detectorColumns: 128}
            """, file: "thin-layers.yaml")
        let heart = HeartModel(spec: spec)
        let template = ChestModel().template(heart: heart, zRangeMm: -60...60, voxelMm: 2)
        let rays = ViewRays(view: CArmView(name: "LAO40", primaryAngleDeg: 40, rows: 128, columns: 128), worldFromPatient: .identity)
        for ms in [0.0, 0.35 * spec.motion.rrIntervalMs] {
            let st = heart.state(atMs: ms)
            let full = template.volume(heart: heart, state: st, sampling: .full)
            let adaptive = template.volume(heart: heart, state: st, sampling: .adaptive)
            let differing = zip(full.mu, adaptive.mu).filter { $0 != $1 }.count
            #expect(Double(differing) < Tolerance.adaptiveDifferingVoxels * Double(full.mu.count), "\(differing) voxels differ at \(ms) ms")
            let a = RayCaster.lineIntegrals(volume: full, rays: rays), b = RayCaster.lineIntegrals(volume: adaptive, rays: rays)
            let meanL = a.reduce(0) { $0 + Double($1) } / Double(a.count)
            let noiseSD = 1 / (30000 * exp(-meanL)).squareRoot()
            let maxDiff = zip(a, b).map { Double(abs($0 - $1)) }.max()!
            #expect(maxDiff < Tolerance.adaptiveVsNoise * noiseSD, "max line-integral difference \(maxDiff), noise SD \(noiseSD) at \(ms) ms")
        }
    }
}
