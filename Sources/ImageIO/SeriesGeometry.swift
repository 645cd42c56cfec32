import CRTCore
import Foundation

/// The geometry and timing a scanner records for one CMR series (one object of `acquisition.json`), with the
/// DICOM attribute names as JSON keys. Coordinates are DICOM LPS patient coordinates in mm; times are in ms.
///
/// Voxel index (i, j, k) of the matching NIfTI is (column, row, slice): i runs along the row direction cosines
/// (first three values of ImageOrientationPatient) in steps of the column spacing (PixelSpacing[1]), j along the
/// column direction cosines (last three values) in steps of the row spacing (PixelSpacing[0]), and k through
/// ImagePositionPatient in the NIfTI's slice order.
public struct SeriesGeometry: Codable, Sendable, Equatable {
    /// DICOM (0020,0037): row direction cosines, then column direction cosines (6 numbers, LPS, unit vectors).
    public var imageOrientationPatient: [Double]
    /// DICOM (0020,0032) of every slice: centre of the slice's first voxel (LPS mm), in the NIfTI's slice order.
    public var imagePositionPatient: [[Double]]
    /// DICOM (0028,0030): [row spacing, column spacing] in mm (distance between rows, between columns).
    public var pixelSpacing: [Double]
    /// DICOM (0018,0050): nominal slice thickness in mm.
    public var sliceThickness: Double
    /// DICOM (0018,0088): centre-to-centre distance of adjacent slices in mm.
    public var spacingBetweenSlices: Double
    /// DICOM (0018,1060): trigger time of every cardiac phase in ms after the R wave.
    public var triggerTime: [Double]
    /// DICOM (0018,1062): R-R interval in ms, when recorded.
    public var nominalInterval: Double?
    /// DICOM (0018,0082): inversion time in ms (LGE), when recorded.
    public var inversionTime: Double?
    /// DICOM (0028,0010): number of rows (image height, size along j).
    public var rows: Int
    /// DICOM (0028,0011): number of columns (image width, size along i).
    public var columns: Int

    enum CodingKeys: String, CodingKey {
        case imageOrientationPatient = "ImageOrientationPatient"
        case imagePositionPatient = "ImagePositionPatient"
        case pixelSpacing = "PixelSpacing"
        case sliceThickness = "SliceThickness"
        case spacingBetweenSlices = "SpacingBetweenSlices"
        case triggerTime = "TriggerTime"
        case nominalInterval = "NominalInterval"
        case inversionTime = "InversionTime"
        case rows = "Rows"
        case columns = "Columns"
    }

    /// Largest deviation allowed of the direction cosines from unit length and orthogonality (dimensionless).
    public static let directionTolerance = 1e-3
    /// Largest deviation allowed of a slice position from the evenly spaced line through the first two slices,
    /// and of the first step's length from SpacingBetweenSlices (mm).
    public static let positionToleranceMm = 1e-2

    public init(imageOrientationPatient: [Double], imagePositionPatient: [[Double]], pixelSpacing: [Double],
                sliceThickness: Double, spacingBetweenSlices: Double, triggerTime: [Double],
                nominalInterval: Double? = nil, inversionTime: Double? = nil, rows: Int, columns: Int) {
        self.imageOrientationPatient = imageOrientationPatient
        self.imagePositionPatient = imagePositionPatient
        self.pixelSpacing = pixelSpacing
        self.sliceThickness = sliceThickness
        self.spacingBetweenSlices = spacingBetweenSlices
        self.triggerTime = triggerTime
        self.nominalInterval = nominalInterval
        self.inversionTime = inversionTime
        self.rows = rows
        self.columns = columns
    }

