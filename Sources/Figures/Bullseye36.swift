import CCairo
import Foundation
import SegmentModel

/// Sizes and colours of a 36-segment bullseye (device units: pixels for PNG, points for SVG).
public struct Bullseye36Style: Hashable, Sendable {
    public var titleFontSize: Double = 17
    /// Font of the AHA wall names around the outside.
    public var wallNameFontSize: Double = 13
    /// Preferred font of the segment id numbers (shrunk in small segments, never below `minimumFontSize`).
    public var segmentIdFontSize: Double = 11
    public var tickFontSize: Double = 11
    public var colorBarLabelFontSize: Double = 12
    public var legendFontSize: Double = 11.5
    public var minimumFontSize: Double = 7
    /// Space between the canvas edge and any text, and between blocks.
    public var paddingPx: Double = 12
    /// Radius of the apical cap (region 0) as a fraction of the outer (basal) radius; the three rings share the
    /// rest equally.
    public var capRadiusFraction: Double = 0.16
    /// Width of the colour bar (px).
    public var colorBarWidthPx: Double = 18
    /// Height of the colour bar as a fraction of the bullseye diameter.
    public var colorBarHeightFraction: Double = 0.8
    /// Line width of the 18-segment (AHA) outlines and of the outer circle (px).
    public var ahaOutlineWidthPx: Double = 2.6
    /// Line width of the borders between the two halves of an AHA segment (px).
    public var halfBorderWidthPx: Double = 1
    /// Spacing and width of the hatching lines of not-measured (nil) segments (px).
    public var missingHatchSpacingPx: Double = 6
    public var missingHatchWidthPx: Double = 1
    /// Spacing and width of the cross-hatching over scarred segments (px).
    public var scarHatchSpacingPx: Double = 7
    public var scarHatchWidthPx: Double = 1.4
    /// Largest radius of a target badge, star or lead marker (px); smaller in small segments.
    public var markerMaximumRadiusPx: Double = 11

    public var backgroundColor = RGBA.white
    public var textColor = RGBA.grey(0.1)
    public var ahaOutlineColor = RGBA.grey(0.08)
    public var halfBorderColor = RGBA.white.withAlpha(0.85)
    /// Fill of a not-measured (nil) segment, under its hatching.
    public var missingColor = RGBA.grey(0.86)
    /// Hatching of a not-measured segment.
    public var missingHatchColor = RGBA.grey(0.62)
    /// Fill of the apical cap (region 0, never a segment).
    public var capColor = RGBA.grey(0.72)
    public var scarHatchColor = RGBA.black.withAlpha(0.85)
    /// Outline of LMA targets and the primary target (drawn over a white halo).
    public var targetOutlineColor = RGBA.black
    /// Ring of the numbered LMA badges.
    public var lmaBadgeColor = RGBA(hex: 0xC2006B)
    /// Fill of the primary-target star.
    public var primaryStarColor = RGBA(hex: 0xFFD21F)
    /// Fill of the lead-position diamond.
    public var leadColor = RGBA(hex: 0x00A6D6)
    /// RV insertion point triangles outside the outer ring.
    public var insertionMarkColor = RGBA.grey(0.35)

    public init() {}
}

/// Where the bullseye sits on its canvas (device units, origin at the top left, y down).
///
/// Ring r (0 basal, 1 mid, 2 apical) spans radii `ringRadii(r)`: basal outermost, apical innermost, the apical
/// cap (region 0) a disc of `capRadius` in the centre. A segment angle `a` (degrees from the anterior RV
/// insertion point, increasing through the septum; DOMAIN.md section 2) is drawn at the screen direction
/// `Bullseye36.screenAngleDegrees(segmentAngleDegrees: a)`, measured counter-clockwise from the +x axis with y up,
/// so the point at radius `r` is `(centreX + r cos θ, centreY - r sin θ)`.
public struct Bullseye36Layout: Hashable, Sendable {
    public var centreX: Double
    public var centreY: Double
    /// Outer radius of the basal ring (device units).
    public var outerRadius: Double
    /// Radius of the apical cap disc (device units).
    public var capRadius: Double

    public init(centreX: Double, centreY: Double, outerRadius: Double, capRadius: Double) {
        self.centreX = centreX; self.centreY = centreY; self.outerRadius = outerRadius; self.capRadius = capRadius
    }

