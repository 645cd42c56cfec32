import Foundation

extension RealismField {
    /// The implanted hardware drawn per patient (Phantoms/README.md, "Realism"): which LV lead model from
    /// `LeadCatalogue`, and the other devices in the fluoroscopy field (RA and RV leads, the ICD lead of a CRT-D, the
    /// coronary sinus sheath and guide wire). Unset (nil, also under `realism: ideal`) keeps crtsim's generic
    /// quadripolar lead alone in the field, as in earlier releases.
    static var deviceFields: [RealismField] {
        [
            RealismField("xray.lead.model", \.xray.lead.model, unit: "(catalogue number)", range: 1...Double(LeadCatalogue.models.count),
                         integer: true, clinical: .categorical(weights: [0.25, 0.1, 0.3, 0.25, 0.1]), ideal: nil,
                         meaning: "LV lead model, by number or name: " + LeadCatalogue.models.enumerated().map { "\($0.offset + 1) \($0.element.name)" }.joined(separator: ", ") + " (docs/fluoroscopy.md, lead catalogue); unset: the generic quadripolar lead of four 3-mm rings over `electrodeSpanMm`",
                         source: "shares an assumption: quadripolar leads in most current CRT implants, bipolar leads in about one in ten; the three manufacturers with similar shares"),
            RealismField("xray.devices.rvLead", \.xray.deviceSettings.rvLead, unit: "(0 absent, 1 present)", range: 0...1, integer: true,
                         clinical: .fixed(1), ideal: nil,
                         meaning: "RV lead in the field (a pacing lead, or the defibrillator lead when `icd` is 1); unset 0",
                         source: "every transvenous CRT system has an RV lead (ESC/EHRA CRT Survey II, Dickstein et al., Eur J Heart Fail 2018;20:1039)"),
            RealismField("xray.devices.rvLeadSeptal", \.xray.deviceSettings.rvLeadSeptal, unit: "(0 apex, 1 mid septum)", range: 0...1, integer: true,
                         clinical: .bernoulli(probability: 0.35), ideal: nil,
                         meaning: "where the RV lead tip is screwed in; unset 0",
                         source: "septal and apical RV leads are both used in CRT, septal non-inferior (SEPTAL-CRT, Leclercq et al., Eur Heart J 2016;37:473); the septal share is an assumption"),
            RealismField("xray.devices.icd", \.xray.deviceSettings.icd, unit: "(0 pacing lead, 1 defibrillator lead)", range: 0...1, integer: true,
                         clinical: .bernoulli(probability: 0.7), ideal: nil,
                         meaning: "the RV lead is a defibrillator lead with an RV shock coil (CRT-D); unset 0",
                         source: "CRT-D in about 70 % of CRT implants in ESC/EHRA CRT Survey II (Dickstein et al., Eur J Heart Fail 2018;20:1039)"),
            RealismField("xray.devices.raLead", \.xray.deviceSettings.raLead, unit: "(0 absent, 1 present)", range: 0...1, integer: true,
                         clinical: .bernoulli(probability: 0.75), ideal: nil,
                         meaning: "right atrial lead, screwed into the RA appendage; unset 0",
                         source: "no atrial lead in permanent atrial fibrillation, about a quarter of CRT recipients (ESC/EHRA CRT Survey II, Dickstein et al., Eur J Heart Fail 2018;20:1039; share approximate)"),
            RealismField("xray.devices.sheath", \.xray.deviceSettings.sheath, unit: "(0 absent, 1 present)", range: 0...1, integer: true,
                         clinical: .fixed(1), ideal: nil,
                         meaning: "coronary sinus delivery sheath (9 Fr) and 0.014-inch guide wire in the venogram (removed before the lead image); unset 0",
                         source: "the LV lead is delivered over a guide wire through a sheath seated in the coronary sinus (EHRA/HRS expert consensus on CRT implantation, Europace 2012;14:1236)"),
        ]
    }
}
