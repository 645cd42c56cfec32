import CNIfTIShim
import CRTCore

/// NIfTI-1 reading and writing (through niftilib, behind the `CNIfTIShim` C target).
///
/// Frames: crtsim grids map voxel indices (column, row, slice) to DICOM LPS patient coordinates in mm; NIfTI
/// stores RAS, so the file's sform is the LPS affine with its x and y rows negated, and reading converts back.
/// Both the sform and the qform are written, with code NIFTI_XFORM_SCANNER_ANAT (the qform is the orthogonal part
/// of the same affine, for readers that use only the qform). The affine is stored in 32-bit floats: positions
/// up to a few hundred mm round-trip within about 1e-4 mm.
///
/// A 4D volume (`frames > 1`) stores the cine phases on the fourth axis with pixdim[4] = `frameIntervalMs` and
/// xyzt_units = mm | ms. Files ending in `.nii.gz` are gzip-compressed; the bytes depend only on the volume and
/// the description (no time stamps), so the same input always gives the same file.
public enum NIfTI {
    /// Writes a float32 volume.
    /// - Parameters:
    ///   - v: the volume; grid spacing in mm, `frameIntervalMs` in ms (used when `frames > 1`).
    ///   - path: destination ending in `.nii.gz` (compressed) or `.nii`; written atomically (temporary file +
    ///     rename), missing folders are created.
    ///   - description: stored in the header's 80-byte `descrip` field (non-ASCII characters become "?",
    ///     truncated to 79 characters).
    /// - Throws: `OutputError` naming the file.
    public static func write(_ v: ImageVolume<Float>, to path: String, description: String) throws {
        try v.data.withUnsafeBytes { bytes in
            try write(grid: v.grid, frames: v.frames, frameIntervalMs: v.frameIntervalMs,
                      datatype: Int32(CRT_NIFTI_FLOAT32), bytes: bytes, count: v.data.count, to: path,
                      description: description)
        }
    }

    /// Writes a uint8 volume (labels, masks).
    /// - Parameters: as for the float32 `write`.
    /// - Throws: `OutputError` naming the file.
    public static func write(_ v: ImageVolume<UInt8>, to path: String, description: String) throws {
        try v.data.withUnsafeBytes { bytes in
            try write(grid: v.grid, frames: v.frames, frameIntervalMs: v.frameIntervalMs,
                      datatype: Int32(CRT_NIFTI_UINT8), bytes: bytes, count: v.data.count, to: path,
                      description: description)
        }
    }

