import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom
import Testing

/// Named tolerances of the scan-realism tests (issue 14, scan part).
enum ScanTolerance {
    /// Per-coil noise SD estimated from the background second moment vs the truth (fraction).
    static let coilNoiseSD = 0.03
    /// Background mean / sigma vs the central chi mean with 2N degrees of freedom (fraction).
    static let chiMean = 0.02
    /// SNR at the heart (after SoS, noise floor removed, shading divided out) vs requested (fraction).
    static let coilSNR = 0.05
    /// Measured coil shading vs the array model at LV myocardium pixels (median relative error).
    static let shading = 0.02
    /// Residual shading across the LV myocardium (max / min) must lie in this clinical range.
    static let shadingRange: ClosedRange<Double> = 1.05...2.0
    /// Planned stack normal vs requested tilt and azimuth (degrees), first-slice offset (mm).
    static let planningDeg = 0.01, planningMm = 0.01
    /// In-plane rotation measured by registration vs the drawn rotation's component about the slice normal (degrees).
    static let rotationDeg = 0.5
    /// Remote-myocardium LGE signal per slice vs the drifting-null prediction (fraction, plus 3 noise SD).
    static let tiDriftSignal = 0.05
}

/// Small, fast acquisitions (matrix 96, one cine phase, no oversampling, one through-slice sample: interior pixels
/// carry the exact tissue signal) with the scan fields under test.
enum ScanCase {
    static func spec(_ extra: String, slices: Int = 3, snr: Double = 1000, pixelMm: Double = 2.5, oversampling: Int = 1) -> PhantomSpec {
        try! PhantomSpec.load(yaml: """
            realism: ideal
            cmr:
              cine: {slices: \(slices), phases: 1, fovMm: 240, pixelMm: \(pixelMm), oversampling: \(oversampling), throughSliceSamples: 1, snr: \(snr)}
              lge: {slices: \(slices), fovMm: 240, pixelMm: 2.5, oversampling: 1, throughSliceSamples: 1, snr: \(snr)}
            \(extra.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            """, file: "scan-case.yaml")
    }
    static func simulate(_ spec: PhantomSpec, seed: UInt64 = 1) -> CMRImages {
        CMRSimulator(heart: HeartModel(spec: spec), seed: seed).simulate()
    }
}

@Suite("CMR scan realism measured from the images", .tags(.images))
struct ScanRealismTests {
    @Test("realism: ideal resolved gives the same images as the unset fields (today's perfect scanner)")
    func idealIsUnchanged() {
        let spec = ScanCase.spec("", slices: 2, snr: 20)
        let a = ScanCase.simulate(spec), b = ScanCase.simulate(spec.resolved(seed: 1))
        #expect(a.cine.data == b.cine.data && a.lge.data == b.lge.data)
        #expect(a.receiveArray == nil && a.planning.isPerfect)
    }