    /// The metadata a scanner would record for images on `grid` (used by the generator).
    /// - Parameters:
    ///   - grid: size (columns, rows, slices) and LPS patientFromVoxel affine; its first two axes must be
    ///     orthogonal (as any scanner image is).
    ///   - sliceThicknessMm: nominal slice thickness (mm).
    ///   - triggerTimesMs: trigger time of each phase (ms after R).
    ///   - nominalIntervalMs: R-R interval (ms), or nil.
    ///   - inversionTimeMs: inversion time (ms), or nil.
    /// SpacingBetweenSlices is the length of the grid's slice axis; a one-slice grid whose slice axis points
    /// against row x column cosines comes back from `grid()` with the axis flipped (one slice carries no order).
    public init(grid: ImageGrid, sliceThicknessMm: Double, triggerTimesMs: [Double], nominalIntervalMs: Double? = nil,
                inversionTimeMs: Double? = nil) {
        precondition(grid.size.count == 3, "SeriesGeometry needs a 3D grid")
        let (c0, c1, c2) = grid.patientFromVoxel.linear.columns
        let rowCosines = c0.normalized, columnCosines = c1.normalized
        self.init(imageOrientationPatient: rowCosines.array + columnCosines.array,
                  imagePositionPatient: (0..<grid.size[2]).map { grid.patient(0, 0, Double($0)).array },
                  pixelSpacing: [c1.length, c0.length],
                  sliceThickness: sliceThicknessMm, spacingBetweenSlices: c2.length, triggerTime: triggerTimesMs,
                  nominalInterval: nominalIntervalMs, inversionTime: inversionTimeMs,
                  rows: grid.size[1], columns: grid.size[0])
    }

