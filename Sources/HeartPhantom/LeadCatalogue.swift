import Foundation

/// One commercial LV lead model as the X-ray simulation draws it and the implanter records it: its electrodes
/// (centre positions from the distal end and lengths along the lead), tip shape and body size, with the source of
/// each value. Values marked "approximate" in `source` are estimates that were not checked against the
/// manufacturer's manual; they are within a few millimetres of the published figures cited.
public struct LeadModel: Sendable, Equatable, Codable {
    /// Catalogue name (the value of `xray.lead.model` by name; operator/lead.json `model`).
    public var name: String
    /// "quadripolar" or "bipolar".
    public var kind: String
    /// Centre of each electrode as its distance from the distal end of the lead (mm), distal (tip) electrode first.
    public var electrodeOffsetsMm: [Double]
    /// Length of each electrode along the lead (mm), same order; the first is the tip electrode.
    public var electrodeLengthsMm: [Double]
    /// Shape of the distal end (not rendered differently: the vein dictates the lead's course).
    public var tipShape: String
    /// Lead body diameter (French, 1 Fr = 1/3 mm).
    public var bodyFrench: Double
    public var source: String

    public var electrodeCount: Int { electrodeOffsetsMm.count }
    /// Distance between neighbouring electrode centres (mm), distal first.
    public var gapsMm: [Double] { (1..<electrodeOffsetsMm.count).map { electrodeOffsetsMm[$0] - electrodeOffsetsMm[$0 - 1] } }
    public var bodyRadiusMm: Double { bodyFrench / 3 / 2 }
}

/// The catalogue of LV lead models `xray.lead.model` chooses from (numbers 1 to 5 in the phantom file, or a name).
public enum LeadCatalogue {
    public static let models: [LeadModel] = [
        LeadModel(name: "Medtronic Attain Performa 4298", kind: "quadripolar",
                  electrodeOffsetsMm: [0.75, 21.75, 24.55, 45.55], electrodeLengthsMm: [1.5, 1.5, 1.5, 1.5],
                  tipShape: "dual cant, rounded tip electrode", bodyFrench: 5.3,
                  source: "spacing LV1-LV2 21 mm, LV2-LV3 1.3 mm (the short bipole, edge to edge), LV3-LV4 21 mm: Medtronic Attain Performa lead study (Attain Performa quadripolar lead study, Heart Rhythm 2015, 1097 implants; AHA 2014 abstract 14753) and Medtronic's lead specifications; electrode length 1.5 mm approximate (5.8 mm2 electrodes on a 4-5 Fr body); body 5.3 Fr approximate"),
        LeadModel(name: "Medtronic Attain Performa 4598", kind: "quadripolar",
                  electrodeOffsetsMm: [0.75, 21.75, 24.55, 45.55], electrodeLengthsMm: [1.5, 1.5, 1.5, 1.5],
                  tipShape: "S-shape, rounded tip electrode", bodyFrench: 5.3,
                  source: "same electrodes as the 4298 in an S-shaped body (Medtronic press release 11 Dec 2014, FDA approval of the S-shape and Straight Attain Performa leads); lengths approximate as for the 4298"),
        LeadModel(name: "Abbott Quartet 1458Q", kind: "quadripolar",
                  electrodeOffsetsMm: [0.75, 20.75, 30.75, 47.75], electrodeLengthsMm: [1.5, 1.3, 1.3, 1.3],
                  tipShape: "S-curve, rounded tip electrode (D1)", bodyFrench: 4.7,
                  source: "electrodes M2, M3, P4 at 20, 30 and 47 mm from the tip electrode D1 (St Jude Medical Quartet 1458Q manual; Europace 2012;14:365, doi 10.1093/europace/eur322; van Everdingen et al., JACC Clin Electrophysiol 2015;1(4), doi 10.1016/j.jacep.2015.07.004); electrode lengths and 4.7 Fr body approximate"),
        LeadModel(name: "Boston Scientific Acuity X4 Straight 4677", kind: "quadripolar",
                  electrodeOffsetsMm: [0.75, 20.75, 28.25, 35.75], electrodeLengthsMm: [1.5, 1.5, 1.5, 1.5],
                  tipShape: "straight, tined-free rounded tip electrode (E1)", bodyFrench: 5.2,
                  source: "approximate: spacing E1-E2 20 mm, E2-E3 and E3-E4 7.5 mm, the closely spaced proximal electrodes that allow basal pacing (NAVIGATE X4, NCT02071173; van Everdingen et al., JACC Clin Electrophysiol 2015;1(4), doi 10.1016/j.jacep.2015.07.004); not checked against the physician's lead manual"),
        LeadModel(name: "Medtronic Attain Ability 4196", kind: "bipolar",
                  electrodeOffsetsMm: [0.75, 21.75], electrodeLengthsMm: [1.5, 1.5],
                  tipShape: "canted, rounded tip electrode", bodyFrench: 4.0,
                  source: "dual-electrode (bipolar) IS-1 LV lead (Medtronic Attain left-heart leads indications); tip-to-ring spacing 21 mm and 4 Fr body approximate"),
    ]

    /// The model with catalogue number `number` (1-based), nil out of range.
    public static func model(number: Int) -> LeadModel? { (1...models.count).contains(number) ? models[number - 1] : nil }
    /// Catalogue number (1-based) of a model name, nil when unknown.
    public static func number(of name: String) -> Int? { models.firstIndex { $0.name == name }.map { $0 + 1 } }
}
