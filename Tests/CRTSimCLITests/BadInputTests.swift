import Foundation
import Testing

/// One bad invocation of `crtsim phantom` and what its one-line message must say.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    /// Written to `phantom.yaml` in the scratch folder when not nil.
    var yaml: String? = nil
    /// Arguments after `phantom`; `--out case` is appended.
    var arguments: [String]
    /// Each must appear in the error line (case-sensitive).
    var mentions: [String]

    var testDescription: String { name }

    static let tiny = """
        cmr:
          cine: {slices: 2, phases: 2, fovMm: 200, pixelMm: 3}
          lge: {slices: 2, fovMm: 200, pixelMm: 3}
        xray: {detectorRows: 64, detectorColumns: 64, pixelSpacingMm: 2.4, voxelMm: 4}

        """

    static func file(_ name: String, _ yaml: String, mentions: [String], extra: [String] = []) -> BadInput {
        BadInput(name: name, yaml: yaml, arguments: ["--phantom", "phantom.yaml", "--seed", "1"] + extra,
                 mentions: ["phantom.yaml"] + mentions)
    }

    static let all: [BadInput] = [
        // Options.
        BadInput(name: "unknown preset", arguments: ["--preset", "no-such-heart"],
                 mentions: ["--preset", "no-such-heart", "allowed", "advise-typical", "lbbb-nonischemic", "normal-conduction"]),
        BadInput(name: "both --preset and --phantom", yaml: tiny,
                 arguments: ["--preset", "advise-typical", "--phantom", "phantom.yaml"],
                 mentions: ["--preset", "--phantom", "not both"]),
        BadInput(name: "missing phantom file", arguments: ["--phantom", "missing-phantom.yaml"],
                 mentions: ["missing-phantom.yaml", "not found"]),
        BadInput(name: "unknown CLI option", arguments: ["--preset", "advise-typical", "--colour", "red"],
                 mentions: ["--colour", "Unknown option", "crtsim --help"]),
        BadInput(name: "--seed -1", yaml: tiny, arguments: ["--phantom", "phantom.yaml", "--seed", "-1"],
                 mentions: ["--seed", "-1", "out of range", ">= 0"]),
        BadInput(name: "--seed not a number", yaml: tiny, arguments: ["--phantom", "phantom.yaml", "--seed", "abc"],
                 mentions: ["--seed", "abc"]),
        BadInput(name: "--cine-snr -5", yaml: tiny, arguments: ["--phantom", "phantom.yaml", "--cine-snr", "-5"],
                 mentions: ["--cine-snr", "2 to 1000"]),
        BadInput(name: "--misregistration-mm nan", yaml: tiny,
                 arguments: ["--phantom", "phantom.yaml", "--misregistration-mm", "nan"],
                 mentions: ["--misregistration-mm", "0 to 10 mm"]),
        BadInput(name: "--memory-limit-gib 0", yaml: tiny, arguments: ["--phantom", "phantom.yaml", "--memory-limit-gib", "0"],
                 mentions: ["--memory-limit-gib", "0.1 to 64 GiB"]),

        // Phantom file: keys.
        file("unknown top-level key", "name: x\nheartRate: 70\n",
             mentions: ["line 2", "heartRate", "unknown field", "allowed here", "anatomy", "motion", "cmr", "scars", "veins"]),
        file("unknown nested key", "motion:\n  heartRate: 70\n",
             mentions: ["line 2", "motion.heartRate", "unknown field", "heartRatePerMin", "contractionMs", "relaxationMs"]),
        file("unknown key in cmr.cine", "cmr:\n  cine:\n    matrix: 256\n",
             mentions: ["line 3", "cmr.cine.matrix", "unknown field", "pixelMm", "fovMm", "slices", "phases"]),
        file("LGE is one phase", "cmr:\n  lge:\n    phases: 5\n",
             mentions: ["line 3", "cmr.lge.phases", "5 is out of range", "from 1 to 1"]),
        // Fields read only when present must still be listed as allowed.
        file("unknown key in activation lists optional fields", "activation:\n  pattern: lbbb\n  delayMs: 100\n",
             mentions: ["line 3", "activation.delayMs", "unknown field", "totalDelayMs", "latestAngleDeg", "earliestOnsetMs", "pattern"]),
        file("unknown key in a scar lists optional fields", "scars:\n  - centreSegment: 10\n    depth: 0.5\n",
             mentions: ["line 3", "scars[0].depth", "unknown field", "centreSegment", "centreAngleDeg", "centreHeightFraction", "transmurality"]),
        file("unknown key in veins lists optional fields", "veins:\n  branches: 2\n",
             mentions: ["line 2", "veins.branches", "unknown field", "lateralBranches", "branchAnglesDeg"]),

        // Phantom file: types and ranges.
        file("wrong type", "anatomy:\n  edvMl: \"big\"\n",
             mentions: ["line 2", "anatomy.edvMl", "big", "60 to 450 mL"]),
        file("section that is not a mapping", "anatomy: 200\n",
             mentions: ["line 1", "anatomy", "mapping"]),
        file("edvMl too small", "anatomy:\n  edvMl: 20\n",
             mentions: ["line 2", "anatomy.edvMl", "20", "out of range", "60 to 450 mL"]),
        file("wall thickness zero", "anatomy:\n  edvMl: 200\n  wallThicknessMm: 0\n",
             mentions: ["line 3", "anatomy.wallThicknessMm", "out of range", "4 to 20 mm"]),
        file("negative slices", "cmr:\n  cine:\n    slices: -3\n",
             mentions: ["line 3", "cmr.cine.slices", "-3", "out of range", "integer from 1 to 30"]),
        file("fractional slices", "cmr:\n  lge:\n    slices: 2.5\n",
             mentions: ["line 3", "cmr.lge.slices", "2.5", "integer from 1 to 30"]),
        file("negative pixel size", "cmr:\n  cine:\n    pixelMm: -1\n",
             mentions: ["line 3", "cmr.cine.pixelMm", "-1", "out of range", "0.8 to 4 mm"]),
        file("NaN value", "anatomy:\n  edvMl: .nan\n",
             mentions: ["line 2", "anatomy.edvMl", "finite", "60 to 450 mL"]),
        file("infinite value", "motion:\n  contractionMs: .inf\n",
             mentions: ["line 2", "motion.contractionMs", "finite", "100 to 500 ms"]),
        file("NaN in a vector", "anatomy:\n  heartCentreMm: [1, 2, .nan]\n",
             mentions: ["line 2", "anatomy.heartCentreMm", "-60 to 60 mm"]),
        file("unknown activation pattern", "activation:\n  pattern: lbb\n",
             mentions: ["line 2", "activation.pattern", "lbb", "lbbb", "normal", "rbbb", "explicit"]),
        file("explicit pattern without onsets", "activation:\n  pattern: explicit\n",
             mentions: ["activation.explicitOnsetMs", "1-36", "0-600 ms"]),
        file("explicit onset id out of range", "activation:\n  pattern: explicit\n  explicitOnsetMs: {37: 100}\n",
             mentions: ["line 3", "activation.explicitOnsetMs", "37", "1 to 36"]),
        file("scar without a centre", "scars:\n  - angularExtentDeg: 40\n",
             mentions: ["scars[0]", "centreSegment", "1-36", "centreAngleDeg", "centreHeightFraction"]),
        file("branch angles count", "veins:\n  lateralBranches: 3\n  branchAnglesDeg: [200, 250]\n",
             mentions: ["line 3", "veins.branchAnglesDeg", "3 numbers"]),
        file("apical wall thicker than 1.5 x wall", "anatomy:\n  wallThicknessMm: 6\n  apicalWallThicknessMm: 12\n",
             mentions: ["anatomy.apicalWallThicknessMm", "1.5 x wallThicknessMm"]),
        file("ring boundaries too close", "segmentModel:\n  basalMidFraction: 0.5\n  midApicalFraction: 0.52\n",
             mentions: ["segmentModel.midApicalFraction", "basalMidFraction", "0.05"]),
        file("not YAML", "anatomy: [\n", mentions: ["not valid YAML"]),
        file("duplicate key", "anatomy:\n  edvMl: 200\n  edvMl: 210\n", mentions: ["not valid YAML", "edvMl"]),

        // Cross-field checks.
        file("heart rate too high for the beat", "motion:\n  heartRatePerMin: 150\n",
             mentions: ["line 2", "motion.heartRatePerMin", "beat does not fit", "600 ms", "95 %", "R-R interval (400 ms)"]),
        file("explicit onset too late for the beat",
             "activation:\n  pattern: explicit\n  explicitOnsetMs: {22: 450}\n",
             mentions: ["motion.heartRatePerMin", "beat does not fit", "explicitOnsetMs", "910 ms", "R-R interval (800 ms)"]),
        file("images larger than --memory-limit-gib",
             "cmr:\n  cine: {fovMm: 500, pixelMm: 0.8, phases: 60, slices: 30}\n",
             mentions: ["cmr", "GiB", "--memory-limit-gib 0.1", "reduce"], extra: ["--memory-limit-gib", "0.1"]),

        // Fluoroscopy.
        file("C-arm angle out of range", "xray:\n  views:\n    - {primaryAngleDeg: 200}\n",
             mentions: ["line 3", "xray.views[0].primaryAngleDeg", "-120 to 120"]),
        file("isocentre too close to the detector", "xray:\n  sourceToPatientMm: 1000\n",
             mentions: ["xray.sourceToPatientMm", "150 mm less than sourceToDetectorMm"]),
        file("unknown xray field", "xray:\n  kVp: 80\n",
             mentions: ["xray.kVp", "unknown field", "photonsPerPixel"]),
    ]
}

