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
    public var view: CArmView
    /// -ln(I / I0) per pixel, rows x columns, column fastest (pixel (c, r) at index r * columns + c).
    public var venogram: [Float]
    public var lead: [Float]
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

    public init(view: String, pixelConvention: String = XRaySimulator.pixelConvention, landmarks: [String: [Double]]) {
        self.view = view; self.pixelConvention = pixelConvention; self.landmarks = landmarks
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
/// the seed and a stable label: "xray.pose", "xray.lead.placement", "xray.noise.<VIEW>.<state>.row<r>",
/// "xray.clicks.<VIEW>".
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

    /// Runs the simulation.
    /// - Parameters:
    ///   - includeVolume: also return the attenuation volume of both states (for `truth/xray-mu.nii.gz`).
    ///   - times: receives the stage times.
    public func simulate(includeVolume: Bool = true, times: StageTimes? = nil) -> XRayCase {
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
        var t = clock()
        let phaseMs = settings.cardiacPhaseFraction * heart.spec.motion.rrIntervalMs
        let st = heart.state(atMs: phaseMs)
        let (pose, rotationDeg, shiftMm) = heartPose()
        let views = self.views
        let rays = views.map { ViewRays(view: $0, worldFromPatient: pose) }

        // Scene: veins, balloon, catheter, lead.
        let veins = heart.veinCentrelines(st)
        let cs = veins.first { $0.name == "coronary sinus" }!
        let route = venousRoute(st, ostium: cs.pointsMm[0])
        let lead = LeadPlacement.place(heart: heart, state: st, primaryTarget: primaryTarget, veins: veins, route: route,
                                       settings: settings.lead, seed: seed)
        let control = routeControlPoints(st)
        let devices = XRayDevices.make(settings: settings.devices, heart: heart, state: st, route: route,
                                       svc: [control.svcTop, control.svcLow], raCentre: control.raCentre)
        let filling = VenogramFilling.draw(veins: veins, settings: settings, seed: seed)
        let scene = XRayScene(veins: veins, route: route, lead: lead, iodineMgPerMl: settings.contrastIodineMgPerMl,
                              filling: filling, devices: devices)
        let visibleClicks = (settings.visibleClicks ?? 0) >= 0.5
        var landmarks = XRaySimulator.landmarks(heart: heart, veins: veins)
        if visibleClicks {
            landmarks[VisibleClickModel.contrastStartName] = Polyline(cs.pointsMm).point(atArc: XRayScene.balloonArcMm.upperBound)
        }
        times?.scene = clock() - t

        // Attenuation volume over the height the views see.
        t = clock()
        let zRange = zRangeMm(rays: rays)
        var volume = chest.volume(heart: heart, state: st, zRangeMm: zRange, voxelMm: settings.voxelMm)
        times?.volume = clock() - t

        // Image formation: the chest once per view, the tubes per state.
        t = clock()
        let bulk = rays.map { RayCaster.lineIntegrals(volume: volume, rays: $0, raySpacing: chestRaySpacing) }
        times?.bulkProjection = clock() - t
        t = clock()
        let states = XRayState.allCases
        let jobs = views.count * states.count
        let integrals = ParallelOutput<[Float]>(count: jobs, initial: [])
        DispatchQueue.concurrentPerform(iterations: jobs) { j in
            var image = bulk[j / states.count]
            RayCaster.addLineIntegrals(of: scene.tubes(states[j % states.count]), rays: rays[j / states.count], to: &image)
            integrals.range(j..<(j + 1))[0] = image
        }
        let lineIntegrals = integrals.array
        times?.tubes = clock() - t
        t = clock()
        let detector = Detector(rows: settings.detectorRows, columns: settings.detectorColumns,
                                photonsPerPixel: settings.photonsPerPixel, blurSigmaPx: settings.blurSigmaPx)
        var images: [XRayViewImages] = []
        for (v, view) in views.enumerated() {
            let ven = detector.image(lineIntegrals: lineIntegrals[v * states.count], seed: seed,
                                     noiseLabel: "xray.noise.\(view.name).venogram")
            let led = detector.image(lineIntegrals: lineIntegrals[v * states.count + 1], seed: seed,
                                     noiseLabel: "xray.noise.\(view.name).lead")
            images.append(XRayViewImages(view: view, venogram: ven, lead: led))
        }
        times?.detector = clock() - t

        // Truth per view and the operator's clicks.
        var viewTruth: [XRayViewTruth] = []
        var clicks: [OperatorClicks] = []
        var contrastEnds: [String: AnyCodableValue] = [:]
        for (v, view) in views.enumerated() where visibleClicks {
            // The operator clicks what this venogram shows (VisibleClickModel), each type with its own noise SD.
            let model = VisibleClickModel(veins: veins, scene: scene, rays: rays[v], venogramLineIntegrals: lineIntegrals[v * states.count],
                                          photonsPerPixel: settings.photonsPerPixel, filling: filling)
            let seen = model.landmarks()
            var px: [String: [Double]] = [:]
            for l in seen { px[l.name] = [l.pixel.column, l.pixel.row] }
            viewTruth.append(XRayViewTruth(name: view.name, projection: view.projection,
                                           projectionFromPatient: rays[v].projectionFromPatient, geometry: view, landmarksPx: px))
            var rng = SeededRandom(seed: seed, label: "xray.clicks.\(view.name)")
            var clicked: [String: [Double]] = [:]
            for l in seen.sorted(by: { $0.name < $1.name }) {
                let sd = settings.clickNoiseSDPx * l.kind.noiseFactor
                clicked[l.name] = [l.pixel.column + sd * rng.normal(), l.pixel.row + sd * rng.normal()]
            }
            clicks.append(OperatorClicks(view: view.name, pixelConvention: XRaySimulator.pixelConvention, landmarks: clicked))
            var ends: [String: AnyCodableValue] = [:]
            for l in seen where l.kind == .contrastEnd { ends[l.vein] = .number(l.arcMm) }
            contrastEnds[view.name] = .object(ends)
        }
        for (v, view) in views.enumerated() where !visibleClicks {
            var px: [String: [Double]] = [:]
            for (name, p) in landmarks {
                if let q = rays[v].projectionFromPatient.project(p),
                   q.column >= -0.5, q.column <= Double(view.columns) - 0.5, q.row >= -0.5, q.row <= Double(view.rows) - 0.5 {
                    px[name] = [q.column, q.row]
                }
            }
            viewTruth.append(XRayViewTruth(name: view.name, projection: view.projection,
                                           projectionFromPatient: rays[v].projectionFromPatient, geometry: view, landmarksPx: px))
            var rng = SeededRandom(seed: seed, label: "xray.clicks.\(view.name)")
            var clicked: [String: [Double]] = [:]
            for name in px.keys.sorted() {
                let q = px[name]!
                clicked[name] = [q[0] + settings.clickNoiseSDPx * rng.normal(), q[1] + settings.clickNoiseSDPx * rng.normal()]
            }
            clicks.append(OperatorClicks(view: view.name, pixelConvention: XRaySimulator.pixelConvention, landmarks: clicked))
        }

        var muVolume: ImageVolume<Float>? = nil
        if includeVolume {
            var ven = volume
            RayCaster.voxelise(scene.tubes(.venogram), into: &ven)
            RayCaster.voxelise(scene.tubes(.lead), into: &volume)
            // The fourth axis is the state, not time; pixdim[4] = 1 only because NIfTI needs a spacing there.
            muVolume = ImageVolume(grid: volume.grid, frames: 2, frameIntervalMs: 1, data: ven.mu + volume.mu)
        }
        let grid = volume.grid
        var facts: [String: AnyCodableValue] = [
            "cardiacPhaseMs": .number(phaseMs),
            "effectiveEnergyKeV": .number(XRayMaterials.effectiveEnergyKeV),
            "photonsPerPixel": .number(settings.photonsPerPixel),
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
        if let devices { facts["devices"] = devices.facts }
        if let m = lead.model { facts["leadModel"] = .object(["name": .text(m.name), "electrodeLengthsMm": .numbers(m.electrodeLengthsMm),
                                                              "electrodeOffsetsFromDistalEndMm": .numbers(m.electrodeOffsetsMm)]) }
        return XRayCase(views: images, worldFromPatient: pose, lead: lead, landmarksMm: landmarks,
                        veinCentrelines: veins, viewTruth: viewTruth, clicks: clicks, muVolume: muVolume, facts: facts)
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

    /// - Parameters:
    ///   - filling: how far and how strongly each vein is filled (`VenogramFilling`); nil: every vein evenly to its
    ///     end with the injected contrast (crtsim's earlier venogram, bit for bit).
    ///   - devices: the other devices in the field (`XRayDevices`); nil: none.
    public init(veins: [VeinCentreline], route: Polyline, lead: LeadPlacement, iodineMgPerMl: Double,
                filling: VenogramFilling? = nil, devices: XRayDevices? = nil) {
        let contrastExcess = XRayMaterials.contrast(iodineMgPerMl: iodineMgPerMl) - XRayMaterials.blood
        var ven: [TubeSegment] = []
        var perVein: [String: [TubeSegment]] = [:]
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
                                         radiusMm: 0.5 * (v.radiiMm[k - 1] + v.radiiMm[k]), mu: mu))
            }
            ven += tubes
            perVein[v.name] = tubes
        }
        contrastTubes = perVein
        ven += csLine.tubes(from: XRayScene.balloonArcMm.lowerBound, to: XRayScene.balloonArcMm.upperBound, stepMm: 2,
                            radiusMm: cs.radiiMm[0] + XRayScene.balloonExtraRadiusMm,
                            mu: XRayMaterials.balloon - XRayMaterials.blood)
        let catheter = Polyline(route.points + csLine.points.dropFirst())
        let tipArc = route.lengthMm + XRayScene.balloonArcMm.upperBound + XRayScene.catheterTipBeyondBalloonMm
        ven += catheter.tubes(to: tipArc, stepMm: 2, radiusMm: XRayScene.catheterRadiusMm,
                              mu: XRayMaterials.catheterShaft - XRayMaterials.blood)
        if let devices { ven += devices.tubes(.venogram) }
        venogramTubes = ven
        balloonStartMm = csLine.point(atArc: XRayScene.balloonArcMm.lowerBound)
        balloonEndMm = csLine.point(atArc: XRayScene.balloonArcMm.upperBound)
        catheterTipMm = catheter.point(atArc: tipArc)

        // The LV lead: body, then each electrode (tip electrode and rings) over its own length.
        let radius = lead.model?.bodyRadiusMm ?? XRayScene.leadRadiusMm
        var led = lead.path.tubes(to: lead.tipArcMm, stepMm: 2, radiusMm: radius,
                                  mu: XRayMaterials.leadBody - XRayMaterials.blood)
        for (a, length) in zip(lead.electrodeArcsMm, lead.electrodeLengthsMm) {
            let half = length / 2
            led += lead.path.tubes(from: a - half, to: a + half, stepMm: 1.5, radiusMm: radius,
                                   mu: XRayMaterials.electrode - XRayMaterials.leadBody)
        }
        if let devices { led += devices.tubes(.lead) }
        leadTubes = led
    }

    public func tubes(_ s: XRayState) -> [TubeSegment] { s == .venogram ? venogramTubes : leadTubes }
}
