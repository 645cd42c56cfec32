import ArgumentParser
import CRTCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ImageIO
import Validation

/// `crtsim run`: a scenario through generator, pipeline and scoring.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario: generate its cases, analyse them, score against the truth, check the expectations.",
        discussion: """
        Writes DIR/results.json (metrics with units, verdicts, manifest), DIR/cases.csv, DIR/junit.xml, DIR/report.html, \
        DIR/timing.json (wall-clock seconds) and DIR/cases/case-<i>/ (case, analysis, score.json). Exit code 0: all \
        expectations met; 1: some failed; 2: bad input; 130 / 143: interrupted by SIGINT / SIGTERM (resume with \
        --resume). Scenario format: Scenarios/README.md.
        """)

    @Argument(help: "Scenario YAML file (Scenarios/*.yaml).")
    var scenario: String

    @Option(name: .long, help: "Output folder (default Results/<scenario id>; a folder crtsim did not make is refused).")
    var out: String?

    @Flag(name: .long, help: "Replace an earlier run of a scenario in the output folder.")
    var force = false

    @Option(name: .long, help: "Run only shard I of N (I/N, 1 <= I <= N): cases i with i mod N = I - 1. Also from a Slurm array or a Kubernetes Indexed Job (docs/scale-out.md). Join the shards with 'crtsim merge'.")
    var shard: String?

    @Option(name: .long, help: "Score analyses your own batch made of this scenario's cases (DIR/case-<i>/analysis.json and labels/, cases from 'crtsim generate') instead of running a pipeline; a missing analysis is a failed case.")
    var analyses: String?

    @Option(name: .long, help: "Cases run at once (1-256; default: the machine's cores, bounded by its memory at the largest case's estimated peak). Outputs are the same bytes whatever the number.")
    var jobs: Int?

    @Option(name: .long, help: "Case folders to keep: all, failed (cases that miss a per-case tolerance, and the cases the report shows) or none (only the latter); every case's scores are kept. Default: failed above 50 cases, else all.")
    var keepCases: String?

    @Flag(name: .long, help: "Continue an interrupted run into the same --out: the cases it recorded are kept, the rest are run; the results equal an uninterrupted run's.")
    var resume = false

    func run() throws {
        let s = try Scenario.load(scenario, presets: try PresetLibrary.names(), presetFolder: try PresetLibrary.directory())
        for w in s.warnings { CRTSim.printWarning(w) }
        var part = ScenarioRunner.Shard.whole
        if let text = shard {
            let f = text.split(separator: "/").map { Int($0) }
            guard f.count == 2, let i = f[0], let n = f[1] else { throw InputError("--shard: '\(text)' is not I/N (e.g. 2/8)") }
            part = try ScenarioRunner.Shard(index: i, count: n)
        } else if let env = try ScenarioRunner.Shard.fromEnvironment(ProcessInfo.processInfo.environment) {
            part = env
        }
        let defaultOut = part.count == 1 ? "Results/\(s.id)" : "Results/\(s.id)-shard-\(part.index)-of-\(part.count)"
        let outFolder = out ?? defaultOut
        let mine = (0..<s.cases).filter(part.contains)
        let jobCount = try Self.jobCount(requested: jobs, scenario: s, cases: mine)
        let keep: ScenarioRunner.KeepCases
        if let k = keepCases {
            guard let parsed = ScenarioRunner.KeepCases(rawValue: k) else { throw InputError("--keep-cases: '\(k)' is not one of all, failed, none") }
            keep = parsed
        } else {
            keep = .defaultFor(cases: s.cases)
        }
        // Disk: every case folder with --keep-cases all; otherwise the cases in progress and those the report shows,
        // and (failed) room for a quarter of the cases failing.
        let caseBytes = try mine.map { try s.estimatedCaseFileBytes($0, presetFolder: try PresetLibrary.directory()) }
        let largest = caseBytes.max() ?? 0, all = caseBytes.reduce(0, +)
        let need = keep == .all ? all
            : min(all, largest * Double(jobCount + ScenarioRunner.reportFigureCases) + (keep == .failed ? 0.25 * all : 0))
        let folder = try StagedFolder(out: outFolder, replace: force, marker: "results.json", kind: "a scenario run", resume: resume)
        for stale in folder.removedStale { CRTSim.printWarning("removed the staging folder of an interrupted run: \(stale)") }
        if let a = analyses {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: a, isDirectory: &isDir), isDir.boolValue else {
                throw InputError("--analyses \(a): no such folder (expected DIR/case-<i>/analysis.json for the scenario's cases)")
            }
            guard s.secondObserver == nil, s.registrationStarts == 0 else {
                throw InputError("--analyses: \(scenario) has a second observer or registration starts, which repeat the built-in pipeline")
            }
            guard s.comparedPipelines.isEmpty else {
                throw InputError("--analyses: \(scenario) compares pipelines (pipelines), which run on the cases; score one pipeline's analyses at a time")
            }
        }
        // Signals are caught from here on (before run.json is written), so none is lost while the run starts.
        let resumeCommand = (["crtsim", "run", scenario, "--out", outFolder] + (shard.map { ["--shard", $0] } ?? []) + ["--resume"]).joined(separator: " ")
        let interruption = Interruption.install(resumeCommand: resumeCommand)
        let runner = ScenarioRunner(scenario: s, presetFolder: try PresetLibrary.directory(),
                                    analysesFolder: analyses.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        do {
            try runner.prepare(folder, shard: part)
            try folder.requireFreeSpace(need, for: "this run (\(mine.count) cases)")
        } catch {
            folder.returnAdopted()  // a resume that cannot go on leaves the interrupted run as it was
            throw error
        }
        if let adopted = folder.resumedFrom { print("crtsim run: resuming the interrupted run in \(adopted)") }
        let interactive = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["CI"] == nil
        let outcome: (results: ScenarioRunner.Results, timing: ScenarioRunner.Timing)
        do {
            outcome = try runner.run(into: folder, shard: part, jobs: jobCount, keepCases: keep, stop: { interruption.signal != nil }) { done, total, eta, line in
                if interactive {
                    FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + Self.progressBar(done: done, total: total, etaSeconds: eta) + "  " + line).utf8))
                } else {
                    print("[\(done)/\(total)] \(line) (ETA \(Self.duration(eta)))")
                    fflush(nil)  // one line per case as it happens, also when stdout is a file or a pipe
                }
            }
        } catch let stopped as ScenarioRunner.Interrupted {
            folder.keepForResume()
            if interactive { print("") }
            let signal = interruption.signal ?? SIGINT
            CRTSim.printError("interrupted by \(signal == SIGTERM ? "SIGTERM" : "SIGINT") after \(stopped.done) of \(stopped.total) cases; they are recorded: resume with '\(resumeCommand)'")
            throw ExitCode(128 + signal)
        } catch {
            // A case that failed: the cases recorded before it stay for --resume once the cause is fixed.
            folder.keepForResume()
            let hint = "; the cases finished so far are kept: resume with '\(resumeCommand)'"
            if let e = error as? InputError { throw InputError(e.message + hint) }
            throw OutputError("\(error)" + hint)
        }
        let results = outcome.results
        if interactive { print("") }
        do {
            // results.json first: the report reads case folders and can fail; the scores must not be lost with it.
            try Self.writeOutputs(results, to: folder, seconds: outcome.timing.seconds)
            try FileOutput.writeJSON(outcome.timing, to: folder.path("timing.json"))
            let report = ScenarioReport.html(results) { i in folder.staging.appendingPathComponent("cases/case-\(i)").path }
            try FileOutput.writeData(Data(report.utf8), to: folder.path("report.html"))
            try folder.commit()
        } catch {
            folder.keepForResume()
            throw OutputError("\(error); the \(results.cases.count) finished cases are kept in \(folder.staging.path): fix the cause and run '\(resumeCommand)' to write the results without running them again")
        }
        print("crtsim run: \(s.id), \(results.cases.count) of \(s.cases) cases (shard \(part.index)/\(part.count)), \(String(format: "%.1f", outcome.timing.seconds)) s with \(jobCount) at once")
        for m in results.metrics {
            let value = m.value.isFinite ? String(format: "%9.4f ", m.value) : "     null "
            print("  " + m.id.padding(toLength: 44, withPad: " ", startingAt: 0) + value + "\(m.unit) (\(m.better) is better)")
        }
        for v in results.verdicts { print("  " + v.line) }
        if let c = results.comparison { Self.printComparison(c) }
        print("  results: \(folder.destination.path)/results.json, report: \(folder.destination.path)/report.html")
        if !results.passed { throw ExitCode(1) }
    }

    /// The A/B summary: each other pipeline's verdicts, the paired tests with p < 0.05 and the disagreements.
    static func printComparison(_ c: PipelineComparison) {
        print("  compared with \(c.judged) (judged):")
        for p in c.pipelines.dropFirst() {
            print("    \(p.name): \(p.verdicts.filter(\.passed).count) of \(p.verdicts.count) expectations met, \(p.failedCases.count) failed cases")
            for t in c.tests where t.pipeline == p.name {
                guard let pValue = t.pValue, pValue < 0.05 else { continue }
                print(String(format: "      %@ (%@, %d pairs): %@ %@ vs %@, p = %.3g", t.quantity, t.test, t.pairs, c.judged,
                             t.judgedValue.map { String(format: "%.4g", $0) } ?? "-", t.otherValue.map { String(format: "%.4g", $0) } ?? "-", pValue))
            }
            let d = c.disagreements.filter { $0.pipeline == p.name }
            print("      \(d.count) disagreement(s)" + (d.isEmpty ? "" : ": " + d.prefix(8).map { "case \($0.index) \($0.what) \($0.judged) vs \($0.other)" }.joined(separator: "; ")))
        }
    }

    /// Share of the machine's memory that the cases running at once may take together.
    static let memoryShare = 0.75

    /// The number of cases to run at once: `requested`, or the machine's cores bounded by its memory; refused when
    /// the requested number would need more memory than the machine has (estimated from the largest case's peak,
    /// `PhantomSpec.estimatedImageBytes`, the figure `crtsim phantom --memory-limit-gib` checks).
    static func jobCount(requested: Int?, scenario s: Scenario, cases: [Int]) throws -> Int {
        if let n = requested, !(1...256).contains(n) { throw InputError("--jobs: \(n) is out of range: expected 1 to 256") }
        let folder = try PresetLibrary.directory()
        var perCase = 0.0
        for i in cases {
            let (phantom, g) = s.assignment(i)
            let spec = try s.phantomSpec(phantom: phantom, gridPoint: g, drawn: s.variation.drawnSettings(caseSeed: s.caseSeed(i)), presetFolder: folder)
            perCase = max(perCase, spec.estimatedImageBytes)
        }
        let memory = Double(ProcessInfo.processInfo.physicalMemory) * memoryShare
        let byMemory = perCase > 0 ? max(1, Int(memory / perCase)) : Int.max
        guard let n = requested else { return max(1, min(ProcessInfo.processInfo.activeProcessorCount, byMemory, max(cases.count, 1))) }
        if n > 1 && Double(n) * perCase > memory {
            let gib = { (x: Double) in String(format: "%.1f GiB", x / 1_073_741_824) }
            throw InputError("--jobs \(n): \(n) cases at once need about \(gib(Double(n) * perCase)) (\(gib(perCase)) each), more than \(Int(memoryShare * 100)) % of this machine's memory (\(gib(memory))); use --jobs \(byMemory) or fewer")
        }
        return n
    }

    /// "[########------------] 12/30 ETA 1m05s": a bar of 20 cells.
    static func progressBar(done: Int, total: Int, etaSeconds: Double) -> String {
        let filled = total > 0 ? 20 * done / total : 20
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "] \(done)/\(total) ETA \(duration(etaSeconds))"
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }

    /// results.json, cases.csv and junit.xml. `seconds` (the run's wall-clock time, as in timing.json) goes only into
    /// junit.xml: results.json and cases.csv stay the same bytes on every run.
    static func writeOutputs(_ results: ScenarioRunner.Results, to folder: StagedFolder, seconds: Double?) throws {
        try FileOutput.writeJSON(results, to: folder.path("results.json"))
        try FileOutput.writeData(Data(ScenarioRunner.csv(results).utf8), to: folder.path("cases.csv"))
        try FileOutput.writeData(Data(ScenarioRunner.junit(results, seconds: seconds).utf8), to: folder.path("junit.xml"))
    }

    /// The seconds a run folder's timing.json records, or nil when it has none or it cannot be read.
    static func recordedSeconds(_ dir: String) -> Double? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: dir + "/timing.json")) else { return nil }
        return (try? FileOutput.jsonDecoder().decode(ScenarioRunner.Timing.self, from: data))?.seconds
    }

    static func readResults(_ dir: String) throws -> ScenarioRunner.Results {
        let path = dir + "/results.json"
        guard FileManager.default.fileExists(atPath: path) else { throw InputError("\(path): not found (not a crtsim run folder)") }
        let data = try InputFile.read(path, what: "results file")
        let results: ScenarioRunner.Results
        do { results = try FileOutput.jsonDecoder().decode(ScenarioRunner.Results.self, from: data) } catch {
            throw InputError("\(path): not a crtsim results file (\(error.localizedDescription))")
        }
        let newest = ScenarioRunner.Results.newestSchemaVersion
        guard results.schemaVersion <= newest else {
            throw InputError("\(path): schemaVersion: \(results.schemaVersion) is newer than this crtsim reads (\(newest); docs/schemas.md)")
        }
        return results
    }
}

