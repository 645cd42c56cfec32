import CRTCore
import Foundation
import SegmentModel
import SurfaceMesh

/// The files written beside analysis.json: LV surface meshes (stage 6) and figures (stage 7).
public enum AnalysisProducts {
    public typealias Writer = (_ path: (String) throws -> String) throws -> Void

    /// Every product for `output`.
    public static func all(_ output: GuidancePipeline.Output) -> [Writer] {
        [meshes(output)]
    }

    /// The ED epicardial and endocardial surfaces, each vertex carrying its 36-segment id, scar transmurality,
    /// activation time, peak radial strain and LMA rank (1 = primary target), as VTK (attributes for 3D Slicer and
    /// ParaView) and PLY, in LPS millimetres (the header says SPACE=LPS).
    static func meshes(_ output: GuidancePipeline.Output) -> Writer {
        { path in
            for surface in [LVSurfaceBuilder.Surface.epicardium, .endocardium] {
                let mesh = annotatedMesh(output, surface: surface)
                let name = "mesh/lv-\(surface.rawValue)-ed"
                try mesh.writeVTK(to: path(name + ".vtk"))
                try mesh.writePLY(to: path(name + ".ply"))
            }
        }
    }

    /// One ED surface with the analysis painted on it.
    public static func annotatedMesh(_ output: GuidancePipeline.Output, surface: LVSurfaceBuilder.Surface) -> TriangleMesh {
        var mesh = LVSurfaceBuilder.build(output.contoursED, surface: surface)
        let r = output.result
        mesh.setScalar("activationTimeMs", perSegment: r.segments.map { $0.activationTimeMs })
        mesh.setScalar("peakRadialStrain", perSegment: r.segments.map { $0.peakRadialStrain })
        mesh.setScalar("scarFraction", perSegment: r.segments.map { $0.scarFraction })
        mesh.setScalar("lmaRank", perSegment: (1...36).map { id in
            r.lmaTargets.firstIndex(of: id).map { Double($0 + 1) } ?? 0
        })
        return mesh
    }
}
