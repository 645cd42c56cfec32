import CRTCore
import Figures
import Foundation
import Testing

/// A 40 x 30 x 3 volume (1 mm voxels), background 0, with a bright (100) rectangle in slice 1 only, at columns
/// i in 5..<15 and rows j in 20..<26: off-centre and not square, so a transposed or flipped tile would show it
/// elsewhere.
private enum Phantom {
    static let size = (nx: 40, ny: 30, nz: 3)
    static let columns = 5..<15, rows = 20..<26
    static let brightSlice = 1
    static let bright: Float = 100

    static var grid: ImageGrid { ImageGrid(size: [size.nx, size.ny, size.nz], patientFromVoxel: .identity) }

    static func volume() -> ImageVolume<Float> {
        var v = ImageVolume<Float>(grid: grid, repeating: 0)
        for j in rows { for i in columns { v[i, j, brightSlice, 0] = bright } }
        return v
    }

    static func labels() -> ImageVolume<UInt8> {
        var v = ImageVolume<UInt8>(grid: grid, repeating: 0)
        for j in rows { for i in columns { v[i, j, brightSlice, 0] = 1 } }
        return v
    }
}

/// Expected geometry for `scale` 2 and 3 columns, from MosaicStyle's documented sizes (not from Mosaic's code).
private struct ExpectedGeometry {
    let scale = 2, columns = 3
    let style = MosaicStyle()
    var tileWidth: Int { Phantom.size.nx * scale }            // 80
    var tileHeight: Int { Phantom.size.ny * scale }           // 60
    var gridWidth: Int { columns * tileWidth + (columns - 1) * style.gapPx }
    var width: Int { max(gridWidth + 2 * style.marginPx, style.minimumCanvasWidthPx) }
    var height: Int { style.titleBarHeightPx + style.labelStripHeightPx + tileHeight + style.marginPx }
    /// Canvas pixel at the centre of voxel (i, j) of slice k (one row of tiles).
    func pixel(i: Int, j: Int, slice k: Int) -> (x: Int, y: Int) {
        let left = (width - gridWidth) / 2 + k * (tileWidth + style.gapPx)
        let top = style.titleBarHeightPx + style.labelStripHeightPx
        return (left + i * scale + scale / 2, top + j * scale + scale / 2)
    }
}

/// Grey of a voxel at the window's top (100 with the default window of this phantom) is at least this.
private let brightMinimum = 250
/// Grey of a voxel at the window's bottom (0) is at most this.
private let darkMaximum = 5
/// Channel tolerance for blended colours (8-bit rounding in cairo's compositing).
private let blendTolerance = 3

@Suite(.tags(.fast))
struct MosaicTests {
    @Test func brightSquareAppearsAtItsVoxelsInItsSliceOnly() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("mosaic.png").path
        try writeMosaicPNG(volume: Phantom.volume(), frame: 0, path: path, title: "synthetic 3-slice volume",
                           columns: 3, scale: 2)

        let png = try PNGPixels(path: path)
        let g = ExpectedGeometry()
        #expect(png.width == g.width && png.height == g.height)