/// `crtsim merge`: joins the shard folders of one scenario run.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Join the shard outputs of one scenario run and judge the whole.",
        discussion: "A case whose analysis folder changed after it was scored (its recorded hash differs) is scored again from its case folder; when that folder was not kept, merge refuses (exit 2).")
    @Argument(help: "Shard run folders (each with results.json).")
    var shards: [String]
    @Option(name: .long, help: "Output folder for the merged results.")
    var out: String
    @Flag(name: .long, help: "Replace an earlier merged run in --out.")
    var force = false

    func run() throws {
        var parts = try shards.map(RunCommand.readResults)
        // An analysis swapped or edited after its run is scored again (or refused when its case is gone).
        for k in parts.indices {
            for note in try ScenarioRunner.rescoreChanged(&parts[k], folder: shards[k]) { print("crtsim merge: " + note) }
        }
        let merged = try ScenarioRunner.merge(parts, sources: shards)
        let folder = try StagedFolder(out: out, replace: force, marker: "results.json", kind: "a scenario run")
        // junit.xml's time: the shards' recorded seconds added up (left out when a shard has no timing.json).
        let shardSeconds = shards.map(RunCommand.recordedSeconds)
        let seconds = shardSeconds.contains { $0 == nil } ? nil : shardSeconds.compactMap { $0 }.reduce(0, +)
        try RunCommand.writeOutputs(merged, to: folder, seconds: seconds)
        // The report takes each case's figures from the shard folder that ran it (they are not copied).
        var shardOf: [Int: String] = [:]
        for (part, dir) in zip(parts, shards) { for c in part.cases { shardOf[c.index] = dir } }
        let report = ScenarioReport.html(merged) { i in (shardOf[i] ?? shards[0]) + "/cases/case-\(i)" }
        try FileOutput.writeData(Data(report.utf8), to: folder.path("report.html"))
        try folder.commit()
        print("crtsim merge: \(merged.scenario), \(merged.cases.count) cases from \(parts.count) shards -> \(folder.destination.path)/results.json")
        for v in merged.verdicts { print("  " + v.line) }
        print("  report: \(folder.destination.path)/report.html (figures read from the shard folders)")
        if !merged.passed { throw ExitCode(1) }
    }
}

