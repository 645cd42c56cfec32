import CRTCore
import FluoroGuidance
import Foundation
import HeartPhantom
import SyntheticCase
import Testing
import Validation
import XRaySimulation

/// Named tolerances of the lead-catalogue and device tests (issue 15).
enum LeadModelTolerance {
    /// A rendered catalogue lead's electrodes, detected and matched with the model's gaps, vs the true electrode
    /// centres in the C-arm world (mm): the 0.44 mm pixels at the isocentre and the 1-1.5 mm rings.
    static let renderedElectrodeMm = 1.0
    /// RV (pacing or ICD) and RA leads in the field: LV lead found when every electrode lies within this of the truth (mm).
    static let devicesElectrodeMm = 1.5
}

/// A simulated case and the LV epicardium in the C-arm world (what a perfectly registered model gives the pipeline).
struct SimulatedLeadCase {
    var xray: XRayCase
    var epicardiumWorldMm: [Vec3]
    /// Segment angle (degrees) of a world point on the true heart, and the inferior insertion's angle.
    var angleDeg: (Vec3) -> Double
    var septalSpanDeg: Double
}

/// The simulated case of a phantom with the given `xray` fields, full 512 x 512 detector, 4 mm voxels.
func simulated(_ xray: String, seed: UInt64 = 3) throws -> SimulatedLeadCase {
    let spec = try PhantomSpec.load(yaml: "xray: {voxelMm: 4, \(xray)}", file: "lead-model-test.yaml")
    let heart = HeartModel(spec: spec)
    let truth = heart.groundTruth(phaseTimesMs: [0])
    let c = XRaySimulator(heart: heart, truth: truth, seed: seed).simulate(includeVolume: false)
    let st = heart.state(atMs: spec.xray.cardiacPhaseFraction * spec.motion.rrIntervalMs)
    var epi: [Vec3] = []
    for f in stride(from: 0.0, through: 1.0, by: 0.05) { for phi in stride(from: 0.0, to: 360, by: 6) {
        epi.append(c.worldFromPatient.apply(heart.epicardialPoint(fraction: f, phiDeg: phi, st)))
    } }
    let patientFromWorld = c.worldFromPatient.inverse!
    return SimulatedLeadCase(xray: c, epicardiumWorldMm: epi,
                             angleDeg: { heart.local(patientFromWorld.apply($0), lambda: st.lambda).phiDeg },
                             septalSpanDeg: spec.anatomy.inferiorInsertionAngleDeg)
}

/// Detects and matches the LV lead of a simulated case as the pipeline does when it knows the implanted model
/// (`DualViewFusion.localiseLead`): more and fainter candidates, looked for over the projection of the (here
/// exactly) registered epicardium widened by `maximumModelDistanceMm`, only points within that distance of it and
/// not over the septum, each electrode's distance from it scored.
func matchLead(_ s: SimulatedLeadCase, model: LeadModel?) -> LeadTriangulation.Match? {
    var settings = ElectrodeDetection.Settings()
    settings.maximumCandidates = settings.maximumCandidatesKnownLead
    settings.thresholdFraction = settings.thresholdFractionKnownLead
    let detector = ElectrodeDetection(settings: settings)
    let c = s.xray
    let m = LeadTriangulation.Settings()
    let found = c.views.map { v in
        let region = ElectrodeDetection.region(around: s.epicardiumWorldMm, projection: v.view.projection, columns: v.view.columns, rows: v.view.rows,
                                               radiusPx: m.maximumModelDistanceMm / v.view.millimetresPerPixelAtIsocentre)
        return detector.candidates(DetectorImage(columns: v.view.columns, rows: v.view.rows, pixels: v.lead), region: region)
    }
    return LeadTriangulation.match(candidates: found.map { $0.blobs.map(\.pixel) }, projections: c.views.map(\.view.projection),
                                   count: model?.electrodeCount ?? 4, expectedGapsMm: model?.gapsMm,
                                   modelDistanceMm: { p in
                                       let distance = s.epicardiumWorldMm.reduce(Double.infinity) { min($0, ($1 - p).length) }
                                       guard distance <= m.maximumModelDistanceMm else { return nil }
                                       let a = s.angleDeg(p)
                                       return a > m.septalMarginDeg && a < s.septalSpanDeg - m.septalMarginDeg ? nil : distance
                                   })
}