    /// Inner and outer radius of ring `ring` (0 basal, 1 mid, 2 apical), device units.
    public func ringRadii(_ ring: Int) -> (inner: Double, outer: Double) {
        let width = (outerRadius - capRadius) / Double(Segment36.ringCount)
        let outer = outerRadius - Double(ring) * width
        return (outer - width, outer)
    }

    /// Canvas point at `radius` (device units) in the direction of segment angle `segmentAngleDegrees`.
    public func point(radius: Double, segmentAngleDegrees: Double) -> (x: Double, y: Double) {
        let theta = Bullseye36.screenAngleDegrees(segmentAngleDegrees: segmentAngleDegrees) * .pi / 180
        return (centreX + radius * cos(theta), centreY - radius * sin(theta))
    }
}

/// The 36-segment bullseye of the left ventricle (DOMAIN.md section 2), drawn with cairo as PNG or SVG: base
/// outside, apex inside, anterior at the top, septum on the left.
///
/// Three rings of twelve 30-degree parts; the apical cap (region 0, never a segment) is a grey disc in the
/// centre. Each part is filled with the colour of its value on `scale` (nil: light grey with diagonal hatching,
/// "not measured") and labelled with its id; the AHA 18-segment outlines are drawn bold over the halves, the
/// AHA wall names sit around the outside and small triangles mark the RV insertion points (segment angles 0 and
/// 120 degrees). Scarred segments are cross-hatched in black; LMA targets get a black outline and a numbered
/// badge (1 = latest), the primary target a thicker outline and a star, the lead segment a diamond. A colour bar
/// with the scale's label stands at the right; a legend below names every marked segment.
public struct Bullseye36: Sendable {
    /// One value per segment, index `id - 1` (36 entries), in the scale's units; nil = not measured.
    public var values: [Double?]
    public var scale: ColorScale
    public var title: String
    /// Scarred segment ids (1...36), cross-hatched.
    public var scarred: Set<Int>
    /// LMA target ids, latest first (at most 3 are numbered 1, 2, 3).
    public var lmaTargets: [Int]
    /// Primary target id (star and thick outline), or nil.
    public var primaryTarget: Int?
    /// Segment of the LV lead's pacing electrode (diamond), or nil.
    public var leadSegment: Int?
    /// Whether each part shows its id number.
    public var showsSegmentIds: Bool
    public var style: Bullseye36Style

    /// Number of LMA sites the figure numbers.
    public static let maximumLMATargets = 3

    public init(values: [Double?], scale: ColorScale, title: String, scarred: Set<Int> = [], lmaTargets: [Int] = [],
                primaryTarget: Int? = nil, leadSegment: Int? = nil, showsSegmentIds: Bool = true,
                style: Bullseye36Style = Bullseye36Style()) {
        self.values = values; self.scale = scale; self.title = title; self.scarred = scarred
        self.lmaTargets = lmaTargets; self.primaryTarget = primaryTarget; self.leadSegment = leadSegment
        self.showsSegmentIds = showsSegmentIds; self.style = style
    }

    /// Screen direction (degrees counter-clockwise from +x, y up) of a segment angle (degrees from the anterior
    /// RV insertion, increasing through the septum): `θ = a - 240`, which puts the anterior wall (centre 330)
    /// at the top (90), the septum (centre 60) on the left (180) and the inferior wall (centre 150) at the
    /// bottom (270), with angles increasing counter-clockwise on screen.
    public static func screenAngleDegrees(segmentAngleDegrees a: Double) -> Double { a - anteriorCentreDegrees + 90 }

    /// Segment angle of the middle of the anterior AHA sector (300-360), drawn at the top.
    static let anteriorCentreDegrees = 330.0
    /// The smallest outer radius (device units) at which the 36 parts and their labels stay legible.
    static let minimumOuterRadius = 40.0
    /// Nominal segment angles of the anterior and inferior RV insertion points (DOMAIN.md section 2).
    static let rvInsertionDegrees = [0.0, 120.0]

    /// Writes the bullseye as a `width` x `height` pixel PNG at `path` (the parent folder must exist). Default
    /// sizes (px) suit the default style's fonts.
    /// - Throws: `FigureError.invalidInput` for a value count other than 36, a segment id outside 1...36, a
    ///   non-finite value, an empty or non-finite scale, or a canvas too small; `FigureError.cairo` when drawing
    ///   or writing fails.
    public func writePNG(path: String, width: Int = 760, height: Int = 640) throws {
        try validate()
        let canvas = try CairoCanvas.image(width: width, height: height)
        try draw(on: canvas)
        try canvas.writePNG(to: path)
    }

