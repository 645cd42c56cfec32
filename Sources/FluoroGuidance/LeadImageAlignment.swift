import CRTCore
import Foundation

/// Where the heart lies in a lead image against the registered venogram: the lead image is taken later, at another
/// point of the breathing cycle and after the patient has moved, so the registered model no longer projects onto
/// it. The in-plane part of that displacement is found as the 2D shift of the model's LV outline that best fits
/// the heart's border in the lead image (`HeartBorder`: the outward fall of -ln(I/I0) across the outline), the
/// outline taken at the lead image's cardiac phase when the ECG record gives it. The lead image's projection is then
/// that shift after the view's projection, and the electrodes are triangulated through it.
///
/// The search: every second pixel within `maxShiftMm` on the coarse edge map, then quarter pixels within two pixels
/// on the fine one. The shift is kept only when it raises the border score by at least `minimumGain`; otherwise the
/// lead image is taken at the venogram's place.
public enum LeadImageAlignment {
    public struct Settings: Codable, Sendable, Equatable {
        /// Off by default: on patients who did not move (`smoke`, ideal patients) the search finds shifts of 2-5 mm
        /// that are not there and misplaces the lead (lead category agreement 1.0 -> 0), although on moving patients
        /// it helped (`lead-placement`, 100 cases: electrode localisation median 7.65 -> 6.88 mm, lead kappa
        /// 0.22 -> 0.29, not significant). A test of the shift against the score's noise is needed first.
        public var enabled = false
        /// Largest shift searched (mm at the isocentre): breathing moves the heart up to about 8 mm caudally
        /// (Shechter et al., IEEE TMI 2004;23:1046) and the patient a few millimetres more.
        public var maxShiftMm = 12.0
        /// Smallest rise of the border score (0-1) for a shift to be kept.
        public var minimumGain = 0.05
        /// Prior on the shift: SD per axis (mm at the isocentre) and weight of its cost (half the squared shift in
        /// SDs) against the border score: breathing moves the heart a few millimetres on average (cos^4 dwell near
        /// end-expiration) and the patient about 2 mm (assumption), so far shifts need much more border evidence.
        public var priorSDMm = 4.0
        public var priorWeight = 0.01
        public init() {}
    }

    /// `projection` followed by a shift of (dx, dy) pixels.
    public static func shifted(_ projection: ProjectionMatrix, columnPx dx: Double, rowPx dy: Double) -> ProjectionMatrix {
        var m = projection.m
        for k in 0..<4 { m[0][k] += dx * m[2][k]; m[1][k] += dy * m[2][k] }
        return ProjectionMatrix(m)
    }

    /// The shift (pixels, column and row) that moves the model's outline onto the heart's border in `image`, and the
    /// border score's rise; (0, 0, gain 0) when no shift raises it by `minimumGain`.
    /// - Parameters:
    ///   - pointsMm: the model's epicardial surface (world mm, as the view's `projection` takes them), `apical` as in
    ///     `ImageRefinement.Border`.
    ///   - mmPerPixel: the view's pixel size at the isocentre.
    ///   - vesselness: the image's vesselness (`Vesselness.frangi`): the lead and other devices, masked out of the
    ///     border's edge maps as in the venogram refinement.
    public static func shift(image: DetectorImage, vesselness mask: DetectorImage, projection: ProjectionMatrix, pointsMm: [Vec3],
                             apical: [Bool], mmPerPixel: Double, border: HeartBorder.Settings,
                             settings: Settings) -> (columnPx: Double, rowPx: Double, gain: Double) {
        let maps = [border.coarseSigmaPx, border.fineSigmaPx].map {
            HeartBorder.edgeMap(venogram: image, vesselness: mask, sigmaPx: $0, mmPerPixel: mmPerPixel, settings: border)
        }
        let sdPx = settings.priorSDMm / max(mmPerPixel, 1e-6)
        func score(_ map: HeartBorder.EdgeMap, _ dx: Double, _ dy: Double) -> Double {
            HeartBorder.score(points: pointsMm, apicalOf: apical, pose: Affine3D.identity,
                              projections: [shifted(projection, columnPx: dx, rowPx: dy)], maps: [map],
                              sampleSpacingPx: border.sampleSpacingPx)
                - settings.priorWeight * 0.5 * (dx * dx + dy * dy) / (sdPx * sdPx)
        }
        let reach = Int((settings.maxShiftMm / max(mmPerPixel, 1e-6)).rounded(.down))
        var best = (dx: 0.0, dy: 0.0, s: score(maps[0], 0, 0))
        for j in stride(from: -reach, through: reach, by: 2) {
            for i in stride(from: -reach, through: reach, by: 2) where i * i + j * j <= reach * reach {
                let s = score(maps[0], Double(i), Double(j))
                if s > best.s { best = (Double(i), Double(j), s) }
            }
        }
        let start = score(maps[1], 0, 0)
        var fine = (dx: best.dx, dy: best.dy, s: score(maps[1], best.dx, best.dy))
        // The fine pass: half pixels within the coarse map's smoothing of the coarse optimum.
        let span = Int((2 * border.coarseSigmaPx).rounded(.up))
        for j in -span...span {
            for i in -span...span {
                let dx = best.dx + Double(i) * 0.5, dy = best.dy + Double(j) * 0.5
                let s = score(maps[1], dx, dy)
                if s > fine.s { fine = (dx, dy, s) }
            }
        }
        let gain = fine.s - start
        return gain >= settings.minimumGain ? (fine.dx, fine.dy, gain) : (0, 0, 0)
    }
}
