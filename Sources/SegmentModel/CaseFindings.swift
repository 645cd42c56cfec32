import CRTCore

/// The shared vocabulary of DOMAIN.md section 7: every finding that truth.json (`GroundTruth`, the generator's
/// exact values) and analysis.json (`AnalysisResult`, a pipeline's estimate) both carry, with one key, unit, frame
/// and meaning, so that a scorer compares two values of this one type. Both files hold it flat, beside their own
/// keys (the truth's `views`, `acquisition`, ...; the pipeline's `edFrame`, `scar`, `notes`, ...).
///
/// Times are ms after the R trigger; positions are in the CMR patient frame (LPS mm); segment ids are `Segment36`
/// ids (1-36). Activation (`SegmentRecord.activationTimeMs`) is the first time the segment's mean radial strain
/// reaches `activationFractionOfPeak` (50 %) of its own systolic peak.
///
/// Reading (`init(from:)`, the same rule for both files): `edvMl`, `esvMl`, `ef`, `scarBurdenPercent` and
/// `segments` are required; every other key may be absent and reads as an empty or neutral value (NaN, [], [:],
/// nil; `targetStatus` "ok" / "none" after `primaryTarget`), so that an analysis made by another pipeline, which
/// writes only what it measured, can be read and scored.
public struct CaseFindings: Codable, Sendable, Equatable {
    /// Activation: the fraction of a segment's own systolic peak of mean radial strain whose first crossing is its
    /// activation time (DOMAIN.md: 0.5).
    public static let activationFractionOfPeak = 0.5

    /// LV cavity volume at end-diastole (mL; papillary muscles and trabeculae count as cavity).
    public var edvMl: Double
    /// LV cavity volume at end-systole, the smallest over the cycle (mL).
    public var esvMl: Double
    /// Ejection fraction (EDV - ESV) / EDV (fraction, 0.55 = 55 %).
    public var ef: Double
    /// End-systole: time of the smallest cavity volume (ms after the R trigger).
    public var esTimeMs: Double
    /// Scar (core) volume / LV myocardial volume x 100 (%).
    public var scarBurdenPercent: Double
    /// LV myocardial volume, the denominator of `scarBurdenPercent` (mL).
    public var lvMyocardialVolumeMl: Double
    /// Mean end-diastolic wall thickness over the (measured) segments (mm).
    public var wallThicknessMm: Double
    /// The 36 segment records, ids 1-36 in order (`SegmentRecord`).
    public var segments: [SegmentRecord]
    /// Ids of the latest activated eligible segments, latest first (`DecisionModel.decide`).
    public var lmaTargets: [Int]
    /// The latest activated eligible segment (the first of `lmaTargets`); nil when there is none.
    public var primaryTarget: Int?
    /// "target found", or why there is none.
    public var targetStatus: String
    /// RV insertion points ("anterior", "inferior") on the LV epicardium at mid-cavity height, end-diastole
    /// (LPS mm).
    public var rvInsertionPointsMm: [String: Vec3]
    /// End-diastolic long axis (LPS mm): "apexMm" the epicardial apex, "baseCentreMm" the centre of the base plane,
    /// "baseToApex" the base-to-apex unit vector.
    public var lvAxis: [String: Vec3]
    /// Mean radial strain of each segment (fraction) at each time of `curveTimesMs`; index [segment id - 1][phase].
    /// nil for a segment not measured (no slice covers it); the truth has all 36.
    public var radialStrainCurves: [[Double]?]
    /// The cine phase times the curves are sampled at (ms after the R trigger).
    public var curveTimesMs: [Double]
    /// LV cavity volume at each time of `curveTimesMs` (mL).
    public var volumeCurveMl: [Double]
    /// Row-major 4x4 matrix mapping CMR patient coordinates (LPS mm) to C-arm world coordinates (mm); nil for a
    /// case without fluoroscopy (or an analysis that did not register it).
    public var heartPose: [[Double]]?
    /// The LV lead after implant (`LeadPosition`); nil for a case without fluoroscopy, or an analysis that did not
    /// find the electrodes.
    public var lead: LeadPosition?
    /// The ring boundaries the 36 segments were drawn with (fractions of the cavity length from the base plane): a
    /// convention both sides must share, declared by each so that the scorer can refuse a mismatch; nil when a file
    /// does not declare it (not checked then).
    public var ringBoundaries: RingBoundaries?

