import CRTCore
import SegmentModel
import Foundation

/// Everything that defines one synthetic patient and its CMR acquisition. Read from a YAML file in `Phantoms/`
/// (see `Phantoms/README.md` for every field with unit and range); all fields have documented defaults.
/// Patient coordinates are DICOM LPS in mm (x to the patient's left, y posterior, z towards the head).
public struct PhantomSpec: Codable, Sendable, Equatable {
    public var name: String = "default"
    public var description: String = ""
    /// `clinical` (default): realism fields the file leaves out are drawn per patient; `ideal`: they are neutral
    /// (RealismFields.swift, Phantoms/README.md "Realism").
    public var realism: Realism = .clinical
    public var anatomy = Anatomy()
    public var segmentModel = RingBoundaries.crtsimDefault
    public var activation = Activation()
    public var motion = Motion()
    public var scars: [ScarRegion] = []
    /// How scar tissue looks inside and round its footprint (realism fields, ScarTissue.swift).
    public var scarTissue = ScarTissue()
    public var veins = Veins()
    public var cmr = CMRSettings()
    public var xray = XRaySettings()

    public init() {}

    /// LV and surrounding anatomy at end-diastole.
    public struct Anatomy: Codable, Sendable, Equatable {
        /// LV cavity volume at end-diastole (mL); papillary muscles and trabeculae count as cavity. 60-450.
        public var edvMl: Double = 209
        /// LV wall thickness at end-diastole, mid-ventricle (mm). 4-20.
        public var wallThicknessMm: Double = 9
        /// Wall thickness at the apex (mm). 2-20.
        public var apicalWallThicknessMm: Double = 7
        /// Cavity long semi-axis / short semi-axis of the prolate spheroid. 1.2-3. nil: from `sphericityIndex`
        /// when given, else 2.2 (`resolvedLengthToDiameterRatio`).
        public var lengthToDiameterRatio: Double? = nil
        /// Height of the base plane above the spheroid's equator, as a fraction of the long semi-axis. 0-0.6.
        public var baseTruncation: Double = 0.25
        /// Apex direction in the axial plane, degrees from anterior towards the patient's left. 0-90.
        public var longAxisAzimuthDeg: Double = 45
        /// Apex direction below the horizontal plane (degrees, towards the feet). 0-60.
        public var longAxisElevationDeg: Double = 25
        /// Rotation of the septum about the long axis (degrees, right-handed about base-to-apex). -60-60.
        public var rollDeg: Double = 0
        /// Segment angle of the inferior RV insertion point (degrees; the anterior one is 0 by definition). 90-150.
        public var inferiorInsertionAngleDeg: Double = 120
        /// Largest width of the RV cavity crescent over the septum (mm). 5-40.
        public var rvWidthMm: Double = 18
        /// RV free wall thickness (mm). 2-8.
        public var rvWallThicknessMm: Double = 3.5
        /// Realism fields of the RV and the fat (AnatomyVariation.swift): the RV crescent's width as a multiple of
        /// `rvWidthMm` (nil: 1), how far down the LV it reaches as a fraction of the cavity length (nil: 0.75), and the
        /// thickness of the fat in the AV and interventricular grooves (mm; nil: 3.5).
        public var rvSizeFactor: Double? = nil
        public var rvApexFraction: Double? = nil
        public var grooveFatMm: Double? = nil
        /// Realism field: thickness of the parietal pericardium and its fluid film round the ventricles (mm), in the
        /// X-ray chest model only (the CMR renders without it); nil: none.
        public var pericardiumMm: Double? = nil
        /// Centre of the LV long axis at mid-cavity height, patient LPS (mm).
        public var heartCentreMm: [Double] = [35, -10, 0]
        /// Two papillary muscles in the LV cavity.
        public var papillaryMuscles: Bool = true
        /// Trabeculation on the apical and mid endocardium.
        public var trabeculation: Bool = true
        /// Epicardial fat in the atrioventricular and interventricular grooves and around the coronary veins; false
        /// gives a heart without fat (the tissue there is left to the surroundings).
        public var epicardialFat: Bool = true
        /// Wall thinning at transmural scar: fraction of the wall lost at 100 % transmurality. 0-0.8.
        public var scarThinningFraction: Double = 0.5

