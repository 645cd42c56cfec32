import CRTCore
import Dispatch
import Foundation
import Fourier
import HeartPhantom
import ImageIO

/// The CMR images of one phantom, the scanner metadata, and the truth the simulation adds.
public struct CMRImages: Sendable {
    /// Cine magnitude images (columns, rows, slices, phases), arbitrary units.
    public var cine: ImageVolume<Float>
    /// LGE magnitude image (columns, rows, slices).
    public var lge: ImageVolume<Float>
    /// Truth: tissue label (`Tissue` raw value) at each cine voxel centre, per phase.
    public var cineLabels: ImageVolume<UInt8>
    /// Truth: 36-segment id at each cine voxel centre (ED; 0 outside the LV myocardium or in the apical cap).
    public var cineSegmentsED: ImageVolume<UInt8>
    /// Truth: 0 no scar, 1 grey border zone, 2 scar core, at each LGE voxel centre in LV myocardium.
    public var lgeScar: ImageVolume<UInt8>
    /// Truth: tissue label at each LGE voxel centre.
    public var lgeLabels: ImageVolume<UInt8>
    /// Truth: 36-segment id at each LGE voxel centre.
    public var lgeSegments: ImageVolume<UInt8>
    /// What the scanner records (acquisition.json).
    public var acquisition: CMRAcquisition
    /// Truth: heart displacement per slice between breath-holds (LPS mm), cine and LGE.
    public var cineShiftsMm: [Vec3]
    public var lgeShiftsMm: [Vec3]
    /// Truth: heart rotation per slice between breath-holds, rotation vectors (LPS, degrees, right-handed about the
    /// LV centre `rotationCentreMm`), cine and LGE.
    public var cineRotationsDeg: [Vec3]
    public var lgeRotationsDeg: [Vec3]
    public var rotationCentreMm: Vec3
    /// Truth: the operator's planning errors and the planned apex direction (stack normal towards the apex).
    public var planning: ShortAxisPlanner.Planning
    public var plannedApexDirection: Vec3
    /// Truth: the receive array (nil: one uniform coil, Rician noise).
    public var receiveArray: ReceiveArray?
    /// Truth: noise SD added (image units; per coil and real/imaginary channel, equal to the SD of the
    /// sum-of-squares image at high SNR where the array's combined sensitivity is 1, the LV centre) and the nominal
    /// reference signal for SNR.
    public var cineNoiseSD: Double, lgeNoiseSD: Double
    public var cineMyocardiumSignal: Double, lgeScarSignal: Double
    /// `nullInversionTimeMs` is the first LGE slice's; `lgeNullInversionTimesMs` one per slice (wash-out drift).
    public var inversionTimeMs: Double, nullInversionTimeMs: Double
    public var lgeNullInversionTimesMs: [Double]
    /// Cine phase times (ms after R).
    public var phaseTimesMs: [Double]
    /// The long-axis cine views (2-, 3- and 4-chamber) when asked for (`simulate(longAxis: true)`), else empty.
    public var longAxis: [LongAxisCine] = []
}

/// One long-axis cine view (`LongAxisPlanner`): one slice at every cine phase, acquired in its own breath-hold with
/// the short-axis cine's sequence, noise, coils and motion, and the truth on its grid.
public struct LongAxisCine: Sendable {
    public var view: LongAxisPlanner.View
    /// Segment angle of the wall on the image's left (degrees; the plane contains the long axis and this direction).
    public var planeAngleDeg: Double
    /// Magnitude images (columns, rows, 1, phases), arbitrary units, as the short-axis cine.
    public var cine: ImageVolume<Float>
    /// Truth: tissue label at each voxel centre, per phase.
    public var labels: ImageVolume<UInt8>
    /// Truth: 36-segment id at each voxel centre at ED (0 outside the LV myocardium or in the apical cap).
    public var segmentsED: ImageVolume<UInt8>
    /// What the scanner records (the view's object in acquisition.json).
    public var geometry: SeriesGeometry
    /// Truth: the heart's displacement (LPS mm) and rotation vector (degrees, about `CMRImages.rotationCentreMm`) in
    /// this view's breath-hold.
    public var breathHoldShiftMm: Vec3
    public var breathHoldRotationDeg: Vec3
}

