import CCairo
import Foundation
import SegmentModel

/// Sizes and colours of the strain-curves figure (device units: pixels for PNG, points for SVG).
public struct StrainCurvesStyle: Hashable, Sendable {
    public var titleFontSize: Double = 17
    public var legendFontSize: Double = 11.5
    public var legendTitleFontSize: Double = 12
    public var paddingPx: Double = 12
    /// Width of the legend column at the right (px).
    public var legendWidthPx: Double = 190
    /// Style of each ring's panel (its legend is replaced by the shared one).
    public var panel: LinePlotStyle = {
        var s = LinePlotStyle()
        s.titleFontSize = 14
        s.seriesLineWidthPx = 1.8
        s.pointRadiusPx = 4
        s.showsLegend = false
        s.seriesColors = StrainCurvesStyle.sectorColors
        return s
    }()
    public var backgroundColor = RGBA.white
    public var textColor = RGBA.grey(0.1)

    /// One colour per position in a ring (index `(id - 1) % 12`): a hue per AHA sector, the first half light and
    /// the second dark. Reference: ColorBrewer "Paired" 12-class, its pale yellow darkened for a white ground.
    public static let sectorColors: [RGBA] = [0x8FBFDB, 0x1F78B4, 0x9ED47A, 0x33A02C, 0xF88A88, 0xE31A1C,
                                              0xFDB35A, 0xE06C00, 0xB69BCF, 0x6A3D9A, 0xC9B22E, 0x8C4A1E]
        .map { RGBA(hex: $0) }

    public init() {}
}

/// Per-segment radial strain curves as small multiples: one panel per ring (basal, mid, apical) with its 12
/// segments in the sector colours, each segment's activation time marked by a dot on its curve, shared axes
/// and one legend of the 12 sector positions. Drawn with cairo (PNG or SVG) through `LinePlot`.
///
/// Strain is given as a fraction (0.30 = 30 %) and plotted in percent against time in ms after the R trigger.
public struct StrainCurvesFigure: Sendable {
    /// Cine frame times (ms after the R trigger), one per frame.
    public var frameTimesMs: [Double]
    /// Radial strain (fraction) per frame and segment: `radialStrain[frame][id - 1]`, 36 per frame; nil = not
    /// measured (breaks the curve).
    public var radialStrain: [[Double?]]
    /// Activation time per segment (ms after the R trigger, index `id - 1`; nil = none), marked on the curve.
    public var activationTimesMs: [Double?]
    public var title: String
    /// Vertical event lines on every panel (time in ms), e.g. end-systole.
    public var markers: [PlotMarker]
    /// Fixed strain axis (percent); nil fits all 36 curves, shared by the three panels.
    public var strainRangePercent: ClosedRange<Double>?
    public var style: StrainCurvesStyle

    public init(frameTimesMs: [Double], radialStrain: [[Double?]], activationTimesMs: [Double?], title: String,
                markers: [PlotMarker] = [], strainRangePercent: ClosedRange<Double>? = nil,
                style: StrainCurvesStyle = StrainCurvesStyle()) {
        self.frameTimesMs = frameTimesMs; self.radialStrain = radialStrain
        self.activationTimesMs = activationTimesMs; self.title = title; self.markers = markers
        self.strainRangePercent = strainRangePercent; self.style = style
    }

    /// Writes the figure as a `width` x `height` pixel PNG at `path` (the parent folder must exist).
    /// - Throws: `FigureError.invalidInput` when the frame count of `radialStrain` differs from `frameTimesMs`,
    ///   a frame has other than 36 values, `activationTimesMs` has other than 36, a time or value is not finite,
    ///   or the canvas is too small; `FigureError.cairo` when drawing or writing fails.
    public func writePNG(path: String, width: Int = 1260, height: Int = 460) throws {
        let panels = try self.panels()
        let canvas = try CairoCanvas.image(width: width, height: height)
        try draw(panels, on: canvas)
        try canvas.writePNG(to: path)
    }

    /// Writes the figure as an SVG of `width` x `height` points at `path`; otherwise as `writePNG`.
    public func writeSVG(path: String, width: Double = 1260, height: Double = 460) throws {
        let panels = try self.panels()
        let canvas = try CairoCanvas.svg(path: path, width: width, height: height)
        try draw(panels, on: canvas)
        try canvas.finishSVG(path: path)
    }

    /// Strain in percent at `t` (ms) on the curve of segment index `i`, linear between frames; nil outside the
    /// frames or next to a missing value.
    private func strainPercent(segment i: Int, at t: Double) -> Double? {
        let times = frameTimesMs
        guard let k = times.indices.dropLast().first(where: { times[$0] <= t && t <= times[$0 + 1] }) else {
            if t == frameTimesMs.last { return radialStrain.last?[i].map { $0 * 100 } }
            return nil
        }
        guard let a = radialStrain[k][i], let b = radialStrain[k + 1][i] else { return nil }
        let span = frameTimesMs[k + 1] - frameTimesMs[k]
        let f = span > 0 ? (t - frameTimesMs[k]) / span : 0
        return (a + (b - a) * f) * 100
    }

