import CCairo
import Foundation

/// One curve of a line plot. Points with a non-finite x or y are left out and break the line there.
public struct PlotSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public init(name: String, x: [Double], y: [Double]) { self.name = name; self.x = x; self.y = y }
}

/// A dot on one series at (x, y) in axis units, e.g. a segment's activation time on its strain curve.
public struct PlotPoint: Sendable {
    public var x: Double
    public var y: Double
    /// Index of the series whose colour the dot takes.
    public var series: Int
    public init(x: Double, y: Double, series: Int) { self.x = x; self.y = y; self.series = series }
}

/// Where a plot is drawn on a canvas (device units, origin at the top left): the whole canvas for a single plot,
/// one panel of a figure of small multiples.
struct PlotFrame {
    var x: Double, y: Double, width: Double, height: Double
}

/// A labelled vertical line at one x (an event such as end-systole, or a threshold).
public struct PlotMarker: Sendable {
    public var x: Double
    public var label: String
    public init(x: Double, label: String) { self.x = x; self.label = label }
}

/// Sizes and colours of a line plot (device units: pixels for PNG, points for SVG).
public struct LinePlotStyle: Hashable, Sendable {
    public var titleFontSize: Double = 16
    public var axisLabelFontSize: Double = 13
    public var tickFontSize: Double = 11
    public var legendFontSize: Double = 11
    public var markerFontSize: Double = 11
    /// Space between the canvas edge and any text, and between text blocks.
    public var paddingPx: Double = 10
    public var tickLengthPx: Double = 5
    public var seriesLineWidthPx: Double = 2
    /// Radius of the dot drawn for an isolated point (no finite neighbour to join).
    public var isolatedPointRadiusPx: Double = 3
    /// Radius of the dots of `LinePlot.points`.
    public var pointRadiusPx: Double = 4
    public var pointRimColor = RGBA.grey(0.1)
    /// Whether the legend box is drawn (figures with a shared legend turn it off).
    public var showsLegend = true
    /// Wanted number of ticks on each axis.
    public var targetTickCount: Int = 6
    public var backgroundColor = RGBA.white
    public var textColor = RGBA.grey(0.1)
    public var axisColor = RGBA.grey(0.25)
    public var gridColor = RGBA.grey(0.9)
    public var markerColor = RGBA.grey(0.4)
    /// Series colours in order (cycled).
    public var seriesColors = RGBA.seriesCycle

    public init() {}
}

/// A line plot with axes, nice ticks, grid, legend and vertical markers, drawn with cairo to PNG or SVG.
///
/// Axis ranges default to the data (and marker) extent rounded out to whole ticks. The legend goes in the
/// corner of the plot area that covers the fewest data points; marker labels sit in a band above the plot area,
/// stacked when they would overlap.
public struct LinePlot: Sendable {
    public var series: [PlotSeries]
    public var xLabel: String
    public var yLabel: String
    public var title: String
    public var markers: [PlotMarker]
    /// Dots on the curves (e.g. an activation time on a strain curve), drawn over the series.
    public var points: [PlotPoint]
    /// Fixed axis ranges; nil fits the data.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var style: LinePlotStyle

    public init(series: [PlotSeries], xLabel: String, yLabel: String, title: String, markers: [PlotMarker] = [],
                points: [PlotPoint] = [], xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                style: LinePlotStyle = LinePlotStyle()) {
        self.series = series; self.xLabel = xLabel; self.yLabel = yLabel; self.title = title
        self.markers = markers; self.points = points; self.xRange = xRange; self.yRange = yRange; self.style = style
    }

    /// Writes the plot as a `width` x `height` pixel PNG at `path` (the parent folder must exist).
    /// - Throws: `FigureError.invalidInput` for a series whose x and y counts differ, a non-finite range or
    ///   marker, or a size cairo cannot make; `FigureError.cairo` when drawing or writing fails.
    public func writePNG(path: String, width: Int = 800, height: Int = 500) throws {
        try validate()
        let canvas = try CairoCanvas.image(width: width, height: height)
        try draw(on: canvas, in: PlotFrame(x: 0, y: 0, width: canvas.width, height: canvas.height))
        try canvas.writePNG(to: path)
    }

