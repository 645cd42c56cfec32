import Foundation
import SegmentModel
import Statistics
import WebOutput

/// `report.html`: one self-contained page that opens offline (no URL: images as data URIs, CSS and scripts inline,
/// each case's 4D-MAP in an `<iframe srcdoc>`), the same bytes for the same results. Sections, in order:
/// header (verdicts, manifest), metrics by group, the paper's within / adjacent / remote tables, confusion matrices
/// with kappa, group statistics, registration (capture range, mTRE), one row per case, and the figures of the
/// first cases.
///
/// A small inline script marks the page: `<html data-error="...">` when any script error or blocked resource
/// (content security policy) occurred in the page or in an embedded 4D-MAP, `<body data-ok="1">` after the load
/// when none did and every 4D-MAP frame rendered (headless Chromium checks read these with `--dump-dom`).
public enum ScenarioReport {
    typealias Cell = ReportHTML.Cell

    /// - Parameters:
    ///   - results: the judged run.
    ///   - caseFolder: maps a case index to its folder (holding `analysis/figures/`), for the inlined figures.
    ///   - figureCases: how many cases show their figures (the first ones).
    public static func html(_ r: ScenarioRunner.Results, caseFolder: (Int) -> String, figureCases: Int = 3) -> String {
        let sections = [
            header(r), failuresSection(r), metricsSection(r), contextSection(r), comparisonSection(r), categoryTablesSection(r), confusionSection(r), groupSection(r),
            registrationSection(r), casesSection(r), figuresSection(r, caseFolder: caseFolder, count: figureCases),
        ]
        return document(title: "crtsim \(r.scenario)", body: sections.filter { !$0.isEmpty }.joined(separator: "\n"))
    }

    // MARK: - Page

    /// Content security policy: nothing from the network; inline styles and scripts, data: images, srcdoc frames.
    static let contentSecurityPolicy =
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-src 'self' about:; base-uri 'none'; form-action 'none'"

    /// Installed first in the page and in every embedded frame: records errors and blocked resources on the
    /// top document's `<html data-error>`.
    static let errorReporter = """
    <script>(function(){var d=(window.parent&&window.parent!==window?window.parent:window).document.documentElement;\
    function mark(m){d.dataset.error=(d.dataset.error?d.dataset.error+" | ":"")+m;}\
    window.addEventListener("error",function(e){mark("error: "+(e.message||(e.target&&e.target.tagName)||"?"));},true);\
    window.addEventListener("unhandledrejection",function(e){mark("rejection: "+e.reason);});\
    document.addEventListener("securitypolicyviolation",function(e){mark("blocked: "+e.blockedURI+" ("+e.violatedDirective+")");});})();</script>
    """

    /// Runs after the load: sets `<body data-ok="1">` when no error was recorded and every frame has a body with
    /// content; `data-frames` counts the rendered frames.
    static let loadCheck = """
    <script>window.addEventListener("load",function(){var f=document.querySelectorAll("iframe"),n=0;\
    for(var i=0;i<f.length;i++){try{var b=f[i].contentDocument&&f[i].contentDocument.body;if(b&&b.childElementCount>0)n++;}catch(e){}}\
    document.body.dataset.frames=String(n);\
    if(!document.documentElement.dataset.error&&n===f.length)document.body.dataset.ok="1";});</script>
    """

    static let style = """
    body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;max-width:1500px}
    h1{margin-bottom:4px}h2{border-bottom:2px solid #ddd;padding-bottom:3px;margin-top:34px}h3{margin-top:22px}
    table{border-collapse:collapse;margin:8px 0 18px}caption{text-align:left;font-weight:bold;padding:4px 0;white-space:nowrap}
    td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right;vertical-align:top}
    thead th{background:#eef1f5}tr.group th{background:#f7f7f7;font-style:italic}.l{text-align:left}
    .na,.muted{color:#999}.na{cursor:help}.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
    .badge{display:inline-block;padding:3px 12px;border-radius:4px;color:#fff;font-weight:bold}
    .badge.pass{background:#1a7f37;color:#fff}.badge.fail{background:#c62828;color:#fff}
    .cat-within{background:#d8f0dc}.cat-adjacent{background:#fff1c2}.cat-remote{background:#f9d0cc}
    .cat-missing{background:#e4e4e4}.cat-agree-none{background:#eef3fb}
    td.diag{background:#d8f0dc;font-weight:bold}td.zero{color:#bbb}.paper{background:#f3f0fa}
    .scroll{overflow-x:auto}#cases-table td{white-space:nowrap}.note{color:#555;font-size:13px}.matrices{display:flex;flex-wrap:wrap;gap:28px}
    .matrix{min-width:240px}.figs{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
    figure{margin:0 0 8px}figcaption{font-size:12px;color:#555}img{max-width:430px;border:1px solid #ddd}img.wide{max-width:1000px}
    iframe.map4d{width:100%;height:720px;border:1px solid #ccc}
    svg.plot{font-size:11px;margin:6px 24px 12px 0}svg .axis{stroke:#444}svg .grid{stroke:#eee}
    svg .ref{stroke:#888;stroke-dasharray:4 3}svg .capture{stroke:#c62828;stroke-width:2}
    svg .bar.ok{fill:#4c9a5b}svg .bar.low{fill:#e39b3b}svg .bar.hist{fill:#5b7fb0}
    svg .tick{fill:#444}svg .label{fill:#222;font-size:12px}svg .count{fill:#333;font-size:10px;text-anchor:middle}
    svg .reflabel{fill:#666;font-size:10px}svg .capturelabel{fill:#c62828;font-size:11px}
    nav a{margin-right:12px;font-size:13px}
    """