/// Forms CMR images from a phantom: for each slice and phase, the anatomy is sampled on a grid finer than the
/// pixels (oversampling in plane, several samples across the slice profile: partial volume), transformed to
/// k-space with FFTW, cropped to the acquired k-space window (band limit and Gibbs ringing as on a scanner),
/// complex Gaussian noise is added at the requested SNR, and the inverse transform's magnitude is the image
/// (Rician statistics). With a receive array (`cmr.receiveCoils`), the image is the sum of squares over the
/// elements, each seeing the object through its sensitivity with its own complex Gaussian noise (non-central chi
/// statistics, intensity shading); see `ReceiveArray`. Breath-holds move and rotate the heart per slice; the
/// stack is planned with the operator's errors (`ShortAxisPlanner.Planning`); the LGE null TI drifts over the slices.
public struct CMRSimulator: Sendable {
    public let heart: HeartModel
    public let torso: Torso
    public let seed: UInt64

    /// - Parameter torso: the body round the heart; nil: the standard torso with its sternum at the heart's height.
    public init(heart: HeartModel, torso: Torso? = nil, seed: UInt64) {
        self.heart = heart; self.seed = seed
        self.torso = torso ?? Torso(heartCentreZ: heart.spec.anatomy.heartCentreMm[2])
    }

    /// Timing of the k-space stage for benchmarks (seconds, summed over all slices and phases).
    public final class StageTimes: @unchecked Sendable {
        // @unchecked Sendable: the counters are written only through `add`, under `lock`, and read after the
        // simulation has returned.
        let lock = NSLock()
        public private(set) var sampling = 0.0, transforms = 0.0, kspace = 0.0, noise = 0.0
        public private(set) var transformCount = 0
        func add(sampling s: Double = 0, transforms t: Double = 0, kspace k: Double = 0, noise n: Double = 0, count: Int = 0) {
            lock.lock(); sampling += s; transforms += t; kspace += k; noise += n; transformCount += count; lock.unlock()
        }
        public init() {}
    }

