import CCairo
import CRTCore
import Foundation
import Statistics

/// How voxels are resampled when a tile is enlarged by the mosaic scale.
public enum TileInterpolation: String, Codable, Sendable {
    /// Each voxel becomes a `scale` x `scale` block of one grey (shows the true sampling).
    case nearest
    /// Bilinear interpolation between voxel centres (smoother, for presentation).
    case bilinear
}

/// A label volume drawn over a mosaic: voxels with label > 0 as outlines and/or translucent fill.
///
/// Used for truth overlays (myocardium, scar, segments) on previews. Labels without a palette entry get a
/// colour from `RGBA.overlayCycle` (label 1 the first, cycling), so no label is hidden by accident; give a label
/// alpha 0 to hide it.
public struct LabelOverlay: Sendable {
    /// Labels on the same grid as the image (same column, row and slice counts), with either one frame (used for
    /// every frame of the image) or as many frames as the image.
    public var labels: ImageVolume<UInt8>
    /// Colour of each label value; its alpha scales both outline and fill.
    public var palette: [UInt8: RGBA]
    /// Width of the outline drawn along the voxel edges between a label and anything else (canvas pixels);
    /// 0 draws no outline.
    public var outlineWidthPx: Double
    /// Opacity of the fill over voxels with the label, 0...1 (multiplied by the palette alpha); 0 draws no fill.
    public var fillOpacity: Double

    /// Default outline width (canvas pixels): two pixels, centred on voxel edges, stay crisp at integer scales.
    public static let defaultOutlineWidthPx = 2.0

    public init(labels: ImageVolume<UInt8>, palette: [UInt8: RGBA] = [:],
                outlineWidthPx: Double = LabelOverlay.defaultOutlineWidthPx, fillOpacity: Double = 0) {
        self.labels = labels
        self.palette = palette
        self.outlineWidthPx = outlineWidthPx
        self.fillOpacity = fillOpacity
    }

    /// The colour label `value` is drawn with (palette entry, or the overlay cycle).
    public func color(of value: UInt8) -> RGBA {
        if let c = palette[value] { return c }
        let cycle = RGBA.overlayCycle
        return cycle[(Int(value) - 1 + cycle.count) % cycle.count]
    }
}

/// Sizes and colours of a mosaic (canvas pixels and points of text).
public struct MosaicStyle: Hashable, Sendable {
    /// Space around the grid of tiles (px).
    public var marginPx: Int = 8
    /// Space between neighbouring tiles (px).
    public var gapPx: Int = 6
    /// Height of the title bar at the top (px).
    public var titleBarHeightPx: Int = 32
    /// Height of the caption strip above each tile that holds its label (px).
    public var labelStripHeightPx: Int = 18
    /// The canvas is at least this wide so that the title stays readable for small volumes; the grid is centred.
    public var minimumCanvasWidthPx: Int = 360
    /// Title font size (px).
    public var titleFontSize: Double = 15
    /// Font size of the frame / window caption at the right of the title bar (px).
    public var captionFontSize: Double = 11
    /// Font size of the tile labels (px).
    public var labelFontSize: Double = 11
    /// Text is shrunk to fit, but never below this size (px); beyond that it is shortened with an ellipsis.
    public var minimumFontSize: Double = 7
    /// Preferred width / height of the whole grid when `columns` is not given.
    public var targetAspectRatio: Double = 4.0 / 3.0
    /// Whether the title bar shows "frame t, window [low, high]" at its right end (when it fits).
    public var showsWindowCaption: Bool = true
    public var backgroundColor = RGBA.grey(0.16)
    public var titleBarColor = RGBA.grey(0.08)
    public var textColor = RGBA.grey(0.95)
    public var captionColor = RGBA.grey(0.7)

    public init() {}
}

/// Where everything sits on a mosaic canvas (pixels, origin at the top left, y down).
///
/// Tile of slice k: column `k % columns`, row `k / columns`; its top-left pixel is
/// `x = gridLeft + column (tileWidth + gap)`, `y = titleBar + row (labelStrip + tileHeight + gap) + labelStrip`.
/// Voxel (i, j) of a slice covers pixels `x + i scale ..< x + (i + 1) scale`, `y + j scale ..< y + (j + 1) scale`.
public struct MosaicLayout: Hashable, Sendable {
    public var canvasWidth: Int
    public var canvasHeight: Int
    public var columns: Int
    public var rows: Int
    public var sliceCount: Int
    /// Tile size in pixels: grid columns and rows times the scale.
    public var tileWidth: Int
    public var tileHeight: Int
    /// Left edge of the first tile column (px).
    public var gridLeft: Int
    public var style: MosaicStyle

