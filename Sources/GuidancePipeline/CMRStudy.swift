import CRTCore
import Foundation
import ImageIO

/// What the guidance pipeline reads: the cine and LGE volumes and what the scanner recorded about them
/// (`cmr/cine.nii.gz`, `cmr/lge.nii.gz`, `cmr/acquisition.json`), and the long-axis cine views
/// (`cmr/cine-2ch.nii.gz`, `cine-3ch`, `cine-4ch`) when acquisition.json records them. Nothing else of a case is reachable from here:
/// the loader takes the `cmr/` folder itself, never the case folder around it.
public struct CMRStudy: Sendable {
    /// Cine bSSFP short-axis stack: (column, row, slice, phase), geometry from the NIfTI affine.
    public var cine: ImageVolume<Float>
    /// LGE inversion-recovery stack: (column, row, slice).
    public var lge: ImageVolume<Float>
    /// Scanner metadata (trigger times, inversion time, DICOM geometry).
    public var acquisition: CMRAcquisition
    /// Long-axis cine views present in the case, keyed by view name ("2ch", "3ch", "4ch"): one slice each
    /// (column, row, 1, phase), geometry from the NIfTI affine, checked against `acquisition.cine2ch` etc. Empty
    /// when the case has none (other generators, earlier crtsim releases): the pipeline then works as before.
    public var longAxis: [String: ImageVolume<Float>]

    /// The long-axis views a case may have: view name, NIfTI file under cmr/, acquisition.json key.
    public static let longAxisViews: [(view: String, file: String, key: String)] =
        ["2ch", "3ch", "4ch"].map { ($0, "cine-\($0).nii.gz", "cine\($0)") }

    public init(cine: ImageVolume<Float>, lge: ImageVolume<Float>, acquisition: CMRAcquisition,
                longAxis: [String: ImageVolume<Float>] = [:]) throws {
        self.cine = cine; self.lge = lge; self.acquisition = acquisition; self.longAxis = longAxis
        try validate()
    }

    /// The acquisition.json record of a long-axis view ("2ch", "3ch", "4ch"), nil when not recorded.
    public func longAxisRecord(_ view: String) -> SeriesGeometry? {
        switch view {
        case "2ch": return acquisition.cine2ch
        case "3ch": return acquisition.cine3ch
        case "4ch": return acquisition.cine4ch
        default: return nil
        }
    }
    /// Trigger times (ms after the R wave) of a long-axis view's phases, from acquisition.json.
    public func longAxisTimesMs(_ view: String) -> [Double] { longAxisRecord(view)?.triggerTime ?? [] }

    /// Trigger time of every cine phase (ms after the R wave), from acquisition.json.
    public var cineTimesMs: [Double] { acquisition.cine.triggerTime }
    /// Trigger time of the LGE series (ms after the R wave; mid-diastole typically).
    public var lgeTimeMs: Double { acquisition.lge.triggerTime.first ?? 0 }

