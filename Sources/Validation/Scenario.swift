import CRTCore
import Foundation
import HeartPhantom

/// A scenario (`Scenarios/*.yaml`): which synthetic patients, how they are imaged, how the pipeline is set, and
/// what the scores must reach. Format documented in Scenarios/README.md; read strictly (unknown fields, wrong types
/// and out-of-range values are errors naming the file, line and field).
public struct Scenario: Sendable {
    public var id: String
    public var description: String
    /// Base seed; case i uses a seed derived from it and the label "scenario.case.<i>".
    public var seed: UInt64
    public var cases: Int
    /// Presets (Phantoms/<name>.yaml), assigned to cases in turn.
    public var phantoms: [String]
    /// Acquisition perturbations applied to every case.
    public var cineSnr: Double?
    public var lgeSnr: Double?
    public var sliceMisregistrationMm: Double?
    /// Pipeline settings.
    public var scarThresholdFraction: Double
    public var scarMethod: String
    /// What the metrics must reach.
    public var expectations: [Expectation]
    /// FNV-1a 64-bit hash of the file's text (hex), recorded in results.json.
    public var hash: String

    /// One expectation: a metric id and a typed tolerance.
    public struct Expectation: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case atLeast, atMost, withinAbsolute, withinRelative }
        public var metric: String
        public var kind: Kind
        public var value: Double
        /// For withinAbsolute (same unit as the metric) and withinRelative (fraction).
        public var tolerance: Double?

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

    /// Reads and validates a scenario file.
    public static func load(_ path: String, presets: [String]) throws -> Scenario {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InputError("\(path): cannot read the scenario file")
        }
        let r = try SpecReader.parse(yaml: text, file: path)
        let id = try r.string("id", default: "")
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw r.error("id", "required: letters, digits, '-' and '_' only")
        }
        let description = try r.string("description", default: "")
        let seed = try r.int("seed", default: 1, range: 0...Int(Int32.max))
        let cases = try r.int("cases", default: 1, range: 1...10_000, unit: "cases")
        let phantoms = try r.strings("phantoms", default: ["advise-typical"], allowed: presets)
        let acq = try r.section("acquisition")
        let cineSnr = acq.has("cineSnr") ? try acq.number("cineSnr", default: 30, range: 2...1000) : nil
        let lgeSnr = acq.has("lgeSnr") ? try acq.number("lgeSnr", default: 40, range: 2...1000) : nil
        let misreg = acq.has("sliceMisregistrationMm") ? try acq.number("sliceMisregistrationMm", default: 0, range: 0...10, unit: "mm") : nil
        try acq.finish()
        let pipe = try r.section("pipeline")
        let thr = try pipe.number("scarThresholdFraction", default: 0.5, range: 0.05...0.95)
        let method = try pipe.choice("scarMethod", default: "fwhm", allowed: ["fwhm", "nSD"])
        try pipe.finish()
        var expectations: [Expectation] = []
        for e in try r.list("expectations") {
            let metric = try e.choice("metric", default: "", allowed: PipelineMetrics.ids)
            let kinds = Expectation.Kind.allCasesInOrder.filter { e.has($0.rawValue) }
            _ = e.has("tolerance")
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
            expectations.append(Expectation(metric: metric, kind: kind, value: value, tolerance: tolerance))
        }
        try r.finish()
        return Scenario(id: id, description: description, seed: UInt64(seed), cases: cases, phantoms: phantoms,
                        cineSnr: cineSnr, lgeSnr: lgeSnr, sliceMisregistrationMm: misreg, scarThresholdFraction: thr,
                        scarMethod: method, expectations: expectations, hash: fnv1a(text))
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
