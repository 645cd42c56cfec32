import HeartPhantom

/// Linear attenuation coefficients (1/mm) at the effective energy of a cardiac fluoroscopy beam, taken as
/// mono-energetic 60 keV (about the mean energy of an 80-90 kVp spectrum after the patient). Values are the NIST
/// XCOM / ICRU-44 mass attenuation coefficients times density, rounded:
/// water 0.2059 cm2/g, adipose 0.199, muscle and blood 0.205 (density 1.05-1.06), inflated lung at 0.26 g/mL,
/// cortical bone 0.315 cm2/g at 1.92 g/mL, iodine 6.9 cm2/g, platinum-iridium about 4.5 cm2/g at 21.5 g/mL.
/// With a tube spectrum (`XRaySpectrum`) every value is split into basis materials whose energy dependence the image
/// formation follows (beam hardening); without one (`realism: ideal`) the beam is this mono-energetic one. Scatter
/// is added at the detector (`ScatterModel`).
public enum XRayMaterials {
    /// Effective photon energy the coefficients refer to (keV).
    public static let effectiveEnergyKeV = 60.0

    public static let water: Float = 0.0206
    public static let fat: Float = 0.0183
    public static let muscle: Float = 0.0215
    public static let blood: Float = 0.0218
    public static let liver: Float = 0.0218
    /// Inflated lung (density about 0.26 g/mL).
    public static let lung: Float = 0.0055
    /// Vertebral body: cancellous bone in a cortical shell, averaged.
    public static let vertebra: Float = 0.038
    /// Intervertebral disc (fibrocartilage).
    public static let disc: Float = 0.0220
    /// Ribs and sternum: thin cortex around marrow, averaged over the cross-section.
    public static let rib: Float = 0.042
    /// Fibrous AV plane.
    public static let fibrous: Float = 0.0222
    /// Mass attenuation of iodine at 60 keV (mm2 per mg): 6.9 cm2/g = 690 mm2/g.
    public static let iodineMm2PerMg: Double = 0.69
    /// Attenuation of contrast-filled blood (1/mm) for an iodine concentration in mg/mL (1 mg/mL = 1e-3 mg/mm3).
    public static func contrast(iodineMgPerMl c: Double) -> Float { blood + Float(iodineMm2PerMg * c * 1e-3) }
    /// Occlusion balloon, inflated with contrast diluted 1:1 in saline at 300 mg/mL stock.
    public static let balloon: Float = contrast(iodineMgPerMl: 150)
    /// Balloon catheter shaft (6 Fr polymer with a radio-opaque braid), averaged over its cross-section.
    public static let catheterShaft: Float = 0.10
    /// LV lead body (polyurethane / silicone insulation around MP35N conductor coils), averaged.
    public static let leadBody: Float = 0.35
    /// Ring electrodes (platinum-iridium wall around the coil), averaged over the cross-section of the ring.
    public static let electrode: Float = 3.0
    /// Defibrillator shock coil (platinum-clad filars wound over the insulation, averaged over the cross-section):
    /// denser than the lead body, a little less than a solid ring electrode on average.
    public static let shockCoil: Float = 2.2
    /// Coronary sinus delivery sheath (9 Fr braided polymer, blood in the lumen), averaged over its cross-section.
    public static let sheath: Float = 0.05
    /// Guide wire core (stainless steel, 7.9 g/mL at about 1.2 cm2/g) and its platinum tip coil (wound, half dense).
    public static let guideWire: Float = 0.95
    public static let guideWireTip: Float = 4.5

    /// Cortical bone (ICRU-44, 1.92 g/mL) at the effective energy (1/mm): 0.3148 cm2/g (`SpectralTables`).
    public static let corticalBone: Float = Float(SpectralTables.boneAtReferenceCm2PerG * 1.92 / 10)

    /// The cortical-bone part of a torso attenuation (1/mm, both at the effective energy): the vertebrae and the ribs
    /// and sternum are taken as cortical bone mixed with water in the proportion that gives their attenuation; 0 for
    /// every other tissue. The rest, mu minus this part, is water-like (`XRayBasis`).
    @inline(__always) public static func corticalBonePart(ofMu mu: Float) -> Float {
        guard mu == vertebra || mu == rib else { return 0 }
        return corticalBone * (mu - water) / (corticalBone - water)
    }

    /// Attenuation of a phantom tissue class (1/mm).
    public static func mu(_ t: Tissue) -> Float {
        switch t {
        case .air: return 0
        case .subcutaneousFat, .epicardialFat: return fat
        case .skeletalMuscle, .lvMyocardium, .rvMyocardium, .papillaryMuscle, .trabecula, .atrialWall: return muscle
        case .lung: return lung
        case .liver: return liver
        case .boneMarrow: return vertebra
        case .rib: return rib
        case .blood, .lvBlood, .rvBlood, .venousBlood: return blood
        case .valvePlane: return fibrous
        // Fibrous parietal layer over a fluid film: water-like.
        case .pericardium: return water
        case .abdomen: return water
        }
    }
}