        // Realism fields (AnatomyVariation.swift, Phantoms/README.md "Realism"): nil is the ideal value, the
        // axisymmetric spheroid with a flat base plane.
        /// Short-axis ellipticity: radii scaled by 1 + e cos 2(phi - ellipticityAngleDeg). 0-0.25; nil 0.
        public var ellipticity: Double? = nil
        /// Segment angle of the long diameter of the elliptical short-axis section (degrees). 0-180; nil 0.
        public var ellipticityAngleDeg: Double? = nil
        /// Septal flattening: the septal endocardium cut by a chord at (1 - k) x radius. 0-0.4; nil 0.
        public var septalFlattening: Double? = nil
        /// Septal / lateral wall thickness (the mean stays `wallThicknessMm`). 0.6-2; nil 1.
        public var septalToLateralWallRatio: Double? = nil
        /// Tilt of the mitral annulus against the short-axis plane, aortic (anterior, angle 25) side up (degrees).
        /// 0-35; nil 0 (flat base).
        public var annulusTiltDeg: Double? = nil
        /// Saddle height of the mitral annulus, high points at the aortic and posterior sides (mm). 0-14; nil 0.
        public var annulusSaddleHeightMm: Double? = nil
        /// Segment angles of the anterolateral and posteromedial papillary muscles (degrees). nil 250 and 160.
        public var anterolateralPapillaryAngleDeg: Double? = nil
        public var posteromedialPapillaryAngleDeg: Double? = nil
        /// Trabeculation pattern number (0-65535); nil or 0 the pattern of crtsim's first releases.
        public var trabeculationPattern: Double? = nil
        /// End-diastolic sphericity index: short-axis cavity diameter / long-axis cavity length (base to
        /// endocardial apex). A realism field; sets the spheroid's `lengthToDiameterRatio` when that is not given.
        public var sphericityIndex: Double? = nil
        /// Curved long axis: sideways displacement of the cavity's centreline at mid-height (mm), zero at the apex
        /// and the base (parabolic), towards segment angle `longAxisCurvatureAngleDeg`. A realism field; nil: 0.
        public var longAxisCurvatureMm: Double? = nil
        public var longAxisCurvatureAngleDeg: Double? = nil

        /// The spheroid's long / short semi-axis ratio: given, or from the sphericity index SI = 2a / (c (1 + fb))
        /// (cavity diameter 2a, length from the apex at -c to the base at +fb c), or 2.2.
        public var resolvedLengthToDiameterRatio: Double {
            if let k = lengthToDiameterRatio { return k }
            // Held to 1-4.5 (wider than the file field's 1.2-3, so the drawn index is the heart's for every
            // baseTruncation the index range allows in practice).
            if let si = sphericityIndex { return min(4.5, max(1, 2 / (si * (1 + baseTruncation)))) }
            return 2.2
        }
    }

    /// Mechanical activation: the generator's per-point onset of contraction.
    public struct Activation: Codable, Sendable, Equatable {
        /// `lbbb` (septum first, lateral/posterolateral last), `normal`, `rbbb`, or `explicit` (per-segment map).
        public var pattern: String = "lbbb"
        /// Delay between the earliest and latest LV onset (ms). 0-300. Defaults: lbbb 120, normal 30, rbbb 50.
        public var totalDelayMs: Double? = nil
        /// Earliest mechanical onset after the R-wave trigger (ms). 0-200.
        public var earliestOnsetMs: Double = 20
        /// Segment angle of the latest activated site (degrees). A realism field: drawn per patient under
        /// `clinical`; under `ideal` the pattern's default (lbbb 220, inferolateral/posterolateral).
        public var latestAngleDeg: Double? = nil
        /// Height of the latest activated site as a fraction from base (0) to apex (1). A realism field; unset
        /// (`ideal`), the latest site is at the base.
        public var latestHeightFraction: Double? = nil
        /// Conduction velocity round a transmural scar (mm/ms): points behind it are reached round its edge (U-shaped
        /// activation). A realism field; unset (`ideal`), scar does not delay activation.
        public var scarConductionVelocityMmPerMs: Double? = nil
        /// Onset per 36-segment id (ms), for `explicit`; missing ids take `earliestOnsetMs`.
        public var explicitOnsetMs: [Int: Double] = [:]

