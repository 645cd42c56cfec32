import Foundation
import SegmentModel
import WebOutput

/// Small building blocks of `report.html`: escaping, number formatting, table cells and tables. Everything returns
/// HTML text; plain text goes through `HTML.escape` (WebOutput) on its way in, so callers never paste unescaped strings.
enum ReportHTML {
    /// Tooltip of a value that is NaN or absent because the run has no such data.
    static let notApplicableTitle = "does not apply to this run"

    /// A number with `digits` decimals (POSIX formatting, so the same on every machine); nil for NaN, infinite or nil.
    static func format(_ x: Double?, digits: Int) -> String? {
        guard let x, x.isFinite else { return nil }
        return String(format: "%.\(digits)f", x)
    }

    /// A number with 4 significant digits ("%.4g"); nil for NaN, infinite or nil.
    static func formatSignificant(_ x: Double?) -> String? {
        guard let x, x.isFinite else { return nil }
        return String(format: "%.4g", x)
    }

    /// "n (p %)": a count and its share of `total` rounded to whole percent ("0 (0 %)" when total is 0).
    static func countAndPercent(_ n: Int, of total: Int) -> String {
        total > 0 ? "\(n) (\(String(format: "%.0f", 100 * Double(n) / Double(total))) %)" : "\(n)"
    }

    /// One table cell: HTML content, CSS classes, an optional tooltip and an optional `data-cell` key (used by the
    /// tests to find the cells of a table).
    struct Cell {
        var html: String
        var classes: [String] = []
        var title: String? = nil
        var key: String? = nil
        var header = false

        /// Left-aligned text (escaped).
        static func text(_ s: String, title: String? = nil) -> Cell { Cell(html: HTML.escape(s), classes: ["l"], title: title) }
        /// A row header (left-aligned, escaped).
        static func rowHeader(_ s: String, title: String? = nil) -> Cell { Cell(html: HTML.escape(s), classes: ["l"], title: title, header: true) }
        /// Pre-built HTML (the caller escaped its text).
        static func raw(_ html: String, classes: [String] = []) -> Cell { Cell(html: html, classes: classes) }
        /// "n/a" with the tooltip `reason`.
        static func notApplicable(_ reason: String = notApplicableTitle) -> Cell { Cell(html: "n/a", classes: ["na"], title: reason) }
        /// A number with fixed decimals, or "n/a" (tooltip: does not apply to this run).
        static func number(_ x: Double?, digits: Int = 3) -> Cell {
            format(x, digits: digits).map { Cell(html: $0) } ?? .notApplicable()
        }
        /// A number with 4 significant digits, or "n/a".
        static func significant(_ x: Double?) -> Cell {
            formatSignificant(x).map { Cell(html: $0) } ?? .notApplicable()
        }
        /// An integer, or "n/a".
        static func integer(_ n: Int?) -> Cell { n.map { Cell(html: String($0)) } ?? .notApplicable() }
        /// A 36-segment id with its name as tooltip, or `empty` (default "none") when nil.
        static func segment(_ id: Int?, empty: String = "none") -> Cell {
            guard let id else { return Cell(html: HTML.escape(empty), classes: ["muted"]) }
            return Cell(html: String(id), title: SegmentNames.name36(id))
        }
        /// A category ("within", "adjacent", "remote", "missing", "agree-none"), coloured; "n/a" when nil.
        static func category(_ c: String?) -> Cell {
            guard let c else { return .notApplicable() }
            return Cell(html: HTML.escape(c), classes: ["l", "cat-" + cssToken(c)])
        }

        /// The same cell with a `data-cell` key.
        func keyed(_ k: String) -> Cell { var c = self; c.key = k; return c }
        /// The same cell with an extra class.
        func with(_ cls: String) -> Cell { var c = self; c.classes.append(cls); return c }

        var rendered: String {
            let tag = header ? "th" : "td"
            let cls = classes.isEmpty ? nil : classes.joined(separator: " ")
            return "<\(tag)\(HTML.attribute("class", cls))\(HTML.attribute("title", title))\(HTML.attribute("data-cell", key))>\(html)</\(tag)>"
        }
    }

    /// A CSS-safe token from a category name (letters, digits and '-').
    static func cssToken(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "-" })
    }

    /// A table: `header` is plain text (escaped); `rows` are cells. `groupRows` inserts full-width group headings
    /// before the row of the given index.
    static func table(_ header: [String], _ rows: [[Cell]], id: String? = nil, caption: String? = nil,
                      groupRows: [Int: String] = [:], classes: String? = nil) -> String {
        var h = "<table\(HTML.attribute("id", id))\(HTML.attribute("class", classes))>"
        if let caption { h += "<caption>\(HTML.escape(caption))</caption>" }
        // A column heading is left-aligned like the column's first cell.
        let left = header.indices.map { i in i == 0 || (rows.first.map { i < $0.count && $0[i].classes.contains("l") } ?? false) }
        h += "<thead><tr>" + header.enumerated().map { i, t in "<th\(left[i] ? " class=\"l\"" : "")>\(HTML.escape(t))</th>" }.joined() + "</tr></thead><tbody>"
        for (i, row) in rows.enumerated() {
            if let g = groupRows[i] { h += "<tr class=\"group\"><th class=\"l\" colspan=\"\(header.count)\">\(HTML.escape(g))</th></tr>" }
            h += "<tr>" + row.map(\.rendered).joined() + "</tr>"
        }
        return h + "</tbody></table>"
    }

    /// A section with an anchor id and a heading.
    static func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(HTML.escape(id))\"><h2>\(HTML.escape(title))</h2>\n\(body)\n</section>"
    }

    /// A paragraph of plain text (escaped).
    static func paragraph(_ text: String, classes: String? = nil) -> String { "<p\(HTML.attribute("class", classes))>\(HTML.escape(text))</p>" }
}

/// Names of segments for tooltips and wall labels (from `Segment36`).
enum SegmentNames {
    /// "mid-anterolateral 1" for id 23; "segment <id>" outside 1...36.
    static func name36(_ id: Int) -> String { Segment36(id)?.name ?? "segment \(id)" }
    /// The AHA sector (wall) name of a 36-segment id, or nil.
    static func wall(_ id: Int?) -> String? { id.flatMap(Segment36.init).map { Segment36.ahaSectorNames[$0.ahaSector - 1] } }
}
