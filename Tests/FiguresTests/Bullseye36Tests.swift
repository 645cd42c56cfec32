import Figures
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Viridis at 0, 0.5 and 1 (matplotlib's published values, `viridis(11)` stops 0, 5 and 10), independent of
/// the code under test.
private let viridisLow = (r: 0x44, g: 0x01, b: 0x54)
private let viridisMiddle = (r: 0x21, g: 0x90, b: 0x8C)
private let viridisHigh = (r: 0xFD, g: 0xE7, b: 0x25)
/// Channel tolerance (8-bit levels) for a flat fill read back from the PNG.
private let fillTolerance = 3
/// Where a test samples a segment: at its centre angle, this fraction of the ring width out from the inner edge
/// (clear of the id number, which sits at the middle of the ring).
private let sampleRingFraction = 0.22

/// The activation-time scale of the tests: 0...100 ms on viridis, so 0, 50 and 100 ms hit exact stops.
private let testScale = ColorScale(map: .viridis, lower: 0, upper: 100, label: "activation time (ms)")

/// Canvas point of segment `id` computed from the convention alone (DOMAIN.md section 2), not from the figure
/// code: segment angle a = 300 + 30 (sector index) + 15 (centre) degrees from the anterior RV insertion,
/// increasing counter-clockwise on screen; anterior (a = 330) points up and the septum (a = 60) left, so the
/// screen angle is θ = 90 + (a - 330) degrees counter-clockwise from +x, y up. Id 1 (a = 315) is just right of
/// the top; id 5 (a = 75) left and a little below the centre; id 9 (a = 195) lower right.
private func samplePoint(id: Int, layout: Bullseye36Layout) -> (x: Int, y: Int) {
    let ring = (id - 1) / 12, sector = (id - 1) % 12
    let a = 300 + 30 * Double(sector) + 15
    let theta = (90 + (a - 330)) * .pi / 180
    let ringWidth = (layout.outerRadius - layout.capRadius) / 3
    let inner = layout.outerRadius - Double(ring + 1) * ringWidth
    let r = inner + sampleRingFraction * ringWidth
    return (Int((layout.centreX + r * cos(theta)).rounded()), Int((layout.centreY - r * sin(theta)).rounded()))
}

private func matches(_ p: (r: Int, g: Int, b: Int, a: Int), _ c: (r: Int, g: Int, b: Int), tolerance: Int) -> Bool {
    abs(p.r - c.r) <= tolerance && abs(p.g - c.g) <= tolerance && abs(p.b - c.b) <= tolerance
}

@Suite(.tags(.fast))
struct Bullseye36Tests {
    @Test func segmentsAppearAtTheirConventionAnglesInTheirValueColour() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Everything mid-scale except a few segments at the ends; their left-right or top-bottom mirror images
        // stay mid-scale, so a mirrored or rotated drawing fails.
        var values = [Double?](repeating: 50, count: 36)
        let low = [1, 9, 17, 28], high = [5, 14, 33]
        for id in low { values[id - 1] = 0 }
        for id in high { values[id - 1] = 100 }
        let figure = Bullseye36(values: values, scale: testScale, title: "orientation check")
        let path = folder.appendingPathComponent("bullseye.png").path
        try figure.writePNG(path: path, width: 760, height: 640)
        let layout = try figure.layout(width: 760, height: 640)
        let png = try PNGPixels(path: path)
        #expect(png.width == 760 && png.height == 640)
        for id in 1...36 {
            let expected = low.contains(id) ? viridisLow : high.contains(id) ? viridisHigh : viridisMiddle
            let p = samplePoint(id: id, layout: layout)
            let got = png.pixel(p.x, p.y)
            #expect(matches(got, expected, tolerance: fillTolerance), "segment \(id) at \(p): \(got)")
        }
        // Id 1 is right of the vertical through the centre and above it (anterior, top).
        let one = samplePoint(id: 1, layout: layout)
        #expect(Double(one.x) > layout.centreX && Double(one.y) < layout.centreY)
    }

    @Test func missingSegmentIsDrawnInTheMissingGreys() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var values = [Double?](repeating: 100, count: 36)
        let missing = [7, 22, 31]
        for id in missing { values[id - 1] = nil }
        let figure = Bullseye36(values: values, scale: testScale, title: "missing values")
        let path = folder.appendingPathComponent("bullseye.png").path
        try figure.writePNG(path: path)
        let layout = try figure.layout(width: 760, height: 640)
        let png = try PNGPixels(path: path)
        let style = Bullseye36Style()
        let lightest = Int((style.missingColor.red * 255).rounded()), darkest =
            Int((style.missingHatchColor.red * 255).rounded())
        for id in 1...36 {
            // A 5 x 5 block: every pixel a neutral grey between the hatch and the fill (antialiasing blends them).
            let c = samplePoint(id: id, layout: layout)
            var allGrey = true
            for dy in -2...2 { for dx in -2...2 {
                let p = png.pixel(c.x + dx, c.y + dy)
                let neutral = abs(p.r - p.g) <= fillTolerance && abs(p.g - p.b) <= fillTolerance
                if !(neutral && p.r >= darkest - fillTolerance && p.r <= lightest + fillTolerance) { allGrey = false }
            } }
            #expect(allGrey == missing.contains(id), "segment \(id) missing-grey block: \(allGrey)")
        }
    }

    /// The same figure gives the same SVG bytes whatever the process drew before (cairo numbers the groups after
    /// a process-wide surface count; the canvas renumbers them per file).
    @Test func svgBytesDoNotDependOnEarlierSurfaces() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let values: [Double?] = (0..<36).map { Double($0) }
        let figure = Bullseye36(values: values, scale: testScale, title: "SVG", scarred: [3],
                                lmaTargets: [14], primaryTarget: 14, leadSegment: 16)
        let first = folder.appendingPathComponent("first.svg").path
        try figure.writeSVG(path: first)
        // Other surfaces in between, as another figure of a parallel job would make.
        for k in 0..<3 { try figure.writeSVG(path: folder.appendingPathComponent("other\(k).svg").path) }
        let second = folder.appendingPathComponent("second.svg").path
        try figure.writeSVG(path: second)
        let a = try Data(contentsOf: URL(fileURLWithPath: first)), b = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(a == b, "SVG bytes differ between the first and the fifth drawing of the same figure")
        #expect(String(decoding: a, as: UTF8.self).contains("id=\"surface1\""))
    }

    @Test func svgParsesAndHasOnePathPerSegmentColour() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 36 distinct values: each segment's fill colour is unique, so each must fill exactly one path.
        let values: [Double?] = (0..<36).map { Double($0) * 100 / 35 }
        let figure = Bullseye36(values: values, scale: testScale, title: "SVG", scarred: [12],
                                lmaTargets: [14, 15, 26], primaryTarget: 14, leadSegment: 16)
        let path = folder.appendingPathComponent("bullseye.svg").path
        try figure.writeSVG(path: path)
        let collector = SVGFillCollector()
        let parser = XMLParser(contentsOf: URL(fileURLWithPath: path))!
        parser.delegate = collector
        #expect(parser.parse(), "SVG is well-formed XML: \(String(describing: parser.parserError))")
        #expect(collector.sawSVGRoot)
        // cairo writes fills as rgb(r%, g%, b%) with 6 decimals.
        let colourTolerance = 1e-3
        for id in 1...36 {
            let c = testScale.color(for: values[id - 1]!)
            let n = collector.pathFills.filter {
                abs($0.0 - c.red) < colourTolerance && abs($0.1 - c.green) < colourTolerance
                    && abs($0.2 - c.blue) < colourTolerance
            }.count
            #expect(n == 1, "segment \(id): \(n) paths in its colour")
        }
    }

    @Test func badInputIsRejected() {
        #expect(throws: FigureError.invalidInput("bullseye needs 36 values (index id - 1), got 18")) {
            try Bullseye36(values: Array(repeating: 1, count: 18), scale: testScale, title: "t")
                .writePNG(path: "/tmp/never-written.png")
        }
        #expect(throws: FigureError.invalidInput("segment id 37 is not in 1...36")) {
            try Bullseye36(values: Array(repeating: 1, count: 36), scale: testScale, title: "t", lmaTargets: [37])
                .writePNG(path: "/tmp/never-written.png")
        }
    }

    @Test func colourMapsHitTheirPublishedStops() {
        let tolerance = 0.5 / 255
        let checks: [(ColorMap, Double, (r: Int, g: Int, b: Int))] = [
            (.viridis, 0, viridisLow), (.viridis, 0.5, viridisMiddle), (.viridis, 1, viridisHigh),
            (.viridis, -3, viridisLow), (.viridis, 7, viridisHigh),
        ]
        for (map, t, c) in checks {
            let got = map.color(at: t)
            #expect(abs(got.red - Double(c.r) / 255) < tolerance && abs(got.green - Double(c.g) / 255) < tolerance
                && abs(got.blue - Double(c.b) / 255) < tolerance, "\(map.name) at \(t)")
        }
        // Half-way between two stops is the mean of the stops.
        let a = ColorMap.viridis.stops[2], b = ColorMap.viridis.stops[3], m = ColorMap.viridis.color(at: 0.25)
        #expect(abs(m.green - (a.green + b.green) / 2) < 1e-12)
    }
}

