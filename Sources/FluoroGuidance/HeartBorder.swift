import CRTCore
import Foundation

/// The LV contour on the venograms (DOMAIN.md section 1 item 6: the fusion uses the coronary sinus, the middle
/// cardiac vein and the LV contour; docs/fluoroscopy.md, "LV contour"): where the LV's epicardium forms the heart's
/// silhouette against the lung, the line integral -ln(I/I0) falls outwards across the model's projected outline.
///
/// Method: the model's epicardial surface (`ModelLandmarks.epicardialSurface`) is projected into a view and its
/// outline taken as the convex hull of the projected points (the LV is nearly convex). Only hull edges between
/// points apical of the basal part (`basalExclusionFraction` of the cavity length) count: at the base the atria,
/// the aorta and the AV-groove fat adjoin the LV, so no heart border is expected there; where the RV or the atria
/// overlap the LV's outline, myocardium and blood on both sides leave no step and the term is flat. Along the kept
/// edges the outward derivative of the venogram, smoothed with the contrast-filled veins, catheters and leads masked
/// out (normalised convolution with the vesselness below `vesselMaskLevel`), is sampled `outsideEpicardiumMm`
/// outside the outline; the score is the mean of tanh(-derivative / scale), scale a high quantile of the map's
/// gradient magnitude, so a strong border counts about 1, a flat stretch 0 and a reversed edge (bone, diaphragm)
/// negative.
public enum HeartBorder {
    public struct Settings: Codable, Sendable, Equatable {
        /// Use the LV contour in the vessel refinement (`ImageRefinement`).
        public var enabled = true
        /// Weight of the border score against the mean vesselness (both 0-1).
        public var weight = 1.0
        /// Gaussian scale of the smoothed venogram for the coarse and the fine pass (pixels).
        public var coarseSigmaPx = 6.0
        public var fineSigmaPx = 1.5
        /// The heart's border against the lung lies this far outside the LV epicardium (mm): the pericardium and its
        /// fluid, normally 1-2 mm together, and the thin epicardial fat over the LV free wall away from the grooves
        /// (prior; docs/fluoroscopy.md, "Pipeline priors").
        public var outsideEpicardiumMm = 1.5
        public var outsideEpicardiumSDMm = 1.0
        /// Fit the border's offset per case (at `offsetPriorWeight` times half its squared departure in SDs) rather
        /// than fix it at the prior mean.
        public var fitOffset = true
        public var offsetPriorWeight = 0.01
        /// Hull edges with an end in this basal fraction of the cavity length are left out (atria, aorta, AV groove).
        public var basalExclusionFraction = 0.3
        /// Sample spacing along the outline (pixels).
        public var sampleSpacingPx = 3.0
        /// Vesselness (0-1) from which a pixel is masked out of the smoothed venogram (veins, catheters, leads).
        public var vesselMaskLevel = 0.15
        /// Quantile of the gradient magnitude that scales the derivative.
        public var scaleQuantile = 0.95
        /// Segment-angle step of the epicardial surface points (degrees).
        public var angleStepDeg = 10.0
        public init() {}
    }

    /// One view's smoothed outward-derivative field.
    public struct EdgeMap: Sendable {
        public var gradientColumn: DetectorImage
        public var gradientRow: DetectorImage
        /// The derivative that counts as a full border (per pixel).
        public var scale: Double
        /// Where the derivative is sampled, outside the model's outline (pixels): the border's prior offset outside
        /// the epicardium.
        public var offsetPx: Double
        /// Pixels per mm at the isocentre.
        public var pixelsPerMm: Double
    }

