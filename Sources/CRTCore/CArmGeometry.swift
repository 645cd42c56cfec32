import Foundation

/// The geometry of one C-arm view as the C-arm records it (DICOM XA attribute names), and the perspective
/// projection it implies. Shared by the X-ray simulator and the guidance pipeline (which reads it from
/// `xray/<VIEW>.json`), so both use one definition of the angles.
///
/// **C-arm world frame**: origin at the isocentre, axes along the patient's DICOM LPS axes as the patient lies
/// head-first supine on the table (x to the patient's left, y posterior = down towards the floor, z towards the
/// head), in mm.
///
/// **Rotation convention** (DICOM PS3.3 C.8.7.5 Positioner angles, detector side): the C-arm's own (device)
/// frame at 0/0 coincides with the world frame; the source sits posterior (below the table) at
/// (0, +DistanceSourceToPatient, 0) and the detector centre anterior at
/// (0, -(DistanceSourceToDetector - DistanceSourceToPatient), 0): a frontal (AP) view. The view rotates the device
/// frame by `worldFromDevice = Rz(primary) * Rx(-secondary)`, both right-handed rotations:
/// - the primary angle turns about the patient's head-foot axis (+z), positive towards the patient's left
///   (LAO: the detector moves to the patient's left);
/// - the secondary angle turns about the left-right axis after the primary rotation (the device x axis, which
///   stays horizontal), positive towards the head (cranial: the detector moves towards the head).
/// The unit vector from the isocentre to the detector centre is therefore
/// (sin P cos S, -cos P cos S, sin S) for primary P and secondary S.
///
/// **Detector pixels**: (column, row), origin at the centre of the first pixel. The column axis is the device x
/// axis (at 0/0 towards the patient's left, so the patient's right is on the left of the image as the
/// cardiologist sees it), the row axis the device -z axis (at 0/0 towards the feet: the head is at the top of
/// the image). Column axis x row axis points from the detector towards the source. The principal point (foot of
/// the perpendicular from the source) is the detector centre ((columns - 1) / 2, (rows - 1) / 2).
public struct CArmView: Codable, Sendable, Equatable, Hashable {
    /// View name used in file names (e.g. "LAO40", "RAO30"); stored as SeriesDescription.
    public var name: String
    /// PositionerPrimaryAngle (degrees): LAO positive, RAO negative.
    public var primaryAngleDeg: Double
    /// PositionerSecondaryAngle (degrees): cranial positive, caudal negative.
    public var secondaryAngleDeg: Double
    /// DistanceSourceToDetector (mm).
    public var sourceToDetectorMm: Double
    /// DistanceSourceToPatient (mm): source to isocentre.
    public var sourceToPatientMm: Double
    /// Rows and Columns of the detector image.
    public var rows: Int, columns: Int
    /// ImagerPixelSpacing (mm) at the detector face: [row spacing (vertical), column spacing (horizontal)].
    public var pixelSpacingMm: [Double]

    /// Default DICOM geometry: 1100 mm source to detector, isocentre at 800 mm, 512 x 512 pixels of 0.6 mm.
    public init(name: String, primaryAngleDeg: Double, secondaryAngleDeg: Double = 0,
                sourceToDetectorMm: Double = 1100, sourceToPatientMm: Double = 800,
                rows: Int = 512, columns: Int = 512, pixelSpacingMm: [Double] = [0.6, 0.6]) {
        self.name = name
        self.primaryAngleDeg = primaryAngleDeg
        self.secondaryAngleDeg = secondaryAngleDeg
        self.sourceToDetectorMm = sourceToDetectorMm
        self.sourceToPatientMm = sourceToPatientMm
        self.rows = rows
        self.columns = columns
        self.pixelSpacingMm = pixelSpacingMm
    }

    /// The two standard CRT venogram views (DOMAIN.md section 1 item 6).
    public static let lao40 = CArmView(name: "LAO40", primaryAngleDeg: 40)
    public static let rao30 = CArmView(name: "RAO30", primaryAngleDeg: -30)

    /// A conventional name from the angles: "LAO40", "RAO30", "AP", with "CRA20" / "CAU15" appended.
    public static func conventionalName(primaryAngleDeg p: Double, secondaryAngleDeg s: Double) -> String {
        func n(_ x: Double) -> String { x == x.rounded() ? String(Int(abs(x))) : String(format: "%.1f", abs(x)) }
        var name = p > 0 ? "LAO\(n(p))" : p < 0 ? "RAO\(n(p))" : "AP"
        if s > 0 { name += "CRA\(n(s))" } else if s < 0 { name += "CAU\(n(s))" }
        return name
    }

    enum CodingKeys: String, CodingKey {
        case name = "SeriesDescription"
        case primaryAngleDeg = "PositionerPrimaryAngle"
        case secondaryAngleDeg = "PositionerSecondaryAngle"
        case sourceToDetectorMm = "DistanceSourceToDetector"
        case sourceToPatientMm = "DistanceSourceToPatient"
        case rows = "Rows"
        case columns = "Columns"
        case pixelSpacingMm = "ImagerPixelSpacing"
    }

    // MARK: Geometry

