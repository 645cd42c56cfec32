/// The one HTML escaper of crtsim's pages (`report.html`, the 4D-MAP page, the teaching page) and of `junit.xml`.
///
/// Three contexts:
/// - element text and attribute values (double- or single-quoted): `escape(_:)`, which replaces the five characters
///   that can end or change either, `& < > " '`, by `&amp; &lt; &gt; &quot; &#39;` (`&#39;` rather than `&apos;`,
///   which HTML 4 lacks; both are valid XML, so the same text serves XML attributes);
/// - attribute values: `attribute(_:_:)` writes ` name="value"` with the value escaped;
/// - JSON inside `<script>`: `scriptJSON(_:)` makes any JSON text safe there (`JSON.encode` output already is).
public enum HTML {
    /// `text` for HTML element content or a quoted attribute value: `&` `<` `>` `"` `'` replaced by entities,
    /// everything else (U+2028 included, which HTML text may hold) kept.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for u in text.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// ` name="value"` with the value escaped, or "" when the value is nil.
    public static func attribute(_ name: String, _ value: String?) -> String {
        value.map { " \(name)=\"\(escape($0))\"" } ?? ""
    }

    /// JSON text made safe inside an HTML `<script>` element: `</` becomes `<\/` (so no `</script>` ends the
    /// element), `<!--` becomes `<\!--` (no script-data escape state), and U+2028 / U+2029 become `\u2028` /
    /// `\u2029` (line terminators in older JavaScript). In valid JSON these can occur only inside strings, where
    /// each replacement reads back as the same characters, so `JSON.parse` gives the same value.
    public static func scriptJSON(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        let scalars = Array(json.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let u = scalars[i]
            switch u {
            case "<" where i + 1 < scalars.count && scalars[i + 1] == "/":
                out += "<\\/"; i += 2; continue
            case "<" where i + 3 < scalars.count && scalars[i + 1] == "!" && scalars[i + 2] == "-" && scalars[i + 3] == "-":
                out += "<\\!--"; i += 4; continue
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(u)
            }
            i += 1
        }
        return out
    }
}
