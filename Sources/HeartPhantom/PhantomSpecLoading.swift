import CRTCore
import SegmentModel
import Foundation

extension PhantomSpec {
    /// Reads and validates a phantom YAML document. Throws `InputError` naming the file, line, field and the
    /// allowed range for the first problem found (unknown keys included).
    public static func load(yaml: String, file: String) throws -> PhantomSpec {
        let r = try SpecReader.parse(yaml: yaml, file: file)
        var spec = PhantomSpec()
        spec.name = try r.string("name", default: (file as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: ""))
        spec.description = try r.string("description", default: "")
        spec.realism = Realism(rawValue: try r.choice("realism", default: "clinical", allowed: Realism.allCases.map(\.rawValue)))!

        let a = try r.section("anatomy")
        spec.anatomy.edvMl = try a.number("edvMl", default: 209, range: 60...450, unit: "mL")
        spec.anatomy.wallThicknessMm = try a.number("wallThicknessMm", default: 9, range: 4...20, unit: "mm")
        spec.anatomy.apicalWallThicknessMm = try a.number("apicalWallThicknessMm", default: 7, range: 2...20, unit: "mm")
        if a.has("lengthToDiameterRatio") { spec.anatomy.lengthToDiameterRatio = try a.number("lengthToDiameterRatio", default: 2.2, range: 1.2...3) }
        spec.anatomy.baseTruncation = try a.number("baseTruncation", default: 0.25, range: 0...0.6)
        spec.anatomy.longAxisAzimuthDeg = try a.number("longAxisAzimuthDeg", default: 45, range: 0...90, unit: "degrees")
        spec.anatomy.longAxisElevationDeg = try a.number("longAxisElevationDeg", default: 25, range: 0...60, unit: "degrees")
        spec.anatomy.rollDeg = try a.number("rollDeg", default: 0, range: -60...60, unit: "degrees")
        spec.anatomy.inferiorInsertionAngleDeg = try a.number("inferiorInsertionAngleDeg", default: 120, range: 90...150, unit: "degrees")
        spec.anatomy.rvWidthMm = try a.number("rvWidthMm", default: 18, range: 5...40, unit: "mm")
        spec.anatomy.rvWallThicknessMm = try a.number("rvWallThicknessMm", default: 3.5, range: 2...8, unit: "mm")
        spec.anatomy.heartCentreMm = try a.vector("heartCentreMm", default: [35, -10, 0], count: 3, range: -60...60, unit: "mm, LPS")
        spec.anatomy.papillaryMuscles = try a.bool("papillaryMuscles", default: true)
        spec.anatomy.trabeculation = try a.bool("trabeculation", default: true)
        spec.anatomy.epicardialFat = try a.bool("epicardialFat", default: true)
        spec.anatomy.scarThinningFraction = try a.number("scarThinningFraction", default: 0.5, range: 0...0.8)
        if spec.anatomy.apicalWallThicknessMm > spec.anatomy.wallThicknessMm * 1.5 {
            throw a.error("apicalWallThicknessMm", "must be at most 1.5 x wallThicknessMm (\(spec.anatomy.wallThicknessMm * 1.5) mm)")
        }
        try RealismField.read(section: a, path: "anatomy", into: &spec)
        if let ratio = spec.anatomy.septalToLateralWallRatio {
            // Impossible anatomy: the septal and lateral walls, wallThicknessMm x 2 ratio / (ratio + 1) and
            // wallThicknessMm x 2 / (ratio + 1), must stay within wallThicknessMm's own 2-20 mm.
            let t = spec.anatomy.wallThicknessMm
            let lo = max(0.6, 1 / (t - 1), t / 10 - 1)
            let hi = min(2, t - 1, 2 * t > 20 ? 20 / (2 * t - 20) : 2)
            if ratio < lo - 1e-9 || ratio > hi + 1e-9 {
                throw a.error("septalToLateralWallRatio",
                              "must be from \(SpecReader.fmt(lo)) to \(SpecReader.fmt(hi)) with wallThicknessMm \(SpecReader.fmt(t)) mm (septal and lateral walls between 2 and 20 mm), not \(SpecReader.fmt(ratio))")
            }
        }
        try a.finish()

        let s = try r.section("segmentModel")
        let dr = RingBoundaries.crtsimDefault
        spec.segmentModel.basalMidFraction = try s.number("basalMidFraction", default: dr.basalMidFraction, range: 0.1...0.8)
        spec.segmentModel.midApicalFraction = try s.number("midApicalFraction", default: dr.midApicalFraction, range: 0.2...0.95)
        if spec.segmentModel.midApicalFraction <= spec.segmentModel.basalMidFraction + 0.05 {
            throw s.error("midApicalFraction", "must exceed basalMidFraction by at least 0.05")
        }
        try s.finish()

        let act = try r.section("activation")
        spec.activation.pattern = try act.choice("pattern", default: "lbbb", allowed: ["lbbb", "normal", "rbbb", "explicit"])
        if act.has("totalDelayMs") {
            spec.activation.totalDelayMs = try act.number("totalDelayMs", default: 120, range: 0...300, unit: "ms")
        }
        spec.activation.earliestOnsetMs = try act.number("earliestOnsetMs", default: 20, range: 0...200, unit: "ms")
        try RealismField.read(section: act, path: "activation", into: &spec)
        spec.activation.explicitOnsetMs = try act.intKeyedNumbers("explicitOnsetMs", keyRange: 1...36, valueRange: 0...600, unit: "ms")
        if spec.activation.pattern == "explicit" && spec.activation.explicitOnsetMs.isEmpty {
            throw act.error("explicitOnsetMs", "pattern 'explicit' needs a map of segment id (1-36) to onset (0-600 ms)")
        }
        try act.finish()

        let m = try r.section("motion")
        spec.motion.heartRatePerMin = try m.number("heartRatePerMin", default: 75, range: 40...150, unit: "per min")
        spec.motion.peakRadialStrain = try m.number("peakRadialStrain", default: 0.30, range: 0...0.8, unit: "(fraction)")
        spec.motion.peakLongitudinalStrain = try m.number("peakLongitudinalStrain", default: -0.10, range: -0.3...0, unit: "(fraction)")
        spec.motion.contractionMs = try m.number("contractionMs", default: 260, range: 100...500, unit: "ms")
        spec.motion.relaxationMs = try m.number("relaxationMs", default: 200, range: 80...500, unit: "ms")
        spec.motion.transmuralScarResidual = try m.number("transmuralScarResidual", default: 0.1, range: 0...1)
        try RealismField.read(section: m, path: "motion", into: &spec)
        try m.finish()
        // The latest onset: earliest + total delay, or for `explicit` the latest onset actually given.
        let explicitOnsets = spec.activation.pattern == "explicit"
        let latestOnset = explicitOnsets
            ? max(spec.activation.earliestOnsetMs, spec.activation.explicitOnsetMs.values.max() ?? 0)
            : spec.activation.earliestOnsetMs + spec.activation.resolvedTotalDelayMs
        let cycle = latestOnset + spec.motion.contractionMs + spec.motion.relaxationMs
        if cycle > spec.motion.rrIntervalMs * 0.95 {
            let terms = explicitOnsets ? "latest onset (explicitOnsetMs, earliestOnsetMs)" : "earliestOnsetMs + totalDelayMs"
            throw m.error("heartRatePerMin", "the beat does not fit: \(terms) + contractionMs + relaxationMs = \(Int(cycle)) ms must be at most 95 % of the R-R interval (\(Int(spec.motion.rrIntervalMs)) ms); lower the heart rate or the durations")
        }

        spec.scars = try r.list("scars").map { sr in
            var sc = ScarRegion()
            if sr.has("centreSegment") { sc.centreSegment = try sr.int("centreSegment", default: 1, range: 1...36) }
            if sr.has("centreAngleDeg") { sc.centreAngleDeg = try sr.number("centreAngleDeg", default: 0, range: 0...360, unit: "degrees") }
            if sr.has("centreHeightFraction") { sc.centreHeightFraction = try sr.number("centreHeightFraction", default: 0.5, range: 0...1) }
            if sc.centreSegment == nil && (sc.centreAngleDeg == nil || sc.centreHeightFraction == nil) {
                throw sr.error("centreSegment", "give centreSegment (1-36) or both centreAngleDeg (0-360) and centreHeightFraction (0-1)")
            }
            sc.angularExtentDeg = try sr.number("angularExtentDeg", default: 70, range: 10...360, unit: "degrees")
            sc.heightExtentFraction = try sr.number("heightExtentFraction", default: 0.4, range: 0.05...1)
            sc.transmurality = try sr.number("transmurality", default: 1, range: 0...1, unit: "(fraction of the wall)")
            sc.borderZoneMm = try sr.number("borderZoneMm", default: 3, range: 0...10, unit: "mm")
            sc.layer = ScarLayer(rawValue: try sr.choice("layer", default: "subendocardial", allowed: ScarLayer.allCases.map(\.rawValue)))!
            try sr.finish()
            return sc
        }

        let st = try r.section("scarTissue")
        try RealismField.read(section: st, path: "scarTissue", into: &spec)
        try st.finish()

        let v = try r.section("veins")
        spec.veins.lateralBranches = try v.int("lateralBranches", default: 2, range: 1...3)
        if v.has("branchAnglesDeg") {
            let angles = try v.vector("branchAnglesDeg", default: [], count: spec.veins.lateralBranches, range: 150...300, unit: "degrees")
            spec.veins.branchAnglesDeg = angles
        }
        spec.veins.coronarySinusRadiusMm = try v.number("coronarySinusRadiusMm", default: 4, range: 2...6, unit: "mm")
        spec.veins.branchRadiusMm = try v.number("branchRadiusMm", default: 1.25, range: 0.75...2, unit: "mm")
        try RealismField.read(section: v, path: "veins", into: &spec)
        if (v.has("lateralBranches") || v.has("branchAnglesDeg")) && !v.has("lateralBranchCount") {
            // A layout given in the file is kept: its count is not drawn.
            spec.veins.lateralBranchCount = Double(spec.veins.lateralBranches)
        }
        try v.finish()

        let c = try r.section("cmr")
        spec.cmr.cine = try readSeries(c.section("cine"), defaults: SeriesSettings(snr: 30), cine: true)
        spec.cmr.lge = try readSeries(c.section("lge"), defaults: SeriesSettings(snr: 40), cine: false)
        spec.cmr.lgeTriggerFraction = try c.number("lgeTriggerFraction", default: 0.7, range: 0.5...0.9)
        spec.cmr.cineFlipAngleDeg = try c.number("cineFlipAngleDeg", default: 60, range: 20...90, unit: "degrees")
        try RealismField.read(section: c, path: "cmr", into: &spec)
        try c.finish()
        spec.xray = try readXRay(r.section("xray"))
        try r.finish()
        return spec
    }