        public var resolvedTotalDelayMs: Double {
            if let d = totalDelayMs { return d }
            switch pattern { case "normal": return 30; case "rbbb": return 50; default: return 120 }
        }
        public var resolvedLatestAngleDeg: Double {
            if let a = latestAngleDeg { return a }
            switch pattern { case "rbbb": return 30; case "normal": return 270; default: return 220 }
        }
    }

    /// Motion over one R-R interval.
    public struct Motion: Codable, Sendable, Equatable {
        /// Heart rate (beats per minute). 40-150.
        public var heartRatePerMin: Double = 75
        /// Peak radial (thickening) strain of healthy myocardium (fraction, 0.30 = 30 %). 0-0.8.
        public var peakRadialStrain: Double = 0.30
        /// Peak longitudinal strain of the LV (fraction, negative = shortening). -0.3-0.
        public var peakLongitudinalStrain: Double = -0.10
        /// Time from onset to peak contraction (ms). 100-500.
        public var contractionMs: Double = 260
        /// Time from peak back to rest (ms). 80-500.
        public var relaxationMs: Double = 200
        /// Residual thickening of fully transmural scar, as a fraction of healthy (0.1 gives < 5 % strain
        /// when healthy is 30 %). 0-1.
        public var transmuralScarResidual: Double = 0.1
        /// Passive stretch of transmural scar: systolic thinning as a fraction of the healthy peak radial strain,
        /// taken off the residual thickening (so the scar's radial strain goes negative). A realism field; nil: 0.
        public var scarPassiveStretch: Double? = nil

        public var rrIntervalMs: Double { 60000 / heartRatePerMin }
    }

    /// A scar region (core plus grey border zone), placed on the 36-segment model.
    public struct ScarRegion: Codable, Sendable, Equatable {
        /// Centre as a 36-segment id (1-36); used when `centreAngleDeg` is not given.
        public var centreSegment: Int? = nil
        /// Centre segment angle (degrees, 0 at the anterior RV insertion, through the septum). 0-360.
        public var centreAngleDeg: Double? = nil
        /// Centre height as a fraction from base (0) to endocardial apex (1). 0-1.
        public var centreHeightFraction: Double? = nil
        /// Angular extent (degrees, full width). 10-360.
        public var angularExtentDeg: Double = 70
        /// Longitudinal extent as a fraction of the cavity length (full height). 0.05-1.
        public var heightExtentFraction: Double = 0.4
        /// Transmural extent of the core from the endocardium at the centre (fraction, 1 = transmural). 0-1.
        public var transmurality: Double = 1.0
        /// Width of the grey border zone around the core (mm). 0-10.
        public var borderZoneMm: Double = 3
        /// Where in the wall the core lies: from the endocardium (ischaemic), centred mid-wall or from the epicardium
        /// (non-ischaemic patterns); `transmurality` is then the fraction of the wall it spans.
        public var layer: ScarLayer = .subendocardial
    }

    /// The wall layer of a scar (ScarTissue.swift).
    public enum ScarLayer: String, Codable, Sendable, Equatable, CaseIterable {
        case subendocardial, midwall, epicardial
    }

