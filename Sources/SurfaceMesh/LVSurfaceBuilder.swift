import Foundation
import CRTCore

/// Builds triangle meshes of the LV endocardium, epicardium or mid-wall from short-axis wall contours.
///
/// Method: each slice gives a ring of vertices (ray r at its radius along the ray direction, resampled by angle
/// to the first slice's ray count); consecutive rings are stitched into quads of two triangles. The apical end
/// closes on the apex point through `Options.apicalCapSteps` shrinking rings on a paraboloid (radius proportional
/// to the square root of the distance to the apex, the shape of an ellipsoid near its tip); one step is a plain
/// cone. The basal end is the valve plane: left open, or closed by a flat fan to the basal ring's centroid
/// (`Options.closesBase`) so that the surface encloses a volume. Triangles are wound outwards when, as
/// `SliceContour` documents, `axisU x axisV` points along `baseToApex`; a stack with the opposite handedness is
/// wound the other way so that normals still point outwards.
///
/// Per-vertex attributes: "segment36" (the ray's 36-segment id; 0 on cap vertices), "scarTransmurality" (the
/// ray's fraction of the wall, NaN on cap vertices) and "slice" (the slice index from the base, -1 on caps).
public enum LVSurfaceBuilder {
    /// Which wall surface to build.
    public enum Surface: String, Sendable, Codable, CaseIterable {
        /// Outer wall: epicardial radii, closes at `epicardialApexMm`.
        case epicardium
        /// Cavity wall: endocardial radii, closes at `endocardialApexMm`.
        case endocardium
        /// Half way between the two: mean radius, closes at the mean of the two apex points.
        case midWall
    }

    /// How the surface ends at the apex and at the base.
    public struct Options: Sendable, Codable, Equatable {
        /// Steps from the most apical slice ring to the apex point (>= 1): 1 is a cone (a plain fan), more give a
        /// rounded paraboloid cap with `apicalCapSteps - 1` interpolated rings. Default 4.
        public var apicalCapSteps: Int
        /// Closes the basal ring with a flat fan to its centroid (for volumes). Default false: the valve plane is
        /// left open.
        public var closesBase: Bool

        public init(apicalCapSteps: Int = 4, closesBase: Bool = false) {
            self.apicalCapSteps = apicalCapSteps; self.closesBase = closesBase
        }
    }

    /// Integer attribute: 36-segment id of each vertex (0 = caps).
    public static let segmentAttribute = "segment36"
    /// Real attribute: scar transmurality (fraction of the wall, 0-1; NaN = caps).
    public static let scarAttribute = "scarTransmurality"
    /// Integer attribute: index of the slice (0 = most basal) a vertex lies on; `capSlice` on caps.
    public static let sliceAttribute = "slice"
    /// "slice" value of vertices that lie on no slice (apical and basal caps).
    public static let capSlice: Int32 = -1
    /// Fewest rays that make a ring.
    public static let minimumRayCount = 3

    /// Builds one wall surface from a contour stack.
    /// - Parameters:
    ///   - stack: contours ordered from base to apex (patient LPS, mm).
    ///   - surface: endocardium, epicardium or mid-wall.
    ///   - options: apical cap shape and basal closure.
    /// - Returns: the surface in patient LPS mm with "segment36", "scarTransmurality" and "slice" attributes; an
    ///   empty mesh when the stack has no slice or the first slice has fewer than `minimumRayCount` rays.
    public static func build(_ stack: WallContourStack, surface: Surface, options: Options = Options()) -> TriangleMesh {
        guard let first = stack.slices.first, first.rayCount >= minimumRayCount else { return TriangleMesh() }
        precondition(options.apicalCapSteps >= 1, "apicalCapSteps must be at least 1")
        var builder = RingBuilder(rayCount: first.rayCount)

        for (index, slice) in stack.slices.enumerated() {
            builder.addSliceRing(slice, surface: surface, index: Int32(index))
            if index > 0 { builder.stitchLastTwoRings() }
        }

        let lastRing = builder.ringPoints(builder.ringCount - 1)
        let lastCentre = stack.slices[stack.slices.count - 1].centreMm
        let apex = apexPoint(of: stack, surface: surface)
        for step in 1..<options.apicalCapSteps {
            // Paraboloid: radius scale 1 - s, remaining distance to the apex (1 - s)^2.
            let s = Double(step) / Double(options.apicalCapSteps)
            let towardsApex = 1 - (1 - s) * (1 - s)
            let centre = lastCentre + towardsApex * (apex - lastCentre)
            builder.addCapRing(lastRing.map { centre + (1 - s) * ($0 - lastCentre) })
            builder.stitchLastTwoRings()
        }
        builder.closeLastRing(at: apex)
        if options.closesBase {
            let basalRing = builder.ringPoints(0)
            let centroid = basalRing.reduce(Vec3.zero, +) / Double(basalRing.count)
            builder.closeFirstRing(at: centroid)
        }

        if first.axisU.cross(first.axisV).dot(stack.baseToApex) < 0 { builder.reverseWinding() }
        return builder.finished
    }

    /// Where `surface` closes at the apex (patient LPS, mm).
    static func apexPoint(of stack: WallContourStack, surface: Surface) -> Vec3 {
        switch surface {
        case .endocardium: stack.endocardialApexMm
        case .epicardium: stack.epicardialApexMm
        case .midWall: (stack.endocardialApexMm + stack.epicardialApexMm) / 2
        }
    }
}

