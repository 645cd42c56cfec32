import CRTCore
import Foundation
import SurfaceMesh
import Testing

@Suite(.tags(.fast))
struct LVSurfaceBuilderTests {
    let stack = EllipsoidStack.stack()

    @Test("closed endocardium encloses the analytic ellipsoid-segment volume")
    func endocardialVolumeMatchesEllipsoid() {
        let expected = EllipsoidStack.endocardialVolumeMm3
        for steps in [1, 4] {
            let mesh = LVSurfaceBuilder.build(stack, surface: .endocardium,
                                              options: .init(apicalCapSteps: steps, closesBase: true))
            let relativeError = (mesh.signedVolumeMm3 - expected) / expected
            print("endocardial volume, apicalCapSteps \(steps): \(mesh.signedVolumeMm3 / 1000) mL, analytic "
                  + "\(expected / 1000) mL, relative error \(relativeError)")
            #expect(abs(relativeError) <= Tolerance.ellipsoidVolumeRelative, "apicalCapSteps \(steps)")
        }
    }

    @Test("base-capped surfaces are closed and edge-manifold with outward normals; open ones have one rim")
    func closedManifoldOutward() {
        for surface in LVSurfaceBuilder.Surface.allCases {
            let closed = LVSurfaceBuilder.build(stack, surface: surface, options: .init(closesBase: true))
            let closedEdges = closed.edgeReport, closedVolume = closed.signedVolumeMm3
            #expect(closedEdges == .closed, "\(surface)")
            let closedFlags = (closed.isClosed, closed.isEdgeManifold)
            #expect(closedFlags == (true, true), "\(surface)")
            let inward = closed.triangles.indices.filter { t in
                let (a, b, c) = closed.corners(of: t)
                return closed.areaVector(of: t).dot((a + b + c) / 3 - EllipsoidStack.interiorPointMm) <= 0
            }
            let triangleCount = closed.triangles.count
            #expect(inward.isEmpty, "\(surface): \(inward.count) of \(triangleCount) triangles face inwards")
            #expect(closedVolume > 0, "\(surface)")

            let open = LVSurfaceBuilder.build(stack, surface: surface)
            let openEdges = open.edgeReport
            #expect(openEdges == .init(boundaryEdges: EllipsoidStack.rayCount, nonManifoldEdges: 0,
                                       inconsistentEdges: 0), "\(surface): only the valve-plane rim is open")
            let openFlags = (open.isClosed, open.isEdgeManifold)
            #expect(openFlags == (false, true), "\(surface)")
        }
    }

    @Test("a stack with left-handed slice axes is still wound outwards")
    func leftHandedSlicesWoundOutwards() {
        var mirrored = stack
        for s in mirrored.slices.indices { mirrored.slices[s].axisV = -mirrored.slices[s].axisV }
        let mesh = LVSurfaceBuilder.build(mirrored, surface: .endocardium, options: .init(closesBase: true))
        let edges = mesh.edgeReport, volume = mesh.signedVolumeMm3
        #expect(edges == .closed)
        #expect(volume > 0)
    }

    @Test("vertex attributes follow the rays: segment ids, scar, slice index; caps are 0 / NaN / -1")
    func segmentAttributesEqualRayIds() throws {
        let mesh = LVSurfaceBuilder.build(stack, surface: .midWall, options: .init(closesBase: true))
        let segments = try #require(mesh.intAttributes[LVSurfaceBuilder.segmentAttribute])
        let slices = try #require(mesh.intAttributes[LVSurfaceBuilder.sliceAttribute])
        let scar = try #require(mesh.scalarAttributes[LVSurfaceBuilder.scarAttribute])
        let n = EllipsoidStack.rayCount
        for s in 0..<EllipsoidStack.sliceCount {
            for r in 0..<n {
                let v = s * n + r
                #expect(Int(segments[v]) == EllipsoidStack.segmentId(slice: s, ray: r), "slice \(s) ray \(r)")
                #expect(Int(slices[v]) == s)
                #expect(Double(scar[v]) == (r < EllipsoidStack.scarRays ? EllipsoidStack.scarTransmurality : 0))
            }
        }
        let caps = (EllipsoidStack.sliceCount * n)..<mesh.vertices.count
        #expect(!caps.isEmpty)
        #expect(caps.allSatisfy { segments[$0] == 0 && slices[$0] == LVSurfaceBuilder.capSlice && scar[$0].isNaN })
        #expect(Set(segments.filter { $0 != 0 }) == Set(1...36))
    }

    @Test("slices with other ray counts are resampled by angle to the first slice's rays")
    func resamplesRayCounts() throws {
        var rayCounts = Array(repeating: EllipsoidStack.rayCount, count: EllipsoidStack.sliceCount)
        rayCounts[3] = 36
        rayCounts[6] = 144
        let mesh = LVSurfaceBuilder.build(EllipsoidStack.stack(rayCounts: rayCounts), surface: .endocardium)
        let reference = LVSurfaceBuilder.build(stack, surface: .endocardium)
        let vertexCount = mesh.vertices.count, referenceCount = reference.vertices.count, edges = mesh.edgeReport
        #expect(vertexCount == referenceCount)
        #expect(edges == reference.edgeReport)
        let n = EllipsoidStack.rayCount
        for s in [3, 6] {
            let slice = EllipsoidStack.slice(s)
            for r in 0..<n {
                let v = s * n + r
                let radius = (mesh.vertices[v] - slice.centreMm).length
                #expect(abs(radius - slice.endoRadiiMm[0]) <= Tolerance.resampledRadiusMm, "slice \(s) ray \(r)")
                // Exact 30-degree sector boundaries fall on rays of all three counts: ids are those of the 72 rays.
                let id = mesh.intAttributes["segment36"]![v], referenceId = reference.intAttributes["segment36"]![v]
                #expect(id == referenceId, "slice \(s) ray \(r)")
            }
        }
    }

    @Test("per-segment values are painted through segment36; caps and unmeasured segments get the missing value")
    func paintsPerSegmentScalars() throws {
        var mesh = LVSurfaceBuilder.build(stack, surface: .epicardium)
        var times: [Double?] = (1...36).map { 100 + Double($0) }
        times[4] = nil
        mesh.setScalar("activationTimeMs", perSegment: times)
        let painted = try #require(mesh.scalarAttributes["activationTimeMs"])
        let segments = mesh.intAttributes["segment36"]!
        for (v, id) in segments.enumerated() {
            if id == 0 || id == 5 {
                #expect(painted[v].isNaN)
            } else {
                #expect(painted[v] == Float(100 + Double(id)))
            }
        }
    }

    @Test("merge keeps both surfaces closed, re-indexes triangles and fills missing attributes")
    func mergesMeshes() {
        let options = LVSurfaceBuilder.Options(closesBase: true)
        let endo = LVSurfaceBuilder.build(stack, surface: .endocardium, options: options)
        var epi = LVSurfaceBuilder.build(stack, surface: .epicardium, options: options)
        epi.setScalar("thicknessMm", perVertex: Array(repeating: 10, count: epi.vertices.count))
        let both = endo.merged(with: epi)
        let counts = [both.vertices.count, both.triangles.count]
        #expect(counts == [endo.vertices.count + epi.vertices.count, endo.triangles.count + epi.triangles.count])
        let edges = both.edgeReport
        #expect(edges == .closed)
        let volumes = [both.signedVolumeMm3, endo.signedVolumeMm3, epi.signedVolumeMm3]
        let areas = [both.areaMm2, endo.areaMm2, epi.areaMm2]
        #expect(abs(volumes[0] - volumes[1] - volumes[2]) <= Tolerance.doubleArithmeticMm * volumes[0])
        #expect(abs(areas[0] - areas[1] - areas[2]) <= Tolerance.doubleArithmeticMm * areas[0])
        let thickness = both.scalarAttributes["thicknessMm"]!
        let vertexCount = both.vertices.count
        #expect(thickness.count == vertexCount)
        #expect(thickness[..<endo.vertices.count].allSatisfy { $0.isNaN })
        #expect(thickness[endo.vertices.count...].allSatisfy { $0 == 10 })
        #expect(both.intAttributes["segment36"]?.count == vertexCount)
    }
}

