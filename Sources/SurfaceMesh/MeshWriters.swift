import Foundation
import CRTCore
import WebOutput

/// Patient coordinate convention of a written mesh file.
///
/// crtsim works in DICOM LPS; 3D Slicer reads the `SPACE=LPS` / `SPACE=RAS` tag that both writers put in the
/// header (the VTK title line, a PLY comment) and assumes RAS for mesh files without it. ParaView and MeshLab
/// ignore the tag and show the numbers as written.
public enum CoordinateSystem: String, Sendable, Codable, CaseIterable {
    /// DICOM patient: x to the patient's left, y posterior, z head (the crtsim default).
    case lps
    /// x to the right, y anterior, z head: LPS with x and y negated.
    case ras

    /// Header tag understood by 3D Slicer, "SPACE=LPS" or "SPACE=RAS".
    public var headerTag: String { "SPACE=" + rawValue.uppercased() }

    /// `p` (patient LPS) in this system.
    public func fromLPS(_ p: Vec3) -> Vec3 { self == .lps ? p : Vec3(-p.x, -p.y, p.z) }
}

/// A mesh file could not be produced (inconsistent mesh, unusable attribute name, unwritable path). `message` is
/// one line that names the file or the attribute.
public struct MeshWriteError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Writers of PLY (binary little-endian 1.0), legacy VTK POLYDATA (ASCII 4.2) and VTK XML PolyData (`.vtp`).
///
/// All write vertex positions as float32 in `coordinateSystem` (default LPS, mm), triangles, and every
/// attribute as a per-vertex property (PLY `int` / `float` after x y z; VTK `SCALARS name int|float 1`; VTP
/// PointData `Int32` / `Float32`), sorted by name. The same mesh always gives the same bytes. Files are written
/// atomically (a temporary file in the destination folder renamed over it), so a reader never sees a partial file.
///
/// Which to use: VTK's own readers (ParaView, 3D Slicer) load the attributes of the `.vtp` and `.vtk` files, NaN
/// included (a script's vtkPolyDataReader loads only the first SCALARS block of a `.vtk` unless
/// `ReadAllScalarsOn()`), but read only the geometry of a PLY file (vtkPLYReader skips custom vertex properties);
/// meshio, plyfile, trimesh and MeshLab read the PLY properties. meshio (5.3) reads neither file of VTK's
/// PolyData type, legacy or XML. Checked with VTK 9.7.2: both files give the same points, triangles, volume and
/// area, no boundary edges on a closed surface, and Slicer's `SPACE=` tag in the VTK title and PLY comments.
extension TriangleMesh {
    /// Default first header comment (PLY) / title (VTK).
    public static let defaultTitle = "crtsim LV surface"

    /// The mesh as a binary little-endian PLY file: header with `title` and the coordinate-system tag as
    /// comments, element vertex (float x y z, then each attribute), element face (list uchar int vertex_indices).
    /// - Throws: `MeshWriteError` if the mesh is inconsistent or an attribute name is unusable.
    public func plyData(coordinateSystem: CoordinateSystem = .lps, title: String = defaultTitle) throws -> Data {
        let attributes = try checkedAttributes()
        var header = """
            ply
            format binary_little_endian 1.0
            comment \(Self.singleLine(title))
            comment \(coordinateSystem.headerTag)
            comment units mm
            element vertex \(vertices.count)
            property float x
            property float y
            property float z

            """
        for attribute in attributes { header += "property \(attribute.typeName) \(attribute.name)\n" }
        header += """
            element face \(triangles.count)
            property list uchar int vertex_indices
            end_header

            """
        var bytes = [UInt8](header.utf8)
        bytes.reserveCapacity(bytes.count + vertices.count * 4 * (3 + attributes.count) + triangles.count * 13)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        for (v, p) in vertices.enumerated() {
            let q = coordinateSystem.fromLPS(p)
            for c in [q.x, q.y, q.z] { append(Float(c).bitPattern) }
            for attribute in attributes {
                switch attribute.values {
                case .int(let values): append(values[v])
                case .scalar(let values): append(values[v].bitPattern)
                }
            }
        }
        for t in triangles {
            append(UInt8(3))
            for i in [t.x, t.y, t.z] { append(i) }
        }
        return Data(bytes)
    }

