import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom
import ImageIO
import SegmentModel
import Statistics
import XRaySimulation

/// Writes one synthetic case folder:
/// - `cmr/`: what the scanner produces, the only input of the pipeline (cine.nii.gz, lge.nii.gz, the long-axis
///   cine views cine-2ch.nii.gz, cine-3ch.nii.gz and cine-4ch.nii.gz, acquisition.json); never any truth.
/// - `truth/`: truth.json (DOMAIN.md section 7 vocabulary), phantom.json (the resolved phantom), and label volumes
///   on the image grids.
/// - `xray/`: what the C-arm produces: per view `<VIEW>-venogram.nii.gz` and `<VIEW>-lead.nii.gz` (float
///   -ln(I/I0), one slice; array axis 0 = detector column, axis 1 = detector row, pixel (0, 0) the first pixel;
///   the NIfTI affine is the detector plane's pixel spacing only, not a patient position), 16-bit PNG copies
///   (dense is dark, window 0.5-99.5th percentile of the view's venogram) and `<VIEW>.json` (DICOM XA geometry);
///   with motion the venogram is a run of frames (fourth axis, pixdim[4] the frame interval in ms; the PNG shows
///   the clicked frame) and `<VIEW>-ecg.json` gives each image's cardiac phase (`XRayRunRecord`); never any truth.
/// - `operator/`: `clicks-<VIEW>.json`, the landmarks as an operator clicks them (truth + click noise).
/// - `preview/`: PNG mosaics for a quick look.
/// The folder is assembled under a temporary name next to `out` and renamed when complete, so a failure leaves
/// nothing half written.
public enum CaseGenerator {
    /// Version of the case layout and generator, recorded in `crtsim-case.json`.
    public static let generatorVersion = "0.1.0"

    public struct Summary: Sendable {
        public var outputDirectory: String
        public var truth: GroundTruth
        public var files: [String]
    }

