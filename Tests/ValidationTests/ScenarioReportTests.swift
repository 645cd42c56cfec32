import Foundation
import HeadlessBrowser
import Statistics
import Testing
import Validation

/// `report.html` from hand-made case results: the tables count what the cases say, the confusion matrices hold the
/// right cells, nothing comes from the network, the 4D-MAP frame is escaped, and headless Chromium renders the
/// page without a script error.
@Suite("report.html")
struct ScenarioReportTests {
    /// 36 scar flags with `ids` scarred.
    static func flags(_ ids: [Int]) -> [Bool] { (1...36).map { ids.contains($0) } }

    static func score(target: (Int?, Int?, String), scar: ([Int], [Int])) -> AnalysisScore {
        AnalysisScore(scarKappa: 0.9, scarDice: scar.0.isEmpty && scar.1.isEmpty ? nil : 0.8, scarBurdenErrorPoints: 0.5,
                      truthHasScar: !scar.0.isEmpty, analysisFoundScar: !scar.1.isEmpty,
                      edvRelativeError: 0.01, esvRelativeError: -0.02, efErrorPoints: 1.5, activationMedianAbsErrorMs: 12,
                      latestSegmentCategory: "within", primaryTargetCategory: target.2,
                      primaryTargetTruth: target.0, primaryTargetAnalysis: target.1,
                      scarredTruth: flags(scar.0), scarredAnalysis: flags(scar.1), targetDistanceMm: 7.5,
                      scarBurdenTruthPercent: 10, scarBurdenAnalysisPercent: 10.5, edvTruthMl: 210, edvAnalysisMl: 212, efTruth: 0.3, efAnalysis: 0.31)
    }

    static func registration(mTRE: Double, lead36: (String, String), lead18: (String, String), fluoroOnly: String?) -> RegistrationScore {
        var g = RegistrationScore(mTREMm: mTRE, landmarkMTREMm: mTRE + 1, mPDMm: mTRE * 0.8, mRPDMm: mTRE * 0.9,
                                  success: mTRE < 5, successStrict: mTRE < 2)
        g.leadSegmentTruth = 23; g.leadSegmentAnalysis = 24
        g.leadCategory36Truth = lead36.0; g.leadCategory36Analysis = lead36.1
        g.leadCategory18Truth = lead18.0; g.leadCategory18Analysis = lead18.1
        g.fluoroscopyOnlyCategory36 = fluoroOnly
        g.pacingElectrodeErrorMm = 2.5
        return g
    }

    /// Four cases: targets within / adjacent / adjacent / remote; lead category36 truth -> analysis
    /// within -> within, within -> adjacent, adjacent -> adjacent, remote -> remote; scar pooled TP 6, FN 1, FP 1.
    static func results() -> ScenarioRunner.Results {
        let targets: [(Int?, Int?, String)] = [(23, 23, "within"), (23, 24, "adjacent"), (11, 12, "adjacent"), (23, 29, "remote")]
        let scars: [([Int], [Int])] = [([1, 2, 3, 4], [1, 2, 3]), ([], []), ([10, 11, 12], [10, 11, 12, 13]), ([], [])]
        let lead36 = [("within", "within"), ("within", "adjacent"), ("adjacent", "adjacent"), ("remote", "remote")]
        let lead18 = [("within", "within"), ("within", "within"), ("within", "adjacent"), ("adjacent", "adjacent")]
        let fluoro: [String?] = ["remote", "adjacent", nil, "within"]
        let trials = [RegistrationTrials.Trial(initialMTREMm: 1, finalMTREMm: 0.5), .init(initialMTREMm: 3.5, finalMTREMm: 1),
                      .init(initialMTREMm: 5.2, finalMTREMm: 2), .init(initialMTREMm: 7.1, finalMTREMm: 8)]
        let cases = (0..<4).map { i in
            CaseEvaluation.Result(
                index: i, preset: i % 2 == 0 ? "lbbb-nonischemic" : "ischemic-posterolateral", seed: UInt64(100 + i),
                groups: ["icm": i % 2 == 0 ? "non-ICM" : "ICM", "lbbb": "LBBB", "phantom": "p", "sweep": ""],
                score: score(target: targets[i], scar: scars[i]),
                registration: registration(mTRE: [0.8, 1.6, 2.4, 6.0][i], lead36: lead36[i], lead18: lead18[i], fluoroOnly: fluoro[i]),
                registrationTrials: [trials[i]],
                firstObserver: .init(scarredSegments: flags(scars[i].1), scarBurdenPercent: 10, primaryTarget: targets[i].1, leadCategory36: lead36[i].1),
                secondObserver: .init(scarredSegments: flags(scars[i].1), scarBurdenPercent: 11, primaryTarget: targets[i].1,
                                      leadCategory36: i == 3 ? "adjacent" : lead36[i].1))
        }
        let expectations = [Scenario.Expectation(metric: "target.within_or_adjacent_rate", kind: .atLeast, value: 0.7, tolerance: nil)]
        return ScenarioRunner.judge(scenario: "hand-made <test> & \"quotes\"", description: "Four hand-made cases.", expectations: expectations,
                                    groupBy: ["icm"], manifest: ["crtsim": "0.1.0", "gitCommit": "abc", "scenarioHash": "h"],
                                    cases: cases)
    }

