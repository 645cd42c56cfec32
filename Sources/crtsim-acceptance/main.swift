// Many-case acceptance run of the guidance pipeline (issue 3), in release mode:
//   swift run -c release crtsim-acceptance [--seeds N] [--out DIR]
// For every preset x seed x condition (default; half SNR; 3 mm slice misregistration) it generates a case,
// analyses cmr/ with the pipeline, scores analysis.json against truth/ (Validation.PipelineScore) and prints
// per-condition figures next to the targets. Writes DIR/summary.json (default
// Results/pipeline-acceptance). Exit code 1 when a default-condition target is missed.
import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import Statistics
import SyntheticCase
import Validation

let presets = ["advise-typical", "lbbb-nonischemic", "ischemic-posterolateral", "ischemic-anteroseptal", "normal-conduction"]
var seedsPerPreset = 4
var outDir = "Results/pipeline-acceptance"
var conditionFilter: Set<String>? = nil
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--seeds": seedsPerPreset = Int(args.isEmpty ? "" : args.removeFirst()) ?? -1
    case "--out": outDir = args.isEmpty ? outDir : args.removeFirst()
    case "--conditions": conditionFilter = Set((args.isEmpty ? "" : args.removeFirst()).split(separator: ",").map(String.init))
    default:
        FileHandle.standardError.write("crtsim-acceptance: unknown argument \(a) (use --seeds N, --out DIR)\n".data(using: .utf8)!)
        exit(2)
    }
}
guard (1...50).contains(seedsPerPreset) else {
    FileHandle.standardError.write("crtsim-acceptance: --seeds must be 1-50\n".data(using: .utf8)!)
    exit(2)
}

struct Condition { let name: String; let apply: (inout PhantomSpec) -> Void }
let allConditions = [
    Condition(name: "default") { _ in },
    Condition(name: "half-snr") { $0.cmr.cine.snr /= 2; $0.cmr.lge.snr /= 2 },
    Condition(name: "misregistration-3mm") { $0.cmr.sliceMisregistrationMm = 3 },
]
let conditions = allConditions.filter { conditionFilter?.contains($0.name) ?? true }
guard !conditions.isEmpty else {
    FileHandle.standardError.write("crtsim-acceptance: --conditions: allowed default, half-snr, misregistration-3mm\n".data(using: .utf8)!)
    exit(2)
}

struct CaseRow: Codable { let condition: String; let preset: String; let seed: Int; let score: PipelineScore; let analysisSeconds: Double }
var rows: [CaseRow] = []
let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-acceptance-\(getpid())")
defer { try? FileManager.default.removeItem(at: tmp) }
for condition in conditions {
    for preset in presets {
        let file = "Phantoms/\(preset).yaml"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            FileHandle.standardError.write("crtsim-acceptance: \(file) not found (run from the package root)\n".data(using: .utf8)!)
            exit(2)
        }
        var spec = try PhantomSpec.load(yaml: text, file: file)
        condition.apply(&spec)
        for seed in 1...seedsPerPreset {
            let caseDir = tmp.appendingPathComponent("case").path, anaDir = tmp.appendingPathComponent("analysis").path
            _ = try CaseGenerator.generate(spec: spec, seed: UInt64(seed), out: caseDir, replace: true, previews: false, xray: false)
            let start = Date()
            let study = try CMRStudy.load(cmrDirectory: caseDir + "/cmr")
            let output = try GuidancePipeline().run(study)
            let seconds = Date().timeIntervalSince(start)
            _ = try AnalysisWriter.write(output, to: anaDir, replace: true)
            let s = try PipelineScore.score(caseDirectory: caseDir, analysisDirectory: anaDir)
            rows.append(CaseRow(condition: condition.name, preset: preset, seed: seed, score: s, analysisSeconds: seconds))
            print(String(format: "%-20@ %-24@ seed %2d  kappa %.2f dice %@ burden %+5.1f pp  EDV %+5.1f%% ESV %+5.1f%% EF %+5.1f  act %5.1f ms  latest %@  target %@ (%@ vs %@)",
                         condition.name, preset, seed, s.scarKappa, s.scarDice.map { String(format: "%.2f", $0) } ?? "  - ",
                         s.scarBurdenErrorPoints, 100 * s.edvRelativeError, 100 * s.esvRelativeError, s.efErrorPoints,
                         s.activationMedianAbsErrorMs ?? -1, s.latestSegmentCategory ?? "-", s.primaryTargetCategory,
                         s.primaryTargetAnalysis.map(String.init) ?? "none", s.primaryTargetTruth.map(String.init) ?? "none"))
        }
    }
}

