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

/// Copies a figure a test wrote to the folder named by the environment variable `CRTSIM_FIGURE_SAMPLES` (created
/// if needed), so the figures can be looked at; does nothing when the variable is unset.
func keepSample(_ path: String, as name: String) throws {
    guard let folder = ProcessInfo.processInfo.environment["CRTSIM_FIGURE_SAMPLES"], !folder.isEmpty else { return }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let target = (folder as NSString).appendingPathComponent(name)
    try? FileManager.default.removeItem(atPath: target)
    try FileManager.default.copyItem(atPath: path, toPath: target)
}

/// A plausible dyssynchronous (LBBB-like) left ventricle for sample figures: septum early, lateral wall late,
/// an inferior basal-to-mid scar, strain curves with a 50 %-of-peak activation time per segment.
enum SampleHeart {
    /// Cardiac cycle (ms) and cine frames.
    static let rrMs = 900.0
    static let frameCount = 30
    static var frameTimesMs: [Double] { (0..<frameCount).map { Double($0) * rrMs / Double(frameCount) } }
    static let scarred: Set<Int> = [7, 8, 19, 20]

    /// Mechanical onset (ms): earliest at the septum (segment angle 60), latest at the lateral wall (240),
    /// later towards the base.
    static func onsetMs(id: Int) -> Double {
        let ring = (id - 1) / 12, a = 300 + 30 * Double((id - 1) % 12) + 15
        let phase = (1 - cos((a - 60) * .pi / 180)) / 2
        return 40 + 110 * phase + 12 * Double(2 - ring)
    }

    /// Systolic peak radial strain (fraction): 0.40 healthy, 0.06 scarred, lower towards the apex.
    static func peakStrain(id: Int) -> Double {
        let ring = (id - 1) / 12
        return scarred.contains(id) ? 0.06 : 0.42 - 0.05 * Double(ring) + 0.02 * sin(Double(id))
    }

    /// Radial strain (fraction) at time t: a smooth rise from onset over 260 ms, relaxation from 480 ms.
    static func strain(id: Int, t: Double) -> Double {
        let rise = min(max((t - onsetMs(id: id)) / 260, 0), 1)
        let relax = min(max((t - 480 - onsetMs(id: id) * 0.3) / 220, 0), 1)
        let shape = (1 - cos(rise * .pi)) / 2 * (1 + cos(relax * .pi)) / 2
        return peakStrain(id: id) * shape
    }

    /// Strain per frame (frames x 36); segment 36 not measured.
    static var radialStrain: [[Double?]] {
        frameTimesMs.map { t in (1...36).map { $0 == 36 ? nil : strain(id: $0, t: t) } }
    }

    /// First time (ms) the strain reaches half its peak (sampled finely), nil for the unmeasured segment.
    static var activationTimesMs: [Double?] {
        (1...36).map { id in
            id == 36 ? nil
                : stride(from: 0.0, to: rrMs, by: 1).first { strain(id: id, t: $0) >= peakStrain(id: id) / 2 }
        }
    }

    /// The 3 latest eligible (not scarred, peak >= 10 %, measured) segments, latest first.
    static var lmaTargets: [Int] {
        let act = activationTimesMs
        return (1...36).filter { !scarred.contains($0) && peakStrain(id: $0) >= 0.10 && act[$0 - 1] != nil }
            .sorted { act[$0 - 1]! > act[$1 - 1]! }.prefix(3).map { $0 }
    }

    /// A truncated prolate-spheroid LV surface (mm): base at z = 0, apex at z = -80, semi-axis 27 mm; the segment
    /// angle turns right-handed about the base-to-apex axis (-z) from +y. Returns vertices, triangles and the
    /// segment id per vertex (0 for the apical cap, the last tenth of the length).
    static func mesh(around: Int = 48, along: Int = 24) -> (vertices: [[Double]], triangles: [[Int]], segments: [Int]) {
        var vertices: [[Double]] = [], segments: [Int] = [], triangles: [[Int]] = []
        let length = 80.0, radius = 27.0
        for j in 0...along {
            let u = Double(j) / Double(along)             // 0 base ... 1 apex
            let polar = u * .pi / 2
            let r = radius * cos(polar), z = -length * sin(polar)
            let depth = -z / length                          // fraction of the long axis from the base
            for i in 0..<around {
                let a = 360 * (Double(i) + 0.5) / Double(around)
                // Right-handed about -z: from +y towards +x.
                let rad = a * .pi / 180
                vertices.append([r * sin(rad), r * cos(rad), z])
                let ring = depth < 0.3 ? 0 : depth < 0.6 ? 1 : depth < 0.9 ? 2 : -1
                segments.append(ring < 0 ? 0 : 12 * ring + ((Int(a / 30) + 2) % 12) + 1)
            }
        }
        for j in 0..<along {
            for i in 0..<around {
                let a = j * around + i, b = j * around + (i + 1) % around
                triangles.append([a, b, a + around]); triangles.append([b, b + around, a + around])
            }
        }
        return (vertices, triangles, segments)
    }
}