    /// Reads a NIfTI-1 file (`.nii`, `.nii.gz`, or a `.hdr`/`.img` pair) as float32 in LPS patient coordinates.
    ///
    /// Stored uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32 and float64 voxels are converted
    /// to float32, with scl_slope/scl_inter applied when set. The geometry comes from the sform when
    /// sform_code > 0, else from the qform; spatial units are converted to mm and the fourth-axis spacing to ms
    /// (an unset unit is taken as mm, respectively ms). A 2D image becomes a one-slice volume.
    /// - Parameter path: the file.
    /// - Returns: the volume; `frames` = dim[4] and `frameIntervalMs` = pixdim[4] in ms when dim[4] > 1, else 0.
    /// - Throws: `InputError` with one line naming the file and the problem: missing file, not NIfTI-1,
    ///   unsupported datatype, truncated data, unsupported dimensions, no orientation (qform_code and
    ///   sform_code both 0), a singular affine, or NaN/infinite voxels.
    public static func read(_ path: String) throws -> ImageVolume<Float> {
        var info = crt_nifti_info()
        var err = [CChar](repeating: 0, count: errorCapacity)
        guard let file = crt_nifti_open(path, &info, &err, err.count) else {
            throw InputError("\(path): \(message(err))")
        }
        defer { crt_nifti_close(file) }

        let dims = tupleArray(info.dims, as: Int64.self).map { Int($0) }
        let pixdim = tupleArray(info.pixdim, as: Double.self)
        let ndim = Int(info.ndim)
        guard ndim >= 2 else {
            throw InputError("\(path): a \(ndim)D image is not supported (need 2D, 3D or 4D)")
        }
        if let extra = dims[4...].firstIndex(where: { $0 != 1 }) {
            throw InputError("\(path): \(ndim)D image with dim[\(extra + 1)] = \(dims[extra]) is not supported "
                + "(need 2D, 3D or 4D)")
        }
        guard dims[0..<4].allSatisfy({ $0 >= 1 }) else {
            throw InputError("\(path): invalid dimensions \(Array(dims[0..<4])) (each must be >= 1)")
        }
        guard Int32(info.xform_source) != Int32(CRT_NIFTI_XFORM_NONE) else {
            throw InputError("\(path): no orientation (qform_code and sform_code are both 0); "
                + "crtsim needs the voxel-to-patient transform")
        }
        let mmPerUnit: Double
        switch Int(info.xyz_units) {
        case Int(CRT_NIFTI_UNITS_METER): mmPerUnit = 1000
        case Int(CRT_NIFTI_UNITS_MICRON): mmPerUnit = 0.001
        default: mmPerUnit = 1 // mm, or unset (taken as mm)
        }
        let msPerUnit: Double
        switch Int(info.time_units) {
        case Int(CRT_NIFTI_UNITS_SEC): msPerUnit = 1000
        case Int(CRT_NIFTI_UNITS_USEC): msPerUnit = 0.001
        default: msPerUnit = 1 // ms, or unset (taken as ms)
        }

        let a = tupleArray(info.affine_ras, as: Double.self).map { $0 * mmPerUnit }
        let patientFromVoxel = lpsFromRAS(Affine3D(matrix4x4: [
            Array(a[0..<4]), Array(a[4..<8]), Array(a[8..<12]), [0, 0, 0, 1]]))
        let det = patientFromVoxel.linear.determinant
        guard det.isFinite, det != 0, a.allSatisfy(\.isFinite) else {
            throw InputError("\(path): the voxel-to-patient affine is singular or not finite")
        }
        let grid = ImageGrid(size: Array(dims[0..<3]), patientFromVoxel: patientFromVoxel)
        let frames = dims[3]

        let count = Int(crt_nifti_voxel_count(file))
        guard count == grid.voxelCount * frames else {
            throw InputError("\(path): header voxel count \(count) does not match dimensions \(Array(dims[0..<4]))")
        }
        var firstBad: Int64 = -1
        var converted: Int64 = 0
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            converted = crt_nifti_copy_float(file, buffer.baseAddress, Int64(count), &firstBad, &err, err.count)
            if converted < 0 { buffer.initialize(repeating: 0) }
            initialized = count
        }
        guard converted >= 0 else { throw InputError("\(path): \(message(err))") }
        if converted > 0 {
            let q = Int(firstBad)
            let nx = dims[0], ny = dims[1], nz = dims[2]
            let voxel = [q % nx, (q / nx) % ny, (q / (nx * ny)) % nz, q / (nx * ny * nz)]
            throw InputError("\(path): \(converted) of \(count) voxels are NaN or infinite (first at voxel "
                + "[i, j, k, t] = \(voxel)); crtsim needs finite intensities")
        }
        let intervalMs = frames > 1 ? pixdim[3] * msPerUnit : 0
        return ImageVolume(grid: grid, frames: frames, frameIntervalMs: intervalMs, data: data)
    }

    /// Converts an LPS patientFromVoxel affine to the RAS affine stored in NIfTI (negates the x and y rows).
    public static func rasFromLPS(_ lps: Affine3D) -> Affine3D { flipXY(lps) }
    /// Converts a NIfTI RAS affine to crtsim's LPS patientFromVoxel affine (negates the x and y rows).
    public static func lpsFromRAS(_ ras: Affine3D) -> Affine3D { flipXY(ras) }

    // MARK: - Private

    /// Capacity of the C error-message buffers (bytes).
    private static let errorCapacity = 512

    private static func flipXY(_ t: Affine3D) -> Affine3D {
        Affine3D(linear: Mat3(rows: -t.linear.r0, -t.linear.r1, t.linear.r2),
                        translation: Vec3(-t.translation.x, -t.translation.y, t.translation.z))
    }

    private static func message(_ err: [CChar]) -> String {
        let text = err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return text.isEmpty ? "unknown NIfTI error" : text
    }

    private static func tupleArray<T, E>(_ tuple: T, as: E.Type) -> [E] {
        withUnsafeBytes(of: tuple) { Array($0.bindMemory(to: E.self)) }
    }

    private static func write(grid: ImageGrid, frames: Int, frameIntervalMs: Double, datatype: Int32,
                              bytes: UnsafeRawBufferPointer, count: Int, to path: String,
                              description: String) throws {
        guard path.hasSuffix(".nii.gz") || path.hasSuffix(".nii") else {
            throw OutputError("\(path): a NIfTI file name must end in .nii.gz or .nii")
        }
        guard grid.size.count == 3, grid.size.allSatisfy({ $0 >= 1 }), frames >= 1 else {
            throw OutputError("\(path): invalid grid size \(grid.size) x \(frames) frames")
        }
        guard count == grid.voxelCount * frames else {
            throw OutputError("\(path): \(count) values for \(grid.voxelCount * frames) voxels")
        }
        let is4D = frames > 1
        if is4D && !(frameIntervalMs > 0 && frameIntervalMs.isFinite) {
            throw OutputError("\(path): frameIntervalMs = \(frameIntervalMs), must be > 0 for a 4D volume")
        }
        let ras = rasFromLPS(grid.patientFromVoxel).matrix4x4
        let affine: [Double] = Array(ras[0..<3].joined())
        let spacing = grid.spacingMm
        let dims: [Int64] = [Int64(grid.size[0]), Int64(grid.size[1]), Int64(grid.size[2]), Int64(frames)]
        let pixdim: [Double] = spacing + [is4D ? frameIntervalMs : 0]
        let units = Int32(CRT_NIFTI_UNITS_MM) | (is4D ? Int32(CRT_NIFTI_UNITS_MSEC) : 0)
        // The descrip field is 80 bytes of text: keep ASCII, at most 79 bytes plus the terminating NUL.
        let descrip = String(String(description.unicodeScalars.map { $0.isASCII ? Character($0) : "?" }).prefix(79))

        try FileOutput.writeAtomically(to: path) { temporary in
            var err = [CChar](repeating: 0, count: errorCapacity)
            let status = crt_nifti_write(temporary, is4D ? 4 : 3, dims, datatype, pixdim, units, affine,
                                         bytes.baseAddress, descrip, &err, err.count)
            if status != 0 { throw OutputError("\(path): \(message(err))") }
        }
    }
}
