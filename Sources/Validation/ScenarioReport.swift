import Foundation

/// `report.html`: one self-contained page (no network; images inlined as data URIs) with the verdicts, the metrics,
/// the target-accuracy table, one row per case, and the figures of the first cases.
public enum ScenarioReport {
    /// - Parameters:
    ///   - results: the judged run.
    ///   - caseFolder: maps a case index to its folder (holding `analysis/figures/`), for the inlined figures.
    ///   - figureCases: how many cases show their figures.
    public static func html(_ r: ScenarioRunner.Results, caseFolder: (Int) -> String, figureCases: Int = 3) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func num(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.3f", $0) : "–" } ?? "–" }
        var h = """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>crtsim \(esc(r.scenario))</title>
        <style>body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}
        td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}
        .pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}img{max-width:420px;margin:4px;border:1px solid #ddd}</style></head><body>
        <h1>crtsim scenario: \(esc(r.scenario))</h1><p>\(esc(r.description))</p>
        <p class="\(r.passed ? "pass" : "fail")">\(r.passed ? "All expectations met" : "Some expectations failed") · \(r.cases.count) cases · crtsim \(esc(r.manifest["crtsim"] ?? "?")) · commit \(esc(r.manifest["gitCommit"] ?? "?")) · scenario hash \(esc(r.manifest["scenarioHash"] ?? "?"))</p>
        <h2>Expectations</h2><table><tr><th class="l">metric</th><th>value</th><th class="l">expected</th><th class="l">verdict</th></tr>
        """
        for v in r.verdicts {
            h += "<tr><td class=\"l\">\(esc(v.metric))</td><td>\(num(v.value))</td><td class=\"l\">\(esc(v.expectation))</td><td class=\"l \(v.passed ? "pass" : "fail")\">\(v.passed ? "PASS" : "FAIL")</td></tr>"
        }
        h += "</table><h2>Metrics</h2><table><tr><th class=\"l\">id</th><th>value</th><th class=\"l\">unit</th><th class=\"l\">better</th></tr>"
        for m in r.metrics { h += "<tr><td class=\"l\">\(esc(m.id))</td><td>\(num(m.value))</td><td class=\"l\">\(esc(m.unit))</td><td class=\"l\">\(m.better)</td></tr>" }
        // Target accuracy table (36 segments), as the paper reports lead categories.
        let cats = ["within", "adjacent", "remote", "missing", "agree-none"]
        h += "</table><h2>Primary target against the truth's (36 segments)</h2><table><tr>"
        for c in cats { h += "<th>\(c)</th>" }
        h += "</tr><tr>"
        for c in cats {
            let n = r.cases.filter { $0.score.primaryTargetCategory == c }.count
            h += "<td>\(n) (\(r.cases.isEmpty ? 0 : 100 * n / r.cases.count) %)</td>"
        }
        h += "</tr></table><h2>Cases</h2><table><tr><th>case</th><th class=\"l\">preset</th><th>seed</th><th>target truth</th><th>target est.</th><th class=\"l\">category</th><th>scar kappa</th><th>Dice</th><th>burden err (pp)</th><th>EDV err</th><th>ESV err</th><th>EF err (pt)</th><th>act. err (ms)</th></tr>"
        for c in r.cases {
            let s = c.score
            h += "<tr><td>\(c.index)</td><td class=\"l\">\(esc(c.preset))</td><td>\(c.seed)</td><td>\(s.primaryTargetTruth.map(String.init) ?? "none")</td><td>\(s.primaryTargetAnalysis.map(String.init) ?? "none")</td><td class=\"l\">\(s.primaryTargetCategory)</td><td>\(num(s.scarKappa))</td><td>\(num(s.scarDice))</td><td>\(num(s.scarBurdenErrorPoints))</td><td>\(num(s.edvRelativeError))</td><td>\(num(s.esvRelativeError))</td><td>\(num(s.efErrorPoints))</td><td>\(num(s.activationMedianAbsErrorMs))</td></tr>"
        }
        h += "</table><h2>Figures of the first cases</h2>"
        for c in r.cases.prefix(figureCases) {
            h += "<h3>case \(c.index): \(esc(c.preset)), seed \(c.seed)</h3>"
            for f in ["bullseye-activation.png", "bullseye-scar.png", "strain-curves.png"] {
                let path = caseFolder(c.index) + "/analysis/figures/" + f
                if let data = FileManager.default.contents(atPath: path) {
                    h += "<img alt=\"\(f)\" src=\"data:image/png;base64,\(data.base64EncodedString())\">"
                }
            }
        }
        return h + "</body></html>\n"
    }
}