    public init(edvMl: Double, esvMl: Double, ef: Double, esTimeMs: Double, scarBurdenPercent: Double,
                lvMyocardialVolumeMl: Double, wallThicknessMm: Double, segments: [SegmentRecord], lmaTargets: [Int],
                primaryTarget: Int?, targetStatus: String, rvInsertionPointsMm: [String: Vec3], lvAxis: [String: Vec3],
                radialStrainCurves: [[Double]?], curveTimesMs: [Double], volumeCurveMl: [Double],
                heartPose: [[Double]]? = nil, lead: LeadPosition? = nil, ringBoundaries: RingBoundaries? = nil) {
        self.edvMl = edvMl; self.esvMl = esvMl; self.ef = ef; self.esTimeMs = esTimeMs
        self.scarBurdenPercent = scarBurdenPercent; self.lvMyocardialVolumeMl = lvMyocardialVolumeMl
        self.wallThicknessMm = wallThicknessMm; self.segments = segments; self.lmaTargets = lmaTargets
        self.primaryTarget = primaryTarget; self.targetStatus = targetStatus
        self.rvInsertionPointsMm = rvInsertionPointsMm; self.lvAxis = lvAxis
        self.radialStrainCurves = radialStrainCurves; self.curveTimesMs = curveTimesMs; self.volumeCurveMl = volumeCurveMl
        self.heartPose = heartPose; self.lead = lead; self.ringBoundaries = ringBoundaries
    }
}

/// Reading the shared keys (see `CaseFindings`): the keys scoring cannot do without are required, the others read as
/// empty or neutral values when absent.
extension CaseFindings {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        edvMl = try c.decode(Double.self, forKey: .edvMl)
        esvMl = try c.decode(Double.self, forKey: .esvMl)
        ef = try c.decode(Double.self, forKey: .ef)
        esTimeMs = try c.decodeIfPresent(Double.self, forKey: .esTimeMs) ?? .nan
        scarBurdenPercent = try c.decode(Double.self, forKey: .scarBurdenPercent)
        lvMyocardialVolumeMl = try c.decodeIfPresent(Double.self, forKey: .lvMyocardialVolumeMl) ?? .nan
        wallThicknessMm = try c.decodeIfPresent(Double.self, forKey: .wallThicknessMm) ?? .nan
        segments = try c.decode([SegmentRecord].self, forKey: .segments)
        lmaTargets = try c.decodeIfPresent([Int].self, forKey: .lmaTargets) ?? []
        primaryTarget = try c.decodeIfPresent(Int.self, forKey: .primaryTarget)
        targetStatus = try c.decodeIfPresent(String.self, forKey: .targetStatus) ?? (primaryTarget == nil ? "none" : "ok")
        rvInsertionPointsMm = try c.decodeIfPresent([String: Vec3].self, forKey: .rvInsertionPointsMm) ?? [:]
        lvAxis = try c.decodeIfPresent([String: Vec3].self, forKey: .lvAxis) ?? [:]
        radialStrainCurves = try c.decodeIfPresent([[Double]?].self, forKey: .radialStrainCurves) ?? []
        curveTimesMs = try c.decodeIfPresent([Double].self, forKey: .curveTimesMs) ?? []
        volumeCurveMl = try c.decodeIfPresent([Double].self, forKey: .volumeCurveMl) ?? []
        heartPose = try c.decodeIfPresent([[Double]].self, forKey: .heartPose)
        lead = try c.decodeIfPresent(LeadPosition.self, forKey: .lead)
        ringBoundaries = try c.decodeIfPresent(RingBoundaries.self, forKey: .ringBoundaries)
    }
}
