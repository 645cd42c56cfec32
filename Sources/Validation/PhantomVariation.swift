import CRTCore
import Foundation
import HeartPhantom
import Yams

/// How a scenario varies its phantoms from case to case: fixed overrides, parameters drawn per case from
/// distributions, and parameters swept over a grid. Each names a field of the phantom file by its dotted path
/// (`anatomy.edvMl`, `cmr.cine.snr`, `scars.0.transmurality`; list items by index) and sets a YAML value there, so
/// the phantom's own strict reader checks every resulting value and range (Phantoms/README.md).
///
/// Values are kept as YAML text (one flow-style document each) so the scenario stays a plain Sendable value.
public struct PhantomVariation: Sendable, Equatable {
    /// A fixed value for one field.
    public struct Setting: Sendable, Equatable {
        public var path: String
        public var yaml: String
        /// Where it came from in the scenario file (for messages), e.g. "draws[0]" at line 7.
        public var source: String = ""
        public var line: Int = 0
        public init(path: String, yaml: String, source: String = "", line: Int = 0) {
            self.path = path; self.yaml = yaml; self.source = source; self.line = line
        }
    }

    /// A value drawn per case.
    public struct Draw: Sendable, Equatable {
        public enum Distribution: Sendable, Equatable {
            /// Normal(mean, sd), redrawn until inside [min, max] (at most 1000 tries, then clamped).
            case normal(mean: Double, sd: Double, min: Double, max: Double)
            /// Uniform on [min, max].
            case uniform(min: Double, max: Double)
            /// One of `values` (YAML text: numbers, words, lists or mappings) with the given weights (summing to 1).
            case choice(values: [String], weights: [Double])
        }
        public var path: String
        public var distribution: Distribution
        /// Round numeric draws to whole numbers (for integer fields).
        public var round: Bool
        public var source: String = ""
        public var line: Int = 0
    }

    /// One axis of the sweep grid.
    public struct Axis: Sendable, Equatable {
        public var path: String
        public var values: [String]
        public var source: String = ""
        public var line: Int = 0
    }

    public var overrides: [Setting] = []
    public var draws: [Draw] = []
    public var sweep: [Axis] = []

    public init() {}

    /// Number of grid points (1 without a sweep).
    public var gridSize: Int { sweep.reduce(1) { $0 * $1.values.count } }

    /// The settings of grid point g (0-based; the last axis varies fastest) and a label such as
    /// "cmr.cine.snr=10, cmr.lge.snr=20" ("" without a sweep).
    public func gridPoint(_ g: Int) -> (settings: [Setting], label: String) {
        var rest = g
        var out: [Setting] = []
        for axis in sweep.reversed() {
            out.insert(Setting(path: axis.path, yaml: axis.values[rest % axis.values.count]), at: 0)
            rest /= axis.values.count
        }
        return (out, out.map { "\($0.path)=\($0.yaml)" }.joined(separator: ", "))
    }

    /// The drawn settings of one case: each draw uses its own stream, seeded by the case seed and the label
    /// "scenario.draw.<path>", so adding a draw does not change the others.
    public func drawnSettings(caseSeed: UInt64) -> [Setting] {
        draws.map { d in
            var rng = SeededRandom(seed: caseSeed, label: "scenario.draw.\(d.path)")
            switch d.distribution {
            case let .normal(mean, sd, lo, hi):
                var x = mean + sd * rng.normal()
                var tries = 0
                while (x < lo || x > hi) && tries < 1000 { x = mean + sd * rng.normal(); tries += 1 }
                return Setting(path: d.path, yaml: Self.number(Swift.min(Swift.max(x, lo), hi), round: d.round))
            case let .uniform(lo, hi):
                return Setting(path: d.path, yaml: Self.number(lo + (hi - lo) * rng.uniform(), round: d.round))
            case let .choice(values, weights):
                let u = rng.uniform()
                var acc = 0.0
                for (v, w) in zip(values, weights) {
                    acc += w
                    if u < acc { return Setting(path: d.path, yaml: v) }
                }
                return Setting(path: d.path, yaml: values[values.count - 1])
            }
        }
    }

    static func number(_ x: Double, round: Bool) -> String {
        round ? String(Int(x.rounded())) : String(format: "%.6g", x)
    }

    /// Applies settings, in order, to a phantom file's text and returns the new YAML text.
    /// - Throws: `InputError` naming `origin` and the path when a path does not fit the file (e.g. a list index
    ///   past the end, or a path through a number).
    public static func apply(_ settings: [Setting], toPhantomYAML text: String, origin: String) throws -> String {
        var root: Node
        // Composing and re-serialising expand aliases: refuse an alias bomb in the phantom file first.
        try SpecReader.checkExpandedSize(yaml: text, file: origin)
        do { root = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([])) } catch {
            throw InputError("\(origin): not valid YAML")
        }
        for s in settings {
            let value: Node
            do { value = try Yams.compose(yaml: s.yaml) ?? Node("") } catch {
                throw InputError("\(origin): \(s.path): value '\(s.yaml)' is not valid YAML")
            }
            root = try set(value, at: s.path.split(separator: ".").map(String.init)[...], in: root, path: s.path, origin: origin)
        }
        do { return try Yams.serialize(node: root) } catch { throw InputError("\(origin): cannot write the varied phantom") }
    }

    private static func set(_ value: Node, at path: ArraySlice<String>, in node: Node?, path full: String, origin: String) throws -> Node {
        guard let head = path.first else { return value }
        if let index = Int(head) {
            guard case .sequence(var seq)? = node else {
                throw InputError("\(origin): \(full): '\(head)' indexes a list, but the phantom has no list there")
            }
            guard index >= 0, index < seq.count else {
                throw InputError("\(origin): \(full): list index \(index) is out of range (the list has \(seq.count) item(s))")
            }
            let i = seq.index(seq.startIndex, offsetBy: index)
            seq[i] = try set(value, at: path.dropFirst(), in: seq[i], path: full, origin: origin)
            return .sequence(seq)
        }
        var m: Node.Mapping
        switch node {
        case .mapping(let x)?: m = x
        case nil: m = Node.Mapping([])
        case .scalar(let s)? where s.string.isEmpty || s.string == "null" || s.string == "~": m = Node.Mapping([])
        default: throw InputError("\(origin): \(full): '\(head)' names a field inside a value that is not a mapping")
        }
        m[head] = try set(value, at: path.dropFirst(), in: m[head], path: full, origin: origin)
        return .mapping(m)
    }
}

