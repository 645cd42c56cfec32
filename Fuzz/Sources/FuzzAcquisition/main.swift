import FuzzSupport
import ImageIO

/// acquisition.json reader: the input is written to `<scratch>/acquisition.json` and read by
/// `CMRAcquisition.load` (JSON decoding, then the geometry checks of every series: cine, LGE and the optional
/// long-axis views). A successful load must give every series' image grid without error (what `validate()`
/// promises); otherwise this target traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzSupport.write(data, size, name: "acquisition.json")
    FuzzSupport.attempt {
        let a = try CMRAcquisition.load(path)
        for (_, series) in a.allSeries {
            let grid = try? series.grid()
            precondition(grid != nil, "CMRAcquisition.load accepted a series whose grid() throws")
            if let g = grid {
                precondition(g.patientFromVoxel.matrix4x4.joined().allSatisfy(\.isFinite), "non-finite grid affine")
            }
        }
    }
    return 0
}