    /// Writes the bullseye as an SVG of `width` x `height` points at `path`; otherwise as `writePNG`.
    public func writeSVG(path: String, width: Double = 760, height: Double = 640) throws {
        try validate()
        let canvas = try CairoCanvas.svg(path: path, width: width, height: height)
        try draw(on: canvas)
        try canvas.finishSVG(path: path)
    }

    /// Where the bullseye goes on a `width` x `height` canvas (device units, as `writePNG` and `writeSVG` draw
    /// it), e.g. to find a segment's pixels.
    /// - Throws: as `writePNG`.
    public func layout(width: Double, height: Double) throws -> Bullseye36Layout {
        try validate()
        let canvas = try CairoCanvas.image(width: 1, height: 1)
        let geometry = try plan(on: canvas, width: width, height: height)
        return Bullseye36.makeLayout(geometry.centreX, geometry.centreY, geometry.outerRadius,
                                     geometry.outerRadius * style.capRadiusFraction)
    }

    /// Builds the layout outside the throwing caller (swiftlang/swift#90477; see `Mosaic.makeLayout`).
    @inline(never)
    private static func makeLayout(_ x: Double, _ y: Double, _ r: Double, _ cap: Double) -> Bullseye36Layout {
        Bullseye36Layout(centreX: x, centreY: y, outerRadius: r, capRadius: cap)
    }

    func validate() throws {
        guard values.count == Segment36.all.count else {
            throw FigureError.invalidInput("bullseye needs 36 values (index id - 1), got \(values.count)")
        }
        if let bad = values.firstIndex(where: { $0.map { !$0.isFinite } ?? false }) {
            throw FigureError.invalidInput("bullseye value of segment \(bad + 1) is not finite")
        }
        try scale.validate("bullseye")
        let ids = Array(scarred) + lmaTargets + [primaryTarget, leadSegment].compactMap { $0 }
        if let bad = ids.first(where: { Segment36($0) == nil }) {
            throw FigureError.invalidInput("segment id \(bad) is not in 1...36")
        }
    }

    // MARK: Layout

    /// One legend entry: a symbol and its text.
    enum LegendSymbol: Equatable { case missing, scar, lma(Int), primary, lead }
    struct LegendItem { var symbol: LegendSymbol; var text: String; var width: Double }

    /// Everything `draw` places, computed from the canvas size and text metrics.
    struct Geometry {
        var centreX: Double, centreY: Double, outerRadius: Double
        var titleHeight: Double
        var colorBar: (x: Double, top: Double, bottom: Double)
        var legendRows: [[LegendItem]]
        var legendTop: Double
        var legendRowHeight: Double
    }

    private var numberedTargets: [Int] { Array(lmaTargets.prefix(Bullseye36.maximumLMATargets)) }

    private func legendItems(on canvas: CairoCanvas) -> [LegendItem] {
        func label(_ id: Int) -> String { "\(id) \(Segment36(id)!.name)" }
        var items: [(LegendSymbol, String)] = []
        if values.contains(where: { $0 == nil }) { items.append((.missing, "not measured")) }
        if !scarred.isEmpty { items.append((.scar, "scar")) }
        for (k, id) in numberedTargets.enumerated() {
            items.append((.lma(k + 1), "LMA \(k + 1)\(k == 0 ? " (latest)" : ""): \(label(id))"))
        }
        if let p = primaryTarget { items.append((.primary, "primary target: \(label(p))")) }
        if let l = leadSegment { items.append((.lead, "LV lead: \(label(l))")) }
        canvas.setFont(size: style.legendFontSize)
        let symbolWidth = style.legendFontSize * 1.6
        return items.map { LegendItem(symbol: $0.0, text: $0.1, width: symbolWidth + 6 + canvas.textWidth($0.1)) }
    }

