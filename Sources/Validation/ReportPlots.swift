import Foundation
import WebOutput

/// Inline SVG plots of `report.html` (no xmlns needed inside HTML, no external resource). Coordinates are written
/// with one decimal so the same data always gives the same bytes.
enum ReportPlots {
    /// Success (final mTRE < 5 mm) per 2 mm bin of initial mTRE, from 0 to 30 mm (DOMAIN.md section 4).
    struct Bin: Equatable {
        var lowerMm: Double
        var trials: Int
        var successes: Int
        var fraction: Double? { trials > 0 ? Double(successes) / Double(trials) : nil }
    }

    /// Bins of 2 mm from 0 up to the bin holding the largest initial error (at most 30 mm; trials beyond are left out).
    static func successBins(_ trials: [RegistrationTrials.Trial], limitMm: Double = 30) -> [Bin] {
        let kept = trials.filter { $0.initialMTREMm.isFinite && $0.initialMTREMm >= 0 && $0.initialMTREMm < limitMm }
        guard let top = kept.map(\.initialMTREMm).max() else { return [] }
        var bins = (0...Int(top / 2)).map { Bin(lowerMm: Double(2 * $0), trials: 0, successes: 0) }
        for t in kept {
            let b = Int(t.initialMTREMm / 2)
            bins[b].trials += 1
            if t.finalMTREMm < RegistrationScore.successMTREMm { bins[b].successes += 1 }
        }
        return bins
    }

