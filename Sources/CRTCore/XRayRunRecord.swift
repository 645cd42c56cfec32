import Foundation

/// The ECG record of one view's X-ray images (`xray/<VIEW>-ecg.json`), as a cath-lab recording system keeps it
/// beside a multi-frame run: the R-R interval and each image's cardiac phase. Written only when the venogram is a
/// run of frames (docs/fluoroscopy.md, "Motion and time"); the pipeline uses it to pick a frame when the operator
/// did not say which one was clicked.
public struct XRayRunRecord: Codable, Sendable, Equatable {
    public var view: String
    /// R-R interval (ms).
    public var rrIntervalMs: Double
    /// Time between the venogram frames (ms); the NIfTI file's pixdim[4] holds the same value.
    public var venogramFrameIntervalMs: Double
    /// Cardiac phase of each venogram frame: the fraction of the R-R interval since the last R wave (0-1).
    public var venogramCardiacPhaseFractions: [Double]
    /// Cardiac phase of the lead image.
    public var leadCardiacPhaseFraction: Double

    public init(view: String, rrIntervalMs: Double, venogramFrameIntervalMs: Double, venogramCardiacPhaseFractions: [Double],
                leadCardiacPhaseFraction: Double) {
        self.view = view; self.rrIntervalMs = rrIntervalMs; self.venogramFrameIntervalMs = venogramFrameIntervalMs
        self.venogramCardiacPhaseFractions = venogramCardiacPhaseFractions; self.leadCardiacPhaseFraction = leadCardiacPhaseFraction
    }

    /// The index of the phase nearest end-diastole (the R wave, phase 0 or 1), the earliest on a tie.
    public static func indexNearestEndDiastole(_ phases: [Double]) -> Int {
        func distance(_ p: Double) -> Double { let f = p - p.rounded(.down); return min(f, 1 - f) }
        return phases.indices.min { distance(phases[$0]) < distance(phases[$1]) } ?? 0
    }
}