    @Test("multi-coil SoS: background follows the central chi of 2N degrees of freedom with the truth's sigma; SNR at the heart as requested")
    func coilNoise() {
        let coils = 16, snr = 20.0
        let spec = ScanCase.spec("receiveCoils: \(coils)\ncoilIntensityCorrection: 0", slices: 3, snr: snr)
        let a = ScanCase.simulate(spec, seed: 1), b = ScanCase.simulate(spec, seed: 2)
        let sigma = a.cineNoiseSD
        // Background: air at the voxel centre (no oversampling: no ringing, the signal there is exactly 0).
        var m1 = 0.0, m2 = 0.0, nAir = 0
        for idx in 0..<a.cine.data.count where a.cineLabels.data[idx] == Tissue.air.rawValue {
            let v = Double(a.cine.data[idx]); m1 += v; m2 += v * v; nAir += 1
        }
        m1 /= Double(nAir); m2 /= Double(nAir)
        let sigmaHat = (m2 / Double(2 * coils)).squareRoot()
        let chiMean = 2.0.squareRoot() * exp(lgamma(Double(coils) + 0.5) - lgamma(Double(coils)))
        print("coil noise: \(nAir) air px, sigma \(sigmaHat) for \(sigma); mean/sigma \(m1 / sigmaHat) for chi \(chiMean) (Rician would be 1.2533)")
        #expect(nAir > 400)
        #expect(abs(sigmaHat / sigma - 1) < ScanTolerance.coilNoiseSD, "sigma \(sigmaHat) vs \(sigma)")
        #expect(abs(m1 / sigmaHat / chiMean - 1) < ScanTolerance.chiMean, "background mean/sigma \(m1 / sigmaHat) vs \(chiMean)")
        // SNR at the heart (where b = 1): E[M^2] = (b A)^2 + 2N sigma^2; A from the myocardium with the floor
        // removed and the model's combined sensitivity b divided out; noise (stationary without intensity
        // correction) from the two-seed difference.
        let array = try! #require(a.receiveArray)
        let g = a.cine.grid, n = g.size[0]
        var a2 = 0.0, diffs: [Double] = []
        for k in 0..<g.size[2] { for j in 0..<n { for i in 0..<n {
            let idx = a.cine.index(i, j, k)
            guard a.cineLabels.data[idx] == Tissue.lvMyocardium.rawValue else { continue }
            let bias = array.combinedSensitivity(g.patient(Double(i), Double(j), Double(k)))
            let v = Double(a.cine.data[idx])
            a2 += (v * v - Double(2 * coils) * sigmaHat * sigmaHat) / (bias * bias)
            diffs.append(Double(a.cine.data[idx]) - Double(b.cine.data[idx]))   // noise is stationary (no correction)
        } } }
        let signal = (a2 / Double(diffs.count)).squareRoot()
        let noise = (diffs.map { $0 * $0 }.reduce(0, +) / Double(diffs.count)).squareRoot() / 2.0.squareRoot()
        print("coil SNR at the heart: \(signal / noise) (requested \(snr)), \(diffs.count) px")
        #expect(diffs.count > 300)
        #expect(abs(signal / noise / snr - 1) < ScanTolerance.coilSNR, "SNR \(signal / noise) for \(snr)")
    }

    @Test("coil shading: measured across the LV myocardium, matches the array model and lies in the clinical range")
    func coilShading() {
        let k = 0.7
        let withCoils = ScanCase.simulate(ScanCase.spec("receiveCoils: 16\ncoilIntensityCorrection: \(k)", slices: 3))
        let reference = ScanCase.simulate(ScanCase.spec("", slices: 3))
        let array = try! #require(withCoils.receiveArray)
        let g = withCoils.cine.grid, n = g.size[0]
        var errors: [Double] = [], ratios: [Double] = []
        for s in 0..<g.size[2] { for j in 0..<n { for i in 0..<n {
            let idx = withCoils.cine.index(i, j, s)
            guard withCoils.cineLabels.data[idx] == Tissue.lvMyocardium.rawValue else { continue }
            let measured = Double(withCoils.cine.data[idx]) / Double(reference.cine.data[idx])
            let model = array.shading(g.patient(Double(i), Double(j), Double(s)))
            errors.append(abs(measured / model - 1)); ratios.append(measured)
        } } }
        let median = errors.sorted()[errors.count / 2]
        let spread = ratios.max()! / ratios.min()!
        print("coil shading: \(ratios.count) px, median model error \(median), max/min across LV \(spread)")
        #expect(median < ScanTolerance.shading, "median error \(median)")
        #expect(ScanTolerance.shadingRange.contains(spread), "shading max/min \(spread)")
    }