    private func plan(on canvas: CairoCanvas, width: Double, height: Double) throws -> Geometry {
        let st = style, pad = st.paddingPx
        let titleHeight = title.isEmpty ? 0 : st.titleFontSize * 1.6

        // Legend rows, filled left to right and wrapped at the canvas width.
        let rowHeight = st.legendFontSize * 1.9
        let gap = st.legendFontSize * 1.6
        var rows: [[LegendItem]] = []
        var rowWidth = 0.0
        for item in legendItems(on: canvas) {
            if rows.isEmpty || rowWidth + gap + item.width > width - 2 * pad {
                rows.append([item]); rowWidth = item.width
            } else {
                rows[rows.count - 1].append(item); rowWidth += gap + item.width
            }
        }
        let legendHeight = rows.isEmpty ? 0 : Double(rows.count) * rowHeight + pad / 2

        // Colour bar column: bar, ticks, tick labels, rotated label.
        canvas.setFont(size: st.tickFontSize)
        let ticks = colorBarTicks()
        let tickLabelWidth = ticks.values.map { canvas.textWidth(ticks.label($0)) }.max() ?? 0
        let barColumn = st.colorBarWidthPx + 5 + 3 + tickLabelWidth + pad / 2 + st.colorBarLabelFontSize * 1.4

        // Wall names: the side ones (at screen angles 30, 150, 210, 330 degrees) need room beside the circle.
        canvas.setFont(size: st.wallNameFontSize)
        let sideNameWidth = Segment36.ahaSectorNames.map { canvas.textWidth(Bullseye36.wallLabel($0)) }.max() ?? 0
        let nameGap = st.wallNameFontSize * 0.9
        let nameHeight = st.wallNameFontSize * 1.3

        let areaLeft = pad, areaRight = width - pad - barColumn - pad
        let areaTop = pad + titleHeight, areaBottom = height - pad - legendHeight
        let halfWidth = (areaRight - areaLeft) / 2, halfHeight = (areaBottom - areaTop) / 2
        let cos30 = cos(Double.pi / 6)
        let radius = min((halfWidth - sideNameWidth) / cos30 - nameGap, halfWidth - nameGap,
                         halfHeight - nameGap - nameHeight)
        guard radius >= Bullseye36.minimumOuterRadius else {
            throw FigureError.invalidInput("bullseye canvas \(width) x \(height) leaves no room for the bullseye")
        }
        let cx = (areaLeft + areaRight) / 2, cy = (areaTop + areaBottom) / 2
        let barHeight = 2 * radius * st.colorBarHeightFraction
        let barX = areaRight + pad
        return Geometry(centreX: cx, centreY: cy, outerRadius: radius, titleHeight: titleHeight,
                        colorBar: (barX, cy - barHeight / 2, cy + barHeight / 2), legendRows: rows,
                        legendTop: height - pad - legendHeight + pad / 2, legendRowHeight: rowHeight)
    }

    private func colorBarTicks() -> AxisTicks { scale.barTicks() }

    static func wallLabel(_ ahaName: String) -> String { ahaName.prefix(1).uppercased() + ahaName.dropFirst() }

    // MARK: Drawing

    private func draw(on canvas: CairoCanvas) throws {
        let st = style, cr = canvas.context
        let g = try plan(on: canvas, width: canvas.width, height: canvas.height)
        let layout = Bullseye36Layout(centreX: g.centreX, centreY: g.centreY, outerRadius: g.outerRadius,
                                      capRadius: g.outerRadius * st.capRadiusFraction)
        canvas.fillRectangle(x: 0, y: 0, width: canvas.width, height: canvas.height, color: st.backgroundColor)
        if !title.isEmpty {
            let fitted = canvas.fitText(title, maxWidth: canvas.width - 2 * st.paddingPx, preferred: st.titleFontSize,
                                        minimum: st.minimumFontSize, bold: true)
            canvas.drawText(fitted.text, x: canvas.width / 2, centerY: st.paddingPx + g.titleHeight / 2,
                            anchor: .center, color: st.textColor)
        }

        // Segment fills, hatching for missing values and scar.
        for s in Segment36.all {
            segmentPath(s, layout: layout, cr: cr)
            if let v = values[s.id - 1] {
                canvas.setColor(scale.color(for: v))
                cairo_fill(cr)
            } else {
                canvas.setColor(st.missingColor)
                cairo_fill(cr)
                hatch(s, layout: layout, canvas: canvas, color: st.missingHatchColor, spacing: st.missingHatchSpacingPx,
                      width: st.missingHatchWidthPx, directions: [1])
            }
            if scarred.contains(s.id) {
                hatch(s, layout: layout, canvas: canvas, color: st.scarHatchColor, spacing: st.scarHatchSpacingPx,
                      width: st.scarHatchWidthPx, directions: [1, -1])
            }
        }

        // Apical cap.
        cairo_new_sub_path(cr)
        cairo_arc(cr, layout.centreX, layout.centreY, layout.capRadius, 0, 2 * .pi)
        canvas.setColor(st.capColor)
        cairo_fill(cr)

        // Borders: halves thin, AHA-18 segments bold.
        canvas.setColor(st.halfBorderColor)
        cairo_set_line_width(cr, st.halfBorderWidthPx)
        for r in 0..<Segment36.ringCount {
            let radii = layout.ringRadii(r)
            for k in 0..<Segment36.sectorsPerRing where k % 2 == 1 {
                let a = 300 + Double(k) * Segment36.sectorWidthDegrees
                radialLine(layout: layout, angle: a, from: radii.inner, to: radii.outer, cr: cr)
            }
        }
        cairo_stroke(cr)
        canvas.setColor(st.ahaOutlineColor)
        cairo_set_line_width(cr, st.ahaOutlineWidthPx)
        for r in 0...Segment36.ringCount {
            let radius = r == Segment36.ringCount ? layout.capRadius : layout.ringRadii(r).outer
            cairo_new_sub_path(cr)
            cairo_arc(cr, layout.centreX, layout.centreY, radius, 0, 2 * .pi)
        }
        for k in 0..<Segment36.ahaSectorsPerRing {
            radialLine(layout: layout, angle: 300 + Double(k) * 60, from: layout.capRadius,
                       to: layout.outerRadius, cr: cr)
        }
        cairo_stroke(cr)

        drawTargetOutlines(layout: layout, canvas: canvas)
        drawSegmentContents(layout: layout, canvas: canvas)
        drawCapLabel(layout: layout, canvas: canvas)
        drawWallNames(layout: layout, canvas: canvas)
        drawColorBar(g.colorBar, canvas: canvas)
        drawLegend(g, canvas: canvas)
        try canvas.checkDrawing("bullseye \"\(title)\"")
    }

