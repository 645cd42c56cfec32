import Foundation
import TestScratch
import Testing

/// Issue 19's failures, each reproduced through the real executable: an expectation on a null metric, two writers
/// of one folder, a killed or interrupted run, acquisition.json contradicting the NIfTI files, an unusable --out,
/// messages over several lines, a FIFO input, and wall-clock time in the deterministic outputs. A small fast phantom
/// (about 1 s a case) keeps the suite lean.
enum Fast {
    /// A phantom that generates and analyses in about a second (6 slices, 12 phases, 2.5 mm pixels).
    static let phantom = """
        name: small
        description: a small, fast phantom for reliability tests
        cmr:
          cine: {slices: 6, phases: 12, fovMm: 240, pixelMm: 2.5}
          lge: {slices: 6, fovMm: 240, pixelMm: 2.5}
        xray: {detectorRows: 64, detectorColumns: 64, pixelSpacingMm: 2.4, voxelMm: 4}

        """

    /// A CMR-only scenario of `cases` cases of the small phantom, with `extra` expectations.
    static func scenario(id: String = "small-run", cases: Int = 2, expectations: String = "") -> String {
        """
        id: \(id)
        description: fast CMR-only cases
        seed: 5
        cases: \(cases)
        phantoms: [small.yaml]
        expectations:
          - metric: scar.false_positive_cases
            atMost: 0
        \(expectations)
        """
    }

    /// The analysis of `caseFolder` by the built-in pipeline, made once and shared read-only.
    static let analysisFolder: Result<URL, Error> = Result {
        let c = try caseFolder.get()
        let r = try CLI.run(["analyze", c.path, "--out", "analysis"], in: c.deletingLastPathComponent())
        guard r.status == 0 else { throw CLIHarnessError("could not analyse the shared case: \(r)") }
        return c.deletingLastPathComponent().appendingPathComponent("analysis")
    }

    /// A scratch folder holding small.yaml and a scenario file run.yaml.
    static func scratch(cases: Int = 2, expectations: String = "") throws -> Scratch {
        let s = try Scratch()
        try s.write("small.yaml", phantom)
        try s.write("run.yaml", scenario(cases: cases, expectations: expectations))
        return s
    }

    /// One generated case of the small phantom (no X-ray), made once and shared read-only by the tests.
    static let caseFolder: Result<URL, Error> = Result {
        let s = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-reliability-case-\(getpid())")
        ProcessScratch.removeAtExit(s.path)
        try? FileManager.default.removeItem(at: s)
        try FileManager.default.createDirectory(at: s, withIntermediateDirectories: true)
        try phantom.write(to: s.appendingPathComponent("small.yaml"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["phantom", "--phantom", "small.yaml", "--seed", "2", "--out", "case", "--no-previews", "--no-xray"], in: s)
        guard r.status == 0 else { throw CLIHarnessError("could not generate the shared case: \(r)") }
        return s.appendingPathComponent("case")
    }
}

/// A crtsim process started in the background, its output going to files.
struct Background {
    let process: Process
    let stdout: URL, stderr: URL