    /// Top-left pixel of the tile that shows slice `k`.
    public func tileOrigin(slice k: Int) -> (x: Int, y: Int) {
        let column = k % columns, row = k / columns
        return (gridLeft + column * (tileWidth + style.gapPx),
                style.titleBarHeightPx + row * (style.labelStripHeightPx + tileHeight + style.gapPx)
                    + style.labelStripHeightPx)
    }
}

/// A grid of the slices of one frame of a volume, drawn as grey tiles with labels and a title bar, optionally
/// with a label overlay, and written as a PNG with cairo.
///
/// Voxel (i = column, j = row) of a slice shows at x = i, y = j of its tile (row 0 at the top), i.e. the image
/// as stored, without any patient-orientation flip. Grey = (value - low) / (high - low), clamped to 0...1;
/// non-finite values show black.
public struct Mosaic: Sendable {
    public var title: String
    /// Grey window (image units): `low` shows black, `high` white. Nil: `defaultWindow` of the frame.
    public var window: (low: Float, high: Float)?
    /// Number of tile columns; nil chooses one that makes the grid about `style.targetAspectRatio` wide.
    public var columns: Int?
    /// Canvas pixels per voxel (integer >= 1).
    public var scale: Int
    /// One label per slice; nil labels tiles "slice k" (or "k" when that does not fit).
    public var labels: [String]?
    public var interpolation: TileInterpolation
    public var overlay: LabelOverlay?
    public var style: MosaicStyle

    /// Percentiles (0...100) of the frame's finite values that make the default window.
    public static let defaultWindowPercentiles = (low: 1.0, high: 99.5)

    public init(title: String, window: (low: Float, high: Float)? = nil, columns: Int? = nil, scale: Int = 2,
                labels: [String]? = nil, interpolation: TileInterpolation = .nearest, overlay: LabelOverlay? = nil,
                style: MosaicStyle = MosaicStyle()) {
        self.title = title; self.window = window; self.columns = columns; self.scale = scale
        self.labels = labels; self.interpolation = interpolation; self.overlay = overlay; self.style = style
    }

    /// The default grey window of one frame: its 1st and 99.5th percentiles (linear interpolation between order
    /// statistics) over finite values. A constant frame gets `(c, c + 1)`; a frame without finite values `(0, 1)`.
    /// - Throws: `FigureError.invalidInput` when the frame does not exist.
    public static func defaultWindow(of volume: ImageVolume<Float>, frame: Int) throws -> (low: Float, high: Float) {
        try checkFrame(frame, of: volume)
        let n = volume.grid.voxelCount
        let start = frame * n
        let values = volume.data[start..<(start + n)].filter { $0.isFinite }.sorted()
        guard !values.isEmpty else { return (0, 1) }
        let low = Statistics.percentile(sorted: values, defaultWindowPercentiles.low, method: .linear)
        let high = Statistics.percentile(sorted: values, defaultWindowPercentiles.high, method: .linear)
        return high > low ? (low, high) : (low, low + 1)
    }

