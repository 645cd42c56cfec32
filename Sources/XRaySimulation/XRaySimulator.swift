import CRTCore
import Dispatch
import Foundation
import HeartPhantom
import SegmentModel

/// The two X-ray states of the procedure.
public enum XRayState: String, CaseIterable, Sendable {
    /// Balloon-occluded coronary sinus venogram: contrast in the veins, balloon catheter, no lead.
    case venogram
    /// After implant: the LV lead in place, contrast washed out, catheter removed.
    case lead
}

/// The images of one view.
public struct XRayViewImages: Sendable {
    public init(view: CArmView, venogramFrames: [[Float]], lead: [Float], clickedFrame: Int = 0, run: XRayRunRecord? = nil) {
        self.view = view; self.venogramFrames = venogramFrames; self.lead = lead; self.clickedFrame = clickedFrame; self.run = run
    }
    public var view: CArmView
    /// The venogram run's frames: -ln(I / I0) per pixel, rows x columns, column fastest (pixel (c, r) at index
    /// r * columns + c); one frame without motion (`AcquisitionMotion`).
    public var venogramFrames: [[Float]]
    public var lead: [Float]
    /// The frame the operator clicked (nearest end-diastole).
    public var clickedFrame: Int
    /// The ECG record of the run (`xray/<VIEW>-ecg.json`); nil without motion.
    public var run: XRayRunRecord?
    /// The clicked venogram frame.
    public var venogram: [Float] { venogramFrames[clickedFrame] }
    public func image(_ s: XRayState) -> [Float] { s == .venogram ? venogram : lead }
}

/// What the operator clicks on one view: each landmark's true pixel plus Gaussian click noise
/// (operator/clicks-<VIEW>.json).
public struct OperatorClicks: Codable, Sendable, Equatable {
    public var view: String
    /// "column, row": pixel coordinates, origin at the centre of the first pixel, column to the right, row down.
    public var pixelConvention: String
    /// Landmark name to clicked (column, row); landmarks outside the detector are absent.
    public var landmarks: [String: [Double]]
    /// The venogram frame (0-based) the clicks were made on, when the venogram is a run of frames.
    public var frame: Int?

    public init(view: String, pixelConvention: String = XRaySimulator.pixelConvention, landmarks: [String: [Double]], frame: Int? = nil) {
        self.view = view; self.pixelConvention = pixelConvention; self.landmarks = landmarks; self.frame = frame
    }
}

/// Everything the X-ray simulation of one case produces.
public struct XRayCase: Sendable {
    public var views: [XRayViewImages]
    /// CMR patient (LPS mm) to C-arm world (mm).
    public var worldFromPatient: Affine3D
    public var lead: LeadPlacement
    public var landmarksMm: [String: Vec3]
    public var veinCentrelines: [VeinCentreline]
    public var viewTruth: [XRayViewTruth]
    public var clicks: [OperatorClicks]
    /// Attenuation (1/mm) in the CMR patient frame, frame 0 venogram, frame 1 lead state (nil when not asked).
    public var muVolume: ImageVolume<Float>?
    /// Simulation facts for truth.json `xray`.
    public var facts: [String: AnyCodableValue]

    /// Adds the X-ray truth to a case's ground truth (keys `heartPose`, `views`, `lead`, `landmarksMm`,
    /// `veinCentrelinesMm`, `xray`).
    public func record(into truth: inout GroundTruth) {
        truth.heartPose = worldFromPatient.matrix4x4
        truth.views = viewTruth
        truth.lead = lead.position
        truth.landmarksMm = landmarksMm
        truth.veinCentrelinesMm = Dictionary(uniqueKeysWithValues: veinCentrelines.map { ($0.name, $0.pointsMm) })
        truth.xray = facts
    }
}

/// Dual-view fluoroscopy of a phantom: the chest's attenuation volume at the X-ray cardiac phase, the heart's
/// unknown pose on the table, the balloon venogram and the implanted lead, projected by the C-arm
/// (`CArmView`), with quantum noise and detector blur (`Detector`).
///
/// Usage: `XRaySimulator(heart: heart, truth: truth, seed: seed).simulate()`. Every random draw derives from
/// the seed and a stable label: "xray.pose", "xray.lead.placement", "xray.noise.<VIEW>.<state>.row<r>" (a run's
/// later frames "xray.noise.<VIEW>.venogram.frame<k>.row<r>"), "xray.clicks.<VIEW>", and with motion
/// "xray.motion.<VIEW>.venogram", "xray.motion.<VIEW>.lead", "xray.motion.patient" (`AcquisitionMotion`).
public struct XRaySimulator: Sendable {
    public let heart: HeartModel
    public let primaryTarget: Int?
    public let seed: UInt64
    public let settings: PhantomSpec.XRaySettings
    public let chest: ChestModel
    /// Chest rays are cast through every `chestRaySpacing`-th pixel per direction and filled bilinearly
    /// (`RayCaster.lineIntegrals`); the thin structures are always drawn per pixel.
    public let chestRaySpacing: Int