    /// The mesh as a legacy VTK POLYDATA file, ASCII, version 4.2 (read by VTK 5 to 9, ParaView, 3D Slicer):
    /// title line "`title` SPACE=LPS", POINTS float, POLYGONS, POINT_DATA with one SCALARS block per attribute
    /// (LOOKUP_TABLE default). Values print in Swift's shortest round-trip form; NaN prints as "nan".
    /// - Throws: `MeshWriteError` if the mesh is inconsistent or an attribute name is unusable.
    public func vtkData(coordinateSystem: CoordinateSystem = .lps, title: String = defaultTitle) throws -> Data {
        let attributes = try checkedAttributes()
        var text = """
            # vtk DataFile Version 4.2
            \(Self.singleLine(title)) \(coordinateSystem.headerTag)
            ASCII
            DATASET POLYDATA
            POINTS \(vertices.count) float

            """
        for p in vertices {
            let q = coordinateSystem.fromLPS(p)
            text += "\(Float(q.x)) \(Float(q.y)) \(Float(q.z))\n"
        }
        text += "POLYGONS \(triangles.count) \(4 * triangles.count)\n"
        for t in triangles { text += "3 \(t.x) \(t.y) \(t.z)\n" }
        if !attributes.isEmpty { text += "POINT_DATA \(vertices.count)\n" }
        for attribute in attributes {
            text += "SCALARS \(attribute.name) \(attribute.typeName) 1\nLOOKUP_TABLE default\n"
            switch attribute.values {
            case .int(let values): for v in values { text += "\(v)\n" }
            case .scalar(let values): for v in values { text += "\(v)\n" }
            }
        }
        return Data(text.utf8)
    }

    /// The mesh as a VTK XML PolyData file (`.vtp`, VTKFile version 1.0, little-endian, inline base64 binary with
    /// a UInt32 byte-count header per array): an XML comment with `title`, the coordinate-system tag and the unit;
    /// FieldData "SPACE" (a String array "LPS" or "RAS", where 3D Slicer looks for the coordinate system of `.vtp`
    /// files); PointData with one single-component Int32 / Float32 array per attribute, sorted by name; Points
    /// Float32; Polys with Int32 connectivity and offsets. Binary keeps every value exact and NaN a bit pattern that
    /// any reader decodes. Read by VTK (vtkXMLPolyDataReader, all arrays by default), ParaView and 3D Slicer.
    /// - Throws: `MeshWriteError` if the mesh is inconsistent or an attribute name is unusable.
    public func vtpData(coordinateSystem: CoordinateSystem = .lps, title: String = defaultTitle) throws -> Data {
        let attributes = try checkedAttributes()
        // "--" may not appear in an XML comment.
        var comment = Self.singleLine(title)
        while comment.contains("--") { comment = comment.replacingOccurrences(of: "--", with: "- ") }
        var text = """
            <?xml version="1.0"?>
            <!-- \(comment) \(coordinateSystem.headerTag) units mm -->
            <VTKFile type="PolyData" version="1.0" byte_order="LittleEndian" header_type="UInt32">
              <PolyData>
                <FieldData>
                  <DataArray type="String" Name="SPACE" NumberOfTuples="1" format="ascii">
                    \(coordinateSystem.rawValue.uppercased().utf8.map(String.init).joined(separator: " ")) 0
                  </DataArray>
                </FieldData>
                <Piece NumberOfPoints="\(vertices.count)" NumberOfVerts="0" NumberOfLines="0" NumberOfStrips="0" NumberOfPolys="\(triangles.count)">

            """
        func array(_ type: String, name: String?, components: Int = 1, _ payload: [UInt8], indent: String) {
            let nameAttribute = name.map { " Name=\"\(HTML.escape($0))\"" } ?? ""
            let componentAttribute = components > 1 ? " NumberOfComponents=\"\(components)\"" : ""
            text += "\(indent)<DataArray type=\"\(type)\"\(nameAttribute)\(componentAttribute) format=\"binary\">\n"
            text += indent + "  " + Self.vtkBinaryBlock(payload) + "\n"
            text += "\(indent)</DataArray>\n"
        }
        let indent = "        "
        text += "      <PointData>\n"
        for attribute in attributes {
            switch attribute.values {
            case .int(let values): array("Int32", name: attribute.name, Self.littleEndianBytes(values), indent: indent)
            case .scalar(let values):
                array("Float32", name: attribute.name, Self.littleEndianBytes(values.map(\.bitPattern)), indent: indent)
            }
        }
        text += "      </PointData>\n      <Points>\n"
        let coordinates = vertices.flatMap { p -> [UInt32] in
            let q = coordinateSystem.fromLPS(p)
            return [Float(q.x).bitPattern, Float(q.y).bitPattern, Float(q.z).bitPattern]
        }
        array("Float32", name: "Points", components: 3, Self.littleEndianBytes(coordinates), indent: indent)
        text += "      </Points>\n      <Polys>\n"
        array("Int32", name: "connectivity", Self.littleEndianBytes(triangles.flatMap { [$0.x, $0.y, $0.z] }),
              indent: indent)
        array("Int32", name: "offsets", Self.littleEndianBytes((0..<triangles.count).map { Int32(3 * ($0 + 1)) }),
              indent: indent)
        text += "      </Polys>\n    </Piece>\n  </PolyData>\n</VTKFile>\n"
        return Data(text.utf8)
    }

