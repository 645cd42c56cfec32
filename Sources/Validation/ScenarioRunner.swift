import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import Statistics
import SyntheticCase
import WebOutput

/// Runs a scenario: generates every case, runs the pipeline on its cmr/ folder, scores it against its truth,
/// computes the metrics and checks the expectations.
public struct ScenarioRunner {
    public var scenario: Scenario
    /// Folder holding the presets (<name>.yaml).
    public var presetFolder: String
    /// Score these analyses (DIR/case-<i>/) instead of running a pipeline (`crtsim run --analyses`).
    public var analysesFolder: String?

    public init(scenario: Scenario, presetFolder: String, analysesFolder: String? = nil) {
        self.scenario = scenario; self.presetFolder = presetFolder; self.analysesFolder = analysesFolder
    }

    public typealias CaseResult = CaseEvaluation.Result

    /// One expectation judged. A metric without a value (NaN, written as null) fails its expectation, and
    /// `reason` says why it has none.
    public struct Verdict: Codable, Sendable {
        public var metric: String, expectation: String, value: Double, passed: Bool
        public var reason: String?

        public init(metric: String, expectation: String, value: Double, passed: Bool, reason: String? = nil) {
            self.metric = metric; self.expectation = expectation; self.value = value; self.passed = passed; self.reason = reason
        }
        enum CodingKeys: String, CodingKey { case metric, expectation, value, passed, reason }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            metric = try c.decode(String.self, forKey: .metric)
            expectation = try c.decode(String.self, forKey: .expectation)
            value = try c.decodeIfPresent(Double.self, forKey: .value) ?? .nan
            passed = try c.decode(Bool.self, forKey: .passed)
            reason = try c.decodeIfPresent(String.self, forKey: .reason)
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(metric, forKey: .metric)
            try c.encode(expectation, forKey: .expectation)
            if value.isFinite { try c.encode(value, forKey: .value) } else { try c.encodeNil(forKey: .value) }
            try c.encode(passed, forKey: .passed)
            try c.encodeIfPresent(reason, forKey: .reason)
        }
        /// "PASS scar.kappa = 0.9200, expected >= 0.85" or "FAIL x = null (why), expected ...": one line for the terminal.
        public var line: String {
            let shown = value.isFinite ? String(format: "%.4f", value) : "null (\(reason ?? "no value"))"
            return "\(passed ? "PASS" : "FAIL") \(metric) = \(shown), expected \(expectation)"
        }
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
        /// Format version of results.json (Schemas/results.schema.json): 2 since metrics carry `cases` and the run
        /// `baselines` and `uncertainty` (issue 18); a file without it is version 1 and still reads.
        public var schemaVersion = newestSchemaVersion
        public static let newestSchemaVersion = 2
        public var scenario: String
        public var description: String
        /// The expectations checked (kept so that shards can be merged and re-judged).
        public var expectations: [Scenario.Expectation]
        /// Groupings of the cohort statistics (kept so that merged shards are judged the same way).
        public var groupBy: [String]
        public var metrics: [PipelineMetrics.Metric]
        /// Metrics per group and tests between groups (`groupBy`).
        public var groupMetrics: [CohortStatistics.GroupMetrics]
        public var groupTests: [CohortStatistics.GroupTest]
        public var verdicts: [Verdict]
        public var passed: Bool
        public var manifest: [String: String]
        public var cases: [CaseResult]
        /// Cases whose pipeline failed (no scores), by index.
        public var failures: [CaseEvaluation.Failed]
        /// A/B: every pipeline side by side with paired tests (scenarios with `pipelines`), else nil.
        public var comparison: PipelineComparison?
        /// What blind answers would score on the same cases (`NullBaseline`).
        public var baselines: [NullBaseline]?
        /// Bootstrap intervals of the metrics by case and by anatomy, with the numbers of cases, anatomies and scar
        /// patterns.
        public var uncertainty: MetricUncertainty?

        public init(scenario: String, description: String, expectations: [Scenario.Expectation], groupBy: [String],
                    metrics: [PipelineMetrics.Metric], groupMetrics: [CohortStatistics.GroupMetrics], groupTests: [CohortStatistics.GroupTest],
                    verdicts: [Verdict], passed: Bool, manifest: [String: String], cases: [CaseResult], failures: [CaseEvaluation.Failed] = []) {
            self.scenario = scenario; self.description = description; self.expectations = expectations; self.groupBy = groupBy
            self.metrics = metrics; self.groupMetrics = groupMetrics; self.groupTests = groupTests; self.verdicts = verdicts
            self.passed = passed; self.manifest = manifest; self.cases = cases; self.failures = failures
        }

