import CRTCore
import FluoroGuidance
import Foundation
import GuidancePipeline
import SegmentModel
import WebOutput

/// One case explained step by step for teaching (`crtsim teach`): a single self-contained HTML page (no network;
/// figures as data URIs, scripts inline) that walks through the pipeline's result on one case: LGE and the FWHM
/// threshold (a live slider), strain curves and the 4D-MAP, why each segment was or was not a target, the
/// fluoroscopy overlays and the lead, and, for the educator, the truth beside the estimate.
///
/// The page shows what the pipeline computed from the images (`CaseAnalysis`, the `analyze` flow) and the
/// figures it wrote into its analysis folder; only `truth`, filled in by the caller, comes from the generator.
public struct TeachingPage {
    /// What the generator knows, shown in the educator's box at the end.
    public struct Truth: Sendable, Equatable {
        public var primaryTarget: Int?
        public var lmaTargets: [Int]
        public var scarBurdenPercent: Double
        public var scarredSegments: [Int]
        /// The true lead position (segment and category against the true target).
        public var lead: LeadPosition?
        public init(primaryTarget: Int?, lmaTargets: [Int], scarBurdenPercent: Double, scarredSegments: [Int], lead: LeadPosition?) {
            self.primaryTarget = primaryTarget; self.lmaTargets = lmaTargets; self.scarBurdenPercent = scarBurdenPercent
            self.scarredSegments = scarredSegments; self.lead = lead
        }
    }

    /// Heading of the page, e.g. "ischemic-posterolateral, seed 7".
    public var caseTitle: String
    public var analysis: CaseAnalysis
    /// The analysis folder written from `analysis` (its `figures/` are embedded).
    public var analysisFolder: String
    public var truth: Truth?

    /// Element ids the tests and the page's status script rely on.
    public static let bullseyeElementId = "bullseye-activation"
    public static let statusAttribute = "data-teach-status"
    public static let bullseyeRectAttribute = "data-bullseye-rect"

    public init(caseTitle: String, analysis: CaseAnalysis, analysisFolder: String, truth: Truth?) {
        self.caseTitle = caseTitle; self.analysis = analysis; self.analysisFolder = analysisFolder; self.truth = truth
    }