    /// Simulates cine and LGE, and with `longAxis` the 2-, 3- and 4-chamber cine views (`CMRImages.longAxis`, their
    /// geometry in `acquisition`); the short-axis images do not depend on it (the views draw from their own streams).
    public func simulate(times: StageTimes? = nil, longAxis: Bool = false) -> CMRImages {
        let spec = heart.spec
        let rr = spec.motion.rrIntervalMs
        let cineS = spec.cmr.cine, lgeS = spec.cmr.lge
        let phaseTimes = (0..<cineS.phases).map { Double($0) * rr / Double(cineS.phases) }
        let planning = ShortAxisPlanner.Planning(spec.cmr)
        let cineGrid = ShortAxisPlanner.plan(heart: heart, torso: torso, series: cineS, planning: planning)
        let lgeGrid = ShortAxisPlanner.plan(heart: heart, torso: torso, series: lgeS, planning: planning)
        let cineShifts = breathHoldShifts(label: "cmr.cine.breathhold", count: cineS.slices)
        let lgeShifts = breathHoldShifts(label: "cmr.lge.breathhold", count: lgeS.slices)
        let cineRotations = breathHoldRotations(label: "cmr.cine.breathhold", count: cineS.slices)
        let lgeRotations = breathHoldRotations(label: "cmr.lge.breathhold", count: lgeS.slices)
        let centre = rotationCentre
        let cinePoses = (0..<cineS.slices).map { SlicePose(shift: cineShifts[$0], rotationDeg: cineRotations[$0], centre: centre) }
        let lgePoses = (0..<lgeS.slices).map { SlicePose(shift: lgeShifts[$0], rotationDeg: lgeRotations[$0], centre: centre) }
        let array = spec.cmr.receiveCoils.map {
            ReceiveArray(elements: Int($0), torso: torso, heartCentre: centre, intensityCorrection: spec.cmr.coilIntensityCorrection ?? 0)
        }
        let cineBias = biasMaps(array, grid: cineGrid, series: cineS)
        let lgeBias = biasMaps(array, grid: lgeGrid, series: lgeS)

        // Signal tables.
        let ssfp = BalancedSSFP(flipAngleDeg: spec.cmr.cineFlipAngleDeg)
        let cineTable = Tissue.allCases.reduce(into: [Float](repeating: 0, count: 32)) { $0[Int($1.rawValue)] = Float(ssfp.signal($1.properties)) }
        let ir = InversionRecoveryLGE(rrIntervalMs: rr, inversionTimeErrorMs: spec.cmr.inversionTimeErrorMs ?? 0,
                                      bloodT1PostMs: spec.cmr.bloodT1PostMs)
        // Per LGE slice (acquired in slice order, one breath-hold each): the null TI drifts, the TI stays.
        let drift = spec.cmr.inversionTimeDriftMsPerSlice ?? 0
        let sliceIR = (0..<lgeS.slices).map { k in
            drift == 0 ? ir : InversionRecoveryLGE(
                rrIntervalMs: rr, inversionTimeErrorMs: spec.cmr.inversionTimeErrorMs ?? 0,
                t1Scale: InversionRecoveryLGE.t1Scale(rrIntervalMs: rr, nullShiftMs: drift * Double(k)),
                bloodT1PostMs: spec.cmr.bloodT1PostMs)
        }
        let lgeTables = sliceIR.map { ir in Tissue.allCases.reduce(into: [Float](repeating: 0, count: 32)) { $0[Int($1.rawValue)] = Float(ir.signal($1, enhancement: 0)) } }
        // Myocardial LGE signal against gadolinium uptake (0 remote to 1 core), tabulated and interpolated; the grey
        // zone's own value exactly.
        let uptakeLevels = 64
        let lgeMyos = sliceIR.map { ir in (0...uptakeLevels).map { Float(ir.signal(.lvMyocardium, enhancement: Double($0) / Double(uptakeLevels))) } }
        let lgeGreys = sliceIR.map { Float($0.signal(.lvMyocardium, enhancement: heart.greyZoneEnhancement)) }
        let myoSignal = Double(cineTable[Int(Tissue.lvMyocardium.rawValue)])
        let scarSignal = Double(lgeMyos[0][uptakeLevels])
        let cineSD = myoSignal / cineS.snr, lgeSD = scarSignal / lgeS.snr

        // Cine: one job per (slice, phase).
        let states = phaseTimes.map { heart.state(atMs: $0) }
        let n2 = cineS.matrix * cineS.matrix
        let cineOut = ParallelOutput<Float>(count: n2 * cineS.slices * cineS.phases, initial: 0)
        let labelOut = ParallelOutput<UInt8>(count: n2 * cineS.slices * cineS.phases, initial: 0)
        let segOut = ParallelOutput<UInt8>(count: n2 * cineS.slices, initial: 0)
        // The torso does not move between phases: sample it once per slice; each phase then re-samples only the
        // fine-grid points the heart can reach.
        let cineSignal: @Sendable (TissueSample) -> Float = { s in cineTable[Int(s.tissue.rawValue)] }
        let torsoCache = ParallelOutput<StaticSlice?>(count: cineS.slices, initial: nil)
        DispatchQueue.concurrentPerform(iterations: cineS.slices) { k in
            torsoCache.range(k..<(k + 1))[0] = staticSlice(grid: cineGrid, slice: k, series: cineS, pose: cinePoses[k], states: states,
                                                           signal: cineSignal)
        }
        let cached = torsoCache.array
        let jobs = cineS.slices * cineS.phases
        DispatchQueue.concurrentPerform(iterations: jobs) { job in
            let k = job % cineS.slices, p = job / cineS.slices
            let offset = (p * cineS.slices + k) * n2
            renderSlice(grid: cineGrid, slice: k, series: cineS, state: states[p], pose: cinePoses[k],
                        signal: cineSignal, cache: cached[k],
                        noiseSD: cineSD, noiseLabel: "cmr.cine.noise.slice\(k).phase\(p)", coils: cineBias.map { ($0.elements, $0.maps[k], $0.gains[k]) },
                        out: cineOut.range(offset..<(offset + n2)), labels: labelOut.range(offset..<(offset + n2)),
                        segments: p == 0 ? segOut.range((k * n2)..<((k + 1) * n2)) : nil,
                        scar: nil, times: times)
        }
        // LGE: one mid-diastolic phase.
        let lgeTime = spec.cmr.lgeTriggerFraction * rr
        let lgeState = heart.state(atMs: lgeTime)
        let m2 = lgeS.matrix * lgeS.matrix
        let lgeOut = ParallelOutput<Float>(count: m2 * lgeS.slices, initial: 0)
        let lgeLab = ParallelOutput<UInt8>(count: m2 * lgeS.slices, initial: 0)
        let lgeSeg = ParallelOutput<UInt8>(count: m2 * lgeS.slices, initial: 0)
        let lgeScar = ParallelOutput<UInt8>(count: m2 * lgeS.slices, initial: 0)
        DispatchQueue.concurrentPerform(iterations: lgeS.slices) { k in
            let r = (k * m2)..<((k + 1) * m2)
            let lgeMyo = lgeMyos[k], lgeTable = lgeTables[k], lgeGrey = lgeGreys[k]
            let lgeSignal: (TissueSample) -> Float = { s in
                if s.enhancement == 0 { return lgeTable[Int(s.tissue.rawValue)] }
                if s.scarClass == 1 && s.tissue == .lvMyocardium { return lgeGrey }
                if s.enhancement >= 1 { return lgeMyo[uptakeLevels] }
                let x = s.enhancement * Float(uptakeLevels)
                let i = min(Int(x), uptakeLevels - 1), f = x - Float(i)
                return lgeMyo[i] * (1 - f) + lgeMyo[i + 1] * f
            }
            renderSlice(grid: lgeGrid, slice: k, series: lgeS, state: lgeState, pose: lgePoses[k],
                        signal: lgeSignal, cache: nil,
                        noiseSD: lgeSD, noiseLabel: "cmr.lge.noise.slice\(k)", coils: lgeBias.map { ($0.elements, $0.maps[k], $0.gains[k]) },
                        out: lgeOut.range(r), labels: lgeLab.range(r), segments: lgeSeg.range(r),
                        scar: lgeScar.range(r), times: times)
        }
        let cineGeom = SeriesGeometry(grid: cineGrid, sliceThicknessMm: cineS.sliceThicknessMm, triggerTimesMs: phaseTimes,
                                      nominalIntervalMs: rr)
        let lgeGeom = SeriesGeometry(grid: lgeGrid, sliceThicknessMm: lgeS.sliceThicknessMm, triggerTimesMs: [lgeTime],
                                     nominalIntervalMs: rr, inversionTimeMs: ir.inversionTimeMs)
        let dt = rr / Double(cineS.phases)
        let longAxisCines = longAxis
            ? renderLongAxis(series: cineS, planning: planning, states: states, phaseTimesMs: phaseTimes, signal: cineSignal,
                             noiseSD: cineSD, array: array, centre: centre, times: times)
            : []
        var acquisition = CMRAcquisition(cine: cineGeom, lge: lgeGeom)
        for v in longAxisCines {
            switch v.view {
            case .twoChamber: acquisition.cine2ch = v.geometry
            case .threeChamber: acquisition.cine3ch = v.geometry
            case .fourChamber: acquisition.cine4ch = v.geometry
            }
        }
        var images = CMRImages(
            cine: ImageVolume(grid: cineGrid, frames: cineS.phases, frameIntervalMs: dt, data: cineOut.array),
            lge: ImageVolume(grid: lgeGrid, data: lgeOut.array),
            cineLabels: ImageVolume(grid: cineGrid, frames: cineS.phases, frameIntervalMs: dt, data: labelOut.array),
            cineSegmentsED: ImageVolume(grid: cineGrid, data: segOut.array),
            lgeScar: ImageVolume(grid: lgeGrid, data: lgeScar.array),
            lgeLabels: ImageVolume(grid: lgeGrid, data: lgeLab.array),
            lgeSegments: ImageVolume(grid: lgeGrid, data: lgeSeg.array),
            acquisition: acquisition,
            cineShiftsMm: cineShifts, lgeShiftsMm: lgeShifts, cineRotationsDeg: cineRotations, lgeRotationsDeg: lgeRotations,
            rotationCentreMm: centre, planning: planning,
            plannedApexDirection: ShortAxisPlanner.plannedApexDirection(heart: heart, planning: planning), receiveArray: array,
            cineNoiseSD: cineSD, lgeNoiseSD: lgeSD, cineMyocardiumSignal: myoSignal, lgeScarSignal: scarSignal,
            inversionTimeMs: ir.inversionTimeMs, nullInversionTimeMs: ir.nullInversionTimeMs,
            lgeNullInversionTimesMs: sliceIR.map(\.nullInversionTimeMs), phaseTimesMs: phaseTimes)
        images.longAxis = longAxisCines
        return images
    }

