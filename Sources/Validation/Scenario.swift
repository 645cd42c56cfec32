import CRTCore
import Foundation
import HeartPhantom
import SegmentModel

/// A scenario (`Scenarios/*.yaml`): which synthetic patients, how they are imaged, how the pipeline is set, and
/// what the scores must reach. Format documented in Scenarios/README.md; read strictly (unknown fields, wrong types
/// and out-of-range values are errors naming the file, line and field).
public struct Scenario: Sendable {
    public var id: String
    public var description: String
    /// The file it was read from.
    public var file: String
    /// Base seed; case i uses a seed derived from it and the label "scenario.case.<i>".
    public var seed: UInt64
    public var cases: Int
    /// Phantoms: preset names (Phantoms/<name>.yaml) or phantom file paths (relative to the scenario file);
    /// case i uses grid point i mod G of the sweep and phantom (i / G) mod P.
    public var phantoms: [String]
    /// Overrides, per-case draws and the sweep grid, applied to the phantom file (acquisition settings included).
    public var variation: PhantomVariation
    /// Acquisition perturbations applied to every case (see `Acquisition`).
    public var acquisition: Acquisition
    /// Whether cases include the dual-view fluoroscopy: X-ray rendering, registration, lead position.
    public var fluoroscopy: Bool
    /// Extra registrations per case from perturbed starting poses (van de Kraats): count and largest start error.
    public var registrationStarts: Int
    public var maxStartErrorMm: Double
    /// The judged pipeline's settings: its verdicts are the run's and set its exit code.
    public var pipeline: PipelineSettings
    /// The judged pipeline's name (`judge`; "builtin", or "external" for a single `pipeline.command`).
    public var judgedPipeline: String = "builtin"
    /// The other pipelines of an A/B comparison (`pipelines`), run on the same cases and compared with the
    /// judged one case by case; empty without a comparison.
    public var comparedPipelines: [NamedPipeline] = []
    /// The ring convention of the 36 segments (`ringBoundaries`), set for the generator (the phantoms'
    /// `segmentModel`) and the built-in pipeline alike; nil: each keeps its own (the same default).
    public var ringBoundaries: RingBoundaries?
    /// A second simulated observer (inter-observer agreement), or nil.
    public var secondObserver: Observer?
    /// Groupings for cohort statistics: any of `icm`, `lbbb`, `phantom`, `sweep`.
    public var groupBy: [String]
    /// What the metrics must reach.
    public var expectations: [Expectation]
    /// FNV-1a 64-bit hash of the file's text (hex), recorded in results.json.
    public var hash: String

    /// Acquisition perturbations. SNR, resolution, misregistration, TI error, dose and click noise become phantom
    /// overrides (the fields named in Phantoms/README.md); the C-arm miscalibration changes what the C-arm records
    /// (xray/<VIEW>.json) against what was used to render, per view and case (label "scenario.carm.<VIEW>").
    public struct Acquisition: Sendable, Equatable {
        public var settings: [PhantomVariation.Setting] = []
        /// SD of the error of the recorded primary and secondary angles (degrees).
        public var cArmAngleErrorSDDeg: Double = 0
        /// SD of the error of the recorded source distances (mm).
        public var cArmDistanceErrorSDMm: Double = 0
        public init() {}
    }

    public struct PipelineSettings: Sendable, Equatable {
        public var scarThresholdFraction = 0.5
        public var scarMethod = "fwhm"
        public var nSD = 5.0
        /// An external pipeline command instead of the built-in pipeline (`pipeline.command`).
        public var external: ExternalPipeline?
        public init() {}
    }

    /// One entry of `pipelines`: a name and the built-in settings or an external command.
    public struct NamedPipeline: Sendable, Equatable {
        public var name: String
        public var settings: PipelineSettings
        public init(name: String, settings: PipelineSettings) { self.name = name; self.settings = settings }
    }

    /// The second observer: another scar threshold (the operator's adjustment) and other clicks (new click noise
    /// with this SD, drawn with the label "observer2.clicks.<VIEW>"); with `model: human` also the variability of a
    /// second human (`HumanVariability`, docs/observer-model.md).
    public struct Observer: Sendable, Equatable {
        public var scarThresholdFraction: Double
        public var clickNoiseSDPx: Double
        /// The human-variability model (`model: human`); nil for the threshold-and-clicks observer (`model: clicks`).
        public var human: HumanVariability? = nil
        public init(scarThresholdFraction: Double, clickNoiseSDPx: Double, human: HumanVariability? = nil) {
            self.scarThresholdFraction = scarThresholdFraction; self.clickNoiseSDPx = clickNoiseSDPx; self.human = human
        }
    }

