import CCairo
import Foundation

/// The largest surface side cairo accepts (pixels or points).
let cairoMaximumSurfaceSide = 32_767
/// The font every figure uses (fonts-dejavu-core on Debian).
let figureFontFamily = "DejaVu Sans"

/// Horizontal anchoring of a text run relative to the given x.
enum TextAnchor { case left, center, right }

/// Owns one cairo surface and its drawing context, and turns every cairo status into a `FigureError`.
/// Internal: the public API only takes paths and data.
final class CairoCanvas {
    let surface: OpaquePointer
    let context: OpaquePointer
    /// Canvas size in device units (pixels for PNG, points for SVG).
    let width: Double
    let height: Double

    private init(surface: OpaquePointer, width: Double, height: Double, what: String) throws {
        try CairoCanvas.check(cairo_surface_status(surface), what) { cairo_surface_destroy(surface) }
        guard let context = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            throw FigureError.cairo(operation: "create a drawing context for \(what)", status: "no context")
        }
        try CairoCanvas.check(cairo_status(context), "create a drawing context for \(what)") {
            cairo_destroy(context); cairo_surface_destroy(surface)
        }
        self.surface = surface
        self.context = context
        self.width = width
        self.height = height
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    /// An opaque RGB image canvas of `width` x `height` pixels.
    static func image(width: Int, height: Int) throws -> CairoCanvas {
        try checkSize(width: Double(width), height: Double(height))
        guard let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)) else {
            throw FigureError.cairo(operation: "create a \(width) x \(height) image", status: "no surface")
        }
        return try CairoCanvas(surface: s, width: Double(width), height: Double(height),
                               what: "a \(width) x \(height) image")
    }

    /// An SVG canvas of `width` x `height` points that writes to `path` when finished.
    static func svg(path: String, width: Double, height: Double) throws -> CairoCanvas {
        try checkSize(width: width, height: height)
        guard let create = svgSurfaceCreate() else {
            throw FigureError.cairo(operation: "create SVG \(path)", status: "this cairo has no SVG surface")
        }
        guard let s = create(path, width, height) else {
            throw FigureError.cairo(operation: "create SVG \(path)", status: "no surface")
        }
        return try CairoCanvas(surface: s, width: width, height: height, what: "SVG \(path)")
    }

    private static func checkSize(width: Double, height: Double) throws {
        guard width >= 1, height >= 1, width <= Double(cairoMaximumSurfaceSide),
              height <= Double(cairoMaximumSurfaceSide) else {
            throw FigureError.invalidInput(
                "canvas \(width) x \(height) is outside 1...\(cairoMaximumSurfaceSide) on a side")
        }
    }

    /// `cairo_svg_surface_create`, looked up at run time: the CCairo shim includes only <cairo/cairo.h>, and
    /// libcairo (which the module links) exports the SVG surface whenever CAIRO_HAS_SVG_SURFACE is set.
    private static func svgSurfaceCreate()
        -> (@convention(c) (UnsafePointer<CChar>?, Double, Double) -> OpaquePointer?)? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "cairo_svg_surface_create") else {
            return nil
        }
        return unsafeBitCast(symbol,
                             to: (@convention(c) (UnsafePointer<CChar>?, Double, Double) -> OpaquePointer?).self)
    }

    /// Throws unless `status` is success; `cleanup` runs before throwing.
    static func check(_ status: cairo_status_t, _ operation: @autoclosure () -> String,
                      cleanup: () -> Void = {}) throws {
        guard status != CAIRO_STATUS_SUCCESS else { return }
        cleanup()
        throw FigureError.cairo(operation: operation(), status: String(cString: cairo_status_to_string(status)))
    }

    /// Throws if any drawing call so far put the context or the surface into an error state.
    func checkDrawing(_ what: String) throws {
        try CairoCanvas.check(cairo_status(context), "draw \(what)")
        try CairoCanvas.check(cairo_surface_status(surface), "draw \(what)")
    }

    /// Writes the image canvas as a PNG file (the parent folder must exist).
    func writePNG(to path: String) throws {
        try checkDrawing("PNG \(path)")
        cairo_surface_flush(surface)
        try CairoCanvas.check(cairo_surface_write_to_png(surface, path), "write PNG \(path)")
    }

    /// Finishes an SVG canvas, which writes and closes its file, then renumbers its surface ids
    /// (`renumberingSurfaceIds`).
    func finishSVG(path: String) throws {
        try checkDrawing("SVG \(path)")
        cairo_surface_finish(surface)
        try CairoCanvas.check(cairo_surface_status(surface), "write SVG \(path)")
        let written = try String(contentsOfFile: path, encoding: .utf8)
        let renumbered = CairoCanvas.renumberingSurfaceIds(written)
        if renumbered != written { try renumbered.write(toFile: path, atomically: true, encoding: .utf8) }
    }

    /// cairo (1.16) names an SVG's groups `surface<N>` after a process-wide count of the surfaces made so far, so
    /// the same figure's bytes would depend on what else the process (a parallel job) drew before it. The ids are
    /// renumbered 1, 2, ... in order of first appearance (references with them); the document's other ids
    /// (`clip`, `glyph`, `linear`) are counted per document already.
    static func renumberingSurfaceIds(_ svg: String) -> String {
        guard let pattern = try? NSRegularExpression(pattern: "surface([0-9]+)") else { return svg }
        let text = svg as NSString
        var numbers: [String: Int] = [:]
        var out = "", last = 0
        for match in pattern.matches(in: svg, range: NSRange(location: 0, length: text.length)) {
            let old = text.substring(with: match.range(at: 1))
            let new = numbers[old] ?? { numbers[old] = numbers.count + 1; return numbers.count }()
            out += text.substring(with: NSRange(location: last, length: match.range.location - last))
            out += "surface\(new)"
            last = match.range.location + match.range.length
        }
        out += text.substring(from: last)
        return out
    }

    // MARK: Drawing helpers

    func setColor(_ c: RGBA) { cairo_set_source_rgba(context, c.red, c.green, c.blue, c.alpha) }

    func fillRectangle(x: Double, y: Double, width: Double, height: Double, color: RGBA) {
        setColor(color)
        cairo_rectangle(context, x, y, width, height)
        cairo_fill(context)
    }

    func setFont(size: Double, bold: Bool = false) {
        cairo_select_font_face(context, figureFontFamily, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
    }

    /// Advance width of `text` in the current font (device units).
    func textWidth(_ text: String) -> Double {
        var e = cairo_text_extents_t()
        cairo_text_extents(context, text, &e)
        return e.x_advance
    }

    /// Ascent and descent of the current font (device units, both positive).
    func fontMetrics() -> (ascent: Double, descent: Double) {
        var e = cairo_font_extents_t()
        cairo_font_extents(context, &e)
        return (e.ascent, e.descent)
    }

    /// Draws one line of text in the current font, vertically centred on `centerY`.
    func drawText(_ text: String, x: Double, centerY: Double, anchor: TextAnchor = .left, color: RGBA) {
        let m = fontMetrics()
        let w = textWidth(text)
        let left: Double
        switch anchor {
        case .left: left = x
        case .center: left = x - w / 2
        case .right: left = x - w
        }
        setColor(color)
        cairo_move_to(context, left, centerY + (m.ascent - m.descent) / 2)
        cairo_show_text(context, text)
        cairo_new_path(context)
    }

    /// The largest font size in `minimum...preferred` at which `text` fits in `maxWidth`, and the text itself,
    /// shortened with an ellipsis if it does not fit even at `minimum`. Leaves that font selected.
    func fitText(_ text: String, maxWidth: Double, preferred: Double, minimum: Double,
                 bold: Bool = false) -> (text: String, size: Double) {
        setFont(size: preferred, bold: bold)
        let w = textWidth(text)
        if w <= maxWidth { return (text, preferred) }
        // Advance widths scale linearly with font size (hinting aside, hence the margin of a few percent).
        let shrink = 0.97
        let size = max(minimum, preferred * maxWidth / w * shrink)
        setFont(size: size, bold: bold)
        if textWidth(text) <= maxWidth { return (text, size) }
        var chars = Array(text)
        while !chars.isEmpty && textWidth(String(chars) + "…") > maxWidth { chars.removeLast() }
        return (chars.isEmpty ? "" : String(chars) + "…", size)
    }
}