    /// Writes the plot as an SVG of `width` x `height` points at `path` (the parent folder must exist).
    /// - Throws: as `writePNG`.
    public func writeSVG(path: String, width: Double = 800, height: Double = 500) throws {
        try validate()
        let canvas = try CairoCanvas.svg(path: path, width: width, height: height)
        try draw(on: canvas, in: PlotFrame(x: 0, y: 0, width: canvas.width, height: canvas.height))
        try canvas.finishSVG(path: path)
    }

    func validate() throws {
        for p in points where !(p.x.isFinite && p.y.isFinite) || !series.indices.contains(p.series) {
            throw FigureError.invalidInput(
                "point (\(p.x), \(p.y)) must be finite and name one of the \(series.count) series")
        }
        for s in series where s.x.count != s.y.count {
            throw FigureError.invalidInput("series \"\(s.name)\" has \(s.x.count) x values and \(s.y.count) y values")
        }
        for m in markers where !m.x.isFinite {
            throw FigureError.invalidInput("marker \"\(m.label)\" has non-finite x \(m.x)")
        }
        for (name, r) in [("x", xRange), ("y", yRange)] {
            if let r, !(r.lowerBound.isFinite && r.upperBound.isFinite && r.upperBound > r.lowerBound) {
                throw FigureError.invalidInput("\(name) range \(r) must be finite and non-empty")
            }
        }
    }

