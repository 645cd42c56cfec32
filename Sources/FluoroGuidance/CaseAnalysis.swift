import CRTCore
import Foundation
import GuidancePipeline
import ImageIO

/// The `crtsim analyze` flow on one case folder, shared by the commands that analyse a case (`analyze`,
/// `teach`): the CMR pipeline on `cmr/`, then, when `xray/` exists beside it, the dual-view fusion that adds the
/// heart pose, the views and the lead position to the result. Reads images, scanner and C-arm metadata and the
/// operator's clicks only, never `truth/`.
public struct CaseAnalysis {
    /// The CMR images the pipeline read.
    public var study: CMRStudy
    /// The pipeline output, with the fusion's pose, views, lead and record filled in when it ran.
    public var output: GuidancePipeline.Output
    /// The fluoroscopy study and the fusion result; nil when there is no `xray/` or the stage was skipped.
    public var fluoroscopy: FluoroStudy?
    public var fusion: DualViewFusion.Output?
    /// Why the views could not be registered (`RegistrationNotPossible`: too few landmarks clicked in two views);
    /// nil when they were, or when there is no fluoroscopy stage. The CMR result stands; analysis.json has no
    /// `heartPose` and its `notes` say why.
    public var notRegistered: String?
    /// Writers of the files beside analysis.json: meshes, figures and (with fusion) `figures/overlay-<view>.png`.
    public var products: [AnalysisProducts.Writer]
    /// Wall-clock seconds of the stages, written to `timing.json` beside analysis.json (never into it, so that
    /// analysis.json is the same bytes on every run).
    public var timing: Timing

    /// Seconds spent in each stage (machine-dependent, not part of the result).
    public struct Timing: Codable, Sendable, Equatable {
        /// The CMR pipeline (load, contours, tracking, scar, activation, targets).
        public var cmrSeconds: Double
        /// The dual-view registration; nil without the fluoroscopy stage.
        public var registrationSeconds: Double?
        /// The whole fluoroscopy stage (reading xray/ and operator/, registration, lead); nil without it.
        public var fluoroscopySeconds: Double?
        public init(cmrSeconds: Double, registrationSeconds: Double? = nil, fluoroscopySeconds: Double? = nil) {
            self.cmrSeconds = cmrSeconds; self.registrationSeconds = registrationSeconds; self.fluoroscopySeconds = fluoroscopySeconds
        }
    }

    /// Runs the pipeline on `cmrFolder` and, unless `fusion` is nil or there is no `xray/` folder beside
    /// `cmrFolder`, the fluoroscopy stage with `operator/` clicks.
    /// - Parameters:
    ///   - cmrFolder: the case's `cmr/` folder.
    ///   - configuration: pipeline settings.
    ///   - inputs: the operator's corrections (erase mask, RV insertion points, contours).
    ///   - fusion: dual-view fusion settings; nil skips the fluoroscopy stage.
    ///   - study: the CMR images of `cmrFolder` when already loaded (a second observer on the same case).
    ///   - operatorFolder: the folder of the operator's clicks (default `operator/` beside `cmrFolder`).
    /// - Throws: `InputError` for unreadable or inconsistent inputs. Clicks too few to register the views are not
    ///   an error: the result has the CMR analysis and `notRegistered` says why.
    public static func run(cmrFolder: String, configuration: PipelineConfiguration = PipelineConfiguration(),
                           operator inputs: OperatorInputs = OperatorInputs(),
                           fusion settings: DualViewFusion.Settings? = DualViewFusion.Settings(),
                           study loaded: CMRStudy? = nil, operatorFolder: String? = nil) throws -> CaseAnalysis {
        let start = Date()
        let root = URL(fileURLWithPath: cmrFolder).deletingLastPathComponent()
        let xray = root.appendingPathComponent("xray").path
        let operatorDirectory = operatorFolder ?? root.appendingPathComponent("operator").path
        // The fluoroscopy study is read, and its image maps that do not depend on the CMR model computed
        // (`DualViewFusion.studyMaps`), on another thread while the CMR is analysed; its errors still come after
        // the CMR stage's, as in a serial run.
        let fluoroLoad = settings != nil && FileManager.default.fileExists(atPath: xray)
            ? BackgroundWork { () throws -> (FluoroStudy, DualViewFusion.StudyMaps) in
                let study = try FluoroStudy.load(xrayDirectory: xray, operatorDirectory: operatorDirectory)
                return (study, DualViewFusion(settings: settings!).studyMaps(study))
            } : nil
        defer { _ = try? fluoroLoad?.wait() }
        let study = try loaded ?? CMRStudy.load(cmrDirectory: cmrFolder)
        var output = try GuidancePipeline(configuration: configuration).run(study, operator: inputs)
        let cmrSeconds = Date().timeIntervalSince(start)
        var products = AnalysisProducts.all(output)
        guard let settings, let fluoroLoad else {
            return CaseAnalysis(study: study, output: output, fluoroscopy: nil, fusion: nil, notRegistered: nil, products: products,
                                timing: Timing(cmrSeconds: cmrSeconds))
        }
        let fluoroStart = Date()
        let (fluoro, maps) = try fluoroLoad.wait()
        let fusion: DualViewFusion.Output
        do {
            fusion = try DualViewFusion(settings: settings).run(fluoro, cmr: output, maps: maps)
        } catch let e as RegistrationNotPossible {
            output.result.notes.append(notRegisteredNote + e.reason)
            products = AnalysisProducts.all(output)
            return CaseAnalysis(study: study, output: output, fluoroscopy: fluoro, fusion: nil, notRegistered: e.reason,
                                products: products,
                                timing: Timing(cmrSeconds: cmrSeconds, fluoroscopySeconds: Date().timeIntervalSince(fluoroStart)))
        }
        fusion.record(into: &output)
        products.append(fusion.overlayWriter(study: fluoro, cmr: output))
        return CaseAnalysis(study: study, output: output, fluoroscopy: fluoro, fusion: fusion, notRegistered: nil, products: products,
                            timing: Timing(cmrSeconds: cmrSeconds, registrationSeconds: fusion.registrationSeconds,
                                           fluoroscopySeconds: Date().timeIntervalSince(fluoroStart)))
    }

    /// The start of the note in analysis.json `notes` when the views could not be registered; the reason follows.
    public static let notRegisteredNote = "fluoroscopy: not registered: "

    /// Relative path of a view's overlay figure in an analysis folder.
    public static func overlayPath(view: String) -> String { "figures/overlay-\(view).png" }

    /// Writes the analysis folder (analysis.json, labels, products, timing.json) to `out`; see `AnalysisWriter.write`.
    /// - Returns: the relative paths written, sorted.
    public func write(to out: String, replace: Bool) throws -> [String] {
        let timing = self.timing
        let timingWriter: AnalysisProducts.Writer = { path in try FileOutput.writeJSON(timing, to: try path("timing.json")) }
        return try AnalysisWriter.write(output, to: out, replace: replace, extras: products + [timingWriter])
    }
}
