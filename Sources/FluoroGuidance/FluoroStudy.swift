import CRTCore
import Foundation
import ImageIO

/// A detector position in pixels: (column, row), origin at the centre of the first pixel, column to the right,
/// row down (the convention of `xray/*.nii.gz` array axes 0 and 1 and of `operator/clicks-<VIEW>.json`).
public struct DetectorPixel: Hashable, Codable, Sendable {
    public var column: Double
    public var row: Double
    public init(column: Double, row: Double) { self.column = column; self.row = row }
    /// Euclidean distance (pixels).
    public func distance(to o: DetectorPixel) -> Double { ((column - o.column) * (column - o.column) + (row - o.row) * (row - o.row)).squareRoot() }
    // Encoded as [column, row], the form of the clicks files.
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        self.init(column: try c.decode(Double.self), row: try c.decode(Double.self))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(column); try c.encode(row)
    }
}

/// One 2D detector image, rows x columns, column fastest: pixel (c, r) at index r * columns + c.
public struct DetectorImage: Sendable {
    public var columns: Int
    public var rows: Int
    public var pixels: [Float]
    public init(columns: Int, rows: Int, pixels: [Float]) {
        precondition(pixels.count == columns * rows, "\(pixels.count) pixels for \(columns) x \(rows)")
        self.columns = columns; self.rows = rows; self.pixels = pixels
    }
    @inlinable public subscript(c: Int, r: Int) -> Float { pixels[r * columns + c] }
    /// Bilinear sample at a fractional pixel; `outside` beyond the image.
    @inlinable public func sample(column x: Double, row y: Double, outside: Float = 0) -> Float {
        guard x >= 0, y >= 0, x <= Double(columns - 1), y <= Double(rows - 1) else { return outside }
        let c0 = min(Int(x), columns - 2), r0 = min(Int(y), rows - 2)
        let fx = Float(x - Double(c0)), fy = Float(y - Double(r0))
        let i = r0 * columns + c0
        let a = pixels[i] * (1 - fx) + pixels[i + 1] * fx
        let b = pixels[i + columns] * (1 - fx) + pixels[i + columns + 1] * fx
        return a * (1 - fy) + b * fy
    }
}

/// One C-arm view as the cath lab records it: the DICOM XA geometry (`xray/<VIEW>.json`), the venogram and the
/// lead image (`xray/<VIEW>-venogram.nii.gz`, `xray/<VIEW>-lead.nii.gz`, -ln(I/I0)) and the operator's landmark
/// clicks (`operator/clicks-<VIEW>.json`).
public struct FluoroView: Sendable {
    public var geometry: CArmView
    /// The venogram frame the registration uses (`venogramFrame` of the run).
    public var venogram: DetectorImage
    /// Index of that frame in the venogram file (0 for a single image) and why it was chosen.
    public var venogramFrame = 0
    public var venogramFrameChoice = FrameChoice.single
    /// From the run's ECG record (`xray/<VIEW>-ecg.json`), when there is one: the lead image's time after the R
    /// wave (ms).
    public var leadImageTimeMs: Double? = nil
    /// How the frame of a venogram run was chosen (docs/fluoroscopy.md, "Motion and time").
    public enum FrameChoice: String, Sendable {
        /// One image, nothing to choose.
        case single
        /// The frame the operator clicked (the clicks file's `frame`).
        case clicked
        /// The frame nearest end-diastole by the ECG record (`xray/<VIEW>-ecg.json`): the CMR model is at end-diastole.
        case endDiastole = "end-diastole"
        /// Neither said: the first frame.
        case first
    }
    /// The image after implant; nil when the file is absent.
    public var lead: DetectorImage?
    /// Landmark name to clicked pixel (empty when the operator clicked nothing on this view).
    public var clicks: [String: DetectorPixel]
    public var name: String { geometry.name }
    /// World (C-arm, mm) to detector pixel.
    public var projection: ProjectionMatrix { geometry.projection }
    /// Size of a detector pixel at the isocentre (mm; `CArmView.millimetresPerPixelAtIsocentre`).
    public var millimetresPerPixelAtIsocentre: Double { geometry.millimetresPerPixelAtIsocentre }