    /// Closed path of segment `s` (outer arc, then inner arc back).
    private func segmentPath(_ s: Segment36, layout: Bullseye36Layout, cr: OpaquePointer, inset: Double = 0) {
        let radii = layout.ringRadii(s.ring)
        let a0 = s.startAngleDegrees, a1 = a0 + Segment36.sectorWidthDegrees
        // cairo angles grow clockwise on screen (y down): φ = -θ.
        let p0 = -Bullseye36.screenAngleDegrees(segmentAngleDegrees: a1) * .pi / 180
        let p1 = -Bullseye36.screenAngleDegrees(segmentAngleDegrees: a0) * .pi / 180
        let outer = radii.outer - inset, inner = radii.inner + inset
        let angularInset = inset / ((outer + inner) / 2)
        cairo_new_sub_path(cr)
        cairo_arc(cr, layout.centreX, layout.centreY, outer, p0 + angularInset, p1 - angularInset)
        cairo_arc_negative(cr, layout.centreX, layout.centreY, inner, p1 - angularInset, p0 + angularInset)
        cairo_close_path(cr)
    }

    private func radialLine(layout: Bullseye36Layout, angle: Double, from r0: Double, to r1: Double,
                            cr: OpaquePointer) {
        let a = layout.point(radius: r0, segmentAngleDegrees: angle)
        let b = layout.point(radius: r1, segmentAngleDegrees: angle)
        cairo_move_to(cr, a.x, a.y)
        cairo_line_to(cr, b.x, b.y)
    }

    /// Parallel lines at 45 degrees (direction 1: rising to the right, -1: falling), clipped to segment `s`.
    private func hatch(_ s: Segment36, layout: Bullseye36Layout, canvas: CairoCanvas, color: RGBA, spacing: Double,
                       width: Double, directions: [Double]) {
        let cr = canvas.context
        cairo_save(cr)
        segmentPath(s, layout: layout, cr: cr)
        cairo_clip(cr)
        canvas.setColor(color)
        cairo_set_line_width(cr, width)
        // Lines x - d y = c (screen coordinates) anchored to the canvas origin, so neighbours' hatching lines up.
        let r = layout.outerRadius
        let x0 = layout.centreX - r, x1 = layout.centreX + r, y0 = layout.centreY - r, y1 = layout.centreY + r
        for d in directions {
            let cs = [x0 - d * y0, x0 - d * y1, x1 - d * y0, x1 - d * y1]
            var c = (cs.min()! / spacing).rounded(.down) * spacing
            while c <= cs.max()! {
                cairo_move_to(cr, c + d * y0, y0)
                cairo_line_to(cr, c + d * y1, y1)
                c += spacing
            }
        }
        cairo_stroke(cr)
        cairo_restore(cr)
    }

