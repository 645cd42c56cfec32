import FuzzSupport
import HeartPhantom

/// Phantom reader: the input as the text of a phantom YAML file (Phantoms/*.yaml). Inputs that are not UTF-8
/// are skipped (the CLI reads phantom files as UTF-8 text and reports other bytes before the reader runs).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = FuzzSupport.text(data, size) else { return 0 }
    FuzzSupport.attempt { try PhantomSpec.load(yaml: text, file: "fuzz.yaml") }
    return 0
}