    /// The layout of this mosaic for a volume on `grid`.
    /// - Throws: `FigureError.invalidInput` for an empty grid, a scale or column count below 1, or a canvas
    ///   larger than cairo allows.
    public func layout(for grid: ImageGrid) throws -> MosaicLayout {
        guard grid.size.count >= 3, grid.size.prefix(3).allSatisfy({ $0 > 0 }) else {
            throw FigureError.invalidInput("mosaic needs a volume with at least one voxel, got size \(grid.size)")
        }
        guard scale >= 1 else { throw FigureError.invalidInput("mosaic scale must be >= 1, got \(scale)") }
        let (nx, ny, nz) = (grid.size[0], grid.size[1], grid.size[2])
        guard nx * scale <= cairoMaximumSurfaceSide, ny * scale <= cairoMaximumSurfaceSide else {
            throw FigureError.invalidInput("tile \(nx * scale) x \(ny * scale) px is too large; lower the scale")
        }
        let tileW = nx * scale, tileH = ny * scale
        let cols: Int
        if let c = columns {
            guard c >= 1 else { throw FigureError.invalidInput("mosaic columns must be >= 1, got \(c)") }
            cols = min(c, nz)
        } else {
            // columns / rows ~ aspect * tileH / tileW with rows = nz / columns.
            let ideal = (Double(nz) * style.targetAspectRatio * Double(tileH) / Double(tileW)).squareRoot()
            cols = min(nz, max(1, Int(ideal.rounded(.up))))
        }
        let rows = (nz + cols - 1) / cols
        let gridWidth = cols * tileW + (cols - 1) * style.gapPx
        let width = max(gridWidth + 2 * style.marginPx, style.minimumCanvasWidthPx)
        let height = style.titleBarHeightPx + rows * (style.labelStripHeightPx + tileH)
            + (rows - 1) * style.gapPx + style.marginPx
        guard width <= cairoMaximumSurfaceSide, height <= cairoMaximumSurfaceSide else {
            throw FigureError.invalidInput(
                "mosaic canvas \(width) x \(height) px exceeds \(cairoMaximumSurfaceSide); lower the scale")
        }
        return Mosaic.makeLayout(canvasWidth: width, canvasHeight: height, columns: cols, rows: rows,
                                 sliceCount: nz, tileWidth: tileW, tileHeight: tileH,
                                 gridLeft: (width - gridWidth) / 2, style: style)
    }

    /// Builds the layout outside the throwing `layout(for:)`.
    ///
    /// Works around an LLVM miscompile in the Swift 6.3 toolchain (swiftlang/swift#90477, fixed by
    /// swiftlang/llvm-project#13691): when a throwing function's success path ends in a tail call to
    /// memcpy/memmove/memset, the Swift error register (r12 on x86-64, x21 on arm64) is not restored. Copying the
    /// large `MosaicStyle` into the returned layout was exactly such a memcpy, so in release builds `layout(for:)`
    /// returned with a stale r12 (the slice count) and callers treated it as a thrown error (crash in
    /// swift_retain / swift_getErrorValue). Keep large struct copies out of the tail of throwing functions; this
    /// helper must stay non-throwing and out of line.
    @inline(never)
    private static func makeLayout(canvasWidth: Int, canvasHeight: Int, columns: Int, rows: Int, sliceCount: Int,
                                   tileWidth: Int, tileHeight: Int, gridLeft: Int,
                                   style: MosaicStyle) -> MosaicLayout {
        MosaicLayout(canvasWidth: canvasWidth, canvasHeight: canvasHeight, columns: columns, rows: rows,
                     sliceCount: sliceCount, tileWidth: tileWidth, tileHeight: tileHeight, gridLeft: gridLeft,
                     style: style)
    }

    /// Draws every slice of `frame` of `volume` and writes the mosaic as a PNG at `path` (the parent folder must
    /// exist; an existing file is replaced).
    /// - Throws: `FigureError.invalidInput` for bad arguments (frame out of range, label count not the slice
    ///   count, overlay on another grid, empty or inverted window), `FigureError.cairo` when drawing or writing
    ///   fails.
    public func writePNG(volume: ImageVolume<Float>, frame: Int, path: String) throws {
        try Mosaic.checkFrame(frame, of: volume)
        let layout = try self.layout(for: volume.grid)
        let nz = layout.sliceCount
        if let labels, labels.count != nz {
            throw FigureError.invalidInput("\(labels.count) tile labels for \(nz) slices")
        }
        let overlayFrame = try overlay.map { try Mosaic.checkOverlay($0, on: volume, frame: frame) }
        let win = try window ?? Mosaic.defaultWindow(of: volume, frame: frame)
        guard win.low.isFinite, win.high.isFinite, win.high > win.low else {
            throw FigureError.invalidInput("grey window [\(win.low), \(win.high)] must be finite with high > low")
        }

        let canvas = try CairoCanvas.image(width: layout.canvasWidth, height: layout.canvasHeight)
        drawFrame(on: canvas, layout: layout, frame: frame, window: win)
        let tileLabels = self.tileLabels(on: canvas, layout: layout)
        for k in 0..<nz {
            try drawTile(on: canvas, layout: layout, volume: volume, slice: k, frame: frame, window: win)
            if let overlay, let overlayFrame {
                try drawOverlay(overlay, frame: overlayFrame, on: canvas, layout: layout, slice: k)
            }
            drawLabel(tileLabels.texts[k], fontSize: tileLabels.fontSize, on: canvas, layout: layout, slice: k)
        }
        try canvas.writePNG(to: path)
    }