    @Test("planning: the stack's tilt, tilt direction and first-slice offset are those requested")
    func planning() {
        let spec = ScanCase.spec("planningBaseOffsetMm: 6\nplanningTiltDeg: 12\nplanningTiltAzimuthDeg: 200", slices: 2, snr: 20)
        let heart = HeartModel(spec: spec)
        let images = CMRSimulator(heart: heart, seed: 1).simulate()
        for grid in [images.cine.grid, images.lge.grid] {
            let normal = grid.patientFromVoxel.linear.columns.2.normalized      // towards the apex
            let w = heart.frame.apexDirection
            let tilt = acos(min(1, normal.dot(w))) * 180 / .pi
            let lean = (normal - w * normal.dot(w)).normalized
            let azimuth = acos(min(1, lean.dot(heart.frame.direction(phiDeg: 200)))) * 180 / .pi
            // Basal face of the first slice, crossed with the true long axis: distance from the base plane.
            let face = grid.patient(0, 0, 0) - normal * (spec.cmr.cine.sliceThicknessMm / 2)
            let base = heart.frame.patient(s: heart.baseHeightMm, r: 0, phiDeg: 0)
            let offset = (face - base).dot(normal) / w.dot(normal)
            print("planning: tilt \(tilt) azimuth error \(azimuth) offset \(offset)")
            #expect(abs(tilt - 12) < ScanTolerance.planningDeg)
            #expect(azimuth < ScanTolerance.planningDeg)
            #expect(abs(offset - 6) < ScanTolerance.planningMm)
        }
        // The truth labels follow: the first slice starts 6 mm below the base, so its centre plane holds no
        // valve plane where the perfect plan's first slice does, at the same voxel.
        #expect(images.planning == ShortAxisPlanner.Planning(baseOffsetMm: 6, tiltDeg: 12, tiltAzimuthDeg: 200))
    }

    @Test("breath-hold rotation: the in-plane rotation registered between rotated and unrotated slices is the drawn one")
    func misregistrationRotation() {
        // Band-limited (oversampled) images at 2 mm, so that interpolating the unrotated slice is accurate.
        let spec = ScanCase.spec("sliceMisregistrationRotationDeg: 5\nsliceMisregistrationMm: 0", slices: 8, pixelMm: 2, oversampling: 2)
        let heart = HeartModel(spec: spec)
        let g = ShortAxisPlanner.plan(heart: heart, torso: Torso(), series: spec.cmr.cine)
        let n = g.size[0]
        let normal = g.patientFromVoxel.linear.columns.0.cross(g.patientFromVoxel.linear.columns.1).normalized
        // The slice nearest the rotation centre, where out-of-plane components barely change the section.
        let probe = CMRSimulator(heart: heart, seed: 1)
        let c = g.voxel(of: probe.rotationCentre)
        let k = Int(c.z.rounded())
        #expect(abs(c.z - Double(k)) * g.spacingMm[2] < 5, "a slice passes near the centre")
        // A seed whose draw at that slice is mostly in-plane (the draws alone, no images: cheap).
        let seed = (UInt64(1)...200).first { s in
            let w = CMRSimulator(heart: heart, seed: s).breathHoldRotations(label: "cmr.cine.breathhold", count: 8)[k]
            let inPlane = w.dot(normal)
            return abs(inPlane) > 4 && (w - normal * inPlane).length < 1.5
        } ?? 1
        let rotated = CMRSimulator(heart: heart, seed: seed).simulate()
        let still = ScanCase.simulate(ScanCase.spec("", slices: 8, pixelMm: 2, oversampling: 2), seed: seed)
        // Expected in-plane angle: where the drawn rotation takes the column direction, within the slice plane.
        let omega = rotated.cineRotationsDeg[k]
        let r = Mat3.rotation(axis: omega.normalized, angleRadians: omega.length * .pi / 180)
        let e1 = g.patientFromVoxel.linear.columns.0.normalized, e2 = g.patientFromVoxel.linear.columns.1.normalized
        let expected = atan2((r * e1).dot(e2), (r * e1).dot(e1)) * 180 / .pi
        let a = Plane(rotated.cine, slice: k, frame: 0), b = Plane(still.cine, slice: k, frame: 0)
        // Search rotation (and a small translation) of the unrotated slice about the centre that best matches.
        let radius = 60.0 / g.spacingMm[0]
        var mask: [(Int, Int)] = []
        // Heart pixels only (in either image): the torso does not rotate and would pull the estimate towards 0.
        let torsoTissues: Set<UInt8> = Set([Tissue.air, .subcutaneousFat, .skeletalMuscle, .lung, .liver, .boneMarrow, .abdomen].map(\.rawValue))
        func heartPixel(_ i: Int, _ j: Int) -> Bool {
            let idx = rotated.cine.index(i, j, k)
            return !torsoTissues.contains(rotated.cineLabels.data[idx]) || !torsoTissues.contains(still.cineLabels.data[idx])
        }
        for j in 0..<n { for i in 0..<n where (Double(i) - c.x) * (Double(i) - c.x) + (Double(j) - c.y) * (Double(j) - c.y) < radius * radius && heartPixel(i, j) { mask.append((i, j)) } }
        func cost(_ t: Double) -> Double {
            let th = t * .pi / 180, ct = cos(th), st = sin(th)
            var least = Double.infinity
            for dx in stride(from: -1.0, through: 1.0, by: 0.25) { for dy in stride(from: -1.0, through: 1.0, by: 0.25) {
                var sum = 0.0
                for (i, j) in mask {
                    let x = Double(i) - c.x - dx, y = Double(j) - c.y - dy
                    let d = Double(a[i, j]) - b.at(c.x + ct * x + st * y, c.y - st * x + ct * y)
                    sum += d * d
                }
                least = min(least, sum)
            } }
            return least
        }
        let step = 0.5
        let grid = Array(stride(from: -15.0, through: 15.0, by: step))
        let costs = grid.map(cost)
        let m = costs.indices.min { costs[$0] < costs[$1] }!
        // Parabola through the minimum and its neighbours.
        var best = (cost: costs[m], theta: grid[m])
        if m > 0 && m < grid.count - 1 {
            let (l, c0, r) = (costs[m - 1], costs[m], costs[m + 1])
            let denom = l - 2 * c0 + r
            if denom > 0 { best.theta = grid[m] + 0.5 * step * (l - r) / denom }
        }
        print("rotation: seed \(seed), slice \(k), drawn \(omega) deg (about the normal \(omega.dot(normal))), in-plane \(expected), registered \(best.theta)")
        #expect(abs(expected) > 3, "the drawn in-plane rotation is large enough to measure (\(expected))")
        #expect(abs(best.theta - expected) < ScanTolerance.rotationDeg, "registered \(best.theta) vs drawn \(expected)")
    }

