import CCairo
import Foundation
import Testing

extension Tag {
    /// Runs in well under a second.
    @Tag static var fast: Self
}

/// A PNG read back with cairo's own reader (`cairo_image_surface_create_from_png`), independent of how the
/// figure was drawn.
struct PNGPixels {
    let width: Int
    let height: Int
    /// Un-premultiplied 8-bit channels, row-major from the top-left.
    private let rgba: [(r: Int, g: Int, b: Int, a: Int)]

    init(path: String) throws {
        guard let surface = cairo_image_surface_create_from_png(path) else { throw ReadError("no surface") }
        defer { cairo_surface_destroy(surface) }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw ReadError("cannot read \(path): \(String(cString: cairo_status_to_string(status)))")
        }
        let format = cairo_image_surface_get_format(surface)
        guard format == CAIRO_FORMAT_RGB24 || format == CAIRO_FORMAT_ARGB32 else {
            throw ReadError("unexpected pixel format \(format.rawValue)")
        }
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        cairo_surface_flush(surface)
        guard let bytes = cairo_image_surface_get_data(surface) else { throw ReadError("no pixel data") }
        var out: [(r: Int, g: Int, b: Int, a: Int)] = []
        out.reserveCapacity(width * height)
        for y in 0..<height {
            let row = UnsafeRawPointer(bytes + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width {
                let p = row[x]
                let a = format == CAIRO_FORMAT_RGB24 ? 255 : Int(p >> 24)
                func channel(_ shift: UInt32) -> Int {
                    let c = Int((p >> shift) & 0xFF)
                    return a == 0 ? 0 : min(255, (c * 255 + a / 2) / a)
                }
                out.append((channel(16), channel(8), channel(0), a))
            }
        }
        rgba = out
    }

    func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int, a: Int) { rgba[y * width + x] }

    /// Number of pixels for which `predicate` holds.
    func count(where predicate: ((r: Int, g: Int, b: Int, a: Int)) -> Bool) -> Int {
        rgba.reduce(0) { $0 + (predicate($1) ? 1 : 0) }
    }

    struct ReadError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}

/// A fresh temporary folder for one test's outputs.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-figures-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
