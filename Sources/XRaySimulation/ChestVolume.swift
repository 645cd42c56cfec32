import CRTCore
import Dispatch
import Foundation
import HeartPhantom

/// A linear-attenuation volume (1/mm) on an axis-aligned grid in the CMR patient frame (LPS mm): voxel (i, j, k)
/// has its centre at `originMm + voxelMm * (i, j, k)`. Data column (i) fastest, then row (j), slice (k). The
/// outermost voxel layer is always air, so trilinear sampling needs no bounds checks inside the grid.
public struct AttenuationVolume: Sendable {
    public var size: [Int]
    public var voxelMm: Double
    public var originMm: Vec3
    public var mu: [Float]
    /// An elliptic cylinder along patient z outside which every voxel is air (the torso), so rays skip the
    /// empty corners of the grid: centre (x, y) and semi-axes (x, y) in mm. Nil: the whole grid.
    public var support: (centreX: Double, centreY: Double, halfX: Double, halfY: Double)?

    public init(size: [Int], voxelMm: Double, originMm: Vec3, mu: [Float],
                support: (centreX: Double, centreY: Double, halfX: Double, halfY: Double)? = nil) {
        precondition(size.count == 3 && mu.count == size[0] * size[1] * size[2], "data do not match the size")
        self.size = size; self.voxelMm = voxelMm; self.originMm = originMm; self.mu = mu; self.support = support
    }

    /// The grid as an `ImageGrid` (voxel index to patient LPS mm).
    public var grid: ImageGrid {
        ImageGrid(size: size, patientFromVoxel: Affine3D(linear: Mat3(rows: Vec3(voxelMm, 0, 0), Vec3(0, voxelMm, 0),
                                                                      Vec3(0, 0, voxelMm)), translation: originMm))
    }
}

/// The chest seen by X-rays: the phantom's torso (`Torso`: fat, muscle, lungs, spine, aorta, liver) and heart
/// (`HeartModel.sample` at one instant), plus what the CMR model does not need: ribs, sternum and intervertebral
/// discs. Geometry parameters in mm, patient LPS frame.
public struct ChestModel: Sendable {
    public var torso = Torso()
    /// Vertical distance between successive ribs (mm).
    public var ribPitchMm = 26.0
    /// Half height and half thickness of a rib's cross-section (mm).
    public var ribHalfHeightMm = 5.5, ribHalfThicknessMm = 3.5
    /// Depth of the rib centre below the skin (mm).
    public var ribDepthMm = 30.0
    /// How far a rib descends from its posterior end to its anterior end (mm).
    public var ribDropMm = 60.0
    /// Angular extent of the ribs from the posterior midline (degrees): from `ribStartDeg` (beside the spine)
    /// to `ribEndDeg` (the costal cartilage starts, radiolucent).
    public var ribStartDeg = 14.0, ribEndDeg = 145.0
    /// Sternum: half width (mm), extent below and above the heart centre (mm).
    public var sternumHalfWidthMm = 17.0, sternumBelowMm = 110.0, sternumAboveMm = 90.0
    /// Intervertebral discs: spacing and height (mm).
    public var vertebraPitchMm = 28.0, discHeightMm = 6.0

    public init() {}

