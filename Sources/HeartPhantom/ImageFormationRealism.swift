import Foundation

extension RealismField {
    /// Image formation at the C-arm detector (`ScatterModel` and `Detector` in XRaySimulation, docs/fluoroscopy.md
    /// "Scatter and image checks"). Unset (and `realism: ideal`): primary radiation only, the images of crtsim's
    /// earlier releases.
    static var imageFormationFields: [RealismField] {
        [
            RealismField("xray.scatterFraction", \.xray.scatterFraction, unit: "—", range: 0...0.9,
                         clinical: .uniform(min: 0.35, max: 0.6), ideal: nil,
                         meaning: "scatter fraction S / (S + P) behind the anti-scatter grid over the detector's central quarter, where the heart lies (thicker parts get more scatter than primary, the lung less); unset: no scatter",
                         source: "mediastinum of the chest: about 90 % of the radiation scattered without a grid, and with a 12:1 grid less than half the primary contrast shown, i.e. a scatter fraction above 0.5 (Niklason, Sorenson and Nelson, Med Phys 1981;8:677, chest radiography at higher kVp and field size); cardiac fluoroscopy at 70-90 kVp with collimated 20-25 cm fields scatters less, so the range reaches down to 0.35 (assumption within those bounds)"),
            RealismField("xray.scatterKernelSDMm", \.xray.scatterKernelSDMm, unit: "mm", range: 5...150,
                         clinical: .fixed(40), ideal: nil,
                         meaning: "SD of the Gaussian scatter kernel at the detector (scatter is a low-frequency haze over several centimetres); unset 40",
                         source: "scatter point-spread functions of water slabs spread over several centimetres at the detector (Boone and Seibert, Med Phys 1988;15:713; Sun and Star-Lack, Phys Med Biol 2010;55:6695); 40 mm as one Gaussian is an assumption"),
        ]
    }
}