    /// What a second human does differently from the first, each drawn per case from the case seed with its own
    /// label (docs/observer-model.md gives the published limits the defaults come from). 0 switches a part off.
    public struct HumanVariability: Sendable, Equatable {
        /// SD of the systematic radial offset of each border (endo, epi, independently) over the whole LV (mm),
        /// label "observer2.contours".
        public var contourSDMm = 1.0
        /// Pointwise SD of the smooth angular part of the offset, per slice (harmonics 1-2, mm), same label.
        public var contourLocalSDMm = 0.5
        /// SD of the angle by which each RV insertion point is clicked off the first observer's, about the LV long
        /// axis (degrees), label "observer2.rvInsertion".
        public var rvInsertionSDDeg = 4.0
        /// FWHM reference region: the observer's reference level is the brightest signal x (1 - |N(0, SD)|)
        /// (a fraction), label "observer2.fwhmReference".
        public var fwhmReferenceSD = 0.05
        public init() {}
        /// Every part off: the observer repeats the first observer's operator inputs.
        public static let none: HumanVariability = {
            var h = HumanVariability(); h.contourSDMm = 0; h.contourLocalSDMm = 0; h.rvInsertionSDDeg = 0; h.fwhmReferenceSD = 0
            return h
        }()
    }

    /// Fields of `secondObserver` that set the human-variability model (only with `model: human`).
    nonisolated(unsafe) static let humanFields: [(key: String, path: WritableKeyPath<HumanVariability, Double>, range: ClosedRange<Double>, unit: String)] = [
        ("contourSDMm", \.contourSDMm, 0...5, "mm"), ("contourLocalSDMm", \.contourLocalSDMm, 0...5, "mm"),
        ("rvInsertionSDDeg", \.rvInsertionSDDeg, 0...45, "degrees"), ("fwhmReferenceSD", \.fwhmReferenceSD, 0...0.5, ""),
    ]

    /// Groupings `groupBy` accepts.
    public static let groupings = ["icm", "lbbb", "phantom", "sweep"]