    public init(geometry: CArmView, venogram: DetectorImage, lead: DetectorImage?, clicks: [String: DetectorPixel]) {
        self.geometry = geometry; self.venogram = venogram; self.lead = lead; self.clicks = clicks
    }
}

/// The implanted LV lead as the implant record gives it (operator/lead.json): the model's name and, from the
/// manufacturer's manual, where its electrodes sit. A clinical tool knows which lead was implanted; the pipeline
/// uses the electrode count and spacing to tell this lead's electrodes from other leads' (docs/fluoroscopy.md).
public struct ImplantedLead: Codable, Sendable, Equatable {
    public var model: String
    /// Electrode centres from the distal end of the lead (mm), distal first, increasing.
    public var electrodeOffsetsFromDistalEndMm: [Double]
    /// Electrode lengths along the lead (mm), same order.
    public var electrodeLengthsMm: [Double]
    public init(model: String, electrodeOffsetsFromDistalEndMm: [Double], electrodeLengthsMm: [Double]) {
        self.model = model; self.electrodeOffsetsFromDistalEndMm = electrodeOffsetsFromDistalEndMm; self.electrodeLengthsMm = electrodeLengthsMm
    }
    public var electrodeCount: Int { electrodeOffsetsFromDistalEndMm.count }
    /// Centre-to-centre distances of neighbouring electrodes (mm), distal first.
    public var gapsMm: [Double] {
        (1..<electrodeOffsetsFromDistalEndMm.count).map { electrodeOffsetsFromDistalEndMm[$0] - electrodeOffsetsFromDistalEndMm[$0 - 1] }
    }

    /// Reads and checks operator/lead.json: 2 to 8 electrodes at offsets 0-120 mm, increasing, lengths 0.3-10 mm.
    public static func read(_ path: String) throws -> ImplantedLead {
        let lead: ImplantedLead
        do {
            lead = try JSONDecoder().decode(ImplantedLead.self, from: try InputFile.read(path, what: "implanted lead record (JSON)"))
        } catch let e as DecodingError {
            throw InputError("\(path): expected {\"model\": name, \"electrodeOffsetsFromDistalEndMm\": [mm], \"electrodeLengthsMm\": [mm]} (\(FluoroStudy.describe(e)))")
        }
        let o = lead.electrodeOffsetsFromDistalEndMm
        guard (2...8).contains(o.count) else {
            throw InputError("\(path): electrodeOffsetsFromDistalEndMm: \(o.count) electrodes; expected 2 to 8")
        }
        guard o.allSatisfy({ $0.isFinite && (0...120).contains($0) }), zip(o, o.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw InputError("\(path): electrodeOffsetsFromDistalEndMm: expected increasing numbers from 0 to 120 (mm)")
        }
        guard lead.electrodeLengthsMm.count == o.count, lead.electrodeLengthsMm.allSatisfy({ $0.isFinite && (0.3...10).contains($0) }) else {
            throw InputError("\(path): electrodeLengthsMm: expected \(o.count) numbers from 0.3 to 10 (mm), one per electrode")
        }
        return lead
    }
}

/// The fluoroscopy inputs of one case: every view found in `xray/`, with the operator's clicks.
public struct FluoroStudy: Sendable {
    public var views: [FluoroView]
    /// The implanted LV lead from operator/lead.json; nil when absent (a generic quadripolar lead is assumed).
    public var implantedLead: ImplantedLead?
    /// The R-R interval of the runs' ECG records (ms); nil without one.
    public var rrIntervalMs: Double? = nil
    /// Remarks about the input (views too close together, a missing lead image), written to analysis.json.
    public var warnings: [String]