    /// Texture and extra findings of scar tissue, all realism fields (`RealismField.scarTissueFields`,
    /// Phantoms/README.md); nil takes the neutral value of the smooth, homogeneous scar of `realism: ideal`.
    public struct ScarTissue: Codable, Sendable, Equatable {
        /// Random wobble of every scar's border, as a fraction of its half-extents; nil: 0.
        public var borderIrregularity: Double? = nil
        /// Threshold on a smooth noise field below which the core is surviving myocardium within grey zone
        /// (islands, interdigitation); 0 none; nil: 0.
        public var patchiness: Double? = nil
        /// Spread of gadolinium uptake within the core: enhancement 1 - h x noise (0-1); nil: 0.
        public var coreHeterogeneity: Double? = nil
        /// Grey-zone enhancement as a fraction of the core's relaxation-rate change; nil: 0.3.
        public var greyZoneEnhancement: Double? = nil
        /// Microvascular obstruction: radius of the unenhanced centre of a transmural ischaemic core, as a fraction
        /// of its footprint, in the core's endocardial half; counted as scar in the truth; nil: 0.
        public var microvascularObstruction: Double? = nil
        /// 1: fibrosis of the RV wall at both insertion points (RV scar, not LV scar); nil: 0.
        public var rvInsertionFibrosis: Double? = nil
        /// 1: a septal mid-wall stripe of fibrosis (non-ischaemic cardiomyopathy); nil: 0.
        public var septalMidwallStripe: Double? = nil
        /// Pattern number of the texture's noise fields (0-9999); nil: 0.
        public var texturePattern: Double? = nil
    }

    /// The coronary venous tree on the epicardium.
    public struct Veins: Codable, Sendable, Equatable {
        /// Number of lateral / posterolateral branches. 1-3.
        public var lateralBranches: Int = 2
        /// Segment angles (degrees) where the lateral branches leave the coronary sinus; defaults spread 200-260.
        public var branchAnglesDeg: [Double]? = nil
        /// Radius of the coronary sinus (mm). 2-6.
        public var coronarySinusRadiusMm: Double = 4
        /// Radius of the branches (mm). 0.75-2.
        public var branchRadiusMm: Double = 1.25
        // Realism fields (`RealismField.veinFields`, VeinVariation.swift): nil keeps the model's fixed course.
        /// Height of the coronary sinus in the AV groove above the local mitral annulus ring (mm); nil: 3.
        public var csAboveBaseMm: Double? = nil
        /// Segment angle of the coronary sinus ostium from the inferior RV insertion (degrees); nil: -5.
        public var ostiumFromInferiorDeg: Double? = nil
        /// Segment angle where the coronary sinus becomes the great cardiac vein (degrees); nil: 240.
        public var greatCardiacVeinStartDeg: Double? = nil
        /// Segment angle of the distal end of the anterior interventricular vein (degrees, 360 = anterior groove);
        /// nil: 358.
        public var aivEndAngleDeg: Double? = nil
        /// Segment angle of the middle cardiac vein origin from the inferior RV insertion (degrees); nil: 3.
        public var mcvOriginFromInferiorDeg: Double? = nil
        /// Where the AIV ends, as a fraction of the cavity length from the base towards the endocardial apex; nil: 0.85.
        public var aivEndFraction: Double? = nil
        /// Where the lateral branches end, as a fraction of the cavity length from the base; nil: 0.7.
        public var branchEndFraction: Double? = nil
        /// Number of lateral / posterolateral branches drawn per patient (1-3); nil: `lateralBranches`.
        public var lateralBranchCount: Double? = nil
        /// Shift of every default branch angle (degrees); nil: 0. Not applied to angles given in `branchAnglesDeg`.
        public var branchAngleShiftDeg: Double? = nil
        /// Scale of the spacing between default branch angles about their mean; nil: 1.
        public var branchSpacingScale: Double? = nil
        /// How far a branch drifts in segment angle from its origin to its end (degrees); nil: 12.
        public var branchDriftDeg: Double? = nil
        /// Tortuosity of the lateral branches: amplitude (mm, along the epicardium, across the branch) and period
        /// (mm along the branch) of a sinusoidal wiggle; nil: 0 (straight) and 25.
        public var branchTortuosityMm: Double? = nil
        public var branchTortuosityPeriodMm: Double? = nil
    }