    /// The document around the sections: CSP, error reporter first, style, navigation, load check last.
    static func document(title: String, body: String) -> String {
        let links: [(id: String, label: String)] = [
            ("summary", "summary"), ("metrics", "metrics"), ("categories", "within / adjacent / remote"),
            ("confusion", "confusion matrices"), ("groups", "groups"), ("registration", "registration"),
            ("cases", "cases"), ("figures", "figures"),
        ]
        let nav = links.filter { body.contains("<section id=\"\($0.id)\"") }
            .map { "<a href=\"#\($0.id)\">\(HTML.escape($0.label))</a>" }.joined()
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(HTML.escape(contentSecurityPolicy))">
        \(errorReporter)
        <title>\(HTML.escape(title))</title>
        <style>\(style)</style></head><body>
        <nav>\(nav)</nav>
        \(body)
        \(loadCheck)
        </body></html>

        """
    }

    // MARK: - 1. Header

    /// Scenario, description, PASS/FAIL, cases, manifest and the expectations with their verdicts.
    static func header(_ r: ScenarioRunner.Results) -> String {
        let met = r.verdicts.filter(\.passed).count
        let badge = "<span class=\"badge \(r.passed ? "pass" : "fail")\">\(r.passed ? "PASS" : "FAIL")</span>"
        var h = "<h1>crtsim scenario: \(HTML.escape(r.scenario))</h1>\n"
        h += ReportHTML.paragraph(r.description)
        h += "<p>\(badge) \(met) of \(r.verdicts.count) expectations met · \(r.cases.count) cases</p>"
        let keys = [("crtsim", "crtsim version"), ("gitCommit", "commit"), ("scenarioHash", "scenario hash"),
                    ("seed", "seed"), ("cases", "cases in the scenario"), ("shard", "shard"), ("pipeline", "pipeline"), ("settings", "settings")]
        let manifestRows = keys.compactMap { k, label in r.manifest[k].map { [Cell.rowHeader(label), Cell.text($0)] } }
        h += ReportHTML.table(["manifest", "value"], manifestRows, id: "manifest")
        let verdictRows = r.verdicts.map { v -> [Cell] in
            [.text(v.metric), .significant(v.value), .text(v.expectation),
             Cell(html: (v.passed ? "PASS" : "FAIL") + (v.reason.map { " (no value: " + HTML.escape($0) + ")" } ?? ""),
                  classes: ["l", v.passed ? "pass" : "fail"])]
        }
        h += verdictRows.isEmpty ? ReportHTML.paragraph("No expectations.", classes: "note")
            : ReportHTML.table(["expectation on", "value", "expected", "verdict"], verdictRows, id: "verdicts", caption: "Expectations")
        return "<section id=\"summary\">\(h)</section>"
    }

    /// Cases whose pipeline failed: reason and the end of the log (empty when none failed).
    static func failuresSection(_ r: ScenarioRunner.Results) -> String {
        guard !r.failures.isEmpty else { return "" }
        let rows = r.failures.map { f -> [Cell] in
            [.text(String(f.index)), .text(f.preset), .text(String(f.seed)), .text(f.reason),
             Cell(html: "<pre>" + HTML.escape(f.logTail.joined(separator: "\n")) + "</pre>", classes: ["l"])]
        }
        let note = ReportHTML.paragraph("\(r.failures.count) of \(r.failures.count + r.cases.count) cases have no scores because their "
            + "pipeline failed; every metric except pipeline.failure_rate is computed on the other \(r.cases.count).", classes: "note")
        return "<section id=\"failures\"><h2>Failed cases</h2>" + note
            + ReportHTML.table(["case", "phantom", "seed", "reason", "end of pipeline.log"], rows, id: "failures-table") + "</section>"
    }

    // MARK: - What the figures are worth

    /// Null baselines, bootstrap intervals by case and by anatomy, the tie-aware target and latest-segment tables,
    /// coverage, and when kappa is not informative (docs/metrics.md).
    static func contextSection(_ r: ScenarioRunner.Results) -> String {
        var html = "<section id=\"context\"><h2>What the figures are worth</h2>"
        func metric(_ id: String) -> PipelineMetrics.Metric? { r.metrics.first { $0.id == id } }
        func value(_ id: String) -> Double? { metric(id).flatMap { $0.value.isFinite ? $0.value : nil } }
        if let u = r.uncertainty {
            html += ReportHTML.paragraph("\(u.cases) cases, \(u.anatomies) distinct anatomies, \(u.scarPatterns) distinct scar patterns. "
                + (u.anatomies < u.cases ? "Cases that share an anatomy are not independent patients: the intervals by anatomy resample whole hearts. " : "")
                + "Percentile bootstrap, \(u.resamples) resamples, \(Int((u.confidence * 100).rounded())) % intervals.", classes: "note")
        }
        if let b = r.baselines, !b.isEmpty {
            let rows: [[Cell]] = b.map { x in
                var margin = Cell.significant(x.margin)
                if let m = x.margin { margin.classes.append(m > 0 ? "pass" : "fail") }
                return [Cell.text(x.metric).keyed(x.metric), .significant(x.pipeline), .text(x.constantAnswer), .significant(x.constant),
                        .significant(x.random), margin]
            }
            html += "<h3>Null baselines</h3>" + ReportHTML.paragraph("What a blind answer scores on the same cases: always the most frequent "
                + "truth (constant), or an eligible answer drawn at random (expected value). The margin is the pipeline's advantage over the "
                + "better of the two; a margin at or below 0 means the metric says nothing about the pipeline.", classes: "note")
                + ReportHTML.table(["metric", "pipeline", "constant answer", "constant", "random", "margin"], rows, id: "baselines")
        }
        // Near-ties: the tie-aware tables of the primary target and the latest-activated segment.
        func tieRows(_ key: KeyPath<AnalysisScore, String?>, _ count: KeyPath<AnalysisScore, Int?>) -> [[Cell]] {
            let all = r.cases.compactMap { c in c.score[keyPath: key].map { ($0, c.score[keyPath: count] ?? 1) } }
            let groups: [(String, [(String, Int)])] = [("all cases", all), ("cases with near-ties", all.filter { $0.1 > 1 }),
                                                         ("cases without", all.filter { $0.1 <= 1 })]
            return groups.map { name, xs in
                [Cell.text(name), .integer(xs.count)] + ["exact", "tie", "adjacent", "remote"].map { k in
                    xs.isEmpty ? Cell.notApplicable("no case") : Cell(html: String(format: "%.0f %%", 100 * Double(xs.filter { $0.0 == k }.count) / Double(xs.count)))
                }
            }
        }
        let tieHeader = ["cases", "n", "exact", "in the tie set", "adjacent", "remote"]
        html += "<h3>Near-ties in the truth</h3>" + ReportHTML.paragraph("Segments whose true activation is within "
            + "\(Int(DecisionModel.activationTieMarginMs)) ms of the latest (a third of a 25-phase frame interval) are near-ties: naming "
            + "any of them is right within the truth's own resolution. \(Int(value("target.cases_with_ties") ?? 0)) cases have near-ties of the "
            + "primary target, \(Int(value("activation.cases_with_latest_ties") ?? 0)) of the latest-activated segment.", classes: "note")
            + ReportHTML.table(tieHeader, tieRows(\.primaryTargetTieCategory, \.targetTieCount), id: "target-ties", caption: "Primary target")
            + ReportHTML.table(tieHeader, tieRows(\.latestSegmentTieCategory, \.latestTieCount), id: "latest-ties", caption: "Latest-activated segment")
        // Coverage: metrics on fewer cases than the run, scores left null, segments measured.
        let total = r.cases.count + r.failures.count
        let partial = r.metrics.filter { ($0.cases ?? total) < total && $0.value.isFinite }
        var missing: [String: Int] = [:]
        for c in r.cases { for (k, v) in c.missing ?? [:] { missing["\(k): \(v)", default: 0] += 1 } }
        html += "<h3>Coverage</h3>" + ReportHTML.paragraph("\(r.failures.count) of \(total) cases failed in the pipeline; "
            + (value("activation.segments_measured_fraction").map { String(format: "%.1f %% of segments have an activation time; ", 100 * $0) } ?? "")
            + (partial.isEmpty ? "every metric with a value is computed on every case." : "\(partial.count) metrics are computed on fewer cases than the run has:"), classes: "note")
        if !partial.isEmpty {
            html += ReportHTML.table(["metric", "cases", "of"], partial.map { [Cell.text($0.id).keyed($0.id), .integer($0.cases), .integer(total)] }, id: "coverage")
        }
        if !missing.isEmpty {
            html += ReportHTML.table(["score left null", "cases"], missing.sorted { $0.key < $1.key }.map { [Cell.text($0.key), .integer($0.value)] }, id: "missing")
        }
        // Kappa beside one dominant category.
        var notes: [String] = []
        if let p = value("scar.prevalence_index"), p >= dominantCategoryShare, let k = value("scar.kappa") {
            notes.append(String(format: "Scar kappa %.2f is not informative alone: one category dominates the segments (prevalence index %.2f); PABAK %.2f.", k, p, value("scar.pabak") ?? .nan))
        }
        if let share = value("lead.category36_truth_mode_share"), share >= dominantCategoryShare {
            notes.append(String(format: "Lead category kappa %@ is not informative: %.0f %% of the true lead categories are one category, so "
                + "chance agreement is nearly total; agreement %.0f %%, PABAK %.2f.", value("lead.category36_kappa").map { String(format: "%.2f", $0) } ?? "n/a",
                100 * share, 100 * (value("lead.category36_agreement_rate") ?? .nan), value("lead.category36_pabak") ?? .nan))
        }
        if !notes.isEmpty { html += "<h3>Kappa</h3>" + notes.map { ReportHTML.paragraph($0, classes: "note") }.joined() }
        if let u = r.uncertainty, !u.intervals.isEmpty {
            func ci(_ x: [Double]?) -> Cell {
                guard let x, x.count == 2 else { return .notApplicable("no interval (every case its own anatomy, or too few resamples with a value)") }
                return Cell(html: HTML.escape("\(ReportHTML.formatSignificant(x[0]) ?? "") to \(ReportHTML.formatSignificant(x[1]) ?? "")"))
            }
            html += "<h3>Uncertainty by patient</h3>" + ReportHTML.table(["metric", "value", "95 % CI by case", "95 % CI by anatomy"],
                u.intervals.map { [Cell.text($0.metric).keyed($0.metric), .significant($0.value), ci($0.byCase), ci($0.byAnatomy)] }, id: "uncertainty")
        }
        return html + "</section>"
    }

    /// Share of one category above which kappa is flagged as not informative (Byrt et al. 1993: kappa falls towards
    /// 0 as the prevalence index approaches 1 whatever the agreement).
    static let dominantCategoryShare = 0.8

    // MARK: - A/B comparison

    /// Pipelines compared on the same cases (`pipelines`): metrics side by side (with each pipeline's verdicts),
    /// paired tests and the cases where they disagree; empty without a comparison.
    static func comparisonSection(_ r: ScenarioRunner.Results) -> String {
        guard let c = r.comparison, let judged = c.pipelines.first else { return "" }
        let names = c.pipelines.map(\.name)
        var rows: [[Cell]] = []
        for m in judged.metrics {
            let values = c.pipelines.map { p in p.metrics.first { $0.id == m.id }?.value }
            guard values.contains(where: { $0?.isFinite == true }) else { continue }
            var row: [Cell] = [Cell.text(m.id).keyed(m.id)]
            for (p, v) in zip(c.pipelines, values) {
                var cell = Cell.significant(v)
                if let verdict = p.verdicts.first(where: { $0.metric == m.id }) { cell.classes.append(verdict.passed ? "pass" : "fail") }
                row.append(cell)
            }
            row += [.text(m.unit), .text(m.better + " is better")]
            rows.append(row)
        }
        rows.append([.text("failed cases")] + c.pipelines.map { .integer($0.failedCases.count) } + [.text("cases"), .text("")])
        let note = ReportHTML.paragraph("The expectations judge \(c.judged) (its verdicts set the exit code); every pipeline's values are "
            + "computed by the same metric code on its own scores, and shaded by its verdict where an expectation applies.", classes: "note")
        let testRows: [[Cell]] = c.tests.filter { $0.pairs > 0 }.map { t in
            let counts = t.test == "mcnemar" ? "\(t.onlyJudged ?? 0) / \(t.onlyOther ?? 0)" : (t.method ?? "")
            return [.text(t.pipeline), .text(t.quantity), .text(t.test), .integer(t.pairs), .significant(t.judgedValue),
                    .significant(t.otherValue), .text(counts), .significant(t.pValue), .text(t.unit + ", " + t.better + " is better")]
        }
        let testNote = ReportHTML.paragraph("\(c.judged) against each other pipeline over the cases both scored: McNemar's exact test on "
            + "the rate of right answers (discordant cases right only for \(c.judged) / only for the other), Wilcoxon's signed-rank "
            + "test on the per-case values (medians shown). Two-sided p-values, not corrected for the number of tests.", classes: "note")
        let disagreementRows: [[Cell]] = c.disagreements.map { d in
            [.integer(d.index), .text(d.pipeline), .text(d.what), .text(d.judged), .text(d.other)]
        }
        return "<section id=\"comparison\"><h2>Pipelines compared</h2>" + note
            + ReportHTML.table(["metric"] + names + ["unit", "direction"], rows, id: "comparison-metrics")
            + "<h3>Paired tests</h3>" + testNote
            + ReportHTML.table(["pipeline", "quantity", "test", "pairs", c.judged, "other", "discordant / method", "p", "unit"], testRows, id: "comparison-tests")
            + "<h3>Cases where they disagree</h3>"
            + (disagreementRows.isEmpty ? ReportHTML.paragraph("None: every case has the same primary target, lead category and scar finding.", classes: "note")
               : ReportHTML.table(["case", "pipeline", "what", c.judged, "other"], disagreementRows, id: "comparison-disagreements"))
            + "</section>"
    }

    // MARK: - 2. Metrics

    /// Metric prefixes in the order of the table.
    static let metricGroups = ["scar", "volume", "activation", "strain", "target", "registration", "lead", "observer"]

    /// All metrics, grouped by prefix, with their expectation and verdict when one applies.
    static func metricsSection(_ r: ScenarioRunner.Results) -> String {
        func prefix(_ id: String) -> String { String(id.prefix { $0 != "." }) }
        let order = metricGroups + Array(Set(r.metrics.map { prefix($0.id) }).subtracting(metricGroups)).sorted()
        var rows: [[Cell]] = [], groupRows: [Int: String] = [:]
        for g in order {
            let ms = r.metrics.filter { prefix($0.id) == g }
            guard !ms.isEmpty else { continue }
            groupRows[rows.count] = g
            for m in ms {
                let verdicts = r.verdicts.filter { $0.metric == m.id }
                let sources = r.expectations.filter { $0.metric == m.id }.compactMap(\.source)
                let verdict: Cell = verdicts.isEmpty ? .text("")
                    : Cell(html: verdicts.map { HTML.escape("\($0.passed ? "PASS" : "FAIL") \($0.expectation)") }.joined(separator: "<br>"),
                           classes: ["l", verdicts.allSatisfy(\.passed) ? "pass" : "fail"],
                           title: sources.isEmpty ? nil : "threshold from " + sources.joined(separator: "; "))
                rows.append([Cell.text(m.id).keyed(m.id), .significant(m.value), .text(m.unit), .text(m.better + " is better"), verdict])
            }
        }
        let note = ReportHTML.paragraph("n/a: the metric does not apply to this run (no fluoroscopy, no second observer, or undefined), written as null in results.json.", classes: "note")
        return ReportHTML.section("metrics", "Metrics", ReportHTML.table(["metric", "value", "unit", "direction", "expectation"], rows, id: "metrics-table", groupRows: groupRows) + note)
    }

    // MARK: - 3. The paper's within / adjacent / remote tables

    static let categories = PipelineMetrics.leadCategories

    /// Counts of `values` per category as "n (p %)" over the values that are one of `categories`.
    static func categoryCells(_ values: [String], key: String) -> [Cell] {
        let counted = values.filter(categories.contains)
        return categories.map { c in
            Cell(html: ReportHTML.countAndPercent(counted.filter { $0 == c }.count, of: counted.count)).keyed("\(key)/\(c)")
        }
    }

    /// Primary target against the truth's (36 segments); lead position tables in 36 and 18 segments beside the
    /// paper's figures (DOMAIN.md section 5) when there is fluoroscopy.
    static func categoryTablesSection(_ r: ScenarioRunner.Results) -> String {
        var h = targetTable(r)
        if r.cases.contains(where: { $0.registration != nil }) { h += leadTable(r) }
        return ReportHTML.section("categories", "Within / adjacent / remote", h)
    }

    static func targetTable(_ r: ScenarioRunner.Results) -> String {
        let cats = r.cases.map(\.score.primaryTargetCategory)
        let scored = cats.filter { $0 != "agree-none" }
        var rows: [[Cell]] = (categories + ["missing"]).map { c in
            [Cell.category(c), Cell(html: ReportHTML.countAndPercent(scored.filter { $0 == c }.count, of: scored.count)).keyed("target/\(c)")]
        }
        rows.append([.category("agree-none"), Cell(html: String(cats.filter { $0 == "agree-none" }.count)).keyed("target/agree-none")])
        var header = ["primary target (36 segments)", "analysis vs truth"]
        let observed = r.cases.compactMap { c -> String? in
            guard let a = c.firstObserver?.primaryTarget.flatMap(Segment36.init), let b = c.secondObserver?.primaryTarget.flatMap(Segment36.init) else { return nil }
            return LeadCategory.category36(lead: b, target: a).rawValue
        }
        let human = humanObserver(r)
        if !observed.isEmpty {
            header += ["observer 2 vs observer 1"] + (human ? ["paper: two observers (95 % CI)"] : [])
            let obs = categoryCells(observed, key: "observer-target")
            for i in 0..<3 {
                rows[i] += [obs[i]]
                if human {
                    rows[i] += [PaperObservers.targetCounts[i].map { Cell(html: PaperObservers.proportionText($0, of: PaperObservers.targetCases), classes: ["paper"]) }
                                ?? .notApplicable("not reported in the paper")]
                }
            }
            for i in 3..<rows.count { rows[i] += human ? [.text(""), .text("")] : [.text("")] }
        }
        var note = "Percentages over the cases where truth or analysis has a target; \"missing\": only one side has one; \"agree-none\": neither has one (not counted)."
        if !observed.isEmpty { note += " " + PaperObservers.note(human: human) }
        return ReportHTML.table(header, rows, id: "target-table", caption: "Primary target: analysis against the truth (36 segments)")
            + ReportHTML.paragraph(note, classes: "note")
    }

    /// Whether every second observer of the run is the human-variability model (`secondObserver.model: human`):
    /// only then are the observer figures placed beside the paper's, which came from two humans.
    static func humanObserver(_ r: ScenarioRunner.Results) -> Bool {
        let observers = r.cases.compactMap(\.secondObserver)
        return !observers.isEmpty && observers.allSatisfy { $0.model == "human" }
    }

    /// The paper's inter-observer figures (DOMAIN.md section 5) with 95 % intervals from its counts
    /// (docs/observer-model.md): same target 12 / 19, adjacent 6 / 19 (Wilson); lead kappa 0.680 with a Wald
    /// interval from the counts it implies (n = 29 leads, observed agreement 24 / 29, chance agreement from the
    /// lead distribution 4 / 18 / 7); scar kappa 0.866 without an interval (the paper gives no segment count).
    enum PaperObservers {
        static let targetCases = 19
        /// Same (within), adjacent, remote primary targets of the two observers; remote is not reported.
        static let targetCounts: [Int?] = [12, 6, nil]
        static let scarKappa = "0.866 (no interval: the paper gives neither the number of segments nor their scarred fraction)"
        static let leadKappa = "0.680 (95 % CI 0.42-0.94 reconstructed: n = 29, agreement 24 / 29, both observers' categories 4 / 18 / 7)"

        /// "63 % (41-81 %), 12 / 19".
        static func proportionText(_ k: Int, of n: Int) -> String {
            let p = Double(k) / Double(n)
            guard let ci = try? wilsonInterval(successes: k, trials: n).confidenceInterval else { return "\(Int((100 * p).rounded())) %" }
            func pc(_ x: Double) -> Int { Int((100 * x).rounded()) }
            return "\(pc(p)) % (\(pc(ci.lower))-\(pc(ci.upper)) %), \(k) / \(n)"
        }

        static func note(human: Bool) -> String {
            human ? "Observer 2 is the human-variability model (docs/observer-model.md): its agreement with observer 1 is a check against the paper's two humans, not a fit; the paper's 95 % intervals are Wilson intervals from its counts."
                  : "Observer 2 repeats the algorithm with another threshold and other clicks only; the paper's inter-observer figures (two humans) are shown only with the human-variability observer (secondObserver.model: human)."
        }
    }

    /// Lead position: the pipeline's lead segment against its own target ("analysis") and the true lead against
    /// the true target ("truth"), in 36 and 18 segments, beside the paper's 14 / 62 / 24 % and remote 3 %.
    static func leadTable(_ r: ScenarioRunner.Results) -> String {
        let regs = r.cases.compactMap(\.registration)
        let columns: [(key: String, values: [String?])] = [
            ("36-analysis", regs.map(\.leadCategory36Analysis)), ("36-truth", regs.map(\.leadCategory36Truth)),
            ("18-analysis", regs.map(\.leadCategory18Analysis)), ("18-truth", regs.map(\.leadCategory18Truth)),
        ]
        let cells = columns.map { categoryCells($0.values.compactMap { $0 }, key: "lead\($0.key)") }
        let paper36 = ["14 %", "62 %", "24 %"], paper18: [String?] = [nil, nil, "3 %"]
        func paper(_ s: String?) -> Cell { s.map { Cell(html: $0, classes: ["paper"]) } ?? .notApplicable("not reported in the paper") }
        var rows: [[Cell]] = categories.indices.map { i in
            [Cell.category(categories[i]), cells[0][i], cells[1][i], paper(paper36[i]), cells[2][i], cells[3][i], paper(paper18[i])]
        }
        rows.append([Cell.rowHeader("not classified", title: "no lead found or no target on that side")]
            + columns.enumerated().flatMap { k, c -> [Cell] in
                let cell = Cell(html: String(c.values.filter { $0 == nil }.count)).keyed("lead\(c.key)/none")
                return k == 1 || k == 3 ? [cell, .text("")] : [cell]
            })
        let header = ["lead position", "36: analysis", "36: truth", "36: paper", "18: analysis", "18: truth", "18: paper"]
        let note = "analysis: the lead segment the pipeline reports against its own primary target; truth: the true lead against the true target. Paper: lead within / adjacent / remote 14 / 62 / 24 % in 36 segments, remote 3 % in 18 segments (DOMAIN.md section 5)."
        return ReportHTML.table(header, rows, id: "lead-table", caption: "Lead position against the target (\(regs.count) cases with fluoroscopy)")
            + ReportHTML.paragraph(note, classes: "note")
    }

    // MARK: - 4. Confusion matrices

    /// One confusion matrix (rows: first rater, columns: second) with Cohen's kappa and its 95 % CI.
    struct Matrix {
        var id: String, title: String, rowsLabel: String, columnsLabel: String
        var first: [String], second: [String], categories: [String]
        /// Also the linearly weighted kappa (ordered categories).
        var weighted = false
        /// The paper's kappa for the same comparison, if any.
        var paper: String? = nil
    }

    static func confusionSection(_ r: ScenarioRunner.Results) -> String {
        let matrices = confusionMatrices(r)
        let body = "<div class=\"matrices\">" + matrices.map(render).joined(separator: "\n") + "</div>"
        return ReportHTML.section("confusion", "Confusion matrices", body)
    }

    /// The matrices that apply to this run.
    static func confusionMatrices(_ r: ScenarioRunner.Results) -> [Matrix] {
        let scar = ["scarred", "not scarred"]
        func s(_ b: Bool) -> String { b ? "scarred" : "not scarred" }
        var out = [Matrix(id: "cm-scar", title: "Scarred segments (36 per case, pooled)", rowsLabel: "truth", columnsLabel: "analysis",
                          first: r.cases.flatMap { $0.score.scarredTruth.map(s) }, second: r.cases.flatMap { $0.score.scarredAnalysis.map(s) },
                          categories: scar)]
        let walls = Segment36.ahaSectorNames + ["none"]
        out.append(Matrix(id: "cm-target", title: "Primary target wall (AHA sector of the 36-segment target)", rowsLabel: "truth", columnsLabel: "analysis",
                          first: r.cases.map { SegmentNames.wall($0.score.primaryTargetTruth) ?? "none" },
                          second: r.cases.map { SegmentNames.wall($0.score.primaryTargetAnalysis) ?? "none" }, categories: walls))
        let regs = r.cases.compactMap(\.registration)
        let lead = PipelineMetrics.leadPairs(regs, truth: \.leadCategory36Truth, analysis: \.leadCategory36Analysis)
        if !lead.isEmpty {
            out.append(Matrix(id: "cm-lead36", title: "Lead category (36 segments): true lead vs true target, analysis vs its target",
                              rowsLabel: "truth", columnsLabel: "analysis",
                              first: lead.map(\.0), second: lead.map(\.1), categories: PipelineMetrics.leadCategories(of: lead), weighted: true))
        }
        let located = PipelineMetrics.leadPairs(regs, truth: \.leadCategory36TruthSegmentVsAnalysisTarget, analysis: \.leadCategory36Analysis)
        if !located.isEmpty {
            out.append(Matrix(id: "cm-localisation36", title: "Lead localisation (36 segments): true segment of the pacing electrode vs the analysis, both against the analysis' target",
                              rowsLabel: "truth", columnsLabel: "analysis",
                              first: located.map(\.0), second: located.map(\.1), categories: PipelineMetrics.leadCategories(of: located), weighted: true))
        }
        let fluoro = regs.compactMap { g -> (String, String)? in g.leadCategory36Analysis.flatMap { m in g.fluoroscopyOnlyCategory36.map { (m, $0) } } }
        if !fluoro.isEmpty {
            out.append(Matrix(id: "cm-fluoro", title: "Lead category: model-registered vs fluoroscopy only", rowsLabel: "model", columnsLabel: "fluoroscopy only",
                              first: fluoro.map(\.0), second: fluoro.map(\.1), categories: categories, weighted: true, paper: "0.078"))
        }
        let observed = r.cases.compactMap { c in c.firstObserver.flatMap { a in c.secondObserver.map { (a, $0) } } }
        if !observed.isEmpty {
            // The paper's kappas (two humans) only beside the human-variability observer.
            let human = humanObserver(r)
            out.append(Matrix(id: "cm-observer-scar", title: "Scarred segments: observer 1 vs observer 2", rowsLabel: "observer 1", columnsLabel: "observer 2",
                              first: observed.flatMap { $0.0.scarredSegments.map(s) }, second: observed.flatMap { $0.1.scarredSegments.map(s) },
                              categories: scar, paper: human ? PaperObservers.scarKappa : nil))
            let obsLead = observed.compactMap { a, b -> (String, String)? in a.leadCategory36.flatMap { x in b.leadCategory36.map { (x, $0) } } }
            if !obsLead.isEmpty {
                out.append(Matrix(id: "cm-observer-lead", title: "Lead category (36): observer 1 vs observer 2", rowsLabel: "observer 1", columnsLabel: "observer 2",
                                  first: obsLead.map(\.0), second: obsLead.map(\.1), categories: categories, weighted: true,
                                  paper: human ? PaperObservers.leadKappa : nil))
            }
        }
        return out
    }

    /// The matrix as a table (counts, diagonal highlighted, totals) and its kappa line.
    static func render(_ m: Matrix) -> String {
        let table = try? ConfusionMatrix(first: m.first, second: m.second, categories: m.categories)
        guard let table else {
            return "<div class=\"matrix\"><h3>\(HTML.escape(m.title))</h3>" + ReportHTML.paragraph("No pairs.", classes: "note") + "</div>"
        }
        let k = m.categories.count
        var rows: [[Cell]] = (0..<k).map { i in
            [Cell.rowHeader(m.categories[i])] + (0..<k).map { j in
                let n = table.counts[i][j]
                var c = Cell(html: String(n)).keyed("\(m.categories[i])/\(m.categories[j])")
                if n == 0 { c = c.with("zero") } else if i == j { c = c.with("diag") }
                return c
            } + [Cell(html: String(table.firstRaterTotals[i]), classes: ["muted"])]
        }
        rows.append([Cell.rowHeader("total")] + table.secondRaterTotals.map { Cell(html: String($0), classes: ["muted"]) }
            + [Cell(html: String(table.total), classes: ["muted"])])
        let header = ["\(m.rowsLabel) \\ \(m.columnsLabel)"] + m.categories + ["total"]
        var lines = [kappaLine("kappa", try? cohensKappa(table))]
        if m.weighted { lines.append(kappaLine("linearly weighted kappa", try? cohensKappa(table, weighting: .linear))) }
        if let p = m.paper { lines.append("paper: kappa \(HTML.escape(p))") }
        return "<div class=\"matrix\"><h3>\(HTML.escape(m.title))</h3>" + ReportHTML.table(header, rows, id: m.id)
            + "<p class=\"note\" id=\"\(m.id)-kappa\">" + lines.joined(separator: "<br>") + "</p></div>"
    }

    /// "kappa 0.812 (95 % CI 0.701-0.923), almost perfect, n = 72", or n/a when undefined.
    static func kappaLine(_ name: String, _ k: KappaResult?) -> String {
        guard let k, k.kappa.isFinite else {
            return "\(HTML.escape(name)) <span class=\"na\" title=\"undefined: chance agreement is 1 or no pairs (\(ReportHTML.notApplicableTitle))\">n/a</span>"
        }
        let ci = k.confidenceInterval
        let values = String(format: "%.3f (95 %% CI %.3f to %.3f)", k.kappa, ci.lower, ci.upper)
        return HTML.escape("\(name) \(values), \(k.strength.label), n = \(k.subjects)")
    }

    // MARK: - 5. Group statistics

    /// Key metrics shown per group (the degradation table of sweeps); registration only when a group has it.
    static let groupColumns: [(id: String, label: String, digits: Int)] = [
        ("target.within_or_adjacent_rate", "target within/adj.", 3), ("target.exact_rate", "target exact", 3),
        ("target.distance_mean_mm", "target distance (mm)", 1), ("scar.kappa", "scar kappa", 3), ("scar.dice_mean", "Dice", 3),
        ("activation.mae_median_ms", "activation MAE (ms)", 1), ("registration.mtre_median_mm", "mTRE (mm)", 2),
        ("lead.category36_agreement_rate", "lead cat. agreement", 3),
    ]

    static func groupSection(_ r: ScenarioRunner.Results) -> String {
        guard !r.groupMetrics.isEmpty || !r.groupTests.isEmpty else { return "" }
        func value(_ g: CohortStatistics.GroupMetrics, _ id: String) -> Double? { g.metrics.first { $0.id == id }?.value }
        let columns = groupColumns.filter { c in
            !c.id.hasPrefix("registration.") && !c.id.hasPrefix("lead.") || r.groupMetrics.contains { value($0, c.id)?.isFinite == true }
        }
        let rows = r.groupMetrics.map { g -> [Cell] in
            [Cell.text(g.grouping), .text(g.group), .integer(g.cases)] + columns.map { Cell.number(value(g, $0.id), digits: $0.digits) }
        }
        var h = rows.isEmpty ? "" : ReportHTML.table(["grouping", "group", "cases"] + columns.map(\.label), rows, id: "group-metrics", caption: "Metrics per group")
        let tests = r.groupTests.map { t -> [Cell] in
            [Cell.text(t.grouping), .text(t.test), .text(t.variable), .text(t.groups.joined(separator: " vs ")),
             .text(t.counts.map(String.init).joined(separator: " / ")), .significant(t.statistic), .significant(t.pValue), .text(t.note ?? "")]
        }
        if !tests.isEmpty {
            h += ReportHTML.table(["grouping", "test", "variable", "groups", "n", "statistic", "p", "note"], tests, id: "group-tests", caption: "Tests between groups")
        }
        return ReportHTML.section("groups", "Group statistics", h)
    }

    // MARK: - 6. Registration

    /// Success against initial mTRE (capture range), the bins as a table, and the per-case mTRE.
    static func registrationSection(_ r: ScenarioRunner.Results) -> String {
        let regs = r.cases.compactMap { c in c.registration.map { (c.index, $0) } }
        guard !regs.isEmpty || r.cases.contains(where: { $0.notRegistered != nil }) else { return "" }
        let trials = r.cases.flatMap { $0.registrationTrials ?? [] }
        var h = ""
        if !trials.isEmpty {
            let bins = ReportPlots.successBins(trials)
            let capture = RegistrationTrials.captureRangeMm(trials)
            h += "<h3>Success (final mTRE &lt; 5 mm) against initial mTRE, \(trials.count) starts</h3>"
            h += ReportPlots.successPlot(bins, captureRangeMm: capture)
            let rows = bins.map { b -> [Cell] in
                [Cell.text(String(format: "%g-%g", b.lowerMm, b.lowerMm + 2)), .integer(b.trials), .integer(b.successes), .number(b.fraction.map { 100 * $0 }, digits: 0)]
            }
            h += ReportHTML.table(["initial mTRE (mm)", "starts", "successes", "success %"], rows, id: "capture-bins",
                                  caption: "Capture range: \(ReportHTML.format(capture, digits: 0).map { "\($0) mm" } ?? "n/a") (every bin up to it >= 95 % success)")
        }
        let sorted = regs.sorted { ($0.1.mTREMm, $0.0) < ($1.1.mTREMm, $1.0) }
        h += "<h3>mTRE of the registration per case</h3>"
        h += ReportPlots.histogram(regs.map(\.1.mTREMm), id: "plot-mtre", xTitle: "mTRE (mm)", thresholds: [2, 5])
        let rows = sorted.map { i, g -> [Cell] in
            [Cell.integer(i), .number(g.mTREMm, digits: 2), .number(g.landmarkMTREMm, digits: 2), .number(g.mPDMm, digits: 2), .number(g.mRPDMm, digits: 2),
             Cell(html: g.success ? "yes" : "no", classes: [g.success ? "pass" : "fail"])]
        }
        h += ReportHTML.table(["case (sorted by mTRE)", "mTRE (mm)", "landmarks only", "mPD (mm)", "mRPD (mm)", "success"], rows, id: "mtre-sorted")
        let unregistered = r.cases.compactMap { c in c.notRegistered.map { (c.index, $0) } }
        if !unregistered.isEmpty {
            h += ReportHTML.table(["case not registered", "why (counted as a registration failure)"],
                                  unregistered.map { [Cell.integer($0.0), .text($0.1.reason)] }, id: "not-registered")
        }
        return ReportHTML.section("registration", "Registration", h)
    }

    // MARK: - 7. Cases

    /// One row per case: truth against estimate, categories coloured.
    static func casesSection(_ r: ScenarioRunner.Results) -> String {
        let fluoro = r.cases.contains { $0.registration != nil }
        let observer = r.cases.contains { $0.secondObserver != nil }
        let sweep = r.cases.contains { !($0.groups["sweep"] ?? "").isEmpty }
        var header = ["case", "phantom", "seed", "ICM", "LBBB"] + (sweep ? ["sweep"] : [])
        header += ["target truth", "target analysis", "target", "distance (mm)", "scar kappa", "Dice", "burden truth (%)", "burden analysis (%)",
                   "EDV truth (mL)", "EDV analysis (mL)", "EF truth", "EF analysis", "activation MAE (ms)", "latest segment", "strain RMSE (%)"]
        if fluoro {
            header += ["mTRE (mm)", "lead truth", "lead analysis", "lead36 truth", "lead36 analysis", "lead18 truth", "lead18 analysis",
                       "fluoro-only36", "tip error (mm)"]
        }
        if observer { header += ["obs. 2 target", "obs. 2 lead36"] }
        let rows = r.cases.map { c -> [Cell] in
            let s = c.score
            var row: [Cell] = [.integer(c.index), .text(c.preset), .text(String(c.seed)), .text(c.groups["icm"] ?? ""), .text(c.groups["lbbb"] ?? "")]
            if sweep { row.append(.text(c.groups["sweep"] ?? "")) }
            row += [.segment(s.primaryTargetTruth), .segment(s.primaryTargetAnalysis), .category(s.primaryTargetCategory),
                    .number(s.targetDistanceMm, digits: 1), .number(s.scarKappa), .number(s.scarDice),
                    .number(s.scarBurdenTruthPercent, digits: 1), .number(s.scarBurdenAnalysisPercent, digits: 1),
                    .number(s.edvTruthMl, digits: 1), .number(s.edvAnalysisMl, digits: 1), .number(s.efTruth), .number(s.efAnalysis),
                    .number(s.activationMedianAbsErrorMs, digits: 1), .category(s.latestSegmentCategory), .number(s.strainRMSEPercent, digits: 2)]
            if fluoro {
                if let g = c.registration {
                    row += [.number(g.mTREMm, digits: 2), .segment(g.leadSegmentTruth), .segment(g.leadSegmentAnalysis),
                            .category(g.leadCategory36Truth), .category(g.leadCategory36Analysis), .category(g.leadCategory18Truth),
                            .category(g.leadCategory18Analysis), .category(g.fluoroscopyOnlyCategory36), .number(g.pacingElectrodeErrorMm, digits: 1)]
                } else {
                    row += Array(repeating: Cell.notApplicable(), count: 9)
                }
            }
            if observer {
                row += c.secondObserver.map { [Cell.segment($0.primaryTarget), .category($0.leadCategory36)] } ?? [.notApplicable(), .notApplicable()]
            }
            return row
        }
        return ReportHTML.section("cases", "Cases", "<div class=\"scroll\">" + ReportHTML.table(header, rows, id: "cases-table") + "</div>")
    }

    // MARK: - 8. Figures

    /// Bullseyes, strain curves, overlays (PNG as data URIs) and the 4D-MAP (`<iframe srcdoc>`) of the first cases.
    static func figuresSection(_ r: ScenarioRunner.Results, caseFolder: (Int) -> String, count: Int) -> String {
        let shown = r.cases.prefix(max(0, count))
        guard !shown.isEmpty else { return "" }
        let body = shown.map { c in
            "<h3>case \(c.index): \(HTML.escape(c.preset)), seed \(c.seed)</h3>" + caseFigures(folder: caseFolder(c.index) + "/analysis/figures", caseIndex: c.index)
        }.joined(separator: "\n")
        return ReportHTML.section("figures", "Figures of the first \(shown.count) cases", body)
    }

    /// PNG figures of a case folder, one row per kind (bullseyes, strain curves, overlays, others; by name within a
    /// row), then its 4D-MAP.
    static func caseFigures(folder: String, caseIndex: Int) -> String {
        let pngs = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
        guard !pngs.isEmpty else { return ReportHTML.paragraph("No figures in \(folder).", classes: "note") }
        let kinds: [(prefix: String?, wide: Bool)] = [("bullseye", false), ("strain", true), ("overlay", false), (nil, false)]
        let known = kinds.compactMap(\.prefix)
        var h = ""
        for kind in kinds {
            let names = pngs.filter { n in kind.prefix.map { n.hasPrefix($0) } ?? !known.contains { n.hasPrefix($0) } }
            let figures = names.compactMap { figure(folder: folder, name: $0, wide: kind.wide) }
            if !figures.isEmpty { h += "<div class=\"figs\">" + figures.joined() + "</div>" }
        }
        if let data = FileManager.default.contents(atPath: folder + "/4d-map.html"), let page = String(data: data, encoding: .utf8) {
            h += "<h4>4D-MAP</h4>" + frame(page, title: "4D-MAP of case \(caseIndex)")
        }
        return h
    }

    /// One PNG as a data URI with its name as caption; nil when unreadable.
    static func figure(folder: String, name: String, wide: Bool) -> String? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
        let label = HTML.escape(String(name.dropLast(4)))
        return "<figure><img\(wide ? " class=\"wide\"" : "") alt=\"\(label)\" src=\"data:image/png;base64,\(data.base64EncodedString())\"><figcaption>\(label)</figcaption></figure>"
    }

    /// An `<iframe srcdoc>` holding a whole page (its scripts run in the frame's own window); the error reporter is
    /// put at the start of its head so that its errors reach the report's marker.
    static func frame(_ page: String, title: String) -> String {
        "<iframe class=\"map4d\" title=\"\(HTML.escape(title))\" srcdoc=\"\(HTML.escape(withErrorReporter(page)))\"></iframe>"
    }

    /// The page with `errorReporter` right after its `<head>` (or after the doctype, or first), so the page stays
    /// in standards mode.
    static func withErrorReporter(_ page: String) -> String {
        if let head = page.range(of: "<head>", options: .caseInsensitive) ?? page.range(of: "<head ", options: .caseInsensitive) {
            let close = page[head.lowerBound...].firstIndex(of: ">")!
            let at = page.index(after: close)
            return String(page[..<at]) + errorReporter + String(page[at...])
        }
        if page.range(of: "<!doctype", options: [.caseInsensitive, .anchored]) != nil, let close = page.firstIndex(of: ">") {
            let at = page.index(after: close)
            return String(page[..<at]) + errorReporter + String(page[at...])
        }
        return errorReporter + page
    }
}
