import CRTCore
import FluoroGuidance
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import SegmentModel
import SyntheticCase
import XRaySimulation

/// One scenario case end to end: generate the synthetic patient, perturb what the scanner and C-arm record, run
/// the guidance pipeline on the images (the CMR stage, then the fluoroscopy stage), score against the truth, and
/// repeat the operator's steps as a second observer. Only the scoring reads `truth/`; the pipeline gets `cmr/`,
/// `xray/` and `operator/` folders.
public struct CaseEvaluation: Sendable {
    public var scenario: Scenario
    public var presetFolder: String
    /// Score analyses made earlier (`crtsim run --analyses DIR`: DIR/case-<i>/) instead of running a pipeline.
    public var analysesFolder: String?

    public init(scenario: Scenario, presetFolder: String, analysesFolder: String? = nil) {
        self.scenario = scenario; self.presetFolder = presetFolder; self.analysesFolder = analysesFolder
    }

    /// What an observer found (the second: other scar threshold, other clicks, and with the human-variability
    /// model other contours, RV insertion points and FWHM reference).
    public struct ObserverResult: Codable, Sendable {
        public var scarredSegments: [Bool]
        public var scarBurdenPercent: Double
        public var primaryTarget: Int?
        public var leadCategory36: String?
        /// The second observer's model: "clicks" (threshold and clicks) or "human" (`Scenario.HumanVariability`);
        /// nil for the first observer and in results written before the model existed (read as "clicks").
        public var model: String?
        /// With `model` "human", what was drawn: the systematic endo- and epicardial offsets (mm), the rotation of
        /// each RV insertion point (degrees), the FWHM reference as a fraction of the brightest signal.
        public var contourBiasMm: [Double]?
        public var rvInsertionRotationDeg: [String: Double]?
        public var fwhmReferenceScale: Double?
        public init(scarredSegments: [Bool], scarBurdenPercent: Double, primaryTarget: Int?, leadCategory36: String?, model: String? = nil) {
            self.scarredSegments = scarredSegments; self.scarBurdenPercent = scarBurdenPercent
            self.primaryTarget = primaryTarget; self.leadCategory36 = leadCategory36; self.model = model
        }
    }

    public struct Result: Codable, Sendable {
        public var index: Int, preset: String, seed: UInt64
        /// Group labels: icm, lbbb, phantom, sweep.
        public var groups: [String: String]
        public var score: AnalysisScore
        public var registration: RegistrationScore?
        public var registrationTrials: [RegistrationTrials.Trial]?
        public var firstObserver: ObserverResult?
        public var secondObserver: ObserverResult?
        /// The other pipelines of an A/B comparison on this case (`Scenario.comparedPipelines`, in their order).
        public var compared: [ComparedOutcome]?
        /// `CaseScoring.analysisHash` of the analysis scored (`crtsim merge` re-scores a case whose analysis changed).
        public var analysisHash: String?
        /// Which heart (a hash of the phantom's geometry) and which scar pattern (a hash of its scar regions) the
        /// case has: cases that share one are not independent patients (`MetricUncertainty`).
        public var anatomy: String?
        public var scarPattern: String?
        /// Scores left null and why (coverage: "registration" -> "missing key heartPose in analysis.json").
        public var missing: [String: String]?
        /// The case has fluoroscopy and the analysis no pose: a registration failure in the metrics (`NotRegistered`).
        public var notRegistered: NotRegistered?

        public init(index: Int, preset: String, seed: UInt64, groups: [String: String] = [:], score: AnalysisScore,
                    registration: RegistrationScore? = nil, registrationTrials: [RegistrationTrials.Trial]? = nil,
                    firstObserver: ObserverResult? = nil, secondObserver: ObserverResult? = nil) {
            self.index = index; self.preset = preset; self.seed = seed; self.groups = groups; self.score = score
            self.registration = registration; self.registrationTrials = registrationTrials
            self.firstObserver = firstObserver; self.secondObserver = secondObserver
        }

        /// A case's result from its `CaseScoring` scores (score, registration, not-registered, missing).
        public init(index: Int, preset: String, seed: UInt64, groups: [String: String], scores: CaseScoring.Scores) {
            self.init(index: index, preset: preset, seed: seed, groups: groups, score: scores.score, registration: scores.registration)
            notRegistered = scores.notRegistered
            missing = scores.missing.isEmpty ? nil : scores.missing
        }
    }