    /// Generates the phantom's images and truth into `out` (which must not exist, or be a crtsim case folder
    /// when `replace` is true).
    public static func generate(spec: PhantomSpec, seed: UInt64, out: String, replace: Bool = false,
                                previews: Bool = true, xray: Bool = true, xrayVolume: Bool = true) throws -> Summary {
        let folder = try StagedFolder(out: out, replace: replace, marker: "crtsim-case.json", kind: "a crtsim case")
        // The patient and scan of this case: realism fields drawn from the seed (or neutral for `realism: ideal`);
        // truth/phantom.json records the result.
        let spec = spec.resolved(seed: seed)
        let heart = HeartModel(spec: spec)
        let images = CMRSimulator(heart: heart, seed: seed).simulate(longAxis: true)
        let path = folder.path
        // The image volumes depend on the images alone: they are compressed and written on another thread while
        // the truth, the X-ray case and the previews are computed (gzip of the cine is the largest serial step of
        // a case). Each file's bytes are those of a write in turn; the paths are registered here, on this thread.
        var volumeWrites: [@Sendable () throws -> Void] = []
        func volume<T: Sendable>(_ v: ImageVolume<T>, _ rel: String, _ description: String,
                                 _ write: @escaping @Sendable (ImageVolume<T>, String, String) throws -> Void) throws {
            let target = try path(rel)
            volumeWrites.append { try write(v, target, description) }
        }
        let float: @Sendable (ImageVolume<Float>, String, String) throws -> Void = { try NIfTI.write($0, to: $1, description: $2) }
        let byte: @Sendable (ImageVolume<UInt8>, String, String) throws -> Void = { try NIfTI.write($0, to: $1, description: $2) }
        try volume(images.cine, "cmr/cine.nii.gz", "crtsim cine bSSFP", float)
        try volume(images.lge, "cmr/lge.nii.gz", "crtsim LGE IR", float)
        for v in images.longAxis {
            try volume(v.cine, "cmr/\(v.view.fileStem).nii.gz", "crtsim cine bSSFP \(v.view.rawValue)", float)
        }
        try volume(images.cineLabels, "truth/cine-labels.nii.gz", "crtsim tissue labels", byte)
        try volume(images.cineSegmentsED, "truth/cine-segments-ed.nii.gz", "crtsim 36-segment ids ED", byte)
        for v in images.longAxis {
            try volume(v.labels, "truth/\(v.view.fileStem)-labels.nii.gz", "crtsim tissue labels \(v.view.rawValue)", byte)
            try volume(v.segmentsED, "truth/\(v.view.fileStem)-segments-ed.nii.gz",
                       "crtsim 36-segment ids ED \(v.view.rawValue)", byte)
        }
        try volume(images.lgeScar, "truth/lge-scar.nii.gz", "crtsim scar 1 border 2 core", byte)
        try volume(images.lgeLabels, "truth/lge-labels.nii.gz", "crtsim tissue labels LGE", byte)
        try volume(images.lgeSegments, "truth/lge-segments.nii.gz", "crtsim 36-segment ids LGE", byte)
        let writer = BackgroundWork { [volumeWrites] in for write in volumeWrites { try write() } }
        // On an error below, the writer finishes before the staging folder is removed (its deinit).
        defer { _ = try? writer.wait(); withExtendedLifetime(folder) {} }

        var truth = heart.groundTruth(phaseTimesMs: images.phaseTimesMs)
        // The X-ray case (its own seeded streams; it reads the truth's geometry, not the acquisition facts below)
        // is simulated on another thread while the slice content and the previews are made here.
        var xrayWork: BackgroundWork<XRayCase>? = nil
        if xray {
            // The cath lab's heart: another loading than at CMR where the phantom says so (non-rigid change).
            let cathLabHeart = spec.cathLabSpec.map { HeartModel(spec: $0) } ?? heart
            let sim = XRaySimulator(heart: cathLabHeart, truth: truth, seed: seed)
            for (i, v) in sim.views.enumerated() { try v.validate(field: "xray.views[\(i)]") }
            xrayWork = BackgroundWork { sim.simulate(includeVolume: xrayVolume) }
        }
        defer { _ = try? xrayWork?.wait() }
        truth.acquisition = [
            "cineBreathHoldShiftsMm": .vectors(images.cineShiftsMm),
            "lgeBreathHoldShiftsMm": .vectors(images.lgeShiftsMm),
            "cineNoiseSD": .number(images.cineNoiseSD),
            "lgeNoiseSD": .number(images.lgeNoiseSD),
            "cineMyocardiumSignal": .number(images.cineMyocardiumSignal),
            "lgeScarSignal": .number(images.lgeScarSignal),
            "inversionTimeMs": .number(images.inversionTimeMs),
            "nullInversionTimeMs": .number(images.nullInversionTimeMs),
            "lgeNullInversionTimesMs": .numbers(images.lgeNullInversionTimesMs),
            "cineBreathHoldRotationsDeg": .vectors(images.cineRotationsDeg),
            "lgeBreathHoldRotationsDeg": .vectors(images.lgeRotationsDeg),
            "breathHoldRotationCentreMm": .vectors([images.rotationCentreMm]),
            "planningBaseOffsetMm": .number(images.planning.baseOffsetMm),
            "planningTiltDeg": .number(images.planning.tiltDeg),
            "planningTiltAzimuthDeg": .number(images.planning.tiltAzimuthDeg),
            "plannedApexDirection": .vectors([images.plannedApexDirection]),
            "receiveCoils": .number(Double(images.receiveArray?.elements ?? 1)),
            "coilIntensityCorrection": .number(images.receiveArray?.intensityCorrection ?? 0),
            "seed": .number(Double(seed)),
        ]
        truth.acquisition["sliceContent"] = sliceContent(heart: heart, images: images)
        for v in images.longAxis {
            let key = v.view.acquisitionKey
            truth.acquisition[key + "PlaneAngleDeg"] = .number(v.planeAngleDeg)
            truth.acquisition[key + "BreathHoldShiftMm"] = .vectors([v.breathHoldShiftMm])
            truth.acquisition[key + "BreathHoldRotationDeg"] = .vectors([v.breathHoldRotationDeg])
        }

        if previews {
            try Previews.write(images: images, truth: truth, pathFor: path)
        }
        let xrayCase = try xrayWork?.wait()
        xrayCase?.record(into: &truth)
        if xrayCase != nil, let cathLab = spec.cathLabSpec {
            truth.xray?["cathLab"] = .object([
                "model": .text("the X-ray images, veins, lead and landmarks are those of the heart under another loading (docs/fluoroscopy.md, Non-rigid change)"),
                "volumeChange": .number(cathLab.xray.cathLabVolumeChange ?? 0),
                "edvMl": .number(cathLab.anatomy.edvMl),
                "wallThicknessMm": .number(cathLab.anatomy.wallThicknessMm),
            ])
        }

        try images.acquisition.write(to: path("cmr/acquisition.json"))
        try FileOutput.writeJSON(truth, to: path("truth/truth.json"))
        try FileOutput.writeJSON(spec, to: path("truth/phantom.json"))
        if let xc = xrayCase {
            try writeXRay(xc, path: path)
            if let mu = xc.muVolume {
                try NIfTI.write(mu, to: path("truth/xray-mu.nii.gz"), description: "crtsim X-ray mu 1/mm f0 venogram f1 lead")
            }
        }
        let manifest: [String: String] = [
            "generator": "crtsim \(generatorVersion)", "phantom": spec.name, "seed": String(seed),
        ]
        try FileOutput.writeJSON(manifest, to: path("crtsim-case.json"))
        try writer.wait()

        try folder.commit()
        return Summary(outputDirectory: folder.destination.path, truth: truth, files: folder.files.sorted())
    }

