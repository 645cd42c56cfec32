import CRTCore
import Figures
import Foundation
import SegmentModel
import SurfaceMesh

/// The files written beside analysis.json: LV surface meshes (stage 6) and figures (stage 7).
public enum AnalysisProducts {
    public typealias Writer = (_ path: (String) throws -> String) throws -> Void

    /// Every product for `output`.
    public static func all(_ output: GuidancePipeline.Output) -> [Writer] {
        [meshes(output), figures(output)]
    }

    /// Bullseyes (activation time, peak strain, scar fraction) as PNG and SVG, the strain curves with activation
    /// times marked, and the 4D-MAP page (bullseye and 3D surface coloured by strain per frame, time slider).
    static func figures(_ output: GuidancePipeline.Output) -> Writer {
        { path in
            let r = output.result
            let scarred = Set(r.segments.filter(\.scarred).map(\.id))
            let acts = r.segments.map(\.activationTimeMs)
            let measured = acts.compactMap { $0 }
            let bullseyes: [(String, [Double?], ColorScale)] = [
                ("activation", acts, ColorScale(map: .viridis, lower: measured.min() ?? 0, upper: max((measured.max() ?? 1), (measured.min() ?? 0) + 1),
                                               label: "activation time (ms after R)")),
                ("peak-strain", r.segments.map { $0.peakRadialStrain * 100 }, ColorScale(map: .yellowOrangeRed, lower: 0, upper: 50, label: "peak radial strain (%)")),
                ("scar", r.segments.map { $0.scarFraction * 100 }, ColorScale(map: .magma, lower: 0, upper: 100, label: "scar fraction (%)")),
            ]
            for (name, values, scale) in bullseyes {
                let b = Bullseye36(values: values, scale: scale, title: "36-segment \(name.replacingOccurrences(of: "-", with: " "))",
                                   scarred: scarred, lmaTargets: r.lmaTargets, primaryTarget: r.primaryTarget)
                try b.writePNG(path: path("figures/bullseye-\(name).png"))
                try b.writeSVG(path: path("figures/bullseye-\(name).svg"))
            }
            let frames = r.curveTimesMs.indices.map { t in r.radialStrainCurves.map { $0?[t] } }
            let curves = StrainCurvesFigure(frameTimesMs: r.curveTimesMs, radialStrain: frames, activationTimesMs: acts,
                                            title: "Radial strain per segment (dots: activation time)")
            try curves.writePNG(path: path("figures/strain-curves.png"))
            try curves.writeSVG(path: path("figures/strain-curves.svg"))
            let mesh = annotatedMesh(output, surface: .epicardium)
            let page = FourDMapPage(title: "4D-MAP: radial strain over the cycle", frameTimesMs: r.curveTimesMs, radialStrain: frames,
                                    vertices: mesh.vertices.map(\.array),
                                    triangles: mesh.triangles.map { [Int($0.x), Int($0.y), Int($0.z)] },
                                    vertexSegments: (mesh.intAttributes[LVSurfaceBuilder.segmentAttribute] ?? []).map(Int.init),
                                    lmaTargets: r.lmaTargets, primaryTarget: r.primaryTarget, scarred: scarred)
            try page.write(path: path("figures/4d-map.html"))
        }
    }

    /// The ED epicardial and endocardial surfaces, each vertex carrying its 36-segment id, scar transmurality,
    /// activation time, peak radial strain and LMA rank (1 = primary target), as legacy VTK and VTK XML PolyData
    /// (attributes for 3D Slicer and ParaView) and PLY (attributes for meshio, plyfile, trimesh, MeshLab), in LPS
    /// millimetres (each file says SPACE=LPS). docs/analysis-schema.md lists the arrays and which readers open what.
    static func meshes(_ output: GuidancePipeline.Output) -> Writer {
        { path in
            for surface in [LVSurfaceBuilder.Surface.epicardium, .endocardium] {
                let mesh = annotatedMesh(output, surface: surface)
                let name = "mesh/lv-\(surface.rawValue)-ed"
                try mesh.writeVTK(to: path(name + ".vtk"))
                try mesh.writeVTP(to: path(name + ".vtp"))
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