    /// Finite points of a series, split where a non-finite value breaks the line.
    private static func runs(of s: PlotSeries) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = [[]]
        for (x, y) in zip(s.x, s.y) {
            if x.isFinite && y.isFinite { runs[runs.count - 1].append((x, y)) } else if !runs.last!.isEmpty {
                runs.append([])
            }
        }
        return runs.filter { !$0.isEmpty }
    }

    /// Axis ticks: fixed range as given (ticks inside it), or the data range rounded out to whole ticks.
    private func ticks(fixed: ClosedRange<Double>?, data: [Double]) -> AxisTicks {
        if let fixed {
            var t = AxisTicks(dataMin: fixed.lowerBound, dataMax: fixed.upperBound,
                              targetCount: style.targetTickCount)
            t.values = t.values.filter { fixed.contains($0) || abs($0 - fixed.lowerBound) < t.step * 1e-9
                || abs($0 - fixed.upperBound) < t.step * 1e-9 }
            t.lower = fixed.lowerBound
            t.upper = fixed.upperBound
            return t
        }
        guard let lo = data.min(), let hi = data.max() else {
            return AxisTicks(dataMin: 0, dataMax: 1, targetCount: style.targetTickCount)
        }
        return AxisTicks(dataMin: lo, dataMax: hi, targetCount: style.targetTickCount)
    }

    /// Draws the whole plot (background, title, axes, series, legend) inside `frame` of `canvas`.
    func draw(on canvas: CairoCanvas, in frame: PlotFrame) throws {
        let st = style, cr = canvas.context, pad = st.paddingPx
        let fx = frame.x, fy = frame.y, fw = frame.width, fh = frame.height
        let runs = series.map(LinePlot.runs(of:))
        let points = runs.flatMap { $0.flatMap { $0 } }
        let xt = ticks(fixed: xRange, data: points.map(\.x) + markers.map(\.x) + self.points.map(\.x))
        let yt = ticks(fixed: yRange, data: points.map(\.y) + self.points.map(\.y))

        canvas.fillRectangle(x: fx, y: fy, width: fw, height: fh, color: st.backgroundColor)

        // Vertical layout, top to bottom: title, marker label rows, plot area, x tick labels, x label.
        let titleHeight = title.isEmpty ? 0 : st.titleFontSize * 1.4
        let markerRowHeight = st.markerFontSize * 1.5
        canvas.setFont(size: st.tickFontSize)
        let tickLabelHeight = st.tickFontSize * 1.3
        let yTickLabelWidth = yt.values.map { canvas.textWidth(yt.label($0)) }.max() ?? 0
        let xTickHalfWidth = (xt.values.map { canvas.textWidth(xt.label($0)) }.max() ?? 0) / 2
        let axisLabelHeight = st.axisLabelFontSize * 1.3

        let left = fx + pad + (yLabel.isEmpty ? 0 : axisLabelHeight + pad) + yTickLabelWidth + st.tickLengthPx + 4
        let right = fx + fw - max(pad, xTickHalfWidth + 2)
        let bottom = fy + fh - pad - (xLabel.isEmpty ? 0 : axisLabelHeight + pad / 2)
            - tickLabelHeight - st.tickLengthPx - 2

        // Marker label rows: each label centred on its line, moved to a lower row when it would overlap.
        canvas.setFont(size: st.markerFontSize)
        var rowEnds: [Double] = []
        var placed: [(marker: PlotMarker, row: Int, center: Double)] = []
        let xScale = { (x: Double) -> Double in left + (x - xt.lower) / (xt.upper - xt.lower) * (right - left) }
        for m in markers.sorted(by: { $0.x < $1.x }) {
            let w = canvas.textWidth(m.label)
            let center = min(max(xScale(m.x), fx + w / 2 + 2), fx + fw - w / 2 - 2)
            let row = rowEnds.firstIndex(where: { $0 + pad / 2 <= center - w / 2 }) ?? rowEnds.count
            if row == rowEnds.count { rowEnds.append(0) }
            rowEnds[row] = center + w / 2
            placed.append((m, row, center))
        }
        let top = fy + pad + titleHeight + Double(rowEnds.count) * markerRowHeight + (rowEnds.isEmpty ? pad / 2 : 0)
        guard right - left > 1, bottom - top > 1 else {
            throw FigureError.invalidInput(
                "plot canvas \(fw) x \(fh) leaves no room for the plot area")
        }
        let xOf = xScale
        let yOf = { (y: Double) -> Double in bottom - (y - yt.lower) / (yt.upper - yt.lower) * (bottom - top) }

        // Title.
        if !title.isEmpty {
            let fitted = canvas.fitText(title, maxWidth: fw - 2 * pad, preferred: st.titleFontSize,
                                        minimum: st.tickFontSize * 0.8, bold: true)
            canvas.drawText(fitted.text, x: fx + fw / 2, centerY: fy + pad + titleHeight / 2, anchor: .center,
                            color: st.textColor)
        }

        // Grid, ticks and tick labels.
        cairo_set_line_width(cr, 1)
        canvas.setColor(st.gridColor)
        for v in xt.values { cairo_move_to(cr, xOf(v), top); cairo_line_to(cr, xOf(v), bottom) }
        for v in yt.values { cairo_move_to(cr, left, yOf(v)); cairo_line_to(cr, right, yOf(v)) }
        cairo_stroke(cr)
        canvas.setColor(st.axisColor)
        for v in xt.values { cairo_move_to(cr, xOf(v), bottom); cairo_line_to(cr, xOf(v), bottom + st.tickLengthPx) }
        for v in yt.values { cairo_move_to(cr, left, yOf(v)); cairo_line_to(cr, left - st.tickLengthPx, yOf(v)) }
        cairo_stroke(cr)
        canvas.setFont(size: st.tickFontSize)
        for v in xt.values {
            canvas.drawText(xt.label(v), x: xOf(v), centerY: bottom + st.tickLengthPx + 2 + tickLabelHeight / 2,
                            anchor: .center, color: st.textColor)
        }
        for v in yt.values {
            canvas.drawText(yt.label(v), x: left - st.tickLengthPx - 4, centerY: yOf(v), anchor: .right,
                            color: st.textColor)
        }

        // Axis labels (the y label reads bottom to top).
        canvas.setFont(size: st.axisLabelFontSize)
        if !xLabel.isEmpty {
            let fitted = canvas.fitText(xLabel, maxWidth: right - left, preferred: st.axisLabelFontSize,
                                        minimum: st.tickFontSize * 0.8)
            canvas.drawText(fitted.text, x: (left + right) / 2, centerY: fy + fh - pad - axisLabelHeight / 2,
                            anchor: .center, color: st.textColor)
        }
        if !yLabel.isEmpty {
            cairo_save(cr)
            cairo_translate(cr, fx + pad + axisLabelHeight / 2, (top + bottom) / 2)
            cairo_rotate(cr, -Double.pi / 2)
            let fitted = canvas.fitText(yLabel, maxWidth: bottom - top, preferred: st.axisLabelFontSize,
                                        minimum: st.tickFontSize * 0.8)
            canvas.drawText(fitted.text, x: 0, centerY: 0, anchor: .center, color: st.textColor)
            cairo_restore(cr)
        }

        // Markers: dashed vertical lines, labels above the plot area.
        for p in placed {
            let x = xOf(p.marker.x)
            if x >= left - 0.5 && x <= right + 0.5 {
                canvas.setColor(st.markerColor)
                cairo_set_line_width(cr, 1.2)
                let dash: [Double] = [5, 4]
                cairo_set_dash(cr, dash, Int32(dash.count), 0)
                cairo_move_to(cr, x, top); cairo_line_to(cr, x, bottom)
                cairo_stroke(cr)
                cairo_set_dash(cr, nil, 0, 0)
            }
            canvas.setFont(size: st.markerFontSize)
            let rowCenter = fy + pad + titleHeight + (Double(p.row) + 0.5) * markerRowHeight
            canvas.drawText(p.marker.label, x: p.center, centerY: rowCenter, anchor: .center, color: st.markerColor)
        }

        // Series, clipped to the plot area.
        cairo_save(cr)
        cairo_rectangle(cr, left, top, right - left, bottom - top)
        cairo_clip(cr)
        cairo_set_line_width(cr, st.seriesLineWidthPx)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
        for (index, seriesRuns) in runs.enumerated() {
            canvas.setColor(color(ofSeries: index))
            for run in seriesRuns {
                if run.count == 1 {
                    cairo_new_sub_path(cr)
                    cairo_arc(cr, xOf(run[0].x), yOf(run[0].y), st.isolatedPointRadiusPx, 0, 2 * Double.pi)
                    cairo_fill(cr)
                    continue
                }
                cairo_move_to(cr, xOf(run[0].x), yOf(run[0].y))
                for p in run.dropFirst() { cairo_line_to(cr, xOf(p.x), yOf(p.y)) }
                cairo_stroke(cr)
            }
        }
        // Points: dots in their series' colour with a dark rim.
        for p in self.points {
            cairo_new_sub_path(cr)
            cairo_arc(cr, xOf(p.x), yOf(p.y), st.pointRadiusPx, 0, 2 * Double.pi)
            canvas.setColor(color(ofSeries: p.series))
            cairo_fill_preserve(cr)
            canvas.setColor(st.pointRimColor)
            cairo_set_line_width(cr, 1)
            cairo_stroke(cr)
        }
        cairo_restore(cr)

        // Axes frame.
        canvas.setColor(st.axisColor)
        cairo_set_line_width(cr, 1)
        cairo_rectangle(cr, left, top, right - left, bottom - top)
        cairo_stroke(cr)

        if st.showsLegend {
            drawLegend(on: canvas, plotArea: (left, top, right, bottom),
                       devicePoints: points.map { (xOf($0.x), yOf($0.y)) })
        }
        try canvas.checkDrawing("line plot \"\(title)\"")
    }

    private func color(ofSeries index: Int) -> RGBA {
        let colors = style.seriesColors.isEmpty ? RGBA.seriesCycle : style.seriesColors
        return colors[index % colors.count]
    }

    private func drawLegend(on canvas: CairoCanvas, plotArea: (left: Double, top: Double, right: Double, bottom: Double),
                            devicePoints: [(Double, Double)]) {
        guard !series.isEmpty else { return }
        let st = style, cr = canvas.context, pad = st.paddingPx
        canvas.setFont(size: st.legendFontSize)
        let sampleLength = 22.0, rowHeight = st.legendFontSize * 1.5
        let nameWidth = series.map { canvas.textWidth($0.name) }.max() ?? 0
        let boxWidth = min(pad + sampleLength + pad / 2 + nameWidth + pad, plotArea.right - plotArea.left - pad)
        let boxHeight = Double(series.count) * rowHeight + pad
        // Candidate corners inside the plot area; the one covering the fewest data points wins (ties: top right).
        let inset = 6.0
        let xs = [plotArea.right - inset - boxWidth, plotArea.left + inset]
        let ys = [plotArea.top + inset, plotArea.bottom - inset - boxHeight]
        let corners = [(xs[0], ys[0]), (xs[1], ys[0]), (xs[0], ys[1]), (xs[1], ys[1])]
        let covered = corners.map { c in
            devicePoints.filter { $0.0 >= c.0 && $0.0 <= c.0 + boxWidth && $0.1 >= c.1 && $0.1 <= c.1 + boxHeight }
                .count
        }
        let best = corners[covered.firstIndex(of: covered.min()!)!]

        canvas.fillRectangle(x: best.0, y: best.1, width: boxWidth, height: boxHeight, color: RGBA.white.withAlpha(0.88))
        canvas.setColor(st.gridColor.withAlpha(1))
        cairo_set_line_width(cr, 1)
        cairo_rectangle(cr, best.0, best.1, boxWidth, boxHeight)
        cairo_stroke(cr)
        let nameMaxWidth = boxWidth - (pad + sampleLength + pad / 2 + pad)
        for (index, s) in series.enumerated() {
            let cy = best.1 + pad / 2 + (Double(index) + 0.5) * rowHeight
            canvas.setColor(color(ofSeries: index))
            cairo_set_line_width(cr, st.seriesLineWidthPx)
            cairo_move_to(cr, best.0 + pad, cy); cairo_line_to(cr, best.0 + pad + sampleLength, cy)
            cairo_stroke(cr)
            let fitted = canvas.fitText(s.name, maxWidth: nameMaxWidth, preferred: st.legendFontSize,
                                        minimum: st.legendFontSize * 0.7)
            canvas.drawText(fitted.text, x: best.0 + pad + sampleLength + pad / 2, centerY: cy, color: st.textColor)
        }
    }
}

