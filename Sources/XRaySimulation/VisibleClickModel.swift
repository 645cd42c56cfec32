import CRTCore
import Foundation
import HeartPhantom

/// What the operator clicks on a balloon-occluded venogram when they can click only what it shows
/// (`xray.visibleClicks: 1`; docs/fluoroscopy.md, "Click model"):
/// - `coronarySinusContrastStart`: where the contrast column starts, at the balloon's distal end in the coronary
///   sinus (the ostium as the venogram shows it; the ostium itself lies proximal to the balloon, unopacified);
/// - branch points `<vein>Origin`: where the anterior interventricular vein, the middle cardiac vein and each
///   lateral branch leave the sinus / great cardiac vein, when that tributary is opacified over at least
///   `minimumVisibleLengthPx` of the image (a branch seen end-on, or unfilled, shows no junction);
/// - vein ends `<vein>ContrastEnd`: the most distal point of the tributary whose own contrast is visible, i.e.
///   whose contrast line integral along the ray through it is at least `visibilityCNR` times the quantum noise SD
///   of the log image at that pixel (before detector blur). With the filling's fade this lies short of the
///   anatomical end, and it differs between views (other background, other path length through the vein).
/// Never the LV apex, nothing outside the detector (a point within `edgeMarginPx` of the edge counts as outside),
/// and no unfilled vein.
public struct VisibleClickModel: Sendable {
    /// Per-pixel contrast-to-noise ratio at which contrast counts as visible. Rose criterion: an object is seen at
    /// an SNR of about 5 integrated over its area (Rose, J Opt Soc Am 1948;38:196); a vessel stretch of about
    /// 5 x 5 pixels integrates 25 pixels, so a per-pixel CNR of 1.
    public static let visibilityCNR = 1.0
    /// Shortest projected length (pixels) of a tributary's visible part for its branch point and end to be clicked.
    public static let minimumVisibleLengthPx = 8.0
    /// A point closer than this to the detector edge (pixels) is not clicked.
    public static let edgeMarginPx = 3.0
    /// Sampling step along a vein when searching its visible end (mm).
    public static let stepMm = 0.5
    public static let contrastStartName = "coronarySinusContrastStart"

    public enum Kind: String, CaseIterable, Sendable {
        case contrastStart, branchPoint, contrastEnd
        /// Click noise SD as a multiple of `clickNoiseSDPx`: a junction of two opacified vessels is a sharp corner
        /// (1); the start of the contrast column at the balloon and a fading end are judged along the vessel (1.5,
        /// assumption).
        public var noiseFactor: Double {
            switch self {
            case .branchPoint: return 1
            case .contrastStart, .contrastEnd: return 1.5
            }
        }
    }