/// `crtsim compare`: a run against a baseline, metric by metric.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "Compare a run with a baseline run: exit code 0 no regression, 1 regression, 2 bad input.")
    @Argument(help: "Baseline run folder (results.json).")
    var baseline: String
    @Argument(help: "Run folder to check.")
    var runFolder: String
    @Option(name: .long, parsing: .unconditional, help: "Allowed worsening as a fraction of the baseline value (0-1, default 0.02).")
    var relativeTolerance: Double = 0.02
    @Option(name: .long, parsing: .unconditional, help: "Allowed worsening in the metric's unit on top of the relative one (>= 0, default 1e-9).")
    var absoluteTolerance: Double = 1e-9

    func run() throws {
        guard relativeTolerance.isFinite, (0...1).contains(relativeTolerance) else { throw InputError("--relative-tolerance: expected 0-1") }
        guard absoluteTolerance.isFinite, absoluteTolerance >= 0 else { throw InputError("--absolute-tolerance: expected >= 0") }
        let b = try RunCommand.readResults(baseline), r = try RunCommand.readResults(runFolder)
        guard b.scenario == r.scenario else { throw InputError("\(runFolder)/results.json: scenario \(r.scenario) is not the baseline's \(b.scenario)") }
        let rows = ScenarioRunner.compare(baseline: b, run: r, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance)
        for row in rows { print("  \(row.status.padding(toLength: 12, withPad: " ", startingAt: 0)) \(row.metric): \(String(format: "%.4f", row.baseline)) -> \(String(format: "%.4f", row.run))") }
        let regressions = rows.filter { $0.status == "regression" || $0.status == "missing" }
        print("crtsim compare: \(regressions.count) regression(s), \(rows.filter { $0.status == "improvement" }.count) improvement(s)")
        if !regressions.isEmpty { throw ExitCode(1) }
    }
}