    /// CMR acquisition settings and perturbations.
    public struct CMRSettings: Codable, Sendable, Equatable {
        public var cine = SeriesSettings()
        public var lge = SeriesSettings(snr: 40)
        /// LGE cardiac phase as a fraction of the R-R interval (mid-diastole). 0.5-0.9.
        public var lgeTriggerFraction: Double = 0.7
        /// Error of the inversion time relative to the remote-myocardium null of the first LGE slice (ms). -150-150.
        /// A realism field (ScanVariation.swift): unset, 0 (`ideal`) or drawn per case (`clinical`).
        public var inversionTimeErrorMs: Double? = nil
        /// SD of the heart's displacement between breath-holds, per slice, each direction (mm). 0-10. A realism
        /// field; `--misregistration-mm` overrides it.
        public var sliceMisregistrationMm: Double? = nil
        /// SD of the heart's rotation between breath-holds, per slice, each component of the rotation vector
        /// (degrees, about the LV centre). 0-10. A realism field.
        public var sliceMisregistrationRotationDeg: Double? = nil
        /// Operator's planning: distance along the true long axis from the LV base plane to the basal face of the
        /// first slice (mm, positive towards the apex). -20-20. A realism field.
        public var planningBaseOffsetMm: Double? = nil
        /// Operator's planning: signed angle between the stack normal and the true LV long axis (degrees), leaning
        /// towards `planningTiltAzimuthDeg` (negative: the opposite wall). -30-30.
        public var planningTiltDeg: Double? = nil
        /// Direction of that tilt: segment angle (degrees, 0 anterior RV insertion, through the septum) towards
        /// which the planned apex direction leans. 0-360.
        public var planningTiltAzimuthDeg: Double? = nil
        /// Receive coil elements (sum-of-squares reconstruction). 1-64. Unset: one spatially uniform coil.
        public var receiveCoils: Double? = nil
        /// The scanner's surface-coil intensity correction: the image is divided by (combined sensitivity)^this.
        /// 0-1 (0 raw sum of squares, 1 flat signal with noise rising away from the coils). Unset: 0.
        public var coilIntensityCorrection: Double? = nil
        /// Increase of the remote-myocardium null inversion time per LGE slice while the TI stays as set (ms per
        /// slice, gadolinium wash-out). 0-15.
        public var inversionTimeDriftMsPerSlice: Double? = nil
        /// Post-contrast T1 of blood at the LGE (ms). 150-600. Unset: the tissue table (300 ms).
        public var bloodT1PostMs: Double? = nil
        /// Flip angle of the bSSFP cine (degrees). 20-90.
        public var cineFlipAngleDeg: Double = 60
    }

    /// Geometry and noise of one short-axis series.
    public struct SeriesSettings: Codable, Sendable, Equatable {
        /// Number of short-axis slices from the base towards the apex. 1-30.
        public var slices: Int = 12
        /// Slice thickness (mm). 2-15.
        public var sliceThicknessMm: Double = 8
        /// Gap between slices (mm). 0-10.
        public var sliceGapMm: Double = 2
        /// In-plane pixel size (mm). 0.8-4.
        public var pixelMm: Double = 1.8
        /// Square field of view (mm). 150-500.
        public var fovMm: Double = 345.6
        /// Cardiac phases per R-R (cine only). 1-60.
        public var phases: Int = 25
        /// SNR: tissue mean / noise SD (cine: myocardium; LGE: scar). 2-1000.
        public var snr: Double = 30
        /// Object oversampling before the k-space crop (per in-plane axis). 1-4.
        public var oversampling: Int = 2
        /// Object samples across the slice thickness (partial volume through the slice). 1-8.
        public var throughSliceSamples: Int = 3

        public init(snr: Double = 30) { self.snr = snr }
        public var matrix: Int { Int((fovMm / pixelMm).rounded()) }
    }

