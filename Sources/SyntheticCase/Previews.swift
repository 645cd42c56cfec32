import CMRSimulation
import CRTCore
import Figures
import Foundation
import HeartPhantom

/// PNG mosaics of cine (end-diastole and end-systole) and LGE for a quick look.
enum Previews {
    static func write(images: CMRImages, truth: GroundTruth, pathFor: (String) throws -> String) throws {
        let esPhase = truth.volumeCurveMl.enumerated().min { $0.element < $1.element }?.offset ?? 0
        let window = try Mosaic.defaultWindow(of: images.cine, frame: 0)
        let n = images.cine.grid.size[2]
        let labels = (0..<n).map { "slice \($0 + 1)" }
        try Figures.writeMosaicPNG(volume: images.cine, frame: 0, path: pathFor("preview/cine-ed.png"),
                                   title: "Cine bSSFP, end-diastole (phase 1, \(Int(images.phaseTimesMs[0])) ms)",
                                   window: window, labels: labels)
        try Figures.writeMosaicPNG(volume: images.cine, frame: esPhase, path: pathFor("preview/cine-es.png"),
                                   title: "Cine bSSFP, end-systole (phase \(esPhase + 1), \(Int(images.phaseTimesMs[esPhase])) ms)",
                                   window: window, labels: labels)
        try Figures.writeMosaicPNG(volume: images.lge, frame: 0, path: pathFor("preview/lge.png"),
                                   title: "LGE inversion recovery (TI \(Int(images.inversionTimeMs)) ms)",
                                   labels: (0..<images.lge.grid.size[2]).map { "slice \($0 + 1)" })
        let palette: [UInt8: RGBA] = [1: RGBA(red: 1, green: 0.8, blue: 0, alpha: 1), 2: RGBA(red: 1, green: 0.1, blue: 0.1, alpha: 1)]
        try Figures.writeMosaicPNG(volume: images.lge, overlay: LabelOverlay(labels: images.lgeScar, palette: palette, outlineWidthPx: 1.5),
                                   frame: 0, path: pathFor("preview/lge-truth-scar.png"),
                                   title: "LGE with true scar (red core, yellow border zone)",
                                   labels: (0..<images.lge.grid.size[2]).map { "slice \($0 + 1)" })
        try writeLongAxis(images: images, esPhase: esPhase, pathFor: pathFor)
    }

    /// `preview/cine-long-axis.png`: the 2-, 3- and 4-chamber views at end-diastole (top row) and end-systole, so the
    /// base's descent, the tilted annulus and the outflow tract can be seen.
    static func writeLongAxis(images: CMRImages, esPhase: Int, pathFor: (String) throws -> String) throws {
        guard let first = images.longAxis.first else { return }
        let (m0, m1) = (first.cine.grid.size[0], first.cine.grid.size[1])
        guard images.longAxis.allSatisfy({ $0.cine.grid.size[0] == m0 && $0.cine.grid.size[1] == m1 }) else { return }
        var data: [Float] = [], labels: [String] = []
        for (phase, name) in [(0, "ED"), (esPhase, "ES")] {
            for v in images.longAxis {
                data += Array(v.cine.slice(0, frame: min(phase, v.cine.frames - 1)))
                labels.append("\(v.view.rawValue) \(name)")
            }
        }
        let grid = ImageGrid(size: [m0, m1, labels.count], patientFromVoxel: first.cine.grid.patientFromVoxel)
        let tiles = ImageVolume(grid: grid, data: data)
        try Figures.writeMosaicPNG(volume: tiles, frame: 0, path: pathFor("preview/cine-long-axis.png"),
                                   title: "Long-axis cine: end-diastole (phase 1) and end-systole (phase \(esPhase + 1))",
                                   window: try Mosaic.defaultWindow(of: tiles, frame: 0), columns: images.longAxis.count, labels: labels)
    }
}