    /// A case whose pipeline failed (an external command that exited non-zero, timed out, or wrote an analysis
    /// that does not read): no scores, the reason and the end of its log. It counts in `pipeline.failure_rate`.
    public struct Failed: Error, Codable, Sendable {
        public var index: Int, preset: String, seed: UInt64
        public var reason: String
        public var logTail: [String]
        /// The other pipelines of an A/B comparison, which still ran on the case.
        public var compared: [ComparedOutcome]?
    }

    /// One compared pipeline on one case (A/B, `Scenario.comparedPipelines`): its scores, or why it failed.
    /// Its analysis is kept in `analysis-<name>/` and an external command's log in `pipeline-<name>.log`.
    public struct ComparedOutcome: Codable, Sendable {
        public var pipeline: String
        public var score: AnalysisScore?
        public var registration: RegistrationScore?
        /// The case has fluoroscopy and this pipeline's analysis no pose (`NotRegistered`).
        public var notRegistered: NotRegistered?
        /// Why the pipeline failed on this case (nil when it has scores).
        public var failure: String?
        public var logTail: [String]?
        /// `CaseScoring.analysisHash` of `analysis-<name>/` when scored.
        public var analysisHash: String?
        public init(pipeline: String, score: AnalysisScore? = nil, registration: RegistrationScore? = nil,
                    failure: String? = nil, logTail: [String]? = nil) {
            self.pipeline = pipeline; self.score = score; self.registration = registration
            self.failure = failure; self.logTail = logTail
        }
    }

    /// Wall-clock seconds of one case's stages (timing.json; never in results.json, which must be the same bytes
    /// on every run).
    public struct Timing: Codable, Sendable, Equatable {
        public var index: Int
        /// Phantom and image generation.
        public var generationSeconds: Double
        /// The pipeline's stages (CMR, registration).
        public var analysis: CaseAnalysis.Timing
        public init(index: Int, generationSeconds: Double, analysis: CaseAnalysis.Timing) {
            self.index = index; self.generationSeconds = generationSeconds; self.analysis = analysis
        }
    }

    /// Generates, analyses and scores case `i` into `base` (`case/`, `analysis/`, and `operator-observer2/` with a
    /// second observer).
    public func run(index i: Int, into base: String) throws -> (result: Result, timing: Timing) {
        let caseDir = base + "/case"
        let t0 = Date()
        let (spec, summary, g) = try generate(index: i, into: caseDir)
        let generationSeconds = Date().timeIntervalSince(t0)
        guard !scenario.comparedPipelines.isEmpty else {
            return try runJudged(index: i, base: base, spec: spec, summary: summary, gridPoint: g, generationSeconds: generationSeconds)
        }
        // A/B: the judged pipeline, then each compared one on the same case files; a failure of one does not stop the others.
        let judged: Swift.Result<(result: Result, timing: Timing), Failed>
        do {
            judged = .success(try runJudged(index: i, base: base, spec: spec, summary: summary, gridPoint: g, generationSeconds: generationSeconds))
        } catch let f as Failed {
            judged = .failure(f)
        }
        let compared = try scenario.comparedPipelines.map { try runCompared($0, caseDirectory: caseDir, base: base) }
        switch judged {
        case .success(var r):
            r.result.compared = compared
            return r
        case .failure(var f):
            f.compared = compared
            throw f
        }
    }

    /// Runs a compared pipeline of an A/B scenario on the case in `caseDirectory` into `base/analysis-<name>/` and
    /// scores it; a pipeline failure (command exit, timeout, analysis that does not read) is recorded, not thrown.
    func runCompared(_ p: Scenario.NamedPipeline, caseDirectory caseDir: String, base: String) throws -> ComparedOutcome {
        let dir = base + "/analysis-\(p.name)"
        var outcome = ComparedOutcome(pipeline: p.name)
        do {
            if let external = p.settings.external {
                let log = base + "/pipeline-\(p.name).log"
                do { try external.run(caseDirectory: caseDir, out: dir, log: log) } catch let f as ExternalPipeline.Failure {
                    outcome.failure = f.reason; outcome.logTail = f.logTail
                    return outcome
                }
            } else {
                let analysis = try CaseAnalysis.run(cmrFolder: caseDir + "/cmr", configuration: configuration(p.settings),
                                                    fusion: scenario.fluoroscopy ? fusionSettings() : nil)
                _ = try analysis.write(to: dir, replace: true)
            }
            let scores = try CaseScoring.score(caseDirectory: caseDir, analysisDirectory: dir)
            outcome.score = scores.score
            outcome.registration = scores.registration
            outcome.notRegistered = scores.notRegistered
            outcome.analysisHash = try CaseScoring.analysisHash(dir)
        } catch let e as InputError where p.settings.external != nil {
            outcome.failure = e.message
        }
        return outcome
    }