    public struct Landmark: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        /// The vein it lies on and its arc length from the vein's origin (mm).
        public var vein: String
        public var arcMm: Double
        public var pointMm: Vec3
        public var pixel: DetectorPixelPosition
    }
    public struct DetectorPixelPosition: Sendable, Equatable { public var column: Double, row: Double }

    let veins: [VeinCentreline]
    let scene: XRayScene
    let rays: ViewRays
    let lineIntegrals: [Float]
    let photonsPerPixel: Double
    /// Expected scattered photons per pixel (`ScatterModel`); nil: no scatter.
    let expectedScatter: [Float]?
    let filling: VenogramFilling?

    /// - Parameters:
    ///   - venogramLineIntegrals: the view's noise-free venogram line integrals (chest and tubes), column fastest.
    ///   - expectedScatter: the expected scattered photons per pixel of that image; nil: no scatter.
    public init(veins: [VeinCentreline], scene: XRayScene, rays: ViewRays, venogramLineIntegrals: [Float],
                photonsPerPixel: Double, filling: VenogramFilling?, expectedScatter: [Float]? = nil) {
        self.veins = veins; self.scene = scene; self.rays = rays; self.lineIntegrals = venogramLineIntegrals
        self.photonsPerPixel = photonsPerPixel; self.filling = filling; self.expectedScatter = expectedScatter
    }

    /// The landmark key of a vein ("anterior interventricular vein" -> "anteriorInterventricularVein",
    /// "lateral branch 2" -> "lateralBranch2"); nil for the trunk.
    public static func key(ofVein name: String) -> String? {
        switch name {
        case "anterior interventricular vein": return "anteriorInterventricularVein"
        case "middle cardiac vein": return "middleCardiacVein"
        case let n where n.hasPrefix("lateral branch "): return "lateralBranch\(n.dropFirst("lateral branch ".count))"
        default: return nil
        }
    }

    /// Pixel of a patient point when it lies on the detector, at least `edgeMarginPx` inside its edge.
    func pixel(_ p: Vec3) -> DetectorPixelPosition? {
        guard let q = rays.projectionFromPatient.project(p) else { return nil }
        let m = VisibleClickModel.edgeMarginPx - 0.5
        let v = rays.view
        guard q.column >= m, q.column <= Double(v.columns - 1) - m, q.row >= m, q.row <= Double(v.rows - 1) - m else { return nil }
        return DetectorPixelPosition(column: q.column, row: q.row)
    }

    /// Contrast line integral of one vein along the ray from the source through `p` (dimensionless).
    public func contrastIntegral(vein: String, through p: Vec3) -> Double {
        scene.contrastIntegral(vein: vein, sourceMm: rays.sourceMm, through: p)
    }

    /// Expected primary and scattered photons at a pixel.
    func expectedCounts(at q: DetectorPixelPosition) -> (primary: Double, scatter: Double) {
        let v = rays.view
        let c = min(max(Int(q.column.rounded()), 0), v.columns - 1), r = min(max(Int(q.row.rounded()), 0), v.rows - 1)
        let primary = photonsPerPixel * exp(-Double(lineIntegrals[r * v.columns + c]))
        return (primary, expectedScatter.map { Double($0[r * v.columns + c]) } ?? 0)
    }

    /// Quantum noise SD of the log image at a pixel (before blur): 1 / sqrt(expected counts, scatter included).
    public func noiseSD(at q: DetectorPixelPosition) -> Double {
        let (primary, scatter) = expectedCounts(at: q)
        return 1 / max(primary + scatter, 1e-12).squareRoot()
    }

    /// Contrast-to-noise ratio of a vein at a point; nil off the detector. Scatter adds counts without contrast,
    /// so the log image shows only the primary share, P / (P + S), of the vein's line integral.
    public func cnr(vein: String, at p: Vec3) -> Double? {
        guard let q = pixel(p) else { return nil }
        let contrast = contrastIntegral(vein: vein, through: p)
        guard expectedScatter != nil else { return contrast / noiseSD(at: q) }
        let (primary, scatter) = expectedCounts(at: q)
        return contrast * primary / max(primary + scatter, 1e-12) / noiseSD(at: q)
    }

    /// Arc length (mm from the vein's origin) of the most distal visible point of a vein, nil when none is;
    /// `leavesImage`: a point between it and the filled front lies off the detector, so the image does not show
    /// where the contrast ends.
    public func visibleEnd(_ v: VeinCentreline) -> (arcMm: Double, leavesImage: Bool)? {
        let line = Polyline(v.pointsMm)
        var s = filling?.vein(v.name)?.filledLengthMm ?? line.lengthMm
        var off = false
        while s >= 0 {
            if let c = cnr(vein: v.name, at: line.point(atArc: s)) {
                if c >= VisibleClickModel.visibilityCNR { return (s, off) }
            } else { off = true }
            s -= VisibleClickModel.stepMm
        }
        return nil
    }

    /// Every landmark this view shows, with its true pixel.
    public func landmarks() -> [Landmark] {
        var out: [Landmark] = []
        for v in veins {
            let line = Polyline(v.pointsMm)
            if v.name == "coronary sinus" {
                // The contrast column starts at the balloon's distal end; checked 1 mm inside the column.
                let s = XRayScene.balloonArcMm.upperBound, p = line.point(atArc: s)
                if let q = pixel(p), let c = cnr(vein: v.name, at: line.point(atArc: s + 1)), c >= VisibleClickModel.visibilityCNR {
                    out.append(Landmark(name: VisibleClickModel.contrastStartName, kind: .contrastStart, vein: v.name, arcMm: s, pointMm: p, pixel: q))
                }
                continue
            }
            guard let key = VisibleClickModel.key(ofVein: v.name), filling?.vein(v.name)?.filled ?? true,
                  let visible = visibleEnd(v), let qEnd = pixel(line.point(atArc: visible.arcMm)) else { continue }
            let end = visible.arcMm
            // Projected extent of the visible part: the farthest visible sample from the origin's pixel.
            let origin = line.point(atArc: 0)
            guard let qOrigin = pixel(origin), let c0 = cnr(vein: v.name, at: line.point(atArc: min(1, end))),
                  c0 >= VisibleClickModel.visibilityCNR else { continue }
            var extent = 0.0
            var s = 0.0
            while s <= end {
                if let q = pixel(line.point(atArc: s)) {
                    extent = max(extent, ((q.column - qOrigin.column) * (q.column - qOrigin.column) + (q.row - qOrigin.row) * (q.row - qOrigin.row)).squareRoot())
                }
                s += VisibleClickModel.stepMm
            }
            guard extent >= VisibleClickModel.minimumVisibleLengthPx else { continue }
            out.append(Landmark(name: key + "Origin", kind: .branchPoint, vein: v.name, arcMm: 0, pointMm: origin, pixel: qOrigin))
            if visible.leavesImage { continue }
            out.append(Landmark(name: key + "ContrastEnd", kind: .contrastEnd, vein: v.name, arcMm: end, pointMm: line.point(atArc: end), pixel: qEnd))
        }
        return out
    }
}
