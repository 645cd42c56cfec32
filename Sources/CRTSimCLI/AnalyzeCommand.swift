import ArgumentParser
import CRTCore
import FluoroGuidance
import Foundation
import GuidancePipeline
import ImageIO
import SegmentModel

/// `crtsim analyze`: the guidance pipeline on one case's CMR images.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Run the guidance pipeline on a case's CMR images (cmr/ only; truth/ is never read).",
        discussion: """
        Reads CASE_DIR/cmr/ (cine.nii.gz, lge.nii.gz, acquisition.json) and writes DIR/analysis.json (the keys of \
        truth.json for the same quantities; schema in docs/analysis-schema.md), DIR/labels/ (scar mask and segment \
        map on the LGE grid), DIR/mesh/ and DIR/figures/.
        """)

    @Argument(help: "Case folder holding cmr/ (or the cmr/ folder itself).")
    var caseDir: String

    @Option(name: .long, help: "Output folder (must not exist, or be empty; an analysis is replaced with --force).")
    var out: String

    @Flag(name: .long, help: "Replace an existing analysis folder.")
    var force = false

    @Option(name: .customLong("config"), help: "Pipeline settings as JSON: the `configuration` object of an analysis.json (every stage's settings); options below override it.")
    var configFile: String?

    @Option(name: .long, parsing: .unconditional, help: "FWHM scar threshold as a fraction of the brightest myocardial voxel (0.05-0.95; default 0.5).")
    var scarThreshold: Double?

    @Option(name: .long, help: "Scar method: fwhm (default) or nSD.")
    var scarMethod: String?

    @Option(name: .long, parsing: .unconditional, help: "n for the nSD scar method: remote median + n robust SD (1-10; default 5).")
    var nSd: Double?

    @Option(name: .long, help: "Erase mask NIfTI on the LGE grid: non-zero voxels are never scar.")
    var eraseMask: String?

    @Option(name: .long, help: "JSON file {\"anterior\": [x, y, z], \"inferior\": [x, y, z]} with RV insertion points (LPS mm), used instead of the automatic ones.")
    var rvInsertion: String?

    @Option(name: .long, help: "JSON file of operator contours (LPS mm) used instead of the automatic ones on their slices; format in docs/analysis-schema.md.")
    var contours: String?

    @Flag(name: .long, help: "Skip the fluoroscopy stage even when CASE_DIR/xray/ exists.")
    var noFluoroscopy = false

    @Flag(name: .long, help: "Register on the landmarks alone (no refinement on the venogram vessels).")
    var noVesselRefinement = false

    func run() throws {
        var config = try configFile.map(Self.readConfiguration) ?? PipelineConfiguration()
        if let v = scarThreshold {
            guard v.isFinite, (0.05...0.95).contains(v) else { throw InputError("--scar-threshold: expected a fraction from 0.05 to 0.95") }
            config.scar.thresholdFraction = v
        }
        if let m = scarMethod {
            guard let method = ScarDetection.Method(rawValue: m) else {
                throw InputError("--scar-method: '\(m)' is not one of fwhm, nSD")
            }
            config.scar.method = method
        }
        if let v = nSd {
            guard v.isFinite, (1...10).contains(v) else { throw InputError("--n-sd: expected a number from 1 to 10") }
            config.scar.nSD = v
        }
        var inputs = OperatorInputs()
        if let e = eraseMask { inputs.eraseMask = try NIfTI.read(e) }
        if let f = rvInsertion { inputs.rvInsertionPointsMm = try Self.readPoints(f) }
        if let f = contours { inputs.contours = try ManualContours.load(f); inputs.contoursSource = f }
        let cmr = Self.cmrFolder(caseDir)
        let start = Date()
        var fusionSettings = DualViewFusion.Settings()
        fusionSettings.refineOnImages = !noVesselRefinement
        let analysis = try CaseAnalysis.run(cmrFolder: cmr, configuration: config, operator: inputs,
                                            fusion: noFluoroscopy ? nil : fusionSettings)
        let files = try analysis.write(to: out, replace: force)
        let output = analysis.output
        let r = output.result
        print("crtsim analyze: \(cmr), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        print(String(format: "  EDV %.1f mL, ESV %.1f mL, EF %.1f %%, scar burden %.1f %%", r.edvMl, r.esvMl, 100 * r.ef, r.scarBurdenPercent))
        print("  primary target: \(r.primaryTarget.map { "\($0) (\(r.segments[$0 - 1].name))" } ?? "none: \(r.targetStatus)")")
        print("  LMA sites: \(r.lmaTargets.map(String.init).joined(separator: ", "))")
        if let fusion = analysis.fusion { for line in Self.fusionSummary(fusion) { print(line) } }
        if let why = analysis.notRegistered {
            print("  registration: not done (analysis.json has no heartPose)")
            CRTSim.printWarning("analyze: \(cmr): the views are not registered: \(why)")
        }
        print("  analysis: \(URL(fileURLWithPath: out).standardizedFileURL.path)/analysis.json (\(files.count) files)")
    }

    /// Lines about the fluoroscopy stage: registration residuals, lead position, warnings.
    static func fusionSummary(_ fusion: DualViewFusion.Output) -> [String] {
        var lines: [String] = []
        let reg = fusion.record.registration
        let rms = { (d: [String: Double]) in (d.values.reduce(0) { $0 + $1 * $1 } / Double(max(d.count, 1))).squareRoot() }
        lines.append(String(format: "  registration: %@, click RMS %.1f px (landmarks %.1f px), %.1f s", reg.method, rms(reg.finalResidualsPx), rms(reg.landmarkResidualsPx), fusion.registrationSeconds))
        if let lead = fusion.lead {
            lines.append("  lead: pacing electrode in segment \(lead.segment36) (\(Segment36(lead.segment36)!.name)), \(lead.category36?.rawValue ?? "no target") (36), \(lead.category18?.rawValue ?? "no target") (18)")
            if let layout = fusion.record.lead.electrodeLayout { lines.append("  lead electrodes: \(layout)") }
        } else {
            lines.append("  lead: \(fusion.record.lead.status)")
        }
        for w in fusion.record.warnings { lines.append("  warning: \(w)") }
        return lines
    }

    /// CASE_DIR/cmr when it exists, else CASE_DIR itself if it holds acquisition.json.
    static func cmrFolder(_ dir: String) -> String {
        let url = URL(fileURLWithPath: dir)
        let cmr = url.appendingPathComponent("cmr")
        if FileManager.default.fileExists(atPath: cmr.appendingPathComponent("acquisition.json").path) { return cmr.path }
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("acquisition.json").path) { return url.path }
        return cmr.path
    }

    static func readConfiguration(_ path: String) throws -> PipelineConfiguration {
        let data = try InputFile.read(path, what: "pipeline configuration (JSON)")
        do { return try JSONDecoder().decode(PipelineConfiguration.self, from: data) } catch let DecodingError.keyNotFound(key, ctx) {
            throw InputError("\(path): \((ctx.codingPath + [key]).map(\.stringValue).joined(separator: ".")): missing (copy the configuration object of an analysis.json)")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw InputError("\(path): \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): wrong type")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw InputError("\(path): \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch {
            throw InputError("\(path): not a pipeline configuration (JSON object with localization, contours, geometry, scar, motion, decision)")
        }
    }

    static func readPoints(_ path: String) throws -> [String: Vec3] {
        let data = try InputFile.read(path, what: "RV insertion file (JSON)")
        guard let points = try? JSONDecoder().decode([String: Vec3].self, from: data) else {
            throw InputError("\(path): expected {\"anterior\": [x, y, z], \"inferior\": [x, y, z]} in mm")
        }
        guard points["anterior"] != nil else { throw InputError("\(path): anterior: required ([x, y, z] mm, LPS)") }
        guard points.values.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) else {
            throw InputError("\(path): coordinates must be finite numbers (mm)")
        }
        return points
    }
}

