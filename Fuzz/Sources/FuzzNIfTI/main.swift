import FuzzSupport
import ImageIO

/// NIfTI reader: the input is written to `<scratch>/image.nii.gz` when it starts with the gzip magic bytes
/// (1f 8b), else to `<scratch>/image.nii`, and read by `NIfTI.read` (header sniffing, niftilib's header parser,
/// voxel loading and conversion to float32).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b
    let path = FuzzSupport.write(data, size, name: gz ? "image.nii.gz" : "image.nii")
    FuzzSupport.attempt { try NIfTI.read(path) }
    return 0
}