    private static func readXRay(_ x: SpecReader) throws -> XRaySettings {
        var s = XRaySettings()
        if x.has("views") {
            let list = try x.list("views")
            guard (1...4).contains(list.count) else {
                throw x.error("views", "expected a list of 1 to 4 views, got \(list.count)")
            }
            var names: Set<String> = []
            s.views = try list.map { v in
                let p = try v.number("primaryAngleDeg", default: 0, range: CArmView.primaryAngleRange, unit: "degrees (LAO positive)")
                let sec = try v.number("secondaryAngleDeg", default: 0, range: CArmView.secondaryAngleRange, unit: "degrees (cranial positive)")
                let name = try v.string("name", default: CArmView.conventionalName(primaryAngleDeg: p, secondaryAngleDeg: sec))
                let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_"))
                guard !name.isEmpty, name.count <= 32, name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
                    throw v.error("name", "'\(name)' is not allowed: expected 1 to 32 ASCII letters, digits, '-' or '_' (it names files)")
                }
                guard names.insert(name).inserted else { throw v.error("name", "'\(name)' is used by two views") }
                try v.finish()
                return XRaySettings.View(name: name, primaryAngleDeg: p, secondaryAngleDeg: sec)
            }
        }
        s.sourceToDetectorMm = try x.number("sourceToDetectorMm", default: 1100, range: CArmView.sourceToDetectorRange, unit: "mm")
        s.sourceToPatientMm = try x.number("sourceToPatientMm", default: 800, range: CArmView.sourceToPatientRange, unit: "mm")
        if s.sourceToDetectorMm - s.sourceToPatientMm < CArmView.minimumIsocentreToDetectorMm {
            throw x.error("sourceToPatientMm", "must be at least \(Int(CArmView.minimumIsocentreToDetectorMm)) mm less than sourceToDetectorMm (\(SpecReader.fmt(s.sourceToDetectorMm)) mm)")
        }
        s.detectorRows = try x.int("detectorRows", default: 512, range: CArmView.detectorSizeRange)
        s.detectorColumns = try x.int("detectorColumns", default: 512, range: CArmView.detectorSizeRange)
        s.pixelSpacingMm = try x.number("pixelSpacingMm", default: 0.6, range: CArmView.pixelSpacingRange, unit: "mm")
        s.photonsPerPixel = try x.number("photonsPerPixel", default: 30000, range: 100...1e7, unit: "photons")
        s.blurSigmaPx = try x.number("blurSigmaPx", default: 0.8, range: 0...5, unit: "pixels")
        s.cardiacPhaseFraction = try x.number("cardiacPhaseFraction", default: 0.75, range: 0...0.99)
        s.poseShiftSDMm = try x.number("poseShiftSDMm", default: 10, range: 0...50, unit: "mm")
        s.poseRotationSDDeg = try x.number("poseRotationSDDeg", default: 5, range: 0...30, unit: "degrees")
        s.clickNoiseSDPx = try x.number("clickNoiseSDPx", default: 2, range: 0...20, unit: "pixels")
        s.voxelMm = try x.number("voxelMm", default: 2, range: 1...4, unit: "mm")
        s.contrastIodineMgPerMl = try x.number("contrastIodineMgPerMl", default: 150, range: 0...400, unit: "mg/mL")
        let l = try x.section("lead")
        s.lead.electrodeSpanMm = try l.number("electrodeSpanMm", default: 40, range: 30...50, unit: "mm")
        s.lead.noVenousAccessProbability = try l.number("noVenousAccessProbability", default: 0.17, range: 0...1)
        s.lead.highThresholdProbability = try l.number("highThresholdProbability", default: 0.07, range: 0...1)
        s.lead.phrenicStimulationProbability = try l.number("phrenicStimulationProbability", default: 0.035, range: 0...1)
        let total = s.lead.noVenousAccessProbability + s.lead.highThresholdProbability + s.lead.phrenicStimulationProbability
        if total > 1 {
            throw l.error("phrenicStimulationProbability", "the three deviation probabilities add up to \(total); their sum must be at most 1")
        }
        s.lead.minimumVeinRadiusMm = try l.number("minimumVeinRadiusMm", default: 0.8, range: 0.5...2, unit: "mm")
        if l.has("model") {
            // A catalogue number or a model name (LeadCatalogue).
            let names = LeadCatalogue.models.map(\.name)
            let text = try l.string("model", default: "")
            if let n = Int(text.trimmingCharacters(in: .whitespaces)) {
                guard LeadCatalogue.model(number: n) != nil else {
                    throw l.error("model", "\(n) is out of range: expected a catalogue number from 1 to \(names.count) or one of: \(names.joined(separator: ", "))", at: l.node(of: "model"))
                }
                s.lead.model = Double(n)
            } else {
                guard let n = LeadCatalogue.number(of: text) else {
                    throw l.error("model", "'\(text)' is not in the lead catalogue: expected a number from 1 to \(names.count) or one of: \(names.joined(separator: ", "))", at: l.node(of: "model"))
                }
                s.lead.model = Double(n)
            }
        }
        try l.finish()
        // Realism fields of the venogram (VenogramRealism.swift), range-checked by the table.
        var holder = PhantomSpec()
        holder.xray = s
        try RealismField.read(section: x, path: "xray", into: &holder)
        s = holder.xray
        let d = try x.section("devices")
        var withDevices = PhantomSpec()
        try RealismField.read(section: d, path: "xray.devices", into: &withDevices)
        s.devices = withDevices.xray.devices
        try d.finish()
        try x.finish()
        return s
    }

    private static func readSeries(_ r: SpecReader, defaults d: SeriesSettings, cine: Bool) throws -> SeriesSettings {
        var s = d
        s.slices = try r.int("slices", default: d.slices, range: 1...30)
        s.sliceThicknessMm = try r.number("sliceThicknessMm", default: d.sliceThicknessMm, range: 2...15, unit: "mm")
        s.sliceGapMm = try r.number("sliceGapMm", default: d.sliceGapMm, range: 0...10, unit: "mm")
        s.pixelMm = try r.number("pixelMm", default: d.pixelMm, range: 0.8...4, unit: "mm")
        s.fovMm = try r.number("fovMm", default: d.fovMm, range: 150...500, unit: "mm")
        // LGE is one phase; `phases: 1` is accepted so that truth/phantom.json reads back as a phantom file.
        if cine { s.phases = try r.int("phases", default: d.phases, range: 1...60) } else { s.phases = try r.int("phases", default: 1, range: 1...1) }
        s.snr = try r.number("snr", default: d.snr, range: 2...1000)
        s.oversampling = try r.int("oversampling", default: d.oversampling, range: 1...4)
        s.throughSliceSamples = try r.int("throughSliceSamples", default: d.throughSliceSamples, range: 1...8)
        try r.finish()
        return s
    }

    /// Long-axis cine views every case has (2-, 3- and 4-chamber, one slice each at every cine phase).
    static let longAxisViews = 3

    /// Estimated memory (bytes) that rendering this phantom's images needs; checked against a limit before
    /// anything is computed or written. The cine counts its short-axis slices and the 3 long-axis views.
    public var estimatedImageBytes: Double {
        let cine = Double(cmr.cine.matrix * cmr.cine.matrix * (cmr.cine.slices + Self.longAxisViews) * cmr.cine.phases) * 4 * 3
        let os = Double(cmr.cine.oversampling * cmr.cine.oversampling)
        let work = Double(cmr.cine.matrix * cmr.cine.matrix) * os * 8 * 8
        let lge = Double(cmr.lge.matrix * cmr.lge.matrix * cmr.lge.slices) * 4 * 3
        let views = Double(xray.views.count)
        let pixels = Double(xray.detectorRows * xray.detectorColumns)
        let xrayImages = views * pixels * 4 * 8
        let extent = 400 / xray.voxelMm
        let muVolume = extent * extent * extent * 0.6 * 4 * 3
        return cine + work + lge + xrayImages + muVolume
    }

    /// Estimated bytes that one scenario case of this phantom writes (generated case and its analysis), an upper
    /// bound used to check the free disk space before a run: the cine (short-axis slices and the 3 long-axis
    /// views) and LGE float32 volumes stored raw (gzip keeps about 83 % of noisy float images) plus their truth
    /// labels (one byte a voxel, cine-sized for each phase), the X-ray images (venogram and lead image per view, float32) and 4 MB for the analysis (labels on
    /// the LGE grid, meshes, figures).
    public func estimatedCaseFileBytes(fluoroscopy: Bool) -> Double {
        let cineVoxels = Double(cmr.cine.matrix * cmr.cine.matrix * (cmr.cine.slices + Self.longAxisViews) * cmr.cine.phases)
        let lgeVoxels = Double(cmr.lge.matrix * cmr.lge.matrix * cmr.lge.slices)
        let xrayImages = fluoroscopy ? Double(xray.views.count * 2 * xray.detectorRows * xray.detectorColumns) * 4 : 0
        return cineVoxels * (4 + 1) + lgeVoxels * (4 + 2) + xrayImages + 4e6
    }
}
