import FuzzSupport
import ImageIO

/// acquisition.json reader: the input is written to `<scratch>/acquisition.json` and read by
/// `CMRAcquisition.load` (JSON decoding, then the geometry checks of both series).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzSupport.write(data, size, name: "acquisition.json")
    FuzzSupport.attempt { try CMRAcquisition.load(path) }
    return 0
}
