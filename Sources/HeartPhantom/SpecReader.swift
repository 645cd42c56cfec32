import CRTCore
import CYaml
import Foundation
import Yams

/// Strict reader of a YAML mapping: every field is read with its default, unit and allowed range, and keys that
/// were not read are an error. Messages name the file, the line, the dotted field path and the allowed range, so
/// a user can fix a phantom or scenario file without reading the code.
public final class SpecReader {
    public let file: String
    public let path: String
    private let mapping: Node.Mapping?
    private let line: Int
    private var consumed: Set<String> = []

    /// Parses YAML text. An empty document reads as an empty mapping (all defaults).
    public static func parse(yaml: String, file: String) throws -> SpecReader {
        try checkExpandedSize(yaml: yaml, file: file)
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch {
            throw InputError("\(file): not valid YAML (\(SpecReader.oneLine(error)))")
        }
        guard let node else { return SpecReader(file: file, path: "", mapping: nil, line: 1) }
        guard let m = node.mapping else {
            throw InputError("\(file): line \(node.mark?.line ?? 1): the top level must be a mapping of fields")
        }
        return SpecReader(file: file, path: "", mapping: m, line: node.mark?.line ?? 1)
    }

    /// Most values (scalars, lists and mappings, counted as expanded) a phantom or scenario document may hold.
    /// Yams composes an alias as a shared copy of its anchored node, but it hashes mapping keys in full (to find
    /// duplicates), and everything that walks or re-serialises the document (a scenario's overrides, draws and
    /// sweep values) pays for the expanded tree: a 468-byte scenario with nine levels of ten aliases each ("billion
    /// laughs") expands to 10^9 values and ran for minutes and gigabytes.
    public static let maxNodes = 100_000

    /// Throws `InputError` naming the file and line when the YAML text expands, through aliases, to more than
    /// `maxNodes` values. Counts from libyaml's event stream (each anchor's expanded size recorded when its node
    /// ends, an alias adding that size), so it costs one pass over the text and never composes the document.
    /// Text that libyaml cannot parse passes here and is reported by the composer.
    public static func checkExpandedSize(yaml: String, file: String) throws {
        if let line = lineExceedingNodeLimit(yaml: yaml) {
            throw InputError("\(file): line \(line): the document expands to more than \(maxNodes) values "
                + "through YAML aliases (*name); phantom and scenario files hold a few hundred")
        }
    }

