// Many-case acceptance run of the fluoroscopy stage (issue 4, pipeline side), in release mode:
//   swift run -c release crtsim-registration-acceptance [--cases N] [--starts K] [--out DIR]
// For N cases (presets in turn, seeds 1...) it generates the case (CMR + two views, 2-px click noise by default),
// runs the CMR pipeline and the fluoroscopy stage on the images alone, and scores the pose against the truth
// (Validation.RegistrationScore: mTRE over the LV myocardium, mPD, mRPD) and the lead against the truth (kappa).
// Capture range: per case K starting poses perturbed from the truth (initial mTRE 0-30 mm) are registered with the
// clicks (Levenberg-Marquardt, no Kabsch start) and refined on the vessels; success (final mTRE < 5 mm) per 2-mm
// bin of initial mTRE. Writes DIR/summary.json (default Results/registration-acceptance). Exit 1 when a target of
// the issue is missed.
import CRTCore
import FluoroGuidance
import Foundation
import GuidancePipeline
import HeartPhantom
import SegmentModel
import Statistics
import SyntheticCase
import Validation

let presets = ["advise-typical", "lbbb-nonischemic", "ischemic-posterolateral", "ischemic-anteroseptal", "normal-conduction"]
var caseCount = 20, starts = 4
var outDir = "Results/registration-acceptance"
var args = Array(CommandLine.arguments.dropFirst())
func fail(_ m: String) -> Never { FileHandle.standardError.write("crtsim-registration-acceptance: \(m)\n".data(using: .utf8)!); exit(2) }
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--cases": caseCount = Int(args.isEmpty ? "" : args.removeFirst()) ?? -1
    case "--starts": starts = Int(args.isEmpty ? "" : args.removeFirst()) ?? -1
    case "--out": outDir = args.isEmpty ? outDir : args.removeFirst()
    default: fail("unknown argument \(a) (use --cases N, --starts K, --out DIR)")
    }
}
guard (1...1000).contains(caseCount), (0...50).contains(starts) else { fail("--cases must be 1-1000, --starts 0-50") }

struct Row: Codable {
    let preset: String; let seed: Int; let score: RegistrationScore; let registrationSeconds: Double
    let leadStatus: String; let startInitialMTREMm: [Double]; let startFinalMTREMm: [Double]
}
var rows: [Row] = []
let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-reg-acceptance-\(getpid())")
defer { try? FileManager.default.removeItem(at: tmp) }
var specs: [String: PhantomSpec] = [:]
for p in presets {
    let file = "Phantoms/\(p).yaml"
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { fail("\(file) not found (run from the package root)") }
    specs[p] = try PhantomSpec.load(yaml: text, file: file)
}

for k in 0..<caseCount {
    let preset = presets[k % presets.count], seed = k / presets.count + 1
    let caseDir = tmp.appendingPathComponent("case").path
    let summary = try CaseGenerator.generate(spec: specs[preset]!, seed: UInt64(seed), out: caseDir, replace: true, previews: false, xrayVolume: false)
    let study = try CMRStudy.load(cmrDirectory: caseDir + "/cmr")
    var output = try GuidancePipeline().run(study)
    let fluoro = try FluoroStudy.load(xrayDirectory: caseDir + "/xray", operatorDirectory: caseDir + "/operator")
    let t0 = Date()
    let fusion = try DualViewFusion().run(fluoro, cmr: output)
    let seconds = Date().timeIntervalSince(t0)
    output.result.heartPose = fusion.worldFromHeart.matrix4x4
    output.result.views = fusion.views
    output.result.lead = fusion.lead
    output.result.fluoroscopy = fusion.record
    let points = try RegistrationScore.myocardiumPoints(caseDirectory: caseDir)
    let truth = summary.truth
    guard let score = RegistrationScore.score(truth: truth, analysis: output.result, pointsMm: points) else { fail("no pose to score") }
    // Capture range: perturbed starts, clicks LM then vessel refinement.
    var initial: [Double] = [], final: [Double] = []
    let truePose = Affine3D(matrix4x4: truth.heartPose!)
    var rng = SeededRandom(seed: UInt64(seed), label: "acceptance.starts.\(preset)")
    let model = fusion.landmarks
    var clicks: [PointCorrespondence] = []
    for (v, view) in fluoro.views.enumerated() {
        for name in view.clicks.keys.sorted() where model.landmarksMm[name] != nil {
            clicks.append(PointCorrespondence(name: name, modelMm: model.landmarksMm[name]!, view: v, pixel: view.clicks[name]!))
        }
    }
    let curves = model.curvesMm.keys.sorted().flatMap { model.curvesMm[$0]! }
    let centre = points.reduce(Vec3.zero, +) / Double(points.count)
    for _ in 0..<starts {
        let s = rng.uniform()
        let axis = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized
        let dir = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized
        let c = truePose.apply(centre)
        let r = Mat3.rotation(axis: axis, angleRadians: radians(20 * s))
        let start = Affine3D(linear: r, translation: c - r * c + dir * (22 * s)).composed(after: truePose)
        initial.append(RegistrationScore.mTRE(truePose, start, points))
        let lm = PoseEstimation.refine(initial: start, points: clicks, projections: fluoro.views.map(\.projection))
        let refined = ImageRefinement().refine(initial: lm.worldFromHeart, curvesMm: curves, venograms: fluoro.views.map(\.venogram),
                                               projections: fluoro.views.map(\.projection), clicks: clicks)
        let end = refined.vesselnessAfter > refined.vesselnessBefore ? refined.worldFromHeart : lm.worldFromHeart
        final.append(RegistrationScore.mTRE(truePose, end, points))
    }
    rows.append(Row(preset: preset, seed: seed, score: score, registrationSeconds: seconds, leadStatus: fusion.record.lead.status,
                    startInitialMTREMm: initial, startFinalMTREMm: final))
    print(String(format: "%3d %-24@ seed %2d  mTRE %.2f mm (landmarks %.2f)  mPD %.2f  mRPD %.2f  lead seg %@/%@ cat %@/%@  %.2f s",
                 k + 1, preset, seed, score.mTREMm, score.landmarkMTREMm ?? .nan, score.mPDMm, score.mRPDMm,
                 score.leadSegmentTruth.map(String.init) ?? "-", score.leadSegmentAnalysis.map(String.init) ?? "-",
                 score.leadCategory36Truth ?? "-", score.leadCategory36Analysis ?? "-", seconds))
}