    /// Outline of LMA targets (black over a white halo) and a thicker one for the primary target.
    private func drawTargetOutlines(layout: Bullseye36Layout, canvas: CairoCanvas) {
        let cr = canvas.context
        let outlined = Set(numberedTargets).union(primaryTarget.map { [$0] } ?? [])
        for id in outlined.sorted() {
            let s = Segment36(id)!
            let thick = id == primaryTarget ? 3.2 : 2.0
            segmentPath(s, layout: layout, cr: cr, inset: thick + 0.5)
            canvas.setColor(.white)
            cairo_set_line_width(cr, thick + 2.4)
            cairo_stroke_preserve(cr)
            canvas.setColor(style.targetOutlineColor)
            cairo_set_line_width(cr, thick)
            cairo_stroke(cr)
        }
    }

    /// Id number and markers of each segment, stacked along the radius (id outermost).
    private func drawSegmentContents(layout: Bullseye36Layout, canvas: CairoCanvas) {
        let st = style
        for s in Segment36.all {
            var items: [LegendSymbol?] = showsSegmentIds ? [nil] : []   // nil: the id number
            if let k = numberedTargets.firstIndex(of: s.id) { items.append(.lma(k + 1)) }
            if s.id == primaryTarget { items.append(.primary) }
            if s.id == leadSegment { items.append(.lead) }
            guard !items.isEmpty else { continue }
            // Items go side by side along the longer of the segment's two directions (arc or ring width),
            // inside a margin that keeps them clear of the target outlines.
            let radii = layout.ringRadii(s.ring)
            let margin = 4.0
            let midRadius = (radii.inner + radii.outer) / 2
            let ringWidth = radii.outer - radii.inner - 2 * margin
            let arc = midRadius * Segment36.sectorWidthDegrees * .pi / 180 - 2 * margin
            let alongArc = arc > ringWidth
            let slot = (alongArc ? arc : ringWidth) / Double(items.count)
            let across = alongArc ? ringWidth : arc
            let markerRadius = min(st.markerMaximumRadiusPx, slot * 0.4, across * 0.3)
            for (k, item) in items.enumerated() {
                let offset = (Double(k) + 0.5) * slot - (alongArc ? arc : ringWidth) / 2
                let p = alongArc
                    ? layout.point(radius: midRadius,
                                   segmentAngleDegrees: s.centreAngleDegrees + offset / midRadius * 180 / .pi)
                    : layout.point(radius: midRadius - offset, segmentAngleDegrees: s.centreAngleDegrees)
                switch item {
                case nil:
                    let fill = values[s.id - 1].map { scale.color(for: $0) } ?? st.missingColor
                    let dark = Bullseye36.luminance(fill) < 0.45
                    let size = min(st.segmentIdFontSize, max(st.minimumFontSize, min(slot * 0.5, across * 0.45)))
                    canvas.setFont(size: size, bold: true)
                    drawHaloText("\(s.id)", at: p, canvas: canvas, color: dark ? .white : .black,
                                 halo: (dark ? RGBA.black : RGBA.white).withAlpha(scarred.contains(s.id) ? 0.9 : 0.45))
                case .some(let symbol):
                    drawSymbol(symbol, at: p, radius: markerRadius, canvas: canvas)
                }
            }
        }
    }

    /// Relative luminance (Rec. 709 weights on the sRGB channels, good enough to pick black or white text).
    static func luminance(_ c: RGBA) -> Double { 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue }

    private func drawHaloText(_ text: String, at p: (x: Double, y: Double), canvas: CairoCanvas, color: RGBA,
                              halo: RGBA) {
        let cr = canvas.context
        let m = canvas.fontMetrics()
        let w = canvas.textWidth(text)
        cairo_move_to(cr, p.x - w / 2, p.y + (m.ascent - m.descent) / 2)
        cairo_text_path(cr, text)
        canvas.setColor(halo)
        cairo_set_line_width(cr, 2.5)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_stroke_preserve(cr)
        canvas.setColor(color)
        cairo_fill(cr)
    }