@Suite(.tags(.fast))
struct MeshWriterTests {
    let mesh = EllipsoidStack.annotatedEndocardium()

    @Test("PLY round trip: counts, positions, attributes and triangles read back equal")
    func plyRoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("lv.ply")
        try mesh.writePLY(to: path)
        let ply = try PLYReader.parse(try Data(contentsOf: URL(fileURLWithPath: path)))

        #expect(ply.comments.contains("SPACE=LPS"))
        #expect(ply.propertyOrder == ["x", "y", "z", "activationTimeMs", "scarTransmurality", "segment36", "slice"])
        #expect(firstMismatch(ply.vertices, mesh.vertices.map { SIMD3(Float($0.x), Float($0.y), Float($0.z)) }) == nil)
        #expect(firstMismatch(ply.faces, mesh.triangles) == nil)
        for (name, values) in mesh.intAttributes {
            #expect(firstMismatch(ply.intProperties[name] ?? [], values) == nil, "\(name)")
        }
        for (name, values) in mesh.scalarAttributes {
            #expect(firstMismatch(ply.floatProperties[name]?.map(\.bitPattern) ?? [], values.map(\.bitPattern)) == nil,
                    "\(name)")
        }

        try mesh.writePLY(to: path, coordinateSystem: .ras)
        let ras = try PLYReader.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(ras.comments.contains("SPACE=RAS"))
        #expect(firstMismatch(ras.vertices, ply.vertices.map { SIMD3(-$0.x, -$0.y, $0.z) }) == nil)
    }

    @Test("VTK: header names the space; POINTS, POLYGONS and an attribute read back")
    func vtkReadsBack() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("lv.vtk")
        try mesh.writeVTK(to: path)
        let vtk = ParsedVTK(lines: try String(contentsOfFile: path, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init))

        #expect(vtk.lines.prefix(4) == ["# vtk DataFile Version 4.2", "crtsim LV surface SPACE=LPS", "ASCII",
                                        "DATASET POLYDATA"])
        let vertexCount = mesh.vertices.count, triangleCount = mesh.triangles.count
        #expect(vtk.counts(after: "POINTS") == [vertexCount])
        #expect(vtk.counts(after: "POLYGONS") == [triangleCount, 4 * triangleCount])
        #expect(vtk.counts(after: "POINT_DATA") == [vertexCount])
        let firstPoint = try #require(vtk.block(after: "POINTS", count: 1)?.first)
        let v0 = mesh.vertices[0]
        #expect(firstPoint.split(separator: " ").compactMap { Float(String($0)) } == [Float(v0.x), Float(v0.y), Float(v0.z)])
        let lastTriangle = try #require(vtk.block(after: "POLYGONS", count: triangleCount)?.last)
        let t = mesh.triangles.last!
        #expect(lastTriangle == "3 \(t.x) \(t.y) \(t.z)")
        let segments = try #require(vtk.scalars("segment36", count: vertexCount))
        #expect(firstMismatch(segments.map { Int32($0) }, mesh.intAttributes["segment36"]!.map { Optional($0) }) == nil)
        let times = try #require(vtk.scalars("activationTimeMs", count: vertexCount))
        #expect(firstMismatch(times.map { Float($0)?.bitPattern },
                              mesh.scalarAttributes["activationTimeMs"]!.map { Optional($0.bitPattern) }) == nil)

        try mesh.writeVTK(to: path, coordinateSystem: .ras)
        let ras = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(ras[1] == "crtsim LV surface SPACE=RAS")
    }

    @Test("writing the same mesh twice gives identical bytes")
    func writesDeterministically() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let rebuilt: TriangleMesh = {
            var mesh = LVSurfaceBuilder.build(EllipsoidStack.stack(), surface: .endocardium)
            mesh.setScalar("activationTimeMs", perSegment: (1...36).map { $0 % 7 == 0 ? nil : Double($0) * 3.25 })
            return mesh
        }()
        for (name, write) in [("ply", { (m: TriangleMesh, p: String) in try m.writePLY(to: p) }),
                              ("vtk", { (m: TriangleMesh, p: String) in try m.writeVTK(to: p) })] {
            try write(mesh, folder.file("a.\(name)"))
            try write(rebuilt, folder.file("b.\(name)"))
            let a = try Data(contentsOf: URL(fileURLWithPath: folder.file("a.\(name)")))
            let b = try Data(contentsOf: URL(fileURLWithPath: folder.file("b.\(name)")))
            #expect(!a.isEmpty && a == b, "\(name)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(leftovers == ["a.ply", "a.vtk", "b.ply", "b.vtk"], "no temporary files left behind")
    }

    @Test("inconsistent meshes and unwritable paths throw a MeshWriteError that names the problem")
    func rejectsBadInput() throws {
        var short = mesh
        short.scalarAttributes["thicknessMm"] = [1, 2, 3]
        #expect(throws: MeshWriteError.self) { try short.plyData() }
        var spaced = mesh
        spaced.intAttributes["segment id"] = Array(repeating: 0, count: mesh.vertices.count)
        #expect(throws: MeshWriteError.self) { try spaced.vtkData() }
        var dangling = mesh
        dangling.triangles.append(SIMD3(0, 1, Int32(mesh.vertices.count)))
        #expect(throws: MeshWriteError.self) { try dangling.plyData() }

        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let blocker = folder.file("file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        do {
            try mesh.writeVTK(to: blocker + "/lv.vtk")
            Issue.record("writing under a regular file succeeded")
        } catch let error as MeshWriteError {
            #expect(error.message.hasPrefix(blocker + "/lv.vtk: "))
        }
    }
}