    /// One `LinePlot` per ring with shared axis ranges.
    private func panels() throws -> [LinePlot] {
        let n = Segment36.all.count
        guard radialStrain.count == frameTimesMs.count, !frameTimesMs.isEmpty else {
            throw FigureError.invalidInput(
                "strain curves need one strain frame per frame time: \(radialStrain.count) vs \(frameTimesMs.count)")
        }
        if let bad = radialStrain.firstIndex(where: { $0.count != n }) {
            throw FigureError.invalidInput("strain frame \(bad) has \(radialStrain[bad].count) values, not 36")
        }
        guard activationTimesMs.count == n else {
            throw FigureError.invalidInput("strain curves need 36 activation times, got \(activationTimesMs.count)")
        }
        let finite = frameTimesMs.allSatisfy(\.isFinite)
            && radialStrain.allSatisfy { $0.allSatisfy { $0?.isFinite ?? true } }
            && activationTimesMs.allSatisfy { $0?.isFinite ?? true }
        guard finite else { throw FigureError.invalidInput("strain curves: times and strains must be finite") }
        guard zip(frameTimesMs, frameTimesMs.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw FigureError.invalidInput("strain curves: frame times must increase")
        }

        let all = radialStrain.flatMap { $0.compactMap { $0.map { $0 * 100 } } }
        let yRange = strainRangePercent ?? {
            let t = AxisTicks(dataMin: min(all.min() ?? 0, 0), dataMax: all.max() ?? 1,
                              targetCount: style.panel.targetTickCount)
            return t.lower...t.upper
        }()
        let xt = AxisTicks(dataMin: frameTimesMs.first!, dataMax: frameTimesMs.last!,
                           targetCount: style.panel.targetTickCount)
        return (0..<Segment36.ringCount).map { ring in
            let ids = (1...Segment36.sectorsPerRing).map { 12 * ring + $0 }
            let series = ids.map { id in
                PlotSeries(name: Segment36(id)!.name, x: frameTimesMs,
                           y: radialStrain.map { $0[id - 1].map { $0 * 100 } ?? .nan })
            }
            let points = ids.enumerated().compactMap { k, id -> PlotPoint? in
                guard let t = activationTimesMs[id - 1], let y = strainPercent(segment: id - 1, at: t) else {
                    return nil
                }
                return PlotPoint(x: t, y: y, series: k)
            }
            return LinePlot(series: series, xLabel: "time after R (ms)", yLabel: ring == 0 ? "radial strain (%)" : "",
                            title: "\(Segment36.ringNames[ring].capitalized) ring (segments \(ids[0])-\(ids[11]))",
                            markers: markers, points: points, xRange: xt.lower...xt.upper, yRange: yRange,
                            style: style.panel)
        }
    }

    private func draw(_ panels: [LinePlot], on canvas: CairoCanvas) throws {
        let st = style, pad = st.paddingPx, cr = canvas.context
        canvas.fillRectangle(x: 0, y: 0, width: canvas.width, height: canvas.height, color: st.backgroundColor)
        let titleHeight = title.isEmpty ? 0 : st.titleFontSize * 1.8
        if !title.isEmpty {
            let fitted = canvas.fitText(title, maxWidth: canvas.width - 2 * pad, preferred: st.titleFontSize,
                                        minimum: 8, bold: true)
            canvas.drawText(fitted.text, x: canvas.width / 2, centerY: pad / 2 + titleHeight / 2, anchor: .center,
                            color: st.textColor)
        }
        let panelsWidth = canvas.width - st.legendWidthPx
        guard panelsWidth > 150 else {
            throw FigureError.invalidInput("strain curves canvas \(canvas.width) wide leaves no room for the panels")
        }
        let panelWidth = panelsWidth / Double(panels.count)
        for (k, plot) in panels.enumerated() {
            try plot.draw(on: canvas, in: PlotFrame(x: Double(k) * panelWidth, y: titleHeight, width: panelWidth,
                                                    height: canvas.height - titleHeight))
        }

        // Shared legend: the 12 positions of a ring, with the ids they hold in each ring.
        let left = panelsWidth + pad / 2
        let rowHeight = st.legendFontSize * 1.55
        let legendHeight = Double(Segment36.sectorsPerRing + 2) * rowHeight
        var y = max(titleHeight + pad, (canvas.height - legendHeight) / 2)
        let heading = canvas.fitText("segment (basal/mid/apical)", maxWidth: st.legendWidthPx - pad,
                                     preferred: st.legendTitleFontSize, minimum: 7, bold: true)
        canvas.drawText(heading.text, x: left, centerY: y, color: st.textColor)
        y += rowHeight * 1.2
        let colors = st.panel.seriesColors.isEmpty ? StrainCurvesStyle.sectorColors : st.panel.seriesColors
        for k in 0..<Segment36.sectorsPerRing {
            let s = Segment36(k + 1)!
            canvas.setColor(colors[k % colors.count])
            cairo_set_line_width(cr, st.panel.seriesLineWidthPx + 0.6)
            cairo_move_to(cr, left, y); cairo_line_to(cr, left + 22, y)
            cairo_stroke(cr)
            let text = "\(Segment36.ahaSectorNames[s.ahaSector - 1]) \(s.half)  \(k + 1)/\(k + 13)/\(k + 25)"
            let fitted = canvas.fitText(text, maxWidth: st.legendWidthPx - 22 - 6 - pad, preferred: st.legendFontSize,
                                        minimum: 7)
            canvas.drawText(fitted.text, x: left + 28, centerY: y, color: st.textColor)
            y += rowHeight
        }
        // The activation-time dot.
        y += rowHeight * 0.3
        cairo_new_sub_path(cr)
        cairo_arc(cr, left + 11, y, st.panel.pointRadiusPx, 0, 2 * .pi)
        canvas.setColor(RGBA.grey(0.6))
        cairo_fill_preserve(cr)
        canvas.setColor(st.panel.pointRimColor)
        cairo_set_line_width(cr, 1)
        cairo_stroke(cr)
        canvas.setFont(size: st.legendFontSize)
        canvas.drawText("activation time", x: left + 28, centerY: y, color: st.textColor)
        try canvas.checkDrawing("strain curves \"\(title)\"")
    }
}