@Suite("crtsim phantom: bad input", .tags(.cli, .fast))
struct BadInputTests {
    @Test("exit code 2, one line naming the problem, nothing written", arguments: BadInput.all)
    func rejected(_ c: BadInput) throws {
        let scratch = try Scratch()
        if let yaml = c.yaml { try scratch.write("phantom.yaml", yaml) }
        let before = scratch.listing()
        let r = try CLI.run(["phantom"] + c.arguments + ["--out", "case"], in: scratch.url)
        try expectOneLineError(r, mentions: c.mentions)
        #expect(!scratch.exists("case"), "--out folder was created for bad input")
        #expect(scratch.listing() == before, "bad input wrote files: \(scratch.listing())")
    }

    @Test("--out at a non-empty folder not made by crtsim is refused and left untouched (also with --force)",
          arguments: [false, true])
    func foreignOutputFolder(force: Bool) throws {
        let scratch = try Scratch()
        try scratch.write("phantom.yaml", BadInput.tiny)
        let mine = scratch.url.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: mine.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "keep me\n".write(to: mine.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try "data\n".write(to: mine.appendingPathComponent("sub/data.csv"), atomically: true, encoding: .utf8)
        let before = scratch.listing()

        let r = try CLI.run(["phantom", "--phantom", "phantom.yaml", "--seed", "1", "--out", "mine", "--no-previews"]
                            + (force ? ["--force"] : []), in: scratch.url)
        try expectOneLineError(r, mentions: ["--out", "mine", "not empty", "not made by crtsim"])
        #expect(scratch.listing() == before)
        #expect(try String(contentsOf: mine.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me\n")
        #expect(try String(contentsOf: mine.appendingPathComponent("sub/data.csv"), encoding: .utf8) == "data\n")
    }
}

/// The house rule for bad input: exit code 2, nothing on stdout, exactly one line on stderr starting with
/// "crtsim: error: " that names the problem, and no crash report.
func expectOneLineError(_ r: CLIResult, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(r.status == 2, "\(r)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, "\(r)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasSuffix("\n") && r.stderrLines.count == 1, "stderr is not one line: \(r)", sourceLocation: sourceLocation)
    let line = try #require(r.stderrLines.first, "no error message: \(r)", sourceLocation: sourceLocation)
    #expect(line.hasPrefix("crtsim: error: "), "\(line)", sourceLocation: sourceLocation)
    for m in mentions {
        #expect(line.contains(m), "error line does not mention '\(m)': \(line)", sourceLocation: sourceLocation)
    }
    for crash in ["Fatal error", "Stack dump", "Backtrace", "backtrace", "Crash", "SIG", "Swift runtime failure", "0x0"] {
        #expect(!r.stderr.contains(crash), "looks like a crash report: \(r)", sourceLocation: sourceLocation)
    }
}

/// The benchmark tools (`crtsim-bench`, `crtsim-xray-bench`) refuse bad arguments the way `crtsim` does: exit code
/// 2, one line on stderr naming the problem; `--help` prints the usage and exits 0.
@Suite("Benchmark tools: bad arguments", .tags(.cli, .fast))
struct BenchmarkToolArgumentTests {
    struct Bad: CustomTestStringConvertible, Sendable {
        var tool: String, arguments: [String], mentions: [String]
        var testDescription: String { "\(tool) \(arguments.joined(separator: " "))" }
    }