/// Collects the fill colour (0...1 channels) of every `<path>` whose fill (attribute or style) is an
/// `rgb(r%, g%, b%)` colour.
final class SVGFillCollector: NSObject, XMLParserDelegate {
    var pathFills: [(Double, Double, Double)] = []
    var sawSVGRoot = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "svg" { sawSVGRoot = true }
        guard name == "path" else { return }
        // cairo writes the fill either as an attribute or inside `style` ("...;fill:rgb(r%,g%,b%);...").
        let styleFill = attributes["style"]?.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("fill:") }.map { String($0.dropFirst(5)) }
        guard let fill = attributes["fill"] ?? styleFill, fill.hasPrefix("rgb("), fill.hasSuffix(")") else { return }
        let parts = fill.dropFirst(4).dropLast().split(separator: ",").map {
            Double($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: "")) ?? .nan
        }
        if parts.count == 3 { pathFills.append((parts[0] / 100, parts[1] / 100, parts[2] / 100)) }
    }
}

@Suite(.tags(.fast))
struct Bullseye36SampleTests {
    /// A clinical-looking activation map with every marker: the star, the LMA badges and the lead diamond are
    /// drawn in their style colours, and markers absent from the input are absent from the figure.
    @Test func activationMapWithAllMarkersDraws() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let act = SampleHeart.activationTimesMs
        let targets = SampleHeart.lmaTargets
        let scale = ColorScale.fitting(act, map: .viridis, label: "activation time (ms)")
        let figure = Bullseye36(values: act, scale: scale,
                                title: "Mechanical activation (36 segments)", scarred: SampleHeart.scarred,
                                lmaTargets: targets, primaryTarget: targets.first, leadSegment: 17)
        let png = folder.appendingPathComponent("bullseye-activation.png").path
        let svg = folder.appendingPathComponent("bullseye-activation.svg").path
        try figure.writePNG(path: png)
        try figure.writeSVG(path: svg)
        try keepSample(png, as: "bullseye-activation.png")
        try keepSample(svg, as: "bullseye-activation.svg")
        let pixels = try PNGPixels(path: png)
        #expect(pixels.width == 760 && pixels.height == 640)
        // Each marker is at least about 7 px across (star, badge ring, diamond, plus its legend swatch): dozens of
        // pixels in its exact colour.
        let minimumMarkerPixels = 30
        func count(_ c: RGBA, in p: PNGPixels) -> Int {
            let target = (r: Int((c.red * 255).rounded()), g: Int((c.green * 255).rounded()),
                          b: Int((c.blue * 255).rounded()))
            return p.count { matches($0, target, tolerance: fillTolerance) }
        }
        let style = Bullseye36Style()
        let markers = [("star", style.primaryStarColor), ("badge", style.lmaBadgeColor), ("lead", style.leadColor)]
        for (name, colour) in markers {
            #expect(count(colour, in: pixels) >= minimumMarkerPixels, "\(name) drawn")
        }
        let bare = folder.appendingPathComponent("bare.png").path
        try Bullseye36(values: act, scale: scale, title: "no markers").writePNG(path: bare)
        let barePixels = try PNGPixels(path: bare)
        for (name, colour) in markers {
            #expect(count(colour, in: barePixels) == 0, "no \(name) without input")
        }

        let frame = 13
        let strain = SampleHeart.radialStrain[frame].map { $0.map { $0 * 100 } }
        let strainFigure = Bullseye36(values: strain, scale: ColorScale(map: .yellowOrangeRed, lower: 0, upper: 50,
                                      label: "radial strain (%)"),
                                      title: "Radial strain at \(Int(SampleHeart.frameTimesMs[frame])) ms",
                                      scarred: SampleHeart.scarred, lmaTargets: targets, primaryTarget: targets.first)
        let strainPNG = folder.appendingPathComponent("bullseye-strain.png").path
        try strainFigure.writePNG(path: strainPNG, width: 600, height: 520)
        try keepSample(strainPNG, as: "bullseye-strain.png")
    }
}
