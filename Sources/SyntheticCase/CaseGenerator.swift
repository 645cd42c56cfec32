import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom
import ImageIO
import SegmentModel

/// Writes one synthetic case folder:
/// - `cmr/`: what the scanner produces, the only input of the pipeline (cine.nii.gz, lge.nii.gz,
///   acquisition.json); never any truth.
/// - `truth/`: truth.json (DOMAIN.md section 7 vocabulary), phantom.json (the resolved phantom), and label volumes
///   on the image grids.
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
                                previews: Bool = true) throws -> Summary {
        let folder = try StagedFolder(out: out, replace: replace, marker: "crtsim-case.json", kind: "a crtsim case")
        let heart = HeartModel(spec: spec)
        let images = CMRSimulator(heart: heart, seed: seed).simulate()
        var truth = heart.groundTruth(phaseTimesMs: images.phaseTimesMs)
        truth.acquisition = [
            "cineBreathHoldShiftsMm": .vectors(images.cineShiftsMm),
            "lgeBreathHoldShiftsMm": .vectors(images.lgeShiftsMm),
            "cineNoiseSD": .number(images.cineNoiseSD),
            "lgeNoiseSD": .number(images.lgeNoiseSD),
            "cineMyocardiumSignal": .number(images.cineMyocardiumSignal),
            "lgeScarSignal": .number(images.lgeScarSignal),
            "inversionTimeMs": .number(images.inversionTimeMs),
            "nullInversionTimeMs": .number(images.nullInversionTimeMs),
            "seed": .number(Double(seed)),
        ]

        let path = folder.path
        try NIfTI.write(images.cine, to: path("cmr/cine.nii.gz"), description: "crtsim cine bSSFP")
        try NIfTI.write(images.lge, to: path("cmr/lge.nii.gz"), description: "crtsim LGE IR")
        try images.acquisition.write(to: path("cmr/acquisition.json"))
        try FileOutput.writeJSON(truth, to: path("truth/truth.json"))
        try FileOutput.writeJSON(spec, to: path("truth/phantom.json"))
        try NIfTI.write(images.cineLabels, to: path("truth/cine-labels.nii.gz"), description: "crtsim tissue labels")
        try NIfTI.write(images.cineSegmentsED, to: path("truth/cine-segments-ed.nii.gz"), description: "crtsim 36-segment ids ED")
        try NIfTI.write(images.lgeScar, to: path("truth/lge-scar.nii.gz"), description: "crtsim scar 1 border 2 core")
        try NIfTI.write(images.lgeLabels, to: path("truth/lge-labels.nii.gz"), description: "crtsim tissue labels LGE")
        try NIfTI.write(images.lgeSegments, to: path("truth/lge-segments.nii.gz"), description: "crtsim 36-segment ids LGE")
        if previews {
            try Previews.write(images: images, truth: truth, pathFor: path)
        }
        let manifest: [String: String] = [
            "generator": "crtsim \(generatorVersion)", "phantom": spec.name, "seed": String(seed),
        ]
        try FileOutput.writeJSON(manifest, to: path("crtsim-case.json"))

        try folder.commit()
        return Summary(outputDirectory: folder.destination.path, truth: truth, files: folder.files.sorted())
    }
}
