import CRTCore
import Foundation
import Statistics

/// Basal, mid and apical LGE slices prepared for the page's threshold slider: the LGE pixels (the pipeline's
/// input, `cmr/lge.nii.gz`) cropped around the LV, the myocardium and the final scar as the pipeline found them
/// on the LGE grid, and each myocardial pixel's signal as a fraction of the FWHM reference (the brightest
/// myocardial signal), in per mille so that the page and this type count the same pixels.
public struct LGETeachingSlices: Sendable, Equatable {
    /// One LGE slice, cropped. Pixel index p = row * `width` + column of the crop.
    public struct Level: Sendable, Equatable {
        /// "basal", "mid" or "apical".
        public var name: String
        /// Slice index in the LGE volume (0-based).
        public var slice: Int
        /// Display grey values 0-255 (linear window from 0 to `windowUpper`), width * height.
        public var grey: [UInt8]
        /// Crop pixel indices inside the pipeline's myocardium.
        public var myocardium: [Int]
        /// Signal / FWHM reference of each `myocardium` pixel, per mille (rounded down).
        public var relativePerMille: [Int]
        /// Crop pixel indices the pipeline labelled scar (after its presence gate).
        public var pipelineScar: [Int]
    }

    /// Crop size (pixels) and LGE pixel spacing (mm; column, row).
    public var width: Int
    public var height: Int
    public var pixelSpacingMm: [Double]
    /// Upper end of the grey window (LGE signal units): the 99.5th percentile of the cropped pixels.
    public var windowUpper: Double
    public var levels: [Level]
    /// Over every myocardial voxel of the LGE volume: fraction at or above k / 100 of the reference, k = 0...100
    /// (the FWHM scar burden before the presence gate, as a fraction).
    public var volumeFractionAbove: [Double]

    /// Margin around the LV's bounding box in the crop, as a fraction of the box size.
    public static let cropMargin = 0.45
    /// Grey window upper percentile of the cropped pixels, in percent (the pixel value at or below the position,
    /// Statistics `.lower`).
    public static let windowPercentile = 99.5
    static let ringNames = ["basal", "mid", "apical"]

    /// - Parameters:
    ///   - lge: the LGE volume as the pipeline read it (signal units).
    ///   - segmentMap: the pipeline's myocardium on the LGE grid (36-segment id per voxel, 0 outside).
    ///   - scarMask: the pipeline's scar on the LGE grid (non-zero = scar).
    ///   - reference: the FWHM reference signal (the brightest myocardial signal; > 0).
    /// - Returns: nil when the myocardium is empty.
    public init?(lge: ImageVolume<Float>, segmentMap: ImageVolume<UInt8>, scarMask: ImageVolume<UInt8>, reference: Double) {
        let (w, h, ns) = (lge.grid.size[0], lge.grid.size[1], lge.grid.size[2])
        guard segmentMap.grid.size == lge.grid.size, scarMask.grid.size == lge.grid.size, reference > 0 else { return nil }
        var bbox = (i0: w, i1: -1, j0: h, j1: -1)
        var ringCount = [[Int]](repeating: [Int](repeating: 0, count: ns), count: 3)
        var perMille: [Int] = []
        for k in 0..<ns { for j in 0..<h { for i in 0..<w {
            let idx = (k * h + j) * w + i
            let id = Int(segmentMap.data[idx])
            guard id > 0 else { continue }
            bbox = (min(bbox.i0, i), max(bbox.i1, i), min(bbox.j0, j), max(bbox.j1, j))
            ringCount[(id - 1) / 12][k] += 1
            perMille.append(Self.perMille(lge.data[idx], reference))
        } } }
        guard bbox.i1 >= 0 else { return nil }
        // Square crop around the LV with a margin, clamped to the image.
        let side = min(max(w, h), Int((Double(max(bbox.i1 - bbox.i0, bbox.j1 - bbox.j0) + 1) * (1 + 2 * Self.cropMargin)).rounded()))
        let ci = (bbox.i0 + bbox.i1 + 1) / 2, cj = (bbox.j0 + bbox.j1 + 1) / 2
        let i0 = max(0, min(w - min(side, w), ci - side / 2)), j0 = max(0, min(h - min(side, h), cj - side / 2))
        let cw = min(side, w), chh = min(side, h)
        width = cw; height = chh
        pixelSpacingMm = Array(lge.grid.spacingMm.prefix(2))
        let slices = (0..<3).compactMap { r -> (String, Int)? in
            let counts = ringCount[r]
            guard let best = counts.indices.max(by: { (counts[$0], -$0) < (counts[$1], -$1) }), counts[best] > 0 else { return nil }
            return (Self.ringNames[r], best)
        }
        var cropped: [Float] = []
        for (_, k) in slices { for j in 0..<chh { for i in 0..<cw { cropped.append(lge.data[(k * h + j0 + j) * w + i0 + i]) } } }
        let sorted = cropped.sorted()
        let upper = max(Double(percentile(sorted: sorted, Self.windowPercentile, method: .lower)), 1e-12)
        windowUpper = upper
        levels = slices.map { name, k in
            var level = Level(name: name, slice: k, grey: [], myocardium: [], relativePerMille: [], pipelineScar: [])
            for j in 0..<chh { for i in 0..<cw {
                let idx = (k * h + j0 + j) * w + i0 + i, p = j * cw + i
                let v = Double(lge.data[idx])
                level.grey.append(UInt8(max(0, min(255, (v / upper * 255).rounded()))))
                if segmentMap.data[idx] > 0 {
                    level.myocardium.append(p)
                    level.relativePerMille.append(Self.perMille(lge.data[idx], reference))
                }
                if scarMask.data[idx] != 0 { level.pipelineScar.append(p) }
            } }
            return level
        }
        let total = Double(perMille.count)
        volumeFractionAbove = (0...100).map { k in Double(perMille.filter { $0 >= 10 * k }.count) / total }
    }

    /// Signal as a fraction of `reference`, per mille, rounded down (negative values count as 0).
    static func perMille(_ v: Float, _ reference: Double) -> Int { max(0, Int((Double(v) / reference * 1000).rounded(.down))) }
}