    /// Attenuation (1/mm) of the non-cardiac chest at patient point p; `heartCentreZ` places the sternum.
    @inline(__always) func mu(at p: Vec3, heartCentreZ: Double) -> Float {
        let t = torso.sample(p, shift: .zero)
        let x = p.x, y = p.y - torso.centreY
        switch t {
        case .air: return 0
        case .boneMarrow:
            // Vertebral bodies separated by discs.
            let m = (p.z + 1000).truncatingRemainder(dividingBy: vertebraPitchMm)
            return m < discHeightMm ? XRayMaterials.disc : XRayMaterials.vertebra
        default: break
        }
        // Ribs: bands just inside the chest wall, falling towards the front.
        let hw = torso.halfWidthMm, hd = torso.halfDepthMm
        let theta = atan2(y / hd, x / hw)
        let rho = ((x / hw) * (x / hw) + (y / hd) * (y / hd)).squareRoot()
        let radius = (hw * hw * cos(theta) * cos(theta) + hd * hd * sin(theta) * sin(theta)).squareRoot()
        let radial = (rho - (1 - ribDepthMm / radius)) * radius
        if abs(radial) < ribHalfThicknessMm {
            let fromPosterior = abs(angleDifferenceDegrees(degrees(theta), 90))
            if fromPosterior > ribStartDeg && fromPosterior < ribEndDeg {
                let zz = p.z + ribDropMm * fromPosterior / 180
                let m = (zz + 2000).truncatingRemainder(dividingBy: ribPitchMm)
                if min(m, ribPitchMm - m) < ribHalfHeightMm { return XRayMaterials.rib }
            }
        }
        // Sternum in the anterior chest wall.
        if abs(x) < sternumHalfWidthMm && y < -hd + torso.fatMm + torso.muscleMm + 4 && y > -hd + torso.fatMm + 2
            && p.z > heartCentreZ - sternumBelowMm && p.z < heartCentreZ + sternumAboveMm {
            return XRayMaterials.rib
        }
        return XRayMaterials.mu(t)
    }

    /// Builds the attenuation volume of the chest with the heart at state `st`.
    ///
    /// Method: one sample per voxel centre for the torso; voxels the heart can reach (`HeartModel.mayReach`)
    /// average 2 x 2 x 2 samples (partial volume at the heart's surfaces). The grid spans the torso's width and
    /// depth with one voxel of air around it and `zRangeMm` (patient z, mm) in height.
    /// - Parameters:
    ///   - heart: the phantom; `st` its state at the X-ray cardiac phase.
    ///   - zRangeMm: patient z extent to cover (mm).
    ///   - voxelMm: isotropic voxel size (mm).
    public func volume(heart: HeartModel, state st: HeartState, zRangeMm: ClosedRange<Double>,
                       voxelMm: Double) -> AttenuationVolume {
        let hw = torso.halfWidthMm, hd = torso.halfDepthMm
        let nx = Int(ceil(2 * hw / voxelMm)) + 3
        let ny = Int(ceil(2 * hd / voxelMm)) + 3
        let nz = Int(ceil((zRangeMm.upperBound - zRangeMm.lowerBound) / voxelMm)) + 3
        let origin = Vec3(-Double(nx - 1) / 2 * voxelMm, torso.centreY - Double(ny - 1) / 2 * voxelMm,
                          0.5 * (zRangeMm.lowerBound + zRangeMm.upperBound) - Double(nz - 1) / 2 * voxelMm)
        let heartZ = heart.spec.anatomy.heartCentreMm[2]
        let plane = nx * ny
        let out = ParallelOutput<Float>(count: plane * nz, initial: 0)
        DispatchQueue.concurrentPerform(iterations: nz - 2) { kk in
            let k = kk + 1
            let dst = out.range((k * plane)..<((k + 1) * plane))
            for j in 1..<(ny - 1) {
                for i in 1..<(nx - 1) {
                    let p = origin + Vec3(Double(i), Double(j), Double(k)) * voxelMm
                    if heart.mayReach(p) {
                        var acc: Float = 0
                        for d in 0..<8 {
                            let q = p + Vec3(Double(d & 1) - 0.5, Double((d >> 1) & 1) - 0.5, Double(d >> 2) - 0.5) * (0.5 * voxelMm)
                            if let s = heart.sample(q, st) { acc += XRayMaterials.mu(s.tissue) } else { acc += mu(at: q, heartCentreZ: heartZ) }
                        }
                        dst[j * nx + i] = acc / 8
                    } else {
                        dst[j * nx + i] = mu(at: p, heartCentreZ: heartZ)
                    }
                }
            }
        }
        // Trilinear samples are non-zero up to one voxel outside the torso.
        let margin = 1.8 * voxelMm
        return AttenuationVolume(size: [nx, ny, nz], voxelMm: voxelMm, originMm: origin, mu: out.array,
                                 support: (0, torso.centreY, hw + margin, hd + margin))
    }
}