    init(_ arguments: [String], in directory: URL) throws {
        process = Process()
        process.executableURL = try CLI.executable()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["CRTSIM_PHANTOMS"] = CLI.phantomsDirectory
        process.environment = env
        stdout = directory.appendingPathComponent(".bg-\(UUID().uuidString).out")
        stderr = directory.appendingPathComponent(".bg-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits (at most `timeout` s) until `condition` holds; false on time-out or when the process ended first.
    func wait(until condition: () -> Bool, timeout: Double = 120) -> Bool {
        let scale = ProcessInfo.processInfo.environment["CRTSIM_TEST_TIMEOUT_SCALE"].flatMap(Double.init) ?? 1
        let end = Date().addingTimeInterval(timeout * max(1, scale))
        while Date() < end {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(20_000)
        }
        return false
    }

    func finish(timeout: Double = 120) throws -> CLIResult {
        guard wait(until: { !process.isRunning }, timeout: timeout) else {
            process.terminate()
            throw CLIHarnessError("background crtsim did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        return CLIResult(status: status, stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }
}

/// Staging folders of `--out NAME` in `scratch` (`.NAME.partial-PID`).
func stagingFolders(_ scratch: Scratch, _ name: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: scratch.url.path)) ?? []).filter { $0.hasPrefix(".\(name).partial-") }
}

@Suite("Reliability: no lost runs, no lost cases, resume, one-line errors", .tags(.cli))
struct ReliabilityTests {
    /// Failure: a generated case the built-in pipeline cannot analyse stopped the whole run (exit 2, "the cases
    /// finished so far are kept: resume with ..."); `anatomy-variation` lost its run this way at case 28. Here case 1
    /// is a patient imaged in one C-arm view only, which the registration cannot use (its venograms filling too
    /// little for three landmarks no longer fail: the orientation prior takes over). It is now a failed case with
    /// the pipeline's message, counted in `pipeline.failure_rate`, and the other case is scored.
    @Test func builtinPipelineFailureIsACaseNotTheRun() throws {
        let s = try Scratch()
        try s.write("one-view.yaml", """
            name: one-view
            description: a patient imaged in one C-arm view only
            xray:
              views: [{name: LAO40, primaryAngleDeg: 40, secondaryAngleDeg: 0}]
            """)
        try s.write("run.yaml", """
            id: unanalysable-case
            description: one patient of two imaged in a single C-arm view
            seed: 3
            cases: 2
            phantoms: [advise-typical, one-view.yaml]
            fluoroscopy:
              enabled: true
            """)
        let r = try CLI.run(["run", "run.yaml", "--out", "out", "--jobs", "2"], in: s.url, timeout: 300)
        #expect(r.status == 0, "\(r)")
        let data = try Data(contentsOf: s.url.appendingPathComponent("out/results.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(json["cases"] as? [[String: Any]])
        let failures = try #require(json["failures"] as? [[String: Any]])
        #expect(cases.map { $0["index"] as? Int } == [0])
        #expect(failures.count == 1 && failures.first?["index"] as? Int == 1)
        #expect((failures.first?["reason"] as? String)?.contains("registration and lead triangulation need two views") == true, "\(failures)")
        let metrics = try #require(json["metrics"] as? [[String: Any]])
        let rate = try #require(metrics.first { $0["id"] as? String == "pipeline.failure_rate" }?["value"] as? Double)
        #expect(abs(rate - 0.5) < 1e-12)
        #expect(stagingFolders(s, "out").isEmpty)
    }

    /// Failure 1: an expectation on a metric that comes out null (a registration metric without fluoroscopy)
    /// used to pass `validate`, then lose the whole run at the end (`cannot encode JSON ... nan`). Now `validate`
    /// warns, the run writes its results with the metric as null, and the expectation fails with its reason.
    @Test func expectationOnNullMetric() throws {
        let s = try Fast.scratch(expectations: "  - metric: registration.mtre_median_mm\n    atMost: 2\n")
        let v = try CLI.run(["validate", "run.yaml"], in: s.url)
        #expect(v.status == 0 && v.stderr.contains("warning") && v.stderr.contains("registration.mtre_median_mm")
                && v.stderr.contains("fluoroscopy.enabled is false"), "\(v)")
        let r = try CLI.run(["run", "run.yaml", "--out", "out"], in: s.url)
        #expect(r.status == 1, "\(r)")
        let data = try Data(contentsOf: s.url.appendingPathComponent("out/results.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let verdicts = try #require(json["verdicts"] as? [[String: Any]])
        let failed = try #require(verdicts.first { $0["metric"] as? String == "registration.mtre_median_mm" })
        #expect(failed["value"] is NSNull)
        #expect(failed["passed"] as? Bool == false)
        #expect((failed["reason"] as? String)?.contains("fluoroscopy") == true)
        #expect(r.stdout.contains("FAIL registration.mtre_median_mm = null (needs the fluoroscopy stage"))
        #expect(stagingFolders(s, "out").isEmpty)
    }

    /// Failure 2: two processes writing one --out both exited 0 and the last silently replaced the other's case.
    /// Now the second gets exit 2 while the first holds the folder.
    @Test func twoConcurrentWriters() throws {
        let s = try Fast.scratch()
        let first = try Background(["run", "run.yaml", "--out", "shared"], in: s.url)
        #expect(first.wait(until: { !stagingFolders(s, "shared").isEmpty }), "the first run never started")
        let second = try CLI.run(["phantom", "--phantom", "small.yaml", "--out", "shared", "--no-previews", "--no-xray"], in: s.url)
        try expectOneLineError(second, mentions: ["--out shared", "another crtsim process", "pid"])
        #expect(try first.finish().status == 0)
        #expect(s.exists("shared/results.json") && !s.exists("shared/crtsim-case.json"))
    }

    /// A run file's bytes, with the wall-clock ` time="..."` attributes of junit.xml removed (the only part of the
    /// run's outputs besides timing.json that differs between runs of the same scenario).
    func withoutTimes(_ url: URL) throws -> Data {
        let data = try Data(contentsOf: url)
        guard url.lastPathComponent == "junit.xml" else { return data }
        let text = String(decoding: data, as: UTF8.self)
        return Data(text.replacingOccurrences(of: #" time="[0-9.]+""#, with: "", options: .regularExpression).utf8)
    }

    /// Failure 3: a run killed with SIGKILL mid-case and resumed gives results.json, cases.csv and the report equal,
    /// byte for byte, to an uninterrupted run; a killed run's staging folder is removed by the next run without
    /// --resume (and listed).
    @Test func killedRunResumes() throws {
        let s = try Fast.scratch(cases: 3)
        #expect(try CLI.run(["run", "run.yaml", "--out", "whole", "--jobs", "2"], in: s.url).status == 0)
        // Cases side by side give the same bytes as one at a time.
        #expect(try CLI.run(["run", "run.yaml", "--out", "serial", "--jobs", "1"], in: s.url).status == 0)
        for file in ["results.json", "cases.csv", "report.html", "junit.xml"] {
            #expect(try withoutTimes(s.url.appendingPathComponent("whole/" + file))
                    == withoutTimes(s.url.appendingPathComponent("serial/" + file)), "\(file): --jobs 2 differs from --jobs 1")
        }
        for resume in [true, false] {
            let name = resume ? "killed" : "restarted"
            let run = try Background(["run", "run.yaml", "--out", name], in: s.url)
            let recorded = run.wait(until: {
                stagingFolders(s, name).contains { s.exists("\($0)/cases/case-0/score.json") }
            })
            #expect(recorded, "case 0 was never recorded")
            kill(run.process.processIdentifier, SIGKILL)
            run.process.waitUntilExit()
            #expect(stagingFolders(s, name).count == 1)
            let r = try CLI.run(["run", "run.yaml", "--out", name] + (resume ? ["--resume"] : []), in: s.url)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("recorded by the interrupted run, kept") == resume, "\(r)")
            #expect(r.stderr.contains("removed the staging folder of an interrupted run") == !resume, "\(r)")
            #expect(stagingFolders(s, name).isEmpty)
            for file in ["results.json", "cases.csv", "report.html", "junit.xml"] {
                let a = try withoutTimes(s.url.appendingPathComponent("whole/" + file))
                let b = try withoutTimes(s.url.appendingPathComponent("\(name)/" + file))
                #expect(a == b, "\(file) of the \(name) run differs from the uninterrupted run's")
            }
        }
    }

    /// Failure 3: SIGINT and SIGTERM ended the process at once with no message. Now the run stops after the case
    /// in progress, says how to resume, exits 130 / 143 and keeps its finished cases for --resume.
    @Test(arguments: [SIGINT, SIGTERM]) func interruptedRunSaysHowToResume(_ sig: Int32) throws {
        let s = try Fast.scratch(cases: 4)
        let run = try Background(["run", "run.yaml", "--out", "out"], in: s.url)
        #expect(run.wait(until: { stagingFolders(s, "out").contains { s.exists("\($0)/run.json") } }))
        kill(run.process.processIdentifier, sig)
        let r = try run.finish()
        #expect(r.status == 128 + sig, "\(r)")
        #expect(r.stderr.contains("crtsim run run.yaml --out out --resume"), "\(r)")
        #expect(stagingFolders(s, "out").count == 1 && !s.exists("out"))
        let resumed = try CLI.run(["run", "run.yaml", "--out", "out", "--resume"], in: s.url, timeout: 120)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("resuming the interrupted run"))
    }

    /// --keep-cases: every case keeps its scores; `none` keeps the folders of the cases the report shows (the first
    /// three), `failed` also those that miss a per-case tolerance (here every case: EDV within 0.01 % is out of
    /// reach); the results are the same bytes as with every folder kept.
    @Test func keepCases() throws {
        let s = try Fast.scratch(cases: 5, expectations: "  - metric: volume.edv_abs_rel_error_max\n    atMost: 0.0001\n")
        for mode in ["all", "none", "failed"] {
            let r = try CLI.run(["run", "run.yaml", "--out", mode, "--keep-cases", mode], in: s.url)
            #expect(r.status == 1, "\(r)")  // the EDV expectation fails on purpose
            for i in 0..<5 {
                #expect(s.exists("\(mode)/cases/case-\(i)/score.json"))
                let kept = mode != "none" || i < 3
                #expect(s.exists("\(mode)/cases/case-\(i)/analysis/analysis.json") == kept, "\(mode) case \(i)")
                #expect(s.exists("\(mode)/cases/case-\(i)/case/truth/truth.json") == kept, "\(mode) case \(i)")
            }
            #expect(try Data(contentsOf: s.url.appendingPathComponent("\(mode)/results.json"))
                    == Data(contentsOf: s.url.appendingPathComponent("all/results.json")))
        }
    }

    /// Failure 8: wall-clock seconds made two runs differ. Two analyses of one case are the same bytes; the
    /// seconds are in timing.json.
    @Test func analysisIsDeterministic() throws {
        let caseFolder = try Fast.caseFolder.get()
        let s = try Scratch()
        for out in ["a", "b"] {
            let r = try CLI.run(["analyze", caseFolder.path, "--out", out], in: s.url)
            #expect(r.status == 0, "\(r)")
        }
        let a = try Data(contentsOf: s.url.appendingPathComponent("a/analysis.json"))
        #expect(a == (try Data(contentsOf: s.url.appendingPathComponent("b/analysis.json"))))
        #expect(!String(decoding: a, as: UTF8.self).contains("econds"))
        let timing = try JSONSerialization.jsonObject(with: Data(contentsOf: s.url.appendingPathComponent("a/timing.json"))) as? [String: Any]
        #expect((timing?["cmrSeconds"] as? Double).map { $0 > 0 } == true)
    }
}

/// One bad case folder given to `crtsim analyze`: how to break a copy of the shared case, and what the one-line
/// message must say.
struct BadCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// Applied to the copy's cmr/ folder (URL).
    var breakIt: @Sendable (URL) throws -> Void
    var mentions: [String]
    var testDescription: String { name }

    /// Edits acquisition.json as a JSON object.
    static func acquisition(_ name: String, mentions: [String], _ edit: @escaping @Sendable (inout [String: Any]) -> Void) -> BadCase {
        BadCase(name: name, breakIt: { cmr in
            let url = cmr.appendingPathComponent("acquisition.json")
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: url)
        }, mentions: ["acquisition.json"] + mentions)
    }

    static func series(_ json: inout [String: Any], _ key: String, _ edit: (inout [String: Any]) -> Void) {
        var s = json[key] as! [String: Any]
        edit(&s)
        json[key] = s
    }

    static func replace(_ file: String, with bytes: Data) -> @Sendable (URL) throws -> Void {
        { cmr in
            let url = cmr.appendingPathComponent(file)
            try? FileManager.default.removeItem(at: url)
            try bytes.write(to: url)
        }
    }

    static func fifo(_ file: String) -> @Sendable (URL) throws -> Void {
        { cmr in
            let url = cmr.appendingPathComponent(file)
            try? FileManager.default.removeItem(at: url)
            guard mkfifo(url.path, 0o644) == 0 else { throw CLIHarnessError("mkfifo failed") }
        }
    }

    /// The first 348 bytes of a NIfTI-1 header with dim[0] = 9 (invalid): niftilib prints its own message.
    static var badDimHeader: Data {
        var h = Data(count: 352)
        h.withUnsafeMutableBytes { b in
            b.storeBytes(of: Int32(348).littleEndian, toByteOffset: 0, as: Int32.self)
            b.storeBytes(of: Int16(9).littleEndian, toByteOffset: 40, as: Int16.self)
            b.storeBytes(of: Int16(16).littleEndian, toByteOffset: 70, as: Int16.self)
            b.storeBytes(of: Int16(32).littleEndian, toByteOffset: 72, as: Int16.self)
            for (i, c) in "n+1\0".utf8.enumerated() { b[344 + i] = c }
        }
        return h
    }

    static let all: [BadCase] = [
        BadCase(name: "no cmr folder", breakIt: { cmr in try FileManager.default.removeItem(at: cmr) }, mentions: ["no such folder"]),
        BadCase(name: "acquisition.json missing", breakIt: { cmr in try FileManager.default.removeItem(at: cmr.appendingPathComponent("acquisition.json")) },
                mentions: ["acquisition.json", "not found"]),
        BadCase(name: "acquisition.json not JSON", breakIt: replace("acquisition.json", with: Data("{\"cine\": [".utf8)),
                mentions: ["acquisition.json", "not valid JSON"]),
        BadCase(name: "acquisition.json is a FIFO", breakIt: fifo("acquisition.json"), mentions: ["acquisition.json", "FIFO", "not a regular file"]),
        BadCase(name: "cine.nii.gz is a FIFO (used to hang)", breakIt: fifo("cine.nii.gz"), mentions: ["cine.nii.gz", "not a regular file"]),
        BadCase(name: "cine.nii.gz is a folder", breakIt: { cmr in
            let url = cmr.appendingPathComponent("cine.nii.gz")
            try FileManager.default.removeItem(at: url)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        }, mentions: ["cine.nii.gz", "directory"]),
        BadCase(name: "cine.nii.gz empty", breakIt: replace("cine.nii.gz", with: Data()), mentions: ["cine.nii.gz", "not a NIfTI file"]),
        BadCase(name: "lge.nii.gz header niftilib rejects (its message folded into the line)",
                breakIt: replace("lge.nii.gz", with: badDimHeader), mentions: ["lge.nii.gz", "niftilib", "bad dim[0]"]),
        acquisition("cine PixelSpacing contradicts the NIfTI", mentions: ["cine.PixelSpacing", "NIfTI", "contradict"]) { j in
            series(&j, "cine") { $0["PixelSpacing"] = [1e6, 1e6] }
        },
        acquisition("LGE positions moved 5 m", mentions: ["lge.ImagePositionPatient[0]", "5000", "NIfTI"]) { j in
            series(&j, "lge") { s in
                s["ImagePositionPatient"] = (s["ImagePositionPatient"] as! [[Double]]).map { [$0[0] + 5000, $0[1], $0[2]] }
            }
        },
        acquisition("LGE orientation rotated", mentions: ["lge.ImageOrientationPatient", "degrees"]) { j in
            series(&j, "lge") { s in
                let o = s["ImageOrientationPatient"] as! [Double]
                s["ImageOrientationPatient"] = [o[3], o[4], o[5], -o[0], -o[1], -o[2]]
            }
        },
        acquisition("LGE NominalInterval five times the cine's", mentions: ["lge.NominalInterval", "cine.NominalInterval", "factor"]) { j in
            let rr = (j["cine"] as! [String: Any])["NominalInterval"] as! Double
            series(&j, "lge") { $0["NominalInterval"] = 5 * rr }
        },
        acquisition("cine TriggerTime beyond the R-R interval", mentions: ["cine.TriggerTime", "R-R interval"]) { j in
            series(&j, "cine") { $0["NominalInterval"] = 300.0 }
            series(&j, "lge") { $0["NominalInterval"] = 300.0; $0["TriggerTime"] = [100.0] }
        },
        acquisition("cine TriggerTime steps disagree with the NIfTI phase interval", mentions: ["cine.TriggerTime", "pixdim[4]"]) { j in
            series(&j, "cine") { s in s["TriggerTime"] = (s["TriggerTime"] as! [Double]).map { $0 / 2 } }
        },
        acquisition("cine TriggerTime count differs from the phases", mentions: ["cine.TriggerTime", "phases"]) { j in
            series(&j, "cine") { s in s["TriggerTime"] = Array((s["TriggerTime"] as! [Double]).dropLast()) }
        },
        acquisition("Rows disagree with the image", mentions: ["cine.nii.gz", "Rows"]) { j in
            series(&j, "cine") { s in s["Rows"] = (s["Rows"] as! Int) + 1 }
        },
    ]
}

@Suite("crtsim analyze: bad case folders", .tags(.cli, .fast))
struct BadCaseTests {
    @Test("exit code 2, one line naming file and field, nothing written", arguments: BadCase.all)
    func rejected(_ c: BadCase) throws {
        let source = try Fast.caseFolder.get().appendingPathComponent("cmr")
        let s = try Scratch()
        let cmr = s.url.appendingPathComponent("case/cmr")
        try FileManager.default.createDirectory(at: cmr, withIntermediateDirectories: true)
        // The whole cmr/ folder: the long-axis views too, which acquisition.json's cine2ch/3ch/4ch records require.
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted() {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: cmr.appendingPathComponent(file))
        }
        try c.breakIt(cmr)
        let before = s.listing()
        let r = try CLI.run(["analyze", "case", "--out", "out"], in: s.url, timeout: 30)
        try expectOneLineError(r, mentions: c.mentions)
        #expect(s.listing() == before, "bad input wrote files: \(s.listing())")
    }
}

/// One bad `crtsim run`, `merge` or `validate` invocation in a scratch folder holding small.yaml and run.yaml.
struct BadRun: Sendable, CustomTestStringConvertible {
    var name: String
    /// Files to write first (name, text).
    var files: [(String, String)] = []
    var arguments: [String]
    var mentions: [String]
    /// Prepares the scratch folder beyond `files` (e.g. a FIFO).
    var prepare: (@Sendable (Scratch) throws -> Void)? = nil
    /// Arguments are `score SHARED_CASE mine` (the shared generated case and the scratch's `mine/`).
    var sharedCase = false
    var testDescription: String { name }