    // MARK: Drawing

    private func drawFrame(on canvas: CairoCanvas, layout: MosaicLayout, frame: Int,
                           window: (low: Float, high: Float)) {
        let s = style
        let w = Double(layout.canvasWidth), bar = Double(s.titleBarHeightPx), margin = Double(s.marginPx)
        canvas.fillRectangle(x: 0, y: 0, width: w, height: Double(layout.canvasHeight), color: s.backgroundColor)
        canvas.fillRectangle(x: 0, y: 0, width: w, height: bar, color: s.titleBarColor)

        let available = w - 2 * margin
        let fitted = canvas.fitText(title, maxWidth: available, preferred: s.titleFontSize,
                                    minimum: s.minimumFontSize, bold: true)
        let titleWidth = canvas.textWidth(fitted.text)
        canvas.drawText(fitted.text, x: margin, centerY: bar / 2, color: s.textColor)

        guard s.showsWindowCaption else { return }
        let caption = "frame \(frame) · window [\(Mosaic.format(window.low)), \(Mosaic.format(window.high))]"
        canvas.setFont(size: s.captionFontSize)
        // Shown only when it fits beside the title with a gap of one margin.
        if titleWidth + margin + canvas.textWidth(caption) <= available {
            canvas.drawText(caption, x: w - margin, centerY: bar / 2, anchor: .right, color: s.captionColor)
        }
    }

