import CRTCore
import Foundation
import HeartPhantom
import ImageIO
import SyntheticCase
import Testing

extension Tag {
    @Tag static var images: Self
}

/// Named tolerances.
enum Tolerance {
    /// Share of mid-wall myocardial points whose voxel, found through the written NIfTI affine, is labelled LV
    /// myocardium in the truth label volume.
    static let affineHitRate = 0.95
}

func temporaryFolder(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    try? FileManager.default.removeItem(at: dir)
    return dir.path
}

let smallSpec = try! PhantomSpec.load(yaml: """
    name: small
    realism: ideal
    cmr:
      cine: {slices: 4, phases: 3, fovMm: 240, pixelMm: 2.5}
      lge: {slices: 4, fovMm: 240, pixelMm: 2.5}
      sliceMisregistrationMm: 2
    scars: [{centreSegment: 16, transmurality: 0.5}]
    """, file: "small.yaml")

@Suite("Case folders", .tags(.images))
struct CaseFolderTests {
    @Test("same phantom and seed give byte-identical files; another seed gives other noise and the same truth")
    func determinism() throws {
        let a = temporaryFolder("det-a"), b = temporaryFolder("det-b"), c = temporaryFolder("det-c")
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
        let ta = try CaseGenerator.generate(spec: smallSpec, seed: 7, out: a, previews: false)
        _ = try CaseGenerator.generate(spec: smallSpec, seed: 7, out: b, previews: false)
        let tc = try CaseGenerator.generate(spec: smallSpec, seed: 8, out: c, previews: false)
        for f in ta.files {
            let da = try Data(contentsOf: URL(fileURLWithPath: "\(a)/\(f)")), db = try Data(contentsOf: URL(fileURLWithPath: "\(b)/\(f)"))
            #expect(da == db, "\(f) differs between two runs with the same seed")
        }
        let cineA = try Data(contentsOf: URL(fileURLWithPath: "\(a)/cmr/cine.nii.gz"))
        let cineC = try Data(contentsOf: URL(fileURLWithPath: "\(c)/cmr/cine.nii.gz"))
        #expect(cineA != cineC, "another seed must give other noise")
        // Same anatomy and physiology: every truth value except the seed-dependent acquisition record.
        let enc = FileOutput.jsonEncoder()
        #expect(try enc.encode(ta.truth.segments) == enc.encode(tc.truth.segments))
        #expect(ta.truth.edvMl == tc.truth.edvMl && ta.truth.esvMl == tc.truth.esvMl && ta.truth.primaryTarget == tc.truth.primaryTarget)
    }

    @Test("under realism: clinical the seed draws the patient: same seed same phantom.json, another seed another patient")
    func clinicalPatientPerSeed() throws {
        var clinical = smallSpec
        clinical.realism = .clinical
        let a = temporaryFolder("clin-a"), c = temporaryFolder("clin-c")
        defer { for d in [a, c] { try? FileManager.default.removeItem(atPath: d) } }
        _ = try CaseGenerator.generate(spec: clinical, seed: 7, out: a, previews: false, xray: false)
        let tc = try CaseGenerator.generate(spec: clinical, seed: 8, out: c, previews: false, xray: false)
        let pa = try JSONDecoder().decode(PhantomSpec.self, from: Data(contentsOf: URL(fileURLWithPath: "\(a)/truth/phantom.json")))
        let pc = try JSONDecoder().decode(PhantomSpec.self, from: Data(contentsOf: URL(fileURLWithPath: "\(c)/truth/phantom.json")))
        #expect(pa == clinical.resolved(seed: 7), "phantom.json is the resolved patient of seed 7")
        #expect(pa.activation.latestAngleDeg != pc.activation.latestAngleDeg)
        // The recorded patient makes the same case again.
        let b = temporaryFolder("clin-b")
        defer { try? FileManager.default.removeItem(atPath: b) }
        let tb = try CaseGenerator.generate(spec: pc, seed: 8, out: b, previews: false, xray: false)
        let enc = FileOutput.jsonEncoder()
        #expect(try enc.encode(tb.truth) == enc.encode(tc.truth))
    }