    /// Wall-clock times of the stages (s), filled by `simulate(times:)`.
    public final class StageTimes: @unchecked Sendable {
        // @unchecked Sendable: written only by the task running `simulate(times:)`, sequentially between its
        // parallel stages, and read by the caller after it returns; never shared while being written.
        public var volume = 0.0, scene = 0.0, bulkProjection = 0.0, tubes = 0.0, detector = 0.0
        public init() {}
        /// Image formation: ray casting (volume and tubes), noise, blur and logarithm for all images.
        public var imageFormation: Double { bulkProjection + tubes + detector }
    }

    public init(heart: HeartModel, truth: GroundTruth, seed: UInt64, settings: PhantomSpec.XRaySettings? = nil,
                chest: ChestModel = ChestModel(), chestRaySpacing: Int = 2) {
        self.chestRaySpacing = chestRaySpacing
        self.heart = heart
        self.primaryTarget = truth.primaryTarget
        self.seed = seed
        self.settings = settings ?? heart.spec.xray
        self.chest = chest
    }

    /// The tube spectrum of a polyenergetic beam (`xray.tubeVoltageKVp` set); nil: the mono-energetic beam.
    public var spectrum: XRaySpectrum? {
        settings.tubeVoltageKVp.map { XRaySpectrum(tubeVoltageKVp: $0, copperFilterMm: settings.copperFilterMm ?? 0) }
    }

    /// The C-arm views of the settings.
    public var views: [CArmView] {
        settings.views.map {
            CArmView(name: $0.name, primaryAngleDeg: $0.primaryAngleDeg, secondaryAngleDeg: $0.secondaryAngleDeg,
                     sourceToDetectorMm: settings.sourceToDetectorMm, sourceToPatientMm: settings.sourceToPatientMm,
                     rows: settings.detectorRows, columns: settings.detectorColumns,
                     pixelSpacingMm: [settings.pixelSpacingMm, settings.pixelSpacingMm])
        }
    }

    /// Heart centre (mid-cavity point of the LV long axis, patient mm): the point the table pose centres.
    public var heartCentreMm: Vec3 { Vec3(heart.spec.anatomy.heartCentreMm) }

    /// The heart's pose on the table: world = R (p - c) + delta, c the heart centre, R a rotation by a rotation
    /// vector with components N(0, poseRotationSDDeg) about the world axes, delta with components
    /// N(0, poseShiftSDMm): the heart centre lies near the isocentre, off by an unknown shift and rotation.
    public func heartPose() -> (pose: Affine3D, rotationDeg: Vec3, shiftMm: Vec3) {
        var rng = SeededRandom(seed: seed, label: "xray.pose")
        let w = Vec3(rng.normal(), rng.normal(), rng.normal()) * settings.poseRotationSDDeg
        let delta = Vec3(rng.normal(), rng.normal(), rng.normal()) * settings.poseShiftSDMm
        let angle = radians(w.length)
        let r = angle > 0 ? Mat3.rotation(axis: w, angleRadians: angle) : Mat3.identity
        let c = heartCentreMm
        return (Affine3D(linear: r, translation: delta - r * c), w, delta)
    }

    /// The catheter and lead route from the superior vena cava through the right atrium to the coronary sinus
    /// ostium (patient mm): a smooth curve through the SVC (150 and 45 mm above the RA centre), the RA centre
    /// (as `HeartModel` places it: 26 mm outside the base epicardium, 12 mm above the base, at the inferior
    /// insertion angle - 15 degrees) and the ostium.
    public func venousRoute(_ st: HeartState, ostium: Vec3) -> Polyline {
        let (svcTop, svcLow, ra) = routeControlPoints(st)
        return Polyline.catmullRom([svcTop, svcLow, ra, ostium], samples: 24).resampled(stepMm: 2)
    }

    /// The SVC (top, low) and RA centre points of `venousRoute` (patient mm).
    public func routeControlPoints(_ st: HeartState) -> (svcTop: Vec3, svcLow: Vec3, raCentre: Vec3) {
        let raAngle = heart.spec.anatomy.inferiorInsertionAngleDeg - 15
        let baseEpi = heart.local(heart.epicardialPoint(fraction: 0, phiDeg: raAngle, st), lambda: st.lambda).r
        let ra = heart.frame.patient(s: heart.baseHeightMm * st.lambda + 12, r: baseEpi + 26, phiDeg: raAngle)
        return (ra + Vec3(-12, 10, 150), ra + Vec3(-5, 5, 45), ra)
    }

    /// The heart at one instant of the acquisition: its state, veins and the thin structures of both states.
    struct Instant {
        var state: HeartState
        var veins: [VeinCentreline]
        var scene: XRayScene
        var lead: LeadPlacement
        var devices: XRayDevices?
    }