    /// The line at which the expanded size passes `maxNodes` (nil when it does not, or the text does not parse).
    static func lineExceedingNodeLimit(yaml: String) -> Int? {
        var text = Array(yaml.utf8)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return text.withUnsafeMutableBufferPointer { buffer -> Int? in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            let limit = maxNodes
            var anchors: [String: Int] = [:]
            // Open collections: their anchor and the expanded size counted so far (the collection itself is 1).
            var open: [(anchor: String?, size: Int)] = []
            var total = 0
            func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? { p.map { String(cString: $0) } }
            /// Adds a finished node of `size` to its parent (or the stream); true when past the limit.
            func add(_ size: Int) -> Bool {
                if open.isEmpty { total = min(total + size, limit + 1); return total > limit }
                open[open.count - 1].size = min(open[open.count - 1].size + size, limit + 1)
                return open[open.count - 1].size > limit
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    if let a = name(event.data.scalar.anchor) { anchors[a] = 1 }
                    if add(1) { return line }
                case YAML_ALIAS_EVENT:
                    if add(name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1) { return line }
                case YAML_SEQUENCE_START_EVENT:
                    open.append((name(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT:
                    open.append((name(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let done = open.popLast() else { return nil }
                    if let a = done.anchor { anchors[a] = done.size }
                    if add(done.size) { return line }
                default:
                    break
                }
            }
        }
    }

    init(file: String, path: String, mapping: Node.Mapping?, line: Int) {
        self.file = file; self.path = path; self.mapping = mapping; self.line = line
    }

    static func oneLine(_ e: Error) -> String {
        String(describing: e).split(whereSeparator: \.isNewline).map(String.init).joined(separator: " ")
    }

    private func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func node(_ key: String) -> Node? {
        consumed.insert(key)
        return mapping?[Node(key)]
    }

    /// An error message in the house format: `file: line N: field: problem`.
    public func error(_ key: String, _ problem: String, at n: Node? = nil) -> InputError {
        let l = n?.mark?.line ?? line
        return InputError("\(file): line \(l): \(fieldPath(key)): \(problem)")
    }

    /// Whether the field is present. The key counts as a known field (listed as allowed by `finish()`), since
    /// fields read only when present are still part of the format.
    public func has(_ key: String) -> Bool {
        consumed.insert(key)
        return mapping?[Node(key)] != nil
    }

    /// The raw YAML node of a field (nil when absent), for values of any shape (a scenario's overrides and draws).
    public func node(of key: String) -> Node? { node(key) }

    /// The line of a field in the file (the mapping's own line when the field is absent).
    public func line(of key: String) -> Int { mapping?[Node(key)]?.mark?.line ?? line }

    /// The keys present, in file order.
    public var keys: [String] { mapping.map { m in m.compactMap { $0.key.string } } ?? [] }

    /// A finite number in `range` (inclusive); `unit` is named in messages.
    public func number(_ key: String, default def: Double, range: ClosedRange<Double>, unit: String = "") throws -> Double {
        try doubleOrThrow(key, default: def, range: range, unit: unit)
    }

    private func rangeText(_ range: ClosedRange<Double>, _ unit: String) -> String {
        let u = unit.isEmpty ? "" : " \(unit)"
        return "a number from \(SpecReader.fmt(range.lowerBound)) to \(SpecReader.fmt(range.upperBound))\(u)"
    }

    static func fmt(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(x)
    }

    private func doubleOrThrow(_ key: String, default def: Double, range: ClosedRange<Double>, unit: String) throws -> Double {
        guard let n = node(key) else { return def }
        guard let s = n.scalar, let v = Double(s.string.trimmingCharacters(in: .whitespaces)) ?? Self.yamlSpecial(s.string) else {
            throw error(key, "expected \(rangeText(range, unit)), got '\(n.scalar?.string ?? "a list or mapping")'", at: n)
        }
        guard v.isFinite else { throw error(key, "must be finite: expected \(rangeText(range, unit))", at: n) }
        guard range.contains(v) else {
            throw error(key, "\(SpecReader.fmt(v)) is out of range: expected \(rangeText(range, unit))", at: n)
        }
        return v
    }

    static func yamlSpecial(_ s: String) -> Double? {
        switch s.lowercased() {
        case ".nan": return .nan
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        default: return nil
        }
    }

    /// An integer in `range`.
    public func int(_ key: String, default def: Int, range: ClosedRange<Int>, unit: String = "") throws -> Int {
        guard let n = node(key) else { return def }
        let u = unit.isEmpty ? "" : " \(unit)"
        guard let s = n.scalar, let v = Int(s.string.trimmingCharacters(in: .whitespaces)) else {
            throw error(key, "expected an integer from \(range.lowerBound) to \(range.upperBound)\(u), got '\(n.scalar?.string ?? "a list or mapping")'", at: n)
        }
        guard range.contains(v) else {
            throw error(key, "\(v) is out of range: expected an integer from \(range.lowerBound) to \(range.upperBound)\(u)", at: n)
        }
        return v
    }

    public func bool(_ key: String, default def: Bool) throws -> Bool {
        guard let n = node(key) else { return def }
        switch n.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, got '\(n.scalar?.string ?? "a list or mapping")'", at: n)
        }
    }

    public func string(_ key: String, default def: String) throws -> String {
        guard let n = node(key) else { return def }
        guard let s = n.scalar else { throw error(key, "expected a text value", at: n) }
        return s.string
    }

    /// One of the allowed words.
    public func choice(_ key: String, default def: String, allowed: [String]) throws -> String {
        let v = try string(key, default: def)
        guard allowed.contains(v) else {
            throw error(key, "'\(v)' is not allowed: expected one of \(allowed.joined(separator: ", "))", at: mapping?[Node(key)])
        }
        return v
    }

    /// A list of exactly `count` numbers in `range`.
    public func vector(_ key: String, default def: [Double], count: Int, range: ClosedRange<Double>, unit: String) throws -> [Double] {
        guard let n = node(key) else { return def }
        guard let seq = n.sequence, seq.count == count else {
            throw error(key, "expected a list of \(count) numbers (\(unit))", at: n)
        }
        return try seq.map { item in
            guard let v = item.scalar.flatMap({ Double($0.string) }), v.isFinite, range.contains(v) else {
                throw error(key, "each entry must be \(rangeText(range, unit))", at: item)
            }
            return v
        }
    }

    /// A non-empty list of text values, each one of `allowed` when given.
    public func strings(_ key: String, default def: [String], allowed: [String]? = nil) throws -> [String] {
        guard let n = node(key) else { return def }
        if let one = n.scalar?.string, !one.isEmpty { return try check([one], allowed, key, n) }
        guard let seq = n.sequence, !seq.isEmpty else { throw error(key, "expected a non-empty list of names", at: n) }
        let values = try seq.map { item -> String in
            guard let v = item.scalar?.string, !v.isEmpty else { throw error(key, "expected names", at: item) }
            return v
        }
        return try check(values, allowed, key, n)
    }

    private func check(_ values: [String], _ allowed: [String]?, _ key: String, _ n: Node) throws -> [String] {
        if let allowed, let bad = values.first(where: { !allowed.contains($0) }) {
            throw error(key, "'\(bad)' is not allowed: expected one of \(allowed.joined(separator: ", "))", at: n)
        }
        return values
    }

    /// A nested mapping (absent: an empty reader, so every field takes its default).
    public func section(_ key: String) throws -> SpecReader {
        guard let n = node(key) else { return SpecReader(file: file, path: fieldPath(key), mapping: nil, line: line) }
        guard let m = n.mapping else { throw error(key, "expected a mapping of fields", at: n) }
        return SpecReader(file: file, path: fieldPath(key), mapping: m, line: n.mark?.line ?? line)
    }

    /// A list of mappings.
    public func list(_ key: String) throws -> [SpecReader] {
        guard let n = node(key) else { return [] }
        if n.scalar?.string == "" || n.scalar?.string == "null" || n.scalar?.string == "~" { return [] }
        guard let seq = n.sequence else { throw error(key, "expected a list", at: n) }
        return try seq.enumerated().map { i, item in
            guard let m = item.mapping else { throw error("\(key)[\(i)]", "expected a mapping of fields", at: item) }
            return SpecReader(file: file, path: fieldPath("\(key)[\(i)]"), mapping: m, line: item.mark?.line ?? line)
        }
    }

    /// One item of a list whose items are a name (a scalar) or a mapping of fields.
    public enum ListItem {
        case name(String, line: Int)
        case fields(SpecReader)
    }

    /// A list whose items are names or mappings (a scenario's `pipelines: [builtin, {name: mine, command: ...}]`).
    public func namesOrMappings(_ key: String) throws -> [ListItem] {
        guard let n = node(key) else { return [] }
        guard let seq = n.sequence else { throw error(key, "expected a list", at: n) }
        return try seq.enumerated().map { i, item in
            if let m = item.mapping {
                return .fields(SpecReader(file: file, path: fieldPath("\(key)[\(i)]"), mapping: m, line: item.mark?.line ?? line))
            }
            guard let s = item.scalar?.string, !s.isEmpty else { throw error("\(key)[\(i)]", "expected a name or a mapping of fields", at: item) }
            return .name(s, line: item.mark?.line ?? line)
        }
    }

    /// A mapping from integer keys in `keyRange` to numbers in `valueRange`.
    public func intKeyedNumbers(_ key: String, keyRange: ClosedRange<Int>, valueRange: ClosedRange<Double>, unit: String) throws -> [Int: Double] {
        guard let n = node(key) else { return [:] }
        guard let m = n.mapping else { throw error(key, "expected a mapping of segment id to value", at: n) }
        var out: [Int: Double] = [:]
        for (k, v) in m {
            guard let ki = Int(k.string ?? ""), keyRange.contains(ki) else {
                throw error(key, "key '\(k.string ?? "?")' must be an integer from \(keyRange.lowerBound) to \(keyRange.upperBound)", at: k)
            }
            guard let vd = v.scalar.flatMap({ Double($0.string) }), vd.isFinite, valueRange.contains(vd) else {
                throw error("\(key).\(ki)", "expected \(rangeText(valueRange, unit))", at: v)
            }
            out[ki] = vd
        }
        return out
    }

    /// Call after reading every field: unknown keys are an error that lists the allowed ones.
    public func finish() throws {
        guard let mapping else { return }
        for (k, _) in mapping {
            let name = k.string ?? "?"
            if !consumed.contains(name) {
                let allowed = consumed.sorted().joined(separator: ", ")
                throw InputError("\(file): line \(k.mark?.line ?? line): \(fieldPath(name)): unknown field (allowed here: \(allowed))")
            }
        }
    }
}