    /// The long-axis cine views: one slice per view (`LongAxisPlanner`, the short-axis cine's matrix, pixel size,
    /// thickness, oversampling and slice profile), every cine phase, each view its own breath-hold (streams
    /// `cmr.cine2ch.breathhold` etc. and `.rotation`) and noise (`cmr.cine2ch.noise.phase<p>`), the same signal,
    /// noise SD and receive array as the short-axis cine.
    func renderLongAxis(series cineS: PhantomSpec.SeriesSettings, planning: ShortAxisPlanner.Planning, states: [HeartState],
                        phaseTimesMs: [Double], signal: @escaping @Sendable (TissueSample) -> Float, noiseSD: Double,
                        array: ReceiveArray?, centre: Vec3, times: StageTimes?) -> [LongAxisCine] {
        let series = { var one = cineS; one.slices = 1; return one }()
        let views = LongAxisPlanner.View.allCases
        let grids = views.map { LongAxisPlanner.plan(heart: heart, view: $0, series: series, planning: planning) }
        let shifts = views.map { breathHoldShifts(label: $0.streamLabel + ".breathhold", count: 1)[0] }
        let rotations = views.map { breathHoldRotations(label: $0.streamLabel + ".breathhold", count: 1)[0] }
        let poses = views.indices.map { SlicePose(shift: shifts[$0], rotationDeg: rotations[$0], centre: centre) }
        let bias = views.indices.map { biasMaps(array, grid: grids[$0], series: series) }
        let phases = states.count, n2 = series.matrix * series.matrix
        let out = ParallelOutput<Float>(count: n2 * phases * views.count, initial: 0)
        let labels = ParallelOutput<UInt8>(count: n2 * phases * views.count, initial: 0)
        let segments = ParallelOutput<UInt8>(count: n2 * views.count, initial: 0)
        // As the short-axis cine: the torso sampled once per view, the heart's reach re-sampled per phase.
        let torsoCache = ParallelOutput<StaticSlice?>(count: views.count, initial: nil)
        DispatchQueue.concurrentPerform(iterations: views.count) { v in
            torsoCache.range(v..<(v + 1))[0] = staticSlice(grid: grids[v], slice: 0, series: series, pose: poses[v], states: states,
                                                           signal: signal)
        }
        let cached = torsoCache.array
        DispatchQueue.concurrentPerform(iterations: views.count * phases) { job in
            let v = job % views.count, p = job / views.count
            let offset = (v * phases + p) * n2
            renderSlice(grid: grids[v], slice: 0, series: series, state: states[p], pose: poses[v], signal: signal,
                        cache: cached[v], noiseSD: noiseSD, noiseLabel: "\(views[v].streamLabel).noise.phase\(p)",
                        coils: bias[v].map { ($0.elements, $0.maps[0], $0.gains[0]) },
                        out: out.range(offset..<(offset + n2)), labels: labels.range(offset..<(offset + n2)),
                        segments: p == 0 ? segments.range((v * n2)..<((v + 1) * n2)) : nil, scar: nil, times: times)
        }
        let rr = heart.spec.motion.rrIntervalMs, dt = rr / Double(phases)
        let images = out.array, labelData = labels.array, segmentData = segments.array
        return views.indices.map { v in
            let frames = (v * phases * n2)..<((v + 1) * phases * n2)
            return LongAxisCine(
                view: views[v], planeAngleDeg: LongAxisPlanner.planeAngleDeg(views[v], heart: heart),
                cine: ImageVolume(grid: grids[v], frames: phases, frameIntervalMs: dt, data: Array(images[frames])),
                labels: ImageVolume(grid: grids[v], frames: phases, frameIntervalMs: dt, data: Array(labelData[frames])),
                segmentsED: ImageVolume(grid: grids[v], data: Array(segmentData[(v * n2)..<((v + 1) * n2)])),
                geometry: SeriesGeometry(grid: grids[v], sliceThicknessMm: series.sliceThicknessMm,
                                         triggerTimesMs: phaseTimesMs, nominalIntervalMs: rr),
                breathHoldShiftMm: shifts[v], breathHoldRotationDeg: rotations[v])
        }
    }