    /// Reads and validates a `cmr/` folder.
    /// - Parameter cmrDirectory: the folder holding cine.nii.gz, lge.nii.gz and acquisition.json.
    /// - Throws: `InputError` naming the file and the problem (missing, unreadable, NaN voxels, dimensions that
    ///   disagree with acquisition.json; a long-axis view that acquisition.json records but whose file is missing,
    ///   or whose matrix, slice count, phase count or geometry disagrees with its record).
    public static func load(cmrDirectory: String) throws -> CMRStudy {
        let dir = URL(fileURLWithPath: cmrDirectory)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw InputError("\(dir.path): no such folder (expected a case's cmr/ folder)")
        }
        let acquisition = try CMRAcquisition.load(dir.appendingPathComponent("acquisition.json").path)
        // Long-axis views: read each one acquisition.json records (the record makes the file required).
        let recorded = longAxisViews.filter { v in acquisition.allSeries.contains(where: { $0.key == v.key }) }
        // The files are decompressed in parallel; their errors are reported in the order of a serial read (cine,
        // LGE, then each recorded long-axis view: missing, else unreadable).
        let paths = ["cine.nii.gz", "lge.nii.gz"].map { dir.appendingPathComponent($0).path }
            + recorded.map { dir.appendingPathComponent($0.file).path }
        let reads = ParallelOutput<Result<ImageVolume<Float>, Error>?>(count: paths.count, initial: nil)
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            guard FileManager.default.fileExists(atPath: paths[i]) || i < 2 else { return }
            reads.range(i..<(i + 1))[0] = Result { try NIfTI.read(paths[i]) }
        }
        let volumes = reads.array
        let cine = try volumes[0]!.get()
        let lge = try volumes[1]!.get()
        var longAxis: [String: ImageVolume<Float>] = [:]
        for (k, v) in recorded.enumerated() {
            guard let read = volumes[2 + k] else {
                throw InputError("\(dir.path): acquisition.json records \(v.key) but \(v.file) is missing")
            }
            longAxis[v.view] = try read.get()
        }
        do {
            return try CMRStudy(cine: cine, lge: lge, acquisition: acquisition, longAxis: longAxis)
        } catch let e as InputError {
            throw InputError("\(dir.path): \(e.message)")
        }
    }

    /// Largest relative difference allowed between the cine phase interval in the NIfTI header (pixdim[4]) and
    /// the median step of acquisition.json's cine TriggerTime (2 %, and at least 0.5 ms for rounding).
    public static let frameIntervalTolerance = 0.02
    /// Largest ratio allowed between the R-R intervals (NominalInterval) recorded for the cine and the LGE series
    /// of one examination: heart rate at rest changes by far less than 50 % between the two acquisitions
    /// (docs/reliability.md), while a misrecorded interval is typically off by a multiple.
    public static let rrIntervalRatioLimit = 1.5

    /// Timing within and between the series: the NIfTI phase interval against the trigger times, trigger times
    /// within the R-R interval, and the cine and LGE R-R intervals against each other.
    func validateTiming() throws {
        let t = acquisition.cine.triggerTime
        if cine.frames > 1, cine.frameIntervalMs > 0, t.count > 1 {
            let steps = zip(t, t.dropFirst()).map { $1 - $0 }.sorted()
            let step = steps[steps.count / 2]
            if abs(cine.frameIntervalMs - step) > max(0.5, Self.frameIntervalTolerance * step) {
                throw InputError("acquisition.json: cine.TriggerTime steps by \(String(format: "%.4g", step)) ms but cine.nii.gz has a phase "
                    + "interval (pixdim[4]) of \(String(format: "%.4g", cine.frameIntervalMs)) ms: the two files contradict each other")
            }
        }
        for (key, series) in acquisition.allSeries {
            if let rr = series.nominalInterval, let last = series.triggerTime.max(), last >= rr {
                throw InputError("acquisition.json: \(key).TriggerTime \(String(format: "%.4g", last)) ms is not within the R-R interval "
                    + "\(key).NominalInterval = \(String(format: "%.4g", rr)) ms (trigger times count from the R wave)")
            }
        }
        if let a = acquisition.cine.nominalInterval, let b = acquisition.lge.nominalInterval,
           max(a, b) > Self.rrIntervalRatioLimit * min(a, b) {
            throw InputError("acquisition.json: lge.NominalInterval = \(String(format: "%.4g", b)) ms and cine.NominalInterval = "
                + "\(String(format: "%.4g", a)) ms differ by more than a factor \(Self.rrIntervalRatioLimit) (one examination, one heart)")
        }
    }

    /// Each long-axis image against its acquisition.json record: one slice, the recorded matrix, geometry and
    /// phase count, finite voxels; and no image without a record.
    func validateLongAxis() throws {
        for (view, volume) in longAxis.sorted(by: { $0.key < $1.key }) {
            let name = "cine-\(view).nii.gz", key = "cine\(view)"
            guard let series = longAxisRecord(view) else {
                throw InputError("\(name): acquisition.json has no \(key) record for it")
            }
            let s = volume.grid.size
            guard s[0] == series.columns, s[1] == series.rows, s[2] == 1, series.imagePositionPatient.count == 1 else {
                throw InputError("\(name): dimensions \(s[0]) x \(s[1]) x \(s[2]) disagree with acquisition.json "
                    + "(\(key): Columns \(series.columns), Rows \(series.rows), \(series.imagePositionPatient.count) slices; a long-axis view has 1)")
            }
            guard s[0] >= 16, s[1] >= 16 else {
                throw InputError("\(name): images of \(s[0]) x \(s[1]) pixels are too small (need at least 16 x 16)")
            }
            guard volume.frames == series.triggerTime.count else {
                throw InputError("acquisition.json: \(key).TriggerTime has \(series.triggerTime.count) values but \(name) has \(volume.frames) phases")
            }
            if let bad = volume.data.firstIndex(where: { !$0.isFinite }) {
                throw InputError("\(name): voxel \(bad) is not a finite number")
            }
            if let conflict = series.disagreement(with: volume.grid) {
                throw InputError("acquisition.json: \(key).\(conflict) of \(name): the two files contradict each other")
            }
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
            let key = name == "cine.nii.gz" ? "cine" : "lge"
            if let conflict = series.disagreement(with: volume.grid) {
                throw InputError("acquisition.json: \(key).\(conflict) of \(name): the two files contradict each other")
            }
        }
        try validateLongAxis()
        try validateTiming()
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