    /// Drawing area of a plot: pixel size, margins and the data ranges mapped onto it.
    struct Frame {
        var width = 560.0, height = 230.0
        var left = 52.0, right = 14.0, top = 26.0, bottom = 42.0
        var xMax: Double, yMax: Double
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }
        func x(_ v: Double) -> Double { left + v / xMax * plotWidth }
        func y(_ v: Double) -> Double { top + (1 - v / yMax) * plotHeight }
    }

    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String) -> String {
        "<line class=\"\(cls)\" x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\"/>"
    }
    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, cls: String, title: String) -> String {
        "<rect class=\"\(cls)\" x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(w, 0)))\" height=\"\(n(max(h, 0)))\"><title>\(HTML.escape(title))</title></rect>"
    }
    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "middle", cls: String = "tick") -> String {
        "<text class=\"\(cls)\" x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\">\(HTML.escape(s))</text>"
    }

    /// Axes with ticks: x ticks every `xStep` (labels in mm), y ticks at `yTicks` labelled by `yLabel`.
    static func axes(_ f: Frame, xStep: Double, xTitle: String, yTicks: [Double], yLabel: (Double) -> String, yTitle: String) -> [String] {
        var p: [String] = []
        p.append(line(f.left, f.y(0), f.left + f.plotWidth, f.y(0), cls: "axis"))
        p.append(line(f.left, f.top, f.left, f.y(0), cls: "axis"))
        var v = 0.0
        while v <= f.xMax + 1e-9 {
            p.append(line(f.x(v), f.y(0), f.x(v), f.y(0) + 4, cls: "axis"))
            p.append(text(f.x(v), f.y(0) + 16, String(format: "%g", v)))
            v += xStep
        }
        for t in yTicks {
            p.append(line(f.left - 4, f.y(t), f.left, f.y(t), cls: "axis"))
            p.append(line(f.left, f.y(t), f.left + f.plotWidth, f.y(t), cls: "grid"))
            p.append(text(f.left - 7, f.y(t) + 4, yLabel(t), anchor: "end"))
        }
        p.append(text(f.left + f.plotWidth / 2, f.height - 6, xTitle, cls: "label"))
        p.append("<text class=\"label\" text-anchor=\"middle\" transform=\"translate(13 \(n(f.top + f.plotHeight / 2))) rotate(-90)\">\(HTML.escape(yTitle))</text>")
        return p
    }

    static func svg(_ f: Frame, id: String, label: String, _ parts: [String]) -> String {
        "<svg id=\"\(id)\" class=\"plot\" viewBox=\"0 0 \(n(f.width)) \(n(f.height))\" width=\"\(n(f.width))\" height=\"\(n(f.height))\" role=\"img\" aria-label=\"\(HTML.escape(label))\">"
            + parts.joined() + "</svg>"
    }

    /// Bars of success fraction per bin, the 95 % line, and the capture range as a vertical line.
    static func successPlot(_ bins: [Bin], captureRangeMm: Double?) -> String {
        // One empty bin of room after the last one (the capture range often ends there), at most 30 mm.
        let xMax = min(30, max(4, Double(bins.count) * 2 + 2))
        let f = Frame(xMax: xMax, yMax: 1)
        var p = axes(f, xStep: xMax > 16 ? 4 : 2, xTitle: "initial mTRE (mm)", yTicks: [0, 0.5, 1],
                     yLabel: { String(format: "%.0f %%", 100 * $0) }, yTitle: "success (< 5 mm)")
        p.append(line(f.left, f.y(0.95), f.left + f.plotWidth, f.y(0.95), cls: "ref"))
        p.append(text(f.left + 3, f.y(0.95) + 11, "95 %", anchor: "start", cls: "reflabel"))
        for b in bins {
            guard let frac = b.fraction else { continue }
            let x0 = f.x(b.lowerMm) + 2, x1 = f.x(b.lowerMm + 2) - 2
            p.append(rect(x0, f.y(frac), x1 - x0, f.y(0) - f.y(frac), cls: frac >= 0.95 ? "bar ok" : "bar low",
                          title: String(format: "%g-%g mm: %d of %d", b.lowerMm, b.lowerMm + 2, b.successes, b.trials)))
            p.append(text((x0 + x1) / 2, f.top - 5, "n=\(b.trials)", cls: "count"))
        }
        if let c = captureRangeMm, c.isFinite {
            let x = f.x(min(c, xMax))
            p.append(line(x, f.top, x, f.y(0), cls: "capture"))
            let label = String(format: "capture range %g mm", c)
            let right = x > f.left + f.plotWidth / 2
            p.append(text(right ? x - 4 : x + 4, f.top + 26, label, anchor: right ? "end" : "start", cls: "capturelabel"))
        }
        return svg(f, id: "plot-capture", label: "registration success against initial mTRE", p)
    }

    /// Histogram of per-case mTRE with the 2 mm and 5 mm success thresholds.
    /// The range reaches at least the largest threshold, so that both show.
    static func histogram(_ values: [Double], id: String, xTitle: String, thresholds: [Double]) -> String {
        let v = values.filter(\.isFinite)
        let top = max(v.max() ?? 1, thresholds.max() ?? 1e-9, 1e-9)
        let width = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50].first { (top / $0).rounded(.down) + 1 <= 20 } ?? 100
        let count = Int((top / width).rounded(.down)) + 1
        var counts = [Int](repeating: 0, count: count)
        for x in v { counts[min(count - 1, max(0, Int(x / width)))] += 1 }
        let xMax = Double(count) * width, yMax = Double(max(counts.max() ?? 1, 1))
        let f = Frame(xMax: xMax, yMax: yMax)
        let step = [width, 2 * width, 5 * width, 10 * width].first { xMax / $0 <= 10 } ?? xMax
        let yStep = max(1, (yMax / 4).rounded(.up))
        var p = axes(f, xStep: step, xTitle: xTitle, yTicks: stride(from: 0, through: yMax, by: yStep).map { $0 },
                     yLabel: { String(format: "%.0f", $0) }, yTitle: "cases")
        for (i, c) in counts.enumerated() where c > 0 {
            let x0 = f.x(Double(i) * width) + 1, x1 = f.x(Double(i + 1) * width) - 1
            p.append(rect(x0, f.y(Double(c)), x1 - x0, f.y(0) - f.y(Double(c)), cls: "bar hist",
                          title: String(format: "%g-%g mm: %d", Double(i) * width, Double(i + 1) * width, c)))
        }
        for t in thresholds where t <= xMax {
            p.append(line(f.x(t), f.top, f.x(t), f.y(0), cls: "ref"))
            p.append(text(f.x(t) + 3, f.top + 10, String(format: "%g mm", t), anchor: "start", cls: "reflabel"))
        }
        return svg(f, id: id, label: xTitle + " histogram", p)
    }
}