func med(_ x: [Double]) -> Double { let s = x.sorted(); return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2]) }
let mtre = rows.map(\.score.mTREMm), landmark = rows.compactMap(\.score.landmarkMTREMm)
let success = Double(rows.filter(\.score.success).count) / Double(rows.count)
let strict = Double(rows.filter(\.score.successStrict).count) / Double(rows.count)
let categories = ["within", "adjacent", "remote"]
func kappa(_ pairs: [(String, String)]) -> Double? {
    guard !pairs.isEmpty else { return nil }
    return try? Statistics.cohensKappa(first: pairs.map(\.0), second: pairs.map(\.1), categories: categories).kappa
}
let leadPairs = rows.compactMap { r -> (String, String)? in
    guard let a = r.score.leadCategory36Truth, let b = r.score.leadCategory36Analysis else { return nil }; return (a, b)
}
let localisationPairs = rows.compactMap { r -> (String, String)? in
    guard let a = r.score.leadCategory36TruthSegmentVsAnalysisTarget, let b = r.score.leadCategory36Analysis else { return nil }; return (a, b)
}
let fluoroPairs = rows.compactMap { r -> (String, String)? in
    guard let a = r.score.leadCategory36Analysis, let b = r.score.fluoroscopyOnlyCategory36 else { return nil }; return (a, b)
}
let segmentAgreement = Double(rows.filter { $0.score.leadSegmentTruth != nil && $0.score.leadSegmentTruth == $0.score.leadSegmentAnalysis }.count) / Double(rows.count)
let leadFound = rows.filter { $0.leadStatus == "found" }.count
// Capture range: 2-mm bins of initial mTRE, success rate per bin.
var bins = [[Bool]](repeating: [], count: 15)
for r in rows { for (i, f) in zip(r.startInitialMTREMm, r.startFinalMTREMm) where i < 30 { bins[Int(i / 2)].append(f < 5) } }
var capture = 0.0
for (b, v) in bins.enumerated() {
    if v.isEmpty { continue }
    if Double(v.filter { $0 }.count) / Double(v.count) >= 0.95 { capture = Double(2 * b + 2) } else { break }
}
let pacingErrors = rows.compactMap(\.score.pacingElectrodeErrorMm)
func f(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "n/a" }
print("""

registration over \(rows.count) cases (2-px click noise):
  median mTRE \(f(med(mtre))) mm (landmarks alone \(f(med(landmark))) mm; target <= 2 mm), mean \(f(mtre.reduce(0, +) / Double(mtre.count))) mm
  success (mTRE < 5 mm) \(f(100 * success)) %, < 2 mm \(f(100 * strict)) %
  median mPD \(f(med(rows.map(\.score.mPDMm)))) mm, median mRPD \(f(med(rows.map(\.score.mRPDMm)))) mm
  refinement better than landmarks in \(rows.filter { ($0.score.landmarkMTREMm ?? .infinity) > $0.score.mTREMm }.count) of \(rows.count) cases
  median registration time \(f(med(rows.map(\.registrationSeconds)))) s (target <= 1 s)
  capture range (every 2-mm bin >= 95 % success): \(f(capture)) mm; per bin: \(bins.enumerated().filter { !$0.element.isEmpty }.map { "\(2 * $0.offset)-\(2 * $0.offset + 2): \($0.element.filter { $0 }.count)/\($0.element.count)" }.joined(separator: ", "))
lead:
  electrodes found in \(leadFound) of \(rows.count) cases; median pacing electrode error \(f(med(pacingErrors))) mm
  segment36 agrees with truth in \(f(100 * segmentAgreement)) %
  kappa category36 truth vs analysis \(f(kappa(leadPairs))) (n = \(leadPairs.count)); target >= 0.9
  kappa category36 (truth lead segment vs pipeline target) vs analysis \(f(kappa(localisationPairs))) (localisation only)
  kappa fluoroscopy-only vs model-registered category36 \(f(kappa(fluoroPairs))) (paper 0.078)
""")
try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
try enc.encode(rows).write(to: URL(fileURLWithPath: outDir + "/summary.json"))
exit(med(mtre) <= 2 && success >= 0.95 ? 0 : 1)