extension PhantomVariation {
    /// Where in the scenario file the variation of `path` is set ("draws[0]", line), for messages.
    public func source(of path: String) -> (field: String, line: Int)? {
        if let s = overrides.first(where: { $0.path == path }) { return (s.source, s.line) }
        if let d = draws.first(where: { $0.path == path }) { return (d.source, d.line) }
        if let a = sweep.first(where: { $0.path == path }) { return (a.source, a.line) }
        return nil
    }

    /// Every path the variation sets.
    public var paths: [String] { overrides.map(\.path) + draws.map(\.path) + sweep.map(\.path) }

    /// Reads `overrides`, `draws` and `sweep` of a scenario file.
    static func read(_ r: SpecReader) throws -> PhantomVariation {
        var v = PhantomVariation()
        let o = try r.section("overrides")
        for key in o.keys {
            guard let n = o.node(of: key) else { continue }
            v.overrides.append(Setting(path: key, yaml: try flow(n, r, "overrides.\(key)"), source: "overrides.\(key)", line: o.line(of: key)))
        }
        for (i, d) in try r.list("draws").enumerated() {
            let path = try parameterPath(d)
            let round = try d.bool("round", default: false)
            let kinds = ["normal", "uniform", "choice"].filter { d.has($0) }
            guard kinds.count == 1 else { throw d.error("parameter", "give exactly one of normal, uniform, choice") }
            let k = try d.section(kinds[0])
            let dist: Draw.Distribution
            switch kinds[0] {
            case "normal":
                let mean = try k.number("mean", default: 0, range: -1e9...1e9)
                let sd = try k.number("sd", default: 1, range: 0...1e9)
                let lo = try k.number("min", default: -1e9, range: -1e9...1e9)
                let hi = try k.number("max", default: 1e9, range: -1e9...1e9)
                guard lo <= hi else { throw k.error("max", "must be at least min (\(lo))") }
                dist = .normal(mean: mean, sd: sd, min: lo, max: hi)
            case "uniform":
                let lo = try k.number("min", default: 0, range: -1e9...1e9)
                let hi = try k.number("max", default: 1, range: -1e9...1e9)
                guard lo <= hi else { throw k.error("max", "must be at least min (\(lo))") }
                dist = .uniform(min: lo, max: hi)
            default:
                guard let vn = k.node(of: "values"), let seq = vn.sequence, !seq.isEmpty else {
                    throw k.error("values", "required: a non-empty list of values")
                }
                let values = try seq.map { try flow($0, k, "values") }
                var weights = [Double](repeating: 1 / Double(values.count), count: values.count)
                if let wn = k.node(of: "weights") {
                    guard let ws = wn.sequence, ws.count == values.count else {
                        throw k.error("weights", "expected a list of \(values.count) numbers (one per value)")
                    }
                    weights = try ws.map { w in
                        guard let x = Double(w.string ?? ""), x.isFinite, x >= 0 else { throw k.error("weights", "expected numbers >= 0") }
                        return x
                    }
                    let sum = weights.reduce(0, +)
                    guard abs(sum - 1) < 1e-6 else { throw k.error("weights", "must sum to 1 (they sum to \(sum))") }
                }
                dist = .choice(values: values, weights: weights)
            }
            try k.finish()
            try d.finish()
            v.draws.append(Draw(path: path, distribution: dist, round: round, source: "draws[\(i)]", line: d.line(of: "parameter")))
        }
        for (i, a) in try r.list("sweep").enumerated() {
            let path = try parameterPath(a)
            guard let vn = a.node(of: "values"), let seq = vn.sequence, !seq.isEmpty else {
                throw a.error("values", "required: a non-empty list of values")
            }
            v.sweep.append(Axis(path: path, values: try seq.map { try flow($0, a, "values") }, source: "sweep[\(i)]", line: a.line(of: "parameter")))
            try a.finish()
        }
        guard v.gridSize <= 10_000 else { throw r.error("sweep", "the grid has \(v.gridSize) points; at most 10000") }
        return v
    }

    private static func parameterPath(_ r: SpecReader) throws -> String {
        let p = try r.string("parameter", default: "")
        let ok = !p.isEmpty && p.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        }
        guard ok else { throw r.error("parameter", "required: a dotted phantom field path such as anatomy.edvMl or scars.0.transmurality") }
        return p
    }

    /// A node as one-line flow-style YAML text.
    private static func flow(_ n: Node, _ r: SpecReader, _ key: String) throws -> String {
        if let s = n.scalar { return s.string }
        do {
            return try Yams.serialize(node: n, width: -1, sequenceStyle: .flow, mappingStyle: .flow)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch { throw r.error(key, "cannot read this value") }
    }
}