    /// The judged pipeline on case `i`, generated in `base/case`: analysis in `base/analysis`, scored.
    func runJudged(index i: Int, base: String, spec: PhantomSpec, summary: CaseGenerator.Summary, gridPoint g: Int,
                   generationSeconds: Double) throws -> (result: Result, timing: Timing) {
        let caseDir = base + "/case", analysisDir = base + "/analysis"
        let seed = scenario.caseSeed(i)

        let truth = summary.truth
        if let analyses = analysesFolder {
            // Analyses made earlier by the user's own batch (`crtsim run --analyses DIR`): DIR/case-<i>/.
            let source = analyses + "/case-\(i)"
            guard FileManager.default.fileExists(atPath: source + "/analysis.json") else {
                throw Failed(index: i, preset: spec.name, seed: seed, reason: "no analysis: \(source)/analysis.json not found", logTail: [])
            }
            let scores: CaseScoring.Scores
            do {
                try FileManager.default.copyItem(atPath: source, toPath: analysisDir)
                scores = try CaseScoring.score(caseDirectory: caseDir, analysisDirectory: analysisDir)
            } catch let e as InputError {
                throw Failed(index: i, preset: spec.name, seed: seed, reason: e.message, logTail: [])
            }
            var result = Result(index: i, preset: spec.name, seed: seed, groups: groups(spec: spec, truth: truth, gridPoint: g),
                                scores: scores)
            (result.anatomy, result.scarPattern) = Self.patientIdentity(spec, seed: seed)
            result.analysisHash = try CaseScoring.analysisHash(analysisDir)
            return (result, Timing(index: i, generationSeconds: generationSeconds, analysis: CaseAnalysis.Timing(cmrSeconds: 0)))
        }
        if let external = scenario.pipeline.external {
            // A user's pipeline: it sees only the clinic's hand-over; its analysis is read from its files and scored.
            let log = base + "/pipeline.log"
            let t1 = Date()
            let scores: CaseScoring.Scores
            do {
                try external.run(caseDirectory: caseDir, out: analysisDir, log: log)
                scores = try CaseScoring.score(caseDirectory: caseDir, analysisDirectory: analysisDir)
            } catch let f as ExternalPipeline.Failure {
                throw Failed(index: i, preset: spec.name, seed: seed, reason: f.reason, logTail: f.logTail)
            } catch let e as InputError {
                throw Failed(index: i, preset: spec.name, seed: seed, reason: e.message, logTail: ExternalPipeline.tail(of: log))
            }
            var result = Result(index: i, preset: spec.name, seed: seed, groups: groups(spec: spec, truth: truth, gridPoint: g),
                                scores: scores)
            (result.anatomy, result.scarPattern) = Self.patientIdentity(spec, seed: seed)
            result.analysisHash = try CaseScoring.analysisHash(analysisDir)
            return (result, Timing(index: i, generationSeconds: generationSeconds,
                                   analysis: CaseAnalysis.Timing(cmrSeconds: Date().timeIntervalSince(t1))))
        }

        // The shipped analysis path (`crtsim analyze`): the CMR pipeline, then the fluoroscopy stage when the case has one.
        // A case it cannot analyse (a study it refuses) is a failed case, counted in `pipeline.failure_rate`, as for
        // a user's pipeline; the run goes on. Views it cannot register (too few landmarks clicked in two views) leave
        // the CMR result scored and the case counted as not registered (`NotRegistered`).
        let analysis: CaseAnalysis
        do {
            analysis = try CaseAnalysis.run(cmrFolder: caseDir + "/cmr",
                                            configuration: configuration(scenario.pipeline),
                                            fusion: scenario.fluoroscopy ? fusionSettings() : nil)
            _ = try analysis.write(to: analysisDir, replace: true)
        } catch let e as InputError {
            throw Failed(index: i, preset: spec.name, seed: seed, reason: e.message, logTail: [])
        }
        let output = analysis.output, study = analysis.study

        // Scored from the files, as any pipeline's analysis is (`CaseScoring`, also `crtsim score`).
        let scores = try CaseScoring.score(caseDirectory: caseDir, analysisDirectory: analysisDir)
        var result = Result(index: i, preset: spec.name, seed: seed, groups: groups(spec: spec, truth: truth, gridPoint: g),
                            scores: scores)
        (result.anatomy, result.scarPattern) = Self.patientIdentity(spec, seed: seed)
        result.analysisHash = try CaseScoring.analysisHash(analysisDir)
        if let fusion = analysis.fusion, let fluoro = analysis.fluoroscopy {
            if scenario.registrationStarts > 0,
               let poses = RegistrationScore.truePoses(truth, frames: output.result.fluoroscopy?.venogramFrames) {
                let points = try RegistrationScore.myocardiumPoints(caseDirectory: caseDir)
                result.registrationTrials = RegistrationTrials.run(
                    study: fluoro, fusion: fusion, truePoses: poses, pointsMm: points,
                    count: scenario.registrationStarts, maxStartErrorMm: scenario.maxStartErrorMm, seed: seed)
            }
        }
        if let observer = scenario.secondObserver {
            result.firstObserver = ObserverResult(scarredSegments: output.result.segments.map(\.scarred),
                                                  scarBurdenPercent: output.result.scarBurdenPercent,
                                                  primaryTarget: output.result.primaryTarget,
                                                  leadCategory36: output.result.lead?.category36?.rawValue)
            result.secondObserver = try secondObserver(observer, study: study, first: output, caseDir: caseDir, base: base, truth: truth, seed: seed)
        }
        return (result, Timing(index: i, generationSeconds: generationSeconds, analysis: analysis.timing))
    }