    /// Runs the simulation.
    /// - Parameters:
    ///   - includeVolume: also return the attenuation volume of both states (for `truth/xray-mu.nii.gz`).
    ///   - times: receives the stage times.
    public func simulate(includeVolume: Bool = true, times: StageTimes? = nil) -> XRayCase {
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
        var t = clock()
        let rrMs = heart.spec.motion.rrIntervalMs
        let phaseMs = settings.cardiacPhaseFraction * rrMs
        let st = heart.state(atMs: phaseMs)
        let (pose, rotationDeg, shiftMm) = heartPose()
        let views = self.views

        // Scene at the reference instant (`cardiacPhaseFraction`): veins, balloon, catheter, lead. The truth's
        // lead and landmarks are given at this instant.
        let veins = heart.veinCentrelines(st)
        let cs = veins.first { $0.name == "coronary sinus" }!
        let route = venousRoute(st, ostium: cs.pointsMm[0])
        let lead = LeadPlacement.place(heart: heart, state: st, primaryTarget: primaryTarget, veins: veins, route: route,
                                       settings: settings.lead, seed: seed)
        let filling = VenogramFilling.draw(veins: veins, settings: settings, seed: seed)
        func instant(_ s: HeartState, veins v: [VeinCentreline], route r: Polyline, lead l: LeadPlacement) -> Instant {
            let control = routeControlPoints(s)
            let devices = XRayDevices.make(settings: settings.devices, heart: heart, state: s, route: r,
                                           svc: [control.svcTop, control.svcLow], raCentre: control.raCentre)
            return Instant(state: s, veins: v, scene: XRayScene(veins: v, route: r, lead: l, iodineMgPerMl: settings.contrastIodineMgPerMl,
                                                                filling: filling, devices: devices), lead: l, devices: devices)
        }
        let reference = instant(st, veins: veins, route: route, lead: lead)
        let scene = reference.scene
        let visibleClicks = (settings.visibleClicks ?? 0) >= 0.5
        var landmarks = XRaySimulator.landmarks(heart: heart, veins: veins)
        if visibleClicks {
            landmarks[VisibleClickModel.contrastStartName] = Polyline(cs.pointsMm).point(atArc: XRayScene.balloonArcMm.upperBound)
        }

        // Every image of every view (`AcquisitionMotion`); without motion one venogram and one lead image per view,
        // both at the reference instant and the table pose.
        let motion = AcquisitionMotion(settings: settings, rrIntervalMs: rrMs)
        let schedule: [[AcquisitionMotion.Image]] = motion?.schedule(viewNames: views.map(\.name), tablePose: pose,
                                                                     heartCentreMm: heartCentreMm, seed: seed)
            ?? views.map { _ in XRayState.allCases.map {
                AcquisitionMotion.Image(state: $0, frame: 0, timeInRunMs: 0, cardiacPhaseFraction: settings.cardiacPhaseFraction,
                                        respiratoryPhase: 0.5, respiratoryFraction: 0, worldFromPatient: pose) } }
        // The heart at each distinct cardiac phase, the lead moved with its vein.
        var instants: [Double: Instant] = [settings.cardiacPhaseFraction: reference]
        for image in schedule.joined() where instants[image.cardiacPhaseFraction] == nil {
            let s = heart.state(atMs: image.cardiacPhaseFraction * rrMs)
            let v = heart.veinCentrelines(s)
            let r = venousRoute(s, ostium: v.first { $0.name == "coronary sinus" }!.pointsMm[0])
            instants[image.cardiacPhaseFraction] = instant(s, veins: v, route: r, lead: lead.moved(veins: v, route: r))
        }
        let rays = schedule.enumerated().map { v, images in images.map { ViewRays(view: views[v], worldFromPatient: $0.worldFromPatient) } }
        times?.scene = clock() - t

        // Image formation: per distinct cardiac phase the chest's attenuation volume over the height the views see,
        // cast once per distinct pose; the thin structures of each image on top; the detector.
        let zRange = zRangeMm(rays: Array(rays.joined()))
        let phases = Set(schedule.joined().map(\.cardiacPhaseFraction)).sorted()
        var bulk = schedule.map { $0.map { _ in [Float]() } }
        // With a tube spectrum, the cortical-bone part of the chest's line integrals (the rest is water-like).
        let spectrum = self.spectrum
        var boneBulk = schedule.map { $0.map { _ in [Float]() } }
        var referenceVolume: AttenuationVolume? = nil
        var volumeGrid: ImageGrid? = nil
        t = clock()
        let template = chest.template(heart: heart, zRangeMm: zRange, voxelMm: settings.voxelMm, bone: spectrum != nil)
        times?.volume += clock() - t
        for phase in phases {
            t = clock()
            let volume = template.volume(heart: heart, state: instants[phase]!.state)
            times?.volume += clock() - t
            t = clock()
            for (v, images) in schedule.enumerated() {
                for (i, image) in images.enumerated() where image.cardiacPhaseFraction == phase {
                    if let j = images.indices.first(where: { $0 < i && images[$0].cardiacPhaseFraction == phase
                        && images[$0].worldFromPatient.matrix4x4 == image.worldFromPatient.matrix4x4 }) {
                        bulk[v][i] = bulk[v][j]
                        boneBulk[v][i] = boneBulk[v][j]
                    } else {
                        let cast = RayCaster.lineIntegralsWithBone(volume: volume, rays: rays[v][i], raySpacing: chestRaySpacing,
                                                                   bone: spectrum != nil)
                        bulk[v][i] = cast.total
                        boneBulk[v][i] = cast.bone ?? []
                    }
                }
            }
            times?.bulkProjection += clock() - t
            if phase == settings.cardiacPhaseFraction { referenceVolume = volume }
            volumeGrid = volume.grid
        }
        t = clock()
        // Wash-out: the tributaries' contrast in each venogram frame (`washoutTimeConstantS`).
        let washoutTau = settings.washoutTimeConstantS
        let washout: @Sendable (AcquisitionMotion.Image) -> Double = { image in
            guard image.state == .venogram, let tau = washoutTau, tau > 0 else { return 1 }
            return exp(-image.timeInRunMs / (1000 * tau))
        }
        let flat = schedule.enumerated().flatMap { v, images in images.indices.map { (v, $0) } }
        let chestIntegrals = bulk, chestBoneIntegrals = boneBulk, phaseInstants = instants
        let spectralTable = spectrum?.lookup()
        let integrals = ParallelOutput<[Float]>(count: flat.count, initial: [])
        DispatchQueue.concurrentPerform(iterations: flat.count) { j in
            let (v, i) = flat[j]
            let image = schedule[v][i]
            let tubes = phaseInstants[image.cardiacPhaseFraction]!.scene.washedOut(washout(image)).tubes(image.state)
            var li = chestIntegrals[v][i]
            if let spectrum, let spectralTable {
                // Per basis material: the chest's water-like and bone parts, the thin structures by their material;
                // then the effective line integral of the polyenergetic beam.
                let bone = chestBoneIntegrals[v][i]
                for p in li.indices { li[p] -= bone[p] }
                var channels: [[Float]?] = XRayBasis.allCases.map { _ in nil }
                channels[XRayBasis.water.rawValue] = li
                channels[XRayBasis.bone.rawValue] = bone
                for basis in XRayBasis.allCases {
                    let own = tubes.filter { $0.basis == basis }
                    guard !own.isEmpty else { continue }
                    var c = channels[basis.rawValue] ?? [Float](repeating: 0, count: li.count)
                    RayCaster.addLineIntegrals(of: own, rays: rays[v][i], to: &c)
                    channels[basis.rawValue] = c
                }
                li = spectrum.effectiveLineIntegrals(channels: channels, table: spectralTable)
            } else {
                RayCaster.addLineIntegrals(of: tubes, rays: rays[v][i], to: &li)
            }
            integrals.range(j..<(j + 1))[0] = li
        }
        let allIntegrals = integrals.array
        bulk = []
        var lineIntegrals = schedule.map { $0.map { _ in [Float]() } }
        for (j, (v, i)) in flat.enumerated() { lineIntegrals[v][i] = allIntegrals[j] }
        times?.tubes = clock() - t
        t = clock()
        let scatter = ScatterModel.of(fraction: settings.scatterFraction, kernelSDMm: settings.scatterKernelSDMm)
        let photonsPerPixel = settings.photonsPerPixel * (spectrum?.doseRateControlFactor ?? 1)
        let detector = Detector(rows: settings.detectorRows, columns: settings.detectorColumns,
                                photonsPerPixel: photonsPerPixel, blurSigmaPx: settings.blurSigmaPx,
                                scatter: scatter, pixelSpacingMm: settings.pixelSpacingMm)
        // The operator clicks on the venogram frame nearest end-diastole (one frame without motion).
        let clickedFrames = schedule.map { images in
            XRayRunRecord.indexNearestEndDiastole(images.filter { $0.state == .venogram }.map(\.cardiacPhaseFraction))
        }
        var images: [XRayViewImages] = []
        // Expected scatter of each view's clicked venogram frame (for the click model) and the image checks of that
        // frame and of the lead image.
        var clickedScatter: [[Float]?] = []
        var imageChecks: [String: AnyCodableValue] = [:]
        for (v, view) in views.enumerated() {
            var frames: [[Float]] = [], led: [Float] = []
            var checks: [String: AnyCodableValue] = [:]
            clickedScatter.append(nil)
            for (i, image) in schedule[v].enumerated() {
                let label = "xray.noise.\(view.name).\(image.state.rawValue)" + (image.frame > 0 ? ".frame\(image.frame)" : "")
                let scattered = detector.expectedScatter(lineIntegrals: lineIntegrals[v][i])
                let pixels = detector.image(lineIntegrals: lineIntegrals[v][i], expectedScatter: scattered, seed: seed, noiseLabel: label)
                if image.state == .venogram { frames.append(pixels) } else { led = pixels }
                let clicked = image.state == .venogram && image.frame == clickedFrames[v]
                guard clicked || image.state == .lead else { continue }
                if clicked { clickedScatter[v] = scattered }
                let vein = clicked ? XRaySimulator.greatCardiacVeinMidpoint(instants[image.cardiacPhaseFraction]!, rays: rays[v][i]) : nil
                checks[image.state.rawValue] = XRayImageChecks.measure(
                    lineIntegrals: lineIntegrals[v][i], scatter: scattered, rendered: pixels, rows: view.rows, columns: view.columns,
                    photonsPerPixel: photonsPerPixel, pixelSpacingMm: settings.pixelSpacingMm, veinContrastIntegral: vein).facts
            }
            imageChecks[view.name] = .object(checks)
            var record = XRayViewImages(view: view, venogramFrames: frames, lead: led, clickedFrame: clickedFrames[v])
            if let m = motion {
                record.run = XRayRunRecord(view: view.name, rrIntervalMs: rrMs, venogramFrameIntervalMs: m.frameIntervalMs,
                                           venogramCardiacPhaseFractions: schedule[v].filter { $0.state == .venogram }.map(\.cardiacPhaseFraction),
                                           leadCardiacPhaseFraction: schedule[v].first { $0.state == .lead }!.cardiacPhaseFraction)
            }
            images.append(record)
        }
        times?.detector = clock() - t

        // Truth per view and the operator's clicks, on the clicked frame.
        var viewTruth: [XRayViewTruth] = []
        var clicks: [OperatorClicks] = []
        var contrastEnds: [String: AnyCodableValue] = [:]
        for (v, view) in views.enumerated() {
            let ci = schedule[v].firstIndex { $0.state == .venogram && $0.frame == clickedFrames[v] }!
            let clicked = instants[schedule[v][ci].cardiacPhaseFraction]!
            let clickedRays = rays[v][ci]
            var px: [String: [Double]] = [:]
            var rng = SeededRandom(seed: seed, label: "xray.clicks.\(view.name)")
            var noisy: [String: [Double]] = [:]
            if visibleClicks {
                // The operator clicks what this venogram shows (VisibleClickModel), each type with its own noise SD.
                let model = VisibleClickModel(veins: clicked.veins, scene: clicked.scene.washedOut(washout(schedule[v][ci])), rays: clickedRays,
                                              venogramLineIntegrals: lineIntegrals[v][ci],
                                              photonsPerPixel: photonsPerPixel, filling: filling, expectedScatter: clickedScatter[v])
                let seen = model.landmarks()
                for l in seen { px[l.name] = [l.pixel.column, l.pixel.row] }
                for l in seen.sorted(by: { $0.name < $1.name }) {
                    let sd = settings.clickNoiseSDPx * l.kind.noiseFactor
                    noisy[l.name] = [l.pixel.column + sd * rng.normal(), l.pixel.row + sd * rng.normal()]
                }
                var ends: [String: AnyCodableValue] = [:]
                for l in seen where l.kind == .contrastEnd { ends[l.vein] = .number(l.arcMm) }
                contrastEnds[view.name] = .object(ends)
            } else {
                let shown = schedule[v][ci].cardiacPhaseFraction == settings.cardiacPhaseFraction ? landmarks : XRaySimulator.landmarks(heart: heart, veins: clicked.veins)
                for (name, p) in shown {
                    if let q = clickedRays.projectionFromPatient.project(p),
                       q.column >= -0.5, q.column <= Double(view.columns) - 0.5, q.row >= -0.5, q.row <= Double(view.rows) - 0.5 {
                        px[name] = [q.column, q.row]
                    }
                }
                for name in px.keys.sorted() {
                    let q = px[name]!
                    noisy[name] = [q[0] + settings.clickNoiseSDPx * rng.normal(), q[1] + settings.clickNoiseSDPx * rng.normal()]
                }
            }
            var truth = XRayViewTruth(name: view.name, projection: view.projection,
                                      projectionFromPatient: clickedRays.projectionFromPatient, geometry: view, landmarksPx: px)
            if motion != nil {
                truth.clickedFrame = clickedFrames[v]
                truth.images = schedule[v].map { image in
                    var record = XRayImageTruth(state: image.state.rawValue, frame: image.frame, timeInRunMs: image.timeInRunMs,
                                                cardiacPhaseFraction: image.cardiacPhaseFraction, respiratoryPhase: image.respiratoryPhase,
                                                respiratoryFraction: image.respiratoryFraction, heartPose: image.worldFromPatient.matrix4x4)
                    if image.state == .lead { record.leadElectrodesMm = instants[image.cardiacPhaseFraction]!.lead.electrodesMm }
                    return record
                }
            }
            viewTruth.append(truth)
            var record = OperatorClicks(view: view.name, pixelConvention: XRaySimulator.pixelConvention, landmarks: noisy)
            if motion != nil { record.frame = clickedFrames[v] }
            clicks.append(record)
        }

        var muVolume: ImageVolume<Float>? = nil
        if includeVolume {
            var volume = referenceVolume ?? template.volume(heart: heart, state: st)
            var ven = volume
            RayCaster.voxelise(scene.tubes(.venogram), into: &ven)
            RayCaster.voxelise(scene.tubes(.lead), into: &volume)
            // The fourth axis is the state, not time; pixdim[4] = 1 only because NIfTI needs a spacing there.
            muVolume = ImageVolume(grid: volume.grid, frames: 2, frameIntervalMs: 1, data: ven.mu + volume.mu)
        }
        let grid = volumeGrid!
        var facts: [String: AnyCodableValue] = [
            "cardiacPhaseMs": .number(phaseMs),
            "effectiveEnergyKeV": .number(XRayMaterials.effectiveEnergyKeV),
            "photonsPerPixel": .number(photonsPerPixel),
            "blurSigmaPx": .number(settings.blurSigmaPx),
            "clickNoiseSDPx": .number(settings.clickNoiseSDPx),
            "poseRotationVectorDeg": .numbers(rotationDeg.array),
            "poseShiftMm": .numbers(shiftMm.array),
            "heartCentreMm": .numbers(heartCentreMm.array),
            "contrastMuPerMm": .number(Double(XRayMaterials.contrast(iodineMgPerMl: settings.contrastIodineMgPerMl))),
            "balloonMm": .vectors([scene.balloonStartMm, scene.balloonEndMm]),
            "catheterTipMm": .vectors([scene.catheterTipMm]),
            "leadAimMm": .vectors([lead.aimMm]),
            "muVolume": .object([
                "file": .text("truth/xray-mu.nii.gz"),
                "frames": .text("frame 0 venogram, frame 1 lead image"),
                "units": .text("linear attenuation, 1/mm, at the effective energy"),
                "frame": .text("CMR patient LPS mm (NIfTI sform in RAS as every crtsim volume); C-arm world = heartPose x patient"),
                "voxelMm": .number(grid.spacingMm[0]),
                "size": .numbers(grid.size.map(Double.init)),
                "firstVoxelCentreMm": .numbers(grid.patientFromVoxel.translation.array),
                "thinStructures": .text("veins, balloon, catheter and lead are rendered exactly in the images and voxelised with partial volume here"),
            ]),
        ]
        if let f = filling { facts["venogramFilling"] = f.facts }
        facts["imageChecks"] = .object(imageChecks)
        if let tau = settings.washoutTimeConstantS, tau > 0 {
            facts["washout"] = .object([
                "timeConstantS": .number(tau),
                "tributaryContrastByFrame": .numbers(schedule.first?.filter { $0.state == .venogram }.map(washout) ?? [1]),
            ])
        }
        if let m = scatter {
            facts["scatter"] = .object([
                "model": .text("scatter-kernel superposition behind the grid (docs/fluoroscopy.md, Scatter and image checks)"),
                "scatterFraction": .number(m.scatterFraction),
                "kernelSDMm": .number(m.kernelSDMm),
            ])
        }
        if let spectrum {
            facts["spectrum"] = .object([
                "model": .text("polyenergetic beam, energy-integrating CsI detector, basis materials water, bone, iodine, steel, platinum (docs/fluoroscopy.md, Spectrum and beam hardening)"),
                "tubeVoltageKVp": .number(spectrum.tubeVoltageKVp),
                "copperFilterMm": .number(spectrum.copperFilterMm),
                "scintillatorMm": .number(spectrum.scintillatorMm),
                "meanDetectedEnergyKeV": .number(spectrum.meanDetectedEnergyKeV),
            ])
        }
        if visibleClicks {
            facts["clickModel"] = .object([
                "model": .text("visible: only landmarks the venogram shows (docs/fluoroscopy.md, Click model)"),
                "visibilityCNR": .number(VisibleClickModel.visibilityCNR),
                "minimumVisibleLengthPx": .number(VisibleClickModel.minimumVisibleLengthPx),
                "noiseSDPx": .object(Dictionary(uniqueKeysWithValues: VisibleClickModel.Kind.allCases.map {
                    ($0.rawValue, AnyCodableValue.number(settings.clickNoiseSDPx * $0.noiseFactor)) })),
                "contrastEndArcMm": .object(contrastEnds),
            ])
        }
        if let devices = reference.devices { facts["devices"] = devices.facts }
        if let m = motion {
            facts["motion"] = .object([
                "model": .text("docs/fluoroscopy.md, Motion and time: views one after the other, a venogram run per view, the lead image later after the patient moved; breathing as a rigid displacement times cos^4(pi * phase)"),
                "venogramFrames": .number(Double(m.frames)),
                "frameIntervalMs": .number(m.frameIntervalMs),
                "respiratorySIMm": .number(m.respiratorySIMm),
                "respiratoryAPMm": .number(m.respiratoryAPMm),
                "respiratoryRotationDeg": .number(m.respiratoryRotationDeg),
                "respiratoryPeriodMs": .number(m.respiratoryPeriodMs),
                "referencePose": .text("heartPose, landmarksMm, veinCentrelinesMm and lead are at cardiacPhaseMs, end-expiration, before the patient moved; views[].images[] give each image's own heartPose"),
            ])
        }
        if let m = lead.model { facts["leadModel"] = .object(["name": .text(m.name), "electrodeLengthsMm": .numbers(m.electrodeLengthsMm),
                                                              "electrodeOffsetsFromDistalEndMm": .numbers(m.electrodeOffsetsMm)]) }
        return XRayCase(views: images, worldFromPatient: pose, lead: lead, landmarksMm: landmarks,
                        veinCentrelines: veins, viewTruth: viewTruth, clicks: clicks, muVolume: muVolume, facts: facts)
    }

