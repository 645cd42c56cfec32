/// Electrode layouts of commercial LV leads, from the manufacturers' manuals and published lead studies: what a
/// clinical tool's lead database holds. Without an implant record (operator/lead.json) the electrode match tries each
/// of them and the generic equal spacing, and keeps the best chain (docs/fluoroscopy.md, "Without the implant
/// record"). Offsets are electrode centres from the distal end (mm, distal first); the tip electrode's centre lies
/// half its length from the end. Lengths marked approximate were not checked against the manual; a chain is matched
/// within max(4 mm, 25 %) of each gap, well above those uncertainties.
public enum KnownLeadLayouts {
    public static let all: [ImplantedLead] = [
        // LV1-LV2 21 mm, LV2-LV3 2.8 mm centre to centre (1.3 mm edge to edge, the short bipole), LV3-LV4 21 mm:
        // Medtronic Attain Performa 4298 / 4398 / 4598 specifications (the three share the electrode layout);
        // Attain Performa lead study, Heart Rhythm 2015. Electrode length 1.5 mm approximate.
        ImplantedLead(model: "Medtronic Attain Performa (4298, 4398, 4598)",
                      electrodeOffsetsFromDistalEndMm: [0.75, 21.75, 24.55, 45.55], electrodeLengthsMm: [1.5, 1.5, 1.5, 1.5]),
        // D1, M2, M3, P4 at 0, 20, 30 and 47 mm from the tip electrode: St Jude Medical (Abbott) Quartet 1458Q
        // manual; Europace 2012;14:365. Ring lengths approximate.
        ImplantedLead(model: "Abbott Quartet 1458Q",
                      electrodeOffsetsFromDistalEndMm: [0.75, 20.75, 30.75, 47.75], electrodeLengthsMm: [1.5, 1.3, 1.3, 1.3]),
        // E1-E2 20 mm, E2-E3 and E3-E4 7.5 mm (approximate): Boston Scientific Acuity X4 (NAVIGATE X4, NCT02071173;
        // van Everdingen et al., JACC Clin Electrophysiol 2015;1(4)).
        ImplantedLead(model: "Boston Scientific Acuity X4",
                      electrodeOffsetsFromDistalEndMm: [0.75, 20.75, 28.25, 35.75], electrodeLengthsMm: [1.5, 1.5, 1.5, 1.5]),
        // Tip to ring 21 mm (approximate): Medtronic Attain Ability 4196 dual-electrode LV lead.
        ImplantedLead(model: "Medtronic Attain Ability 4196 (bipolar)",
                      electrodeOffsetsFromDistalEndMm: [0.75, 21.75], electrodeLengthsMm: [1.5, 1.5]),
    ]
}