    /// Rebuilds the image grid: size (Columns, Rows, slices) and the LPS patientFromVoxel affine with
    /// column axis = row cosines x column spacing, row axis = column cosines x row spacing, slice axis = difference
    /// of consecutive ImagePositionPatient (or the plane normal x SpacingBetweenSlices for one slice), origin =
    /// the first ImagePositionPatient.
    /// - Throws: `InputError` naming the field and the allowed range when the geometry is inconsistent
    ///   (field counts, spacings <= 0, direction cosines not unit or orthogonal within `directionTolerance`,
    ///   slice positions not collinear and evenly spaced within `positionToleranceMm`).
    public func grid() throws -> ImageGrid {
        let iop = imageOrientationPatient
        guard iop.count == 6, iop.allSatisfy(\.isFinite) else {
            throw InputError("ImageOrientationPatient: expected 6 finite numbers (row then column direction "
                + "cosines), got \(iop.count)")
        }
        let rowCosines = Vec3(iop[0], iop[1], iop[2]), columnCosines = Vec3(iop[3], iop[4], iop[5])
        let tol = Self.directionTolerance
        guard abs(rowCosines.length - 1) <= tol, abs(columnCosines.length - 1) <= tol else {
            throw InputError("ImageOrientationPatient: direction cosines must be unit vectors within \(tol) "
                + "(row length \(rowCosines.length), column length \(columnCosines.length))")
        }
        let cosine = rowCosines.dot(columnCosines)
        guard abs(cosine) <= tol else {
            throw InputError("ImageOrientationPatient: row and column directions must be orthogonal within "
                + "\(tol) (dot product \(cosine))")
        }
        guard pixelSpacing.count == 2, pixelSpacing.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw InputError("PixelSpacing: expected [row spacing, column spacing], each > 0 mm, got \(pixelSpacing)")
        }
        guard rows >= 1 else { throw InputError("Rows: must be >= 1, got \(rows)") }
        guard columns >= 1 else { throw InputError("Columns: must be >= 1, got \(columns)") }
        guard spacingBetweenSlices > 0, spacingBetweenSlices.isFinite else {
            throw InputError("SpacingBetweenSlices: must be > 0 mm, got \(spacingBetweenSlices)")
        }
        let positions = imagePositionPatient
        guard !positions.isEmpty else {
            throw InputError("ImagePositionPatient: expected one [x, y, z] per slice, got none")
        }
        if let bad = positions.firstIndex(where: { $0.count != 3 || !$0.allSatisfy(\.isFinite) }) {
            throw InputError("ImagePositionPatient[\(bad)]: expected 3 finite numbers [x, y, z] (mm), "
                + "got \(positions[bad])")
        }
        let origin = Vec3(positions[0])
        let normal = rowCosines.cross(columnCosines).normalized
        let sliceAxis: Vec3
        if positions.count == 1 {
            sliceAxis = normal * spacingBetweenSlices
        } else {
            sliceAxis = Vec3(positions[1]) - origin
            let step = sliceAxis.length
            let ptol = Self.positionToleranceMm
            guard abs(step - spacingBetweenSlices) <= ptol else {
                throw InputError("ImagePositionPatient: slices 0 and 1 are \(step) mm apart but "
                    + "SpacingBetweenSlices is \(spacingBetweenSlices) mm (allowed difference \(ptol) mm)")
            }
            guard abs(sliceAxis.dot(normal)) > tol * step else {
                throw InputError("ImagePositionPatient: slices 0 and 1 differ within the image plane; the slice "
                    + "step must leave the plane of ImageOrientationPatient")
            }
            for k in 2..<max(2, positions.count) {
                let off = (Vec3(positions[k]) - (origin + Double(k) * sliceAxis)).length
                guard off <= ptol else {
                    throw InputError("ImagePositionPatient[\(k)]: \(off) mm from the evenly spaced line through "
                        + "slices 0 and 1 (slices must be collinear and evenly spaced within \(ptol) mm)")
                }
            }
        }
        let linear = Mat3(columns: rowCosines * pixelSpacing[1], columnCosines * pixelSpacing[0], sliceAxis)
        return ImageGrid(size: [columns, rows, positions.count],
                         patientFromVoxel: Affine3D(linear: linear, translation: origin))
    }

    /// Largest distance allowed between a slice origin in ImagePositionPatient and the same voxel of the NIfTI
    /// affine (mm). NIfTI stores its affine in float32 (about 1e-4 mm at a few hundred mm), and DICOM-to-NIfTI
    /// converters round the affine; 0.1 mm is a tenth of the finest clinical CMR voxel (docs/reliability.md).
    public static let crossCheckPositionToleranceMm = 0.1
    /// Largest relative difference allowed between a spacing in acquisition.json and in the NIfTI affine.
    public static let crossCheckSpacingTolerance = 1e-3
    /// Largest angle allowed between an axis in acquisition.json and in the NIfTI affine (degrees).
    public static let crossCheckAngleToleranceDeg = 0.1

    /// Where this record contradicts the NIfTI grid of the same series, or nil when they agree within the
    /// cross-check tolerances: pixel and slice spacing, row, column and slice directions, and the origin of the
    /// first and last slice. A record whose own geometry is invalid is left to `validate`.
    /// - Parameter grid: the image grid read from the NIfTI file (LPS patientFromVoxel).
    /// - Returns: one phrase naming the acquisition.json field and both values.
    public func disagreement(with grid: ImageGrid) -> String? {
        guard let recorded = try? self.grid(), grid.size.count == 3 else { return nil }
        let (a0, a1, a2) = recorded.patientFromVoxel.linear.columns
        let (b0, b1, b2) = grid.patientFromVoxel.linear.columns
        var axes = [("PixelSpacing[1] (column spacing)", "ImageOrientationPatient[0...2] (row direction)", a0, b0),
                    ("PixelSpacing[0] (row spacing)", "ImageOrientationPatient[3...5] (column direction)", a1, b1)]
        if grid.size[2] > 1 && imagePositionPatient.count > 1 {
            axes.append(("slice spacing (ImagePositionPatient steps)", "slice direction (ImagePositionPatient steps)", a2, b2))
        }
        func mm(_ v: Double) -> String { String(format: "%.4g mm", v) }
        for (spacingField, directionField, a, b) in axes {
            if abs(a.length - b.length) > Self.crossCheckSpacingTolerance * max(a.length, b.length) {
                return "\(spacingField) = \(mm(a.length)) but the NIfTI affine has \(mm(b.length)) (allowed difference \(100 * Self.crossCheckSpacingTolerance) %)"
            }
            let cosine = max(-1, min(1, a.normalized.dot(b.normalized)))
            let degrees = acos(cosine) * 180 / .pi
            if degrees > Self.crossCheckAngleToleranceDeg {
                return "\(directionField) differs from the NIfTI affine's axis by \(String(format: "%.3g", degrees)) degrees (allowed \(Self.crossCheckAngleToleranceDeg))"
            }
        }
        for k in Set([0, min(grid.size[2], imagePositionPatient.count) - 1]).sorted() where k >= 0 {
            let p = imagePositionPatient[k]
            guard p.count == 3 else { continue }
            let recordedOrigin = Vec3(p[0], p[1], p[2]), niftiOrigin = grid.patient(0, 0, Double(k))
            let distance = (recordedOrigin - niftiOrigin).length
            if distance > Self.crossCheckPositionToleranceMm {
                return "ImagePositionPatient[\(k)] = \(p) is \(mm(distance)) from slice \(k)'s first voxel in the NIfTI affine "
                    + "[\(niftiOrigin.array.map { String(format: "%.2f", $0) }.joined(separator: ", "))] (allowed \(Self.crossCheckPositionToleranceMm) mm)"
            }
        }
        return nil
    }

    /// Checks the whole record: the geometry (as `grid()`), SliceThickness > 0, at least one finite TriggerTime
    /// >= 0, NominalInterval > 0 and InversionTime >= 0 when present.
    /// - Throws: `InputError` naming the field and the allowed range.
    public func validate() throws {
        _ = try grid()
        guard sliceThickness > 0, sliceThickness.isFinite else {
            throw InputError("SliceThickness: must be > 0 mm, got \(sliceThickness)")
        }
        guard !triggerTime.isEmpty, triggerTime.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw InputError("TriggerTime: expected one or more finite times >= 0 ms, got \(triggerTime)")
        }
        if let rr = nominalInterval, !(rr > 0 && rr.isFinite) {
            throw InputError("NominalInterval: must be > 0 ms, got \(rr)")
        }
        if let ti = inversionTime, !(ti >= 0 && ti.isFinite) {
            throw InputError("InversionTime: must be >= 0 ms, got \(ti)")
        }
    }
}