/// Worst distance (mm) from a true electrode (world) to the matched one in the same or reversed order.
func worstMatchedMm(_ found: [Vec3], _ truth: [Vec3]) -> Double {
    guard found.count == truth.count else { return .infinity }
    let forward = zip(found, truth).map { ($0 - $1).length }.max()!
    let backward = zip(found.reversed(), truth).map { ($0 - $1).length }.max()!
    return min(forward, backward)
}

@Suite("Lead catalogue")
struct LeadCatalogueTests {
    @Test("every catalogue lead is rendered with its own electrodes and found with its gaps: every electrode within 1 mm, asymmetric leads ordered distal first",
          arguments: 1...LeadCatalogue.models.count)
    func renderedModel(number: Int) throws {
        let model = try #require(LeadCatalogue.model(number: number))
        let sim = try simulated("lead: {model: \(number)}")
        let c = sim.xray
        #expect(c.lead.model == model && c.lead.position.model == model.name && c.lead.position.electrodeCount == model.electrodeCount)
        // Electrodes along the lead at the model's offsets from the distal end.
        for (a, o) in zip(c.lead.electrodeArcsMm, model.electrodeOffsetsMm) { #expect(abs(c.lead.tipArcMm - a - o) < 1e-9) }
        let truthWorld = c.lead.electrodesMm.map { c.worldFromPatient.apply($0) }
        let found = matchLead(sim, model: model)
        let match = try #require(found, "\(model.name): not matched")
        let worst = worstMatchedMm(match.worldMm, truthWorld)
        #expect(worst <= LeadModelTolerance.renderedElectrodeMm, "\(model.name): worst electrode \(worst) mm")
        if match.orientedByGaps {
            #expect((match.worldMm[0] - truthWorld[0]).length <= LeadModelTolerance.renderedElectrodeMm, "\(model.name): distal end misread")
        }
        // A symmetric lead (Attain Performa 21 / 2.8 / 21 mm, a bipolar pair) is never oriented by its gaps.
        let asymmetry = zip(model.gapsMm, model.gapsMm.reversed()).map { abs($0 - $1) }.reduce(0, +)
        if asymmetry < 1 { #expect(!match.orientedByGaps) }
    }

    @Test("unequal gaps: the chain that reproduces the model's gaps is chosen over a distractor pair; equal spacing alone rejects the Quartet chain")
    func unequalGapsChain() throws {
        let lao = CArmView.lao40, rao = CArmView.rao30
        // Quartet electrodes 20, 10, 17 mm apart along a gently curved lead, and an RV lead's tip and ring 10.5 mm apart.
        let lv = [Vec3(-20, 0, 50), Vec3(-2, 8, 52), Vec3(6, 13, 53), Vec3(20, 22, 50)]
        let rv = [Vec3(-30, -25, 10), Vec3(-38, -20, 16)]
        let model = try #require(LeadCatalogue.models.first { $0.name == "Abbott Quartet 1458Q" })
        let truthGaps = (1..<4).map { (lv[$0] - lv[$0 - 1]).length }
        #expect(zip(truthGaps, model.gapsMm).allSatisfy { abs($0 - $1) < 1 }, "test lead gaps \(truthGaps)")
        let all = lv + rv
        let candidates = [all.map { pixel(lao, $0) }, all.reversed().map { pixel(rao, $0) }]
        let match = try #require(LeadTriangulation.match(candidates: candidates, projections: [lao.projection, rao.projection],
                                                         count: 4, expectedGapsMm: model.gapsMm))
        #expect(match.orientedByGaps)
        let worst = zip(match.worldMm, lv).map { ($0 - $1).length }.max()!
        #expect(worst <= 1e-6, "distal-first chain off by \(worst) mm")
        // The equal-spacing rule of the generic lead (mean gap 7-20 mm, summed irregularity) is not told the gaps:
        // it may pick any four, but the chain it takes is not the distal-first Quartet order.
        let generic = LeadTriangulation.match(candidates: candidates, projections: [lao.projection, rao.projection])
        #expect(generic.map { !$0.orientedByGaps } ?? true)
        // A bipolar lead's pair is told from the RV lead's by its gap (21 vs 10.5 mm).
        let bipolar = try #require(LeadCatalogue.models.first { $0.kind == "bipolar" })
        let lvPair = [Vec3(0, 0, 40), Vec3(0, 21.2, 40)]
        let pairCandidates = lvPair + rv
        let pairMatch = try #require(LeadTriangulation.match(candidates: [pairCandidates.map { pixel(lao, $0) }, pairCandidates.map { pixel(rao, $0) }],
                                                             projections: [lao.projection, rao.projection], count: 2,
                                                             expectedGapsMm: bipolar.gapsMm))
        #expect(worstMatchedMm(pairMatch.worldMm, lvPair) <= 1e-6)
    }

    @Test("a long dense ridge (a shock coil) gives no candidate; electrode spots beside it do, within 0.5 px")
    func coilIsNoCandidate() {
        let n = 128
        var px = [Float](repeating: 0, count: n * n)
        func spot(_ c: Double, _ r: Double, _ a: Float) {
            for y in 0..<n { for x in 0..<n {
                let d2 = (Double(x) - c) * (Double(x) - c) + (Double(y) - r) * (Double(y) - r)
                px[y * n + x] += a * Float(exp(-d2 / (2 * 1.5 * 1.5)))
            } }
        }
        // A coil 80 px long along row 40 (sampled densely), two electrodes 20 px apart on row 90.
        for k in 0...160 { spot(20 + Double(k) * 0.5, 40, 0.9) }
        spot(40, 90, 3); spot(60, 90, 3)
        let blobs = ElectrodeDetection().candidates(DetectorImage(columns: n, rows: n, pixels: px)).blobs
        #expect(blobs.allSatisfy { abs($0.pixel.row - 40) > 6 }, "coil candidates: \(blobs.filter { abs($0.pixel.row - 40) <= 6 }.map(\.pixel))")
        for c in [40.0, 60.0] {
            #expect(blobs.contains { $0.pixel.distance(to: DetectorPixel(column: c, row: 90)) <= 0.5 }, "electrode at \(c) missed")
        }
    }

    /// `LeadTriangulation.Settings.continuationFloor`: rings below it, body and crossings well above.
    static let ringContinuationMax = 0.6, bodyContinuationMin = 0.8

    @Test("a ring stands out from a curved lead body on either side, a point of the body does not (continuation below 0.6 against above 0.8); a crossing of two equal bodies, twice as dense as either, looks like a ring")
    func ringsAgainstBodyAndCrossing() {
        let n = 128
        var px = [Float](repeating: 0, count: n * n)
        func spot(_ c: Double, _ r: Double, _ a: Float, _ sd: Double) {
            for y in max(0, Int(r) - 8)..<min(n, Int(r) + 9) { for x in max(0, Int(c) - 8)..<min(n, Int(c) + 9) {
                let d2 = (Double(x) - c) * (Double(x) - c) + (Double(y) - r) * (Double(y) - r)
                px[y * n + x] += a * Float(exp(-d2 / (2 * sd * sd)))
            } }
        }
        // A lead body along an arc (radius 40 px about (64, 60)), rings on it at 30, 60 and 90 degrees; two straight
        // bodies crossing at (100, 20).
        func onArc(_ deg: Double) -> (Double, Double) { (64 + 40 * cos(radians(deg)), 60 + 40 * sin(radians(deg))) }
        for k in 0...360 { let (c, r) = onArc(Double(k) * 0.5); spot(c, r, 0.25, 1.0) }
        for deg in [30.0, 60, 90] { let (c, r) = onArc(deg); spot(c, r, 1.5, 1.2) }
        for k in 0...200 { spot(10 + Double(k) * 0.5, 20, 0.25, 1.0); spot(100, 2 + Double(k) * 0.2, 0.25, 1.0) }
        let detector = ElectrodeDetection()
        let th = detector.topHat(DetectorImage(columns: n, rows: n, pixels: px))
        func continuation(_ c: Double, _ r: Double) -> Double {
            detector.bodyContinuation(th, at: DetectorPixel(column: c, row: r), peak: Double(th.sample(column: c, row: r)))
        }
        for deg in [30.0, 60, 90] {
            let (c, r) = onArc(deg)
            #expect(continuation(c, r) < Self.ringContinuationMax, "ring at \(deg) degrees: \(continuation(c, r))")
        }
        let (bc, br) = onArc(140)
        #expect(continuation(bc, br) > Self.bodyContinuationMin, "body: \(continuation(bc, br))")
        // Not caught: a crossing's peak is the two bodies' sum, each arm half of it (0.5-0.7).
        #expect(continuation(100, 20) < Self.bodyContinuationMin, "crossing: \(continuation(100, 20))")
        // In the score: a ring costs nothing, a body point about 4 px (`continuationPenaltyPx` 10 per unit above 0.6).
        let settings = LeadTriangulation.Settings()
        #expect(LeadTriangulation.continuationCostPx(continuation(onArc(60).0, onArc(60).1), settings: settings) == 0)
        #expect(LeadTriangulation.continuationCostPx(continuation(bc, br), settings: settings) >= 2)
    }
}