    /// Rotation from the C-arm device frame to the world frame: Rz(primary) * Rx(-secondary).
    public var worldFromDevice: Mat3 {
        Mat3.rotation(axis: Vec3(0, 0, 1), angleRadians: radians(primaryAngleDeg))
            * Mat3.rotation(axis: Vec3(1, 0, 0), angleRadians: radians(-secondaryAngleDeg))
    }
    /// X-ray source position (world mm).
    public var sourceMm: Vec3 { worldFromDevice * Vec3(0, sourceToPatientMm, 0) }
    /// Detector centre (world mm).
    public var detectorCentreMm: Vec3 { worldFromDevice * Vec3(0, -(sourceToDetectorMm - sourceToPatientMm), 0) }
    /// Unit vector along increasing column index (world).
    public var columnDirection: Vec3 { worldFromDevice * Vec3(1, 0, 0) }
    /// Unit vector along increasing row index (world).
    public var rowDirection: Vec3 { worldFromDevice * Vec3(0, 0, -1) }
    /// Unit vector from the source towards the detector (the central ray).
    public var beamDirection: Vec3 { worldFromDevice * Vec3(0, -1, 0) }
    /// Column spacing (horizontal pixel size) and row spacing (vertical) in mm.
    public var columnSpacingMm: Double { pixelSpacingMm[1] }
    public var rowSpacingMm: Double { pixelSpacingMm[0] }
    /// Pixel coordinates of the principal point (the detector centre).
    public var principalPoint: (column: Double, row: Double) { (Double(columns - 1) / 2, Double(rows - 1) / 2) }
    /// Magnification at the isocentre (source-to-detector / source-to-isocentre).
    public var isocentreMagnification: Double { sourceToDetectorMm / sourceToPatientMm }

    /// World position (mm) of the centre of pixel (column, row) on the detector face.
    public func pixelPositionMm(column: Double, row: Double) -> Vec3 {
        let (c0, r0) = principalPoint
        return detectorCentreMm + columnDirection * ((column - c0) * columnSpacingMm)
            + rowDirection * ((row - r0) * rowSpacingMm)
    }

    /// Size of a detector pixel at the isocentre (mm): the mean pixel spacing times source-to-patient over
    /// source-to-detector distance.
    public var millimetresPerPixelAtIsocentre: Double {
        0.5 * (pixelSpacingMm[0] + pixelSpacingMm[1]) * sourceToPatientMm / sourceToDetectorMm
    }

    /// The 3x4 matrix that maps homogeneous world points (mm) to homogeneous detector pixels (column, row, 1):
    /// P = K [R^T | 0] with the device-frame pinhole
    /// K = [[D/sc, -c0, 0, c0 S], [0, -r0, -D/sr, r0 S], [0, -1, 0, S]] (D source to detector, S source to
    /// isocentre, sc / sr column / row spacing, (c0, r0) the principal point). The third homogeneous coordinate
    /// is the depth of the point from the source along the central ray (mm).
    public var projection: ProjectionMatrix {
        let d = sourceToDetectorMm, s = sourceToPatientMm
        let (c0, r0) = principalPoint
        let k = [[d / columnSpacingMm, -c0, 0, c0 * s],
                 [0, -r0, -d / rowSpacingMm, r0 * s],
                 [0, -1, 0, s]]
        let rt = worldFromDevice.transposed
        let rows = [rt.r0.array, rt.r1.array, rt.r2.array]
        var p = [[Double]](repeating: [0, 0, 0, 0], count: 3)
        for i in 0..<3 {
            for j in 0..<3 { p[i][j] = k[i][0] * rows[0][j] + k[i][1] * rows[1][j] + k[i][2] * rows[2][j] }
            p[i][3] = k[i][3]
        }
        return ProjectionMatrix(p)
    }

    /// Checks every field against its allowed range. `field` prefixes the messages (e.g. "xray.views[0]").
    /// - Throws: `InputError` naming the field and the allowed range.
    public func validate(field: String = "view") throws {
        func check(_ key: String, _ v: Double, _ r: ClosedRange<Double>, _ unit: String) throws {
            guard v.isFinite, r.contains(v) else {
                throw InputError("\(field).\(key): \(v) is out of range: expected a number from \(r.lowerBound) to \(r.upperBound) \(unit)")
            }
        }
        try check("PositionerPrimaryAngle", primaryAngleDeg, CArmView.primaryAngleRange, "degrees")
        try check("PositionerSecondaryAngle", secondaryAngleDeg, CArmView.secondaryAngleRange, "degrees")
        try check("DistanceSourceToDetector", sourceToDetectorMm, CArmView.sourceToDetectorRange, "mm")
        try check("DistanceSourceToPatient", sourceToPatientMm, CArmView.sourceToPatientRange, "mm")
        if sourceToDetectorMm - sourceToPatientMm < CArmView.minimumIsocentreToDetectorMm {
            throw InputError("\(field).DistanceSourceToPatient: must be at least \(CArmView.minimumIsocentreToDetectorMm) mm less than DistanceSourceToDetector (\(sourceToDetectorMm) mm), so that the patient fits between isocentre and detector")
        }
        guard CArmView.detectorSizeRange.contains(rows) else {
            throw InputError("\(field).Rows: \(rows) is out of range: expected an integer from \(CArmView.detectorSizeRange.lowerBound) to \(CArmView.detectorSizeRange.upperBound)")
        }
        guard CArmView.detectorSizeRange.contains(columns) else {
            throw InputError("\(field).Columns: \(columns) is out of range: expected an integer from \(CArmView.detectorSizeRange.lowerBound) to \(CArmView.detectorSizeRange.upperBound)")
        }
        guard pixelSpacingMm.count == 2 else {
            throw InputError("\(field).ImagerPixelSpacing: expected 2 numbers [row spacing, column spacing] in mm")
        }
        for v in pixelSpacingMm { try check("ImagerPixelSpacing", v, CArmView.pixelSpacingRange, "mm") }
    }

