import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import Statistics
import SyntheticCase

/// Metrics of a scenario run: id, unit and direction, computed from the per-case scores (DOMAIN.md section 4).
public enum PipelineMetrics {
    public struct Metric: Codable, Sendable, Equatable {
        public var id: String
        public var value: Double
        public var unit: String
        /// "higher" or "lower" is better.
        public var better: String
    }

    public static let definitions: [(id: String, unit: String, better: String)] = [
        ("scar.kappa", "1", "higher"), ("scar.kappa_ci_lower", "1", "higher"), ("scar.dice_mean", "1", "higher"),
        ("scar.burden_abs_error_max_pp", "percentage points", "lower"), ("scar.false_positive_cases", "cases", "lower"),
        ("volume.edv_abs_rel_error_max", "fraction", "lower"), ("volume.esv_abs_rel_error_max", "fraction", "lower"),
        ("volume.ef_abs_error_max_points", "EF points", "lower"), ("activation.mae_median_ms", "ms", "lower"),
        ("activation.latest_hit_rate", "fraction", "higher"), ("target.within_or_adjacent_rate", "fraction", "higher"),
        ("target.exact_rate", "fraction", "higher"), ("target.remote_rate", "fraction", "lower"),
    ]
    public static var ids: [String] { definitions.map(\.id) }

    /// Every metric over a set of case scores. Scar kappa is pooled over all segments of all cases (a case where
    /// neither side has scar counts as agreement); Dice counts only cases where truth or estimate has scar.
    public static func compute(_ scores: [PipelineScore]) -> [Metric] {
        func frac(_ x: [Bool]) -> Double { x.isEmpty ? .nan : Double(x.filter { $0 }.count) / Double(x.count) }
        let truthFlags = scores.flatMap(\.scarredTruth), estFlags = scores.flatMap(\.scarredAnalysis)
        let kappa = try? cohensKappa(first: truthFlags, second: estFlags, categories: [false, true])
        let agreeAll = truthFlags == estFlags
        let dices = scores.compactMap(\.scarDice)
        let targets = scores.filter { $0.primaryTargetCategory != "agree-none" }
        let acts = scores.compactMap(\.activationMedianAbsErrorMs).sorted()
        let values: [String: Double] = [
            "scar.kappa": kappa?.kappa ?? (agreeAll ? 1 : 0),
            "scar.kappa_ci_lower": kappa?.confidenceInterval.lower ?? (agreeAll ? 1 : 0),
            "scar.dice_mean": dices.isEmpty ? 1 : dices.reduce(0, +) / Double(dices.count),
            "scar.burden_abs_error_max_pp": scores.map { abs($0.scarBurdenErrorPoints) }.max() ?? 0,
            "scar.false_positive_cases": Double(scores.filter { !$0.truthHasScar && $0.analysisFoundScar }.count),
            "volume.edv_abs_rel_error_max": scores.map { abs($0.edvRelativeError) }.max() ?? 0,
            "volume.esv_abs_rel_error_max": scores.map { abs($0.esvRelativeError) }.max() ?? 0,
            "volume.ef_abs_error_max_points": scores.map { abs($0.efErrorPoints) }.max() ?? 0,
            "activation.mae_median_ms": acts.isEmpty ? .nan : acts[acts.count / 2],
            "activation.latest_hit_rate": frac(scores.compactMap(\.latestSegmentCategory).map { $0 != "remote" }),
            "target.within_or_adjacent_rate": frac(targets.map { $0.primaryTargetCategory == "within" || $0.primaryTargetCategory == "adjacent" }),
            "target.exact_rate": frac(targets.map { $0.primaryTargetCategory == "within" }),
            "target.remote_rate": frac(targets.map { $0.primaryTargetCategory != "within" && $0.primaryTargetCategory != "adjacent" }),
        ]
        return definitions.map { Metric(id: $0.id, value: values[$0.id] ?? .nan, unit: $0.unit, better: $0.better) }
    }
}

/// Runs a scenario: generates every case, runs the pipeline on its cmr/ folder, scores it against its truth,
/// computes the metrics and checks the expectations.
public struct ScenarioRunner {
    public var scenario: Scenario
    /// Folder holding the presets (<name>.yaml).
    public var presetFolder: String

    public init(scenario: Scenario, presetFolder: String) { self.scenario = scenario; self.presetFolder = presetFolder }

    public struct CaseResult: Codable, Sendable {
        public var index: Int, preset: String, seed: UInt64
        public var score: PipelineScore
        public var analysisSeconds: Double
    }

    public struct Verdict: Codable, Sendable {
        public var metric: String, expectation: String, value: Double, passed: Bool
    }