    /// A 1x1 PNG.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!

    /// A stand-in 4D-MAP page whose script has & and " and draws into its body (or throws, with `failing`).
    static func mapPage(failing: Bool = false) -> String {
        """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>4D "map" & more</title></head><body><canvas id="c"></canvas>
        <script>var a = 1 && "x"; if (a === "x" && 2 > 1) { var p = document.createElement("p"); p.textContent = "<rendered> & \\"ok\\""; document.body.appendChild(p); }
        \(failing ? "undefinedFunctionOf4DMap();" : "")</script></body></html>
        """
    }

    /// Case folders with figures for cases 0 and 1 under a temporary root; returns the root.
    static func caseFolders(failingMap: Bool = false) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-report-\(getpid())-\(UUID().uuidString)")
        for i in 0..<2 {
            let figures = root.appendingPathComponent("case-\(i)/analysis/figures")
            try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
            for name in ["bullseye-scar.png", "bullseye-activation.png", "strain-curves.png", "overlay-LAO.png"] {
                try png.write(to: figures.appendingPathComponent(name))
            }
            try mapPage(failing: failingMap && i == 1).write(to: figures.appendingPathComponent("4d-map.html"), atomically: true, encoding: .utf8)
        }
        return root
    }

    static func report(_ root: URL, figureCases: Int = 2) -> String {
        ScenarioReport.html(results(), caseFolder: { root.appendingPathComponent("case-\($0)").path }, figureCases: figureCases)
    }

    /// The text of the cell `data-cell="key"` inside the table `id`, or nil.
    static func cell(_ html: String, table id: String, key: String) -> String? {
        guard let t = html.range(of: "id=\"\(id)\""), let end = html[t.upperBound...].range(of: "</table>") else { return nil }
        let body = html[t.upperBound..<end.lowerBound]
        guard let c = body.range(of: "data-cell=\"\(key)\">") else { return nil }
        return String(body[c.upperBound...].prefix { $0 != "<" })
    }

    @Test func categoryTablesCountTheCases() throws {
        let root = try Self.caseFolders()
        defer { try? FileManager.default.removeItem(at: root) }
        let html = Self.report(root)
        // Primary target: 1 within, 2 adjacent, 1 remote of 4.
        #expect(Self.cell(html, table: "target-table", key: "target/within") == "1 (25 %)")
        #expect(Self.cell(html, table: "target-table", key: "target/adjacent") == "2 (50 %)")
        #expect(Self.cell(html, table: "target-table", key: "target/remote") == "1 (25 %)")
        #expect(Self.cell(html, table: "target-table", key: "target/missing") == "0 (0 %)")
        // Lead, 36 segments: analysis 1 / 2 / 1, truth 2 / 1 / 1; 18 segments: analysis 2 / 2 / 0, truth 3 / 1 / 0.
        let expected: [(String, String)] = [
            ("lead36-analysis/within", "1 (25 %)"), ("lead36-analysis/adjacent", "2 (50 %)"), ("lead36-analysis/remote", "1 (25 %)"),
            ("lead36-truth/within", "2 (50 %)"), ("lead36-truth/adjacent", "1 (25 %)"), ("lead36-truth/remote", "1 (25 %)"),
            ("lead18-analysis/within", "2 (50 %)"), ("lead18-analysis/adjacent", "2 (50 %)"), ("lead18-analysis/remote", "0 (0 %)"),
            ("lead18-truth/within", "3 (75 %)"), ("lead18-truth/adjacent", "1 (25 %)"), ("lead18-truth/remote", "0 (0 %)"),
            ("lead36-analysis/none", "0"),
        ]
        for (key, value) in expected { #expect(Self.cell(html, table: "lead-table", key: key) == value, "\(key)") }
        // The paper's figures beside them.
        let lead = try #require(html.range(of: "id=\"lead-table\"").map { String(html[$0.upperBound...].prefix(4000)) })
        for figure in ["14 %", "62 %", "24 %", "3 %"] { #expect(lead.contains(">\(figure)<"), "\(figure)") }
    }

    @Test func confusionMatricesAndKappa() throws {
        let html = Self.report(FileManager.default.temporaryDirectory.appendingPathComponent("no-such-crtsim-folder"))
        // Scar pooled over segments: TP 6, FN 1, FP 1, TN 136.
        #expect(Self.cell(html, table: "cm-scar", key: "scarred/scarred") == "6")
        #expect(Self.cell(html, table: "cm-scar", key: "scarred/not scarred") == "1")
        #expect(Self.cell(html, table: "cm-scar", key: "not scarred/scarred") == "1")
        #expect(Self.cell(html, table: "cm-scar", key: "not scarred/not scarred") == "136")
        // Lead category36 truth (rows) vs analysis (columns).
        let lead: [String: String] = ["within/within": "1", "within/adjacent": "1", "within/remote": "0", "adjacent/within": "0",
                                      "adjacent/adjacent": "1", "adjacent/remote": "0", "remote/within": "0", "remote/adjacent": "0", "remote/remote": "1"]
        for (key, value) in lead { #expect(Self.cell(html, table: "cm-lead36", key: key) == value, "\(key)") }
        // Fluoroscopy only vs model: (within, remote), (adjacent, adjacent), (remote, within); case 2 has none.
        #expect(Self.cell(html, table: "cm-fluoro", key: "within/remote") == "1")
        #expect(Self.cell(html, table: "cm-fluoro", key: "adjacent/adjacent") == "1")
        #expect(Self.cell(html, table: "cm-fluoro", key: "remote/within") == "1")
        #expect(Self.cell(html, table: "cm-fluoro", key: "within/within") == "0")
        // Observers: lead categories differ only in case 3 (remote vs adjacent).
        #expect(Self.cell(html, table: "cm-observer-lead", key: "remote/adjacent") == "1")
        #expect(Self.cell(html, table: "cm-observer-lead", key: "adjacent/adjacent") == "2")
        // Target wall: truth 23 (mid-anterolateral) three times, analysis 23, 24 (anterolateral), 29 (apical inferoseptal).
        #expect(Self.cell(html, table: "cm-target", key: "anterolateral/anterolateral") == "3")
        #expect(Self.cell(html, table: "cm-target", key: "anterolateral/inferoseptal") == "1")
        // Kappa and its 95 % CI as the Statistics module computes them.
        let k = try cohensKappa(first: ["within", "within", "adjacent", "remote"], second: ["within", "adjacent", "adjacent", "remote"],
                                categories: ["within", "adjacent", "remote"])
        let line = String(format: "kappa %.3f (95 %% CI %.3f to %.3f)", k.kappa, k.confidenceInterval.lower, k.confidenceInterval.upper)
        let paragraph = try #require(html.range(of: "id=\"cm-lead36-kappa\"").map { String(html[$0.upperBound...].prefix { $0 != "/" }) })
        #expect(paragraph.contains(line), "\(paragraph) lacks \(line)")
    }

    @Test func selfContainedEscapedAndDeterministic() throws {
        let root = try Self.caseFolders()
        defer { try? FileManager.default.removeItem(at: root) }
        let html = Self.report(root)
        #expect(html == Self.report(root), "same results, same bytes")
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("<link") && !html.contains("src=\"/") && !html.contains("src=\"file:"))
        // Sections in the order of the issue.
        let order = ["summary", "metrics", "categories", "confusion", "groups", "registration", "cases", "figures"]
        let positions = order.map { html.range(of: "<section id=\"\($0)\"")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(zip(order, positions).filter { $0.1 == nil }.map(\.0))")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        // Text is escaped.
        #expect(html.contains("hand-made &lt;test&gt; &amp; &quot;quotes&quot;") && !html.contains("<test>"))
        // A metric without data is n/a with its tooltip.
        #expect(html.contains("data-cell=\"strain.radial_rmse_mean_pct\">strain.radial_rmse_mean_pct</td><td class=\"na\" title=\"does not apply to this run\">n/a</td>"))
        // Figures inline: 4 PNGs per case, 2 cases; one 4D-MAP frame per case.
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 8)
        let frames = html.components(separatedBy: "<iframe ").dropFirst()
        #expect(frames.count == 2)
        for f in frames {
            let value = try #require(f.range(of: "srcdoc=\"").map { String(f[$0.upperBound...].prefix { $0 != "\"" }) })
            // The attribute ends where the frame's tag ends: no raw quote or angle bracket inside.
            #expect(f.contains("srcdoc=\"\(value)\"></iframe>"))
            #expect(!value.contains("<") && !value.contains(">"))
            #expect(value.contains("1 &amp;&amp; &quot;x&quot;") && value.contains("4D &quot;map&quot; &amp; more"))
            let decoded = value.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            #expect(decoded.hasPrefix("<!DOCTYPE html><html><head><script>"), "error reporter goes first in the frame's head")
            #expect(decoded.contains(Self.mapPage().dropFirst(40)))
        }
    }

    @Test func registrationPlots() throws {
        let html = Self.report(FileManager.default.temporaryDirectory.appendingPathComponent("no-such-crtsim-folder"))
        #expect(html.contains("<svg id=\"plot-capture\"") && html.contains("<svg id=\"plot-mtre\""))
        // Starts at 1, 3.5, 5.2 mm succeed, 7.1 mm fails: capture range 6 mm.
        #expect(html.contains("capture range 6 mm"))
        #expect(Self.cell(html, table: "capture-bins", key: "x") == nil)
        #expect(html.contains("Capture range: 6 mm"))
    }

    /// Headless Chromium renders the report: the report's script sets `<body data-ok="1">` after the load, with every
    /// 4D-MAP frame rendered and no error; a 4D-MAP that throws sets `<html data-error>`. Fails when chromium is missing.
    @Test(.timeLimit(.minutes(3))) func rendersInHeadlessChromium() throws {
        for failing in [false, true] {
            let root = try Self.caseFolders(failingMap: failing)
            defer { try? FileManager.default.removeItem(at: root) }
            let page = root.appendingPathComponent("report.html")
            try Data(Self.report(root).utf8).write(to: page)
            let dom = try HeadlessChromium.dumpDOM(page.path)
            #expect(dom.contains("id=\"cases-table\""), "page not rendered: \(dom.prefix(500))")
            let error = HeadlessChromium.attribute("data-error", of: "html", in: dom)
            if failing {
                #expect(error?.contains("undefinedFunctionOf4DMap") == true, "the frame's error reaches the marker: \(error ?? "none")")
                #expect(HeadlessChromium.attribute("data-ok", of: "body", in: dom) == nil)
            } else {
                #expect(error == nil, "script error: \(error ?? "")")
                #expect(HeadlessChromium.attribute("data-ok", of: "body", in: dom) == "1")
                #expect(HeadlessChromium.attribute("data-frames", of: "body", in: dom) == "2")
            }
        }
    }
}