/// `acquisition.json`: what the scanner recorded for the cine and LGE series (DOMAIN.md section 7), and for the
/// long-axis cine views when the case has them. Other keys in the file are allowed and ignored.
public struct CMRAcquisition: Codable, Sendable, Equatable {
    /// Cine bSSFP short-axis stack: geometry, TriggerTime per phase, NominalInterval.
    public var cine: SeriesGeometry
    /// LGE inversion-recovery stack: geometry, TriggerTime, InversionTime.
    public var lge: SeriesGeometry
    /// Long-axis cine views (cmr/cine-2ch.nii.gz, cine-3ch, cine-4ch): one slice each, TriggerTime per phase,
    /// NominalInterval. Optional: absent in cases of other generators and of earlier crtsim releases.
    public var cine2ch: SeriesGeometry?
    public var cine3ch: SeriesGeometry?
    public var cine4ch: SeriesGeometry?

    public init(cine: SeriesGeometry, lge: SeriesGeometry, cine2ch: SeriesGeometry? = nil, cine3ch: SeriesGeometry? = nil,
                cine4ch: SeriesGeometry? = nil) {
        self.cine = cine
        self.lge = lge
        self.cine2ch = cine2ch
        self.cine3ch = cine3ch
        self.cine4ch = cine4ch
    }

    /// Every series present, keyed as in the file: cine, lge, then the long-axis views that are present.
    public var allSeries: [(key: String, series: SeriesGeometry)] {
        [("cine", cine), ("lge", lge)] + [("cine2ch", cine2ch), ("cine3ch", cine3ch), ("cine4ch", cine4ch)]
            .compactMap { key, series in series.map { (key, $0) } }
    }

    /// Reads and validates `acquisition.json`.
    /// - Parameter path: the JSON file.
    /// - Throws: `InputError` with one line naming the file and the field (for example
    ///   `acquisition.json: cine.PixelSpacing: expected [row spacing, column spacing], each > 0 mm, got [0, 1.5]`).
    public static func load(_ path: String) throws -> CMRAcquisition {
        let data = try InputFile.read(path, what: "acquisition.json file")
        let acquisition: CMRAcquisition
        do {
            acquisition = try JSONDecoder().decode(CMRAcquisition.self, from: data)
        } catch let error as DecodingError {
            throw InputError("\(path): \(describe(error))")
        } catch {
            throw InputError("\(path): \(error)")
        }
        for (name, series) in acquisition.allSeries {
            do {
                try series.validate()
            } catch let error as InputError {
                throw InputError("\(path): \(name).\(error.message)")
            }
        }
        return acquisition
    }

    /// Writes `acquisition.json` atomically with sorted keys (`FileOutput.writeJSON`).
    /// - Throws: `OutputError` naming the file.
    public func write(to path: String) throws {
        try FileOutput.writeJSON(self, to: path)
    }

    private static func describe(_ error: DecodingError) -> String {
        let field = keyPath
        switch error {
        case .keyNotFound(let key, let context):
            let parent = field(context.codingPath)
            return "missing key " + (context.codingPath.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)")
        case .typeMismatch(let type, let context):
            return "\(field(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(field(context.codingPath)): expected \(typeName(type)), got null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let reason = context.underlyingError?.localizedDescription ?? context.debugDescription
                return "not valid JSON (\(reason))"
            }
            return "\(field(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type: return "a number"
        case is Int.Type: return "an integer"
        case is [Double].Type: return "an array of numbers"
        case is [[Double]].Type: return "an array of [x, y, z] arrays"
        case is String.Type: return "a string"
        default: return "\(type)"
        }
    }
}