    /// Which part of the cases a run takes: case i belongs to shard (i mod count) + 1.
    public struct Shard: Sendable, Equatable {
        public var index: Int, count: Int
        public init(index: Int, count: Int) throws {
            guard count >= 1, (1...count).contains(index) else {
                throw InputError("--shard: \(index)/\(count) is out of range: expected I/N with 1 <= I <= N")
            }
            self.index = index; self.count = count
        }
        public static let whole = try! Shard(index: 1, count: 1)
        public func contains(_ i: Int) -> Bool { i % count == index - 1 }
        /// From the environment of a scheduler: a Slurm array (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1 of
        /// SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX + 1 of CRTSIM_SHARDS).
        public static func fromEnvironment(_ env: [String: String]) throws -> Shard? {
            if let id = env["SLURM_ARRAY_TASK_ID"].flatMap(Int.init), let n = env["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) {
                let lo = env["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
                return try Shard(index: id - lo + 1, count: n)
            }
            if let k = env["JOB_COMPLETION_INDEX"].flatMap(Int.init) {
                guard let n = env["CRTSIM_SHARDS"].flatMap(Int.init) else {
                    throw InputError("JOB_COMPLETION_INDEX is set: set CRTSIM_SHARDS to the number of shards (the Job's completions)")
                }
                return try Shard(index: k + 1, count: n)
            }
            return nil
        }
    }

    public struct Results: Codable, Sendable {
        public var scenario: String
        public var description: String
        /// The expectations checked (kept so that shards can be merged and re-judged).
        public var expectations: [Scenario.Expectation]
        public var metrics: [PipelineMetrics.Metric]
        public var verdicts: [Verdict]
        public var passed: Bool
        public var manifest: [String: String]
        public var cases: [CaseResult]
    }

    /// Runs every case into `folder.path("cases/case-<i>")`; `progress` receives one line per case.
    public func run(into folder: StagedFolder, shard: Shard = .whole, progress: (String) -> Void) throws -> Results {
        var results: [CaseResult] = []
        var config = PipelineConfiguration()
        config.scar.thresholdFraction = scenario.scarThresholdFraction
        config.scar.method = ScarDetection.Method(rawValue: scenario.scarMethod) ?? .fwhm
        let start = Date()
        let mine = (0..<scenario.cases).filter(shard.contains)
        for (done, i) in mine.enumerated() {
            let preset = scenario.phantoms[i % scenario.phantoms.count]
            let file = presetFolder + "/\(preset).yaml"
            var spec = try PhantomSpec.load(yaml: try String(contentsOfFile: file, encoding: .utf8), file: file)
            if let v = scenario.cineSnr { spec.cmr.cine.snr = v }
            if let v = scenario.lgeSnr { spec.cmr.lge.snr = v }
            if let v = scenario.sliceMisregistrationMm { spec.cmr.sliceMisregistrationMm = v }
            let seed = scenario.caseSeed(i)
            let base = try folder.directory("cases/case-\(i)")
            _ = try CaseGenerator.generate(spec: spec, seed: seed, out: base + "/case", replace: true, previews: false, xray: false)
            let t0 = Date()
            let output = try GuidancePipeline(configuration: config).run(try CMRStudy.load(cmrDirectory: base + "/case/cmr"))
            let seconds = Date().timeIntervalSince(t0)
            _ = try AnalysisWriter.write(output, to: base + "/analysis", replace: true, extras: AnalysisProducts.all(output))
            let score = try PipelineScore.score(caseDirectory: base + "/case", analysisDirectory: base + "/analysis")
            results.append(CaseResult(index: i, preset: preset, seed: seed, score: score, analysisSeconds: seconds))
            let elapsed = Date().timeIntervalSince(start)
            let eta = elapsed / Double(done + 1) * Double(mine.count - done - 1)
            progress(String(format: "[%d/%d] case %d, %@ seed %llu: target %@, kappa %.2f, EDV %+.1f %%  (ETA %.0f s)",
                            done + 1, mine.count, i, preset, seed, score.primaryTargetCategory, score.scarKappa,
                            100 * score.edvRelativeError, eta))
        }
        var manifest = [
            "crtsim": "0.1.0", "gitCommit": Self.gitCommit(), "scenarioHash": scenario.hash,
            "seed": String(scenario.seed), "cases": String(scenario.cases),
            "settings": "scarThresholdFraction=\(scenario.scarThresholdFraction), scarMethod=\(scenario.scarMethod)",
        ]
        manifest["shard"] = "\(shard.index)/\(shard.count)"
        return Self.judge(scenario: scenario.id, description: scenario.description, expectations: scenario.expectations,
                          manifest: manifest, cases: results)
    }

    /// Metrics and verdicts of a set of cases.
    public static func judge(scenario: String, description: String, expectations: [Scenario.Expectation],
                             manifest: [String: String], cases: [CaseResult]) -> Results {
        let sorted = cases.sorted { $0.index < $1.index }
        let metrics = PipelineMetrics.compute(sorted.map(\.score))
        let verdicts = expectations.map { e -> Verdict in
            let v = metrics.first { $0.id == e.metric }?.value ?? .nan
            return Verdict(metric: e.metric, expectation: e.text, value: v, passed: e.passes(v))
        }
        return Results(scenario: scenario, description: description, expectations: expectations, metrics: metrics,
                       verdicts: verdicts, passed: verdicts.allSatisfy(\.passed), manifest: manifest, cases: sorted)
    }

