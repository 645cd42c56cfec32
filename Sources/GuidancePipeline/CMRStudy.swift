import CRTCore
import Foundation
import ImageIO

/// What the guidance pipeline reads: the cine and LGE volumes and what the scanner recorded about them
/// (`cmr/cine.nii.gz`, `cmr/lge.nii.gz`, `cmr/acquisition.json`). Nothing else of a case is reachable from here:
/// the loader takes the `cmr/` folder itself, never the case folder around it.
public struct CMRStudy: Sendable {
    /// Cine bSSFP short-axis stack: (column, row, slice, phase), geometry from the NIfTI affine.
    public var cine: ImageVolume<Float>
    /// LGE inversion-recovery stack: (column, row, slice).
    public var lge: ImageVolume<Float>
    /// Scanner metadata (trigger times, inversion time, DICOM geometry).
    public var acquisition: CMRAcquisition

    public init(cine: ImageVolume<Float>, lge: ImageVolume<Float>, acquisition: CMRAcquisition) throws {
        self.cine = cine; self.lge = lge; self.acquisition = acquisition
        try validate()
    }

    /// Trigger time of every cine phase (ms after the R wave), from acquisition.json.
    public var cineTimesMs: [Double] { acquisition.cine.triggerTime }
    /// Trigger time of the LGE series (ms after the R wave; mid-diastole typically).
    public var lgeTimeMs: Double { acquisition.lge.triggerTime.first ?? 0 }

    /// Reads and validates a `cmr/` folder.
    /// - Parameter cmrDirectory: the folder holding cine.nii.gz, lge.nii.gz and acquisition.json.
    /// - Throws: `InputError` naming the file and the problem (missing, unreadable, NaN voxels, dimensions that
    ///   disagree with acquisition.json).
    public static func load(cmrDirectory: String) throws -> CMRStudy {
        let dir = URL(fileURLWithPath: cmrDirectory)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw InputError("\(dir.path): no such folder (expected a case's cmr/ folder)")
        }
        let acquisition = try CMRAcquisition.load(dir.appendingPathComponent("acquisition.json").path)
        let cine = try NIfTI.read(dir.appendingPathComponent("cine.nii.gz").path)
        let lge = try NIfTI.read(dir.appendingPathComponent("lge.nii.gz").path)
        do {
            return try CMRStudy(cine: cine, lge: lge, acquisition: acquisition)
        } catch let e as InputError {
            throw InputError("\(dir.path): \(e.message)")
        }
    }

    /// Checks the images against each other and against acquisition.json.
    func validate() throws {
        for (name, volume, series) in [("cine.nii.gz", cine, acquisition.cine), ("lge.nii.gz", lge, acquisition.lge)] {
            let s = volume.grid.size
            guard s[0] == series.columns, s[1] == series.rows, s[2] == series.imagePositionPatient.count else {
                throw InputError("\(name): dimensions \(s[0]) x \(s[1]) x \(s[2]) disagree with acquisition.json "
                    + "(Columns \(series.columns), Rows \(series.rows), \(series.imagePositionPatient.count) slices)")
            }
            guard s[0] >= 16, s[1] >= 16 else {
                throw InputError("\(name): images of \(s[0]) x \(s[1]) pixels are too small (need at least 16 x 16)")
            }
            if let bad = volume.data.firstIndex(where: { !$0.isFinite }) {
                throw InputError("\(name): voxel \(bad) is not a finite number")
            }
        }
        guard cine.frames >= 3 else {
            throw InputError("cine.nii.gz: \(cine.frames) phases; feature tracking needs at least 3 (allowed 3-200)")
        }
        guard cine.frames == acquisition.cine.triggerTime.count else {
            throw InputError("acquisition.json: cine.TriggerTime has \(acquisition.cine.triggerTime.count) values "
                + "but cine.nii.gz has \(cine.frames) phases")
        }
        let t = acquisition.cine.triggerTime
        guard zip(t, t.dropFirst()).allSatisfy({ $0 < $1 }), t.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw InputError("acquisition.json: cine.TriggerTime must be finite, >= 0 ms and increasing")
        }
        guard cine.grid.size[2] >= 3 else {
            throw InputError("cine.nii.gz: \(cine.grid.size[2]) slices; the LV model needs at least 3 (allowed 3-100)")
        }
        guard cine.data.contains(where: { $0 != 0 }) else {
            throw InputError("cine.nii.gz: every voxel is 0 (no image)")
        }
    }
}
