import CRTCore
import Foundation
import SurfaceMesh
import Testing

extension Tag {
    /// Runs in well under a second.
    @Tag static var fast: Self
}

/// Tolerances named once, used by every test in this target.
enum Tolerance {
    /// Closed endocardial mesh volume against the analytic ellipsoid segment (relative).
    static let ellipsoidVolumeRelative = 0.03
    /// Double arithmetic on positions of a few hundred mm (mm).
    static let doubleArithmeticMm = 1e-9
    /// Largest distance of a resampled ring vertex from the true circle (mm): linear interpolation between rays of
    /// a 36-ray circle of radius 25 mm sags at most r (1 - cos(pi / 36)) = 0.095 mm.
    static let resampledRadiusMm = 0.1
}

/// A stack of circular short-axis contours on a prolate ellipsoid cavity (semi-axes `a` across, `c` along the
/// long axis), cut by a basal plane below the equator; the epicardium lies `wallMm` outside the endocardium.
/// Its volume and segment ids are known in closed form. The long axis is oblique in LPS so that no code can rely
/// on axis-aligned frames.
struct EllipsoidStack {
    static let a = 25.0, c = 70.0, wallMm = 10.0
    static let sliceCount = 10, rayCount = 72
    /// Long-axis positions (mm from the ellipsoid centre, towards the apex) of the basal and the last slice.
    static let baseU = -0.2 * c, lastU = 0.9 * c
    static let centreMm = Vec3(12.5, -30.25, 48.0)
    static let baseToApex = Vec3(0.55, -0.45, -0.70).normalized
    static let axisU = Vec3(1, 1, 0).cross(baseToApex).normalized
    static let axisV = baseToApex.cross(axisU)
    /// Rays 0..<scarRays carry this transmurality, the others none.
    static let scarRays = 10, scarTransmurality = 0.5

    static func u(ofSlice s: Int) -> Double { baseU + Double(s) * (lastU - baseU) / Double(sliceCount - 1) }
    static func endoRadius(atU u: Double) -> Double { a * (1 - u * u / (c * c)).squareRoot() }
    /// Ring 0-2 of slice s: the basal 4 slices, the mid 3, the apical 3.
    static func ring(ofSlice s: Int) -> Int { s < 4 ? 0 : s < 7 ? 1 : 2 }
    /// 36-segment id of ray r on slice s (DOMAIN section 2: id = 12 ring + ((floor(angle / 30) + 2) mod 12) + 1).
    static func segmentId(slice s: Int, ray r: Int, rayCount n: Int = rayCount) -> Int {
        let angle = 360.0 * Double(r) / Double(n)
        return 12 * ring(ofSlice: s) + ((Int(angle / 30) + 2) % 12) + 1
    }

    /// Analytic cavity volume between the basal plane and the apex (mm3): pi a^2 [(c - u0) - (c^3 - u0^3) / 3c^2].
    static var endocardialVolumeMm3: Double {
        Double.pi * a * a * ((c - baseU) - (c * c * c - baseU * baseU * baseU) / (3 * c * c))
    }

    /// A point inside the (convex) cavity, on the long axis half way to the apex.
    static var interiorPointMm: Vec3 { centreMm + (0.5 * c) * baseToApex }

    static func slice(_ s: Int, rayCount n: Int = rayCount) -> SliceContour {
        let endo = endoRadius(atU: u(ofSlice: s))
        return SliceContour(
            centreMm: centreMm + u(ofSlice: s) * baseToApex, axisU: axisU, axisV: axisV,
            endoRadiiMm: Array(repeating: endo, count: n), epiRadiiMm: Array(repeating: endo + wallMm, count: n),
            segmentIds: (0..<n).map { segmentId(slice: s, ray: $0, rayCount: n) },
            scarTransmurality: (0..<n).map { $0 < scarRays * n / rayCount ? scarTransmurality : 0 })
    }

    static func stack(rayCounts: [Int] = Array(repeating: rayCount, count: sliceCount)) -> WallContourStack {
        WallContourStack(slices: rayCounts.enumerated().map { slice($0.offset, rayCount: $0.element) },
                         baseToApex: baseToApex,
                         epicardialApexMm: centreMm + (c + wallMm) * baseToApex,
                         endocardialApexMm: centreMm + c * baseToApex)
    }
}

/// A fresh folder under the system temporary folder, removed by `cleanup()`.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("crtsim-surfacemesh-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A PLY file as read back by `PLYReader`.
struct ParsedPLY {
    var comments: [String] = []
    var vertices: [SIMD3<Float>] = []
    var intProperties: [String: [Int32]] = [:]
    var floatProperties: [String: [Float]] = [:]
    var propertyOrder: [String] = []
    var faces: [SIMD3<Int32>] = []
}

/// A minimal reader for what `writePLY` produces (binary little-endian, vertex float/int properties, triangle
/// faces as list uchar int), written from the PLY specification independently of the writer.
enum PLYReader {
    struct Failure: Error { let message: String }

