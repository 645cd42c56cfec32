import CPNGShim
import CRTCore
import Foundation

/// 16-bit greyscale PNG files (libpng, behind the `CPNGShim` C target). The bytes depend only on the pixels.
public enum PNG16 {
    /// Writes `pixels` (width * height values, row by row from the top) atomically.
    /// - Throws: `OutputError` naming the file.
    public static func write(pixels: [UInt16], width: Int, height: Int, to path: String) throws {
        precondition(pixels.count == width * height, "pixel count does not match the size")
        try FileOutput.writeAtomically(to: path) { tmp in
            var err = [CChar](repeating: 0, count: 256)
            let rc = pixels.withUnsafeBufferPointer { crt_png_write_gray16(tmp, $0.baseAddress, Int32(width), Int32(height), &err, err.count) }
            if rc != 0 {
                let end = err.firstIndex(of: 0) ?? err.count
                throw OutputError("\(path): \(String(decoding: err[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            }
        }
    }

    /// Writes a float image mapped linearly from `window` (lo maps to 0, hi to 65535, clamped); with
    /// `inverted`, lo maps to 65535 (dense is dark, as fluoroscopy is shown).
    public static func write(image: [Float], width: Int, height: Int, window: (lo: Float, hi: Float),
                             inverted: Bool = false, to path: String) throws {
        let span = max(window.hi - window.lo, 1e-12)
        let px = image.map { v -> UInt16 in
            var f = (v - window.lo) / span
            f = min(max(f, 0), 1)
            if inverted { f = 1 - f }
            return UInt16((f * 65535).rounded())
        }
        try write(pixels: px, width: width, height: height, to: path)
    }
}
