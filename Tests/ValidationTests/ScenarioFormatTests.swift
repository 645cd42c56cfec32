import CRTCore
import Foundation
import HeartPhantom
import SegmentModel
import Statistics
import Testing
import Validation

/// The package root (Scenarios/, Phantoms/), from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let presets = ["advise-typical", "lbbb-nonischemic", "ischemic-posterolateral", "ischemic-anteroseptal", "normal-conduction"]

/// Writes a scenario text to a temporary file and loads it.
func loadScenario(_ text: String) throws -> Scenario {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-scenario-\(UUID().uuidString).yaml")
    try text.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    return try Scenario.load(url.path, presets: presets, presetFolder: packageRoot + "/Phantoms")
}

func loadError(_ text: String) -> String {
    do { _ = try loadScenario(text); return "" } catch let e as InputError { return e.message } catch { return "\(error)" }
}

@Suite struct PhantomVariationTests {
    @Test("overrides set nested fields, list items and new mappings; the phantom reader sees the values")
    func overrides() throws {
        let yaml = try String(contentsOfFile: packageRoot + "/Phantoms/ischemic-posterolateral.yaml", encoding: .utf8)
        let settings = [PhantomVariation.Setting(path: "anatomy.edvMl", yaml: "150"),
                        PhantomVariation.Setting(path: "scars.0.transmurality", yaml: "0.4"),
                        PhantomVariation.Setting(path: "cmr.cine.snr", yaml: "12"),
                        PhantomVariation.Setting(path: "activation", yaml: "{pattern: rbbb}")]
        let varied = try PhantomVariation.apply(settings, toPhantomYAML: yaml, origin: "test")
        let spec = try PhantomSpec.load(yaml: varied, file: "test")
        #expect(spec.anatomy.edvMl == 150)
        #expect(spec.scars.first?.transmurality == 0.4)
        #expect(spec.cmr.cine.snr == 12)
        #expect(spec.activation.pattern == "rbbb")
        #expect(spec.motion.peakRadialStrain == 0.22)  // untouched field of the preset
        #expect(throws: InputError.self) {
            try PhantomVariation.apply([.init(path: "scars.1.transmurality", yaml: "1")], toPhantomYAML: yaml, origin: "test")
        }
    }

    @Test("the sweep grid: case i takes grid point i mod G (last axis fastest) and phantom (i / G) mod P")
    func grid() throws {
        let s = try loadScenario("""
        id: g
        cases: 12
        phantoms: [advise-typical, normal-conduction]
        sweep:
          - parameter: cmr.lge.snr
            values: [10, 20, 40]
          - parameter: cmr.cine.snr
            values: [15, 30]
        """)
        #expect(s.variation.gridSize == 6)
        #expect(s.variation.gridPoint(0).label == "cmr.lge.snr=10, cmr.cine.snr=15")
        #expect(s.variation.gridPoint(1).label == "cmr.lge.snr=10, cmr.cine.snr=30")
        #expect(s.variation.gridPoint(5).label == "cmr.lge.snr=40, cmr.cine.snr=30")
        #expect(s.assignment(7).phantom == "normal-conduction" && s.assignment(7).gridPoint == 1)
        let spec = try s.phantomSpec(phantom: "normal-conduction", gridPoint: 5, drawn: [], presetFolder: packageRoot + "/Phantoms")
        #expect(spec.cmr.lge.snr == 40 && spec.cmr.cine.snr == 30 && spec.name == "normal-conduction")
    }

    @Test("draws: deterministic per case seed; normal mean and SD, truncation and choice weights within sampling tolerance")
    func draws() throws {
        let s = try loadScenario("""
        id: d
        draws:
          - parameter: anatomy.edvMl
            normal: {mean: 209, sd: 79, min: 100, max: 420}
          - parameter: activation.pattern
            choice: {values: [lbbb, normal, rbbb], weights: [0.69, 0.21, 0.10]}
          - parameter: veins.lateralBranches
            uniform: {min: 1, max: 3}
            round: true
        """)
        #expect(s.variation.drawnSettings(caseSeed: 5) == s.variation.drawnSettings(caseSeed: 5))
        let n = 4000
        var edv: [Double] = [], lbbb = 0
        for k in 0..<n {
            let d = s.variation.drawnSettings(caseSeed: UInt64(k) * 7919 + 1)
            let x = Double(d[0].yaml)!
            #expect((100...420).contains(x))
            edv.append(x)
            if d[1].yaml == "lbbb" { lbbb += 1 }
            #expect(["1", "2", "3"].contains(d[2].yaml))
        }
        // Truncated normal N(209, 79) on [100, 420]: mean 221.36 and SD 66.55 (closed form, Johnson & Kotz), tolerance
        // 4 standard errors.
        let mean = try Statistics.mean(edv), sd = try Statistics.standardDeviation(edv)
        #expect(abs(mean - 221.36) < 4 * 66.55 / Double(n).squareRoot())
        #expect(abs(sd - 66.55) < 3)
        // Choice frequency: binomial(4000, 0.69), SD 0.0073; tolerance 4 SD.
        #expect(abs(Double(lbbb) / Double(n) - 0.69) < 4 * (0.69 * 0.31 / Double(n)).squareRoot())
    }

    @Test("malformed variation: the message names the file, the line of the draw or sweep and the field", .tags(.fast))
    func errors() {
        let bad1 = loadError("""
        id: e
        phantoms: [advise-typical]
        sweep:
          - parameter: cmr.cine.snrr
            values: [10]
        """)
        #expect(bad1.contains("line 4: sweep[0] (cmr.cine.snrr)") && bad1.contains("unknown field"))
        let bad2 = loadError("""
        id: e
        draws:
          - parameter: anatomy.edvMl
            normal: {mean: 209, sd: 79, min: 10, max: 420}
        """)
        #expect(bad2.contains("line 3: draws[0] (anatomy.edvMl)") && bad2.contains("60 to 450"))
        let bad3 = loadError("""
        id: e
        draws:
          - parameter: activation.pattern
            choice: {values: [lbbb, normal], weights: [0.5, 0.6]}
        """)
        #expect(bad3.contains("line 4: draws[0].choice.weights: must sum to 1"))
        #expect(loadError("id: e\nacquisition:\n  cArmAngleErrorSDDeg: 2\n").contains("fluoroscopy.enabled"))
        #expect(loadError("id: e\ngroupBy: [sex]\n").contains("groupBy: 'sex' is not allowed"))
        #expect(loadError("id: e\nexpectations:\n  - metric: lead.kappa\n    atLeast: 1\n").contains("expectations[0].metric"))
        #expect(loadError("id: e\nphantoms: [no-such-preset]\n").contains("neither a preset"))
    }

    /// Fuzz finding (Fuzz/corpus/scenario/regress-alias-bomb.yaml): nine levels of ten YAML aliases each ("billion
    /// laughs") expand to 10^9 values; Yams shares aliased nodes, but the scenario's overrides are re-serialised
    /// expanded, so this 468-byte file ran for minutes and gigabytes. The reader now stops at 100000 values.
    @Test("a YAML alias bomb is refused with one line naming the file, a few aliases still work", .tags(.fast),
          .timeLimit(.minutes(1)))
    func aliasBomb() throws {
        var lines = ["id: bomb", "overrides:", "  l0: &a0 [1,1,1,1,1,1,1,1,1,1]"]
        for i in 1...8 { lines.append("  l\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ",") + "]") }
        let message = loadError(lines.joined(separator: "\n") + "\n")
        #expect(message.contains(".yaml: line ") && message.contains("expands to more than 100000 values through YAML aliases"),
                "\(message)")
        #expect(!message.contains("\n"))
        // The bomb as a mapping key: Yams hashes keys in full while composing (found by fuzz-scenario, corpus
        // regress-alias-key.yaml), so the size is checked on libyaml's events before composing.
        let asKey = loadError(lines.joined(separator: "\n") + "\n  *a8 : 1\n")
        #expect(asKey.contains("expands to more than 100000 values"), "\(asKey)")
        let phantom = lines.dropFirst(2).map { String($0.dropFirst(2)) }.joined(separator: "\n")
        #expect(throws: InputError.self) { try PhantomSpec.load(yaml: phantom, file: "bomb.yaml") }
        // The same bomb in a phantom file that the scenario varies (the variation re-serialises the phantom).
        let bombFile = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-bomb-\(UUID().uuidString).yaml")
        try phantom.write(to: bombFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bombFile) }
        let varied = loadError("id: varied\nphantoms: [\(bombFile.path)]\noverrides:\n  anatomy.edvMl: 200\n")
        #expect(varied.contains("\(bombFile.path): line ") && varied.contains("expands to more than 100000 values"), "\(varied)")
        // Ordinary anchors and aliases are still read.
        let shared = try loadScenario("id: shared\noverrides:\n  cmr.cine.snr: &snr 20\n  cmr.lge.snr: *snr\n")
        #expect(shared.variation.overrides.map(\.yaml) == ["20", "20"])
    }

    /// Fuzz finding (Fuzz/corpus/scenario/regress-probe-product.yaml): load checks every phantom with every sweep
    /// point and draw value; 20 phantoms x 64 sweep values x 50 choice values made a 1.1 KB file take minutes.
    @Test("the load-time phantom checks are deduplicated and capped with a message naming the counts", .tags(.fast),
          .timeLimit(.minutes(1)))
    func loadCheckProduct() throws {
        let sweep = (0..<64).map { String(100 + $0) }.joined(separator: ", ")
        func scenario(phantoms: [String], choices: [String]) -> String {
            """
            id: product
            phantoms: [\(phantoms.joined(separator: ", "))]
            sweep:
              - parameter: anatomy.edvMl
                values: [\(sweep)]
            draws:
              - parameter: anatomy.rvWidthMm
                choice: {values: [\(choices.joined(separator: ", "))]}
            """
        }
        // Repeated phantoms and repeated draw values are checked once: 1 x 64 x 2 readings.
        let repeated = try loadScenario(scenario(phantoms: Array(repeating: "advise-typical", count: 20),
                                                 choices: Array(repeating: ["10", "20"], count: 25).flatMap { $0 }))
        #expect(repeated.phantoms.count == 20)
        let message = loadError(scenario(phantoms: ["advise-typical", "normal-conduction"],
                                         choices: (0..<50).map { String(6 + $0 / 2) + ".\($0 % 2)" }))
        #expect(message.contains("line 2: checking every phantom") && message.contains("needs 6400 phantom readings "
                + "(2 phantoms x 64 sweep points x 50 draw values); at most 1024"), "\(message)")
    }

    @Test("every catalogue scenario loads; the JSON Schema lists exactly the metric ids and acquisition fields of the reader", .tags(.fast))
    func catalogueAndSchema() throws {
        let dir = packageRoot + "/Scenarios"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 12)
        for f in files {
            let s = try Scenario.load(dir + "/" + f, presets: presets, presetFolder: packageRoot + "/Phantoms")
            #expect(s.id + ".yaml" == f, "scenario id matches its file name: \(f)")
        }
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/scenario.schema.json"))) as! [String: Any]
        let props = schema["properties"] as! [String: Any]
        let expectation = ((props["expectations"] as! [String: Any])["items"] as! [String: Any])["properties"] as! [String: Any]
        let metricEnum = (expectation["metric"] as! [String: Any])["enum"] as! [String]
        #expect(metricEnum == PipelineMetrics.ids)
        let readme = try String(contentsOfFile: dir + "/README.md", encoding: .utf8)
        for id in PipelineMetrics.ids { #expect(readme.contains("`\(id)`"), "Scenarios/README.md documents \(id)") }
        for key in props.keys { #expect(readme.contains(key + ":"), "Scenarios/README.md shows the field \(key)") }
    }
}