    private func drawTile(on canvas: CairoCanvas, layout: MosaicLayout, volume: ImageVolume<Float>, slice k: Int,
                          frame: Int, window: (low: Float, high: Float)) throws {
        let (nx, ny) = (volume.grid.size[0], volume.grid.size[1])
        guard let tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(nx), Int32(ny)) else {
            throw FigureError.cairo(operation: "create a tile for slice \(k)", status: "no surface")
        }
        defer { cairo_surface_destroy(tile) }
        try CairoCanvas.check(cairo_surface_status(tile), "create a \(nx) x \(ny) tile for slice \(k)")
        cairo_surface_flush(tile)
        guard let bytes = cairo_image_surface_get_data(tile) else {
            throw FigureError.cairo(operation: "access the pixels of the tile of slice \(k)", status: "no data")
        }
        let stride = Int(cairo_image_surface_get_stride(tile))
        let low = window.low, invRange = 1 / (window.high - window.low)
        let start = volume.index(0, 0, k, frame)
        volume.data.withUnsafeBufferPointer { data in
            for j in 0..<ny {
                let row = UnsafeMutableRawPointer(bytes + j * stride).assumingMemoryBound(to: UInt32.self)
                for i in 0..<nx {
                    let v = data[start + j * nx + i]
                    let t = v.isFinite ? min(max((v - low) * invRange, 0), 1) : 0
                    let g = UInt32((t * 255).rounded())
                    row[i] = (g << 16) | (g << 8) | g   // CAIRO_FORMAT_RGB24: native-endian 0x00RRGGBB
                }
            }
        }
        cairo_surface_mark_dirty(tile)
        try paintScaled(tile, on: canvas, at: layout.tileOrigin(slice: k), width: nx, height: ny,
                        filter: interpolation == .nearest ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_BILINEAR)
    }

    /// Paints an `width` x `height` surface enlarged by `scale` with its top-left corner at `origin`.
    private func paintScaled(_ source: OpaquePointer, on canvas: CairoCanvas, at origin: (x: Int, y: Int),
                             width: Int, height: Int, filter: cairo_filter_t) throws {
        let cr = canvas.context
        cairo_save(cr)
        cairo_translate(cr, Double(origin.x), Double(origin.y))
        cairo_scale(cr, Double(scale), Double(scale))
        cairo_set_source_surface(cr, source, 0, 0)
        let pattern = cairo_get_source(cr)
        cairo_pattern_set_filter(pattern, filter)
        // Pad, not the default transparent border, so bilinear edges do not fade into the background.
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
        cairo_rectangle(cr, 0, 0, Double(width), Double(height))
        cairo_fill(cr)
        cairo_restore(cr)
        try canvas.checkDrawing("a mosaic tile")
    }

    private func drawOverlay(_ overlay: LabelOverlay, frame: Int, on canvas: CairoCanvas, layout: MosaicLayout,
                             slice k: Int) throws {
        let (nx, ny) = (overlay.labels.grid.size[0], overlay.labels.grid.size[1])
        let start = overlay.labels.index(0, 0, k, frame)
        let labels = overlay.labels.data[start..<(start + nx * ny)]
        func label(_ i: Int, _ j: Int) -> UInt8 {
            (0..<nx).contains(i) && (0..<ny).contains(j) ? labels[start + j * nx + i] : 0
        }
        guard labels.contains(where: { $0 > 0 }) else { return }
        let origin = layout.tileOrigin(slice: k)

        if overlay.fillOpacity > 0 {
            guard let fill = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(nx), Int32(ny)) else {
                throw FigureError.cairo(operation: "create the overlay of slice \(k)", status: "no surface")
            }
            defer { cairo_surface_destroy(fill) }
            try CairoCanvas.check(cairo_surface_status(fill), "create the overlay of slice \(k)")
            cairo_surface_flush(fill)
            guard let bytes = cairo_image_surface_get_data(fill) else {
                throw FigureError.cairo(operation: "access the overlay of slice \(k)", status: "no data")
            }
            let stride = Int(cairo_image_surface_get_stride(fill))
            var packed: [UInt8: UInt32] = [:]
            for j in 0..<ny {
                let row = UnsafeMutableRawPointer(bytes + j * stride).assumingMemoryBound(to: UInt32.self)
                for i in 0..<nx {
                    let value = label(i, j)
                    guard value > 0 else { row[i] = 0; continue }
                    if packed[value] == nil {
                        packed[value] = Mosaic.premultipliedARGB(overlay.color(of: value),
                                                                 opacity: overlay.fillOpacity)
                    }
                    row[i] = packed[value]!
                }
            }
            cairo_surface_mark_dirty(fill)
            try paintScaled(fill, on: canvas, at: origin, width: nx, height: ny, filter: CAIRO_FILTER_NEAREST)
        }

        if overlay.outlineWidthPx > 0 {
            let cr = canvas.context
            let s = Double(scale), x0 = Double(origin.x), y0 = Double(origin.y)
            cairo_save(cr)
            cairo_rectangle(cr, x0, y0, Double(layout.tileWidth), Double(layout.tileHeight))
            cairo_clip(cr)
            cairo_set_line_width(cr, overlay.outlineWidthPx)
            // Square caps close the corners where separate edge segments meet.
            cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE)
            for value in Set(labels).filter({ $0 > 0 }).sorted() {
                for j in 0..<ny {
                    for i in 0..<nx where label(i, j) == value {
                        let (l, t) = (x0 + Double(i) * s, y0 + Double(j) * s)
                        if label(i - 1, j) != value { cairo_move_to(cr, l, t); cairo_line_to(cr, l, t + s) }
                        if label(i + 1, j) != value { cairo_move_to(cr, l + s, t); cairo_line_to(cr, l + s, t + s) }
                        if label(i, j - 1) != value { cairo_move_to(cr, l, t); cairo_line_to(cr, l + s, t) }
                        if label(i, j + 1) != value { cairo_move_to(cr, l, t + s); cairo_line_to(cr, l + s, t + s) }
                    }
                }
                canvas.setColor(overlay.color(of: value))
                cairo_stroke(cr)
            }
            cairo_restore(cr)
            try canvas.checkDrawing("the overlay outline of slice \(k)")
        }
    }

    /// The tile labels and the one font size they all share: the largest at which every label fits its tile
    /// (down to `style.minimumFontSize`; labels still too wide are shortened with an ellipsis).
    private func tileLabels(on canvas: CairoCanvas, layout: MosaicLayout) -> (texts: [String], fontSize: Double) {
        let maxWidth = Double(layout.tileWidth)
        canvas.setFont(size: style.labelFontSize)
        var texts = labels ?? (0..<layout.sliceCount).map { "slice \($0)" }
        if labels == nil && texts.contains(where: { canvas.textWidth($0) > maxWidth }) {
            texts = (0..<layout.sliceCount).map { "\($0)" }
        }
        let size = texts.map {
            canvas.fitText($0, maxWidth: maxWidth, preferred: style.labelFontSize, minimum: style.minimumFontSize).size
        }.min() ?? style.labelFontSize
        canvas.setFont(size: size)
        return (texts.map { canvas.textWidth($0) <= maxWidth ? $0 : canvas.fitText($0, maxWidth: maxWidth,
                                                                                    preferred: size, minimum: size).text },
                size)
    }

    private func drawLabel(_ text: String, fontSize: Double, on canvas: CairoCanvas, layout: MosaicLayout,
                           slice k: Int) {
        let origin = layout.tileOrigin(slice: k)
        canvas.setFont(size: fontSize)
        canvas.drawText(text, x: Double(origin.x), centerY: Double(origin.y) - Double(style.labelStripHeightPx) / 2,
                        color: style.textColor)
    }

    // MARK: Checks and small helpers

    private static func checkFrame<T>(_ frame: Int, of volume: ImageVolume<T>) throws {
        guard (0..<volume.frames).contains(frame) else {
            throw FigureError.invalidInput("frame \(frame) is outside 0..<\(volume.frames)")
        }
    }

    /// The overlay frame to draw with image frame `frame`.
    private static func checkOverlay(_ overlay: LabelOverlay, on volume: ImageVolume<Float>,
                                     frame: Int) throws -> Int {
        guard Array(overlay.labels.grid.size.prefix(3)) == Array(volume.grid.size.prefix(3)) else {
            throw FigureError.invalidInput(
                "label volume size \(overlay.labels.grid.size) does not match image size \(volume.grid.size)")
        }
        if overlay.labels.frames == 1 { return 0 }
        guard overlay.labels.frames == volume.frames else {
            throw FigureError.invalidInput(
                "label volume has \(overlay.labels.frames) frames; expected 1 or \(volume.frames)")
        }
        return frame
    }

    /// CAIRO_FORMAT_ARGB32 pixel (premultiplied, native-endian 0xAARRGGBB) of a colour at `opacity`.
    static func premultipliedARGB(_ c: RGBA, opacity: Double) -> UInt32 {
        let a = min(max(c.alpha * opacity, 0), 1)
        func byte(_ x: Double) -> UInt32 { UInt32((min(max(x, 0), 1) * 255).rounded()) }
        return (byte(a) << 24) | (byte(c.red * a) << 16) | (byte(c.green * a) << 8) | byte(c.blue * a)
    }

    static func format(_ x: Float) -> String { String(format: "%.4g", Double(x)) }
}

