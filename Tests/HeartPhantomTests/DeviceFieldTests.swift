import CRTCore
import Foundation
import HeartPhantom
import Testing

@Suite("Lead model and device fields")
struct DeviceFieldTests {
    func loadError(_ yaml: String) -> String? {
        do { _ = try PhantomSpec.load(yaml: yaml, file: "x.yaml"); return nil } catch let e as InputError { return e.message } catch { return "\(error)" }
    }

    @Test("xray.lead.model is read by catalogue number or name; anything else is refused naming the field and the allowed values")
    func modelByNumberOrName() throws {
        let byName = try PhantomSpec.load(yaml: "xray: {lead: {model: Abbott Quartet 1458Q}}", file: "x.yaml")
        let byNumber = try PhantomSpec.load(yaml: "xray: {lead: {model: 3}}", file: "x.yaml")
        #expect(byName.xray.lead.model == 3 && byNumber.xray.lead.model == 3)
        for (yaml, words) in [("xray: {lead: {model: 9}}", ["xray.lead.model", "1 to 5"]),
                              ("xray: {lead: {model: Unknown Lead}}", ["xray.lead.model", "not in the lead catalogue"]),
                              ("xray: {devices: {icd: 2}}", ["xray.devices.icd", "0 to 1"]),
                              ("xray: {devices: {coil: 1}}", ["xray.devices.coil", "unknown field"])] {
            let e = try #require(loadError(yaml), "\(yaml) accepted")
            #expect(words.allSatisfy { e.contains($0) } && e.contains("x.yaml"), "\(e)")
        }
    }

    @Test("ideal keeps the generic lead and no devices (nothing written to phantom.json); clinical draws every field, the same for the same seed")
    func idealAndClinical() throws {
        let ideal = try PhantomSpec.load(yaml: "realism: ideal", file: "x.yaml").resolved(seed: 7)
        #expect(ideal.xray.lead.model == nil && ideal.xray.devices == nil)
        let json = String(decoding: try JSONEncoder().encode(ideal.xray), as: UTF8.self)
        #expect(!json.contains("devices") && !json.contains("model"))
        let a = try PhantomSpec.load(yaml: "name: c", file: "x.yaml").resolved(seed: 7)
        let b = try PhantomSpec.load(yaml: "name: c", file: "x.yaml").resolved(seed: 7)
        #expect(a == b)
        let d = try #require(a.xray.devices)
        #expect(d.rvLead == 1 && d.sheath == 1 && [0, 1].contains(d.icd!) && [0, 1].contains(d.raLead!) && [0, 1].contains(d.rvLeadSeptal!))
        #expect(LeadCatalogue.model(number: Int(try #require(a.xray.lead.model))) != nil)
    }

    @Test("the drawn shares follow their distributions: CRT-D 0.7 and each lead model's weight within 0.05 over 2000 patients")
    func drawnShares() throws {
        let base = try PhantomSpec.load(yaml: "name: c", file: "x.yaml")
        var icd = 0.0, models = [Double](repeating: 0, count: LeadCatalogue.models.count)
        let n = 2000
        for s in 0..<n {
            let r = base.resolved(seed: UInt64(s))
            icd += r.xray.devices?.icd ?? 0
            models[Int(r.xray.lead.model!) - 1] += 1
        }
        #expect(abs(icd / Double(n) - 0.7) < 0.05)
        let weights = [0.25, 0.1, 0.3, 0.25, 0.1]
        for (k, w) in weights.enumerated() { #expect(abs(models[k] / Double(n) - w) < 0.05, "model \(k + 1): \(models[k] / Double(n))") }
    }

    @Test("catalogue entries are consistent: electrodes increasing from the distal end, lengths within their gaps, a source each")
    func catalogue() {
        for m in LeadCatalogue.models {
            #expect([2, 4].contains(m.electrodeCount) && m.electrodeLengthsMm.count == m.electrodeCount)
            #expect(m.electrodeOffsetsMm[0] >= m.electrodeLengthsMm[0] / 2 - 1e-9, "\(m.name): tip electrode beyond the end")
            for k in 1..<m.electrodeCount {
                #expect(m.gapsMm[k - 1] > (m.electrodeLengthsMm[k] + m.electrodeLengthsMm[k - 1]) / 2, "\(m.name): electrodes \(k - 1), \(k) overlap")
            }
            #expect(!m.source.isEmpty && m.bodyFrench >= 3 && m.bodyFrench <= 7)
        }
    }
}