/// Issue 18, "expectations from references": every threshold of the catalogue says where it comes from.
@Suite(.tags(.fast)) struct ExpectationSourceTests {
    @Test("every expectation of the catalogue (Scenarios/*.yaml, examples/python-pipeline/*.yaml) cites its source")
    func catalogueExpectationsCiteSources() throws {
        var checked = 0
        for dir in [packageRoot + "/Scenarios", packageRoot + "/examples/python-pipeline"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
            for f in files {
                let s = try Scenario.load(dir + "/" + f, presets: presets, presetFolder: packageRoot + "/Phantoms")
                for e in s.expectations {
                    checked += 1
                    let source = e.source ?? ""
                    #expect(!source.isEmpty, "\(f): \(e.metric) \(e.text) has no source")
                    // Cite the paper, a docs/ file of this repository or an issue, not files outside it.
                    #expect(!source.contains("DOMAIN.md") && !source.contains("../"), "\(f): \(e.metric): \(source)")
                }
            }
        }
        #expect(checked >= 60)
    }

    @Test("source is optional, read trimmed, and kept in results.json; results.json without it still reads")
    func sourceIsReadAndEncoded() throws {
        let s = try loadScenario("""
            id: src
            expectations:
              - metric: scar.kappa
                atLeast: 0.85
                source: " issue 3 target: scar kappa >= 0.85 "
              - metric: scar.dice_mean
                atLeast: 0.8
            """)
        #expect(s.expectations.map(\.source) == ["issue 3 target: scar kappa >= 0.85", nil])
        let encoded = try JSONEncoder().encode(s.expectations)
        let decoded = try JSONDecoder().decode([Scenario.Expectation].self, from: encoded)
        #expect(decoded == s.expectations)
        let old = #"[{"kind": "atLeast", "metric": "scar.kappa", "value": 0.85}]"#
        let read = try JSONDecoder().decode([Scenario.Expectation].self, from: Data(old.utf8))
        #expect(read == [Scenario.Expectation(metric: "scar.kappa", kind: .atLeast, value: 0.85)])
        #expect(loadError("id: src\nexpectations:\n  - metric: scar.kappa\n    atLeast: 1\n    source: [a]\n")
            .contains("line 5: expectations[0].source: expected a text value"))
    }
}

