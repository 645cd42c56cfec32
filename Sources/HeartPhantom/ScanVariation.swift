import Foundation

extension RealismField {
    /// The CMR scan as an operator and a clinical scanner make it, drawn per case (Phantoms/README.md, "Realism";
    /// docs/cmr-simulation.md). Every neutral value reproduces the perfect scanner of earlier releases byte for byte.
    static var cmrFields: [RealismField] {
        [
            RealismField("cmr.planningBaseOffsetMm", \.cmr.planningBaseOffsetMm, unit: "mm", range: -20...20,
                         clinical: .normal(mean: 0, sd: 4), ideal: 0,
                         meaning: "operator's placement of the stack: distance along the true LV long axis from the base plane (ED) to the basal face of the first slice, positive towards the apex (the first slice misses part of the base), negative into the atrium",
                         source: "the mitral valve plane is a frequent source of short-axis volume error ('frequent difficulties to correctly determine the mitral valve plane', JCMR 2010;12(Suppl 1):P92); SD of half a slice thickness is crtsim's assumption, no published distribution found"),
            RealismField("cmr.planningTiltDeg", \.cmr.planningTiltDeg, unit: "degrees", range: -30...30,
                         clinical: .normal(mean: 0, sd: 6), ideal: 0,
                         meaning: "signed angle between the planned stack normal (the operator's long axis from the 2- and 4-chamber views) and the true LV long axis, leaning towards `planningTiltAzimuthDeg` (negative: the opposite wall)",
                         source: "stack planned on long-axis cines through the mitral-valve centre and the apex (Kramer et al., JCMR 2020;22:17, standardized protocols); the apex and valve-centre points are each uncertain by a few mm over an LV of 80-100 mm, i.e. a few degrees; SD 6 degrees is crtsim's assumption"),
            RealismField("cmr.planningTiltAzimuthDeg", \.cmr.planningTiltAzimuthDeg, unit: "degrees", range: 0...360,
                         clinical: .uniform(min: 0, max: 360), ideal: 0,
                         meaning: "segment angle (0 anterior RV insertion, through the septum) towards which the planned apex direction leans",
                         source: "no preferred direction assumed"),
            RealismField("cmr.sliceMisregistrationMm", \.cmr.sliceMisregistrationMm, unit: "mm", range: 0...10,
                         clinical: .normal(mean: 1.5, sd: 0.5), ideal: 0,
                         meaning: "SD per slice and patient axis of the heart's displacement between breath-holds (cine and LGE drawn independently; `--misregistration-mm` overrides)",
                         source: "end-expiratory breath-hold positions of the heart differ by a few mm between breath-holds (Holland et al., Radiology 1998;209:483; Keegan et al., MRM 2002;47:476, breath-hold correction factors); the rotation and translation magnitudes of respiratory heart motion (McLeish et al., IEEE TMI 2002;21:1142)"),
            RealismField("cmr.sliceMisregistrationRotationDeg", \.cmr.sliceMisregistrationRotationDeg, unit: "degrees", range: 0...10,
                         clinical: .normal(mean: 1.5, sd: 0.5), ideal: 0,
                         meaning: "SD per slice of each component of the heart's rotation vector between breath-holds, about the LV centre",
                         source: "respiratory heart motion includes rotations of a few degrees (McLeish et al., IEEE TMI 2002;21:1142); between breath-holds a fraction of that; the value is crtsim's assumption within that bound"),
            RealismField("cmr.receiveCoils", \.cmr.receiveCoils, unit: "elements", range: 1...64, integer: true,
                         clinical: .uniform(min: 16, max: 32), ideal: nil,
                         meaning: "receive array elements (loops on the anterior and posterior chest, sum-of-squares reconstruction: non-central chi noise, intensity shading); unset, one spatially uniform coil (Rician noise, no shading)",
                         source: "16- to 32-channel cardiac arrays are the clinical standard (e.g. 32-channel coil in von Knobelsdorff-Brenkenhoff et al., JCMR 2013;15:53); SoS noise is non-central chi (Aja-Fernandez and Tristan-Vega, ISMRM 2011 #4550); surface-coil shading across the myocardium of tens of percent (perfusion heterogeneity 36 % without against 21 % with surface-coil intensity correction, PMC4323126; Lei et al., ISBI 2024)"),
            RealismField("cmr.coilIntensityCorrection", \.cmr.coilIntensityCorrection, unit: "(exponent)", range: 0...1,
                         clinical: .uniform(min: 0.6, max: 0.9), ideal: nil,
                         meaning: "the scanner's surface-coil intensity correction (body-coil reference, e.g. Prescan Normalize): the image is divided by (combined sensitivity)^k, leaving shading (combined)^(1-k) and noise rising away from the coils; unset, 0",
                         source: "correction reduces but does not remove coil shading (myocardial perfusion heterogeneity 36 % uncorrected against 21 % corrected, PMC4323126); the range is crtsim's assumption giving tens of percent residual shading across the LV"),
            RealismField("cmr.inversionTimeErrorMs", \.cmr.inversionTimeErrorMs, unit: "ms", range: -150...150,
                         clinical: .normal(mean: 0, sd: 15), ideal: 0,
                         meaning: "error of the LGE inversion time relative to the remote-myocardium null at the first LGE slice (TI scout read by eye in steps of 10-25 ms)",
                         source: "TI chosen from a TI scout (Look-Locker) by eye (Jenista et al., JCMR 2023;25:18); SD 15 ms is crtsim's assumption"),
            RealismField("cmr.inversionTimeDriftMsPerSlice", \.cmr.inversionTimeDriftMsPerSlice, unit: "ms per slice", range: 0...15,
                         clinical: .normal(mean: 3, sd: 1.5), ideal: 0,
                         meaning: "rise of the remote-myocardium null TI from one LGE slice to the next (one breath-hold, about 30 s) as gadolinium washes out, the TI not re-adjusted; every post-contrast T1 scales with it",
                         source: "'increase TI by 10-15 ms every couple of minutes' (CMR pocket guide, cmr-guide.com, Early and Late Gd Enhancement); post-contrast remote T1 rose 523 to 561 ms over 6 consecutive slices (Lee et al., JCMR 2013;15:11)"),
            RealismField("cmr.bloodT1PostMs", \.cmr.bloodT1PostMs, unit: "ms", range: 150...600,
                         clinical: .normal(mean: 255, sd: 25), ideal: nil,
                         meaning: "post-contrast T1 of blood at the LGE: shorter than remote myocardium (430 ms) and close to scar core (230 ms), so blood is about as bright as scar (low scar-to-blood contrast); unset, the tissue table (300 ms)",
                         source: "blood T1 within about 5 % of infarct T1 and about 0.8 of remote 15 min after gadolinium (Lee et al., JCMR 2013;15:11: blood 442-457, infarct 425, remote 523-561 ms, MOLLI); blood pool often as bright as scar in bright-blood LGE (Holtackers et al., JCMR 2021;23:96; JCMR 2017, doi:10.1186/s12968-017-0407-x); mean set 10 % above crtsim's scar T1"),
        ]
    }
}