    /// The edge map of a venogram: the image smoothed with SD `sigmaPx` by normalised convolution over the pixels
    /// whose vesselness is below `vesselMaskLevel`, then its Gaussian derivatives (SD 1 px).
    public static func edgeMap(venogram: DetectorImage, vesselness: DetectorImage, sigmaPx: Double, mmPerPixel: Double,
                               settings: Settings) -> EdgeMap {
        let n = venogram.pixels.count
        var weights = [Float](repeating: 0, count: n), masked = [Float](repeating: 0, count: n)
        for i in 0..<n where vesselness.pixels[i] < Float(settings.vesselMaskLevel) {
            weights[i] = 1; masked[i] = venogram.pixels[i]
        }
        let w = DetectorImage(columns: venogram.columns, rows: venogram.rows, pixels: weights)
        let m = DetectorImage(columns: venogram.columns, rows: venogram.rows, pixels: masked)
        let sw = Vesselness.smooth(w, sigma: sigmaPx).pixels, sm = Vesselness.smooth(m, sigma: sigmaPx).pixels
        var filled = [Float](repeating: 0, count: n)
        for i in 0..<n { filled[i] = sw[i] > 1e-3 ? sm[i] / sw[i] : venogram.pixels[i] }
        let smooth = DetectorImage(columns: venogram.columns, rows: venogram.rows, pixels: filled)
        let g0 = Vesselness.kernel(sigma: 1, order: 0), g1 = Vesselness.kernel(sigma: 1, order: 1)
        // kernel(order: 1) is the derivative of the Gaussian, so convolving gives the derivative of the image.
        let gx = Vesselness.separable(smooth, kx: g1, ky: g0), gy = Vesselness.separable(smooth, kx: g0, ky: g1)
        var magnitudes = [Float](repeating: 0, count: n)
        for i in 0..<n { magnitudes[i] = (gx.pixels[i] * gx.pixels[i] + gy.pixels[i] * gy.pixels[i]).squareRoot() }
        // The quantile's order statistic by selection (a full sort of the image's magnitudes is not needed).
        let rank = min(n - 1, Int(settings.scaleQuantile * Double(n - 1)))
        let q: Double
        if magnitudes.contains(where: \.isNaN) { magnitudes.sort(); q = Double(magnitudes[rank]) }
        else { q = Double(selectKthSmallest(&magnitudes, rank)) }
        return EdgeMap(gradientColumn: gx, gradientRow: gy, scale: max(q, 1e-9),
                       offsetPx: settings.outsideEpicardiumMm / max(mmPerPixel, 1e-6),
                       pixelsPerMm: 1 / max(mmPerPixel, 1e-6))
    }

    /// Mean border score over the views of the model surface `points` (CMR patient mm; `apicalOf[i]`: the point lies
    /// apical of the basal exclusion) under `pose`, the border `extraOffsetMm` farther out than the maps' offset.
    public static func score(points: [Vec3], apicalOf: [Bool], pose: Affine3D, projections: [ProjectionMatrix],
                             maps: [EdgeMap], sampleSpacingPx: Double, extraOffsetMm: Double = 0) -> Double {
        var total = 0.0, views = 0
        for (v, projection) in projections.enumerated() where v < maps.count {
            var projected: [(x: Double, y: Double, index: Int)] = []
            projected.reserveCapacity(points.count)
            for (i, p) in points.enumerated() {
                if let q = projection.project(pose.apply(p)) { projected.append((q.column, q.row, i)) }
            }
            let hull = convexHull(projected)
            guard hull.count >= 3 else { continue }
            let map = maps[v]
            let offset = map.offsetPx + extraOffsetMm * map.pixelsPerMm
            var sum = 0.0, count = 0
            for k in 0..<hull.count {
                let a = hull[k], b = hull[(k + 1) % hull.count]
                guard apicalOf[a.index] && apicalOf[b.index] else { continue }
                let dx = b.x - a.x, dy = b.y - a.y, length = (dx * dx + dy * dy).squareRoot()
                guard length > 1e-9 else { continue }
                // The hull has positive signed area in (column, row), so the outward normal is (dy, -dx) / length.
                let nx = dy / length, ny = -dx / length
                let steps = max(1, Int((length / sampleSpacingPx).rounded(.up)))
                for s in 0..<steps {
                    let t = (Double(s) + 0.5) / Double(steps)
                    let x = a.x + t * dx + nx * offset, y = a.y + t * dy + ny * offset
                    guard x >= 0, y >= 0, x <= Double(map.gradientColumn.columns - 1), y <= Double(map.gradientColumn.rows - 1) else { continue }
                    let derivative = Double(map.gradientColumn.sample(column: x, row: y)) * nx + Double(map.gradientRow.sample(column: x, row: y)) * ny
                    sum += tanh(-derivative / map.scale)
                    count += 1
                }
            }
            if count > 0 { total += sum / Double(count); views += 1 }
        }
        return views > 0 ? total / Double(views) : 0
    }

    /// The outline (convex hull, `convexHullIndices`) of projected points: each hull point with the index of the
    /// point it came from.
    static func convexHull(_ points: [(x: Double, y: Double, index: Int)]) -> [(x: Double, y: Double, index: Int)] {
        convexHullIndices(points.map { SIMD2($0.x, $0.y) }).map { points[$0] }
    }
}
