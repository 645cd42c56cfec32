import CRTCore
import Foundation

/// Contours drawn by an operator, used instead of the automatic ones on their slices (`--contours FILE`).
///
/// File format (JSON, patient LPS mm):
/// `{"frame": 0, "slices": [{"sliceIndex": 4, "endocardiumMm": [[x, y, z], ...], "epicardiumMm": [[x, y, z], ...]}]}`
/// `frame` is the cine phase the contours were drawn on (default 0); `sliceIndex` the slice in cine.nii.gz. Points are
/// projected onto the slice plane; each contour must close around the slice's LV centre (every ray from it
/// crosses the contour) and have at least `minimumPoints` points. The correction (manual minus automatic radius,
/// per ray) is carried to every other phase, so the tracking follows the operator's border.
public struct ManualContours: Codable, Sendable {
    public struct Slice: Codable, Sendable {
        public var sliceIndex: Int
        public var endocardiumMm: [Vec3]?
        public var epicardiumMm: [Vec3]?
        public init(sliceIndex: Int, endocardiumMm: [Vec3]?, epicardiumMm: [Vec3]?) {
            self.sliceIndex = sliceIndex; self.endocardiumMm = endocardiumMm; self.epicardiumMm = epicardiumMm
        }
    }
    public var frame: Int?
    public var slices: [Slice]
    public init(frame: Int?, slices: [Slice]) { self.frame = frame; self.slices = slices }

    public static let minimumPoints = 6

    /// Reads and checks the file's structure.
    public static func load(_ path: String) throws -> ManualContours {
        let data = try InputFile.read(path, what: "contours file (JSON)")
        do { return try JSONDecoder().decode(ManualContours.self, from: data) } catch {
            throw InputError("\(path): expected {\"frame\": N, \"slices\": [{\"sliceIndex\": K, \"endocardiumMm\": [[x, y, z], ...], \"epicardiumMm\": [...]}]}")
        }
    }

    /// Applies the contours to the tracked walls.
    func apply(to walls: inout [WallTracker.SliceWall], frames: Int, source: String) throws {
        let t = frame ?? 0
        guard (0..<frames).contains(t) else { throw InputError("\(source): frame: \(t) is out of range 0-\(frames - 1)") }
        for (n, s) in slices.enumerated() {
            guard let w = walls.firstIndex(where: { $0.slice == s.sliceIndex }) else {
                throw InputError("\(source): slices[\(n)].sliceIndex: \(s.sliceIndex) is not a slice where the LV was found "
                    + "(\(walls.map { String($0.slice) }.joined(separator: ", ")))")
            }
            for (name, points, isEndo) in [("endocardiumMm", s.endocardiumMm, true), ("epicardiumMm", s.epicardiumMm, false)] {
                guard let points else { continue }
                let field = "\(source): slices[\(n)].\(name)"
                guard points.count >= Self.minimumPoints, points.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) else {
                    throw InputError("\(field): need at least \(Self.minimumPoints) finite [x, y, z] points (mm)")
                }
                let wall = walls[w]
                let polygon = points.map { wall.plane.inPlane($0).position }
                var radii: [Double] = []
                for r in 0..<wall.rayCount {
                    guard let rho = ImageMorphology.rayExit(polygon: polygon, centre: wall.centres[t], direction: wall.direction(r)) else {
                        throw InputError("\(field): the contour does not close around the LV centre (ray \(r) of \(wall.rayCount) does not cross it)")
                    }
                    radii.append(rho)
                }
                for f in 0..<frames {
                    for r in 0..<wall.rayCount {
                        if isEndo {
                            walls[w].endo[f][r] = max(0, wall.endo[f][r] + radii[r] - wall.endo[t][r])
                        } else {
                            walls[w].epi[f][r] = max(walls[w].endo[f][r] + 0.5, wall.epi[f][r] + radii[r] - wall.epi[t][r])
                        }
                    }
                }
            }
        }
    }
}

/// An operator's redrawing of the automatic borders as radial offsets (mm, positive outwards) of the endo- and
/// epicardium, per cine slice a smooth function of the in-plane ray angle theta (the angle of
/// `WallTracker.SliceWall.direction`): offset(theta) = c[0] + sum_k (c[2k-1] cos(k theta) + c[2k] sin(k theta)).
/// The same offset is applied at every phase (the operator's border is carried through the cycle, as with
/// `ManualContours`); the endocardial radius stays >= 0 and the epicardium >= 0.5 mm outside the endocardium.
/// Slices without coefficients are left as they are. This is the hook through which a simulated second observer
/// draws their own contours (`Scenario.Observer`); it never reads the truth.
public struct ContourOffsets: Sendable, Equatable {
    /// Fourier coefficients (mm) per cine slice index: [c0, a1, b1, a2, b2, ...].
    public var endocardiumMm: [Int: [Double]]
    public var epicardiumMm: [Int: [Double]]
    public init(endocardiumMm: [Int: [Double]], epicardiumMm: [Int: [Double]]) {
        self.endocardiumMm = endocardiumMm; self.epicardiumMm = epicardiumMm
    }

    /// The offset (mm) of the coefficients `c` at the angle `theta` (radians).
    public static func offset(_ c: [Double], theta: Double) -> Double {
        guard let c0 = c.first else { return 0 }
        var v = c0, k = 1
        while 2 * k <= c.count - 1 {
            v += c[2 * k - 1] * cos(Double(k) * theta) + c[2 * k] * sin(Double(k) * theta)
            k += 1
        }
        return v
    }

    func apply(to walls: inout [WallTracker.SliceWall]) {
        for w in walls.indices {
            let s = walls[w].slice, rays = walls[w].rayCount
            let endo = endocardiumMm[s], epi = epicardiumMm[s]
            guard endo != nil || epi != nil else { continue }
            for r in 0..<rays {
                let theta = 2 * Double.pi * Double(r) / Double(rays)
                let dEndo = endo.map { Self.offset($0, theta: theta) } ?? 0
                let dEpi = epi.map { Self.offset($0, theta: theta) } ?? 0
                for f in walls[w].endo.indices {
                    walls[w].endo[f][r] = max(0, walls[w].endo[f][r] + dEndo)
                    walls[w].epi[f][r] = max(walls[w].endo[f][r] + 0.5, walls[w].epi[f][r] + dEpi)
                }
            }
        }
    }
}
