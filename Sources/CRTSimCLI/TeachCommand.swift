import ArgumentParser
import CRTCore
import FluoroGuidance
import Foundation
import HeartPhantom
import ImageIO
import SyntheticCase
import Teaching

/// `crtsim teach`: one generated case walked through step by step on an HTML page, for educators.
struct TeachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teach",
        abstract: "Generate a case, analyse it as 'analyze' does and explain it step by step on one HTML page.",
        discussion: """
        Writes DIR/index.html (one self-contained page: LGE with an adjustable FWHM threshold, strain curves and the \
        4D-MAP, why each segment was or was not a target, the fluoroscopy overlays and the lead, and the truth for the \
        educator), DIR/case/ (the generated case, as 'crtsim phantom' writes it) and DIR/analysis/ (as 'crtsim analyze' \
        writes it; the pipeline reads the images only). Open index.html in a browser; it needs no network.
        """)

    /// Largest seed accepted (2^31 - 1).
    static let maximumSeed = 2_147_483_647
    /// The file that marks a folder written by `crtsim teach`.
    static let marker = "crtsim-teach.json"

    @Option(name: .long, help: "Preset name from Phantoms/ (see 'crtsim presets').")
    var preset: String

    @Option(name: .long, parsing: .unconditional, help: "Random seed (integer from 0 to 2147483647).")
    var seed: Int

    @Option(name: .long, help: "Output folder (must not exist, or be empty; a teaching folder is replaced with --force).")
    var out: String

    @Flag(name: .long, help: "Replace an existing teaching folder (one holding crtsim-teach.json).")
    var force = false

    func run() throws {
        guard (0...Self.maximumSeed).contains(seed) else {
            throw InputError("--seed: \(seed) is out of range: expected an integer from 0 to \(Self.maximumSeed)")
        }
        let file = try PresetLibrary.path(of: preset)
        let text = try InputFile.readText(file, what: "phantom file")
        let spec = try PhantomSpec.load(yaml: text, file: file)
        let folder = try StagedFolder(out: out, replace: force, marker: Self.marker, kind: "a crtsim teaching folder")
        let start = Date()
        let casePath = folder.staging.appendingPathComponent("case").path
        let generated = try CaseGenerator.generate(spec: spec, seed: UInt64(seed), out: casePath, xrayVolume: false)
        // The pipeline part runs exactly as `crtsim analyze` does: on the case's images, never its truth.
        let analysis = try CaseAnalysis.run(cmrFolder: casePath + "/cmr")
        let analysisPath = folder.staging.appendingPathComponent("analysis").path
        _ = try analysis.write(to: analysisPath, replace: false)
        let t = generated.truth
        let truth = TeachingPage.Truth(primaryTarget: t.primaryTarget, lmaTargets: t.lmaTargets, scarBurdenPercent: t.scarBurdenPercent,
                                       scarredSegments: t.segments.filter(\.scarred).map(\.id), lead: t.lead)
        let page = TeachingPage(caseTitle: "\(preset), seed \(seed)", analysis: analysis, analysisFolder: analysisPath, truth: truth)
        try page.write(to: folder.path("index.html"))
        try FileOutput.writeJSON(["preset": preset, "seed": String(seed), "software": "crtsim teach \(CRTSim.configuration.version)"],
                                 to: folder.path(Self.marker))
        try folder.commit()
        let r = analysis.output.result
        print("crtsim teach: \(preset), seed \(seed), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        print("  primary target: \(r.primaryTarget.map(String.init) ?? "none") (truth \(t.primaryTarget.map(String.init) ?? "none"))")
        print("  page: \(folder.destination.path)/index.html")
    }
}