    /// Allowed ranges (clinical C-arms; wider values are refused as absurd).
    public static let primaryAngleRange: ClosedRange<Double> = -120...120
    public static let secondaryAngleRange: ClosedRange<Double> = -60...60
    public static let sourceToDetectorRange: ClosedRange<Double> = 700...1500
    public static let sourceToPatientRange: ClosedRange<Double> = 400...1200
    public static let minimumIsocentreToDetectorMm = 150.0
    public static let detectorSizeRange: ClosedRange<Int> = 32...2048
    public static let pixelSpacingRange: ClosedRange<Double> = 0.05...3
}

/// A 3x4 perspective projection matrix (row-major), world mm to homogeneous detector pixel (column, row, 1).
/// Encoded in JSON as three rows of four numbers.
public struct ProjectionMatrix: Codable, Sendable, Equatable, Hashable {
    public var m: [[Double]]

    public init(_ rows: [[Double]]) {
        precondition(rows.count == 3 && rows.allSatisfy { $0.count == 4 }, "a projection matrix is 3 x 4")
        m = rows
    }
    public init(from decoder: Decoder) throws {
        let rows = try decoder.singleValueContainer().decode([[Double]].self)
        guard rows.count == 3, rows.allSatisfy({ $0.count == 4 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected 3 rows of 4 numbers"))
        }
        m = rows
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(m)
    }

    /// Homogeneous image of a world point: (column w, row w, w).
    @inlinable public func homogeneous(_ p: Vec3) -> (Double, Double, Double) {
        (m[0][0] * p.x + m[0][1] * p.y + m[0][2] * p.z + m[0][3],
         m[1][0] * p.x + m[1][1] * p.y + m[1][2] * p.z + m[1][3],
         m[2][0] * p.x + m[2][1] * p.y + m[2][2] * p.z + m[2][3])
    }

    /// Detector pixel (column, row) of a world point; nil when the point is not in front of the source.
    public func project(_ p: Vec3) -> (column: Double, row: Double)? {
        let (u, v, w) = homogeneous(p)
        guard w > 1e-9 else { return nil }
        return (u / w, v / w)
    }

    /// This projection after a rigid or affine map: `projection.composed(after: worldFromHeart)` projects
    /// heart (CMR patient) coordinates.
    public func composed(after a: Affine3D) -> ProjectionMatrix {
        let l = a.linear, t = a.translation
        let cols = l.columns
        var out = [[Double]](repeating: [0, 0, 0, 0], count: 3)
        for i in 0..<3 {
            let r = Vec3(m[i][0], m[i][1], m[i][2])
            out[i] = [r.dot(cols.0), r.dot(cols.1), r.dot(cols.2), r.dot(t) + m[i][3]]
        }
        return ProjectionMatrix(out)
    }
}

/// Linear triangulation of one 3D point from its pixels in two or more views (DLT, Hartley and Zisserman,
/// Multiple View Geometry, 2nd ed., section 12.2, inhomogeneous form): each view gives the equations
/// u P3 - P1 = 0 and v P3 - P2 = 0 (rows scaled to unit length of their spatial part), solved in the least-squares
/// sense by the 3x3 normal equations.
/// - Parameter observations: (projection, column, row) per view.
/// - Returns: the world point (mm), or nil with fewer than two views or a degenerate configuration.
public func triangulate(_ observations: [(ProjectionMatrix, column: Double, row: Double)]) -> Vec3? {
    guard observations.count >= 2 else { return nil }
    var ata = [[Double]](repeating: [0, 0, 0], count: 3)
    var atb = [0.0, 0.0, 0.0]
    for (p, u, v) in observations {
        for (coord, row) in [(u, 0), (v, 1)] {
            var a = (0..<4).map { coord * p.m[2][$0] - p.m[row][$0] }
            let norm = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).squareRoot()
            guard norm > 0 else { continue }
            a = a.map { $0 / norm }
            for i in 0..<3 {
                for j in 0..<3 { ata[i][j] += a[i] * a[j] }
                atb[i] -= a[i] * a[3]
            }
        }
    }
    let mat = Mat3(rows: Vec3(ata[0]), Vec3(ata[1]), Vec3(ata[2]))
    guard abs(mat.determinant) > 1e-12, let inv = mat.inverse else { return nil }
    return inv * Vec3(atb)
}
