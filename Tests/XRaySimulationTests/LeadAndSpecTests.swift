import CRTCore
import Foundation
import HeartPhantom
import SegmentModel
import Testing
import XRaySimulation

@Suite("Lead placement and X-ray settings")
struct LeadAndSpecTests {
    func place(_ lead: PhantomSpec.XRaySettings.Lead, seed: UInt64 = 1) -> LeadPlacement {
        let c = SmallCase.self
        let sim = XRaySimulator(heart: c.heart, truth: c.truth, seed: seed)
        let st = c.heart.state(atMs: 600)
        let veins = c.heart.veinCentrelines(st)
        let route = sim.venousRoute(st, ostium: veins[0].pointsMm[0])
        return LeadPlacement.place(heart: c.heart, state: st, primaryTarget: c.truth.primaryTarget, veins: veins,
                                   route: route, settings: lead, seed: seed)
    }

    @Test("without deviations the lead sits in the best branch; the pacing electrode is the one nearest the target")
    func bestBranch() {
        var s = PhantomSpec.XRaySettings.Lead()
        s.noVenousAccessProbability = 0; s.highThresholdProbability = 0; s.phrenicStimulationProbability = 0
        let p = place(s)
        #expect(p.branch == p.intendedBranch && p.deviation == "none")
        let d = p.electrodesMm.map { ($0 - p.aimMm).length }
        #expect(d[p.pacingIndex] == d.min())
        // Electrode span along the lead.
        #expect(abs((p.electrodeArcsMm[0] - p.electrodeArcsMm[3]) - s.electrodeSpanMm) < 1e-9)
        // The category follows from the segment and the target.
        let target = Segment36(SmallCase.truth.primaryTarget!)!
        #expect(p.position.category36 == LeadCategory.category36(lead: Segment36(p.position.segment36)!, target: target))
        #expect(p.aimDistanceMm < 25, "lead \(p.aimDistanceMm) mm from the target")
    }

    @Test("a certain deviation sends the lead to the next-best branch and records why")
    func deviation() {
        var s = PhantomSpec.XRaySettings.Lead()
        s.noVenousAccessProbability = 1; s.highThresholdProbability = 0; s.phrenicStimulationProbability = 0
        let p = place(s)
        #expect(p.branch != p.intendedBranch && p.deviation == "no venous access" && p.position.deviation == "no venous access")
    }

    func loadError(_ yaml: String) -> String? {
        do { _ = try PhantomSpec.load(yaml: yaml, file: "x.yaml"); return nil } catch let e as InputError { return e.message } catch { return "\(error)" }
    }

    @Test("bad xray fields are refused with the field and the allowed range")
    func badFields() {
        let cases: [(String, [String])] = [
            ("xray: {sourceToDetectorMm: 5000}", ["xray.sourceToDetectorMm", "700 to 1500"]),
            ("xray: {sourceToPatientMm: 1000}", ["xray.sourceToPatientMm", "150"]),
            ("xray: {detectorRows: 10}", ["xray.detectorRows", "32 to 2048"]),
            ("xray: {pixelSpacingMm: -1}", ["xray.pixelSpacingMm", "0.05 to 3"]),
            ("xray: {photonsPerPixel: .nan}", ["xray.photonsPerPixel", "finite"]),
            ("xray: {views: [{primaryAngleDeg: 200}]}", ["xray.views[0].primaryAngleDeg", "-120 to 120"]),
            ("xray: {views: [{primaryAngleDeg: 10, secondaryAngleDeg: 70}]}", ["xray.views[0].secondaryAngleDeg", "-60 to 60"]),
            ("xray: {views: [{name: A, primaryAngleDeg: 10}, {name: A, primaryAngleDeg: -10}]}", ["xray.views[1].name", "two views"]),
            ("xray: {views: [{name: 'a/b', primaryAngleDeg: 10}]}", ["xray.views[0].name", "letters"]),
            ("xray: {views: []}", ["xray.views", "1 to 4"]),
            ("xray: {views: [{primaryAngle: 10}]}", ["xray.views[0].primaryAngle", "unknown field"]),
            ("xray: {dose: 3}", ["xray.dose", "unknown field"]),
            ("xray: {lead: {electrodeSpanMm: 60}}", ["xray.lead.electrodeSpanMm", "30 to 50"]),
            ("xray: {lead: {noVenousAccessProbability: 0.6, highThresholdProbability: 0.6}}", ["xray.lead", "at most 1"]),
            ("xray: {clickNoiseSDPx: 50}", ["xray.clickNoiseSDPx", "0 to 20"]),
        ]
        for (yaml, parts) in cases {
            let m = loadError(yaml)
            #expect(m != nil, "accepted: \(yaml)")
            for part in parts { #expect(m?.contains(part) == true, "\(yaml): message '\(m ?? "")' lacks '\(part)'") }
        }
    }

    @Test("defaults: LAO 40 and RAO 30 at 1100 / 800 mm, 512 x 512 pixels of 0.6 mm; names from the angles")
    func defaults() throws {
        let s = try PhantomSpec.load(yaml: "", file: "empty.yaml").xray
        #expect(s.views.map(\.name) == ["LAO40", "RAO30"] && s.views.map(\.primaryAngleDeg) == [40, -30])
        #expect(s.sourceToDetectorMm == 1100 && s.sourceToPatientMm == 800 && s.detectorRows == 512 && s.pixelSpacingMm == 0.6)
        let named = try PhantomSpec.load(yaml: "xray: {views: [{primaryAngleDeg: -30, secondaryAngleDeg: 20}, {primaryAngleDeg: 0}]}", file: "n.yaml")
        #expect(named.xray.views.map(\.name) == ["RAO30CRA20", "AP"])
    }

    @Test("the X-ray truth round-trips through truth.json's type")
    func truthRoundTrip() throws {
        var t = SmallCase.truth
        SmallCase.simulated.record(into: &t)
        let data = try JSONEncoder().encode(t)
        let back = try JSONDecoder().decode(GroundTruth.self, from: data)
        #expect(back.heartPose == t.heartPose && back.views == t.views && back.lead == t.lead && back.xray == t.xray)
    }
}