/// `crtsim validate`: checks a scenario file.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a scenario file: names every unknown or wrong field (exit code 2).")

    @Argument(help: "Scenario YAML file.")
    var file: String

    func run() throws {
        let s = try Scenario.load(file, presets: try PresetLibrary.names(), presetFolder: try PresetLibrary.directory())
        for w in s.warnings { CRTSim.printWarning(w) }
        print("\(file): valid scenario '\(s.id)' (\(s.cases) cases over \(s.phantoms.joined(separator: ", ")), \(s.variation.gridSize) sweep point(s), \(s.variation.draws.count) draw(s), \(s.expectations.count) expectations)")
    }
}

/// SIGINT / SIGTERM during a run: the first stops the run after the cases in progress (they are recorded for
/// `--resume`), a second ends the process at once. A plain `sigaction` handler that only stores the signal in a
/// flag and writes a prepared message (both async-signal-safe), installed before the run writes anything, with the
/// two signals unblocked on the main thread. (A libdispatch signal source needed the signal ignored first, and a
/// signal arriving in between was lost: the run then finished as if never interrupted, seen under load in CI.)
final class Interruption: Sendable {
    /// The first signal received, or nil.
    var signal: Int32? { let s = interruptionReceived; return s == 0 ? nil : s }

    static func install(resumeCommand: String) -> Interruption {
        for (sig, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            let first = "\ncrtsim: \(name): stopping after the case in progress (send it again to stop at once)\n"
            let second = "\ncrtsim: error: stopped by \(name); finished cases are recorded: resume with '\(resumeCommand)'\n"
            interruptionMessages[Int(sig)] = (strdup(first), strdup(second))
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                let messages = interruptionMessages[Int(sig)]
                if interruptionReceived == 0 {
                    interruptionReceived = sig
                    if let m = messages?.first { _ = write(STDERR_FILENO, m, strlen(m)) }
                } else {
                    if let m = messages?.second { _ = write(STDERR_FILENO, m, strlen(m)) }
                    _exit(128 + interruptionReceived)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
        // A parent may start crtsim with these signals blocked (a child inherits the mask of the thread that spawned
        // it, and thread pools block every signal): unblocked on this (the main) thread, they are delivered here.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return Interruption()
    }
}

/// The signal-handler state of `Interruption`: written by the handler only (the messages before it is installed).
nonisolated(unsafe) private var interruptionReceived: Int32 = 0
nonisolated(unsafe) private var interruptionMessages = [(first: UnsafeMutablePointer<CChar>?, second: UnsafeMutablePointer<CChar>?)?](repeating: nil, count: 65)