        enum CodingKeys: String, CodingKey {
            case scenario, description, expectations, groupBy, metrics, groupMetrics, groupTests, verdicts, passed, manifest, cases, failures
            case comparison, baselines, uncertainty, schemaVersion
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
            scenario = try c.decode(String.self, forKey: .scenario)
            description = try c.decode(String.self, forKey: .description)
            expectations = try c.decode([Scenario.Expectation].self, forKey: .expectations)
            groupBy = try c.decode([String].self, forKey: .groupBy)
            metrics = try c.decode([PipelineMetrics.Metric].self, forKey: .metrics)
            groupMetrics = try c.decode([CohortStatistics.GroupMetrics].self, forKey: .groupMetrics)
            groupTests = try c.decode([CohortStatistics.GroupTest].self, forKey: .groupTests)
            verdicts = try c.decode([Verdict].self, forKey: .verdicts)
            passed = try c.decode(Bool.self, forKey: .passed)
            manifest = try c.decode([String: String].self, forKey: .manifest)
            cases = try c.decode([CaseResult].self, forKey: .cases)
            failures = try c.decodeIfPresent([CaseEvaluation.Failed].self, forKey: .failures) ?? []  // older results.json
            comparison = try c.decodeIfPresent(PipelineComparison.self, forKey: .comparison)
            baselines = try c.decodeIfPresent([NullBaseline].self, forKey: .baselines)
            uncertainty = try c.decodeIfPresent(MetricUncertainty.self, forKey: .uncertainty)
        }
    }

    /// What identifies a run in its folder (`run.json`): a resumed run must be the same scenario text and shard.
    public struct RunIdentity: Codable, Sendable, Equatable {
        public var scenario: String, scenarioHash: String, shard: String, cases: Int
        /// Which pipeline made the analyses (`pipelineDescription`).
        public var pipeline: String?
    }

    /// The pipeline whose analyses are scored: "builtin", "command: ..." or "analyses: DIR".
    public var pipelineDescription: String {
        if let a = analysesFolder { return "analyses: \(a)" }
        let judged = scenario.pipeline.external.map { "command: " + $0.command.joined(separator: " ") } ?? "builtin"
        guard !scenario.comparedPipelines.isEmpty else { return judged }
        return "\(scenario.judgedPipeline) (\(judged)) compared with " + scenario.comparedPipelines.map(\.name).joined(separator: ", ")
    }

    /// The run stopped between cases on request (SIGINT / SIGTERM); its finished cases are recorded in the folder.
    public struct Interrupted: Error, Sendable {
        public var done: Int, total: Int
    }

    /// Wall-clock times of a run (timing.json): machine-dependent, so kept out of results.json.
    public struct Timing: Codable, Sendable {
        /// Seconds of this process (a resumed run counts only its own part).
        public var seconds: Double
        /// Cases run at once (`--jobs`).
        public var jobs: Int
        public var cases: [CaseEvaluation.Timing]
    }

    /// The per-case record files: a case folder is complete once its score is written and it is renamed from
    /// `cases/.case-<i>.partial` to `cases/case-<i>`.
    public static let caseScoreFile = "score.json"
    /// Written instead of `score.json` for a case whose pipeline failed.
    public static let caseFailureFile = "failure.json"
    public static let caseTimingFile = "timing.json"

    /// Records the run's identity in `folder` (`run.json`), or, in a folder adopted to resume, checks that it is
    /// this scenario's and shard's. Idempotent; `run` calls it first.
    /// - Throws: `InputError` when the adopted run is of another scenario text or shard.
    public func prepare(_ folder: StagedFolder, shard: Shard) throws {
        let fm = FileManager.default
        let identity = RunIdentity(scenario: scenario.id, scenarioHash: scenario.hash, shard: "\(shard.index)/\(shard.count)", cases: scenario.cases,
                                   pipeline: pipelineDescription)
        let identityPath = folder.staging.appendingPathComponent("run.json").path
        if fm.fileExists(atPath: identityPath) {
            let recorded = try? FileOutput.jsonDecoder().decode(RunIdentity.self, from: InputFile.read(identityPath, what: "run record"))
            guard recorded == identity else {
                throw InputError("\(folder.resumedFrom ?? identityPath): the interrupted run there is of \(recorded.map { "scenario \($0.scenario) (hash \($0.scenarioHash), shard \($0.shard))" } ?? "an unknown scenario"), not \(scenario.id) (hash \(scenario.hash), shard \(identity.shard)); run without --resume to start over")
            }
        } else {
            try FileOutput.writeJSON(identity, to: try folder.path("run.json"))
        }
    }

    /// Runs every case of the shard into `folder`'s `cases/case-<i>/`, `jobs` cases at a time. Each finished case
    /// is recorded at once (`score.json` in its folder, written before the folder is renamed complete), so a
    /// killed run loses at most the cases in progress, and a run whose folder was adopted with `resume` skips the
    /// cases already recorded; the results equal an uninterrupted run's, byte for byte, whatever `jobs` is (cases
    /// are independent and drawn from their own seeds; results are sorted by case index). `stop` is asked before
    /// each case starts; when it answers true the cases in progress finish and the run ends with `Interrupted`.
    /// `progress` (called one at a time) receives the cases done, the cases of this shard, the seconds left
    /// (estimate) and a one-line summary of the case just done. A case that fails ends the run with its error
    /// (the lowest failing index when several fail) after the cases in progress have finished and been recorded.
    /// - Parameters:
    ///   - jobs: cases run at once (>= 1); the cases' own parallel stages share the machine's cores.
    ///   - keepCases: which cases keep their folders (generated case, analysis); every case keeps its scores.
    public func run(into folder: StagedFolder, shard: Shard = .whole, jobs: Int = 1, keepCases: KeepCases = .all,
                    stop: @escaping @Sendable () -> Bool = { false },
                    progress: @escaping @Sendable (_ done: Int, _ total: Int, _ etaSeconds: Double, _ line: String) -> Void) throws -> (results: Results, timing: Timing) {
        try prepare(folder, shard: shard)
        let start = Date()
        let mine = (0..<scenario.cases).filter(shard.contains)
        let state = RunState()
        var todo: [Int] = []
        for i in mine {
            let record = folder.staging.appendingPathComponent("cases/case-\(i)")
            let scoreFile = record.appendingPathComponent(Self.caseScoreFile).path
            if let kept = try? FileOutput.jsonDecoder().decode(CaseResult.self, from: InputFile.read(scoreFile, what: "case score")), kept.index == i {
                let timing = try? FileOutput.jsonDecoder().decode(CaseEvaluation.Timing.self,
                                                                  from: InputFile.read(record.appendingPathComponent(Self.caseTimingFile).path, what: "case timing"))
                let done = state.record(kept, timing: timing, ranHere: false)
                progress(done, mine.count, 0, "case \(i): recorded by the interrupted run, kept")
            } else if let failed = try? FileOutput.jsonDecoder().decode(CaseEvaluation.Failed.self,
                                                                       from: InputFile.read(record.appendingPathComponent(Self.caseFailureFile).path, what: "case failure")),
                      failed.index == i {
                let done = state.recordFailure(failed)
                progress(done, mine.count, 0, "case \(i): failed in the interrupted run (\(failed.reason)), kept")
            } else {
                todo.append(i)
            }
        }
        let evaluation = CaseEvaluation(scenario: scenario, presetFolder: presetFolder, analysesFolder: analysesFolder)
        let cases = folder.staging.appendingPathComponent("cases")
        let queue = todo
        let shown = Set(mine.prefix(Self.reportFigureCases))
        let expectations = scenario.expectations
        let total = mine.count
        let worker: @Sendable () -> Void = {
            while let i = state.next(from: queue, stop: stop) {
                do {
                    let (r, timing) = try Self.runRecorded(evaluation, index: i, cases: cases)
                    let keep = keepCases == .all || shown.contains(i) || (keepCases == .failed && !Self.caseMisses(r, expectations: expectations).isEmpty)
                    if !keep { Self.dropCaseFolders(cases.appendingPathComponent("case-\(i)")) }
                    let (done, ranHere) = state.recordRun(r, timing: timing)
                    // Wall time per finished case already reflects the cases running side by side.
                    let eta = Date().timeIntervalSince(start) / Double(ranHere) * Double(total - done)
                    var line = String(format: "case %d, %@ seed %llu: target %@, scar kappa %.2f, EDV %+.1f %%", i, r.preset, r.seed,
                                      r.score.primaryTargetCategory, r.score.scarKappa, 100 * r.score.edvRelativeError)
                    if let reg = r.registration { line += String(format: ", mTRE %.2f mm, lead %@", reg.mTREMm, reg.leadCategory36Analysis ?? "-") }
                    state.report { progress(done, total, eta, line) }
                } catch let failed as CaseEvaluation.Failed {
                    // The pipeline failed on this case: recorded as a failed case, the run goes on.
                    do {
                        try Self.recordFailure(failed, cases: cases)
                        let done = state.recordFailure(failed)
                        state.report { progress(done, total, 0, "case \(i), \(failed.preset) seed \(failed.seed): PIPELINE FAILED: \(failed.reason)") }
                    } catch {
                        state.fail(index: i, error)
                    }
                } catch {
                    state.fail(index: i, error)
                }
            }
        }
        let workers = max(1, min(jobs, queue.count))
        let group = DispatchGroup()
        for _ in 1..<max(workers, 1) { DispatchQueue.global().async(group: group, execute: worker) }
        worker()  // this thread is one of the workers
        group.wait()
        if let error = state.firstError { throw error }
        let (results, failures, timings) = state.finished()
        if results.count + failures.count < total { throw Interrupted(done: results.count + failures.count, total: total) }
        let p = scenario.pipeline
        var manifest = [
            "crtsim": "0.1.0", "gitCommit": Self.gitCommit(), "scenarioHash": scenario.hash,
            "seed": String(scenario.seed), "cases": String(scenario.cases),
            "caseSeeds": (0..<scenario.cases).map { String(scenario.caseSeed($0)) }.joined(separator: " "),
            "settings": "scarThresholdFraction=\(p.scarThresholdFraction), scarMethod=\(p.scarMethod), nSD=\(p.nSD), fluoroscopy=\(scenario.fluoroscopy), registrationStarts=\(scenario.registrationStarts)"
                + (scenario.secondObserver.map { ", secondObserver: scarThresholdFraction=\($0.scarThresholdFraction), clickNoiseSDPx=\($0.clickNoiseSDPx)" } ?? ""),
        ]
        manifest["shard"] = "\(shard.index)/\(shard.count)"
        manifest["pipeline"] = pipelineDescription
        if !scenario.comparedPipelines.isEmpty {
            manifest["judged"] = scenario.judgedPipeline
            manifest["compared"] = scenario.comparedPipelines.map { p in
                p.name + ": " + (p.settings.external.map { "command: " + $0.command.joined(separator: " ") }
                    ?? "builtin, scarThresholdFraction=\(p.settings.scarThresholdFraction), scarMethod=\(p.settings.scarMethod), nSD=\(p.settings.nSD)")
            }.joined(separator: "; ")
        }
        let judged = Self.judge(scenario: scenario.id, description: scenario.description, expectations: scenario.expectations,
                                groupBy: scenario.groupBy, manifest: manifest, cases: results, failures: failures)
        return (judged, Timing(seconds: Date().timeIntervalSince(start), jobs: jobs, cases: timings.sorted { $0.index < $1.index }))
    }

    /// Cases whose figures the report shows (the first of the shard); their folders are always kept.
    public static let reportFigureCases = 3

    /// Which case folders a run keeps (`--keep-cases`): all, those of cases that miss a per-case tolerance
    /// (`caseMisses`) plus the cases the report shows, or only the latter. Every case's `score.json` and
    /// `timing.json` are kept whatever this is: resume and the report rely on them.
    public enum KeepCases: String, Sendable, CaseIterable {
        case all, failed, none
        /// Scenarios with more cases than this keep only failed cases by default.
        public static let failedOnlyAbove = 50
        public static func defaultFor(cases: Int) -> KeepCases { cases > failedOnlyAbove ? .failed : .all }
    }

    /// Where case `r` alone misses the scenario: an expectation that bounds every case (a maximum error, the count
    /// of false-positive scar cases) that this case's own value breaks, or a miss that a rate expectation counts
    /// (remote target, registration failure, lead not found or in another category). One phrase each; empty when
    /// the case meets them all.
    public static func caseMisses(_ r: CaseResult, expectations: [Scenario.Expectation]) -> [String] {
        let s = r.score
        var misses: [String] = []
        for e in expectations where e.kind == .atMost {
            let value: Double?
            switch e.metric {
            case "volume.edv_abs_rel_error_max": value = abs(s.edvRelativeError)
            case "volume.esv_abs_rel_error_max": value = abs(s.esvRelativeError)
            case "volume.ef_abs_error_max_points": value = abs(s.efErrorPoints)
            case "scar.burden_abs_error_max_pp": value = abs(s.scarBurdenErrorPoints)
            case "scar.false_positive_cases": value = !s.truthHasScar && s.analysisFoundScar ? 1 : 0
            case "lead.electrode_localisation_error_max_mm": value = r.registration?.electrodeLocalisationErrorMm
            default: value = nil
            }
            if let value, !e.passes(value) { misses.append("\(e.metric) \(e.text) (this case: \(String(format: "%.4g", value)))") }
        }
        let metrics = Set(expectations.map(\.metric))
        if metrics.contains(where: { $0.hasPrefix("target.") }), s.primaryTargetCategory == "remote" || s.primaryTargetCategory == "missing" {
            misses.append("primary target \(s.primaryTargetCategory)")
        }
        if let u = r.notRegistered, metrics.contains(where: { $0.hasPrefix("registration.") || $0.hasPrefix("lead.") }) {
            misses.append("not registered: \(u.reason)")
        }
        if let g = r.registration {
            if metrics.contains(where: { $0.hasPrefix("registration.success") }), !g.success { misses.append(String(format: "registration failed (mTRE %.2f mm)", g.mTREMm)) }
            if metrics.contains(where: { $0.hasPrefix("lead.") }) {
                if g.leadNotFound == true { misses.append("lead not found") }
                else if let t = g.leadCategory36Truth, let a = g.leadCategory36Analysis, t != a { misses.append("lead category \(a), truth \(t)") }
            }
        }
        return misses
    }

    /// Records a failed case: `failure.json` in its folder, then the folder renamed complete (its case, analysis
    /// and pipeline.log are kept: they are what a developer looks at).
    static func recordFailure(_ failed: CaseEvaluation.Failed, cases: URL) throws {
        let record = cases.appendingPathComponent("case-\(failed.index)")
        let work = cases.appendingPathComponent(".case-\(failed.index).partial")
        try FileOutput.writeJSON(failed, to: work.path + "/" + caseFailureFile)
        guard rename(work.path, record.path) == 0 else {
            throw OutputError("\(record.path): cannot record the failed case: \(String(cString: strerror(errno)))")
        }
    }

    /// Removes a recorded case's generated case and analysis, keeping its scores.
    static func dropCaseFolders(_ record: URL) {
        for sub in ["case", "analysis", "operator-observer2"] { try? FileManager.default.removeItem(at: record.appendingPathComponent(sub)) }
    }

    /// Runs case `i` in `cases/.case-<i>.partial` and records it: its timing and score written, then the folder
    /// renamed `cases/case-<i>` (the rename is what makes it count as done).
    static func runRecorded(_ evaluation: CaseEvaluation, index i: Int, cases: URL) throws -> (CaseResult, CaseEvaluation.Timing) {
        let fm = FileManager.default
        let record = cases.appendingPathComponent("case-\(i)")
        let work = cases.appendingPathComponent(".case-\(i).partial")
        try? fm.removeItem(at: record)  // an incomplete folder without its score
        try? fm.removeItem(at: work)    // left by a killed run
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        let (r, timing) = try evaluation.run(index: i, into: work.path)
        try FileOutput.writeJSON(timing, to: work.path + "/" + caseTimingFile)
        try FileOutput.writeJSON(r, to: work.path + "/" + caseScoreFile)
        guard rename(work.path, record.path) == 0 else {
            throw OutputError("\(record.path): cannot record the finished case: \(String(cString: strerror(errno)))")
        }
        return (r, timing)
    }

    /// The shared state of a run's workers: the next case to take, the results, the first failure.
    final class RunState: @unchecked Sendable {
        // @unchecked Sendable: every field is read and written only under `lock`; `report` serialises the
        // progress callback with a second lock so that a slow terminal never holds up the bookkeeping.
        private let lock = NSLock(), reportLock = NSLock()
        private var taken = 0, stopped = false, ranHere = 0
        private var results: [CaseResult] = [], timings: [CaseEvaluation.Timing] = []
        private var failures: [CaseEvaluation.Failed] = []
        private var errors: [(index: Int, error: Error)] = []

        /// The next case index of `todo`, or nil when all are taken, one failed or `stop` answers true.
        func next(from todo: [Int], stop: () -> Bool) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard errors.isEmpty, !stopped, taken < todo.count else { return nil }
            if stop() { stopped = true; return nil }
            taken += 1
            return todo[taken - 1]
        }

        /// Records a kept or finished case; returns the number of cases done.
        func record(_ r: CaseResult, timing: CaseEvaluation.Timing?, ranHere ran: Bool) -> Int {
            lock.lock(); defer { lock.unlock() }
            results.append(r)
            if let timing { timings.append(timing) }
            if ran { ranHere += 1 }
            return results.count + failures.count
        }

        /// Records a case run here; returns the cases done and the cases run here.
        func recordRun(_ r: CaseResult, timing: CaseEvaluation.Timing) -> (Int, Int) {
            lock.lock(); defer { lock.unlock() }
            results.append(r); timings.append(timing); ranHere += 1
            return (results.count + failures.count, ranHere)
        }

        /// Records a case whose pipeline failed; returns the number of cases done.
        func recordFailure(_ f: CaseEvaluation.Failed) -> Int {
            lock.lock(); defer { lock.unlock() }
            failures.append(f)
            return results.count + failures.count
        }

        func fail(index: Int, _ error: Error) {
            lock.lock(); errors.append((index, error)); lock.unlock()
        }

        func report(_ body: () -> Void) { reportLock.lock(); body(); reportLock.unlock() }

        /// The failure of the lowest case index, so that the error does not depend on scheduling.
        var firstError: Error? {
            lock.lock(); defer { lock.unlock() }
            return errors.min { $0.index < $1.index }?.error
        }

        func finished() -> ([CaseResult], [CaseEvaluation.Failed], [CaseEvaluation.Timing]) {
            lock.lock(); defer { lock.unlock() }
            return (results.sorted { $0.index < $1.index }, failures.sorted { $0.index < $1.index }, timings)
        }
    }

    /// Metrics, group statistics and verdicts of a set of cases.
    public static func judge(scenario: String, description: String, expectations: [Scenario.Expectation], groupBy: [String],
                             manifest: [String: String], cases: [CaseResult], failures: [CaseEvaluation.Failed] = []) -> Results {
        let sorted = cases.sorted { $0.index < $1.index }, failed = failures.sorted { $0.index < $1.index }
        let metrics = PipelineMetrics.compute(sorted, failed: failures.count)
        let verdicts = Self.verdicts(expectations, metrics: metrics)
        var results = Results(scenario: scenario, description: description, expectations: expectations, groupBy: groupBy, metrics: metrics,
                              groupMetrics: CohortStatistics.groupMetrics(sorted, groupBy: groupBy),
                              groupTests: CohortStatistics.tests(sorted, groupBy: groupBy),
                              verdicts: verdicts, passed: verdicts.allSatisfy(\.passed), manifest: manifest, cases: sorted,
                              failures: failed)
        results.baselines = NullBaseline.compute(sorted, metrics: metrics)
        results.uncertainty = MetricUncertainty.compute(sorted, failed: failed.count, metrics: metrics,
                                                        seed: UInt64(manifest["seed"] ?? "") ?? 0)
        results.comparison = PipelineComparison.compare(judged: manifest["judged"] ?? "builtin", cases: sorted, failures: failed,
                                                        expectations: expectations)
        return results
    }

    /// Each expectation judged on `metrics`; a metric without a value fails with its reason.
    static func verdicts(_ expectations: [Scenario.Expectation], metrics: [PipelineMetrics.Metric]) -> [Verdict] {
        expectations.map { e -> Verdict in
            let m = metrics.first { $0.id == e.metric }
            let v = m?.value ?? .nan
            return Verdict(metric: e.metric, expectation: e.text, value: v, passed: e.passes(v),
                           reason: v.isFinite ? nil : (m?.reason ?? "not a metric of this crtsim version"))
        }
    }

    /// Re-scores the cases of the run in `folder` whose analysis changed after it was scored: an analysis folder
    /// (`cases/case-<i>/analysis/`, or `analysis-<name>/` of a compared pipeline) whose `CaseScoring.analysisHash`
    /// differs from the one recorded is scored again against the case's truth; a case whose folders were not kept
    /// keeps its recorded scores. Returns one line per re-scored analysis.
    /// - Throws: `InputError` when an analysis changed but its case folder is gone, so it cannot be re-scored.
    public static func rescoreChanged(_ results: inout Results, folder: String) throws -> [String] {
        var notes: [String] = []
        let fm = FileManager.default
        for k in results.cases.indices {
            let i = results.cases[k].index
            let record = folder + "/cases/case-\(i)"
            // The new scores and hash of the analysis in `dir`, or nil when it is unchanged or was not kept.
            func changed(_ dir: String, recorded: String?) throws -> (CaseScoring.Scores, String)? {
                guard let recorded, fm.fileExists(atPath: dir + "/analysis.json") else { return nil }
                let now = try CaseScoring.analysisHash(dir)
                guard now != recorded else { return nil }
                guard fm.fileExists(atPath: record + "/case/truth/truth.json") else {
                    throw InputError("\(dir)/analysis.json: changed since it was scored (\(now), recorded \(recorded)) and the case folder \(record)/case is gone, so it cannot be re-scored: restore the analysis or run the case again")
                }
                notes.append("case \(i): \(dir) changed since it was scored; re-scored")
                return (try CaseScoring.score(caseDirectory: record + "/case", analysisDirectory: dir), now)
            }
            if let (scores, hash) = try changed(record + "/analysis", recorded: results.cases[k].analysisHash) {
                results.cases[k].score = scores.score
                results.cases[k].registration = scores.registration
                results.cases[k].notRegistered = scores.notRegistered
                results.cases[k].missing = scores.missing.isEmpty ? nil : scores.missing
                results.cases[k].analysisHash = hash
            }
            for j in (results.cases[k].compared ?? []).indices {
                let o = results.cases[k].compared![j]
                if let (scores, hash) = try changed(record + "/analysis-\(o.pipeline)", recorded: o.analysisHash) {
                    results.cases[k].compared![j].score = scores.score
                    results.cases[k].compared![j].registration = scores.registration
                    results.cases[k].compared![j].notRegistered = scores.notRegistered
                    results.cases[k].compared![j].analysisHash = hash
                }
            }
        }
        return notes
    }

    /// Joins the results of the shards of one run (same scenario and hash, every case once) and judges them again.
    public static func merge(_ parts: [Results], sources: [String]) throws -> Results {
        guard let first = parts.first else { throw InputError("crtsim merge: give at least one run folder") }
        for (p, src) in zip(parts, sources) where p.scenario != first.scenario || p.manifest["scenarioHash"] != first.manifest["scenarioHash"] {
            throw InputError("\(src)/results.json: scenario \(p.scenario) (hash \(p.manifest["scenarioHash"] ?? "?")) differs from \(sources[0]) (\(first.scenario), \(first.manifest["scenarioHash"] ?? "?"))")
        }
        let cases = parts.flatMap(\.cases), failures = parts.flatMap(\.failures)
        let indices = cases.map(\.index) + failures.map(\.index)
        guard Set(indices).count == indices.count else { throw InputError("crtsim merge: a case appears in more than one shard") }
        let expected = Int(first.manifest["cases"] ?? "") ?? indices.count
        guard indices.count == expected else {
            throw InputError("crtsim merge: \(indices.count) of \(expected) cases present; missing shards?")
        }
        var manifest = first.manifest
        manifest["shard"] = "merged from \(parts.count)"
        return judge(scenario: first.scenario, description: first.description, expectations: first.expectations,
                     groupBy: first.groupBy, manifest: manifest, cases: cases, failures: failures)
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

    /// The commit of the working copy (reads .git directly, also a worktree's `.git` file pointing to its git
    /// folder, whose refs live in the common folder), or "unknown".
    static func gitCommit() -> String {
        let fm = FileManager.default
        var git = fm.currentDirectoryPath + "/.git"
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: git, isDirectory: &isDirectory) else { return "unknown" }
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if !isDirectory.boolValue {
            guard let link = read(git), link.hasPrefix("gitdir: ") else { return "unknown" }
            let target = String(link.dropFirst(8))
            git = target.hasPrefix("/") ? target : fm.currentDirectoryPath + "/" + target
        }
        guard let head = read(git + "/HEAD") else { return "unknown" }
        guard head.hasPrefix("ref: ") else { return head }
        let ref = String(head.dropFirst(5))
        let common = read(git + "/commondir").map { $0.hasPrefix("/") ? $0 : git + "/" + $0 } ?? git
        for folder in [git, common] {
            if let c = read(folder + "/" + ref) { return c }
        }
        if let packed = read(common + "/packed-refs"),
           let line = packed.split(separator: "\n").first(where: { $0.hasSuffix(" " + ref) }) {
            return String(line.split(separator: " ")[0])
        }
        return "unknown"
    }

    /// cases.csv: one row per case, truth and estimate side by side.
    public static func csv(_ r: Results) -> String {
        var rows = ["case,phantom,seed,sweep,icm,lbbb,primaryTargetTruth,primaryTargetAnalysis,targetCategory,targetDistanceMm,scarKappa,scarDice,scarBurdenTruthPercent,scarBurdenAnalysisPercent,edvTruthMl,edvAnalysisMl,esvRelativeError,efTruth,efAnalysis,activationMedianAbsErrorMs,latestSegmentCategory,strainRMSEPercent,mTREMm,landmarkMTREMm,mPDMm,mRPDMm,leadSegmentTruth,leadSegmentAnalysis,leadCategory36Truth,leadCategory36Analysis,leadCategory18Truth,leadCategory18Analysis,fluoroscopyOnlyCategory36,pacingElectrodeErrorMm,observer2PrimaryTarget,observer2LeadCategory36"]
        func f(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.4f", $0) : "" } ?? "" }
        func i(_ x: Int?) -> String { x.map(String.init) ?? "" }
        func q(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        for c in r.cases {
            let s = c.score, g = c.registration, u = c.notRegistered
            // A case not registered: its lead categories as the metrics count them (truth against "not registered").
            let unregistered = u == nil ? "" : NotRegistered.leadCategory
            rows.append([String(c.index), q(c.preset), String(c.seed), q(c.groups["sweep"] ?? ""), c.groups["icm"] ?? "", c.groups["lbbb"] ?? "",
                         i(s.primaryTargetTruth), i(s.primaryTargetAnalysis), s.primaryTargetCategory, f(s.targetDistanceMm),
                         f(s.scarKappa), f(s.scarDice), f(s.scarBurdenTruthPercent), f(s.scarBurdenAnalysisPercent),
                         f(s.edvTruthMl), f(s.edvAnalysisMl), f(s.esvRelativeError), f(s.efTruth), f(s.efAnalysis),
                         f(s.activationMedianAbsErrorMs), s.latestSegmentCategory ?? "", f(s.strainRMSEPercent),
                         f(g?.mTREMm), f(g?.landmarkMTREMm), f(g?.mPDMm), f(g?.mRPDMm), i(g?.leadSegmentTruth), i(g?.leadSegmentAnalysis),
                         g?.leadCategory36Truth ?? u?.leadCategory36Truth ?? "", g?.leadCategory36Analysis ?? unregistered,
                         g?.leadCategory18Truth ?? u?.leadCategory18Truth ?? "", g?.leadCategory18Analysis ?? unregistered,
                         g?.fluoroscopyOnlyCategory36 ?? "", f(g?.pacingElectrodeErrorMm), i(c.secondObserver?.primaryTarget),
                         c.secondObserver?.leadCategory36 ?? ""].joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// junit.xml: one test case per expectation, each with its measured value (a `value` property, shortest
    /// round-trip decimal or `null`, with a `reason` property when null; also in the failure message) and a `time`.
    ///
    /// - Parameter seconds: the run's wall-clock seconds (`timing.json`), or nil when unknown. The time is not in
    ///   `results.json`, which must be the same bytes on every run, so the caller passes it. It is the suite's `time`;
    ///   each test case gets an equal share, since every expectation is measured on all the run's cases, so that
    ///   the test cases add up to the suite. With nil, `time` is left out. The rest of the file depends on `r` only.
    public static func junit(_ r: Results, seconds: Double? = nil) -> String {
        func time(_ t: Double?) -> String { t.map { $0.isFinite ? " time=\"\(String(format: "%.3f", max($0, 0)))\"" : "" } ?? "" }
        let share = seconds.map { r.verdicts.isEmpty ? 0 : $0 / Double(r.verdicts.count) }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let failures = r.verdicts.filter { !$0.passed }.count
        out += "<testsuite name=\"\(HTML.escape(r.scenario))\" tests=\"\(r.verdicts.count)\" failures=\"\(failures)\"\(time(seconds))>\n"
        for v in r.verdicts {
            let value = v.value.isFinite ? JSON.shortest(v.value) : "null"
            let shown = v.value.isFinite ? value : "null (\(v.reason ?? "no value"))"
            out += "  <testcase classname=\"\(HTML.escape(r.scenario))\" name=\"\(HTML.escape(v.metric)) \(HTML.escape(v.expectation))\"\(time(share))>"
            out += "<properties><property name=\"value\" value=\"\(value)\"/>"
            if !v.value.isFinite { out += "<property name=\"reason\" value=\"\(HTML.escape(v.reason ?? "no value"))\"/>" }
            out += "</properties>"
            if !v.passed { out += "<failure message=\"\(HTML.escape("\(v.metric) = \(shown), expected \(v.expectation)"))\"/>" }
            out += "</testcase>\n"
        }
        return out + "</testsuite>\n"
    }
}
