import CRTCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SurfaceMesh
import Testing

@Suite(.tags(.fast))
struct VTPWriterTests {
    let mesh = EllipsoidStack.annotatedEndocardium()

    @Test("VTP: XML parses; counts, points, triangles, array names and values (NaN included) read back; SPACE tag")
    func vtpReadsBack() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("lv.vtp")
        try mesh.writeVTP(to: path)
        let vtp = try ParsedVTP(data: try Data(contentsOf: URL(fileURLWithPath: path)))

        #expect(vtp.fileAttributes["type"] == "PolyData")
        #expect(vtp.fileAttributes["byte_order"] == "LittleEndian")
        #expect(vtp.comments.contains { $0.contains("SPACE=LPS") && $0.contains("crtsim LV surface") })
        let vertexCount = mesh.vertices.count, triangleCount = mesh.triangles.count
        #expect(vtp.pieceAttributes["NumberOfPoints"] == "\(vertexCount)")
        #expect(vtp.pieceAttributes["NumberOfPolys"] == "\(triangleCount)")
        let space = try #require(vtp.arrays.first { $0.section == "FieldData" && $0.name == "SPACE" })
        #expect(space.type == "String" && space.text.split(separator: " ") == ["76", "80", "83", "0"])  // "LPS\0"

        let pointData = vtp.arrays.filter { $0.section == "PointData" }
        #expect(pointData.map(\.name) == ["activationTimeMs", "scarTransmurality", "segment36", "slice"])
        for (name, values) in mesh.intAttributes {
            let array = try #require(pointData.first { $0.name == name })
            #expect(array.type == "Int32", "\(name)")
            #expect(firstMismatch(try array.int32s(), values) == nil, "\(name)")
        }
        for (name, values) in mesh.scalarAttributes {
            let array = try #require(pointData.first { $0.name == name })
            #expect(array.type == "Float32", "\(name)")
            #expect(firstMismatch(try array.float32s().map(\.bitPattern), values.map(\.bitPattern)) == nil, "\(name)")
        }
        let times = try #require(pointData.first { $0.name == "activationTimeMs" }).float32s()
        #expect(times.contains { $0.isNaN } && times.contains { !$0.isNaN }, "NaN (segments 7, 14, ... and caps) kept")

        let points = try #require(vtp.arrays.first { $0.section == "Points" })
        #expect(points.type == "Float32" && points.components == 3)
        let expectedPoints = mesh.vertices.flatMap { [Float($0.x), Float($0.y), Float($0.z)] }
        #expect(firstMismatch(try points.float32s(), expectedPoints) == nil)
        let connectivity = try #require(vtp.arrays.first { $0.section == "Polys" && $0.name == "connectivity" })
        #expect(firstMismatch(try connectivity.int32s(), mesh.triangles.flatMap { [$0.x, $0.y, $0.z] }) == nil)
        let offsets = try #require(vtp.arrays.first { $0.section == "Polys" && $0.name == "offsets" })
        #expect(firstMismatch(try offsets.int32s(), (1...triangleCount).map { Int32(3 * $0) }) == nil)