/// Writes a mosaic PNG of every slice of one frame: grey tiles in a grid, each labelled, under a title bar.
///
/// Convenience for `Mosaic(...).writePNG(volume:frame:path:)`; see `Mosaic` for orientation and layout.
/// - Parameters:
///   - volume: the image (any units); all slices of `frame` are drawn.
///   - frame: index on the fourth axis, 0..<volume.frames.
///   - path: output PNG file; the parent folder must exist.
///   - title: text of the title bar.
///   - window: grey window in image units (low black, high white); nil uses the frame's 1st and 99.5th
///     percentiles.
///   - columns: tile columns; nil picks about a 4:3 grid.
///   - scale: canvas pixels per voxel.
///   - labels: one label per slice; nil labels tiles with their slice index.
/// - Throws: `FigureError`.
public func writeMosaicPNG(volume: ImageVolume<Float>, frame: Int, path: String, title: String,
                           window: (low: Float, high: Float)? = nil, columns: Int? = nil, scale: Int = 2,
                           labels: [String]? = nil) throws {
    try Mosaic(title: title, window: window, columns: columns, scale: scale, labels: labels)
        .writePNG(volume: volume, frame: frame, path: path)
}

/// Writes a mosaic PNG with a label overlay (for example the truth myocardium and scar): labels > 0 drawn as
/// outlines and/or translucent fill over the grey tiles.
/// - Parameters:
///   - overlay: the label volume, its palette (label value -> RGBA) and outline / fill settings; nil draws a
///     plain mosaic.
///   - others: as `writeMosaicPNG(volume:frame:path:title:window:columns:scale:labels:)`.
/// - Throws: `FigureError`, including when the label volume is not on the image's grid.
public func writeMosaicPNG(volume: ImageVolume<Float>, overlay: LabelOverlay?, frame: Int, path: String,
                           title: String, window: (low: Float, high: Float)? = nil, columns: Int? = nil,
                           scale: Int = 2, labels: [String]? = nil) throws {
    try Mosaic(title: title, window: window, columns: columns, scale: scale, labels: labels, overlay: overlay)
        .writePNG(volume: volume, frame: frame, path: path)
}