    /// One expectation: a metric id and a typed tolerance.
    public struct Expectation: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case atLeast, atMost, withinAbsolute, withinRelative }
        public var metric: String
        public var kind: Kind
        public var value: Double
        /// For withinAbsolute (same unit as the metric) and withinRelative (fraction).
        public var tolerance: Double?
        /// Where the threshold comes from: a published or clinical figure, or an issue's target (Scenarios/README.md
        /// "Expectations"). Optional in the format (absent in results.json written before it existed); every
        /// expectation of the catalogue has one.
        public var source: String?

        public init(metric: String, kind: Kind, value: Double, tolerance: Double? = nil, source: String? = nil) {
            self.metric = metric; self.kind = kind; self.value = value; self.tolerance = tolerance; self.source = source
        }

        public func passes(_ x: Double) -> Bool {
            guard x.isFinite else { return false }
            switch kind {
            case .atLeast: return x >= value
            case .atMost: return x <= value
            case .withinAbsolute: return abs(x - value) <= (tolerance ?? 0)
            case .withinRelative: return abs(x - value) <= (tolerance ?? 0) * abs(value)
            }
        }
        public var text: String {
            switch kind {
            case .atLeast: return ">= \(value)"
            case .atMost: return "<= \(value)"
            case .withinAbsolute: return "\(value) +- \(tolerance ?? 0)"
            case .withinRelative: return "\(value) +- \(100 * (tolerance ?? 0)) %"
            }
        }
    }

    /// Most phantom readings `load` does to check a scenario (distinct phantoms x sweep points, at most 64, x
    /// distinct draw probes); the catalogue needs at most 40, one reading takes about a millisecond.
    public static let maxLoadChecks = 1024

    /// Reads and validates a scenario file. Every phantom is checked with the overrides and sweep values applied
    /// (so a wrong path or value is reported at load time, not when the case that uses it is reached).
    public static func load(_ path: String, presets: [String], presetFolder: String) throws -> Scenario {
        let text = try InputFile.readText(path, what: "scenario file")
        let r = try SpecReader.parse(yaml: text, file: path)
        let id = try r.string("id", default: "")
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw r.error("id", id.isEmpty ? "required: letters, digits, '-' and '_' only" : "'\(id)' is not allowed: letters, digits, '-' and '_' only")
        }
        let description = try r.string("description", default: "")
        let seed = try r.int("seed", default: 1, range: 0...Int(Int32.max))
        let cases = try r.int("cases", default: 1, range: 1...10_000, unit: "cases")
        let phantoms = try r.strings("phantoms", default: ["advise-typical"])
        for p in phantoms where !p.hasSuffix(".yaml") && !presets.contains(p) {
            throw r.error("phantoms", "'\(p)' is neither a preset (\(presets.joined(separator: ", "))) nor a .yaml phantom file", at: r.node(of: "phantoms"))
        }
        let variation = try PhantomVariation.read(r)
        let acq = try r.section("acquisition")
        var acquisition = Acquisition()
        let mapped: [(key: String, paths: [String], range: ClosedRange<Double>, unit: String)] = [
            ("cineSnr", ["cmr.cine.snr"], 2...1000, ""), ("lgeSnr", ["cmr.lge.snr"], 2...1000, ""),
            ("pixelMm", ["cmr.cine.pixelMm", "cmr.lge.pixelMm"], 0.8...4, "mm"),
            ("sliceMisregistrationMm", ["cmr.sliceMisregistrationMm"], 0...10, "mm"),
            ("tiErrorMs", ["cmr.inversionTimeErrorMs"], -150...150, "ms"),
            ("xrayPhotonsPerPixel", ["xray.photonsPerPixel"], 100...1e7, "photons"),
            ("clickNoiseSDPx", ["xray.clickNoiseSDPx"], 0...20, "pixels"),
        ]
        for m in mapped where acq.has(m.key) {
            let v = try acq.number(m.key, default: 0, range: m.range, unit: m.unit)
            for p in m.paths { acquisition.settings.append(.init(path: p, yaml: PhantomVariation.number(v, round: false))) }
        }
        acquisition.cArmAngleErrorSDDeg = try acq.number("cArmAngleErrorSDDeg", default: 0, range: 0...10, unit: "degrees")
        acquisition.cArmDistanceErrorSDMm = try acq.number("cArmDistanceErrorSDMm", default: 0, range: 0...100, unit: "mm")
        try acq.finish()
        let fl = try r.section("fluoroscopy")
        let fluoroscopy = try fl.bool("enabled", default: false)
        let starts = try fl.int("registrationStarts", default: 0, range: 0...100, unit: "starts per case")
        let maxStart = try fl.number("maxStartErrorMm", default: 30, range: 1...60, unit: "mm")
        try fl.finish()
        if !fluoroscopy && (starts > 0 || acquisition.cArmAngleErrorSDDeg > 0 || acquisition.cArmDistanceErrorSDMm > 0) {
            throw fl.error("enabled", "registration starts and C-arm miscalibration need fluoroscopy.enabled: true")
        }
        let pipe = try r.section("pipeline")
        let builtin = try readPipeline(pipe, scenarioPath: path)
        try pipe.finish()
        // A/B: `pipelines` lists the pipelines run on the same cases; `judge` names the one the expectations judge.
        var named: [NamedPipeline] = []
        for item in try r.namesOrMappings("pipelines") {
            switch item {
            case .name(let name, let line):
                guard name == "builtin" else {
                    throw InputError("\(path): line \(line): pipelines: '\(name)' is not a pipeline: write builtin (the pipeline section's settings) or a mapping with name and settings or command")
                }
                named.append(NamedPipeline(name: "builtin", settings: builtin))
            case .fields(let f):
                let name = try f.string("name", default: "")
                guard !name.isEmpty, name != "builtin", name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    throw f.error("name", name.isEmpty ? "required: letters, digits, '-' and '_' only" : name == "builtin" ? "builtin is the pipeline section's settings: write it as the plain item builtin" : "'\(name)' is not allowed: letters, digits, '-' and '_' only")
                }
                named.append(NamedPipeline(name: name, settings: try readPipeline(f, scenarioPath: path)))
                try f.finish()
            }
        }
        var seenNames: Set<String> = []
        for p in named where !seenNames.insert(p.name).inserted { throw r.error("pipelines", "'\(p.name)' is listed twice") }
        if named.count == 1 { throw r.error("pipelines", "list at least two pipelines to compare (a single one is the pipeline section)") }
        let judge = try r.string("judge", default: named.isEmpty ? "" : "builtin")
        var pipeline = builtin, judgedName = builtin.external == nil ? "builtin" : "external", compared: [NamedPipeline] = []
        if !named.isEmpty {
            guard let judged = named.first(where: { $0.name == judge }) else {
                throw r.error("judge", "'\(judge)' is not one of pipelines (\(named.map(\.name).joined(separator: ", ")))")
            }
            pipeline = judged.settings; judgedName = judged.name
            compared = named.filter { $0.name != judge }
        } else if r.has("judge") {
            throw r.error("judge", "names one of pipelines: give pipelines too")
        }
        if pipeline.external != nil && starts > 0 {
            throw fl.error("registrationStarts", "perturbed registration starts run the built-in registration; not with pipeline.command")
        }
        var observer: Observer? = nil
        if r.has("secondObserver") {
            if pipeline.external != nil { throw r.error("secondObserver", "the second observer repeats the built-in pipeline; not with pipeline.command") }
            let o = try r.section("secondObserver")
            var ob = Observer(scarThresholdFraction: try o.number("scarThresholdFraction", default: pipeline.scarThresholdFraction, range: 0.05...0.95),
                              clickNoiseSDPx: try o.number("clickNoiseSDPx", default: 2, range: 0...20, unit: "pixels"))
            let model = try o.choice("model", default: "clicks", allowed: ["clicks", "human"])
            if model == "human" {
                var h = HumanVariability()
                for f in humanFields { h[keyPath: f.path] = try o.number(f.key, default: h[keyPath: f.path], range: f.range, unit: f.unit) }
                ob.human = h
            } else if let f = humanFields.first(where: { o.has($0.key) }) {
                throw o.error(f.key, "sets the human-variability observer: give model: human too")
            }
            observer = ob
            try o.finish()
        }
        var ringBoundaries: RingBoundaries? = nil
        if r.has("ringBoundaries") {
            let rb = try r.section("ringBoundaries")
            let b = try rb.number("basalMidFraction", default: RingBoundaries.crtsimDefault.basalMidFraction, range: 0.1...0.8)
            let m = try rb.number("midApicalFraction", default: RingBoundaries.crtsimDefault.midApicalFraction, range: 0.2...0.95)
            try rb.finish()
            guard m > b + 0.05 else { throw rb.error("midApicalFraction", "must exceed basalMidFraction by at least 0.05") }
            ringBoundaries = try RingBoundaries(basalMidFraction: b, midApicalFraction: m)
        }
        let groupBy = try r.strings("groupBy", default: [], allowed: groupings)
        var expectations: [Expectation] = []
        for e in try r.list("expectations") {
            let metric = try e.choice("metric", default: "", allowed: PipelineMetrics.ids)
            let kinds = Expectation.Kind.allCasesInOrder.filter { e.has($0.rawValue) }
            _ = e.has("tolerance")
            let source = try e.string("source", default: "").trimmingCharacters(in: .whitespacesAndNewlines)
            try e.finish()
            guard kinds.count == 1, let kind = kinds.first else {
                throw e.error("metric", "give exactly one of atLeast, atMost, withinAbsolute, withinRelative")
            }
            let value = try e.number(kind.rawValue, default: 0, range: -1e9...1e9)
            var tolerance: Double? = nil
            if kind == .withinAbsolute || kind == .withinRelative {
                guard e.has("tolerance") else { throw e.error("tolerance", "required with \(kind.rawValue)") }
                tolerance = try e.number("tolerance", default: 0, range: 0...1e9)
            }
            expectations.append(Expectation(metric: metric, kind: kind, value: value, tolerance: tolerance,
                                            source: source.isEmpty ? nil : source))
        }
        try r.finish()
        let s = Scenario(id: id, description: description, file: path, seed: UInt64(seed), cases: cases, phantoms: phantoms,
                         variation: variation, acquisition: acquisition, fluoroscopy: fluoroscopy, registrationStarts: starts,
                         maxStartErrorMm: maxStart, pipeline: pipeline, judgedPipeline: judgedName, comparedPipelines: compared,
                         ringBoundaries: ringBoundaries, secondObserver: observer, groupBy: groupBy,
                         expectations: expectations, hash: fnv1a(text))
        // Every phantom with every sweep point and the extremes of every draw must read as a valid phantom. The
        // checks are a product (phantoms x sweep points x draw probes): repeated phantoms and identical probes add
        // nothing, and the product is capped, so that a short file cannot make loading take minutes (a 1.1 KB file
        // with 20 phantoms, 64 sweep values and 50 choice values needed 64000 checks, over 4 minutes; fuzz finding).
        var seenPhantoms: Set<String> = [], seenProbes: Set<String> = []
        let distinctPhantoms = phantoms.filter { seenPhantoms.insert($0).inserted }
        let probes = s.probeDraws().filter { probe in
            seenProbes.insert(probe.map { "\($0.path)=\($0.yaml)" }.joined(separator: "\n")).inserted
        }
        let gridPoints = min(variation.gridSize, 64)
        let checks = distinctPhantoms.count * gridPoints * probes.count
        guard checks <= maxLoadChecks else {
            throw InputError("\(path): line \(r.line(of: "phantoms")): checking every phantom with every sweep point "
                + "and draw value at load needs \(checks) phantom readings (\(distinctPhantoms.count) phantoms x "
                + "\(gridPoints) sweep points x \(probes.count) draw values); at most \(maxLoadChecks): use fewer "
                + "phantoms, sweep values or choice values")
        }
        for p in distinctPhantoms {
            for g in 0..<gridPoints {
                for probe in probes {
                    do { _ = try s.phantomSpec(phantom: p, gridPoint: g, drawn: probe, presetFolder: presetFolder) } catch let e as InputError {
                        // Name the draw, sweep axis or override whose path the phantom reader complained about.
                        let culprit = variation.paths.sorted { $0.count > $1.count }.first { e.message.contains($0) }
                        if let c = culprit, let src = variation.source(of: c) {
                            throw InputError("\(path): line \(src.line): \(src.field) (\(c)): not valid for phantom '\(p)': \(e.message)")
                        }
                        throw InputError("\(path): line \(r.line(of: "phantoms")): phantom '\(p)' with the scenario's variation: \(e.message)")
                    }
                }
            }
        }
        return s
    }

    /// Reads a pipeline's settings: the built-in pipeline's (`scarThresholdFraction`, `scarMethod`, `nSD`) or an
    /// external command (`command`, `timeoutSeconds`), not both. The caller finishes the reader.
    static func readPipeline(_ pipe: SpecReader, scenarioPath path: String) throws -> PipelineSettings {
        var pipeline = PipelineSettings()
        pipeline.scarThresholdFraction = try pipe.number("scarThresholdFraction", default: 0.5, range: 0.05...0.95)
        pipeline.scarMethod = try pipe.choice("scarMethod", default: "fwhm", allowed: ["fwhm", "nSD"])
        pipeline.nSD = try pipe.number("nSD", default: 5, range: 1...10)
        let command = try pipe.strings("command", default: [])
        let timeout = try pipe.number("timeoutSeconds", default: 600, range: 1...86400, unit: "s")
        if !command.isEmpty {
            guard command.joined(separator: " ").contains("{out}") else {
                throw pipe.error("command", "must pass {out}, the analysis folder the command writes, e.g. [python3, mypipeline.py, \"{case}\", \"{out}\"]")
            }
            for key in ["scarThresholdFraction", "scarMethod", "nSD"] where pipe.has(key) {
                throw pipe.error(key, "sets the built-in pipeline; not with command")
            }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            pipeline.external = ExternalPipeline(command: command, timeoutSeconds: timeout, workingDirectory: folder)
        } else if pipe.has("timeoutSeconds") {
            throw pipe.error("timeoutSeconds", "applies to an external pipeline: give command too")
        }
        return pipeline
    }

    /// Expectations whose metric cannot have a value in this scenario (the stage it needs is off): one line each.
    /// `validate` and `run` print them as warnings; such an expectation fails at the end of the run.
    public var warnings: [String] {
        expectations.compactMap { e in
            let need: String?
            switch PipelineMetrics.requirement(of: e.metric) {
            case .cmr: need = nil
            case .fluoroscopy: need = fluoroscopy ? nil : "fluoroscopy.enabled is false"
            case .registrationStarts:
                need = !fluoroscopy ? "fluoroscopy.enabled is false" : registrationStarts == 0 ? "fluoroscopy.registrationStarts is 0" : nil
            case .secondObserver: need = secondObserver == nil ? "the scenario has no secondObserver" : nil
            }
            return need.map { "\(file): expectation on \(e.metric) cannot be met: its metric has no value when \($0); it will fail" }
        }
    }

    /// Draw values to check at load time: the lower and upper bounds (or every choice) of each draw.
    func probeDraws() -> [[PhantomVariation.Setting]] {
        guard !variation.draws.isEmpty else { return [[]] }
        var probes: [[PhantomVariation.Setting]] = []
        let width = variation.draws.map { d -> Int in if case .choice(let v, _) = d.distribution { return v.count } else { return 2 } }.max() ?? 1
        for k in 0..<width {
            probes.append(variation.draws.map { d in
                switch d.distribution {
                case let .normal(mean, _, lo, hi):
                    let x = k % 2 == 0 ? max(lo, mean - 1e8) : min(hi, mean + 1e8)
                    return .init(path: d.path, yaml: PhantomVariation.number(x, round: d.round))
                case let .uniform(lo, hi):
                    return .init(path: d.path, yaml: PhantomVariation.number(k % 2 == 0 ? lo : hi, round: d.round))
                case let .choice(values, _):
                    return .init(path: d.path, yaml: values[k % values.count])
                }
            })
        }
        return probes
    }

    /// The phantom of one case: the preset or file, then the overrides, the sweep point, the draws and the
    /// acquisition settings, read by the phantom's strict reader.
    public func phantomSpec(phantom: String, gridPoint: Int, drawn: [PhantomVariation.Setting], presetFolder: String) throws -> PhantomSpec {
        let file = phantom.hasSuffix(".yaml")
            ? (phantom.hasPrefix("/") ? phantom : (URL(fileURLWithPath: self.file).deletingLastPathComponent().appendingPathComponent(phantom).path))
            : presetFolder + "/\(phantom).yaml"
        let text = try InputFile.readText(file, what: "phantom file")
        let settings = variation.overrides + variation.gridPoint(gridPoint).settings + drawn + acquisition.settings
        var spec: PhantomSpec
        if settings.isEmpty {
            spec = try PhantomSpec.load(yaml: text, file: file)
        } else {
            let varied = try PhantomVariation.apply(settings, toPhantomYAML: text, origin: file)
            spec = try PhantomSpec.load(yaml: varied, file: file + " (varied by the scenario)")
            spec.name = try PhantomSpec.load(yaml: text, file: file).name
        }
        if let rings = ringBoundaries { spec.segmentModel = rings }  // the scenario's ring convention, on both sides
        return spec
    }

    /// Which phantom and grid point case i (0-based) uses.
    /// Estimated bytes that case `i` writes (generated case and analysis; `PhantomSpec.estimatedCaseFileBytes`).
    public func estimatedCaseFileBytes(_ i: Int, presetFolder: String) throws -> Double {
        let (phantom, g) = assignment(i)
        let spec = try phantomSpec(phantom: phantom, gridPoint: g, drawn: variation.drawnSettings(caseSeed: caseSeed(i)), presetFolder: presetFolder)
        return spec.estimatedCaseFileBytes(fluoroscopy: fluoroscopy)
    }

    public func assignment(_ i: Int) -> (phantom: String, gridPoint: Int) {
        let g = variation.gridSize
        return (phantoms[(i / g) % phantoms.count], i % g)
    }

    /// FNV-1a 64-bit of UTF-8 text, hex.
    static func fnv1a(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        return String(format: "%016llx", h)
    }

    /// The seed of case i (0-based).
    public func caseSeed(_ i: Int) -> UInt64 {
        var r = SeededRandom(seed: seed, label: "scenario.case.\(i)")
        return r.next() >> 33
    }
}

extension Scenario.Expectation.Kind {
    static let allCasesInOrder: [Self] = [.atLeast, .atMost, .withinAbsolute, .withinRelative]
}
