import CRTCore

/// Where the LV lead ended up (DOMAIN.md section 7 keys `lead.*`): shared by truth.json and analysis.json so that
/// a scorer compares two values of one type. Positions are in the CMR patient frame (LPS mm). The fields after
/// `tipMm` are filled by the generator only (truth): the pipeline leaves them nil.
public struct LeadPosition: Codable, Sendable, Equatable {
    /// 36-segment id of the pacing electrode.
    public var segment36: Int
    /// Category of the pacing electrode against the primary target in the 36- and 18-segment models; nil when
    /// there is no primary target.
    public var category36: LeadCategory?
    public var category18: LeadCategory?
    /// The electrode used for pacing (the one nearest the target) and the distal tip electrode (mm).
    public var pacingElectrodeMm: Vec3
    public var tipMm: Vec3

    /// Truth only: all four electrodes, distal first (mm).
    public var electrodesMm: [Vec3]?
    /// Truth only: index into `electrodesMm` of the pacing electrode (0 = distal).
    public var pacingElectrodeIndex: Int?
    /// Truth only: 36-segment id of each electrode of `electrodesMm`, so a scorer can judge whichever electrode the
    /// pipeline chose for pacing.
    public var electrodeSegments36: [Int]?
    /// Truth only: the vein branch holding the tip, the branch the implanter aimed for first, and why they
    /// differ ("none", "no venous access", "high threshold", "phrenic stimulation", "no primary target").
    public var branch: String?
    public var intendedBranch: String?
    public var deviation: String?
    /// Truth only: distance from the pacing electrode to the epicardial centre of the primary target (mm).
    public var targetDistanceMm: Double?
    /// Truth only: the lead model from the catalogue and its number of electrodes (absent for crtsim's generic
    /// quadripolar lead).
    public var model: String?
    public var electrodeCount: Int?

    public init(segment36: Int, category36: LeadCategory?, category18: LeadCategory?,
                pacingElectrodeMm: Vec3, tipMm: Vec3) {
        self.segment36 = segment36
        self.category36 = category36
        self.category18 = category18
        self.pacingElectrodeMm = pacingElectrodeMm
        self.tipMm = tipMm
    }

    /// The categories of a lead segment against a primary target (nil target: nil categories).
    public static func categories(lead: Segment36, target: Segment36?, rule: AdjacencyRule = .edgeOrCorner)
        -> (LeadCategory?, LeadCategory?) {
        guard let target else { return (nil, nil) }
        return (LeadCategory.category36(lead: lead, target: target, rule: rule),
                LeadCategory.category18(lead: lead, target: target, rule: rule))
    }
}
