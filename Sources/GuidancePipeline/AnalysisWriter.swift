import CRTCore
import Foundation
import ImageIO

/// Writes an analysis folder: analysis.json, the scar mask and segment map on the LGE grid, and the products
/// registered in `extraWriters` (figures, meshes). Everything goes to a staging folder first and is renamed into
/// place at the end, so a failure leaves nothing half written.
public enum AnalysisWriter {
    /// Writes `output` into `out` (must not exist or be empty; a previous analysis folder is replaced when
    /// `replace`). `extras` receive a function that maps a relative path to a writable staging path.
    public static func write(_ output: GuidancePipeline.Output, to out: String, replace: Bool,
                             extras: [AnalysisProducts.Writer] = []) throws -> [String] {
        let folder = try StagedFolder(out: out, replace: replace, marker: "analysis.json", kind: "an analysis")
        let path = folder.path
        try FileOutput.writeJSON(output.result, to: path("analysis.json"))
        try NIfTI.write(output.scar.scarMask, to: path("labels/lge-scar.nii.gz"), description: "crtsim analyze scar 1")
        try NIfTI.write(output.scar.segmentMap, to: path("labels/lge-segments.nii.gz"), description: "crtsim analyze 36-segment ids")
        for extra in extras { try extra(path) }
        try folder.commit()
        return folder.files.sorted()
    }
}
