import Figures
import Foundation
import Testing

private func samplePage(title: String = "4D-MAP sample <LBBB>") -> FourDMapPage {
    let mesh = SampleHeart.mesh(around: 72, along: 36)
    let targets = SampleHeart.lmaTargets
    return FourDMapPage(title: title, frameTimesMs: SampleHeart.frameTimesMs, radialStrain: SampleHeart.radialStrain,
                        vertices: mesh.vertices, triangles: mesh.triangles, vertexSegments: mesh.segments,
                        lmaTargets: targets, primaryTarget: targets.first, scarred: SampleHeart.scarred)
}

/// The JSON object the page embeds, parsed back.
private func embeddedData(_ html: String) throws -> [String: Any] {
    let open = "<script id=\"crtsim-4dmap-data\" type=\"application/json\">"
    let start = try #require(html.range(of: open))
    let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
    let json = Data(html[start.upperBound..<end.lowerBound].utf8)
    return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
}

@Suite(.tags(.fast))
struct FourDMapPageTests {
    @Test func pageCarriesEveryFrameAndIsSelfContained() throws {
        let html = try samplePage().html()
        let frames = SampleHeart.frameCount
        #expect(html.contains("<meta name=\"crtsim-frame-count\" content=\"\(frames)\">"))
        #expect(html.contains("max=\"\(frames - 1)\""), "slider spans every frame")
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains(" src="),
                "no network resources")
        #expect(html.contains("4D-MAP sample &lt;LBBB&gt;"), "title escaped")

        let data = try embeddedData(html)
        #expect(data["frameCount"] as? Int == frames)
        let strain = try #require(data["strain"] as? [[Any]])
        #expect(strain.count == frames && strain.allSatisfy { $0.count == 36 })
        // Strain is written in percent to 2 decimals: the round trip is within half a unit of the last decimal.
        let percentTolerance = 0.005 + 1e-9
        let truth = SampleHeart.radialStrain
        for f in [0, 10, 20] {
            for id in [1, 10, 24] {
                let written = try #require(strain[f][id - 1] as? Double)
                #expect(abs(written - truth[f][id - 1]! * 100) <= percentTolerance, "frame \(f) segment \(id)")
            }
            #expect(strain[f][35] is NSNull, "segment 36 (not measured) is null")
        }
        let mesh = SampleHeart.mesh(around: 72, along: 36)
        #expect((data["vertices"] as? [Double])?.count == 3 * mesh.vertices.count)
        #expect((data["triangleSegments"] as? [Int])?.count == mesh.triangles.count)
        #expect(data["lma"] as? [Int] == SampleHeart.lmaTargets)
    }

    @Test func writingTwiceGivesIdenticalBytes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a.html"), b = folder.appendingPathComponent("b.html")
        try samplePage().write(path: a.path)
        try samplePage().write(path: b.path)
        let bytesA = try Data(contentsOf: a), bytesB = try Data(contentsOf: b)
        #expect(!bytesA.isEmpty && bytesA == bytesB)
        try keepSample(a.path, as: "4dmap.html")
    }

    @Test func badInputIsRejected() {
        let mesh = SampleHeart.mesh()
        #expect(throws: FigureError.invalidInput("4D-MAP strain frame 0 has 35 values, not 36")) {
            try FourDMapPage(title: "t", frameTimesMs: [0], radialStrain: [Array(repeating: 0.1, count: 35)],
                             vertices: mesh.vertices, triangles: mesh.triangles, vertexSegments: mesh.segments).html()
        }
        #expect(throws: FigureError.invalidInput("4D-MAP triangles must be 3 indices into the 3 vertices")) {
            try FourDMapPage(title: "t", frameTimesMs: [0], radialStrain: [Array(repeating: 0.1, count: 36)],
                             vertices: [[0, 0, 0], [1, 0, 0], [0, 1, 0]], triangles: [[0, 1, 3]],
                             vertexSegments: [1, 1, 1]).html()
        }
    }
}