    /// Heart displacement per slice between breath-holds: each component normal with SD
    /// `sliceMisregistrationMm`, drawn from the seed and `label`.
    public func breathHoldShifts(label: String, count: Int) -> [Vec3] {
        let sd = heart.spec.cmr.sliceMisregistrationMm ?? 0
        var rng = SeededRandom(seed: seed, label: label)
        return (0..<count).map { _ in sd > 0 ? Vec3(rng.normal() * sd, rng.normal() * sd, rng.normal() * sd) : .zero }
    }

    /// Heart rotation per slice between breath-holds: rotation vector (degrees) with each component normal with SD
    /// `sliceMisregistrationRotationDeg`, from its own stream (so the shifts do not change with it).
    public func breathHoldRotations(label: String, count: Int) -> [Vec3] {
        let sd = heart.spec.cmr.sliceMisregistrationRotationDeg ?? 0
        var rng = SeededRandom(seed: seed, label: label + ".rotation")
        return (0..<count).map { _ in sd > 0 ? Vec3(rng.normal() * sd, rng.normal() * sd, rng.normal() * sd) : .zero }
    }

    /// The centre of the breath-hold rotations and of the coil normalisation: the LV long axis at mid-cavity height.
    public var rotationCentre: Vec3 {
        heart.patient(sNow: 0.5 * (heart.baseHeightMm + heart.endoApexHeightMm), r: 0, phiDeg: 0)
    }