@Suite("Devices in the field")
struct DevicesInFieldTests {
    /// Four layouts (lead model, ICD lead, septal RV lead), each with an RA lead and the sheath.
    static let layouts = [(1, 0, 1), (3, 1, 0), (4, 1, 1), (5, 0, 0)]

    @Test("with RV (pacing or ICD, apex or septum) and RA leads in the field, the LV lead is found with every electrode within 1.5 mm in at least 2 of 4 layouts, and the bipolar lead is not confused with the RV lead's tip and ring")
    func lvLeadAmongDevices() throws {
        var found: [String] = [], missed: [String] = []
        for (model, icd, septal) in DevicesInFieldTests.layouts {
            let sim = try simulated("lead: {model: \(model)}, devices: {rvLead: 1, icd: \(icd), rvLeadSeptal: \(septal), raLead: 1, sheath: 1}")
            let c = sim.xray
            let m = try #require(LeadCatalogue.model(number: model))
            let truthWorld = c.lead.electrodesMm.map { c.worldFromPatient.apply($0) }
            let name = "\(m.name) icd \(icd) septal \(septal)"
            if let match = matchLead(sim, model: m), worstMatchedMm(match.worldMm, truthWorld) <= LeadModelTolerance.devicesElectrodeMm {
                found.append(name)
            } else {
                missed.append(name)
            }
        }
        // Measured: the Attain Performa and the bipolar Attain Ability found; the Quartet and the Acuity X4 missed
        // where the ICD lead overlies their tip electrode in RAO 30 (the electrode lies on the coil's ridge there).
        #expect(found.count >= 2, "found \(found), missed \(missed)")
        #expect(found.contains { $0.hasPrefix("Medtronic Attain Ability") }, "bipolar lead missed: \(missed)")
    }
}

