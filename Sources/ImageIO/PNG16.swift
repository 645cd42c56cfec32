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

/// An 8-bit RGBA image read from a PNG file (any PNG colour type and depth, converted by libpng).
public struct RGBAImage: Sendable {
    public var width: Int
    public var height: Int
    /// width * height * 4 bytes (red, green, blue, alpha), row by row from the top.
    public var pixels: [UInt8]

    /// The (red, green, blue) of pixel (x, y), x to the right and y down from the top-left corner.
    public func rgb(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 4
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Reads `path`.
    /// - Throws: `InputError` naming the file when it is missing or not a PNG.
    public static func readPNG(_ path: String) throws -> RGBAImage {
        var err = [CChar](repeating: 0, count: 256)
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var w: Int32 = 0, h: Int32 = 0
        guard crt_png_read_rgba8(path, &buffer, &w, &h, &err, err.count) == 0, let buffer else {
            let end = err.firstIndex(of: 0) ?? err.count
            throw InputError("\(path): \(String(decoding: err[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        defer { crt_png_free(buffer) }
        let count = Int(w) * Int(h) * 4
        return RGBAImage(width: Int(w), height: Int(h), pixels: Array(UnsafeBufferPointer(start: buffer, count: count)))
    }
}