@Suite struct CaptureRangeTests {
    typealias Trial = RegistrationTrials.Trial

    @Test("capture range: the upper edge of the last 2-mm bin before the first bin under 95 % success", .tags(.fast))
    func bins() {
        var trials: [Trial] = []
        // Bins 0-2 ... 12-14 mm all succeed; 14-16 has 1 failure in 10 (90 %); later bins succeed again.
        for b in 0..<10 { for k in 0..<10 { trials.append(Trial(initialMTREMm: Double(2 * b) + 0.1 * Double(k) + 0.05, finalMTREMm: b == 7 && k == 0 ? 6 : 1)) } }
        #expect(RegistrationTrials.captureRangeMm(trials) == 14)
        #expect(RegistrationTrials.captureRangeMm([]) == nil)
        #expect(RegistrationTrials.captureRangeMm([Trial(initialMTREMm: 1, finalMTREMm: 9)]) == 0)
        // Exactly 95 % (19 of 20) still counts.
        let edge = (0..<20).map { Trial(initialMTREMm: 3, finalMTREMm: $0 == 0 ? 7 : 0.5) }
        #expect(RegistrationTrials.captureRangeMm(edge) == 4)
    }
}

extension Tag {
    /// Tests that take well under a second.
    @Tag static var fast: Self
}

