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
        let fm = FileManager.default
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: outURL.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw InputError("--out \(out): is a file, expected a folder") }
            let isAnalysis = fm.fileExists(atPath: outURL.appendingPathComponent("analysis.json").path)
            let empty = ((try? fm.contentsOfDirectory(atPath: outURL.path)) ?? ["x"]).isEmpty
            if !empty && !(replace && isAnalysis) {
                throw InputError("--out \(out): folder exists and is not empty"
                    + (isAnalysis ? " (an analysis: pass --force to replace it)" : " and is not a crtsim analysis"))
            }
        }
        let parent = outURL.deletingLastPathComponent()
        do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw InputError("--out \(out): cannot create the parent folder (\(error.localizedDescription))")
        }
        let staging = parent.appendingPathComponent(".\(outURL.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: staging)
        defer { try? fm.removeItem(at: staging) }
        var files: [String] = []
        func path(_ rel: String) throws -> String {
            let p = staging.appendingPathComponent(rel)
            try fm.createDirectory(at: p.deletingLastPathComponent(), withIntermediateDirectories: true)
            files.append(rel)
            return p.path
        }
        try FileOutput.writeJSON(output.result, to: path("analysis.json"))
        try NIfTI.write(output.scar.scarMask, to: path("labels/lge-scar.nii.gz"), description: "crtsim analyze scar 1")
        try NIfTI.write(output.scar.segmentMap, to: path("labels/lge-segments.nii.gz"), description: "crtsim analyze 36-segment ids")
        for extra in extras { try extra(path) }
        if fm.fileExists(atPath: outURL.path) { try fm.removeItem(at: outURL) }
        try fm.moveItem(at: staging, to: outURL)
        return files.sorted()
    }
}