/// Named tolerance of the test without the implant record.
enum UnknownLayoutTolerance {
    /// Electrode localisation error (scored as `crtsim score` does: the pacing electrode against the nearest true
    /// electrode, registration error included) without the record, above the error with it (mm).
    static let beyondRecordMm = 1.0
}

@Suite("Lead without the implant record", .serialized)
struct UnknownLayoutTests {
    /// A clinical patient with an Abbott Quartet (gaps 20, 10, 17 mm, which the generic equal spacing does not fit),
    /// its devices and scatter: analysed with operator/lead.json and again without it. Without the record the
    /// layouts tried (`KnownLeadLayouts` and the generic one) must find the lead as well as the record does.
    @Test("without operator/lead.json the lead is found by trying the known layouts, within 1 mm of the error with the record")
    func leadFoundWithoutRecord() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = root.appendingPathComponent("Phantoms/advise-typical.yaml").path
        let seed: UInt64 = 2_123_940_909
        let spec = try PhantomSpec.load(yaml: try String(contentsOfFile: file, encoding: .utf8), file: file).resolved(seed: seed)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-unknown-layout-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try CaseGenerator.generate(spec: spec, seed: seed, out: dir + "/case", replace: true, previews: false, xrayVolume: false)
        let record = try ImplantedLead.read(dir + "/case/operator/lead.json")
        #expect(record.model == "Abbott Quartet 1458Q", "the case's lead: \(record.model)")
        func analysedError(_ out: String) throws -> (error: Double?, layout: String?) {
            let analysis = try CaseAnalysis.run(cmrFolder: dir + "/case/cmr")
            _ = try analysis.write(to: out, replace: true)
            let scores = try CaseScoring.score(caseDirectory: dir + "/case", analysisDirectory: out)
            return (scores.registration?.electrodeLocalisationErrorMm, analysis.output.result.fluoroscopy?.lead.electrodeLayout)
        }
        let with = try analysedError(dir + "/with-record")
        try FileManager.default.removeItem(atPath: dir + "/case/operator/lead.json")
        let without = try analysedError(dir + "/without-record")
        let e1 = try #require(with.error, "not found with the record"), e2 = try #require(without.error, "not found without the record")
        #expect(with.layout?.hasPrefix("implant record") == true && without.layout?.hasPrefix("assumed") == true,
                "layouts \(String(describing: with.layout)), \(String(describing: without.layout))")
        #expect(e2 <= e1 + UnknownLayoutTolerance.beyondRecordMm, "electrode error \(e1) mm with the record, \(e2) mm without")
    }
}
