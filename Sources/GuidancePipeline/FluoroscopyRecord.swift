import CRTCore
import Foundation
import SegmentModel

/// One C-arm view in analysis.json `views[]` (DOMAIN.md section 7): its name and the world-to-pixel projection
/// the pipeline used (computed from the DICOM XA geometry in xray/<VIEW>.json).
public struct ViewProjectionRecord: Codable, Sendable, Equatable {
    public var name: String
    public var projection: ProjectionMatrix
    public init(name: String, projection: ProjectionMatrix) { self.name = name; self.projection = projection }
}

/// What the fluoroscopy stage did (analysis.json `fluoroscopy`): pipeline-only details beside the shared keys
/// `heartPose`, `views` and `lead`.
public struct FluoroscopyRecord: Codable, Sendable, Equatable {
    /// Views used and the largest angle between their central rays (degrees).
    public var viewNames: [String]
    public var viewSeparationDegrees: Double
    /// Input remarks: views too close together, missing lead images, landmarks without a model counterpart.
    public var warnings: [String]
    public var registration: Registration
    public var lead: Lead
    /// The lead's segment judged without the CMR model (a standard heart orientation), for the paper's
    /// comparison of fluoroscopy-only and model-registered classification; nil when no lead was found.
    public var fluoroscopyOnly: FluoroscopyOnly?
    /// When a venogram is a run of frames: view name to the frame the registration used (0-based) and why
    /// ("clicked", "end-diastole", "first"; "single" for a one-image view); nil when every venogram is one image.
    /// Per view, the heart's pose in that view's venogram frame (CMR patient LPS mm to C-arm world mm, 4 x 4), when
    /// the registration fitted the two views' breathing states apart (`heartPose` is then their midpoint); nil
    /// otherwise. Scored per view in place of `heartPose` (docs/metrics.md).
    public var viewHeartPoses: [String: [[Double]]]? = nil
    public var venogramFrames: [String: Int]? = nil
    public var venogramFrameChoice: [String: String]? = nil

    public init(viewNames: [String], viewSeparationDegrees: Double, warnings: [String], registration: Registration,
                lead: Lead, fluoroscopyOnly: FluoroscopyOnly?) {
        self.viewNames = viewNames; self.viewSeparationDegrees = viewSeparationDegrees; self.warnings = warnings
        self.registration = registration; self.lead = lead; self.fluoroscopyOnly = fluoroscopyOnly
    }

    public struct Registration: Codable, Sendable, Equatable {
        /// "landmarks", "landmarks+vessels" or "landmarks+vessels+lv-contour" (the LV contour term on).
        public var method: String
        /// 3D landmarks of the model (CMR patient LPS mm) and the clicked names used.
        public var modelLandmarksMm: [String: Vec3]
        public var landmarksUsed: [String]
        /// Clicks not used (no model counterpart).
        public var landmarksIgnored: [String]
        /// Pose from the landmarks alone (4x4, CMR patient to C-arm world).
        public var landmarkPose: [[Double]]
        /// Click reprojection residuals (pixels) after the landmark fit and after refinement, keyed "<VIEW>/<name>".
        public var landmarkResidualsPx: [String: Double]
        public var finalResidualsPx: [String: Double]
        /// Mean vesselness along the projected vein courses (0-1) before and after the image refinement.
        public var vesselnessBefore: Double?
        public var vesselnessAfter: Double?
        /// The LV contour's border score (mean tanh of the outward fall across the outline, about -1 to 1) before and
        /// after the refinement, and the fitted border offset outside the epicardium (mm); nil without the term.
        public var lvContourScoreBefore: Double? = nil
        public var lvContourScoreAfter: Double? = nil
        public var lvContourOffsetMm: Double? = nil
        // No wall-clock time here: analysis.json is deterministic; the registration's seconds go to timing.json.
        public init(method: String, modelLandmarksMm: [String: Vec3], landmarksUsed: [String], landmarksIgnored: [String],
                    landmarkPose: [[Double]], landmarkResidualsPx: [String: Double], finalResidualsPx: [String: Double],
                    vesselnessBefore: Double?, vesselnessAfter: Double?) {
            self.method = method; self.modelLandmarksMm = modelLandmarksMm; self.landmarksUsed = landmarksUsed
            self.landmarksIgnored = landmarksIgnored; self.landmarkPose = landmarkPose
            self.landmarkResidualsPx = landmarkResidualsPx; self.finalResidualsPx = finalResidualsPx
            self.vesselnessBefore = vesselnessBefore; self.vesselnessAfter = vesselnessAfter
        }
    }

    public struct Lead: Codable, Sendable, Equatable {
        /// "found", or "not found: <reason>".
        public var status: String
        /// Electrode pixels per view, distal first, keyed by view name.
        public var electrodesPx: [String: [[Double]]]
        /// Triangulated electrodes, distal first: C-arm world mm and CMR patient mm.
        public var electrodesWorldMm: [Vec3]
        public var electrodesMm: [Vec3]
        /// Reprojection residual of each triangulated electrode (pixels, worst view).
        public var triangulationResidualsPx: [Double]
        /// Index (0 = distal) of the pacing electrode: the one nearest the primary target's epicardial centre.
        public var pacingElectrodeIndex: Int?
        /// Distance of the pacing electrode from the target centre (mm) and from the epicardial mesh (mm).
        public var targetDistanceMm: Double?
        public var meshDistanceMm: Double?
        /// Lead images taken later than the venograms: each view's in-plane shift of the heart against the registered
        /// venogram ([column, row] pixels, `LeadImageAlignment`), and whether the electrodes were moved back to
        /// end-diastole from the lead images' cardiac phases (`CardiacDeformation`); nil when not done.
        public var leadImageShiftPx: [String: [Double]]? = nil
        public var cardiacPhaseCorrected: Bool? = nil
        /// The cranio-caudal offset between the two lead images' breathing states that the electrode match chose
        /// (mm, world z: the first view moved by +half, the second by -half); nil when not searched.
        public var leadImagesOffsetMm: Double? = nil
        /// The electrode layout the match used: "implant record: <model>", or without the record the best of the
        /// layouts tried, "assumed: <model> ..." or "assumed: generic equal spacing ..."; nil when not found.
        public var electrodeLayout: String? = nil
        public init(status: String, electrodesPx: [String: [[Double]]] = [:], electrodesWorldMm: [Vec3] = [],
                    electrodesMm: [Vec3] = [], triangulationResidualsPx: [Double] = [], pacingElectrodeIndex: Int? = nil,
                    targetDistanceMm: Double? = nil, meshDistanceMm: Double? = nil) {
            self.status = status; self.electrodesPx = electrodesPx; self.electrodesWorldMm = electrodesWorldMm
            self.electrodesMm = electrodesMm; self.triangulationResidualsPx = triangulationResidualsPx
            self.pacingElectrodeIndex = pacingElectrodeIndex; self.targetDistanceMm = targetDistanceMm
            self.meshDistanceMm = meshDistanceMm
        }
    }

    public struct FluoroscopyOnly: Codable, Sendable, Equatable {
        public var method: String
        public var segment36: Int
        public var category36: LeadCategory?
        public var category18: LeadCategory?
        public init(method: String, segment36: Int, category36: LeadCategory?, category18: LeadCategory?) {
            self.method = method; self.segment36 = segment36; self.category36 = category36; self.category18 = category18
        }
    }
}
