import Foundation

extension RealismField {
    /// The balloon-occlusion venogram drawn per patient (Phantoms/README.md, "Realism"; docs/fluoroscopy.md,
    /// "Venogram filling" and "Click model"): how far and how strongly the contrast fills each tributary behind the
    /// balloon, and whether the operator clicks only what the venogram shows. Unset (nil, also under
    /// `realism: ideal`) every field keeps the venogram and clicks of crtsim's earlier releases: every vein filled
    /// evenly to its end, every landmark (the LV apex included) clicked at its exact projection.
    static var xrayFields: [RealismField] {
        [
            RealismField("xray.visibleClicks", \.xray.visibleClicks, unit: "—", range: 0...1, integer: true,
                         clinical: .fixed(1), ideal: nil,
                         meaning: "click model: 1 = the operator clicks only landmarks the venogram shows (contrast start at the balloon, visible branch points, vein ends where the contrast fades; never the LV apex); 0 = every landmark at its exact projection; unset 0",
                         source: "a balloon-occluded venogram opacifies the veins only; the LV apex and unfilled veins are not seen (docs/fluoroscopy.md, \"Click model\")"),
            RealismField("xray.fillReachMean", \.xray.fillReachMean, unit: "(fraction of the vein's length)", range: 0.3...1,
                         clinical: .normal(mean: 0.85, sd: 0.1), ideal: nil,
                         meaning: "mean fraction of each tributary's length (AIV, MCV, lateral branches) that the contrast reaches behind the balloon; unset 1",
                         source: "assumption: retrograde occlusion venography shows the tributaries over most of their length, distal segments often faint (Int J Cardiol 2007;119:339, doi 10.1016/j.ijcard.2006.07.148: visibility superior to venous-phase angiography, not complete)"),
            RealismField("xray.fillConcentrationMean", \.xray.fillConcentrationMean, unit: "(fraction of the injected concentration)", range: 0.3...1,
                         clinical: .normal(mean: 0.75, sd: 0.1), ideal: nil,
                         meaning: "mean iodine concentration in a tributary relative to the contrast in the occluded sinus (dilution by blood draining into it); unset 1",
                         source: "assumption: tributaries drain unopacified blood from the myocardium and collaterals into the occluded column, so they look fainter than the sinus"),
            RealismField("xray.fillUnevenness", \.xray.fillUnevenness, unit: "—", range: 0...0.5,
                         clinical: .uniform(min: 0.05, max: 0.25), ideal: nil,
                         meaning: "spread between the tributaries: SD of each one's reach (fraction of its length) and relative SD of its concentration; unset 0",
                         source: "assumption: uneven filling between branches in one injection"),
            RealismField("xray.unfilledBranchProbability", \.xray.unfilledBranchProbability, unit: "—", range: 0...0.5,
                         clinical: .uniform(min: 0, max: 0.15), ideal: nil,
                         meaning: "probability that a tributary takes no contrast at all (valve, spasm, balloon distal to its origin); unset 0",
                         source: "assumption: a branch is occasionally not opacified and needs another injection"),
            RealismField("xray.fillFadeMm", \.xray.fillFadeMm, unit: "mm", range: 0...40,
                         clinical: .uniform(min: 5, max: 20), ideal: nil,
                         meaning: "length over which the contrast fades to nothing at a tributary's filled front (linear); unset 0 (sharp end)",
                         source: "assumption: the contrast front dilutes over about a centimetre"),
            RealismField("xray.washoutTimeConstantS", \.xray.washoutTimeConstantS, unit: "s", range: 0...60,
                         clinical: .uniform(min: 3, max: 10), ideal: nil,
                         meaning: "time constant of the tributaries' contrast clearing during the venogram run: frame k shows exp(-t_k / tau) of the first frame's tributary contrast; the trunk behind the balloon stays full; 0 or unset: no wash-out",
                         source: "assumption: the occluded column is static, its tributaries drain through collaterals and Thebesian veins over several seconds (operators inject again when the branches fade); no measured distribution found"),
        ]
    }
}
