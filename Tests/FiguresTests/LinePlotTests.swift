import Figures
import Foundation
import Testing

/// A pixel counts as background when every channel is at least this (the plot background is white, 255).
private let backgroundMinimum = 250
/// Channel tolerance when matching a series colour (antialiasing leaves the line core exact).
private let colourTolerance = 4

private let twoSeries: [(name: String, x: [Double], y: [Double])] = [
    ("rising", Array(stride(from: 0.0, through: 800, by: 20)), Array(stride(from: 0.0, through: 800, by: 20)).map { $0 / 40 }),
    ("sine", Array(stride(from: 0.0, through: 800, by: 10)),
     Array(stride(from: 0.0, through: 800, by: 10)).map { 10 + 8 * sin($0 / 800 * 2 * .pi) }),
]

@Suite(.tags(.fast))
struct LinePlotTests {
    @Test func pngHasRequestedSizeAndDrawsEachSeriesInItsColour() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("plot.png").path
        try writeLinePlotPNG(series: twoSeries, xLabel: "time (ms)", yLabel: "strain (%)", title: "two curves",
                             path: path, markers: [(x: 350, label: "end-systole"), (x: 380, label: "AVC")],
                             width: 640, height: 400)
        let png = try PNGPixels(path: path)
        #expect(png.width == 640 && png.height == 400)
        let drawn = png.count { $0.r < backgroundMinimum || $0.g < backgroundMinimum || $0.b < backgroundMinimum }
        #expect(drawn > 1000, "axes, text and curves leave non-background pixels")
        // Each curve spans most of a plot area about 500 px wide with a 2 px line: hundreds of exact-colour pixels.
        let minimumCurvePixels = 300
        for (index, colour) in RGBA.seriesCycle.prefix(2).enumerated() {
            let (r, g, b) = (Int(colour.red * 255), Int(colour.green * 255), Int(colour.blue * 255))
            let n = png.count {
                abs($0.r - r) <= colourTolerance && abs($0.g - g) <= colourTolerance && abs($0.b - b) <= colourTolerance
            }
            #expect(n >= minimumCurvePixels, "series \(index) drawn in its colour (\(n) pixels)")
        }
    }

    @Test func svgIsWrittenAtRequestedSize() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("plot.svg").path
        try writeLinePlotSVG(series: twoSeries, xLabel: "time (ms)", yLabel: "strain (%)", title: "two curves",
                             path: path, width: 640, height: 400)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("<svg"))
        #expect(text.contains("width=\"640pt\"") && text.contains("height=\"400pt\""))
    }

    @Test func mismatchedSeriesLengthsAreRejected() throws {
        #expect(throws: FigureError.invalidInput("series \"bad\" has 3 x values and 2 y values")) {
            try writeLinePlotPNG(series: [("bad", [0, 1, 2], [0, 1])], xLabel: "x", yLabel: "y", title: "t",
                                 path: "/tmp/never-written.png")
        }
    }

    @Test func niceTicksEncloseDataWithOneTwoFiveSteps() {
        let a = AxisTicks(dataMin: 0, dataMax: 9.3, targetCount: 5)
        #expect(a.values == [0, 2, 4, 6, 8, 10] && a.step == 2)
        let b = AxisTicks(dataMin: -0.37, dataMax: 0.81, targetCount: 5)
        #expect(b.step == 0.5 && b.lower == -0.5 && b.upper == 1)
        #expect(b.values.map(b.label) == ["-0.5", "0.0", "0.5", "1.0"])
        let c = AxisTicks(dataMin: 5, dataMax: 5)
        #expect(c.lower < 5 && c.upper > 5)
    }
}
