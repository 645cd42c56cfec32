import CRTCore
import Foundation
import ImageIO
import Testing

@Suite("NIfTI reading and writing")
struct NIfTITests {
    /// A 4D float volume on the oblique stack, 3 cine frames 31.25 ms apart, with seeded random intensities.
    static func cineVolume() -> ImageVolume<Float> {
        var rng = SeededRandom(seed: 11, label: "imageio.test.cine")
        let grid = ObliqueStack.grid
        let data = (0..<(grid.voxelCount * 3)).map { _ in Float(rng.uniform(-50, 1000)) }
        return ImageVolume(grid: grid, frames: 3, frameIntervalMs: 31.25, data: data)
    }

    /// A 3D uint8 label volume covering all 256 values.
    static func labelVolume() -> ImageVolume<UInt8> {
        let grid = ObliqueStack.grid
        return ImageVolume(grid: grid, data: (0..<grid.voxelCount).map { UInt8(truncatingIfNeeded: $0 * 7) })
    }

    @Test("4D float volume round-trips: data exact, affine within 1e-4 mm, frame interval kept", .tags(.fast))
    func floatRoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let original = Self.cineVolume()
        for name in ["cine.nii.gz", "cine.nii"] {
            let path = folder.file(name)
            try NIfTI.write(original, to: path, description: "crtsim test cine")
            let back = try NIfTI.read(path)
            #expect(back.grid.size == original.grid.size)
            #expect(back.frames == 3)
            #expect(back.frameIntervalMs == 31.25)
            #expect(back.data == original.data)
            #expect(maxAffineDifference(back.grid.patientFromVoxel, original.grid.patientFromVoxel)
                    <= Tolerance.affineMm)
        }
    }

    @Test("3D uint8 volume round-trips exactly, as float", .tags(.fast))
    func uint8RoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let original = Self.labelVolume()
        let path = folder.file("labels.nii.gz")
        try NIfTI.write(original, to: path, description: "labels")
        let back = try NIfTI.read(path)
        #expect(back.grid.size == original.grid.size)
        #expect(back.frames == 1)
        #expect(back.frameIntervalMs == 0)
        #expect(back.data == original.data.map(Float.init))
        #expect(maxAffineDifference(back.grid.patientFromVoxel, original.grid.patientFromVoxel) <= Tolerance.affineMm)
    }

    /// Voxels whose LPS positions are computed from the stack's definition, not from ImageGrid. Also exported
    /// (with the file) for scripts/check_nifti.py when CRTSIM_IMAGEIO_EXPORT is set to a folder.
    @Test("after reading back, voxel indices map to the known LPS points", .tags(.fast))
    func knownPoints() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let exportFolder = ProcessInfo.processInfo.environment["CRTSIM_IMAGEIO_EXPORT"]
        let path = (exportFolder ?? folder.path) + "/oblique_cine.nii.gz"
        try NIfTI.write(Self.cineVolume(), to: path, description: "crtsim oblique 4D test volume")
        let back = try NIfTI.read(path)
        let voxels: [[Double]] = [[0, 0, 0], [6, 0, 0], [0, 4, 0], [0, 0, 3], [6, 4, 3], [2.5, 1, 1.5]]
        struct Pair: Codable { var voxel: [Double]; var lps: [Double] }
        var pairs: [Pair] = []
        for v in voxels {
            let expected = ObliqueStack.expectedPoint(v[0], v[1], v[2])
            let got = back.grid.patient(v[0], v[1], v[2])
            #expect((got - expected).length <= Tolerance.affineMm, "voxel \(v): got \(got), expected \(expected)")
            pairs.append(Pair(voxel: v, lps: expected.array))
        }
        // Spacing (mm) along i, j, k: the hand-chosen values.
        let spacing = back.grid.spacingMm
        #expect(abs(spacing[0] - ObliqueStack.columnSpacingMm) <= Tolerance.affineMm)
        #expect(abs(spacing[1] - ObliqueStack.rowSpacingMm) <= Tolerance.affineMm)
        #expect(abs(spacing[2] - ObliqueStack.sliceSpacingMm) <= Tolerance.affineMm)
        if let exportFolder {
            struct Expected: Codable { var points: [Pair]; var spacing: [Double] }
            try FileOutput.writeJSON(Expected(points: pairs, spacing: [ObliqueStack.columnSpacingMm,
                                                                      ObliqueStack.rowSpacingMm,
                                                                      ObliqueStack.sliceSpacingMm, 31.25]),
                                     to: exportFolder + "/oblique_cine.points.json")
        }
    }

    @Test("header fields: RAS sform and qform (code 1), pixdim, dims, xyzt_units = mm | ms", .tags(.fast))
    func headerLayout() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("cine.nii")
        try NIfTI.write(Self.cineVolume(), to: path, description: "header check")
        let h = try Data(contentsOf: URL(fileURLWithPath: path))
        // crtsim writes in CPU byte order; these machines are little-endian.
        func i16(_ o: Int) -> Int {
            Int(Int16(littleEndian: h.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: Int16.self) }))
        }
        func f32(_ o: Int) -> Double {
            Double(h.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: Float.self) })
        }
        // NIfTI-1 header offsets (nifti1.h): sizeof_hdr 0, dim 40, pixdim 76, vox_offset 108, xyzt_units 123,
        // descrip 148, qform_code 252, sform_code 254, srow_x/y/z 280/296/312, magic 344.
        #expect(Int(h.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: Int32.self) }) == 348)
        #expect((0..<5).map { i16(40 + 2 * $0) } == [4, 7, 5, 4, 3])
        #expect(abs(f32(80) - 1.5) <= 1e-6 && abs(f32(84) - 1.75) <= 1e-6 && abs(f32(88) - 8) <= 1e-6)
        #expect(f32(92) == 31.25)
        #expect(f32(108) == 352)
        #expect(h[123] == 2 | 16)
        #expect(i16(252) == 1 && i16(254) == 1)
        #expect(String(decoding: h[344..<347], as: UTF8.self) == "n+1")
        #expect(String(decoding: h[148..<160], as: UTF8.self) == "header check")
        // srow = LPS affine with x and y rows negated; check translation and one column independently.
        let o = ObliqueStack.originMm, c = ObliqueStack.rowDirection * ObliqueStack.columnSpacingMm
        let expectedRows: [[Double]] = [[-c.x, -o.x], [-c.y, -o.y], [c.z, o.z]]
        for (r, base) in [280, 296, 312].enumerated() {
            #expect(abs(f32(base) - expectedRows[r][0]) <= Tolerance.affineMm)
            #expect(abs(f32(base + 12) - expectedRows[r][1]) <= Tolerance.affineMm)
        }
        // Voxel data start at vox_offset and are the float32 values, column fastest.
        let first = h.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 352, as: Float.self) }
        #expect(first == Self.cineVolume().data[0])
        #expect(h.count == 352 + 4 * ObliqueStack.grid.voxelCount * 3)
    }

    @Test("writing is byte-deterministic and the gzip header has no time stamp", .tags(.fast))
    func deterministic() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let a = folder.file("a.nii.gz"), b = folder.file("b.nii.gz")
        try NIfTI.write(Self.cineVolume(), to: a, description: "same")
        try NIfTI.write(Self.cineVolume(), to: b, description: "same")
        let da = try Data(contentsOf: URL(fileURLWithPath: a)), db = try Data(contentsOf: URL(fileURLWithPath: b))
        #expect(da == db)
        #expect(da.count > 18)
        #expect(Array(da[0..<2]) == [0x1f, 0x8b])    // gzip magic
        #expect(Array(da[4..<8]) == [0, 0, 0, 0])    // MTIME = 0
        // Nothing but the two files is left in the folder (temporary files were renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["a.nii.gz", "b.nii.gz"])
    }

    @Test("a missing file throws InputError naming the file", .tags(.fast))
    func missingFile() throws {
        let path = "/nonexistent-crtsim-folder/cine.nii.gz"
        let message = inputErrorMessage { _ = try NIfTI.read(path) }
        #expect(message == "\(path): file not found")
    }

    @Test("garbage bytes throw InputError 'not a NIfTI file'", .tags(.fast))
    func garbage() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        for (name, bytes) in [("garbage.nii.gz", Data(repeating: 0x41, count: 1000)),
                              ("short.nii", Data([1, 2])), ("empty.nii.gz", Data())] {
            let path = folder.file(name)
            try bytes.write(to: URL(fileURLWithPath: path))
            let message = inputErrorMessage { _ = try NIfTI.read(path) }
            #expect(message?.hasPrefix("\(path): not a NIfTI file") == true, "\(message ?? "no error")")
        }
    }

    @Test("NaN voxels throw InputError that says NaN and where", .tags(.fast))
    func nanVoxels() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var v = Self.cineVolume()
        v[3, 2, 1, 2] = .nan
        v[4, 2, 1, 2] = .infinity
        let path = folder.file("nan.nii.gz")
        try NIfTI.write(v, to: path, description: "nan")
        let message = inputErrorMessage { _ = try NIfTI.read(path) }
        #expect(message == "\(path): 2 of \(v.data.count) voxels are NaN or infinite (first at voxel "
                + "[i, j, k, t] = [3, 2, 1, 2]); crtsim needs finite intensities")
    }

    /// Writes an uncompressed file, patches header bytes, and checks the read error names the file and problem.
    @Test("wrong dimensions, missing orientation and truncated data throw InputError", .tags(.fast))
    func corruptHeaders() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let good = folder.file("good.nii")
        try NIfTI.write(Self.labelVolume(), to: good, description: "")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        func patched(_ name: String, _ edit: (inout Data) -> Void) throws -> String {
            var d = bytes
            edit(&d)
            let path = folder.file(name)
            try d.write(to: URL(fileURLWithPath: path))
            return path
        }
        func setI16(_ d: inout Data, _ offset: Int, _ value: Int16) {
            d[offset] = UInt8(truncatingIfNeeded: value); d[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
        }
        // 5D: dim[0] = 5 with dim[5] = 2 (and dim[3] halved so the byte count still matches: 7*5*2*1*2 = 140).
        let fiveD = try patched("five.nii") { setI16(&$0, 40, 5); setI16(&$0, 46, 2); setI16(&$0, 50, 2) }
        #expect(inputErrorMessage { _ = try NIfTI.read(fiveD) }
                == "\(fiveD): 5D image with dim[5] = 2 is not supported (need 2D, 3D or 4D)")
        let noXform = try patched("noxform.nii") { setI16(&$0, 252, 0); setI16(&$0, 254, 0) }
        #expect(inputErrorMessage { _ = try NIfTI.read(noXform) }?.hasPrefix("\(noXform): no orientation") == true)
        let truncated = try patched("truncated.nii") { $0 = $0.prefix(352 + 10) }
        #expect(inputErrorMessage { _ = try NIfTI.read(truncated) }?
            .hasPrefix("\(truncated): cannot read the voxel data") == true)
        // The unpatched file still reads: the failures above come from the patches.
        #expect(try NIfTI.read(good).data == Self.labelVolume().data.map(Float.init))
    }

    /// Patched headers exercise the reader's other paths with known answers.
    @Test("qform-only files, scl_slope/scl_inter and int8 data are read correctly", .tags(.fast))
    func otherHeaderVariants() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let good = folder.file("good.nii")
        let labels = Self.labelVolume()
        try NIfTI.write(labels, to: good, description: "")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        func write(_ name: String, _ edit: (inout Data) -> Void) throws -> String {
            var d = bytes
            edit(&d)
            let path = folder.file(name)
            try d.write(to: URL(fileURLWithPath: path))
            return path
        }
        func put<T>(_ d: inout Data, _ offset: Int, _ value: T) {
            withUnsafeBytes(of: value) { d.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        // sform_code = 0: the geometry comes from the qform, the same orthogonal affine.
        let qformOnly = try NIfTI.read(write("qform.nii") { put(&$0, 254, Int16(0)) })
        #expect(maxAffineDifference(qformOnly.grid.patientFromVoxel, labels.grid.patientFromVoxel)
                <= Tolerance.affineMm)
        // scl_slope = 2, scl_inter = -1 (offsets 112, 116): value = 2 * stored - 1, exact in float32.
        let scaled = try NIfTI.read(write("scaled.nii") { put(&$0, 112, Float(2)); put(&$0, 116, Float(-1)) })
        #expect(scaled.data == labels.data.map { 2 * Float($0) - 1 })
        // datatype int8 (256, offset 70): the same bytes read as signed values.
        let signed = try NIfTI.read(write("int8.nii") { put(&$0, 70, Int16(256)) })
        #expect(signed.data == labels.data.map { Float(Int8(bitPattern: $0)) })
    }

    /// A minimal big-endian NIfTI-1 file (348-byte header, 4 extension bytes, then int16 voxels) with the given
    /// `dim` field (dim[0] = ndim, then the sizes) and a qform; big-endian so that reading swaps the bytes.
    static func bigEndianInt16File(dim: [Int16], voxels: [Int16] = []) -> Data {
        var d = Data(count: 352)
        func put16(_ offset: Int, _ v: Int16) {
            d[offset] = UInt8(truncatingIfNeeded: v >> 8); d[offset + 1] = UInt8(truncatingIfNeeded: v)
        }
        func put32(_ offset: Int, _ v: UInt32) {
            for b in 0..<4 { d[offset + b] = UInt8(truncatingIfNeeded: v >> (24 - 8 * b)) }
        }
        put32(0, 348)                                               // sizeof_hdr
        for (i, v) in dim.enumerated() { put16(40 + 2 * i, v) }     // dim[0...7]
        put16(70, 4); put16(72, 16)                                 // datatype int16, bitpix
        for i in 0..<8 { put32(76 + 4 * i, Float(1).bitPattern) }   // pixdim (qfac = 1)
        put32(108, Float(352).bitPattern)                           // vox_offset
        put16(252, 1)                                               // qform_code: scanner
        d.replaceSubrange(344..<348, with: Array("n+1\0".utf8))    // magic
        for v in voxels { d.append(UInt8(truncatingIfNeeded: v >> 8)); d.append(UInt8(truncatingIfNeeded: v)) }
        return d
    }

    /// Fuzz finding (Fuzz/corpus/nifti/regress-nvox-overflow-be.nii): niftilib multiplies the dims into nvox without
    /// an overflow check; seven dimensions of 512 int16 voxels (2^64 bytes) wrapped the byte count to 0, and the
    /// byte swap of a big-endian file then ran over a 1-byte buffer (segfault). Now an InputError.
    @Test("dimensions whose byte count overflows 64 bits throw InputError, not a crash", .tags(.fast))
    func overflowingDimensions() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // The header builder itself makes a readable file: 2 x 2 voxels, values swapped to CPU order.
        let small = folder.file("small.nii")
        try Self.bigEndianInt16File(dim: [2, 2, 2, 1, 1, 1, 1, 1], voxels: [1, -2, 300, 4])
            .write(to: URL(fileURLWithPath: small))
        #expect(try NIfTI.read(small).data == [1, -2, 300, 4])
        let huge = folder.file("huge.nii")
        try Self.bigEndianInt16File(dim: [7, 512, 512, 512, 512, 512, 512, 512]).write(to: URL(fileURLWithPath: huge))
        let message = inputErrorMessage { _ = try NIfTI.read(huge) }
        #expect(message?.hasPrefix("\(huge): unsupported dimensions: 7 dimensions") == true, "\(message ?? "no error")")
    }

    /// Fuzz finding (Fuzz/corpus/nifti/regress-gz-huge-claim.nii.gz): for a gzip file the reader allocated the
    /// byte count the header promises before reading, so a small file claiming 32767^4 voxels asked malloc for
    /// about 10^18 bytes ("out of memory", and an out-of-memory report under the fuzzer's AddressSanitizer).
    /// Memory now grows with the data actually read, and the file is reported as truncated.
    @Test("a gzip file whose header promises far more voxels than it holds reads as truncated", .tags(.fast))
    func gzipHeaderPromisingHugeData() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let plain = folder.file("labels.nii")
        try NIfTI.write(Self.labelVolume(), to: plain, description: "")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: plain))
        for (i, v) in [Int16(4), 32767, 32767, 32767, 32767].enumerated() {
            withUnsafeBytes(of: v.littleEndian) { bytes.replaceSubrange((40 + 2 * i)..<(42 + 2 * i), with: $0) }
        }
        // zlib reads an uncompressed file transparently, and the name ending .nii.gz selects the gzip path.
        let path = folder.file("huge.nii.gz")
        try bytes.write(to: URL(fileURLWithPath: path))
        let message = inputErrorMessage { _ = try NIfTI.read(path) }
        #expect(message?.hasPrefix("\(path): cannot read the voxel data (file truncated or corrupt") == true,
                "\(message ?? "no error")")
    }

    /// Fuzz finding (Fuzz/corpus/nifti/regress-nan-origin.nii): only the affine's 3x3 part was checked (through
    /// its determinant), so a NaN in the sform's translation (srow_x[3]) gave a volume with a NaN origin.
    @Test("a NaN in the affine's translation throws InputError", .tags(.fast))
    func nonFiniteTranslation() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let good = folder.file("good.nii")
        try NIfTI.write(Self.labelVolume(), to: good, description: "")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        withUnsafeBytes(of: Float.nan) { bytes.replaceSubrange(292..<296, with: $0) }  // srow_x[3] (offset 280 + 12)
        let path = folder.file("nan-origin.nii")
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(inputErrorMessage { _ = try NIfTI.read(path) }
                == "\(path): the voxel-to-patient affine is singular or not finite")
    }

    @Test("a file name without .nii/.nii.gz is refused with OutputError", .tags(.fast))
    func badOutputName() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("cine.img")
        #expect(throws: OutputError("\(path): a NIfTI file name must end in .nii.gz or .nii")) {
            try NIfTI.write(Self.labelVolume(), to: path, description: "")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