    /// Draws a marker symbol centred at `p` (legend swatches use the same code).
    private func drawSymbol(_ symbol: LegendSymbol, at p: (x: Double, y: Double), radius: Double,
                            canvas: CairoCanvas) {
        let cr = canvas.context, st = style
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER)
        switch symbol {
        case .lma(let k):
            cairo_new_sub_path(cr)
            cairo_arc(cr, p.x, p.y, radius, 0, 2 * .pi)
            canvas.setColor(.white)
            cairo_fill_preserve(cr)
            canvas.setColor(st.lmaBadgeColor)
            cairo_set_line_width(cr, max(1.5, radius * 0.22))
            cairo_stroke(cr)
            canvas.setFont(size: max(st.minimumFontSize, radius * 1.25), bold: true)
            canvas.drawText("\(k)", x: p.x, centerY: p.y, anchor: .center, color: st.lmaBadgeColor)
        case .primary:
            // Five-pointed star, one point up.
            for i in 0..<10 {
                let r = i % 2 == 0 ? radius * 1.1 : radius * 0.46
                let a = -Double.pi / 2 + Double(i) * .pi / 5
                if i == 0 { cairo_move_to(cr, p.x + r * cos(a), p.y + r * sin(a)) } else {
                    cairo_line_to(cr, p.x + r * cos(a), p.y + r * sin(a))
                }
            }
            cairo_close_path(cr)
            canvas.setColor(st.primaryStarColor)
            cairo_fill_preserve(cr)
            canvas.setColor(.black)
            cairo_set_line_width(cr, 1.4)
            cairo_stroke(cr)
        case .lead:
            cairo_move_to(cr, p.x, p.y - radius)
            cairo_line_to(cr, p.x + radius * 0.75, p.y)
            cairo_line_to(cr, p.x, p.y + radius)
            cairo_line_to(cr, p.x - radius * 0.75, p.y)
            cairo_close_path(cr)
            canvas.setColor(st.leadColor)
            cairo_fill_preserve(cr)
            canvas.setColor(.black)
            cairo_set_line_width(cr, 1.4)
            cairo_stroke(cr)
        case .missing, .scar:
            let side = radius * 2
            let x = p.x - side / 2, y = p.y - side / 2
            canvas.fillRectangle(x: x, y: y, width: side, height: side,
                                 color: symbol == .missing ? st.missingColor : RGBA.grey(0.97))
            cairo_save(cr)
            cairo_rectangle(cr, x, y, side, side)
            cairo_clip(cr)
            let spacing = symbol == .missing ? st.missingHatchSpacingPx : st.scarHatchSpacingPx
            canvas.setColor(symbol == .missing ? st.missingHatchColor : st.scarHatchColor)
            cairo_set_line_width(cr, symbol == .missing ? st.missingHatchWidthPx : st.scarHatchWidthPx)
            var c = -side
            while c <= side {
                cairo_move_to(cr, x + c, y + side); cairo_line_to(cr, x + c + side, y)
                if symbol == .scar { cairo_move_to(cr, x + c, y); cairo_line_to(cr, x + c + side, y + side) }
                c += spacing
            }
            cairo_stroke(cr)
            cairo_restore(cr)
            canvas.setColor(RGBA.grey(0.3))
            cairo_set_line_width(cr, 1)
            cairo_rectangle(cr, x, y, side, side)
            cairo_stroke(cr)
        }
    }

    private func drawCapLabel(layout: Bullseye36Layout, canvas: CairoCanvas) {
        let size = min(style.segmentIdFontSize, layout.capRadius * 0.55)
        guard size >= style.minimumFontSize else { return }
        canvas.setFont(size: size)
        canvas.drawText("cap", x: layout.centreX, centerY: layout.centreY, anchor: .center, color: RGBA.grey(0.2))
    }

    /// AHA wall names at the middle of each 60-degree sector, outside the basal ring, and the RV insertion marks.
    private func drawWallNames(layout: Bullseye36Layout, canvas: CairoCanvas) {
        let st = style, cr = canvas.context
        canvas.setFont(size: st.wallNameFontSize)
        let gap = st.wallNameFontSize * 0.9
        for (k, name) in Segment36.ahaSectorNames.enumerated() {
            let angle = Bullseye36.anteriorCentreDegrees + Double(k) * 60
            let theta = Bullseye36.screenAngleDegrees(segmentAngleDegrees: angle) * .pi / 180
            let p = layout.point(radius: layout.outerRadius + gap, segmentAngleDegrees: angle)
            let c = cos(theta), s = sin(theta)
            let anchor: TextAnchor = abs(c) < 0.3 ? .center : (c < 0 ? .right : .left)
            let dy = abs(c) < 0.3 ? -s * st.wallNameFontSize * 0.55 : 0
            canvas.drawText(Bullseye36.wallLabel(name), x: p.x, centerY: p.y + dy, anchor: anchor, color: st.textColor)
        }
        // RV insertion points: small triangles pointing at the outer circle.
        canvas.setColor(st.insertionMarkColor)
        let size = st.wallNameFontSize * 0.55
        for a in Bullseye36.rvInsertionDegrees {
            let tip = layout.point(radius: layout.outerRadius + 2, segmentAngleDegrees: a)
            let l = layout.point(radius: layout.outerRadius + 2 + 1.6 * size, segmentAngleDegrees: a - 3.2)
            let r = layout.point(radius: layout.outerRadius + 2 + 1.6 * size, segmentAngleDegrees: a + 3.2)
            cairo_move_to(cr, tip.x, tip.y); cairo_line_to(cr, l.x, l.y); cairo_line_to(cr, r.x, r.y)
            cairo_close_path(cr)
            cairo_fill(cr)
            canvas.setFont(size: st.tickFontSize * 0.85)
            let t = layout.point(radius: layout.outerRadius + 2 + 2.4 * size, segmentAngleDegrees: a)
            canvas.drawText("RV", x: t.x, centerY: t.y, anchor: .center, color: st.insertionMarkColor)
            canvas.setColor(st.insertionMarkColor)
        }
    }

    private func drawColorBar(_ bar: (x: Double, top: Double, bottom: Double), canvas: CairoCanvas) {
        let st = style, cr = canvas.context
        let stops = scale.map.stops
        guard let gradient = cairo_pattern_create_linear(0, bar.bottom, 0, bar.top) else { return }
        for (k, c) in stops.enumerated() {
            cairo_pattern_add_color_stop_rgba(gradient, Double(k) / Double(stops.count - 1), c.red, c.green, c.blue,
                                              c.alpha)
        }
        cairo_rectangle(cr, bar.x, bar.top, st.colorBarWidthPx, bar.bottom - bar.top)
        cairo_set_source(cr, gradient)
        cairo_fill(cr)
        cairo_pattern_destroy(gradient)
        canvas.setColor(RGBA.grey(0.3))
        cairo_set_line_width(cr, 1)
        cairo_rectangle(cr, bar.x, bar.top, st.colorBarWidthPx, bar.bottom - bar.top)
        cairo_stroke(cr)

        let ticks = colorBarTicks()
        canvas.setFont(size: st.tickFontSize)
        var labelRight = bar.x + st.colorBarWidthPx
        for v in ticks.values {
            let y = bar.bottom - (v - scale.lower) / (scale.upper - scale.lower) * (bar.bottom - bar.top)
            canvas.setColor(RGBA.grey(0.3))
            cairo_move_to(cr, bar.x + st.colorBarWidthPx, y)
            cairo_line_to(cr, bar.x + st.colorBarWidthPx + 5, y)
            cairo_stroke(cr)
            let text = ticks.label(v)
            canvas.drawText(text, x: bar.x + st.colorBarWidthPx + 8, centerY: y, color: st.textColor)
            labelRight = max(labelRight, bar.x + st.colorBarWidthPx + 8 + canvas.textWidth(text))
        }
        cairo_save(cr)
        cairo_translate(cr, labelRight + st.paddingPx / 2 + st.colorBarLabelFontSize * 0.7, (bar.top + bar.bottom) / 2)
        cairo_rotate(cr, -Double.pi / 2)
        let fitted = canvas.fitText(scale.label, maxWidth: bar.bottom - bar.top + 40,
                                    preferred: st.colorBarLabelFontSize, minimum: st.minimumFontSize)
        canvas.drawText(fitted.text, x: 0, centerY: 0, anchor: .center, color: st.textColor)
        cairo_restore(cr)
    }

    private func drawLegend(_ g: Geometry, canvas: CairoCanvas) {
        let st = style
        let gap = st.legendFontSize * 1.6, symbolWidth = st.legendFontSize * 1.6
        for (r, row) in g.legendRows.enumerated() {
            let total = row.map(\.width).reduce(0, +) + gap * Double(row.count - 1)
            var x = (canvas.width - total) / 2
            let cy = g.legendTop + (Double(r) + 0.5) * g.legendRowHeight
            for item in row {
                drawSymbol(item.symbol, at: (x + symbolWidth / 2, cy), radius: st.legendFontSize * 0.62,
                           canvas: canvas)
                canvas.setFont(size: st.legendFontSize)
                canvas.drawText(item.text, x: x + symbolWidth + 6, centerY: cy, color: st.textColor)
                x += item.width + gap
            }
        }
    }
}
