import FuzzSupport
import ImageIO

/// NIfTI reader: the input is written to `<scratch>/image.nii.gz` when it starts with the gzip magic bytes
/// (1f 8b), else to `<scratch>/image.nii`, and read by `NIfTI.read` (header sniffing, niftilib's header parser,
/// voxel loading and conversion to float32).
///
/// Besides crashes, a successful read that breaks what `NIfTI.read` documents is a finding: it traps here when the
/// volume has NaN or infinite voxels, a singular or non-finite affine, or a voxel count that does not match.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b
    let path = FuzzSupport.write(data, size, name: gz ? "image.nii.gz" : "image.nii")
    FuzzSupport.attempt {
        let v = try NIfTI.read(path)
        precondition(v.data.allSatisfy(\.isFinite), "NIfTI.read returned non-finite voxels")
        let affine = v.grid.patientFromVoxel.matrix4x4.joined()
        precondition(affine.allSatisfy(\.isFinite), "NIfTI.read returned a non-finite affine \(Array(affine))")
        let det = v.grid.patientFromVoxel.linear.determinant
        precondition(det != 0 && det.isFinite, "NIfTI.read returned a singular affine")
        precondition(v.grid.size.count == 3 && v.grid.size.allSatisfy { $0 >= 1 } && v.frames >= 1
                     && v.data.count == v.grid.voxelCount * v.frames, "NIfTI.read returned inconsistent sizes")
    }
    return 0
}