    /// The combined sensitivity of the array at the pixel centres of every slice, and the scanner's intensity
    /// correction gain 1 / combined^k (nil without an array).
    func biasMaps(_ array: ReceiveArray?, grid: ImageGrid, series: PhantomSpec.SeriesSettings)
        -> (elements: Int, maps: [[Float]], gains: [[Float]])? {
        guard let array else { return nil }
        let n = series.matrix
        let out = ParallelOutput<Float>(count: n * n * series.slices, initial: 0)
        let gain = ParallelOutput<Float>(count: n * n * series.slices, initial: 0)
        DispatchQueue.concurrentPerform(iterations: series.slices) { k in
            let r = out.range((k * n * n)..<((k + 1) * n * n)), g = gain.range((k * n * n)..<((k + 1) * n * n))
            for j in 0..<n {
                for i in 0..<n {
                    let b = array.combinedSensitivity(grid.patient(Double(i), Double(j), Double(k)))
                    r[j * n + i] = Float(b)
                    g[j * n + i] = Float(array.intensityCorrection == 0 ? 1 : pow(b, -array.intensityCorrection))
                }
            }
        }
        let all = out.array, gains = gain.array
        let split = { (a: [Float]) in (0..<series.slices).map { Array(a[($0 * n * n)..<(($0 + 1) * n * n)]) } }
        return (array.elements, split(all), split(gains))
    }

    /// The tissue at a patient point at one instant, the heart displaced by `shift`.
    @inline(__always) public func sample(_ p: Vec3, _ state: HeartState, shift: Vec3) -> TissueSample {
        if let h = heart.sample(p - shift, state) { return h }
        return TissueSample(tissue: torso.sample(p, shift: shift))
    }

    /// The tissue at a patient point at one instant, the heart moved by a breath-hold pose.
    @inline(__always) func sample(_ p: Vec3, _ state: HeartState, pose: SlicePose) -> TissueSample {
        if let h = heart.sample(pose.heartPoint(p), state) { return h }
        return TissueSample(tissue: torso.sample(p, shift: pose.shift))
    }