    /// Joins the results of the shards of one run (same scenario and hash, every case once) and judges them again.
    public static func merge(_ parts: [Results], sources: [String]) throws -> Results {
        guard let first = parts.first else { throw InputError("crtsim merge: give at least one run folder") }
        for (p, src) in zip(parts, sources) where p.scenario != first.scenario || p.manifest["scenarioHash"] != first.manifest["scenarioHash"] {
            throw InputError("\(src)/results.json: scenario \(p.scenario) (hash \(p.manifest["scenarioHash"] ?? "?")) differs from \(sources[0]) (\(first.scenario), \(first.manifest["scenarioHash"] ?? "?"))")
        }
        let cases = parts.flatMap(\.cases)
        let indices = cases.map(\.index)
        guard Set(indices).count == indices.count else { throw InputError("crtsim merge: a case appears in more than one shard") }
        let expected = Int(first.manifest["cases"] ?? "") ?? indices.count
        guard indices.count == expected else {
            throw InputError("crtsim merge: \(indices.count) of \(expected) cases present; missing shards?")
        }
        var manifest = first.manifest
        manifest["shard"] = "merged from \(parts.count)"
        return judge(scenario: first.scenario, description: first.description, expectations: first.expectations,
                     manifest: manifest, cases: cases)
    }

    /// Metric-by-metric comparison of a run against a baseline: a metric regresses when it is worse (by its
    /// direction) by more than `tolerance` x max(|baseline|, 1e-9) ... plus `absoluteTolerance`.
    public static func compare(baseline: Results, run: Results, relativeTolerance: Double, absoluteTolerance: Double)
        -> [(metric: String, baseline: Double, run: Double, status: String)] {
        baseline.metrics.compactMap { b in
            guard let r = run.metrics.first(where: { $0.id == b.id }) else { return (b.id, b.value, .nan, "missing") }
            let allowance = relativeTolerance * abs(b.value) + absoluteTolerance
            let worse = b.better == "higher" ? b.value - r.value : r.value - b.value
            let status: String
            if !r.value.isFinite && b.value.isFinite { status = "regression" }
            else if worse > allowance { status = "regression" }
            else if worse < -allowance { status = "improvement" }
            else { status = "same" }
            return (b.id, b.value, r.value, status)
        }
    }

    /// The commit of the working copy (reads .git directly), or "unknown".
    static func gitCommit() -> String {
        let git = FileManager.default.currentDirectoryPath + "/.git"
        guard let head = try? String(contentsOfFile: git + "/HEAD", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else { return "unknown" }
        guard head.hasPrefix("ref: ") else { return head }
        let ref = String(head.dropFirst(5))
        if let c = try? String(contentsOfFile: git + "/" + ref, encoding: .utf8) { return c.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let packed = try? String(contentsOfFile: git + "/packed-refs", encoding: .utf8),
           let line = packed.split(separator: "\n").first(where: { $0.hasSuffix(" " + ref) }) {
            return String(line.split(separator: " ")[0])
        }
        return "unknown"
    }

    /// cases.csv: one row per case, truth and estimate side by side.
    public static func csv(_ r: Results) -> String {
        var rows = ["case,preset,seed,primaryTargetTruth,primaryTargetAnalysis,targetCategory,scarKappa,scarDice,scarBurdenErrorPoints,edvRelativeError,esvRelativeError,efErrorPoints,activationMedianAbsErrorMs,latestSegmentCategory,analysisSeconds"]
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "" }
        for c in r.cases {
            let s = c.score
            rows.append([String(c.index), c.preset, String(c.seed), s.primaryTargetTruth.map(String.init) ?? "",
                         s.primaryTargetAnalysis.map(String.init) ?? "", s.primaryTargetCategory, f(s.scarKappa), f(s.scarDice),
                         f(s.scarBurdenErrorPoints), f(s.edvRelativeError), f(s.esvRelativeError), f(s.efErrorPoints),
                         f(s.activationMedianAbsErrorMs), s.latestSegmentCategory ?? "", f(c.analysisSeconds)].joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// junit.xml: one test case per expectation.
    public static func junit(_ r: Results) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let failures = r.verdicts.filter { !$0.passed }.count
        out += "<testsuite name=\"\(esc(r.scenario))\" tests=\"\(r.verdicts.count)\" failures=\"\(failures)\">\n"
        for v in r.verdicts {
            out += "  <testcase classname=\"\(esc(r.scenario))\" name=\"\(esc(v.metric)) \(esc(v.expectation))\">"
            if !v.passed { out += "<failure message=\"\(esc(v.metric)) = \(v.value), expected \(esc(v.expectation))\"/>" }
            out += "</testcase>\n"
        }
        return out + "</testsuite>\n"
    }
}