    /// Views less than this far apart (angle between their central rays, degrees) get a warning (DOMAIN.md
    /// section 1 item 6: the clinic takes two views at least 60 degrees apart).
    public static let minimumSeparationDegrees = 60.0

    public init(views: [FluoroView]) throws {
        guard views.count >= 2 else {
            throw InputError("xray: \(views.count) view(s) found; registration and lead triangulation need two views (expected xray/<VIEW>.json with xray/<VIEW>-venogram.nii.gz for each)")
        }
        self.views = views
        warnings = []
        let sep = separationDegrees
        if sep < 1 {
            throw InputError("xray: views \(views.map(\.name).joined(separator: ", ")) look along the same direction (\(String(format: "%.1f", sep)) degrees apart); two different views are needed")
        }
        if sep < FluoroStudy.minimumSeparationDegrees {
            warnings.append(String(format: "views %@ are only %.0f degrees apart (the clinic uses at least %.0f): depth along the mean viewing direction is poorly determined, so registration and lead triangulation errors grow roughly as 1/sin(separation), about %.1fx those of views 90 degrees apart", views.map(\.name).joined(separator: " and "), sep, FluoroStudy.minimumSeparationDegrees, 1 / max(sin(radians(sep)), 1e-3)))
        }
        if views.contains(where: { $0.lead == nil }) {
            warnings.append("no lead image for view(s) \(views.filter { $0.lead == nil }.map(\.name).joined(separator: ", ")): the lead position is not determined")
        }
    }

    /// Largest angle between the central rays of two views (degrees).
    public var separationDegrees: Double {
        var best = 0.0
        for i in views.indices { for j in views.indices where j > i {
            let c = clamp(views[i].geometry.beamDirection.dot(views[j].geometry.beamDirection), -1, 1)
            best = max(best, degrees(acos(c)))
        } }
        return best
    }

