import Foundation

extension RealismField {
    /// Time in the cath lab (`AcquisitionMotion` in XRaySimulation, docs/fluoroscopy.md "Motion and time"): the
    /// venogram as a short run of frames over the cardiac and respiratory cycles, the two views one after the other
    /// on a single-plane C-arm, the lead image later, after the patient has moved a little. Unset (and `realism:
    /// ideal`): one image per view and state, all at one instant and one pose (crtsim's earlier releases).
    static var acquisitionFields: [RealismField] {
        [
            RealismField("xray.venogramFrames", \.xray.venogramFrames, unit: "frames", range: 1...30, integer: true,
                         clinical: .fixed(6), ideal: nil,
                         meaning: "frames of each view's venogram run (the operator clicks the frame nearest end-diastole); unset: one image at `cardiacPhaseFraction`, no motion at all",
                         source: "a balloon venogram is recorded as a cine run over several beats; 6 frames at 7.5 frames/s cover about one beat (assumption, kept short for the rendering time)"),
            RealismField("xray.frameRateFps", \.xray.frameRateFps, unit: "frames/s", range: 1...30,
                         clinical: .fixed(7.5), ideal: nil,
                         meaning: "frame rate of the venogram run; unset 7.5",
                         source: "low pulse and frame rates are recommended in device implantation to save dose (Heidbuchel et al., Europace 2014;16:946); 7.5 frames/s as a common low cine rate is an assumption"),
            RealismField("xray.respiratorySIMm", \.xray.respiratorySIMm, unit: "mm", range: 0...20,
                         clinical: .normal(mean: 4.9, sd: 1.9), ideal: nil,
                         meaning: "caudal translation of the heart from end-expiration to end-inspiration in tidal breathing; unset 0",
                         source: "free-breathing X-ray coronary angiograms of 10 patients: 4.9 +/- 1.9 mm (range 2.4-8.0) caudal (Shechter et al., IEEE TMI 2004;23:1046)"),
            RealismField("xray.respiratoryAPMm", \.xray.respiratoryAPMm, unit: "mm", range: -5...10,
                         clinical: .normal(mean: 1.3, sd: 1.8), ideal: nil,
                         meaning: "anterior translation of the heart at end-inspiration; unset 0",
                         source: "Shechter et al., IEEE TMI 2004;23:1046: 1.3 +/- 1.8 mm (range -0.4 to 5.1) anterior"),
            RealismField("xray.respiratoryRotationDeg", \.xray.respiratoryRotationDeg, unit: "degrees", range: -5...8,
                         clinical: .normal(mean: 1.5, sd: 0.9), ideal: nil,
                         meaning: "rotation of the heart about the patient's left-right axis at end-inspiration (the anterior wall moves cranially); unset 0",
                         source: "Shechter et al., IEEE TMI 2004;23:1046: cranio-dorsal rotation 1.5 +/- 0.9 degrees (range 0.2-3.5)"),
            RealismField("xray.respiratoryPeriodS", \.xray.respiratoryPeriodS, unit: "s", range: 2...10,
                         clinical: .uniform(min: 3, max: 5), ideal: nil,
                         meaning: "breathing period; the displacement follows cos^4 (Lujan et al., Med Phys 1999;26:715), long at end-expiration; unset 4",
                         source: "resting adult respiratory rate 12-20 per minute"),
            RealismField("xray.patientShiftSDMm", \.xray.patientShiftSDMm, unit: "mm", range: 0...10,
                         clinical: .fixed(2), ideal: nil,
                         meaning: "SD per axis of the patient's (and heart's) shift between the venogram and the final lead image; unset 0",
                         source: "assumption: a sedated patient on a fixed table drifts a few millimetres over the implant (no published distribution found)"),
            RealismField("xray.patientRotationSDDeg", \.xray.patientRotationSDDeg, unit: "degrees", range: 0...5,
                         clinical: .fixed(1), ideal: nil,
                         meaning: "SD per axis of the patient's rotation between the venogram and the final lead image; unset 0",
                         source: "assumption, as `patientShiftSDMm`"),
        ]
    }
}
