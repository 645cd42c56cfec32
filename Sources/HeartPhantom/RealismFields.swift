import CRTCore
import Foundation

/// How close to a clinic's patients and scans a phantom is.
/// - `clinical` (the default): every realism field the phantom file leaves out is drawn per patient, from the case
///   seed and the field's path, from its published distribution (`RealismField.all`, Phantoms/README.md).
/// - `ideal`: every realism field left out takes its neutral value: the axisymmetric spheroid on a perfect scanner
///   of crtsim's first releases, for teaching and for the unit tests (Phantoms/ideal.yaml).
public enum Realism: String, Codable, Sendable, CaseIterable {
    case clinical, ideal
}

/// One field of the phantom file that makes a patient or a scan realistic, declared once: its path in the file,
/// unit, allowed range, the distribution it is drawn from under `realism: clinical`, its neutral value under
/// `realism: ideal`, and the source of the distribution. This table drives the reader (range checks), the drawing
/// (`PhantomSpec.resolved(seed:)`) and the table in Phantoms/README.md (a test keeps that table equal to
/// `markdownTable`; `scripts/update-realism-table.sh` rewrites it), so a default is written once.
public struct RealismField: Sendable {
    public enum Distribution: Sendable, Equatable {
        /// Normal(mean, sd), truncated to the field's range (redrawn; at most 100 tries, then clamped).
        case normal(mean: Double, sd: Double)
        /// Uniform on [min, max].
        case uniform(min: Double, max: Double)
        /// Not drawn: always this value.
        case fixed(Double)
        /// 1 with the given probability, else 0 (a finding a patient has or has not).
        case bernoulli(probability: Double)
        /// 0 with the given probability, else uniform on [min, max] (a finding most patients lack).
        case zeroOrUniform(probabilityZero: Double, min: Double, max: Double)
        /// k (1, 2, ...) with probability weights[k - 1] (the weights sum to 1): one of a list (a lead model).
        case categorical(weights: [Double])
    }

    /// Dotted path in the phantom file, e.g. `anatomy.ellipticity`: section, then key.
    public let path: String
    /// Where the value lives in `PhantomSpec` (nil: not given, drawn or neutral by `resolved(seed:)`).
    let key: WritableKeyPath<PhantomSpec, Double?> & Sendable
    public let unit: String
    public let range: ClosedRange<Double>
    /// Whole numbers only (counts).
    public let integer: Bool
    /// The clinical distribution, which may depend on other fields already read (the activation pattern).
    let clinical: @Sendable (PhantomSpec) -> Distribution
    /// The neutral value under `ideal`; nil leaves the field unset, so the model's own default applies.
    public let ideal: Double?
    /// What the field means (one line) and where its distribution comes from.
    public let meaning: String
    public let source: String

    init(_ path: String, _ key: WritableKeyPath<PhantomSpec, Double?> & Sendable, unit: String, range: ClosedRange<Double>,
         integer: Bool = false, clinical: @escaping @Sendable (PhantomSpec) -> Distribution, ideal: Double?,
         meaning: String, source: String) {
        self.path = path; self.key = key; self.unit = unit; self.range = range; self.integer = integer
        self.clinical = clinical; self.ideal = ideal; self.meaning = meaning; self.source = source
    }

    init(_ path: String, _ key: WritableKeyPath<PhantomSpec, Double?> & Sendable, unit: String, range: ClosedRange<Double>,
         integer: Bool = false, clinical: Distribution, ideal: Double?, meaning: String, source: String) {
        self.init(path, key, unit: unit, range: range, integer: integer, clinical: { _ in clinical }, ideal: ideal,
                  meaning: meaning, source: source)
    }

    /// For tests: the field's place in `PhantomSpec` and its clinical distribution for a given phantom.
    public var keyPathForTests: WritableKeyPath<PhantomSpec, Double?> { key }
    public func clinicalForTests(_ spec: PhantomSpec) -> Distribution { clinical(spec) }

    /// The section of the phantom file (`anatomy`) and the key in it (`ellipticity`).
    public var section: String { String(path.split(separator: ".").dropLast().joined(separator: ".")) }
    public var name: String { String(path.split(separator: ".").last ?? "") }

    /// Every realism field, in the order of the README table. Sections other than these files' own keep their
    /// hand-written readers; a field here is read by `read(section:path:into:)`.
    public static var all: [RealismField] { activationFields + anatomyFields + scarTissueFields + cmrFields + veinFields + xrayFields + acquisitionFields + imageFormationFields + deviceFields }