    /// Renders one slice into `out` (magnitude), and truth labels at the voxel centres.
    func renderSlice(grid: ImageGrid, slice k: Int, series: PhantomSpec.SeriesSettings, state: HeartState, pose: SlicePose,
                     signal: (TissueSample) -> Float, cache: StaticSlice?, noiseSD: Double, noiseLabel: String,
                     coils: (elements: Int, bias: [Float], gain: [Float])?,
                     out: UnsafeMutableBufferPointer<Float>, labels: UnsafeMutableBufferPointer<UInt8>,
                     segments: UnsafeMutableBufferPointer<UInt8>?, scar: UnsafeMutableBufferPointer<UInt8>?,
                     times: StageTimes?) {
        let n = series.matrix, os = series.oversampling, nf = n * os
        let (c0, c1, _) = grid.patientFromVoxel.linear.columns
        let origin = grid.patient(0, 0, Double(k))
        let t0 = DispatchTime.now().uptimeNanoseconds
        // Truth labels at voxel centres (slice centre plane). With a cache, voxels the heart cannot reach take the
        // torso's tissue from it, and the others the heart's or else the cached torso's (the same tissues as
        // `sample`: the torso does not move between phases).
        for j in 0..<n {
            for i in 0..<n {
                let idx = j * n + i
                let s: TissueSample
                if let cache {
                    let torsoTissue = cache.centreTorso[idx]
                    if !cache.centreMayReach[idx] {
                        labels[idx] = torsoTissue
                        segments?[idx] = 0
                        scar?[idx] = 0
                        continue
                    }
                    let p = origin + c0 * Double(i) + c1 * Double(j)
                    s = heart.sample(pose.heartPoint(p), state) ?? TissueSample(tissue: Tissue(rawValue: torsoTissue)!)
                } else {
                    s = sample(origin + c0 * Double(i) + c1 * Double(j), state, pose: pose)
                }
                labels[idx] = s.tissue.rawValue
                segments?[idx] = s.tissue == .lvMyocardium ? s.segment : 0
                scar?[idx] = s.tissue == .lvMyocardium ? s.scarClass : 0
            }
        }
        // Object on the fine grid, averaged over the slice profile (box of the slice thickness).
        let buffer = ComplexBuffer2D(rows: nf, columns: nf)
        let geo = FineGrid(grid: grid, slice: k, series: series)
        buffer.withUnsafeMutableInterleaved { z in
            if let cache {
                for idx in 0..<(nf * nf) { z[2 * idx] = cache.signal[idx]; z[2 * idx + 1] = 0 }
                let q = geo.offsets.count
                for (m, idx) in cache.heartIndices.enumerated() {
                    let i = Int(idx)
                    var o = 0
                    z[2 * i] = geo.average(i % nf, i / nf) { p in
                        defer { o += 1 }
                        return signal(heart.sample(pose.heartPoint(p), state)
                                      ?? TissueSample(tissue: Tissue(rawValue: cache.heartTorso[m * q + o])!))
                    }
                }
            } else {
                for jf in 0..<nf {
                    for ifn in 0..<nf {
                        z[2 * (jf * nf + ifn)] = geo.average(ifn, jf) { signal(sample($0, state, pose: pose)) }
                        z[2 * (jf * nf + ifn) + 1] = 0
                    }
                }
            }
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        // k-space: forward transform, crop to the acquired window.
        FFT2D.forward(buffer)
        let t2 = DispatchTime.now().uptimeNanoseconds
        let kspace = os == 1 ? buffer : buffer.centredCrop(to: n, columns: n)
        let t3 = DispatchTime.now().uptimeNanoseconds
        var rng = SeededRandom(seed: seed, label: noiseLabel)
        if coils == nil {
            // Complex Gaussian noise in k-space; SD chosen so the image noise SD per channel is `noiseSD`.
            let sdK = Float(noiseSD * Double(os * os) * Double(n))
            kspace.withUnsafeMutableInterleaved { z in
                for idx in 0..<(2 * n * n) { z[idx] += sdK * Float(rng.normal()) }
            }
        }
        let t4 = DispatchTime.now().uptimeNanoseconds
        FFT2D.inverse(kspace)
        let scale = 1 / Float(nf * nf)
        if let coils {
            // Sum of squares over the elements, noise added per element in the image domain (white noise in
            // k-space stays white and of the same SD through the unitary-scaled transform). Per pixel, a unitary
            // change of coil basis puts all signal into one channel: |b x + n1|^2 plus the other N - 1 channels'
            // pure noise, whose squared sum is sigma^2 chi^2 with 2(N - 1) degrees of freedom = 2 sigma^2 Gamma(N - 1).
            // Exact in distribution, one transform per image whatever N.
            let sd = Float(noiseSD)
            let rest = coils.elements - 1
            var gamma = GammaSampler(shape: Double(max(rest, 1)))
            kspace.withUnsafeMutableInterleaved { z in
                for idx in 0..<(n * n) {
                    let b = coils.bias[idx]
                    let re = z[2 * idx] * scale * b + sd * Float(rng.normal())
                    let im = z[2 * idx + 1] * scale * b + sd * Float(rng.normal())
                    let others = rest > 0 ? 2 * sd * sd * Float(gamma.next(&rng)) : 0
                    out[idx] = (re * re + im * im + others).squareRoot() * coils.gain[idx]
                }
            }
        } else {
            kspace.withUnsafeMutableInterleaved { z in
                for idx in 0..<(n * n) {
                    let re = z[2 * idx] * scale, im = z[2 * idx + 1] * scale
                    out[idx] = (re * re + im * im).squareRoot()
                }
            }
        }
        let t5 = DispatchTime.now().uptimeNanoseconds
        let sec = { (a: UInt64, b: UInt64) in Double(b - a) * 1e-9 }
        times?.add(sampling: sec(t0, t1), transforms: sec(t1, t2) + sec(t4, t5), kspace: sec(t1, t3) + sec(t4, t5),
                   noise: sec(t3, t4), count: 2)
    }

    /// The phase-independent part of one slice: the torso's signal on the fine grid (slice-profile averaged) and
    /// the fine-grid points that the heart can reach at any phase (these are re-sampled per phase).
    struct StaticSlice: Sendable {
        var signal: [Float]
        var heartIndices: [Int32]
        /// The torso's tissue (raw value) at the through-slice samples of each heart index, sample fastest.
        var heartTorso: [UInt8]
        /// Per voxel centre of the slice (the truth labels' points): the torso's tissue (raw value), and whether
        /// the heart can reach the point at any phase (where not, `sample` is the torso's).
        var centreTorso: [UInt8]
        var centreMayReach: [Bool]
    }

    /// `states`: every heart state the slice will be rendered at; a point the heart cannot reach in any of them
    /// (`HeartModel.mayReach`, `belowBaseAndFar`) is the torso's at every phase.
    func staticSlice(grid: ImageGrid, slice k: Int, series: PhantomSpec.SeriesSettings, pose: SlicePose,
                     states: [HeartState], signal: (TissueSample) -> Float) -> StaticSlice {
        let n = series.matrix, nf = n * series.oversampling
        let lambdaMin = states.map(\.lambda).min() ?? 1
        let maxEpi = states.map(\.maxEpiRadius).max() ?? .greatestFiniteMagnitude
        let reachable = { (p: Vec3) -> Bool in
            let h = pose.heartPoint(p)
            return self.heart.mayReach(h) && !self.heart.belowBaseAndFar(h, lambdaMin: lambdaMin, maxEpiRadiusMm: maxEpi)
        }
        let geo = FineGrid(grid: grid, slice: k, series: series)
        var out = [Float](repeating: 0, count: nf * nf)
        var heart: [Int32] = [], heartTorso: [UInt8] = []
        var tissues: [UInt8] = []
        for jf in 0..<nf {
            for ifn in 0..<nf {
                var near = false
                tissues.removeAll(keepingCapacity: true)
                out[jf * nf + ifn] = geo.average(ifn, jf) { p in
                    if reachable(p) { near = true }
                    let t = torso.sample(p, shift: pose.shift)
                    tissues.append(t.rawValue)
                    return signal(TissueSample(tissue: t))
                }
                if near { heart.append(Int32(jf * nf + ifn)); heartTorso.append(contentsOf: tissues) }
            }
        }
        // The truth labels' points (voxel centres on the slice's centre plane), as `renderSlice` places them.
        let (c0, c1, _) = grid.patientFromVoxel.linear.columns
        let origin = grid.patient(0, 0, Double(k))
        var centreTorso = [UInt8](repeating: 0, count: n * n), centreMayReach = [Bool](repeating: false, count: n * n)
        for j in 0..<n {
            for i in 0..<n {
                let p = origin + c0 * Double(i) + c1 * Double(j)
                centreTorso[j * n + i] = torso.sample(p, shift: pose.shift).rawValue
                centreMayReach[j * n + i] = reachable(p)
            }
        }
        return StaticSlice(signal: out, heartIndices: heart, heartTorso: heartTorso, centreTorso: centreTorso,
                           centreMayReach: centreMayReach)
    }
}

/// Positions of the oversampled object grid of one slice: fine sample (i, j) lies at coarse pixel coordinates
/// (i / os, j / os), so that cropping its spectrum yields samples at the coarse pixel centres; through-slice
/// samples at the midpoints of equal parts of the slice thickness (a box slice profile).
struct FineGrid {
    let origin: Vec3, dc: Vec3, dr: Vec3
    let offsets: [Vec3]
    let inverseCount: Float

    init(grid: ImageGrid, slice k: Int, series: PhantomSpec.SeriesSettings) {
        let (c0, c1, c2) = grid.patientFromVoxel.linear.columns
        origin = grid.patient(0, 0, Double(k))
        dc = c0 / Double(series.oversampling); dr = c1 / Double(series.oversampling)
        let q = series.throughSliceSamples, t = series.sliceThicknessMm
        let normal = c2.normalized
        offsets = (0..<q).map { normal * ((Double($0) + 0.5) / Double(q) * t - t / 2) }
        inverseCount = 1 / Float(q)
    }

    /// Mean of `value` over the slice profile at fine sample (i, j).
    @inline(__always) func average(_ i: Int, _ j: Int, _ value: (Vec3) -> Float) -> Float {
        let p = origin + dc * Double(i) + dr * Double(j)
        var acc: Float = 0
        for o in offsets { acc += value(p + o) }
        return acc * inverseCount
    }
}