    /// Writes `vtpData(coordinateSystem:title:)` to `path` atomically.
    /// - Throws: `MeshWriteError` naming the file.
    public func writeVTP(to path: String, coordinateSystem: CoordinateSystem = .lps,
                         title: String = defaultTitle) throws {
        try Self.writeAtomically(try vtpData(coordinateSystem: coordinateSystem, title: title), to: path)
    }

    /// VTK XML inline binary data: the UInt32 byte count and the bytes, base64-encoded separately and
    /// concatenated, as vtkXMLWriter writes uncompressed inline arrays (and meshio reads them).
    static func vtkBinaryBlock(_ payload: [UInt8]) -> String {
        let count = UInt32(payload.count).littleEndian
        let header = withUnsafeBytes(of: count) { Data($0) }
        return header.base64EncodedString() + Data(payload).base64EncodedString()
    }

    /// `values` as little-endian bytes.
    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * MemoryLayout<T>.size)
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Writes `plyData(coordinateSystem:title:)` to `path` atomically.
    /// - Throws: `MeshWriteError` naming the file.
    public func writePLY(to path: String, coordinateSystem: CoordinateSystem = .lps,
                         title: String = defaultTitle) throws {
        try Self.writeAtomically(try plyData(coordinateSystem: coordinateSystem, title: title), to: path)
    }

    /// Writes `vtkData(coordinateSystem:title:)` to `path` atomically.
    /// - Throws: `MeshWriteError` naming the file.
    public func writeVTK(to path: String, coordinateSystem: CoordinateSystem = .lps,
                         title: String = defaultTitle) throws {
        try Self.writeAtomically(try vtkData(coordinateSystem: coordinateSystem, title: title), to: path)
    }

    /// Writes through a temporary file in the destination folder and a rename (Foundation's `.atomic`), after
    /// creating missing folders.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw MeshWriteError("\(path): cannot write mesh: \(error.localizedDescription)")
        }
    }

    /// `text` on one line (line breaks become spaces), as both header formats require.
    static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    /// One per-vertex attribute as written.
    struct WrittenAttribute {
        enum Values { case int([Int32]), scalar([Float]) }
        var name: String
        var values: Values
        /// Type name in both formats: "int" (32-bit) or "float" (32-bit).
        var typeName: String { if case .int = values { "int" } else { "float" } }
    }

    /// All attributes sorted by name, after checking that the mesh can be written: triangle indices in range,
    /// one value per vertex, names that are single printable ASCII words, distinct and not x, y or z.
    func checkedAttributes() throws -> [WrittenAttribute] {
        if let bad = triangles.first(where: { t in [t.x, t.y, t.z].contains { $0 < 0 || Int($0) >= vertices.count } }) {
            throw MeshWriteError("triangle \(bad) refers to a vertex outside 0..<\(vertices.count)")
        }
        let attributes = (intAttributes.map { WrittenAttribute(name: $0.key, values: .int($0.value)) }
            + scalarAttributes.map { WrittenAttribute(name: $0.key, values: .scalar($0.value)) })
            .sorted { $0.name < $1.name }
        for (i, attribute) in attributes.enumerated() {
            let name = attribute.name
            let count: Int
            switch attribute.values {
            case .int(let values): count = values.count
            case .scalar(let values): count = values.count
            }
            guard count == vertices.count else {
                throw MeshWriteError("attribute \(name): \(count) values for \(vertices.count) vertices")
            }
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 })
            else { throw MeshWriteError("attribute name \"\(name)\" must be one printable ASCII word") }
            guard !["x", "y", "z"].contains(name) else {
                throw MeshWriteError("attribute name \"\(name)\" clashes with a coordinate")
            }
            guard i == 0 || attributes[i - 1].name != name else {
                throw MeshWriteError("attribute \(name) is both an integer and a real attribute")
            }
        }
        return attributes
    }
}