    /// Reads every view of `xray/` and its clicks from `operator/`.
    /// - Parameters:
    ///   - xrayDirectory: the case's `xray/` folder (`<VIEW>.json`, `<VIEW>-venogram.nii.gz`, `<VIEW>-lead.nii.gz`).
    ///   - operatorDirectory: the case's `operator/` folder (`clicks-<VIEW>.json`); nil or absent: no clicks.
    /// - Throws: `InputError` naming the file: no views, geometry missing or absurd (`CArmView.validate`), an
    ///   image missing or of the wrong size, non-finite pixels, malformed clicks.
    public static func load(xrayDirectory: String, operatorDirectory: String?) throws -> FluoroStudy {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: xrayDirectory)
        guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else {
            throw InputError("\(dir.path): no such folder (expected a case's xray/ folder)")
        }
        // `<VIEW>-ecg.json` beside a run is its ECG record, not a view.
        let geometryFiles = names.filter { $0.hasSuffix(".json") && !$0.hasSuffix("-ecg.json") }.sorted()
        var views: [FluoroView] = []
        var rrIntervalMs: Double? = nil
        for file in geometryFiles {
            let path = dir.appendingPathComponent(file).path
            let geometry: CArmView
            do {
                geometry = try JSONDecoder().decode(CArmView.self, from: try InputFile.read(path, what: "C-arm geometry file (JSON)"))
            } catch let e as DecodingError {
                throw InputError("\(path): not a C-arm geometry record (\(describe(e))); expected the DICOM XA keys SeriesDescription, PositionerPrimaryAngle, PositionerSecondaryAngle, DistanceSourceToDetector, DistanceSourceToPatient, Rows, Columns, ImagerPixelSpacing")
            } catch let e as InputError {
                throw e
            } catch {
                throw InputError("\(path): cannot read (\(error.localizedDescription))")
            }
            try geometry.validate(field: path)
            let stem = String(file.dropLast(".json".count))
            guard geometry.name == stem else {
                throw InputError("\(path): SeriesDescription '\(geometry.name)' differs from the file name '\(stem)'")
            }
            let venogramPath = dir.appendingPathComponent("\(stem)-venogram.nii.gz").path
            guard fm.fileExists(atPath: venogramPath) else {
                throw InputError("\(venogramPath): missing (the venogram of view \(stem))")
            }
            let run = try readImage(venogramPath, geometry: geometry, frames: true)
            let leadPath = dir.appendingPathComponent("\(stem)-lead.nii.gz").path
            let lead = fm.fileExists(atPath: leadPath) ? try readImage(leadPath, geometry: geometry, frames: false)[0] : nil
            var clicks: [String: DetectorPixel] = [:]
            var clickedFrame: Int? = nil
            if let op = operatorDirectory {
                let clickPath = URL(fileURLWithPath: op).appendingPathComponent("clicks-\(stem).json").path
                if fm.fileExists(atPath: clickPath) {
                    (clicks, clickedFrame) = try readClicks(clickPath, geometry: geometry)
                    if let k = clickedFrame, k >= run.count {
                        throw InputError("\(clickPath): frame: \(k) is not a frame of \(venogramPath) (0-\(run.count - 1))")
                    }
                }
            }
            let ecgPath = dir.appendingPathComponent("\(stem)-ecg.json").path
            let ecg = fm.fileExists(atPath: ecgPath) ? try readRunRecord(ecgPath, view: stem, frames: run.count) : nil
            // The frame to register on: the one the operator clicked, else the one nearest end-diastole (the CMR
            // model's phase), else the first.
            var view = FluoroView(geometry: geometry, venogram: run[0], lead: lead, clicks: clicks)
            if let ecg { view.leadImageTimeMs = ecg.leadCardiacPhaseFraction * ecg.rrIntervalMs }
            rrIntervalMs = rrIntervalMs ?? ecg?.rrIntervalMs
            if run.count > 1 {
                if let k = clickedFrame {
                    view.venogramFrame = k; view.venogramFrameChoice = .clicked
                } else if let ecg {
                    view.venogramFrame = XRayRunRecord.indexNearestEndDiastole(ecg.venogramCardiacPhaseFractions)
                    view.venogramFrameChoice = .endDiastole
                } else {
                    view.venogramFrameChoice = .first
                }
                view.venogram = run[view.venogramFrame]
            }
            views.append(view)
        }
        var study: FluoroStudy
        do {
            study = try FluoroStudy(views: views)
        } catch let e as InputError {
            throw InputError("\(dir.path): \(e.message)")
        }
        study.rrIntervalMs = rrIntervalMs
        for v in study.views where v.venogramFrameChoice == .first {
            study.warnings.append("venogram of view \(v.name) is a run of frames with neither the clicked frame (clicks file `frame`) nor an ECG record (xray/\(v.name)-ecg.json): the first frame is used")
        }
        if let op = operatorDirectory {
            let leadPath = URL(fileURLWithPath: op).appendingPathComponent("lead.json").path
            if fm.fileExists(atPath: leadPath) { study.implantedLead = try ImplantedLead.read(leadPath) }
        }
        return study
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let k, _): return "key \(k.stringValue) missing"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return (c.codingPath.map(\.stringValue).joined(separator: ".") + " " + c.debugDescription).trimmingCharacters(in: .whitespaces)
        @unknown default: return "\(e)"
        }
    }

    /// Reads one detector image, or with `frames` a run of them on the fourth axis, and checks it against the
    /// view's Rows and Columns.
    static func readImage(_ path: String, geometry: CArmView, frames: Bool) throws -> [DetectorImage] {
        let v = try NIfTI.read(path)
        let s = v.grid.size
        guard s[0] == geometry.columns, s[1] == geometry.rows, s.count < 3 || s[2] == 1, frames || v.frames == 1 else {
            throw InputError("\(path): image of \(s.map(String.init).joined(separator: " x ")) pixels (\(v.frames) frame(s)) disagrees with the view's Columns \(geometry.columns) x Rows \(geometry.rows) x 1\(frames ? "" : " x 1 frame")")
        }
        if let bad = v.data.firstIndex(where: { !$0.isFinite }) {
            throw InputError("\(path): pixel \(bad) is not a finite number")
        }
        let n = geometry.columns * geometry.rows
        return try (0..<v.frames).map { f in
            let pixels = Array(v.data[(f * n)..<((f + 1) * n)])
            guard pixels.contains(where: { $0 != pixels[0] }) else {
                throw InputError("\(path): every pixel\(v.frames > 1 ? " of frame \(f)" : "") has the same value (no image)")
            }
            return DetectorImage(columns: geometry.columns, rows: geometry.rows, pixels: pixels)
        }
    }

    /// Reads and checks a run's ECG record: its view, one cardiac phase in [0, 1] per frame, a positive R-R interval.
    static func readRunRecord(_ path: String, view: String, frames: Int) throws -> XRayRunRecord {
        let r: XRayRunRecord
        do {
            r = try JSONDecoder().decode(XRayRunRecord.self, from: try InputFile.read(path, what: "X-ray run ECG record (JSON)"))
        } catch let e as DecodingError {
            throw InputError("\(path): not an ECG record of a run (\(describe(e))); expected view, rrIntervalMs, venogramFrameIntervalMs, venogramCardiacPhaseFractions, leadCardiacPhaseFraction")
        }
        guard r.view == view else { throw InputError("\(path): view: '\(r.view)' is not '\(view)'") }
        guard r.venogramCardiacPhaseFractions.count == frames else {
            throw InputError("\(path): venogramCardiacPhaseFractions: \(r.venogramCardiacPhaseFractions.count) values for \(frames) venogram frame(s)")
        }
        guard (r.venogramCardiacPhaseFractions + [r.leadCardiacPhaseFraction]).allSatisfy({ $0.isFinite && (0...1).contains($0) }) else {
            throw InputError("\(path): venogramCardiacPhaseFractions, leadCardiacPhaseFraction: allowed range 0-1")
        }
        guard r.rrIntervalMs.isFinite, (200...3000).contains(r.rrIntervalMs) else {
            throw InputError("\(path): rrIntervalMs: \(r.rrIntervalMs) outside the allowed range 200-3000")
        }
        return r
    }

    /// The clicks file: {"view": name, "pixelConvention": ..., "landmarks": {name: [column, row]}, "frame": k}
    /// (`frame`, the venogram frame clicked, only for a run).
    struct ClicksFile: Codable { var view: String; var landmarks: [String: [Double]]; var frame: Int? }

    static func readClicks(_ path: String, geometry: CArmView) throws -> (clicks: [String: DetectorPixel], frame: Int?) {
        let file: ClicksFile
        do {
            file = try JSONDecoder().decode(ClicksFile.self, from: try InputFile.read(path, what: "operator clicks file (JSON)"))
        } catch let e as DecodingError {
            throw InputError("\(path): expected {\"view\": name, \"landmarks\": {name: [column, row]}} (\(describe(e)))")
        }
        guard file.view == geometry.name else {
            throw InputError("\(path): clicks are for view '\(file.view)', not '\(geometry.name)'")
        }
        var out: [String: DetectorPixel] = [:]
        let margin = 0.5
        for (name, p) in file.landmarks {
            guard p.count == 2, p.allSatisfy(\.isFinite) else {
                throw InputError("\(path): landmarks.\(name): expected [column, row], two finite numbers (pixels)")
            }
            guard p[0] >= -margin - 50, p[0] <= Double(geometry.columns) + 50, p[1] >= -margin - 50, p[1] <= Double(geometry.rows) + 50 else {
                throw InputError("\(path): landmarks.\(name): [\(p[0]), \(p[1])] lies far outside the \(geometry.columns) x \(geometry.rows) detector")
            }
            out[name] = DetectorPixel(column: p[0], row: p[1])
        }
        if let k = file.frame, k < 0 { throw InputError("\(path): frame: \(k) is negative (0-based frame of the venogram run)") }
        return (out, file.frame)
    }
}