    /// Dual-view fluoroscopy: C-arm geometry, dose, detector, the heart's pose on the table, contrast, the LV
    /// lead and the operator's landmark clicks (Phantoms/README.md, section xray).
    public struct XRaySettings: Codable, Sendable, Equatable {
        /// Views (name, PositionerPrimaryAngle LAO+ / RAO-, PositionerSecondaryAngle CRA+ / CAU-); 1-4 views.
        public var views: [View] = [View(name: "LAO40", primaryAngleDeg: 40, secondaryAngleDeg: 0),
                                    View(name: "RAO30", primaryAngleDeg: -30, secondaryAngleDeg: 0)]
        /// DistanceSourceToDetector (mm). 700-1500.
        public var sourceToDetectorMm: Double = 1100
        /// DistanceSourceToPatient, source to isocentre (mm). 400-1200, at least 150 below the detector distance.
        public var sourceToPatientMm: Double = 800
        /// Detector rows and columns. 32-2048.
        public var detectorRows: Int = 512
        public var detectorColumns: Int = 512
        /// ImagerPixelSpacing, square pixels (mm at the detector). 0.05-3.
        public var pixelSpacingMm: Double = 0.6
        /// Photons per detector pixel in the unattenuated beam (quantum noise level). 100-1e7.
        public var photonsPerPixel: Double = 30000
        /// Detector blur: Gaussian point-spread SD (pixels); 0 = none. 0-5.
        public var blurSigmaPx: Double = 0.8
        /// Cardiac phase of the X-ray images as a fraction of the R-R interval (mid-diastole). 0-0.99.
        public var cardiacPhaseFraction: Double = 0.75
        /// Heart pose on the table: SD of the unknown shift of the heart centre from the isocentre, per world
        /// axis (mm). 0-50.
        public var poseShiftSDMm: Double = 10
        /// SD of the unknown rotation about each world axis (degrees). 0-30.
        public var poseRotationSDDeg: Double = 5
        /// Operator click noise: Gaussian SD per pixel axis (pixels). 0-20.
        public var clickNoiseSDPx: Double = 2
        /// Voxel size of the attenuation volume (mm, isotropic). 1-4.
        public var voxelMm: Double = 2
        /// Iodine concentration of the contrast in the occluded veins (mg iodine per mL). 0-400.
        public var contrastIodineMgPerMl: Double = 150
        /// The quadripolar LV lead and the chance of missing the best vein.
        public var lead = Lead()
        // Realism fields (`RealismField.xrayFields`, VenogramRealism.swift): nil keeps the venogram of crtsim's
        // earlier releases (every vein filled evenly to its end, every landmark clicked at its true projection).
        /// Click model: 1 = the operator clicks only what the venogram shows (`VisibleClickModel`); nil or 0 = every
        /// landmark, the LV apex included, at its exact projection.
        public var visibleClicks: Double? = nil
        /// Balloon-occlusion filling of the tributaries (AIV, MCV, lateral branches): mean fraction of a tributary's
        /// length the contrast reaches; nil: 1.
        public var fillReachMean: Double? = nil
        /// Mean iodine concentration in a tributary relative to the injected contrast; nil: 1.
        public var fillConcentrationMean: Double? = nil
        /// Unevenness: SD of a tributary's reach (fraction of its length) and relative SD of its concentration; nil: 0.
        public var fillUnevenness: Double? = nil
        /// Probability that a tributary takes no contrast at all; nil: 0.
        public var unfilledBranchProbability: Double? = nil
        /// Length over which the contrast fades to nothing at the filled front (mm); nil: 0 (sharp).
        public var fillFadeMm: Double? = nil
        /// Time constant of the tributaries' contrast clearing over the venogram run (s): each frame's tributary
        /// contrast is exp(-t / tau) of the first frame's; nil: no wash-out.
        public var washoutTimeConstantS: Double? = nil
        // Motion and time (realism fields, AcquisitionRealism.swift): nil keeps one image per view and state at one
        // instant and one pose.
        /// Frames of each view's venogram run; nil: one image, no motion.
        public var venogramFrames: Double? = nil
        /// Frame rate of the venogram run (frames/s); nil: 7.5.
        public var frameRateFps: Double? = nil
        /// Respiratory motion of the heart at end-inspiration from end-expiration: caudal and anterior translation
        /// (mm) and rotation about the patient's left-right axis (degrees); nil: 0.
        public var respiratorySIMm: Double? = nil
        public var respiratoryAPMm: Double? = nil
        public var respiratoryRotationDeg: Double? = nil
        /// Breathing period (s); nil: 4.
        public var respiratoryPeriodS: Double? = nil
        /// The patient's movement between the venogram and the lead image: SD per axis of the shift (mm) and the
        /// rotation (degrees); nil: 0.
        public var patientShiftSDMm: Double? = nil
        public var patientRotationSDDeg: Double? = nil
        // Image formation (realism fields, ImageFormationRealism.swift): nil keeps the scatter-free images of
        // crtsim's earlier releases.
        /// Scatter fraction behind the anti-scatter grid over the detector's central quarter (`ScatterModel`); nil: no scatter.
        public var scatterFraction: Double? = nil
        /// SD of the scatter kernel at the detector (mm); nil: 40.
        public var scatterKernelSDMm: Double? = nil
        /// Peak tube voltage (kVp) of a polyenergetic beam (`XRaySpectrum`); nil: the mono-energetic 60 keV beam.
        public var tubeVoltageKVp: Double? = nil
        /// Added copper filtration of that beam (mm); nil: none.
        public var copperFilterMm: Double? = nil
        /// The heart in the cath lab under another loading than at CMR: relative change of the LV end-diastolic
        /// volume (`PhantomSpec.cathLabSpec`); nil or 0: the CMR heart.
        public var cathLabVolumeChange: Double? = nil
        /// Other devices in the field (realism fields, DeviceVariation.swift): nil (also under `realism: ideal`)
        /// is none, the scene of crtsim's earlier releases.
        public var devices: Devices? = nil
        /// `devices` as a value to read and write field by field (the realism fields' key paths); an all-unset
        /// value is stored as nil so that phantom.json keeps no empty `devices` section.
        public var deviceSettings: Devices {
            get { devices ?? Devices() }
            set { devices = newValue == Devices() ? nil : newValue }
        }

