import CRTCore
import Foundation
import SegmentModel

/// `analysis.json`: the pipeline's estimate. Written flat: the keys of the shared vocabulary (`findings`, DOMAIN.md
/// section 7, the same type as the truth's `GroundTruth.findings`), so a scorer compares any reference file key by
/// key, beside the keys only the pipeline has (ED/ES phases, alternative timings, scar method details, notes).
/// Reads and writes of the shared keys go through `findings` (`result.edvMl` is `result.findings.edvMl`).
/// The full schema is in docs/analysis-schema.md.
@dynamicMemberLookup
public struct AnalysisResult: Codable, Sendable {
    /// 2 since `activationUncertaintyMs`, `targetCandidates` and `targetConfidence` (docs/schemas.md).
    public var schemaVersion = 2
    /// Software that made it.
    public var software: String
    /// The shared vocabulary: the pipeline's estimate. ED and ES are the cine phases of the largest and smallest
    /// cavity volume (Simpson's rule); the scar burden and myocardial volume are voxel counts on the LGE slices;
    /// `radialStrainCurves` is nil for segments no slice covers; `heartPose` and `lead` come from the fluoroscopy
    /// stage (absent for CMR-only cases; `lead` also when the electrodes were not found, `fluoroscopy.lead.status`
    /// says why).
    public var findings: CaseFindings
    // Pipeline only.
    /// ED phase time (ms after the R trigger) and the ED / ES phase indices (0-based).
    public var edTimeMs: Double
    public var edFrame: Int
    public var esFrame: Int
    /// The targets mapped to the AHA 18- and 17-segment models.
    public var targets18: MappedTargets
    public var targets17: MappedTargets
    /// Alternative activation timings per segment (index id - 1), ms: time to peak radial strain; delay behind the
    /// global mean strain curve by cross-correlation.
    public var timeToPeakMs: [Double?]
    public var crossCorrelationDelayMs: [Double?]
    /// Segments with no measurement (no slice covers them), shown as not scarred and not eligible.
    public var unmeasuredSegments: [Int]
    /// One standard deviation of each segment's activation time (index id - 1, ms; nil where not measured): the
    /// frame quantisation and the strain noise at the 50 % crossing (`TargetUncertainty`, docs/pipeline.md).
    public var activationUncertaintyMs: [Double?] = []
    /// The eligible segments whose activation is within the uncertainty of the primary target's (1.96 SD of the
    /// difference), latest first, the primary target first; one id when the choice is clear, empty without target.
    public var targetCandidates: [Int] = []
    /// Probability that the primary target is the latest-activated eligible segment, given the activation
    /// uncertainties (independent Gaussian errors); nil without a target.
    public var targetConfidence: Double?
    public var scar: ScarSummary
    /// What the pipeline saw on each cine slice of the LV, base to apex.
    public var slices: [SliceSummary]
    /// Per-stage remarks (what was left out, what was assumed).
    public var notes: [String]
    public var configuration: PipelineConfiguration
    // Fluoroscopy (absent for CMR-only cases); `heartPose` and `lead` are in `findings`.
    /// The C-arm views: name and world-to-pixel projection.
    public var views: [ViewProjectionRecord]?
    /// What the fluoroscopy stage did (pipeline only).
    public var fluoroscopy: FluoroscopyRecord?
    /// The mitral annulus found in the long-axis cine views (absent when the case has none or it was not found).
    public var mitralAnnulus: MitralAnnulusSummary? = nil

    /// A key of the shared vocabulary, read and written through `findings`.
    public subscript<T>(dynamicMember key: WritableKeyPath<CaseFindings, T>) -> T {
        get { findings[keyPath: key] }
        set { findings[keyPath: key] = newValue }
    }

    /// The keys only the pipeline has; the shared ones are `CaseFindings.CodingKeys`, in the same JSON object.
    enum CodingKeys: String, CodingKey {
        case schemaVersion, software, edTimeMs, edFrame, esFrame, targets18, targets17, timeToPeakMs,
             crossCorrelationDelayMs, unmeasuredSegments, scar, slices, notes, configuration, views, fluoroscopy,
             activationUncertaintyMs, targetCandidates, targetConfidence, mitralAnnulus
    }

    /// `mitralAnnulus` in analysis.json: the annulus plane at ED and ES from the hinge points of the long-axis views
    /// (`MitralAnnulus`), LPS mm.
    public struct MitralAnnulusSummary: Codable, Sendable, Equatable {
        /// Where the LV long axis crosses the annulus plane at ED and at ES (mm).
        public var edCentreMm: Vec3
        public var esCentreMm: Vec3
        /// Unit normals of the ED and ES planes, oriented base to apex.
        public var edNormal: Vec3
        public var esNormal: Vec3
        /// Descent of the annulus centre from ED to ES along the LV long axis (mm, positive towards the apex).
        public var descentMm: Double
        /// Hinge points per view ("2ch", "3ch", "4ch") at ED and at ES (mm); a view without hinge points is absent.
        public var pointsMm: [String: [Vec3]]
        public var esPointsMm: [String: [Vec3]]
        /// RMS distance of the ED hinge points from the ED plane (mm).
        public var edResidualMm: Double
        /// Phases at which a plane was found (of `volumeCurveMl.count`); the others use the nearest phase's.
        public var phasesFound: Int
        /// The long-axis views read.
        public var views: [String]
    }