    /// The great cardiac vein's contrast line integral through its midpoint and that midpoint's pixel index, for
    /// `XRayImageChecks`; nil when the vein or its midpoint's pixel is not in the image.
    static func greatCardiacVeinMidpoint(_ at: Instant, rays: ViewRays) -> (integral: Double, pixel: Int)? {
        guard let gcv = at.veins.first(where: { $0.name == "great cardiac vein" }) else { return nil }
        let line = Polyline(gcv.pointsMm)
        let mid = line.point(atArc: line.lengthMm / 2)
        guard let q = rays.projectionFromPatient.project(mid) else { return nil }
        let c = Int(q.column.rounded()), r = Int(q.row.rounded())
        guard c >= 0, c < rays.view.columns, r >= 0, r < rays.view.rows else { return nil }
        return (at.scene.contrastIntegral(vein: gcv.name, sourceMm: rays.sourceMm, through: mid), r * rays.view.columns + c)
    }

    public static let pixelConvention = "column, row: origin at the centre of the first pixel, column to the right, row down (array axes 0 and 1 of the xray NIfTI files)"

    /// Landmarks an implanter can click on a venogram (patient mm at the X-ray phase): coronary sinus ostium,
    /// middle cardiac vein origin and end, anterior interventricular vein origin (end of the great cardiac
    /// vein) and end, the origin of each lateral branch, and the epicardial LV apex.
    public static func landmarks(heart: HeartModel, veins: [VeinCentreline]) -> [String: Vec3] {
        var out: [String: Vec3] = ["lvApex": heart.frame.apexMm]
        for v in veins {
            switch v.name {
            case "coronary sinus": out["coronarySinusOstium"] = v.pointsMm.first
            case "middle cardiac vein":
                out["middleCardiacVeinOrigin"] = v.pointsMm.first; out["middleCardiacVeinEnd"] = v.pointsMm.last
            case "anterior interventricular vein":
                out["anteriorInterventricularVeinOrigin"] = v.pointsMm.first; out["anteriorInterventricularVeinEnd"] = v.pointsMm.last
            case let n where n.hasPrefix("lateral branch "):
                out["lateralBranch\(n.dropFirst("lateral branch ".count))Origin"] = v.pointsMm.first
            default: break
            }
        }
        return out
    }