/// Writes a line plot PNG of `width` x `height` pixels: axes with nice ticks, a legend, optional labelled
/// vertical markers. Convenience for `LinePlot(...).writePNG(path:width:height:)`.
/// - Parameters:
///   - series: curves in drawing order (name for the legend, x and y of equal length, any units).
///   - xLabel, yLabel: axis titles, with units, e.g. "time (ms)".
///   - title: text above the plot.
///   - path: output PNG file; the parent folder must exist.
///   - markers: vertical lines at x (x units) with a label.
///   - width, height: canvas size (px).
/// - Throws: `FigureError`.
public func writeLinePlotPNG(series: [(name: String, x: [Double], y: [Double])], xLabel: String, yLabel: String,
                             title: String, path: String, markers: [(x: Double, label: String)] = [],
                             width: Int = 800, height: Int = 500) throws {
    try LinePlot(series: series.map { PlotSeries(name: $0.name, x: $0.x, y: $0.y) }, xLabel: xLabel,
                 yLabel: yLabel, title: title, markers: markers.map { PlotMarker(x: $0.x, label: $0.label) })
        .writePNG(path: path, width: width, height: height)
}

/// Writes a line plot as SVG (`width` x `height` points); otherwise as `writeLinePlotPNG`.
/// - Throws: `FigureError`.
public func writeLinePlotSVG(series: [(name: String, x: [Double], y: [Double])], xLabel: String, yLabel: String,
                             title: String, path: String, markers: [(x: Double, label: String)] = [],
                             width: Double = 800, height: Double = 500) throws {
    try LinePlot(series: series.map { PlotSeries(name: $0.name, x: $0.x, y: $0.y) }, xLabel: xLabel,
                 yLabel: yLabel, title: title, markers: markers.map { PlotMarker(x: $0.x, label: $0.label) })
        .writeSVG(path: path, width: width, height: height)
}