extension SliceContour {
    /// Unit direction at angle `theta` (radians) from `axisU` towards `axisV`; `direction(ofRay:)` at ray angles.
    public func direction(atAngle theta: Double) -> Vec3 { axisU * cos(theta) + axisV * sin(theta) }

    /// Wall radius of `surface` on ray r (mm).
    func radius(ofRay r: Int, surface: LVSurfaceBuilder.Surface) -> Double {
        switch surface {
        case .endocardium: endoRadiiMm[r]
        case .epicardium: epiRadiiMm[r]
        case .midWall: (endoRadiiMm[r] + epiRadiiMm[r]) / 2
        }
    }
}

/// Accumulates rings of `rayCount` vertices with their attributes and the triangles between them.
private struct RingBuilder {
    let rayCount: Int
    var mesh = TriangleMesh()
    private var segments: [Int32] = []
    private var scar: [Float] = []
    private var sliceIndex: [Int32] = []
    /// Index of the first vertex of each ring.
    private var ringStarts: [Int] = []

    init(rayCount: Int) { self.rayCount = rayCount }

    var ringCount: Int { ringStarts.count }

    func ringPoints(_ ring: Int) -> [Vec3] {
        Array(mesh.vertices[ringStarts[ring]..<ringStarts[ring] + rayCount])
    }

    /// Adds the ring of one slice at the reference ray angles `2 pi r / rayCount`. A slice with another ray count
    /// is resampled by angle: radius and scar linearly between its two nearest rays, segment from the nearest ray
    /// (half way between two rays, the lower-angle one).
    mutating func addSliceRing(_ slice: SliceContour, surface: LVSurfaceBuilder.Surface, index: Int32) {
        let sliceRays = slice.rayCount
        precondition(sliceRays >= LVSurfaceBuilder.minimumRayCount, "slice \(index) has \(sliceRays) rays")
        ringStarts.append(mesh.vertices.count)
        for r in 0..<rayCount {
            let theta = 2 * Double.pi * Double(r) / Double(rayCount)
            let position = Double(r) * Double(sliceRays) / Double(rayCount)  // fractional ray index in the slice
            let lower = Int(position.rounded(.down)) % sliceRays, upper = (lower + 1) % sliceRays
            let weight = position - position.rounded(.down)
            let nearest = Int((position - 0.5).rounded(.up)) % sliceRays  // ties go to the lower-angle ray
            let radius = lerp(slice.radius(ofRay: lower, surface: surface),
                              slice.radius(ofRay: upper, surface: surface), weight)
            mesh.vertices.append(slice.centreMm + radius * slice.direction(atAngle: theta))
            segments.append(Int32(slice.segmentIds[nearest]))
            scar.append(Float(lerp(slice.scarTransmurality[lower], slice.scarTransmurality[upper], weight)))
            sliceIndex.append(index)
        }
    }

    /// Adds a ring that lies on no slice (cap attributes).
    mutating func addCapRing(_ points: [Vec3]) {
        ringStarts.append(mesh.vertices.count)
        for p in points { addCapVertex(p) }
    }

    private mutating func addCapVertex(_ p: Vec3) {
        mesh.vertices.append(p)
        segments.append(0)
        scar.append(.nan)
        sliceIndex.append(LVSurfaceBuilder.capSlice)
    }

    /// Quads between the last two rings, wound outwards: the ray angle turns right-handed about base-to-apex.
    mutating func stitchLastTwoRings() {
        let basal = ringStarts[ringCount - 2], apical = ringStarts[ringCount - 1]
        for r in 0..<rayCount {
            let next = (r + 1) % rayCount
            appendTriangle(basal + r, basal + next, apical + r)
            appendTriangle(basal + next, apical + next, apical + r)
        }
    }

    /// Fan from the last ring to an apical point.
    mutating func closeLastRing(at apex: Vec3) {
        let ring = ringStarts[ringCount - 1], tip = mesh.vertices.count
        addCapVertex(apex)
        for r in 0..<rayCount { appendTriangle(ring + r, ring + (r + 1) % rayCount, tip) }
    }

    /// Fan from the first (basal) ring to a point in the valve plane, facing away from the apex.
    mutating func closeFirstRing(at centre: Vec3) {
        let ring = ringStarts[0], hub = mesh.vertices.count
        addCapVertex(centre)
        for r in 0..<rayCount { appendTriangle(ring + (r + 1) % rayCount, ring + r, hub) }
    }

    mutating func reverseWinding() {
        mesh.triangles = mesh.triangles.map { SIMD3($0.x, $0.z, $0.y) }
    }

    private mutating func appendTriangle(_ a: Int, _ b: Int, _ c: Int) {
        mesh.triangles.append(SIMD3(Int32(a), Int32(b), Int32(c)))
    }

    /// The mesh with its attributes attached.
    var finished: TriangleMesh {
        var result = mesh
        result.intAttributes[LVSurfaceBuilder.segmentAttribute] = segments
        result.intAttributes[LVSurfaceBuilder.sliceAttribute] = sliceIndex
        result.scalarAttributes[LVSurfaceBuilder.scarAttribute] = scar
        return result
    }
}