    /// Draws the value from `distribution` with `rng`, kept inside the range.
    func draw(_ d: Distribution, _ rng: inout SeededRandom) -> Double {
        var x: Double
        switch d {
        case let .fixed(v): x = v
        case let .uniform(lo, hi): x = lo + (hi - lo) * rng.uniform()
        case let .bernoulli(p): x = rng.uniform() < p ? 1 : 0
        case let .zeroOrUniform(p0, lo, hi):
            x = rng.uniform() < p0 ? 0 : lo + (hi - lo) * rng.uniform()
        case let .categorical(weights):
            let u = rng.uniform()
            var acc = 0.0
            x = Double(weights.count)
            for (k, w) in weights.enumerated() { acc += w; if u < acc { x = Double(k + 1); break } }
        case let .normal(mean, sd):
            x = mean + sd * rng.normal()
            var tries = 0
            while !range.contains(x) && tries < 100 { x = mean + sd * rng.normal(); tries += 1 }
        }
        x = min(max(x, range.lowerBound), range.upperBound)
        return integer ? x.rounded() : x
    }

    /// Reads every realism field of section `path` present in `reader` into `spec` (range-checked).
    static func read(section reader: SpecReader, path: String, into spec: inout PhantomSpec) throws {
        for f in all where f.section == path && reader.has(f.name) {
            if f.integer {
                let v = try reader.int(f.name, default: 0, range: Int(f.range.lowerBound)...Int(f.range.upperBound), unit: f.unit)
                spec[keyPath: f.key] = Double(v)
            } else {
                spec[keyPath: f.key] = try reader.number(f.name, default: f.range.lowerBound, range: f.range, unit: f.unit)
            }
        }
    }

    /// The Phantoms/README.md table of realism fields.
    public static var markdownTable: String {
        func fmt(_ x: Double) -> String { SpecReader.fmt(x) }
        func describe(_ d: Distribution) -> String {
            switch d {
            case let .normal(m, s): return "normal(\(fmt(m)), \(fmt(s)))"
            case let .uniform(a, b): return "uniform(\(fmt(a)), \(fmt(b)))"
            case let .fixed(v): return fmt(v)
            case let .bernoulli(p): return "1 with probability \(fmt(p)), else 0"
            case let .zeroOrUniform(p0, a, b): return "0 with probability \(fmt(p0)), else uniform(\(fmt(a)), \(fmt(b)))"
            case let .categorical(w): return w.enumerated().map { "\($0.offset + 1) with probability \(fmt($0.element))" }.joined(separator: ", ")
            }
        }
        var lines = ["| field | unit | range | clinical (drawn per patient) | ideal | meaning | source |",
                     "|---|---|---|---|---|---|---|"]
        for f in all {
            // A distribution that depends on the activation pattern is listed per pattern.
            let perPattern = ["lbbb", "normal", "rbbb"].map { p -> String in
                var s = PhantomSpec(); s.activation.pattern = p
                return describe(f.clinical(s))
            }
            let clinical = Set(perPattern).count == 1 ? perPattern[0]
                : zip(["lbbb", "normal", "rbbb"], perPattern).map { "\($0): \($1)" }.joined(separator: "; ")
            let ideal = f.ideal.map(fmt) ?? "model default"
            lines.append("| `\(f.path)` | \(f.unit) | \(fmt(f.range.lowerBound))-\(fmt(f.range.upperBound)) | \(clinical) | \(ideal) | \(f.meaning) | \(f.source) |")
        }
        return lines.joined(separator: "\n")
    }
}

extension PhantomSpec {
    /// This phantom with every realism field set: those the file gave are kept, the others drawn from the seed
    /// (`realism: clinical`, stream "patient.<path>" of `seed`, so adding a field does not change the others) or
    /// set neutral (`realism: ideal`). The generator calls it once per case; `truth/phantom.json` is the result,
    /// so a case can be made again from its own phantom.json.
    public func resolved(seed: UInt64) -> PhantomSpec {
        var out = self
        for f in RealismField.all where out[keyPath: f.key] == nil {
            switch realism {
            case .ideal:
                out[keyPath: f.key] = f.ideal
            case .clinical:
                var rng = SeededRandom(seed: seed, label: "patient.\(f.path)")
                out[keyPath: f.key] = f.draw(f.clinical(out), &rng)
            }
        }
        return out
    }

    /// The heart in the cath lab (`xray.cathLabVolumeChange` = c, unset or 0: this phantom itself): the LV
    /// end-diastolic volume times 1 + c and the wall thickness times (1 + c)^(-2/3), so that the myocardial
    /// volume (about the surface, which goes as the volume to the 2/3, times the thickness) stays; shape,
    /// orientation, scar, activation and veins as drawn. Nil when there is no change.
    public var cathLabSpec: PhantomSpec? {
        guard let c = xray.cathLabVolumeChange, c != 0 else { return nil }
        var out = self
        out.anatomy.edvMl *= 1 + c
        out.anatomy.wallThicknessMm *= pow(1 + c, -2.0 / 3)
        return out
    }
}
