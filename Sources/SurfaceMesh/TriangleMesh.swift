import CRTCore

/// A triangle surface with per-vertex attributes, in patient coordinates (DICOM LPS, mm).
///
/// Closed surfaces are wound so that every triangle's normal `(b - a) x (c - a)` points outwards; then
/// `signedVolumeMm3` is positive. Attributes hold one value per vertex; writers emit them sorted by name so that
/// the same mesh always gives the same bytes. (Not `Equatable`: NaN attribute values would make a mesh unequal to
/// itself.)
public struct TriangleMesh: Sendable {
    /// Vertex positions (patient LPS, mm).
    public var vertices: [Vec3]
    /// Vertex indices (0-based) of each triangle, counter-clockwise seen from outside.
    public var triangles: [SIMD3<Int32>]
    /// Integer attributes, one value per vertex (for example "segment36", "slice").
    public var intAttributes: [String: [Int32]]
    /// Real attributes, one value per vertex; NaN means "not measured" (for example "scarTransmurality").
    public var scalarAttributes: [String: [Float]]

    public init(vertices: [Vec3] = [], triangles: [SIMD3<Int32>] = [],
                intAttributes: [String: [Int32]] = [:], scalarAttributes: [String: [Float]] = [:]) {
        self.vertices = vertices; self.triangles = triangles
        self.intAttributes = intAttributes; self.scalarAttributes = scalarAttributes
    }

    /// Value of an integer attribute where a mesh being merged lacks it.
    public static let missingInt: Int32 = 0
    /// Value of a real attribute where a mesh being merged lacks it.
    public static let missingScalar: Float = .nan

    /// The three corners of triangle `t` (mm).
    public func corners(of t: Int) -> (Vec3, Vec3, Vec3) {
        let tri = triangles[t]
        return (vertices[Int(tri.x)], vertices[Int(tri.y)], vertices[Int(tri.z)])
    }

    /// Unnormalised normal of triangle `t`, `(b - a) x (c - a)`: its length is twice the area (mm2).
    public func areaVector(of t: Int) -> Vec3 {
        let (a, b, c) = corners(of: t)
        return (b - a).cross(c - a)
    }

    /// Total surface area (mm2): sum of the triangle areas.
    public var areaMm2: Double {
        triangles.indices.reduce(0) { $0 + areaVector(of: $1).length / 2 }
    }

    /// Enclosed volume (mm3) by the divergence theorem: the sum over triangles of `a . (b x c) / 6`. Positive for a
    /// closed, outward-wound surface; meaningless for an open one (it then depends on the origin).
    public var signedVolumeMm3: Double {
        triangles.indices.reduce(0) { sum, t in
            let (a, b, c) = corners(of: t)
            return sum + a.dot(b.cross(c)) / 6
        }
    }

    /// How the triangles share their edges.
    public struct EdgeReport: Sendable, Equatable {
        /// Edges used by exactly one triangle (the rim of an open surface).
        public var boundaryEdges: Int
        /// Edges used by three or more triangles.
        public var nonManifoldEdges: Int
        /// Edges shared by two triangles that traverse it in the same direction (inconsistent winding).
        public var inconsistentEdges: Int

        public init(boundaryEdges: Int, nonManifoldEdges: Int, inconsistentEdges: Int) {
            self.boundaryEdges = boundaryEdges; self.nonManifoldEdges = nonManifoldEdges
            self.inconsistentEdges = inconsistentEdges
        }
        /// The report of a closed, consistently wound, edge-manifold surface.
        public static let closed = EdgeReport(boundaryEdges: 0, nonManifoldEdges: 0, inconsistentEdges: 0)
    }

    /// Counts boundary, non-manifold and inconsistently wound edges (method: one pass over the directed edges).
    public var edgeReport: EdgeReport {
        // Key: the undirected edge (low index, high index); value: uses from low to high, uses from high to low.
        var uses: [SIMD2<Int32>: SIMD2<Int32>] = [:]
        for tri in triangles {
            for (a, b) in [(tri.x, tri.y), (tri.y, tri.z), (tri.z, tri.x)] {
                let key = SIMD2(min(a, b), max(a, b))
                uses[key, default: .zero] &+= a < b ? SIMD2(1, 0) : SIMD2(0, 1)
            }
        }
        var report = EdgeReport.closed
        for use in uses.values {
            switch use.x + use.y {
            case 1: report.boundaryEdges += 1
            case 2: if use.x != 1 { report.inconsistentEdges += 1 }
            default: report.nonManifoldEdges += 1
            }
        }
        return report
    }

    /// True when every edge is shared by at most two triangles, wound consistently.
    public var isEdgeManifold: Bool {
        let r = edgeReport
        return r.nonManifoldEdges == 0 && r.inconsistentEdges == 0
    }

    /// True when every edge is shared by exactly two triangles that traverse it in opposite directions (a closed,
    /// consistently wound, edge-manifold surface).
    public var isClosed: Bool { edgeReport == .closed }

    /// Appends `other`: its vertices follow this mesh's, its triangles are re-indexed. An attribute held by only one
    /// of the two meshes is filled with `missingInt` / `missingScalar` on the other's vertices.
    public mutating func merge(_ other: TriangleMesh) {
        let offset = Int32(vertices.count)
        for name in Set(intAttributes.keys).union(other.intAttributes.keys) {
            intAttributes[name] = (intAttributes[name] ?? Array(repeating: Self.missingInt, count: vertices.count))
                + (other.intAttributes[name] ?? Array(repeating: Self.missingInt, count: other.vertices.count))
        }
        for name in Set(scalarAttributes.keys).union(other.scalarAttributes.keys) {
            scalarAttributes[name] =
                (scalarAttributes[name] ?? Array(repeating: Self.missingScalar, count: vertices.count))
                + (other.scalarAttributes[name] ?? Array(repeating: Self.missingScalar, count: other.vertices.count))
        }
        vertices += other.vertices
        triangles += other.triangles.map { $0 &+ SIMD3(repeating: offset) }
    }

    /// This mesh followed by `other` (see `merge(_:)`).
    public func merged(with other: TriangleMesh) -> TriangleMesh {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// Sets a real attribute from one value per vertex.
    /// - Precondition: `values.count == vertices.count`.
    public mutating func setScalar(_ name: String, perVertex values: [Float]) {
        precondition(values.count == vertices.count,
                     "attribute \(name): \(values.count) values for \(vertices.count) vertices")
        scalarAttributes[name] = values
    }

    /// Paints a per-segment quantity on the vertices through their segment attribute: a vertex of segment id
    /// gets `perSegment[id - 1]` (for example `mesh.setScalar("activationTimeMs", perSegment: times)`).
    /// - Parameters:
    ///   - name: the real attribute to set (replaced if present).
    ///   - perSegment: one value per segment, index id - 1 (36 for "segment36"); nil = not measured.
    ///   - missing: value of vertices whose segment is nil, 0 (apical and basal caps) or beyond `perSegment`.
    ///   - segmentAttribute: integer attribute holding each vertex's segment id.
    /// - Precondition: the mesh has `segmentAttribute`.
    public mutating func setScalar(_ name: String, perSegment: [Double?], missing: Float = .nan,
                                   segmentAttribute: String = LVSurfaceBuilder.segmentAttribute) {
        guard let ids = intAttributes[segmentAttribute] else {
            preconditionFailure("setScalar(\(name)): the mesh has no integer attribute \(segmentAttribute)")
        }
        scalarAttributes[name] = ids.map { id in
            guard id >= 1, Int(id) <= perSegment.count, let value = perSegment[Int(id) - 1] else { return missing }
            return Float(value)
        }
    }
}