    static let all: [Bad] = [
        Bad(tool: "crtsim-bench", arguments: ["-x"], mentions: ["unknown option '-x'", "usage:"]),
        Bad(tool: "crtsim-bench", arguments: ["nope.yaml"], mentions: ["nope.yaml", "file not found"]),
        Bad(tool: "crtsim-bench", arguments: ["a.yaml", "b"], mentions: ["unexpected argument 'b'"]),
        Bad(tool: "crtsim-bench", arguments: ["scenario", "s.yaml", "abc"], mentions: ["N 'abc' is not an integer"]),
        Bad(tool: "crtsim-bench", arguments: ["scenario", "."], mentions: ["is a folder", "scenario YAML file"]),
        Bad(tool: "crtsim-xray-bench", arguments: ["--repeat", "0"], mentions: ["--repeat needs an integer of 1 or more"]),
        Bad(tool: "crtsim-xray-bench", arguments: ["nope.yaml"], mentions: ["nope.yaml", "file not found"]),
    ]

    @Test("exit code 2, one line naming the problem", arguments: all)
    func rejected(_ c: Bad) throws {
        let scratch = try Scratch()
        let r = try CLI.run(c.arguments, in: scratch.url, tool: c.tool)
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.hasSuffix("\n") && r.stderrLines.count == 1, "stderr is not one line: \(r)")
        let line = try #require(r.stderrLines.first, "no error message: \(r)")
        #expect(line.hasPrefix("\(c.tool): error: "), "\(line)")
        for m in c.mentions { #expect(line.contains(m), "error line does not mention '\(m)': \(line)") }
    }

    @Test("--help prints the usage and exits 0", arguments: ["crtsim-bench", "crtsim-xray-bench"])
    func help(_ tool: String) throws {
        let scratch = try Scratch()
        let r = try CLI.run(["--help"], in: scratch.url, tool: tool)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("usage: \(tool)"), "\(r)")
    }
}
