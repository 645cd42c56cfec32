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
    }
}