    /// Patient z range (mm) the views' rays cover inside the torso, with a margin of two voxels, and at least the
    /// heart centre +/- 100 mm.
    func zRangeMm(rays: [ViewRays]) -> ClosedRange<Double> {
        let torso = chest.torso
        var lo = heartCentreMm.z - 100, hi = heartCentreMm.z + 100
        for r in rays {
            let rows = r.view.rows, cols = r.view.columns
            for (c, row) in [(0, 0), (cols - 1, 0), (0, rows - 1), (cols - 1, rows - 1), (cols / 2, 0), (cols / 2, rows - 1)] {
                let d = r.direction(column: c, row: row)
                var t = 0.0
                while t < r.view.sourceToDetectorMm {
                    let p = r.sourceMm + d * t
                    let ex = p.x / torso.halfWidthMm, ey = (p.y - torso.centreY) / torso.halfDepthMm
                    if ex * ex + ey * ey <= 1 { lo = min(lo, p.z); hi = max(hi, p.z) }
                    t += 2
                }
            }
        }
        let margin = 2 * settings.voxelMm
        return (lo - margin)...(hi + margin)
    }
}

/// The thin structures of the two states (patient mm), as tubes with the attenuation they add over the chest
/// volume (where the volume already holds blood).
public struct XRayScene: Sendable {
    public var venogramTubes: [TubeSegment]
    public var leadTubes: [TubeSegment]
    public var balloonStartMm: Vec3, balloonEndMm: Vec3, catheterTipMm: Vec3

