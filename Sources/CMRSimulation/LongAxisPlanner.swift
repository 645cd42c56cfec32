import CRTCore
import Foundation
import HeartPhantom

/// Plans the long-axis cine views as a scanner operator does (Kramer et al., "Standardized cardiovascular magnetic
/// resonance imaging (CMR) protocols: 2020 update", JCMR 2020;22:17): one slice per view, each plane containing the
/// LV long axis (apex to the centre of the mitral annulus) and turned about it so that it cuts the walls of the AHA
/// segment model (Cerqueira et al., Circulation 2002;105:539) that the view is defined to show:
/// - 4-chamber: inferoseptal and anterolateral walls, across the septum through the RV (and both atria);
/// - 2-chamber: anterior and inferior walls (LV and LA only);
/// - 3-chamber (LVOT): anteroseptal and inferolateral walls, through the LV outflow tract and aortic root.
///
/// Angles are segment angles of the heart's frame (0 at the anterior RV insertion, through the septum). The plane
/// through the long axis at angle phi also cuts the wall at phi + 180. Display: the apex at the top (column index j
/// grows from the apex towards the base), the wall at `planeAngleDeg` on the left (row index i grows towards the
/// opposite wall): the standard 4-chamber display with the RV on the left and the LV lateral wall on the right.
///
/// The operator's long axis is the short-axis plan's (`ShortAxisPlanner.plannedApexDirection`): the short-axis
/// stack is planned on these views, so both carry the same axis error (`cmr.planningTiltDeg`), through the true
/// centre of the mitral annulus. No other planning error is drawn for the long-axis views; with the perfect plan
/// every plane contains the true long axis.
public enum LongAxisPlanner {
    /// The long-axis views of a cine examination.
    public enum View: String, CaseIterable, Sendable {
        case twoChamber = "2ch", threeChamber = "3ch", fourChamber = "4ch"

        /// The NIfTI file name stem under cmr/ ("cine-2ch") and the truth label volume stem.
        public var fileStem: String { "cine-\(rawValue)" }
        /// The key of the view's object in acquisition.json ("cine2ch").
        public var acquisitionKey: String { "cine\(rawValue)" }
        /// The label of the view's random streams ("cmr.cine2ch"): breath-hold and noise.
        public var streamLabel: String { "cmr.\(acquisitionKey)" }
    }

    /// Centre angle of the AHA inferoseptal sector in crtsim's segment model (60-120 degrees).
    public static let inferoseptalCentreDeg = 90.0
    /// Centre angle of the AHA inferior sector (120-180 degrees); its opposite, 330, is the anterior centre.
    public static let inferiorCentreDeg = 150.0
    /// The 4-chamber plane stays within this fraction of the septum's span (from the anterior RV insertion) so that
    /// it crosses the RV cavity when the inferior insertion is below 120 degrees (the RV crescent ends there).
    public static let fourChamberSeptalFraction = 0.75

    /// Segment angle (degrees) of the wall on the image's left: the plane contains the long axis and the direction
    /// of this angle.
    /// - 4ch: the inferoseptal centre (90), or 3/4 of the septum's span when the inferior RV insertion is below 120
    ///   degrees, so that the plane still crosses the RV;
    /// - 2ch: the inferior centre (150; the anterior wall at 330 on the right);
    /// - 3ch: the model's aortic orifice (`HeartModel.aorticOrificeAngleDeg`, 25, in the anteroseptal sector; the
    ///   inferolateral wall at 205 on the right): the plane runs through the LV outflow tract and the mitral orifice.
    public static func planeAngleDeg(_ view: View, heart: HeartModel) -> Double {
        switch view {
        case .fourChamber:
            return min(inferoseptalCentreDeg, fourChamberSeptalFraction * heart.spec.anatomy.inferiorInsertionAngleDeg)
        case .twoChamber: return inferiorCentreDeg
        case .threeChamber: return HeartModel.aorticOrificeAngleDeg
        }
    }

    /// The voxel grid of one view (column, row, one slice), LPS mm: the series' matrix and pixel size, the image
    /// centre on the operator's long axis at mid-cavity height, the slice axis along row x column cosines with the
    /// length of the slice thickness.
    public static func plan(heart: HeartModel, view: View, series s: PhantomSpec.SeriesSettings,
                            planning: ShortAxisPlanner.Planning = .init()) -> ImageGrid {
        let w = planning.isPerfect ? heart.frame.apexDirection
            : ShortAxisPlanner.plannedApexDirection(heart: heart, planning: planning)
        let wall = heart.frame.direction(phiDeg: planeAngleDeg(view, heart: heart))
        let across = (wall - w * wall.dot(w)).normalized
        let e1 = -across          // i grows from the view's wall towards the opposite wall
        let e2 = -w               // j grows from the apex towards the base
        let normal = e1.cross(e2).normalized
        // The operator's axis passes through the true centre of the mitral annulus.
        let baseCentre = heart.frame.patient(s: heart.baseHeightMm, r: 0, phiDeg: 0)
        let cavityMm = heart.baseHeightMm - heart.endoApexHeightMm
        let centre = baseCentre + w * (0.5 * cavityMm)
        let m = s.matrix
        let half = Double(m - 1) / 2 * s.pixelMm
        let origin = centre - e1 * half - e2 * half
        return ImageGrid(size: [m, m, 1],
                         patientFromVoxel: Affine3D(linear: Mat3(columns: e1 * s.pixelMm, e2 * s.pixelMm, normal * s.sliceThicknessMm),
                                                    translation: origin))
    }
}