    static func parse(_ data: Data) throws -> ParsedPLY {
        let bytes = [UInt8](data)
        let marker = Array("end_header\n".utf8)
        guard let end = (0...(bytes.count - marker.count)).first(where: { Array(bytes[$0..<$0 + marker.count]) == marker })
        else { throw Failure(message: "no end_header") }
        let header = String(decoding: bytes[0..<end], as: UTF8.self).split(separator: "\n").map(String.init)
        guard header.first == "ply", header.dropFirst().first == "format binary_little_endian 1.0" else {
            throw Failure(message: "not binary little-endian PLY: \(header.prefix(2))")
        }
        var result = ParsedPLY()
        var vertexCount = 0, faceCount = 0, element = ""
        var vertexProperties: [(type: String, name: String)] = []
        for line in header.dropFirst(2) {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case "comment": result.comments.append(words.dropFirst().joined(separator: " "))
            case "element":
                element = words[1]
                if element == "vertex" { vertexCount = Int(words[2])! } else { faceCount = Int(words[2])! }
            case "property" where element == "vertex": vertexProperties.append((words[1], words[2]))
            case "property":
                guard words == ["property", "list", "uchar", "int", "vertex_indices"] else {
                    throw Failure(message: "unexpected face property: \(line)")
                }
            default: throw Failure(message: "unexpected header line: \(line)")
            }
        }
        result.propertyOrder = vertexProperties.map(\.name)
        var offset = end + marker.count
        func next<T: FixedWidthInteger>(_: T.Type) -> T {
            var value = T.zero
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<offset + MemoryLayout<T>.size]) }
            offset += MemoryLayout<T>.size
            return T(littleEndian: value)
        }
        for _ in 0..<vertexCount {
            var xyz = SIMD3<Float>()
            for (type, name) in vertexProperties {
                switch (type, name) {
                case ("float", "x"): xyz.x = Float(bitPattern: next(UInt32.self))
                case ("float", "y"): xyz.y = Float(bitPattern: next(UInt32.self))
                case ("float", "z"): xyz.z = Float(bitPattern: next(UInt32.self))
                case ("float", _): result.floatProperties[name, default: []].append(Float(bitPattern: next(UInt32.self)))
                case ("int", _): result.intProperties[name, default: []].append(next(Int32.self))
                default: throw Failure(message: "unexpected property type \(type)")
                }
            }
            result.vertices.append(xyz)
        }
        for _ in 0..<faceCount {
            guard next(UInt8.self) == 3 else { throw Failure(message: "face is not a triangle") }
            result.faces.append(SIMD3(next(Int32.self), next(Int32.self), next(Int32.self)))
        }
        guard offset == bytes.count else { throw Failure(message: "\(bytes.count - offset) trailing bytes") }
        return result
    }
}

/// Sections of a legacy ASCII VTK POLYDATA file, read back as tokens.
struct ParsedVTK {
    var lines: [String]
    /// First two numbers after the keyword line starting with `keyword` (e.g. "POINTS n float", "POLYGONS n size").
    func counts(after keyword: String) -> [Int]? {
        lines.first { $0.hasPrefix(keyword + " ") }.map { $0.split(separator: " ").dropFirst().compactMap { Int($0) } }
    }
    /// The `count` lines that follow the header of `SCALARS name type 1` and its `LOOKUP_TABLE default`.
    func scalars(_ name: String, count: Int) -> [String]? {
        guard let i = lines.firstIndex(where: { $0.hasPrefix("SCALARS \(name) ") }), lines[i + 1] == "LOOKUP_TABLE default"
        else { return nil }
        return Array(lines[(i + 2)..<(i + 2 + count)])
    }
    /// The `count` lines after the line starting with `keyword`.
    func block(after keyword: String, count: Int) -> [String]? {
        guard let i = lines.firstIndex(where: { $0.hasPrefix(keyword + " ") }) else { return nil }
        return Array(lines[(i + 1)..<(i + 1 + count)])
    }
}

/// nil when `a` and `b` are equal, else a short description of the first difference (keeps failure messages
/// readable for arrays of thousands of values).
func firstMismatch<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    guard a.count == b.count else { return "\(a.count) values against \(b.count)" }
    return a.indices.first { a[$0] != b[$0] }.map { "index \($0): \(a[$0]) against \(b[$0])" }
}

extension EllipsoidStack {
    /// The endocardium of the ellipsoid stack with an activation time on every segment except each seventh (NaN
    /// there), as the mesh writer tests write it.
    static func annotatedEndocardium() -> TriangleMesh {
        var mesh = LVSurfaceBuilder.build(stack(), surface: .endocardium)
        mesh.setScalar("activationTimeMs", perSegment: (1...36).map { $0 % 7 == 0 ? nil : Double($0) * 3.25 })
        return mesh
    }
}