    public struct MappedTargets: Codable, Sendable, Equatable {
        public var lmaTargets: [Int]
        public var primaryTarget: Int?
    }

    public struct SliceSummary: Codable, Sendable, Equatable {
        /// Slice index in cine.nii.gz (0-based).
        public var sliceIndex: Int
        /// Distance of the slice centre below the base plane along the long axis (mm).
        public var heightMm: Double
        /// Ring (0 basal, 1 mid, 2 apical), absent for slices above the base plane or in the apical cap.
        public var ring: Int?
        /// Per phase: whether the slice cuts the LV, cavity area (mm2), median wall thickness (mm).
        public var valid: [Bool]
        public var cavityAreaMm2: [Double]
        public var wallThicknessMm: [Double]
        /// Anterior RV insertion angle used on this slice (degrees, right-handed about base-to-apex from the
        /// image column axis).
        public var anteriorInsertionDegrees: Double
    }

    public struct ScarSummary: Codable, Sendable, Equatable {
        public var method: String
        public var present: Bool
        public var status: String
        /// Signal threshold applied (LGE intensity units), the remote median and robust SD.
        public var thresholdSignal: Double
        public var remoteMedian: Double
        public var remoteSD: Double
        /// Remote level of each LGE slice (LGE intensity units; the Theil-Sen line through the slices' medians) and
        /// the SD within a slice, which the candidate floor and the presence gate use; empty and NaN when not written.
        public var remoteLevelBySlice: [Double] = []
        public var remoteSliceSD: Double = .nan
        /// Myocardial volume on the LGE slices (mL).
        public var myocardialVolumeMl: Double
        /// In-plane shift that aligned each LGE slice with the cine contours ([column, row] axes of the LGE, mm).
        public var alignmentShiftsMm: [[Double]]
        /// Through-plane shift of each LGE slice found by the same alignment (mm along the LGE slice normal, the
        /// column axis crossed with the row axis); empty when not searched.
        public var alignmentThroughPlaneMm: [Double] = []
    }
}

/// Every stage's settings, with documented defaults; written into analysis.json so a result says how it was made.
public struct PipelineConfiguration: Codable, Sendable, Equatable {
    public var localization = LVLocalization.Settings()
    public var contours = WallTracker.Settings()
    public var geometry = LVGeometry.Settings()
    public var scar = ScarDetection.Settings()
    public var motion = SegmentMotion.Settings()
    public var decision = DecisionModel()
    public init() {}
}

/// What the operator may adjust, as the clinic allows: an erase mask on the LGE grid, RV insertion points,
/// contours.
public struct OperatorInputs: Sendable {
    /// Non-zero voxels are never scar (same grid as lge.nii.gz).
    public var eraseMask: ImageVolume<Float>?
    /// RV insertion points (patient LPS mm), used instead of the automatic ones: "anterior" (required) and
    /// "inferior".
    public var rvInsertionPointsMm: [String: Vec3]?
    /// Operator contours (see `ManualContours`) and the file they came from (for messages).
    public var contours: ManualContours?
    public var contoursSource: String
    /// Radial offsets of the borders (see `ContourOffsets`): an operator who draws the borders a little inside or
    /// outside where the tracking put them (a second observer); applied after `contours`.
    public var contourOffsets: ContourOffsets?
    public init(eraseMask: ImageVolume<Float>? = nil, rvInsertionPointsMm: [String: Vec3]? = nil,
                contours: ManualContours? = nil, contoursSource: String = "contours", contourOffsets: ContourOffsets? = nil) {
        self.eraseMask = eraseMask; self.rvInsertionPointsMm = rvInsertionPointsMm
        self.contours = contours; self.contoursSource = contoursSource; self.contourOffsets = contourOffsets
    }
}