/// `pipelines` and `judge` (A/B): what is read, and each malformed form refused with the file, line and field.
@Suite(.tags(.fast)) struct PipelinesFormatTests {
    static let head = "id: ab\ncases: 2\nphantoms: [advise-typical]\n"

    @Test func comparedPipelinesAreRead() throws {
        let s = try loadScenario(Self.head + """
            pipeline: {scarThresholdFraction: 0.45}
            pipelines:
              - builtin
              - {name: t30, scarThresholdFraction: 0.3}
              - {name: mine, command: [python3, p.py, "{case}", "{out}"], timeoutSeconds: 60}
            judge: t30
            """)
        #expect(s.judgedPipeline == "t30" && s.pipeline.scarThresholdFraction == 0.3)
        #expect(s.comparedPipelines.map(\.name) == ["builtin", "mine"])
        #expect(s.comparedPipelines[0].settings.scarThresholdFraction == 0.45)
        #expect(s.comparedPipelines[1].settings.external?.timeoutSeconds == 60)
        let plain = try loadScenario(Self.head)
        #expect(plain.comparedPipelines.isEmpty && plain.judgedPipeline == "builtin")
    }

    @Test func malformedPipelinesAreRefused() {
        let bad: [(String, String)] = [
            ("pipelines: [builtin, mine]\n", "line 4: pipelines: 'mine' is not a pipeline"),
            ("pipelines: [builtin, {name: a}, {name: a}]\n", "pipelines: 'a' is listed twice"),
            ("pipelines: [builtin]\n", "pipelines: list at least two pipelines"),
            ("pipelines: [builtin, {name: a}]\njudge: b\n", "judge: 'b' is not one of pipelines (builtin, a)"),
            ("judge: builtin\n", "judge: names one of pipelines: give pipelines too"),
            ("pipelines: [builtin, {scarThresholdFraction: 0.3}]\n", "pipelines[1].name: required"),
            ("pipelines: [builtin, {name: builtin}]\n", "pipelines[1].name: builtin is the pipeline section's settings"),
            ("pipelines: [builtin, {name: a, command: [x, \"{out}\"], nSD: 3}]\n", "pipelines[1].nSD: sets the built-in pipeline; not with command"),
            ("pipelines: [builtin, {name: a, colour: red}]\n", "pipelines[1].colour: unknown field"),
        ]
        for (text, message) in bad {
            let e = loadError(Self.head + text)
            #expect(e.contains(message), "\(text): \(e)")
            #expect(!e.contains("\n"))
        }
    }
}

/// `ringBoundaries`: one ring convention for the generator and the pipeline, read strictly.
@Suite(.tags(.fast)) struct RingBoundariesFormatTests {
    @Test func setsThePhantomsAndThePipeline() throws {
        let s = try loadScenario(PipelinesFormatTests.head + "ringBoundaries: {basalMidFraction: 0.35, midApicalFraction: 0.68}\n")
        #expect(s.ringBoundaries == (try RingBoundaries(basalMidFraction: 0.35, midApicalFraction: 0.68)))
        let spec = try s.phantomSpec(phantom: "advise-typical", gridPoint: 0, drawn: [], presetFolder: packageRoot + "/Phantoms")
        #expect(spec.segmentModel.basalMidFraction == 0.35 && spec.segmentModel.midApicalFraction == 0.68)
        #expect(try loadScenario(PipelinesFormatTests.head).ringBoundaries == nil)
        let e = loadError(PipelinesFormatTests.head + "ringBoundaries: {basalMidFraction: 0.5, midApicalFraction: 0.52}\n")
        #expect(e.contains("ringBoundaries.midApicalFraction: must exceed basalMidFraction by at least 0.05"), "\(e)")
    }
}