        let centre = g.pixel(i: 10, j: 23, slice: Phantom.brightSlice)
        let inSquare = png.pixel(centre.x, centre.y)
        #expect(inSquare.r >= brightMinimum && inSquare.g >= brightMinimum && inSquare.b >= brightMinimum)
        // Corners of the rectangle are bright; just outside them dark (the tile is neither shifted nor scaled).
        for (i, j) in [(5, 20), (14, 25)] {
            let p = g.pixel(i: i, j: j, slice: 1)
            #expect(png.pixel(p.x, p.y).r >= brightMinimum, "voxel (\(i), \(j)) should be bright")
        }
        for (i, j) in [(4, 20), (15, 25), (5, 19), (14, 26), (23, 10)] {  // (23, 10): the transposed centre
            let p = g.pixel(i: i, j: j, slice: 1)
            #expect(png.pixel(p.x, p.y).r <= darkMaximum, "voxel (\(i), \(j)) should be dark")
        }
        for k in [0, 2] {
            let p = g.pixel(i: 10, j: 23, slice: k)
            #expect(png.pixel(p.x, p.y).r <= darkMaximum, "slice \(k) has no square")
        }
    }

    @Test func layoutMatchesDocumentedGeometry() throws {
        let layout = try Mosaic(title: "t", columns: 3, scale: 2).layout(for: Phantom.grid)
        let g = ExpectedGeometry()
        #expect(layout.canvasWidth == g.width && layout.canvasHeight == g.height)
        let origin = layout.tileOrigin(slice: 2)
        let centre = g.pixel(i: 0, j: 0, slice: 2)
        #expect(origin.x + g.scale / 2 == centre.x && origin.y + g.scale / 2 == centre.y)
    }

    @Test func defaultWindowIsFirstAndNinetyNinePointFifthPercentile() throws {
        // Values 0, 1, ..., 999: percentile p (linear between order statistics) is 999 p / 100.
        let grid = ImageGrid(size: [10, 10, 10], patientFromVoxel: .identity)
        var values = (0..<1000).map(Float.init)
        values.reverse()   // order must not matter
        let volume = ImageVolume(grid: grid, data: values)
        let window = try Mosaic.defaultWindow(of: volume, frame: 0)
        let tolerance: Float = 1e-3
        #expect(abs(window.low - 9.99) <= tolerance)
        #expect(abs(window.high - 994.005) <= tolerance)
    }

    @Test func translucentFillBlendsPaletteColourOverLabelOnly() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("fill.png").path
        let red = RGBA(red: 1, green: 0, blue: 0)
        let overlay = LabelOverlay(labels: Phantom.labels(), palette: [1: red], outlineWidthPx: 0, fillOpacity: 0.5)
        try writeMosaicPNG(volume: Phantom.volume(), overlay: overlay, frame: 0, path: path, title: "fill",
                           columns: 3, scale: 2)
        let png = try PNGPixels(path: path)
        let g = ExpectedGeometry()
        // White (255) under 50 % red: (255, 128, 128).
        let c = g.pixel(i: 10, j: 23, slice: 1)
        let p = png.pixel(c.x, c.y)
        #expect(p.r >= 255 - blendTolerance && abs(p.g - 128) <= blendTolerance && abs(p.b - 128) <= blendTolerance)
        // Outside the label the grey is untouched.
        let o = g.pixel(i: 30, j: 5, slice: 1)
        let q = png.pixel(o.x, o.y)
        #expect(q.r <= darkMaximum && q.g <= darkMaximum && q.b <= darkMaximum)
    }

    @Test func outlineFollowsLabelEdgesAndLeavesInteriorGrey() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("outline.png").path
        let overlay = LabelOverlay(labels: Phantom.labels(), palette: [1: RGBA(red: 1, green: 0, blue: 0)],
                                   outlineWidthPx: 2)
        try writeMosaicPNG(volume: Phantom.volume(), overlay: overlay, frame: 0, path: path, title: "outline",
                           columns: 3, scale: 2)
        let png = try PNGPixels(path: path)
        let g = ExpectedGeometry()
        // The 2 px line is centred on the left edge of voxel column 5: it covers the pixel just inside the edge.
        let c = g.pixel(i: 5, j: 23, slice: 1)
        let edge = png.pixel(c.x - g.scale / 2, c.y)
        #expect(edge.r >= brightMinimum && edge.g <= darkMaximum && edge.b <= darkMaximum)
        let inside = g.pixel(i: 10, j: 23, slice: 1)
        let p = png.pixel(inside.x, inside.y)
        #expect(p.r >= brightMinimum && p.g >= brightMinimum && p.b >= brightMinimum)
    }

    @Test func labelVolumeOnAnotherGridIsRejected() throws {
        let other = ImageVolume<UInt8>(grid: ImageGrid(size: [40, 30, 2], patientFromVoxel: .identity), repeating: 0)
        let error = #expect(throws: FigureError.self) {
            try writeMosaicPNG(volume: Phantom.volume(), overlay: LabelOverlay(labels: other), frame: 0,
                               path: "/tmp/never-written.png", title: "bad")
        }
        guard case .invalidInput = error else { Issue.record("expected invalidInput, got \(String(describing: error))"); return }
    }

    @Test func frameOutOfRangeIsRejected() throws {
        #expect(throws: FigureError.invalidInput("frame 1 is outside 0..<1")) {
            try writeMosaicPNG(volume: Phantom.volume(), frame: 1, path: "/tmp/never-written.png", title: "bad")
        }
    }

    @Test func unwritablePathThrowsCairoErrorNamingThePath() throws {
        let path = "/nonexistent-crtsim-folder/mosaic.png"
        let error = #expect(throws: FigureError.self) {
            try writeMosaicPNG(volume: Phantom.volume(), frame: 0, path: path, title: "nowhere")
        }
        guard case .cairo(let operation, _) = error else {
            Issue.record("expected a cairo error, got \(String(describing: error))"); return
        }
        #expect(operation.contains(path))
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
