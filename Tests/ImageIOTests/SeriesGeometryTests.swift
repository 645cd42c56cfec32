import CRTCore
import Foundation
import ImageIO
import Testing

@Suite("SeriesGeometry and acquisition.json")
struct SeriesGeometryTests {
    static let triggerTimes = [0.0, 32, 64]

    static func cineGeometry() -> SeriesGeometry {
        SeriesGeometry(grid: ObliqueStack.grid, sliceThicknessMm: 8, triggerTimesMs: triggerTimes,
                       nominalIntervalMs: 800)
    }

    @Test("ImageGrid -> SeriesGeometry gives the DICOM values of the hand-made stack", .tags(.fast))
    func dicomValues() throws {
        let g = Self.cineGeometry()
        let tol = Tolerance.doubleArithmetic
        let iop = ObliqueStack.rowDirection.array + ObliqueStack.columnDirection.array
        #expect(zip(g.imageOrientationPatient, iop).allSatisfy { abs($0 - $1) <= tol })
        // PixelSpacing is [row spacing (along j), column spacing (along i)].
        #expect(zip(g.pixelSpacing, [ObliqueStack.rowSpacingMm, ObliqueStack.columnSpacingMm])
            .allSatisfy { abs($0 - $1) <= tol })
        #expect(g.rows == 5 && g.columns == 7)
        #expect(abs(g.spacingBetweenSlices - ObliqueStack.sliceSpacingMm) <= tol)
        #expect(g.imagePositionPatient.count == 4)
        for k in 0..<4 {
            let expected = ObliqueStack.expectedPoint(0, 0, Double(k))
            #expect((Vec3(g.imagePositionPatient[k]) - expected).length <= tol)
        }
    }

    @Test("oblique stack: ImageGrid -> SeriesGeometry -> JSON -> SeriesGeometry -> ImageGrid", .tags(.fast))
    func roundTrip() throws {
        let original = ObliqueStack.grid
        let geometry = Self.cineGeometry()
        let json = try FileOutput.jsonEncoder().encode(geometry)
        let decoded = try JSONDecoder().decode(SeriesGeometry.self, from: json)
        #expect(decoded == geometry)
        let back = try decoded.grid()
        #expect(back.size == original.size)
        #expect(maxAffineDifference(back.patientFromVoxel, original.patientFromVoxel) <= Tolerance.doubleArithmetic)
        // Known point: the far corner voxel.
        #expect((back.patient(6, 4, 3) - ObliqueStack.expectedPoint(6, 4, 3)).length <= Tolerance.doubleArithmetic)
    }

    @Test("JSON keys are the DICOM attribute names; nil InversionTime is omitted", .tags(.fast))
    func jsonKeys() throws {
        let json = try FileOutput.jsonEncoder().encode(Self.cineGeometry())
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(object.keys) == ["ImageOrientationPatient", "ImagePositionPatient", "PixelSpacing",
                                     "SliceThickness", "SpacingBetweenSlices", "TriggerTime", "NominalInterval",
                                     "Rows", "Columns"])
        #expect(object["NominalInterval"] as? Double == 800)
        #expect(object["TriggerTime"] as? [Double] == Self.triggerTimes)
    }

    @Test("one slice: the slice axis is the plane normal x SpacingBetweenSlices", .tags(.fast))
    func singleSlice() throws {
        var single = ObliqueStack.grid
        single.size[2] = 1
        let back = try SeriesGeometry(grid: single, sliceThicknessMm: 8, triggerTimesMs: [300],
                                      inversionTimeMs: 280).grid()
        #expect(maxAffineDifference(back.patientFromVoxel, single.patientFromVoxel) <= Tolerance.doubleArithmetic)
    }

    @Test("non-orthogonal or non-unit orientation throws InputError naming ImageOrientationPatient", .tags(.fast))
    func badOrientation() throws {
        var g = Self.cineGeometry()
        g.imageOrientationPatient = [1, 0, 0, 0.1, 0.99498743710662, 0]  // unit, but 0.1 from orthogonal
        let message = try #require(inputErrorMessage { _ = try g.grid() })
        #expect(message.hasPrefix("ImageOrientationPatient: row and column directions must be orthogonal within 0.001"))
        g.imageOrientationPatient = [1, 0, 0, 0, 0.9, 0]
        #expect(inputErrorMessage { _ = try g.grid() }?
            .hasPrefix("ImageOrientationPatient: direction cosines must be unit vectors within 0.001") == true)
        g.imageOrientationPatient = [1, 0, 0, 0, 1]
        #expect(inputErrorMessage { _ = try g.grid() }?.hasPrefix("ImageOrientationPatient: expected 6") == true)
    }

    @Test("non-collinear positions, zero spacing and inconsistent slice spacing are refused", .tags(.fast))
    func badPositionsAndSpacing() throws {
        var g = Self.cineGeometry()
        g.imagePositionPatient[3][0] += 0.5
        let offLine = try #require(inputErrorMessage { _ = try g.grid() })
        #expect(offLine.hasPrefix("ImagePositionPatient[3]: 0.5") || offLine.hasPrefix("ImagePositionPatient[3]: 0.49"))
        #expect(offLine.hasSuffix("(slices must be collinear and evenly spaced within 0.01 mm)"))
        g = Self.cineGeometry()
        g.pixelSpacing = [0, 1.5]
        #expect(inputErrorMessage { _ = try g.grid() }?.hasPrefix("PixelSpacing: expected [row spacing") == true)
        g = Self.cineGeometry()
        g.spacingBetweenSlices = 10
        let inconsistent = try #require(inputErrorMessage { _ = try g.grid() })
        #expect(inconsistent.hasPrefix("ImagePositionPatient: slices 0 and 1 are "))
        #expect(inconsistent.hasSuffix("mm apart but SpacingBetweenSlices is 10.0 mm (allowed difference 0.01 mm)"))
        g = Self.cineGeometry()
        g.sliceThickness = -1
        #expect(inputErrorMessage { try g.validate() } == "SliceThickness: must be > 0 mm, got -1.0")
    }

    @Test("acquisition.json: write, load, and errors that name the file and field", .tags(.fast))
    func acquisitionFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let lge = SeriesGeometry(grid: ObliqueStack.grid, sliceThicknessMm: 8, triggerTimesMs: [420],
                                 inversionTimeMs: 280)
        let acquisition = CMRAcquisition(cine: Self.cineGeometry(), lge: lge)
        let path = folder.file("acquisition.json")
        try acquisition.write(to: path)
        #expect(try CMRAcquisition.load(path) == acquisition)

        let missing = folder.file("none.json")
        #expect(inputErrorMessage { _ = try CMRAcquisition.load(missing) } == "\(missing): file not found")

        // Remove a key, break a type, break the geometry: each message names file and field.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
            as? [String: [String: Any]])
        func save(_ o: [String: [String: Any]], _ name: String) throws -> String {
            let p = folder.file(name)
            try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: p))
            return p
        }
        var o = object
        o["cine"]?["PixelSpacing"] = nil
        let noKey = try save(o, "nokey.json")
        #expect(inputErrorMessage { _ = try CMRAcquisition.load(noKey) } == "\(noKey): missing key cine.PixelSpacing")
        o = object
        o["lge"]?["Rows"] = "many"
        let badType = try save(o, "badtype.json")
        #expect(inputErrorMessage { _ = try CMRAcquisition.load(badType) }
                == "\(badType): lge.Rows: expected an integer")
        object["lge"]?["ImageOrientationPatient"] = [1, 0, 0, 0.5, 0.8660254037844386, 0]
        let badIOP = try save(object, "badiop.json")
        #expect(inputErrorMessage { _ = try CMRAcquisition.load(badIOP) }?
            .hasPrefix("\(badIOP): lge.ImageOrientationPatient: row and column directions must be orthogonal") == true)
        let notJSON = folder.file("garbage.json")
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: notJSON))
        #expect(inputErrorMessage { _ = try CMRAcquisition.load(notJSON) }?
            .hasPrefix("\(notJSON): not valid JSON") == true)
    }

    @Test("acquisition.json: optional long-axis views round-trip, are absent when nil, and bad ones are named", .tags(.fast))
    func longAxisViews() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let lge = SeriesGeometry(grid: ObliqueStack.grid, sliceThicknessMm: 8, triggerTimesMs: [420], inversionTimeMs: 280)
        // A one-slice view on the stack's first slice plane.
        let one = ImageGrid(size: [ObliqueStack.size[0], ObliqueStack.size[1], 1], patientFromVoxel: ObliqueStack.grid.patientFromVoxel)
        let view = SeriesGeometry(grid: one, sliceThicknessMm: 8, triggerTimesMs: Self.triggerTimes, nominalIntervalMs: 800)
        let withViews = CMRAcquisition(cine: Self.cineGeometry(), lge: lge, cine2ch: view, cine3ch: view, cine4ch: view)
        let path = folder.file("acquisition.json")
        try withViews.write(to: path)
        let loaded = try CMRAcquisition.load(path)
        #expect(loaded == withViews)
        #expect(loaded.allSeries.map(\.key) == ["cine", "lge", "cine2ch", "cine3ch", "cine4ch"])
        #expect(try loaded.cine4ch?.grid().size == [ObliqueStack.size[0], ObliqueStack.size[1], 1])

        // Without the views (other generators' cases): the keys are absent and load gives nil.
        let plainPath = folder.file("plain.json")
        try CMRAcquisition(cine: Self.cineGeometry(), lge: lge).write(to: plainPath)
        let text = try String(contentsOfFile: plainPath, encoding: .utf8)
        #expect(!text.contains("cine2ch") && !text.contains("cine4ch"))
        let plain = try CMRAcquisition.load(plainPath)
        #expect(plain.cine2ch == nil && plain.cine3ch == nil && plain.cine4ch == nil)

        // A broken view is refused with the file, the view's key and the field.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
            as? [String: [String: Any]])
        object["cine4ch"]?["PixelSpacing"] = [0, 1.8]
        let bad = folder.file("bad.json")
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bad))
        #expect(inputErrorMessage { _ = try CMRAcquisition.load(bad) }?
            .hasPrefix("\(bad): cine4ch.PixelSpacing: expected [row spacing, column spacing]") == true)
        object["cine4ch"]?["PixelSpacing"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bad))
        #expect(inputErrorMessage { _ = try CMRAcquisition.load(bad) } == "\(bad): missing key cine4ch.PixelSpacing")
    }
}

@Suite("FileOutput")
struct FileOutputTests {
    @Test("writeJSON: sorted keys, unescaped slashes, replaces the old file, leaves no temporary file", .tags(.fast))
    func writeJSON() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("sub/dir/out.json")
        try FileOutput.writeJSON(["b": "x/y", "a": "old"], to: path)
        try FileOutput.writeJSON(["b": "x/y", "a": "1"], to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "{\n  \"a\" : \"1\",\n  \"b\" : \"x/y\"\n}\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/sub/dir") == ["out.json"])
    }

    @Test("writeData into an unwritable place throws OutputError naming the file", .tags(.fast))
    func unwritable() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // A regular file where a folder is needed.
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder.file("file")))
        let path = folder.file("file/out.json")
        do {
            try FileOutput.writeData(Data("{}".utf8), to: path)
            Issue.record("expected OutputError")
        } catch let error as OutputError {
            #expect(error.message.hasPrefix("\(path): "))
        }
    }
}
