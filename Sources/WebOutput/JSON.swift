import Foundation

/// A JSON value for data embedded in crtsim's pages, written compactly and deterministically by `encoded`:
/// object keys sorted (by Unicode scalar values), no whitespace, numbers as below, and strings that are also safe
/// inside an HTML `<script>` element (`<`, `>`, `&`, U+2028 and U+2029 written as `\uXXXX`), so the text needs no
/// further escaping there. The same value always gives the same bytes.
///
/// Numbers: `.number` is the shortest text that reads back as the same Double (an integral value below 2^53 without
/// a fraction, "3" not "3.0"); `.fixed` rounds to at most `decimals` decimals (POSIX "%.*f", trailing zeros and a
/// bare point dropped), for large arrays where full precision would only add bytes. NaN and infinities are written
/// as `null`, and negative zero as `0`.
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case fixed(Double, decimals: Int)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// The compact JSON text.
    public var encoded: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// Appends the compact JSON text to `out`.
    public func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let x): out += JSON.shortest(x)
        case .fixed(let x, let decimals): out += JSON.fixed(x, decimals: decimals)
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let elements):
            out += "["
            for (k, e) in elements.enumerated() {
                if k > 0 { out += "," }
                e.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (k, key) in members.keys.sorted(by: { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }).enumerated() {
                if k > 0 { out += "," }
                JSON.quote(key, into: &out)
                out += ":"
                members[key]!.write(into: &out)
            }
            out += "}"
        }
    }

    /// An array of integers.
    public static func ints<S: Sequence>(_ values: S) -> JSON where S.Element: BinaryInteger {
        .array(values.map { .int(Int($0)) })
    }

    /// An array of numbers rounded to `decimals` decimals (see `fixed`).
    public static func numbers<S: Sequence>(_ values: S, decimals: Int) -> JSON where S.Element == Double {
        .array(values.map { .fixed($0, decimals: decimals) })
    }

    /// An array of numbers in shortest round-trip form.
    public static func numbers<S: Sequence>(_ values: S) -> JSON where S.Element == Double {
        .array(values.map { .number($0) })
    }

    /// The shortest text that reads back as `x`; "null" for NaN and infinities, "0" for -0.
    public static func shortest(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        if x == 0 { return "0" }
        if x == x.rounded(), abs(x) < 9_007_199_254_740_992 { return String(Int64(x)) }
        return x.description   // Swift's description is the shortest round-trip form ("0.1", "1e-07", "1e+300")
    }

    /// `x` with at most `decimals` decimals, trailing zeros and a bare point dropped, no "-0"; "null" when not finite.
    public static func fixed(_ x: Double, decimals: Int) -> String {
        guard x.isFinite else { return "null" }
        var s = String(format: "%.\(max(0, decimals))f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }

    /// A JSON string literal, also safe inside an HTML `<script>` element.
    public static func quoted(_ s: String) -> String {
        var out = ""
        quote(s, into: &out)
        return out
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}": out += String(format: "\\u%04x", u.value)
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
                ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