    /// Writes `xray/` and `operator/` for one X-ray case.
    static func writeXRay(_ xc: XRayCase, path: (String) throws -> String) throws {
        for v in xc.views {
            let view = v.view
            let grid = ImageGrid(size: [view.columns, view.rows, 1], patientFromVoxel: Affine3D(
                linear: Mat3(rows: Vec3(view.columnSpacingMm, 0, 0), Vec3(0, view.rowSpacingMm, 0), Vec3(0, 0, 1)),
                translation: .zero))
            let window = percentileWindow(v.venogram, low: 0.5, high: 99.5)
            for state in XRayState.allCases {
                let image = v.image(state)
                // A venogram run is one file with the frames on the fourth axis (pixdim[4] = frame interval, ms).
                let volume = state == .venogram && v.venogramFrames.count > 1
                    ? ImageVolume(grid: grid, frames: v.venogramFrames.count, frameIntervalMs: v.run?.venogramFrameIntervalMs ?? 1,
                                  data: Array(v.venogramFrames.joined()))
                    : ImageVolume(grid: grid, data: image)
                try NIfTI.write(volume, to: path("xray/\(view.name)-\(state.rawValue).nii.gz"),
                                description: "crtsim XA \(view.name) \(state.rawValue) -ln(I/I0)")
                // The PNG shows the clicked frame.
                try PNG16.write(image: image, width: view.columns, height: view.rows, window: window, inverted: true,
                                to: path("xray/\(view.name)-\(state.rawValue).png"))
            }
            try FileOutput.writeJSON(view, to: path("xray/\(view.name).json"))
            if let run = v.run { try FileOutput.writeJSON(run, to: path("xray/\(view.name)-ecg.json")) }
        }
        for c in xc.clicks {
            try FileOutput.writeJSON(c, to: path("operator/clicks-\(c.view).json"))
        }
        // The implant record names the lead model; its electrode positions come from the manufacturer's manual.
        if let m = xc.lead.model {
            try FileOutput.writeJSON(ImplantedLeadRecord(model: m.name, electrodeOffsetsFromDistalEndMm: m.electrodeOffsetsMm,
                                                         electrodeLengthsMm: m.electrodeLengthsMm),
                                     to: path("operator/lead.json"))
        }
    }

    /// operator/lead.json: the implanted LV lead as the implanter records it (model) with its electrode layout.
    struct ImplantedLeadRecord: Codable {
        var model: String
        var electrodeOffsetsFromDistalEndMm: [Double]
        var electrodeLengthsMm: [Double]
    }

    /// The values at two percentiles (0...100) of an image (display window): the order statistics at or below the
    /// positions (NumPy method "lower"), so both ends are pixel values.
    static func percentileWindow(_ image: [Float], low: Double, high: Double) -> (lo: Float, hi: Float) {
        let sorted = image.sorted()
        let lo = percentile(sorted: sorted, low, method: .lower), hi = percentile(sorted: sorted, high, method: .lower)
        return (lo, max(hi, lo + 1e-6))
    }
}

extension CaseGenerator {
    /// Per cine slice and phase, what the slice cuts near the base (HeartModel.basalContent): LV cavity and
    /// atrial blood areas (mm^2) and the LV fraction of the blood, arrays over phases, keyed "slice<k>" (1-based).
    /// Slices wholly below the annulus have lvFraction 1.
    static func sliceContent(heart: HeartModel, images: CMRImages) -> AnyCodableValue {
        let grid = images.cine.grid
        let m = grid.patientFromVoxel
        let normal = Vec3(m.linear.r0.z, m.linear.r1.z, m.linear.r2.z).normalized
        let ci = Double(grid.size[0] - 1) / 2, cj = Double(grid.size[1] - 1) / 2
        let slices = grid.size[2], times = images.phaseTimesMs
        // The heart's state once per phase, then one job per slice and phase (independent; the result does not
        // depend on scheduling).
        let states = ParallelOutput<HeartState?>(count: times.count, initial: nil)
        DispatchQueue.concurrentPerform(iterations: times.count) { p in
            states.range(p..<(p + 1))[0] = heart.state(atMs: times[p])
        }
        let stateAt = states.array.map { $0! }
        let contents = ParallelOutput<SliceContent?>(count: slices * times.count, initial: nil)
        DispatchQueue.concurrentPerform(iterations: slices * times.count) { job in
            let k = job / times.count, p = job % times.count
            let shift = k < images.cineShiftsMm.count ? images.cineShiftsMm[k] : .zero
            let point = m.apply(Vec3(ci, cj, Double(k))) - shift
            contents.range(job..<(job + 1))[0] = heart.basalContent(planePoint: point, normal: normal, state: stateAt[p],
                                                                    stepMm: 1.5)
        }
        let all = contents.array
        var out: [String: AnyCodableValue] = [:]
        for k in 0..<slices {
            var lv: [Double] = [], atrial: [Double] = [], fraction: [Double] = [], outflow: [Double] = []
            for p in times.indices {
                let c = all[k * times.count + p]!
                lv.append(c.lvCavityMm2); atrial.append(c.atrialMm2); fraction.append(c.lvFraction)
                outflow.append(c.outflowTractMm2)
            }
            out["slice\(k + 1)"] = .object(["lvCavityMm2": .numbers(lv), "atrialMm2": .numbers(atrial),
                                           "lvFraction": .numbers(fraction), "outflowTractMm2": .numbers(outflow)])
        }
        return .object(out)
    }
}