/// Reading analysis.json: the keys of the shared vocabulary are read by `CaseFindings` (the required ones are
/// required); the keys only crtsim's pipeline writes (ED / ES phases, the 18- and 17-segment mappings, alternative
/// timings, slices, notes, its configuration, the fluoroscopy record) may be absent, so that an analysis made by
/// another pipeline can be read and scored. An absent key gets an empty or neutral value, listed in
/// docs/analysis-schema.md. `scar.present` is required.
extension AnalysisResult {
    public init(from decoder: Decoder) throws {
        findings = try CaseFindings(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        software = try c.decodeIfPresent(String.self, forKey: .software) ?? "unknown"
        // Pipeline-only keys: absent, or in another pipeline's own shape (its own `configuration`, say), they read
        // as empty; only crtsim's pipeline needs their content.
        func pipelineOnly<T: Decodable>(_ type: T.Type, _ key: CodingKeys, _ fallback: T) -> T {
            ((try? c.decodeIfPresent(type, forKey: key)) ?? nil) ?? fallback
        }
        edTimeMs = pipelineOnly(Double.self, .edTimeMs, .nan)
        edFrame = pipelineOnly(Int.self, .edFrame, 0)
        esFrame = pipelineOnly(Int.self, .esFrame, 0)
        targets18 = pipelineOnly(MappedTargets.self, .targets18, MappedTargets(lmaTargets: [], primaryTarget: nil))
        targets17 = pipelineOnly(MappedTargets.self, .targets17, MappedTargets(lmaTargets: [], primaryTarget: nil))
        timeToPeakMs = pipelineOnly([Double?].self, .timeToPeakMs, [])
        crossCorrelationDelayMs = pipelineOnly([Double?].self, .crossCorrelationDelayMs, [])
        unmeasuredSegments = pipelineOnly([Int].self, .unmeasuredSegments, [])
        activationUncertaintyMs = pipelineOnly([Double?].self, .activationUncertaintyMs, [])
        targetCandidates = pipelineOnly([Int].self, .targetCandidates, [])
        targetConfidence = pipelineOnly(Double?.self, .targetConfidence, nil)
        scar = try c.decode(ScarSummary.self, forKey: .scar)
        slices = pipelineOnly([SliceSummary].self, .slices, [])
        notes = pipelineOnly([String].self, .notes, [])
        configuration = pipelineOnly(PipelineConfiguration.self, .configuration, PipelineConfiguration())
        views = try c.decodeIfPresent([ViewProjectionRecord].self, forKey: .views)
        fluoroscopy = try c.decodeIfPresent(FluoroscopyRecord.self, forKey: .fluoroscopy)
        mitralAnnulus = pipelineOnly(MitralAnnulusSummary?.self, .mitralAnnulus, nil)
    }

    public func encode(to encoder: Encoder) throws {
        try findings.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(software, forKey: .software)
        try c.encode(edTimeMs, forKey: .edTimeMs)
        try c.encode(edFrame, forKey: .edFrame)
        try c.encode(esFrame, forKey: .esFrame)
        try c.encode(targets18, forKey: .targets18)
        try c.encode(targets17, forKey: .targets17)
        try c.encode(timeToPeakMs, forKey: .timeToPeakMs)
        try c.encode(crossCorrelationDelayMs, forKey: .crossCorrelationDelayMs)
        try c.encode(unmeasuredSegments, forKey: .unmeasuredSegments)
        try c.encode(activationUncertaintyMs, forKey: .activationUncertaintyMs)
        try c.encode(targetCandidates, forKey: .targetCandidates)
        try c.encodeIfPresent(targetConfidence, forKey: .targetConfidence)
        try c.encode(scar, forKey: .scar)
        try c.encode(slices, forKey: .slices)
        try c.encode(notes, forKey: .notes)
        try c.encode(configuration, forKey: .configuration)
        try c.encodeIfPresent(views, forKey: .views)
        try c.encodeIfPresent(fluoroscopy, forKey: .fluoroscopy)
        try c.encodeIfPresent(mitralAnnulus, forKey: .mitralAnnulus)
    }
}

/// `scar` in analysis.json: `present` is required; the method details crtsim's pipeline writes may be absent.
extension AnalysisResult.ScarSummary {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        present = try c.decode(Bool.self, forKey: .present)
        method = try c.decodeIfPresent(String.self, forKey: .method) ?? "unknown"
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? (present ? "scar" : "no scar")
        thresholdSignal = try c.decodeIfPresent(Double.self, forKey: .thresholdSignal) ?? .nan
        remoteMedian = try c.decodeIfPresent(Double.self, forKey: .remoteMedian) ?? .nan
        remoteSD = try c.decodeIfPresent(Double.self, forKey: .remoteSD) ?? .nan
        remoteLevelBySlice = try c.decodeIfPresent([Double].self, forKey: .remoteLevelBySlice) ?? []
        remoteSliceSD = try c.decodeIfPresent(Double.self, forKey: .remoteSliceSD) ?? .nan
        myocardialVolumeMl = try c.decodeIfPresent(Double.self, forKey: .myocardialVolumeMl) ?? .nan
        alignmentShiftsMm = try c.decodeIfPresent([[Double]].self, forKey: .alignmentShiftsMm) ?? []
        alignmentThroughPlaneMm = try c.decodeIfPresent([Double].self, forKey: .alignmentThroughPlaneMm) ?? []
    }
}
