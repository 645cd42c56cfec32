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
            RealismField("xray.tubeVoltageKVp", \.xray.tubeVoltageKVp, unit: "kVp", range: 60...120,
                         clinical: .uniform(min: 70, max: 90), ideal: nil,
                         meaning: "peak voltage of the fluoroscopy tube (tungsten anode, 2.5 mm Al inherent filtration): the images are formed with its spectrum, a caesium-iodide detector and each material's own energy dependence (beam hardening; docs/fluoroscopy.md \"Spectrum and beam hardening\"); unset: the mono-energetic 60 keV beam of earlier releases",
                         source: "the automatic dose-rate control of cardiovascular angiography systems holds adult fluoroscopy at about 70-90 kVp, raising it with the patient's thickness (AAPM Report 125, Lin et al. 2012; Sukupova, Ces Radiol 2013;67:232); the drawn value stands for the patient's thickness and view, an assumption within that range"),
            RealismField("xray.cathLabVolumeChange", \.xray.cathLabVolumeChange, unit: "(fraction of the EDV)", range: -0.3...0.3,
                         clinical: .normal(mean: 0, sd: 0.05), ideal: nil,
                         meaning: "non-rigid change between CMR and the cath lab: the heart in the X-ray images has its LV end-diastolic volume changed by this fraction (another loading: fasting, sedation, diuretics), the wall thickness scaled to keep the myocardial volume, the veins and the lead on that heart; the pipeline's model comes from the CMR heart (docs/fluoroscopy.md \"Non-rigid change\"); unset: the CMR heart",
                         source: "LV end-diastolic volume measured twice days apart by CMR differs by a coefficient of variability of 2.9-4.9 % (Grothues et al., Am J Cardiol 2002;90:29); the implant follows the CMR by weeks under other loading and sedation, so an SD of 5 % is an assumption at the low side of that change"),
            RealismField("xray.copperFilterMm", \.xray.copperFilterMm, unit: "mm", range: 0...1,
                         clinical: .uniform(min: 0.1, max: 0.4), ideal: nil,
                         meaning: "added copper (spectral) filtration of that beam; unset: none",
                         source: "the same systems add 0.1-0.9 mm Cu in fluoroscopy, less for thicker patients (AAPM Report 125, Lin et al. 2012); the adult chest in oblique views takes the thinner filters, an assumption within that range"),
        ]
    }
}
