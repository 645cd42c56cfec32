import CRTCore
import Figures
import Foundation
import Testing

@Test func zzPreview() throws {
    let out = "/tmp/crtsim-figures-preview"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let n = 96, nz = 10
    let grid = ImageGrid(size: [n, n, nz], patientFromVoxel: .identity)
    var v = ImageVolume<Float>(grid: grid, repeating: 0)
    var lab = ImageVolume<UInt8>(grid: grid, repeating: 0)
    for k in 0..<nz { for j in 0..<n { for i in 0..<n {
        let dx = Double(i) - 40, dy = Double(j) - 50
        let r = (dx*dx + dy*dy).squareRoot()
        let rin = 12.0 - Double(k) * 0.8, rout = 20.0 - Double(k) * 0.8
        var val = 300.0 + 50 * sin(Double(i) * 0.3) * cos(Double(j) * 0.2)
        if r < rin { val = 800 } else if r < rout { val = 150; lab[i, j, k, 0] = (dx > 5 && k > 3) ? 2 : 1 }
        v[i, j, k, 0] = Float(val)
    }}}
    try writeMosaicPNG(volume: v, frame: 0, path: out + "/mosaic.png", title: "cine bSSFP short axis, ED (synthetic)")
    try writeMosaicPNG(volume: v, overlay: LabelOverlay(labels: lab, palette: [1: RGBA(red: 0.2, green: 0.9, blue: 0.3), 2: RGBA(red: 1, green: 0.2, blue: 0.2)], fillOpacity: 0.3), frame: 0, path: out + "/overlay.png", title: "LGE with truth overlay", scale: 2, labels: (0..<nz).map { "z = \(Double($0) * 8) mm" })
    // tiny volume
    let g2 = ImageGrid(size: [8, 8, 3], patientFromVoxel: .identity)
    try writeMosaicPNG(volume: ImageVolume(grid: g2, data: (0..<192).map(Float.init)), frame: 0, path: out + "/tiny.png", title: "a rather long title for a tiny mosaic of three eight by eight slices", labels: ["base slice long label", "mid", "apex"])
    try Mosaic(title: "bilinear x3", columns: 5, scale: 3, interpolation: .bilinear).writePNG(volume: ImageVolume(grid: ImageGrid(size: [24, 24, 3], patientFromVoxel: .identity), data: v.data.enumerated().filter { ($0.offset % 96) < 24 && ($0.offset / 96 % 96) < 24 && $0.offset / 9216 < 3 }.map(\.element)), frame: 0, path: out + "/bilinear.png")
    let t = Array(stride(from: 0.0, through: 800, by: 10))
    try writeLinePlotPNG(series: [("septal", t, t.map { -18 * sin($0 / 800 * .pi) }), ("lateral (delayed)", t, t.map { -15 * sin(max(0, $0 - 120) / 680 * .pi) }), ("one point", [400], [2])],
        xLabel: "time after R wave (ms)", yLabel: "circumferential strain (%)", title: "Strain curves, mid ventricle",
        path: out + "/plot.png", markers: [(x: 350, label: "end-systole"), (x: 370, label: "AVC"), (x: 780, label: "end")])
    try writeLinePlotSVG(series: [("septal", t, t.map { -18 * sin($0 / 800 * .pi) })], xLabel: "time (ms)", yLabel: "strain (%)", title: "svg", path: out + "/plot.svg")
}