struct Summary: Codable {
    var condition: String, cases: Int
    var pooledScarKappa: Double, pooledScarKappaCI: [Double], meanScarKappa: Double, minScarKappa: Double, meanDiceOnScarCases: Double?, maxAbsBurdenErrorPoints: Double
    var falseScarOnScarFree: Int
    var volumesWithin5Percent: Double, efWithin3Points: Double
    var medianActivationErrorMs: Double, latestWithinOrAdjacent: Double
    var targetWithinOrAdjacent: Double, targetExact: Double, meanAnalysisSeconds: Double
}
func frac(_ x: [Bool]) -> Double { x.isEmpty ? 0 : Double(x.filter { $0 }.count) / Double(x.count) }
func med(_ x: [Double]) -> Double { let s = x.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
var summaries: [Summary] = []
for c in conditions {
    let r = rows.filter { $0.condition == c.name }.map(\.score)
    let dices = r.filter(\.truthHasScar).compactMap(\.scarDice)
    let targets = r.filter { $0.primaryTargetCategory != "agree-none" }
    let pooled = try? Statistics.cohensKappa(first: r.flatMap(\.scarredTruth), second: r.flatMap(\.scarredAnalysis),
                                             categories: [false, true])
    summaries.append(Summary(
        condition: c.name, cases: r.count,
        pooledScarKappa: pooled?.kappa ?? (r.allSatisfy { $0.scarredTruth == $0.scarredAnalysis } ? 1 : 0),
        pooledScarKappaCI: pooled.map { [$0.confidenceInterval.lower, $0.confidenceInterval.upper] } ?? [],
        meanScarKappa: r.map(\.scarKappa).reduce(0, +) / Double(r.count), minScarKappa: r.map(\.scarKappa).min() ?? 0,
        meanDiceOnScarCases: dices.isEmpty ? nil : dices.reduce(0, +) / Double(dices.count),
        maxAbsBurdenErrorPoints: r.map { abs($0.scarBurdenErrorPoints) }.max() ?? 0,
        falseScarOnScarFree: r.filter { !$0.truthHasScar && $0.analysisFoundScar }.count,
        volumesWithin5Percent: frac(r.map { abs($0.edvRelativeError) <= 0.05 && abs($0.esvRelativeError) <= 0.05 }),
        efWithin3Points: frac(r.map { abs($0.efErrorPoints) <= 3 }),
        medianActivationErrorMs: med(r.compactMap(\.activationMedianAbsErrorMs)),
        latestWithinOrAdjacent: frac(r.compactMap(\.latestSegmentCategory).map { $0 != "remote" }),
        targetWithinOrAdjacent: frac(targets.map { $0.primaryTargetCategory == "within" || $0.primaryTargetCategory == "adjacent" }),
        targetExact: frac(targets.map { $0.primaryTargetCategory == "within" }),
        meanAnalysisSeconds: rows.filter { $0.condition == c.name }.map(\.analysisSeconds).reduce(0, +) / Double(r.count)))
}
print("\ncondition             cases  kappa(pooled [95% CI]; mean/min per case)  Dice   |burden|max  falseScar  vol<=5%  EF<=3  act-med  latest  target(w+a/exact)  s/case")
for s in summaries {
    print(String(format: "%-20@ %5d   %.3f [%.3f-%.3f]; %.3f / %.3f    %@   %5.2f pp     %d          %3.0f%%     %3.0f%%   %5.1f ms  %3.0f%%    %3.0f%% / %3.0f%%       %.2f",
                 s.condition, s.cases, s.pooledScarKappa, s.pooledScarKappaCI.first ?? .nan, s.pooledScarKappaCI.last ?? .nan, s.meanScarKappa, s.minScarKappa, s.meanDiceOnScarCases.map { String(format: "%.3f", $0) } ?? "  -  ",
                 s.maxAbsBurdenErrorPoints, s.falseScarOnScarFree, 100 * s.volumesWithin5Percent, 100 * s.efWithin3Points,
                 s.medianActivationErrorMs, 100 * s.latestWithinOrAdjacent, 100 * s.targetWithinOrAdjacent, 100 * s.targetExact,
                 s.meanAnalysisSeconds))
}
try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
try enc.encode(["summaries": summaries]).write(to: URL(fileURLWithPath: outDir + "/summary.json"))
try enc.encode(rows).write(to: URL(fileURLWithPath: outDir + "/cases.json"))
let d = summaries[0]
let pass = d.pooledScarKappa >= 0.85 && (d.meanDiceOnScarCases ?? 1) >= 0.80 && d.maxAbsBurdenErrorPoints <= 2
    && d.falseScarOnScarFree == 0 && d.volumesWithin5Percent == 1 && d.efWithin3Points == 1
    && d.targetWithinOrAdjacent >= 0.95 && d.targetExact >= 0.60
print(pass ? "\nacceptance (default condition): PASS" : "\nacceptance (default condition): FAIL (see the figures above against issue 3's targets)")
exit(pass ? 0 : 1)