        try mesh.writeVTP(to: path, coordinateSystem: .ras)
        let ras = try ParsedVTP(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(ras.comments.contains { $0.contains("SPACE=RAS") })
        let rasPoints = try #require(ras.arrays.first { $0.section == "Points" }).float32s()
        #expect(firstMismatch(rasPoints, expectedPoints.enumerated().map { $0.offset % 3 == 2 ? $0.element : -$0.element })
                == nil)
    }

    @Test("VTP: same mesh, same bytes; no temporary files; odd titles and names stay well-formed XML")
    func vtpDeterministicAndWellFormed() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let rebuilt: TriangleMesh = {
            var mesh = LVSurfaceBuilder.build(EllipsoidStack.stack(), surface: .endocardium)
            mesh.setScalar("activationTimeMs", perSegment: (1...36).map { $0 % 7 == 0 ? nil : Double($0) * 3.25 })
            return mesh
        }()
        try mesh.writeVTP(to: folder.file("a.vtp"))
        try rebuilt.writeVTP(to: folder.file("b.vtp"))
        let a = try Data(contentsOf: URL(fileURLWithPath: folder.file("a.vtp")))
        let b = try Data(contentsOf: URL(fileURLWithPath: folder.file("b.vtp")))
        #expect(!a.isEmpty && a == b)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["a.vtp", "b.vtp"])

        var odd = mesh
        odd.intAttributes["a<b&\"c\""] = Array(repeating: 1, count: mesh.vertices.count)
        let parsed = try ParsedVTP(data: try odd.vtpData(title: "LV -- test\nsecond line-"))
        #expect(parsed.arrays.contains { $0.name == "a<b&\"c\"" })
        #expect(parsed.comments.count == 1)
        var spaced = mesh
        spaced.intAttributes["segment id"] = Array(repeating: 0, count: mesh.vertices.count)
        #expect(throws: MeshWriteError.self) { try spaced.vtpData() }
    }
}

/// A minimal VTK XML PolyData reader for the tests: Foundation's XMLParser, inline `binary` (UInt32 header) and
/// `ascii` DataArrays.
struct ParsedVTP {
    struct DataArray {
        var section: String
        var type: String
        var name: String?
        var components: Int
        var format: String
        var text: String

        /// The decoded payload of a binary array, after checking the byte-count header.
        func bytes() throws -> [UInt8] {
            guard format == "binary" else { throw Failure(message: "\(name ?? "?"): format \(format)") }
            let text = text.filter { !$0.isWhitespace }
            // The 4-byte header is its own base64 block of 8 characters, as vtkXMLWriter writes it.
            guard text.count >= 8, let header = Data(base64Encoded: String(text.prefix(8))), header.count == 4,
                  let payload = Data(base64Encoded: String(text.dropFirst(8)))
            else { throw Failure(message: "\(name ?? "?"): bad base64") }
            let count = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian
            guard Int(count) == payload.count else {
                throw Failure(message: "\(name ?? "?"): header says \(count) bytes, \(payload.count) follow")
            }
            return [UInt8](payload)
        }

        func words() throws -> [UInt32] {
            let b = try bytes()
            guard b.count % 4 == 0 else { throw Failure(message: "\(name ?? "?"): \(b.count) bytes") }
            return stride(from: 0, to: b.count, by: 4).map { i in
                UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
            }
        }

        func int32s() throws -> [Int32] { try words().map { Int32(bitPattern: $0) } }
        func float32s() throws -> [Float] { try words().map { Float(bitPattern: $0) } }
    }

    struct Failure: Error { let message: String }

    var fileAttributes: [String: String] = [:]
    var pieceAttributes: [String: String] = [:]
    var arrays: [DataArray] = []
    var comments: [String] = []

    init(data: Data) throws {
        let delegate = Delegate()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else {
            throw Failure(message: "XML: \(parser.parserError.map { "\($0)" } ?? "parse failed")")
        }
        self = delegate.result
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        var result = ParsedVTP(empty: ())
        var stack: [String] = []
        var current: DataArray?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            switch name {
            case "VTKFile": result.fileAttributes = attributes
            case "Piece": result.pieceAttributes = attributes
            case "DataArray":
                current = DataArray(section: stack.last ?? "", type: attributes["type"] ?? "", name: attributes["Name"],
                                components: Int(attributes["NumberOfComponents"] ?? "1") ?? 0,
                                format: attributes["format"] ?? "ascii", text: "")
            default: break
            }
            stack.append(name)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current?.text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
            if name == "DataArray", var array = current {
                array.text = array.text.trimmingCharacters(in: .whitespacesAndNewlines)
                result.arrays.append(array)
                current = nil
            }
        }

        func parser(_ parser: XMLParser, foundComment comment: String) { result.comments.append(comment) }
    }

    private init(empty: Void) {}
}