        public init() {}

        public struct View: Codable, Sendable, Equatable {
            /// Name used in file names (letters, digits, '-', '_'); default from the angles (e.g. LAO40).
            public var name: String
            /// PositionerPrimaryAngle (degrees, LAO positive). -120-120.
            public var primaryAngleDeg: Double
            /// PositionerSecondaryAngle (degrees, cranial positive). -60-60.
            public var secondaryAngleDeg: Double
            public init(name: String, primaryAngleDeg: Double, secondaryAngleDeg: Double) {
                self.name = name; self.primaryAngleDeg = primaryAngleDeg; self.secondaryAngleDeg = secondaryAngleDeg
            }
        }

        public struct Lead: Codable, Sendable, Equatable {
            /// Distance from the distal (tip) electrode to the most proximal of the four (mm). 30-50.
            public var electrodeSpanMm: Double = 40
            /// Probability that the best vein branch cannot be entered (no venous access). 0-1.
            public var noVenousAccessProbability: Double = 0.17
            /// Probability that the best position has an unacceptable pacing threshold. 0-1.
            public var highThresholdProbability: Double = 0.07
            /// Probability of phrenic nerve stimulation at the best position. 0-1.
            public var phrenicStimulationProbability: Double = 0.035
            /// Smallest vein radius the lead can enter (mm). 0.5-2.
            public var minimumVeinRadiusMm: Double = 0.8
            /// Realism field: catalogue number of the lead model (`LeadCatalogue`, 1-based); nil: crtsim's
            /// generic quadripolar lead (four 3-mm rings over `electrodeSpanMm`).
            public var model: Double? = nil
            public init() {}
        }

        /// Realism fields of the devices other than the LV lead (0 absent / 1 present unless noted); nil is 0.
        public struct Devices: Codable, Sendable, Equatable {
            /// RV lead in place (pacing lead, or the ICD lead when `icd` is 1).
            public var rvLead: Double? = nil
            /// RV lead tip position: 0 apex, 1 mid septum.
            public var rvLeadSeptal: Double? = nil
            /// The RV lead is a defibrillator lead with a shock coil (CRT-D).
            public var icd: Double? = nil
            /// Right atrial lead (screw-in, RA appendage).
            public var raLead: Double? = nil
            /// Coronary sinus delivery sheath and guide wire in the venogram.
            public var sheath: Double? = nil
            public init() {}
        }
    }
}