    /// Generates case `i` of the scenario into `caseDir` (the whole case, truth included) and applies the scenario's
    /// C-arm miscalibration to what the C-arm recorded. `crtsim generate` and `run` share it.
    /// - Returns: the phantom, the generator's summary (with the truth) and the sweep grid point.
    public func generate(index i: Int, into caseDir: String) throws -> (spec: PhantomSpec, summary: CaseGenerator.Summary, gridPoint: Int) {
        let (phantom, g) = scenario.assignment(i)
        let seed = scenario.caseSeed(i)
        let drawn = scenario.variation.drawnSettings(caseSeed: seed)
        let spec = try scenario.phantomSpec(phantom: phantom, gridPoint: g, drawn: drawn, presetFolder: presetFolder)
        let summary = try CaseGenerator.generate(spec: spec, seed: seed, out: caseDir, replace: true, previews: false,
                                                 xray: scenario.fluoroscopy, xrayVolume: false)
        if scenario.fluoroscopy { try miscalibrate(xrayDirectory: caseDir + "/xray", seed: seed) }
        return (spec, summary, g)
    }

    /// A short hash (FNV-1a, 8 hex digits) of a value's sorted-key JSON: equal for the same anatomy or scar pattern.
    /// The identities of the case's patient as generated: the anatomy and the scar of the phantom resolved with the
    /// case seed (the realism fields drawn), so each clinical case is its own patient (the bootstrap by anatomy).
    static func patientIdentity(_ spec: PhantomSpec, seed: UInt64) -> (anatomy: String, scarPattern: String) {
        let patient = spec.resolved(seed: seed)
        return (identity(patient.anatomy), identity(patient.effectiveScars))
    }

    static func identity<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in (try? encoder.encode(value)) ?? Data() { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        return String(format: "%08llx", h >> 32)
    }

    /// Group labels of a case: icm, lbbb, phantom, sweep.
    func groups(spec: PhantomSpec, truth: GroundTruth, gridPoint g: Int) -> [String: String] {
        [
            // Ischaemic by "history" (the phantom has a scar) or scar >= 5 % of the LV myocardium (DOMAIN.md section 1).
            "icm": !spec.scars.isEmpty || truth.scarBurdenPercent >= 5 ? "ICM" : "non-ICM",
            "lbbb": spec.activation.pattern == "lbbb" ? "LBBB" : "non-LBBB",
            "phantom": spec.name,
            "sweep": scenario.variation.gridPoint(g).label,
        ]
    }

    /// The fluoroscopy stage's settings: the scenario's ring convention, when it sets one.
    func fusionSettings() -> DualViewFusion.Settings {
        var settings = DualViewFusion.Settings()
        if let rings = scenario.ringBoundaries { settings.standardHeart.rings = rings }
        return settings
    }

    /// The built-in pipeline's configuration for `settings`, with the scar threshold `threshold` when given (the
    /// second observer's), and the scenario's ring convention when it sets one.
    func configuration(_ settings: Scenario.PipelineSettings, threshold: Double? = nil) -> PipelineConfiguration {
        var config = PipelineConfiguration()
        if let rings = scenario.ringBoundaries { config.geometry.rings = rings }
        config.scar.thresholdFraction = threshold ?? settings.scarThresholdFraction
        config.scar.method = ScarDetection.Method(rawValue: settings.scarMethod) ?? .fwhm
        config.scar.nSD = settings.nSD
        return config
    }