    @Test("LGE inversion-time drift: remote-myocardium signal over the slices follows the drifting null")
    func inversionTimeDrift() {
        let drift = 10.0
        let spec = ScanCase.spec("inversionTimeErrorMs: 0\ninversionTimeDriftMsPerSlice: \(drift)", slices: 4)
        let images = ScanCase.simulate(spec)
        let rr = spec.motion.rrIntervalMs
        let lge = images.lge, g = lge.grid, n = g.size[0]
        let sigma = images.lgeNoiseSD
        var previous = -1.0
        for k in 0..<g.size[2] {
            let ir = InversionRecoveryLGE(rrIntervalMs: rr, inversionTimeErrorMs: 0,
                                          t1Scale: InversionRecoveryLGE.t1Scale(rrIntervalMs: rr, nullShiftMs: drift * Double(k)))
            let predicted = ir.signal(.lvMyocardium, enhancement: 0)
            var sum = 0.0, count = 0
            for j in 0..<n { for i in 0..<n {
                let idx = lge.index(i, j, k)
                guard images.lgeLabels.data[idx] == Tissue.lvMyocardium.rawValue, images.lgeScar.data[idx] == 0 else { continue }
                sum += Double(lge.data[idx]); count += 1
            } }
            let measured = sum / Double(max(count, 1))
            print("TI drift: slice \(k) null \(images.lgeNullInversionTimesMs[k]) ms, remote \(measured) predicted \(predicted) (\(count) px)")
            #expect(count > 50)
            #expect(abs(images.lgeNullInversionTimesMs[k] - images.lgeNullInversionTimesMs[0] - drift * Double(k)) < 1e-6)
            #expect(abs(measured - predicted) < ScanTolerance.tiDriftSignal * predicted + 3 * sigma,
                    "slice \(k): \(measured) vs \(predicted)")
            #expect(measured > previous, "remote signal rises as the null moves away from the fixed TI")
            previous = measured
        }
    }
}