    static func scenario(_ name: String, _ yaml: String, mentions: [String]) -> BadRun {
        BadRun(name: "scenario: " + name, files: [("bad.yaml", yaml)], arguments: ["run", "bad.yaml", "--out", "out"],
               mentions: ["bad.yaml"] + mentions)
    }

    static let head = "id: bad\ndescription: x\nseed: 1\ncases: 1\nphantoms: [small.yaml]\n"

    /// `crtsim score SHARED_CASE mine` where `mine` is a copy of the shared analysis with `edit` applied to its
    /// analysis.json.
    static func score(_ name: String, mentions: [String], _ edit: @escaping @Sendable (inout [String: Any]) -> Void) -> BadRun {
        BadRun(name: "score: " + name, arguments: [], mentions: ["mine/analysis.json"] + mentions, prepare: { s in
            let source = try Fast.analysisFolder.get()
            try FileManager.default.createDirectory(atPath: s.path("mine/labels"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source.path + "/labels/lge-scar.nii.gz", toPath: s.path("mine/labels/lge-scar.nii.gz"))
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("analysis.json"))) as! [String: Any]
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: s.url.appendingPathComponent("mine/analysis.json"))
        }, sharedCase: true)
    }

    static let all: [BadRun] = [
        // Scenario files.
        scenario("unknown key", head + "colour: red\n", mentions: ["colour", "unknown field"]),
        scenario("cases 0", "id: bad\ncases: 0\nphantoms: [small.yaml]\n", mentions: ["cases", "0"]),
        scenario("unknown phantom", "id: bad\ncases: 1\nphantoms: [no-such-heart]\n", mentions: ["phantoms", "no-such-heart"]),
        scenario("unknown metric", head + "expectations:\n  - metric: scar.colour\n    atLeast: 1\n", mentions: ["metric", "scar.colour"]),
        scenario("two kinds in one expectation", head + "expectations:\n  - metric: scar.kappa\n    atLeast: 1\n    atMost: 2\n",
                 mentions: ["exactly one of"]),
        scenario("withinAbsolute without tolerance", head + "expectations:\n  - metric: scar.kappa\n    withinAbsolute: 1\n",
                 mentions: ["tolerance", "required"]),
        scenario("not YAML", "id: [bad\n", mentions: ["not valid YAML"]),
        scenario("registration starts without fluoroscopy", head + "fluoroscopy:\n  registrationStarts: 3\n",
                 mentions: ["fluoroscopy", "enabled"]),
        scenario("id with a multi-line value and an ANSI escape (escaped, one line)",
                 "id: \"bad\\nline\\u001B[31m\"\ncases: 1\nphantoms: [small.yaml]\n", mentions: ["id", "\\n", "\\u{1B}"]),
        scenario("phantom name with control characters (escaped, one line)",
                 "id: bad\ncases: 1\nphantoms: [\"no\\u001B[2Jsuch\\nheart\"]\n", mentions: ["phantoms", "\\u{1B}", "\\n"]),
        BadRun(name: "scenario: missing file", arguments: ["run", "missing.yaml", "--out", "out"], mentions: ["missing.yaml", "not found"]),
        BadRun(name: "scenario: a FIFO (used to hang)", arguments: ["run", "pipe.yaml", "--out", "out"], mentions: ["pipe.yaml", "FIFO"],
               prepare: { s in _ = mkfifo(s.path("pipe.yaml"), 0o644) }),
        BadRun(name: "scenario: a folder", arguments: ["validate", "folder.yaml"], mentions: ["folder.yaml", "folder"],
               prepare: { s in try FileManager.default.createDirectory(atPath: s.path("folder.yaml"), withIntermediateDirectories: false) }),

        // run options.
        BadRun(name: "run --shard 3/2", arguments: ["run", "run.yaml", "--shard", "3/2", "--out", "out"], mentions: ["--shard", "3/2", "1 <= I <= N"]),
        BadRun(name: "run --shard 0/2", arguments: ["run", "run.yaml", "--shard", "0/2", "--out", "out"], mentions: ["--shard", "0/2"]),
        BadRun(name: "run --shard abc", arguments: ["run", "run.yaml", "--shard", "abc", "--out", "out"], mentions: ["--shard", "abc", "I/N"]),
        BadRun(name: "run --out is a file", files: [("taken", "x\n")], arguments: ["run", "run.yaml", "--out", "taken"],
               mentions: ["--out taken", "is a file"]),
        BadRun(name: "run --out under a file (found before any case runs)", files: [("plain", "x\n")],
               arguments: ["run", "run.yaml", "--out", "plain/out"], mentions: ["--out plain/out", "parent folder"]),
        BadRun(name: "run --out a folder crtsim did not make", files: [("mine/notes.txt", "keep\n")],
               arguments: ["run", "run.yaml", "--out", "mine", "--force"], mentions: ["--out mine", "not made by crtsim"],
               prepare: { s in try FileManager.default.createDirectory(atPath: s.path("mine"), withIntermediateDirectories: true) }),
        BadRun(name: "run --resume of an interrupted run of another scenario", arguments: ["run", "run.yaml", "--out", "out", "--resume"],
               mentions: ["interrupted run", "scenario other", "without --resume"],
               prepare: { s in
                   try FileManager.default.createDirectory(atPath: s.path(".out.partial-999999"), withIntermediateDirectories: true)
                   try s.write(".out.partial-999999/run.json", "{\"cases\": 2, \"scenario\": \"other\", \"scenarioHash\": \"0\", \"shard\": \"1/1\"}\n")
               }),
        BadRun(name: "run with an unknown option", arguments: ["run", "run.yaml", "--jobz", "2"], mentions: ["--jobz"]),
        BadRun(name: "run --keep-cases some", arguments: ["run", "run.yaml", "--keep-cases", "some", "--out", "out"],
               mentions: ["--keep-cases", "some", "all, failed, none"]),
        BadRun(name: "run --jobs 0", arguments: ["run", "run.yaml", "--jobs", "0", "--out", "out"], mentions: ["--jobs", "1 to 256"]),
        BadRun(name: "run --jobs beyond the machine's memory (refused with the estimate)",
               files: [("big.yaml", "name: big\ncmr:\n  cine: {fovMm: 500, pixelMm: 0.8, phases: 60, slices: 30}\n"),
                       ("bigrun.yaml", "id: big\ncases: 1\nphantoms: [big.yaml]\n")],
               arguments: ["run", "bigrun.yaml", "--jobs", "256", "--out", "out"], mentions: ["--jobs 256", "GiB each", "memory", "or fewer"]),

        // merge and compare options.
        BadRun(name: "merge of a folder without results.json", arguments: ["merge", "nothing", "--out", "m"], mentions: ["nothing/results.json", "not found"],
               prepare: { s in try FileManager.default.createDirectory(atPath: s.path("nothing"), withIntermediateDirectories: true) }),
        BadRun(name: "merge of a results.json that is not JSON", files: [("broken/results.json", "{")],
               arguments: ["merge", "broken", "--out", "m"], mentions: ["broken/results.json", "not a crtsim results file"],
               prepare: { s in try FileManager.default.createDirectory(atPath: s.path("broken"), withIntermediateDirectories: true) }),
        BadRun(name: "merge of a results.json that is a FIFO", arguments: ["merge", "p", "--out", "m"], mentions: ["p/results.json", "FIFO"],
               prepare: { s in
                   try FileManager.default.createDirectory(atPath: s.path("p"), withIntermediateDirectories: true)
                   _ = mkfifo(s.path("p/results.json"), 0o644)
               }),
        BadRun(name: "merge without shards", arguments: ["merge", "--out", "m"], mentions: ["shards"]),
        // crtsim score, generate, run --analyses and external pipelines (issue 17's commands).
        BadRun(name: "score: a case folder without truth/", arguments: ["score", "nothing", "nothing"], mentions: ["nothing/truth/truth.json", "not found"],
               prepare: { s in try FileManager.default.createDirectory(atPath: s.path("nothing"), withIntermediateDirectories: true) }),
        BadRun(name: "score: an analysis folder without analysis.json", arguments: [], mentions: ["mine/analysis.json", "not found"],
               prepare: { s in try FileManager.default.createDirectory(atPath: s.path("mine"), withIntermediateDirectories: true) }, sharedCase: true),
        BadRun(name: "score: analysis.json not JSON", arguments: [], mentions: ["mine/analysis.json", "not valid JSON"],
               prepare: { s in
                   try FileManager.default.createDirectory(atPath: s.path("mine"), withIntermediateDirectories: true)
                   try s.write("mine/analysis.json", "{\"edvMl\": ")
               }, sharedCase: true),
        BadRun(name: "score: analysis.json a FIFO", arguments: [], mentions: ["mine/analysis.json", "FIFO"],
               prepare: { s in
                   try FileManager.default.createDirectory(atPath: s.path("mine"), withIntermediateDirectories: true)
                   _ = mkfifo(s.path("mine/analysis.json"), 0o644)
               }, sharedCase: true),
        score("missing edvMl", mentions: ["edvMl", "missing", "required key"]) { $0.removeValue(forKey: "edvMl") },
        score("edvMl a string", mentions: ["edvMl", "wrong type"]) { $0["edvMl"] = "big" },
        score("primaryTarget 0", mentions: ["primaryTarget", "0", "1-36"]) { $0["primaryTarget"] = 0 },
        score("35 segments", mentions: ["segments", "36"]) { j in j["segments"] = Array((j["segments"] as! [Any]).dropLast()) },
        score("heartPose 3 x 4", mentions: ["heartPose", "4 x 4"]) { $0["heartPose"] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] },
        score("schemaVersion from the future", mentions: ["schemaVersion", "newer"]) { $0["schemaVersion"] = 3 },
        score("ring boundaries not the truth's", mentions: ["ringBoundaries", "truth's", "ring convention"]) {
            $0["ringBoundaries"] = ["basalMidFraction": 0.3333, "midApicalFraction": 0.6667]
        },
        score("scar.present missing", mentions: ["scar.present", "required key"]) { j in
            var scar = j["scar"] as! [String: Any]
            scar.removeValue(forKey: "present")
            j["scar"] = scar
        },
        BadRun(name: "score: a scar mask off the LGE grid", arguments: [], mentions: ["mine/labels/lge-scar.nii.gz", "LGE grid"],
               prepare: { s in
                   let source = try Fast.analysisFolder.get()
                   try FileManager.default.createDirectory(atPath: s.path("mine/labels"), withIntermediateDirectories: true)
                   try FileManager.default.copyItem(atPath: source.path + "/analysis.json", toPath: s.path("mine/analysis.json"))
                   try FileManager.default.copyItem(atPath: try Fast.caseFolder.get().path + "/cmr/cine.nii.gz", toPath: s.path("mine/labels/lge-scar.nii.gz"))
               }, sharedCase: true),
        BadRun(name: "generate: --out under a file", files: [("plain", "x\n")], arguments: ["generate", "run.yaml", "--out", "plain/out"],
               mentions: ["--out plain/out", "parent folder"]),
        BadRun(name: "generate: missing scenario", arguments: ["generate", "missing.yaml"], mentions: ["missing.yaml", "not found"]),
        BadRun(name: "run --analyses: no such folder", arguments: ["run", "run.yaml", "--analyses", "nowhere", "--out", "out"],
               mentions: ["--analyses nowhere", "no such folder"]),
        scenario("command without {out}", head + "pipeline:\n  command: [python3, mine.py, \"{case}\"]\n", mentions: ["pipeline.command", "{out}"]),
        scenario("command with a built-in setting", head + "pipeline:\n  command: [sh, p.sh, \"{case}\", \"{out}\"]\n  scarThresholdFraction: 0.4\n",
                 mentions: ["pipeline.scarThresholdFraction", "not with command"]),
        scenario("timeoutSeconds without command", head + "pipeline:\n  timeoutSeconds: 10\n", mentions: ["pipeline.timeoutSeconds", "command"]),
        scenario("timeoutSeconds 0", head + "pipeline:\n  command: [sh, p.sh, \"{case}\", \"{out}\"]\n  timeoutSeconds: 0\n",
                 mentions: ["pipeline.timeoutSeconds", "out of range"]),
        scenario("command with a second observer", head + "pipeline:\n  command: [sh, p.sh, \"{case}\", \"{out}\"]\nsecondObserver:\n  clickNoiseSDPx: 2\n",
                 mentions: ["secondObserver", "not with pipeline.command"]),
        BadRun(name: "compare --relative-tolerance 2", arguments: ["compare", "a", "b", "--relative-tolerance", "2"],
               mentions: ["--relative-tolerance", "0-1"]),
    ]
}

@Suite("crtsim run, merge, validate: bad input", .tags(.cli, .fast))
struct BadRunTests {
    @Test("exit code 2, one line, no control characters, nothing written", arguments: BadRun.all)
    func rejected(_ c: BadRun) throws {
        let s = try Fast.scratch()
        for (name, text) in c.files {
            try FileManager.default.createDirectory(at: s.url.appendingPathComponent(name).deletingLastPathComponent(), withIntermediateDirectories: true)
            try s.write(name, text)
        }
        try c.prepare?(s)
        let before = s.listing()
        let arguments = c.sharedCase ? ["score", try Fast.caseFolder.get().path, "mine"] : c.arguments
        let r = try CLI.run(arguments, in: s.url, timeout: 30)
        try expectOneLineError(r, mentions: c.mentions)
        #expect(!r.stderr.unicodeScalars.contains { $0.value == 0x1B }, "an escape character reached the terminal")
        #expect(s.listing() == before, "bad input wrote files: \(s.listing())")
    }
}