    /// The second observer repeats the operator's steps: the scar threshold of their choice, and their own clicks
    /// (the landmarks' true projections plus new Gaussian noise, label "observer2.clicks.<VIEW>", written to
    /// `operator-observer2/` in the operator's format). With the human-variability model (`o.human`) they also draw
    /// their own contours (radial offsets of the tracked borders), click the RV insertion points at an angle from
    /// the first observer's (`first`), and take their own FWHM reference region (`ObserverModel`); all of it enters
    /// as operator inputs and scar settings of the same pipeline.
    func secondObserver(_ o: Scenario.Observer, study: CMRStudy, first: GuidancePipeline.Output, caseDir: String, base: String,
                        truth: GroundTruth, seed: UInt64) throws -> ObserverResult {
        var clicks: String? = nil
        if scenario.fluoroscopy, let views = truth.views {
            let dir = base + "/operator-observer2"
            clicks = dir
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for v in views {
                var rng = SeededRandom(seed: seed, label: "observer2.clicks.\(v.name)")
                var clicked: [String: [Double]] = [:]
                for name in v.landmarksPx.keys.sorted() {
                    let p = v.landmarksPx[name]!
                    clicked[name] = [p[0] + o.clickNoiseSDPx * rng.normal(), p[1] + o.clickNoiseSDPx * rng.normal()]
                }
                try FileOutput.writeJSON(OperatorClicks(view: v.name, landmarks: clicked), to: dir + "/clicks-\(v.name).json")
            }
        }
        var config = configuration(scenario.pipeline, threshold: o.scarThresholdFraction)
        var inputs = OperatorInputs()
        var drawn: (contourBias: [Double]?, rotation: [String: Double]?, reference: Double?) = (nil, nil, nil)
        if let h = o.human {
            inputs.contourOffsets = ObserverModel.contourOffsets(h, seed: seed, sliceCount: study.cine.grid.size[2])
            drawn.contourBias = inputs.contourOffsets.flatMap { c in c.endocardiumMm[0].flatMap { e in c.epicardiumMm[0].map { [e[0], $0[0]] } } }
            let axis = first.result.lvAxis
            if let centre = axis["baseCentreMm"], let direction = axis["baseToApex"],
               let rv = ObserverModel.rvInsertion(h, seed: seed, points: first.result.rvInsertionPointsMm, axisPointMm: centre, axis: direction) {
                inputs.rvInsertionPointsMm = rv.points
                drawn.rotation = rv.anglesDeg
            }
            config.scar.referenceScale = ObserverModel.fwhmReferenceScale(h, seed: seed)
            drawn.reference = config.scar.referenceScale
        }
        // The same entry point as the first observer and `crtsim analyze`, on the images already loaded.
        let analysis = try CaseAnalysis.run(cmrFolder: caseDir + "/cmr", configuration: config, operator: inputs,
                                            fusion: clicks == nil ? nil : fusionSettings(), study: study, operatorFolder: clicks)
        let output = analysis.output
        let category = clicks == nil ? nil : output.result.lead?.category36?.rawValue
        var r = ObserverResult(scarredSegments: output.result.segments.map(\.scarred), scarBurdenPercent: output.result.scarBurdenPercent,
                               primaryTarget: output.result.primaryTarget, leadCategory36: category, model: o.human == nil ? "clicks" : "human")
        r.contourBiasMm = drawn.contourBias; r.rvInsertionRotationDeg = drawn.rotation; r.fwhmReferenceScale = drawn.reference
        return r
    }

    /// C-arm miscalibration: the recorded angles and distances of each view (xray/<VIEW>.json) get Gaussian errors
    /// (scenario acquisition SDs, label "scenario.carm.<VIEW>"); the images stay as rendered with the true geometry.
    func miscalibrate(xrayDirectory: String, seed: UInt64) throws {
        let a = scenario.acquisition
        guard a.cArmAngleErrorSDDeg > 0 || a.cArmDistanceErrorSDMm > 0 else { return }
        let files = try FileManager.default.contentsOfDirectory(atPath: xrayDirectory).filter { $0.hasSuffix(".json") }.sorted()
        for file in files {
            let path = xrayDirectory + "/" + file
            var view = try JSONDecoder().decode(CArmView.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            var rng = SeededRandom(seed: seed, label: "scenario.carm.\(view.name)")
            view.primaryAngleDeg += a.cArmAngleErrorSDDeg * rng.normal()
            view.secondaryAngleDeg += a.cArmAngleErrorSDDeg * rng.normal()
            view.sourceToDetectorMm += a.cArmDistanceErrorSDMm * rng.normal()
            view.sourceToPatientMm += a.cArmDistanceErrorSDMm * rng.normal()
            try FileOutput.writeJSON(view, to: path)
        }
    }
}
