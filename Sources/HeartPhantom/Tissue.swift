/// Tissue classes of the phantom. Raw values are the label values written to truth label volumes.
public enum Tissue: UInt8, Sendable, CaseIterable, Codable {
    case air = 0
    case subcutaneousFat = 1
    case skeletalMuscle = 2
    case lung = 3
    case liver = 4
    case boneMarrow = 5
    case blood = 6            // great vessels, atria
    case lvMyocardium = 7
    case rvMyocardium = 8
    case papillaryMuscle = 9  // inside the LV cavity: counts as cavity volume
    case trabecula = 10       // inside the LV cavity: counts as cavity volume
    case valvePlane = 11      // fibrous AV plane and closed leaflets
    case epicardialFat = 12
    case abdomen = 13
    case lvBlood = 14
    case rvBlood = 15
    case venousBlood = 16     // coronary veins
    case atrialWall = 17
    case rib = 18             // ribs and sternum: cortical bone round marrow
    case pericardium = 19     // parietal pericardium and its fluid film (X-ray chest model only, `pericardiumMm`)

    /// Relaxation and proton density at 1.5 T. T1 post-contrast is that of LGE about 10-15 minutes after
    /// 0.15-0.2 mmol/kg gadolinium. Values from standard tables (e.g. Stanisz 2005, Messroghli 2007), rounded.
    public var properties: TissueProperties {
        switch self {
        case .air: return TissueProperties(pd: 0, t1Ms: 1000, t2Ms: 1, t1PostMs: 1000)
        case .subcutaneousFat, .epicardialFat: return TissueProperties(pd: 0.9, t1Ms: 260, t2Ms: 80, t1PostMs: 250)
        case .skeletalMuscle: return TissueProperties(pd: 0.75, t1Ms: 1000, t2Ms: 35, t1PostMs: 520)
        case .lung: return TissueProperties(pd: 0.12, t1Ms: 1200, t2Ms: 40, t1PostMs: 600)
        case .liver: return TissueProperties(pd: 0.7, t1Ms: 580, t2Ms: 45, t1PostMs: 330)
        case .boneMarrow: return TissueProperties(pd: 0.6, t1Ms: 370, t2Ms: 60, t1PostMs: 330)
        case .blood, .lvBlood, .rvBlood, .venousBlood: return TissueProperties(pd: 0.95, t1Ms: 1550, t2Ms: 250, t1PostMs: 300)
        case .lvMyocardium, .rvMyocardium, .papillaryMuscle, .trabecula, .atrialWall:
            return TissueProperties(pd: 0.8, t1Ms: 1000, t2Ms: 45, t1PostMs: 430)
        case .valvePlane: return TissueProperties(pd: 0.5, t1Ms: 900, t2Ms: 30, t1PostMs: 420)
        case .abdomen: return TissueProperties(pd: 0.8, t1Ms: 900, t2Ms: 60, t1PostMs: 450)
        // Thin cortex (no signal) round fatty marrow: marrow's relaxation at a lower density.
        case .rib: return TissueProperties(pd: 0.35, t1Ms: 370, t2Ms: 40, t1PostMs: 330)
        // Fibrous layer (the CMR renders without it; listed for completeness): as the fibrous AV plane.
        case .pericardium: return TissueProperties(pd: 0.5, t1Ms: 900, t2Ms: 30, t1PostMs: 420)
        }
    }

    /// True for tissue that counts as LV cavity volume (blood, papillary muscles, trabeculae).
    public var isLVCavity: Bool { self == .lvBlood || self == .papillaryMuscle || self == .trabecula }
}

/// MR properties of one tissue.
public struct TissueProperties: Sendable, Equatable {
    /// Proton density relative to water (0-1).
    public var pd: Double
    /// Native longitudinal relaxation time (ms).
    public var t1Ms: Double
    /// Transverse relaxation time (ms).
    public var t2Ms: Double
    /// Longitudinal relaxation time after gadolinium (ms), for LGE.
    public var t1PostMs: Double
}

/// Post-contrast T1 of scar core (ms): fibrosis enlarges the extracellular space that holds gadolinium.
public let scarT1PostMs: Double = 230

/// One sample of the phantom at a point and time: what tissue is there, its gadolinium uptake relative to scar core
/// (`enhancement`: 0 remote, the grey-zone value, up to 1 in the core; 0 in microvascular obstruction; RV wall
/// fibrosis too), the truth scar class of LV myocardium (`scarClass`: 0 none, 1 grey border zone, 2 core,
/// obstruction included) and the 36-segment id (0 = apical cap / not LV).
public struct TissueSample: Sendable, Equatable {
    public var tissue: Tissue
    public var enhancement: Float
    public var segment: UInt8
    public var scarClass: UInt8
    public init(tissue: Tissue, enhancement: Float = 0, segment: UInt8 = 0, scarClass: UInt8 = 0) {
        self.tissue = tissue; self.enhancement = enhancement; self.segment = segment; self.scarClass = scarClass
    }
}
