import Figures
import Foundation
import Testing

@Suite(.tags(.fast))
struct StrainCurvesTests {
    @Test func pngHasRequestedSizeAndDrawsCurvesAndActivationDots() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let figure = StrainCurvesFigure(frameTimesMs: SampleHeart.frameTimesMs, radialStrain: SampleHeart.radialStrain,
                                        activationTimesMs: SampleHeart.activationTimesMs,
                                        title: "Radial strain per segment", markers: [PlotMarker(x: 420, label: "ES")])
        let path = folder.appendingPathComponent("strain.png").path
        try figure.writePNG(path: path, width: 1100, height: 420)
        try keepSample(path, as: "strain-curves.png")
        let png = try PNGPixels(path: path)
        #expect(png.width == 1100 && png.height == 420)
        // Every sector colour is drawn: 12 curves per panel, each hundreds of pixels long; the dot rim is dark.
        let colourTolerance = 4, minimumCurvePixels = 100
        for (k, colour) in StrainCurvesStyle.sectorColors.enumerated() {
            let (r, g, b) = (Int(colour.red * 255), Int(colour.green * 255), Int(colour.blue * 255))
            let n = png.count {
                abs($0.r - r) <= colourTolerance && abs($0.g - g) <= colourTolerance && abs($0.b - b) <= colourTolerance
            }
            #expect(n >= minimumCurvePixels, "sector colour \(k) drawn (\(n) pixels)")
        }
        let svgPath = folder.appendingPathComponent("strain.svg").path
        try figure.writeSVG(path: svgPath)
        try keepSample(svgPath, as: "strain-curves.svg")
        let text = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(text.contains("<svg") && text.contains("width=\"1260pt\""))
    }

    @Test func mismatchedFramesAreRejected() {
        #expect(throws: FigureError.invalidInput("strain curves need one strain frame per frame time: 2 vs 3")) {
            try StrainCurvesFigure(frameTimesMs: [0, 30, 60], radialStrain: Array(repeating: Array(repeating: 0.1,
                                   count: 36), count: 2), activationTimesMs: Array(repeating: nil, count: 36),
                                   title: "t").writePNG(path: "/tmp/never-written.png")
        }
    }
}