    /// Writes the page to `path` (atomically).
    public func write(to path: String) throws {
        try Data(html().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The page. Same analysis and figures give the same bytes.
    /// - Throws: `InputError` when a figure of the analysis folder is missing.
    public func html() throws -> String {
        let r = analysis.output.result
        let decision = r.configuration.decision
        let reasons = decision.reasons(r.segments)
        var page = Self.head(title: "crtsim teach: \(caseTitle)")
        page += "<h1>How the pipeline chose a CRT lead target: \(HTML.escape(caseTitle))</h1>\n"
        page += "<p class=\"lead\">One synthetic patient, analysed by the crtsim guidance pipeline on its images alone "
            + "(CMR cine and LGE, then two fluoroscopy views), exactly as <code>crtsim analyze</code> does. Five steps follow "
            + "the clinical method: scar, mechanical activation, the target choice, the fusion with fluoroscopy and the lead.</p>\n"
        page += try stepLGE()
        page += try stepActivation()
        page += try stepTargets(reasons: reasons, decision: decision)
        page += try stepLead()
        page += stepTruth()
        page += "<p id=\"teach-status\" class=\"status\">page script not run</p>\n"
        page += "<script>\n" + Self.script + "\n</script>\n</body>\n</html>\n"
        return page
    }

    // MARK: steps

    func stepLGE() throws -> String {
        let out = analysis.output, s = out.result.scar, settings = out.result.configuration.scar
        var h = "<section id=\"step1\"><h2>Step 1. Scar on LGE: the FWHM threshold</h2>\n"
        h += "<p>Late gadolinium enhancement (LGE) nulls healthy myocardium; scar holds gadolinium and is bright. The "
            + "full-width-at-half-maximum (FWHM) rule finds the brightest pixel inside the myocardium and calls every "
            + "myocardial pixel at or above a fraction of it (half, by default) scar. The myocardium (green outline) is "
            + "the pipeline's own, carried from the cine contours onto the LGE slices; the pixels are the LGE images it read.</p>\n"
        guard let slices = LGETeachingSlices(lge: analysis.study.lge, segmentMap: out.scar.segmentMap, scarMask: out.scar.scarMask,
                                             reference: out.scar.brightestSignal) else {
            return h + "<p>The pipeline found no myocardium on the LGE slices.</p></section>\n"
        }
        let fraction = min(max(settings.thresholdFraction, 0.2), 0.9)
        h += "<div class=\"row\"><div><canvas id=\"lge\" width=\"440\" height=\"440\"></canvas>"
        h += "<div id=\"lge-levels\" class=\"levels\"></div></div>\n<div class=\"panel\">"
        h += "<label for=\"threshold\">FWHM threshold: <b id=\"threshold-value\"></b> of the brightest myocardial signal</label><br>"
        h += "<input id=\"threshold\" type=\"range\" min=\"0.2\" max=\"0.9\" step=\"0.01\" value=\"\(fmt(fraction, 2))\">\n"
        h += "<p><span class=\"swatch\" style=\"background:#ff3c28\"></span>myocardium at or above the threshold (before the presence gate)<br>"
        h += "<label><input id=\"show-pipeline\" type=\"checkbox\"> show instead the pipeline's final scar "
            + "<span class=\"swatch\" style=\"background:#ffd21f\"></span>(after its presence gate)</label></p>\n"
        h += "<p id=\"burden\"></p>\n"
        h += "<table class=\"facts\"><tr><th>method the pipeline used</th><td>\(HTML.escape(s.method))"
            + (s.method == ScarDetection.Method.fwhm.rawValue ? ", fraction \(fmt(settings.thresholdFraction, 2))" : ", n = \(fmt(settings.nSD, 1)) SD") + "</td></tr>"
        h += "<tr><th>brightest myocardial signal (FWHM reference)</th><td>\(sig(out.scar.brightestSignal))</td></tr>"
        h += "<tr><th>threshold signal</th><td>\(sig(s.thresholdSignal))</td></tr>"
        h += "<tr><th>remote myocardium</th><td>median \(sig(s.remoteMedian)), robust SD \(sig(s.remoteSD))</td></tr>"
        h += "<tr><th>presence gate</th><td>\(HTML.escape(s.status))</td></tr>"
        h += "<tr><th>scar burden (pipeline)</th><td>\(fmt(out.result.scarBurdenPercent, 1)) % of \(fmt(s.myocardialVolumeMl, 1)) mL myocardium</td></tr></table>\n"
        h += "<p class=\"note\">Why a gate? On scar-free LGE the brightest myocardial pixel is noise, and half of it labels about a "
            + "tenth of the wall. The pipeline keeps a connected cluster only if its mean exceeds the remote median + "
            + "\(fmt(settings.gateSDs, 0)) SD, reaches the blood level and the inner half of the wall, and is at least "
            + "\(fmt(settings.minClusterVolumeMl, 1)) mL. Move the slider down on a scar-free case to see the noise appear.</p>"
        h += "</div></div>\n"
        h += "<script id=\"lge-data\" type=\"application/json\">\(lgeJSON(slices, fraction: fraction))</script>\n</section>\n"
        return h
    }

    func stepActivation() throws -> String {
        let r = analysis.output.result
        var h = "<section id=\"step2\"><h2>Step 2. Mechanical activation: radial strain and the 4D-MAP</h2>\n"
        h += "<p>Feature tracking follows the endo- and epicardial contours through the cine cycle. Radial strain is the "
            + "relative wall thickening, (thickness(t) - thickness(ED)) / thickness(ED). A segment's <b>activation time</b> "
            + "is the first time its mean radial strain reaches 50 % of its own systolic peak (dots), in ms after the R wave. "
            + "Late mechanical activation (LMA) sites are where the wall thickens last.</p>\n"
        h += "<img class=\"figure\" alt=\"radial strain curves per segment\" src=\"\(try dataURI("figures/strain-curves.png"))\">\n"
        h += "<p>The 4D mechanical activation plot shows the same strain over time on the bullseye and on the LV surface: "
            + "press Play or drag the slider (\(r.curveTimesMs.count) cine frames).</p>\n"
        let map = try String(contentsOfFile: figure("figures/4d-map.html"), encoding: .utf8)
        let hooked = map.replacingOccurrences(of: "<head>", with: "<head>\n<script>" + Self.frameErrorHook + "</script>\n<style>" + Self.frameStyle + "</style>")
        h += "<iframe id=\"fourdmap\" title=\"4D-MAP\" srcdoc=\"\(HTML.escape(hooked))\"></iframe>\n</section>\n"
        return h
    }

    func stepTargets(reasons: [SegmentReason], decision: DecisionModel) throws -> String {
        let r = analysis.output.result
        var h = "<section id=\"step3\"><h2>Step 3. The 36-segment target choice</h2>\n"
        h += "<div id=\"\(Self.bullseyeElementId)\" class=\"bullseye\"><img alt=\"36-segment bullseye of activation time\" "
            + "width=\"760\" height=\"640\" src=\"\(try dataURI("figures/bullseye-activation.png"))\"></div>\n"
        h += "<p>The LV is cut into 36 segments: 3 rings (basal outside, apical inside) of 12 sectors, counted from the "
            + "anterior RV insertion. The decision model is the same for the truth and the pipeline: a segment is "
            + "<b>eligible</b> unless it is scarred (scar core at least \(pct(decision.scarFractionThreshold)) of the segment), "
            + "its peak radial strain is below \(pct(decision.minPeakRadialStrain)) (TARGET trial) or its activation is not measurable. "
            + "The \(decision.lmaCount) latest activated eligible segments are the LMA sites (numbered badges); the latest is the "
            + "<b>primary target</b> (star). Hatching marks scarred segments.</p>\n"
        h += "<p class=\"result\">Primary target: <b>\(r.primaryTarget.map { "\($0) (\(HTML.escape(Segment36($0)!.name)))" } ?? "none")</b>"
            + "; LMA sites: \(r.lmaTargets.isEmpty ? "none" : r.lmaTargets.map(String.init).joined(separator: ", "))"
            + "; status: \(HTML.escape(r.targetStatus)).</p>\n"
        h += "<div class=\"row\"><img class=\"half\" alt=\"scar bullseye\" src=\"\(try dataURI("figures/bullseye-scar.png"))\">"
            + "<img class=\"half\" alt=\"peak strain bullseye\" src=\"\(try dataURI("figures/bullseye-peak-strain.png"))\"></div>\n"
        h += "<h3>Why each segment was or was not a target</h3>\n<table class=\"segments\"><thead><tr><th>id</th><th>segment</th>"
            + "<th>scar fraction</th><th>transmurality</th><th>peak radial strain</th><th>activation (ms)</th><th>scarred</th>"
            + "<th>LMA</th><th>reason</th></tr></thead><tbody>\n"
        for (s, reason) in zip(r.segments, reasons) {
            let cls: String
            switch reason.verdict {
            case .primaryTarget: cls = "primary"
            case .lmaSite: cls = "lma"
            case .eligibleNotLatest: cls = "eligible"
            case .excluded: cls = "excluded"
            }
            h += "<tr class=\"\(cls)\"><td>\(s.id)</td><td>\(HTML.escape(s.name))</td><td>\(pct(s.scarFraction))</td>"
                + "<td>\(pct(s.transmurality))</td><td>\(fmt(100 * s.peakRadialStrain, 1)) %</td>"
                + "<td>\(s.activationTimeMs.map { fmt($0, 0) } ?? "-")</td><td>\(s.scarred ? "yes" : "no")</td>"
                + "<td>\(reason.lmaRank.map(String.init) ?? "")</td><td>\(HTML.escape(reason.text))</td></tr>\n"
        }
        h += "</tbody></table>\n</section>\n"
        return h
    }

    func stepLead() throws -> String {
        let r = analysis.output.result
        var h = "<section id=\"step4\"><h2>Step 4. Fusion with fluoroscopy, and where the lead went</h2>\n"
        if let why = analysis.notRegistered {
            return h + "<p>The venograms could not be registered to the CMR model, so there is no overlay and no lead "
                + "position: \(HTML.escape(why)).</p></section>\n"
        }
        guard let fluoro = analysis.fluoroscopy, let fusion = analysis.fusion else {
            return h + "<p>This case has no fluoroscopy (no <code>xray/</code> folder), so there is no overlay and no lead position.</p></section>\n"
        }
        h += "<p>The CMR model (LV surface with scar and targets painted on it) is registered to two venograms taken "
            + "\(fmt(fusion.record.viewSeparationDegrees, 0)) degrees apart (\(HTML.escape(fluoro.views.map(\.name).joined(separator: " and ")))) "
            + "with anatomical landmarks the operator clicked (coronary sinus ostium, middle cardiac vein, LV contour)"
            + (fusion.record.registration.method.contains("vessel") ? ", refined on the contrast-filled veins" : "")
            + ". The overlay is what the implanter sees live.</p>\n<div class=\"row\">"
        for view in fluoro.views {
            h += "<figure><img class=\"overlay\" alt=\"overlay \(HTML.escape(view.name))\" src=\"\(try dataURI(CaseAnalysis.overlayPath(view: view.name)))\">"
                + "<figcaption>\(HTML.escape(view.name))</figcaption></figure>"
        }
        h += "</div>\n"
        if let lead = fusion.lead {
            let seg = Segment36(lead.segment36)!
            h += "<p class=\"result\">After the implant the lead's electrodes are found on both views and triangulated. The pacing "
                + "electrode (the one nearest the target) lies in segment <b>\(seg.id) (\(HTML.escape(seg.name)))</b>, AHA-18 segment \(seg.aha18).</p>\n"
            if let target = r.primaryTarget.flatMap(Segment36.init) {
                h += "<p>Against the primary target \(target.id) (\(HTML.escape(target.name))): <b>\(lead.category36?.rawValue ?? "-")</b> in the "
                    + "36-segment model and <b>\(lead.category18?.rawValue ?? "-")</b> in the 18-segment model. "
                    + "Within = the same segment; adjacent = sharing an edge or a corner; remote = further away. The 18-segment "
                    + "model merges pairs of segments, so a lead adjacent in 36 segments is often within in 18.</p>\n"
            } else {
                h += "<p>There is no primary target, so the lead has no category.</p>\n"
            }
        } else {
            h += "<p>No lead position: \(HTML.escape(fusion.record.lead.status)).</p>\n"
        }
        for w in fusion.record.warnings { h += "<p class=\"note\">Warning: \(HTML.escape(w))</p>\n" }
        return h + "</section>\n"
    }

    func stepTruth() -> String {
        guard let t = truth else { return "" }
        let r = analysis.output.result
        var h = "<section id=\"step5\" class=\"truth\"><h2>Step 5. For the educator: the truth</h2>\n"
        h += "<p>This patient is synthetic, so its truth is known exactly. The pipeline never saw it (it read the images only); "
            + "this box compares. Each lead category is against the primary target of its own column.</p>\n"
            + "<table class=\"facts\"><tr><th></th><th>truth</th><th>pipeline estimate</th></tr>\n"
        func seg(_ id: Int?) -> String { id.map { "\($0) (\(HTML.escape(Segment36($0)!.name)))" } ?? "none" }
        h += "<tr><th>primary target</th><td>\(seg(t.primaryTarget))</td><td>\(seg(r.primaryTarget))</td></tr>\n"
        h += "<tr><th>LMA sites</th><td>\(t.lmaTargets.map(String.init).joined(separator: ", "))</td><td>\(r.lmaTargets.map(String.init).joined(separator: ", "))</td></tr>\n"
        h += "<tr><th>scar burden</th><td>\(fmt(t.scarBurdenPercent, 1)) %</td><td>\(fmt(r.scarBurdenPercent, 1)) %</td></tr>\n"
        h += "<tr><th>scarred segments</th><td>\(t.scarredSegments.isEmpty ? "none" : t.scarredSegments.map(String.init).joined(separator: ", "))</td>"
            + "<td>\(r.segments.filter(\.scarred).map { String($0.id) }.joined(separator: ", ").nonEmpty ?? "none")</td></tr>\n"
        let lead = { (l: LeadPosition?) in l.map { "segment \(seg($0.segment36)), \($0.category36?.rawValue ?? "-") (36), \($0.category18?.rawValue ?? "-") (18)" } ?? "none" }
        h += "<tr><th>lead (pacing electrode)</th><td>\(lead(t.lead))</td><td>\(lead(r.lead))</td></tr>\n</table>\n"
        if let est = r.primaryTarget.flatMap(Segment36.init), let truthTarget = t.primaryTarget.flatMap(Segment36.init) {
            let (c36, c18) = LeadPosition.categories(lead: est, target: truthTarget)
            h += "<p>The estimated primary target is <b>\(c36?.rawValue ?? "-")</b> (36 segments) and <b>\(c18?.rawValue ?? "-")</b> "
                + "(18 segments) relative to the true one.</p>\n"
        }
        return h + "</section>\n"
    }

    // MARK: helpers

    func figure(_ rel: String) -> String { URL(fileURLWithPath: analysisFolder).appendingPathComponent(rel).path }

    /// The PNG at `rel` in the analysis folder as a data URI.
    func dataURI(_ rel: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: figure(rel)) else {
            throw InputError("\(figure(rel)): figure missing from the analysis folder")
        }
        return "data:image/png;base64," + data.base64EncodedString()
    }

    func lgeJSON(_ s: LGETeachingSlices, fraction: Double) -> String {
        let levels: [JSON] = s.levels.map { l in
            ["name": .string(l.name), "slice": .int(l.slice), "grey": .ints(l.grey), "myo": .ints(l.myocardium),
             "rel": .ints(l.relativePerMille), "scar": .ints(l.pipelineScar)]
        }
        let data: JSON = ["width": .int(s.width), "height": .int(s.height), "spacingMm": .fixed(s.pixelSpacingMm[0], decimals: 3),
                          "fraction": .fixed(fraction, decimals: 2), "above": .numbers(s.volumeFractionAbove, decimals: 5),
                          "levels": .array(levels)]
        return data.encoded
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

func fmt(_ x: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", x) }
/// Three significant digits (signal values of any scale).
func sig(_ x: Double) -> String { String(format: "%.3g", x) }
func pct(_ f: Double) -> String { String(format: "%.0f %%", 100 * f) }