    @Test("cmr/ holds only what a scanner records")
    func noTruthInScannerFolder() throws {
        let a = temporaryFolder("cmr-only")
        defer { try? FileManager.default.removeItem(atPath: a) }
        _ = try CaseGenerator.generate(spec: smallSpec, seed: 1, out: a, previews: false)
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(a)/cmr").sorted()
        #expect(files == ["acquisition.json", "cine-2ch.nii.gz", "cine-3ch.nii.gz", "cine-4ch.nii.gz", "cine.nii.gz", "lge.nii.gz"])
        let acq = try String(contentsOfFile: "\(a)/cmr/acquisition.json", encoding: .utf8)
        for word in ["truth", "scar", "segment", "Shift", "edv", "onset"] {
            #expect(!acq.lowercased().contains(word.lowercased()), "acquisition.json mentions \(word)")
        }
        // The geometry in acquisition.json rebuilds the NIfTI grid.
        let loaded = try CMRAcquisition.load("\(a)/cmr/acquisition.json")
        let cine = try NIfTI.read("\(a)/cmr/cine.nii.gz")
        let g = try loaded.cine.grid()
        let p0 = g.patient(3, 5, 2), p1 = cine.grid.patient(3, 5, 2)
        #expect((p0 - p1).length < 1e-3, "acquisition.json and the NIfTI affine agree")
        // Each long-axis view: one slice at every cine phase, its record agreeing with its NIfTI.
        for (key, series) in loaded.allSeries where key.hasPrefix("cine") && key != "cine" {
            let view = try NIfTI.read("\(a)/cmr/cine-\(key.dropFirst(4)).nii.gz")
            #expect(view.grid.size == [cine.grid.size[0], cine.grid.size[1], 1] && view.frames == cine.frames, "\(key)")
            #expect(series.disagreement(with: view.grid) == nil, "\(key)")
            #expect(series.triggerTime == loaded.cine.triggerTime, "\(key)")
        }
        #expect(loaded.allSeries.count == 5)
    }

    @Test("a patient point maps through the written NIfTI affine to the voxel that shows it")
    func affineRoundTrip() throws {
        let dir = temporaryFolder("affine")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spec = smallSpec
        spec.cmr.sliceMisregistrationMm = 0
        _ = try CaseGenerator.generate(spec: spec, seed: 1, out: dir, previews: false)
        let labels = try NIfTI.read("\(dir)/truth/cine-labels.nii.gz")
        let heart = HeartModel(spec: spec)
        let st = heart.state(atMs: 0)
        let normal = labels.grid.patientFromVoxel.linear.columns.2.normalized
        var hits = 0, total = 0
        for k in 0..<labels.grid.size[2] {
            // Points on the mid-wall at the centre plane of slice k.
            let c = labels.grid.patient(0, 0, Double(k))
            let sNow = (c - heart.frame.apexMm).dot(normal) / heart.frame.baseDirection.dot(normal)
            guard sNow > heart.endoApexHeightMm + 5, sNow < heart.baseHeightMm - 3 else { continue }
            for phi in stride(from: 0.0, to: 360, by: 15) {
                let r = heart.wallRadii(sNow: sNow, phiDeg: phi, st)
                let p = heart.frame.patient(s: sNow, r: 0.5 * (r.endo + r.epi), phiDeg: phi)
                let v = labels.grid.voxel(of: p)
                let (i, j, kk) = (Int(v.x.rounded()), Int(v.y.rounded()), Int(v.z.rounded()))
                guard (0..<labels.grid.size[0]).contains(i), (0..<labels.grid.size[1]).contains(j) else { continue }
                #expect(kk == k, "point of slice \(k) maps to slice \(kk)")
                total += 1
                if labels.data[labels.index(i, j, kk, 0)] == Float(Tissue.lvMyocardium.rawValue) { hits += 1 }
            }
        }
        #expect(total > 40)
        #expect(Double(hits) / Double(total) >= Tolerance.affineHitRate, "\(hits) of \(total) mid-wall points land on myocardium")
    }

    @Test("an existing folder that crtsim did not make is refused and left untouched")
    func refusesForeignFolder() throws {
        let dir = temporaryFolder("foreign")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "keep".write(toFile: "\(dir)/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: InputError.self) { try CaseGenerator.generate(spec: smallSpec, seed: 1, out: dir, replace: true, previews: false) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["notes.txt"])
    }
}

@Suite("Phantom record", .tags(.images))
struct PhantomRecordTests {
    /// truth/phantom.json reads back as a phantom file and regenerates the same truth and images byte for byte.
    @Test func phantomJSONRoundTrip() throws {
        let a = temporaryFolder("rt-a"), b = temporaryFolder("rt-b")
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        _ = try CaseGenerator.generate(spec: smallSpec, seed: 5, out: a, previews: false, xray: false)
        let recorded = try String(contentsOfFile: a + "/truth/phantom.json", encoding: .utf8)
        let spec = try PhantomSpec.load(yaml: recorded, file: "phantom.json")
        _ = try CaseGenerator.generate(spec: spec, seed: 5, out: b, previews: false, xray: false)
        for f in ["truth/truth.json", "cmr/cine.nii.gz", "cmr/lge.nii.gz"] {
            #expect(FileManager.default.contents(atPath: a + "/" + f) == FileManager.default.contents(atPath: b + "/" + f), "\(f)")
        }
    }
}