    /// Balloon position along the coronary sinus from the ostium (mm) and its radius over the sinus radius.
    public static let balloonArcMm: ClosedRange<Double> = 8...18
    public static let balloonExtraRadiusMm = 0.5
    /// The catheter tip lies this far beyond the balloon (mm); catheter radius (6 Fr).
    public static let catheterTipBeyondBalloonMm = 4.0
    public static let catheterRadiusMm = 1.0
    /// Lead body radius (5 Fr).
    public static let leadRadiusMm = 0.85

    /// The contrast-filled tubes of each vein (part of `venogramTubes`), by vein name.
    public var contrastTubes: [String: [TubeSegment]]
    /// Indices in `venogramTubes` of the tributaries' contrast (every vein but `VenogramFilling.trunk`).
    var tributaryTubeIndices: [Int]

    /// The scene with the tributaries' contrast scaled by `factor` (wash-out, `xray.washoutTimeConstantS`); the trunk behind
    /// the balloon, the balloon, catheter and devices unchanged.
    public func washedOut(_ factor: Double) -> XRayScene {
        guard factor != 1 else { return self }
        var out = self
        let f = Float(factor)
        for i in tributaryTubeIndices { out.venogramTubes[i].mu *= f }
        for (name, tubes) in contrastTubes where !VenogramFilling.trunk.contains(name) {
            out.contrastTubes[name] = tubes.map { var t = $0; t.mu *= f; return t }
        }
        return out
    }

    /// - Parameters:
    ///   - filling: how far and how strongly each vein is filled (`VenogramFilling`); nil: every vein evenly to its
    ///     end with the injected contrast (crtsim's earlier venogram, bit for bit).
    ///   - devices: the other devices in the field (`XRayDevices`); nil: none.
    public init(veins: [VeinCentreline], route: Polyline, lead: LeadPlacement, iodineMgPerMl: Double,
                filling: VenogramFilling? = nil, devices: XRayDevices? = nil) {
        let contrastExcess = XRayMaterials.contrast(iodineMgPerMl: iodineMgPerMl) - XRayMaterials.blood
        var ven: [TubeSegment] = []
        var perVein: [String: [TubeSegment]] = [:]
        var tributaries: [Int] = []
        let cs = veins.first { $0.name == "coronary sinus" }!
        let csLine = Polyline(cs.pointsMm)
        for v in veins {
            let arc = Polyline(v.pointsMm).arcMm
            let fill = filling?.vein(v.name)
            var tubes: [TubeSegment] = []
            for k in 1..<v.pointsMm.count {
                if v.name == "coronary sinus" && csLine.arcMm[k] <= XRayScene.balloonArcMm.upperBound { continue }
                var mu = contrastExcess
                if let f = fill {
                    let c = f.relativeConcentration(atArcMm: 0.5 * (arc[k - 1] + arc[k]))
                    if c <= 0 { continue }
                    mu = XRayMaterials.contrast(iodineMgPerMl: iodineMgPerMl * c) - XRayMaterials.blood
                }
                tubes.append(TubeSegment(startMm: v.pointsMm[k - 1], endMm: v.pointsMm[k],
                                         radiusMm: 0.5 * (v.radiiMm[k - 1] + v.radiiMm[k]), mu: mu, basis: .iodine))
            }
            if !VenogramFilling.trunk.contains(v.name) { tributaries += ven.count..<(ven.count + tubes.count) }
            ven += tubes
            perVein[v.name] = tubes
        }
        contrastTubes = perVein
        tributaryTubeIndices = tributaries
        ven += csLine.tubes(from: XRayScene.balloonArcMm.lowerBound, to: XRayScene.balloonArcMm.upperBound, stepMm: 2,
                            radiusMm: cs.radiiMm[0] + XRayScene.balloonExtraRadiusMm,
                            mu: XRayMaterials.balloon - XRayMaterials.blood, basis: .iodine)
        let catheter = Polyline(route.points + csLine.points.dropFirst())
        let tipArc = route.lengthMm + XRayScene.balloonArcMm.upperBound + XRayScene.catheterTipBeyondBalloonMm
        ven += catheter.tubes(to: tipArc, stepMm: 2, radiusMm: XRayScene.catheterRadiusMm,
                              mu: XRayMaterials.catheterShaft - XRayMaterials.blood, basis: .steel)
        if let devices { ven += devices.tubes(.venogram) }
        venogramTubes = ven
        balloonStartMm = csLine.point(atArc: XRayScene.balloonArcMm.lowerBound)
        balloonEndMm = csLine.point(atArc: XRayScene.balloonArcMm.upperBound)
        catheterTipMm = catheter.point(atArc: tipArc)

        // The LV lead: body, then each electrode (tip electrode and rings) over its own length.
        let radius = lead.model?.bodyRadiusMm ?? XRayScene.leadRadiusMm
        var led = lead.path.tubes(to: lead.tipArcMm, stepMm: 2, radiusMm: radius,
                                  mu: XRayMaterials.leadBody - XRayMaterials.blood, basis: .steel)
        for (a, length) in zip(lead.electrodeArcsMm, lead.electrodeLengthsMm) {
            let half = length / 2
            led += lead.path.tubes(from: a - half, to: a + half, stepMm: 1.5, radiusMm: radius,
                                   mu: XRayMaterials.electrode - XRayMaterials.leadBody, basis: .platinum)
        }
        if let devices { led += devices.tubes(.lead) }
        leadTubes = led
    }

    public func tubes(_ s: XRayState) -> [TubeSegment] { s == .venogram ? venogramTubes : leadTubes }

    /// Contrast line integral of one vein along the ray from `sourceMm` through `p` (dimensionless).
    public func contrastIntegral(vein: String, sourceMm: Vec3, through p: Vec3) -> Double {
        let d = (p - sourceMm).normalized
        var sum = 0.0
        for t in contrastTubes[vein] ?? [] { sum += t.chordLength(origin: sourceMm, direction: d) * Double(t.mu) }
        return sum
    }
}
