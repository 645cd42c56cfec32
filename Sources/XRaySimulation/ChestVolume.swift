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
    /// The part of `mu` due to cortical bone (1/mm at the effective energy; `XRayMaterials.corticalBonePart`), for
    /// the polyenergetic image formation; nil when not computed.
    public var boneMu: [Float]?

    public init(size: [Int], voxelMm: Double, originMm: Vec3, mu: [Float],
                support: (centreX: Double, centreY: Double, halfX: Double, halfY: Double)? = nil, boneMu: [Float]? = nil) {
        precondition(size.count == 3 && mu.count == size[0] * size[1] * size[2], "data do not match the size")
        self.size = size; self.voxelMm = voxelMm; self.originMm = originMm; self.mu = mu; self.support = support
        self.boneMu = boneMu
    }

    /// The grid as an `ImageGrid` (voxel index to patient LPS mm).
    public var grid: ImageGrid {
        ImageGrid(size: size, patientFromVoxel: Affine3D(linear: Mat3(rows: Vec3(voxelMm, 0, 0), Vec3(0, voxelMm, 0),
                                                                      Vec3(0, 0, voxelMm)), translation: originMm))
    }
}

/// The chest seen by X-rays: the phantom's torso (`Torso`: fat, muscle, ribs, sternum, lungs, spine, aorta, liver)
/// and heart (`HeartModel.sample` at one instant), plus what the CMR model does not need: the intervertebral discs.
/// Geometry parameters in mm, patient LPS frame.
public struct ChestModel: Sendable {
    public var torso = Torso()
    /// Intervertebral discs: spacing and height (mm).
    public var vertebraPitchMm = 28.0, discHeightMm = 6.0

    public init() {}

    /// Attenuation (1/mm) of the non-cardiac chest at patient point p.
    @inline(__always) func mu(at p: Vec3) -> Float {
        switch torso.sample(p, shift: .zero) {
        case .air: return 0
        case .boneMarrow:
            // Vertebral bodies separated by discs.
            let m = (p.z + 1000).truncatingRemainder(dividingBy: vertebraPitchMm)
            return m < discHeightMm ? XRayMaterials.disc : XRayMaterials.vertebra
        case let t: return XRayMaterials.mu(t)
        }
    }

    /// Builds the attenuation volume of the chest with the heart at state `st` (`template(...).volume(...)`).
    public func volume(heart: HeartModel, state st: HeartState, zRangeMm: ClosedRange<Double>,
                       voxelMm: Double) -> AttenuationVolume {
        template(heart: heart, zRangeMm: zRangeMm, voxelMm: voxelMm).volume(heart: heart, state: st)
    }

    /// The part of the attenuation volume that does not move with the heart's contraction, computed once for all
    /// the cardiac phases an acquisition needs (`ChestVolumeTemplate`).
    ///
    /// Method: one sample per voxel centre for the torso; voxels the heart can reach (`HeartModel.mayReach`)
    /// average 2 x 2 x 2 samples (partial volume at the heart's surfaces), each the heart's tissue where the heart
    /// is at that phase and the torso's otherwise; the torso's are kept here. The grid spans the torso's width and
    /// depth with one voxel of air around it and `zRangeMm` (patient z, mm) in height.
    /// - Parameters:
    ///   - heart: the phantom.
    ///   - zRangeMm: patient z extent to cover (mm).
    ///   - voxelMm: isotropic voxel size (mm).
    ///   - bone: also keep the cortical-bone part of the attenuation (`AttenuationVolume.boneMu`).
    public func template(heart: HeartModel, zRangeMm: ClosedRange<Double>, voxelMm: Double, bone: Bool = false) -> ChestVolumeTemplate {
        let hw = torso.halfWidthMm, hd = torso.halfDepthMm
        let nx = Int(ceil(2 * hw / voxelMm)) + 3
        let ny = Int(ceil(2 * hd / voxelMm)) + 3
        let nz = Int(ceil((zRangeMm.upperBound - zRangeMm.lowerBound) / voxelMm)) + 3
        let origin = Vec3(-Double(nx - 1) / 2 * voxelMm, torso.centreY - Double(ny - 1) / 2 * voxelMm,
                          0.5 * (zRangeMm.lowerBound + zRangeMm.upperBound) - Double(nz - 1) / 2 * voxelMm)
        let chest = { () -> ChestModel in var c = self; c.torso.sternumCentreZ = heart.spec.anatomy.heartCentreMm[2]; return c }()
        let plane = nx * ny
        let out = ParallelOutput<Float>(count: plane * nz, initial: 0)
        let boneOut = ParallelOutput<Float>(count: bone ? plane * nz : 0, initial: 0)
        let reach = ParallelOutput<[Int32]>(count: nz, initial: [])
        let reachTorso = ParallelOutput<[Float]>(count: nz, initial: [])
        DispatchQueue.concurrentPerform(iterations: nz - 2) { kk in
            let k = kk + 1
            let dst = out.range((k * plane)..<((k + 1) * plane))
            let boneDst = bone ? boneOut.range((k * plane)..<((k + 1) * plane)) : nil
            var voxels: [Int32] = [], torsoMu: [Float] = []
            for j in 1..<(ny - 1) {
                for i in 1..<(nx - 1) {
                    let p = origin + Vec3(Double(i), Double(j), Double(k)) * voxelMm
                    if heart.mayReach(p) {
                        voxels.append(Int32(k * plane + j * nx + i))
                        for d in 0..<8 { torsoMu.append(chest.mu(at: p + ChestVolumeTemplate.subSample(d) * (0.5 * voxelMm))) }
                    } else {
                        let mu = chest.mu(at: p)
                        dst[j * nx + i] = mu
                        boneDst?[j * nx + i] = XRayMaterials.corticalBonePart(ofMu: mu)
                    }
                }
            }
            reach.range(k..<(k + 1))[0] = voxels
            reachTorso.range(k..<(k + 1))[0] = torsoMu
        }
        // Trilinear samples are non-zero up to one voxel outside the torso.
        let margin = 1.8 * voxelMm
        return ChestVolumeTemplate(size: [nx, ny, nz], voxelMm: voxelMm, originMm: origin, staticMu: out.array,
                                   reachVoxelsPerSlice: reach.array, reachTorsoMuPerSlice: reachTorso.array,
                                   support: (0, torso.centreY, hw + margin, hd + margin),
                                   staticBoneMu: bone ? boneOut.array : nil)
    }
}

/// The chest's attenuation volume without the heart's contraction (`ChestModel.template`): every voxel the heart
/// cannot reach, and the torso's attenuation at the 2 x 2 x 2 sub-samples of each voxel it can; `volume(heart:state:)`
/// adds the heart at one cardiac phase. Several phases of one acquisition share one template.
public struct ChestVolumeTemplate: Sendable {
    public let size: [Int]
    public let voxelMm: Double
    public let originMm: Vec3
    /// Attenuation (1/mm) of the voxels the heart cannot reach; 0 at the others.
    let staticMu: [Float]
    /// Per slice: the indices of the voxels the heart can reach, and the torso's attenuation at their 8 sub-samples.
    let reachVoxelsPerSlice: [[Int32]]
    let reachTorsoMuPerSlice: [[Float]]
    let support: (centreX: Double, centreY: Double, halfX: Double, halfY: Double)
    /// The cortical-bone part of `staticMu` (nil: not kept; the volumes then carry no `boneMu`).
    let staticBoneMu: [Float]?

    /// Sub-sample `d` (0-7) of a voxel: offset from its centre in units of half a voxel.
    @inline(__always) static func subSample(_ d: Int) -> Vec3 {
        Vec3(Double(d & 1) - 0.5, Double((d >> 1) & 1) - 0.5, Double(d >> 2) - 0.5)
    }

    /// How the heart's partial volume is sampled per voxel it can reach.
    public enum HeartSampling: Sendable {
        /// The heart sampled at all 8 sub-samples of every voxel it can reach (the reference).
        case full
        /// Coarse to fine: the heart sampled at sub-sample 0 of every voxel it can reach, a lattice with the voxel
        /// spacing; the other 7 sub-samples of a voxel lie inside the lattice cube spanned by the sub-sample 0s of
        /// voxels (i..i+1, j..j+1, k..k+1), and are sampled only where those 8 lattice points do not all have the
        /// same attenuation (a tissue boundary crosses the cube). Where they agree, all 8 take that value. Misses
        /// only a structure thinner than a voxel that touches none of the 8 lattice points.
        case adaptive
    }

    /// The attenuation volume with the heart at state `st`: each voxel the heart can reach is the mean of its 8
    /// sub-samples, the heart's tissue (pericardium included) where the heart is, the torso's elsewhere.
    /// `sampling`: `.adaptive` (default) or `.full` (the reference it is checked against, ChestVolumeTests).
    public func volume(heart: HeartModel, state st: HeartState, sampling: HeartSampling = .adaptive) -> AttenuationVolume {
        let nx = size[0], ny = size[1], nz = size[2]
        let plane = nx * ny
        let origin = originMm, voxel = voxelMm
        @Sendable @inline(__always) func heartMu(_ q: Vec3) -> Float {
            if let s = heart.sample(q, st, includePericardium: true) { return XRayMaterials.mu(s.tissue) }
            return ChestVolumeTemplate.notHeart
        }
        @Sendable @inline(__always) func centre(_ v: Int, _ k: Int) -> Vec3 {
            origin + Vec3(Double(v % nx), Double(v / nx), Double(k)) * voxel
        }
        // Pass 1 (adaptive only): the heart's attenuation at sub-sample 0 of every voxel it can reach, `notHeart`
        // at every other voxel (the heart cannot be there).
        let lattice = ParallelOutput<Float>(count: sampling == .adaptive ? plane * nz : 0, initial: ChestVolumeTemplate.notHeart)
        if sampling == .adaptive {
            DispatchQueue.concurrentPerform(iterations: nz) { k in
                let dst = lattice.range((k * plane)..<((k + 1) * plane))
                for index in reachVoxelsPerSlice[k] {
                    let v = Int(index) - k * plane
                    dst[v] = heartMu(centre(v, k) + ChestVolumeTemplate.subSample(0) * (0.5 * voxel))
                }
            }
        }
        let heartAtLattice = lattice.array
        let cubeCorners = [1, nx, nx + 1, plane, plane + 1, plane + nx, plane + nx + 1]
        let out = ParallelOutput<Float>(count: plane * nz, initial: 0)
        let boneOut = ParallelOutput<Float>(count: staticBoneMu == nil ? 0 : plane * nz, initial: 0)
        DispatchQueue.concurrentPerform(iterations: nz) { k in
            let dst = out.range((k * plane)..<((k + 1) * plane))
            _ = staticMu.withUnsafeBufferPointer { dst.update(fromContentsOf: $0[(k * plane)..<((k + 1) * plane)]) }
            let torso = reachTorsoMuPerSlice[k]
            // The cortical-bone part: the static voxels' as kept; a reach voxel's from its torso sub-samples (the
            // heart holds no bone).
            let boneDst = staticBoneMu.map { b in
                let r = boneOut.range((k * plane)..<((k + 1) * plane))
                _ = b.withUnsafeBufferPointer { r.update(fromContentsOf: $0[(k * plane)..<((k + 1) * plane)]) }
                return r
            }
            for (n, index) in reachVoxelsPerSlice[k].enumerated() {
                let v = Int(index) - k * plane
                let p = centre(v, k)
                var acc: Float = 0, boneAcc: Float = 0
                var first = 0
                if sampling == .adaptive {
                    // Reach voxels lie inside the grid's air layer, so (i+1, j+1, k+1) is always in the grid.
                    let g = Int(index), mu0 = heartAtLattice[g]
                    let uniform = heartAtLattice.withUnsafeBufferPointer { lat in
                        cubeCorners.allSatisfy { lat[g + $0] == mu0 }
                    }
                    if uniform {
                        for d in 0..<8 { acc += mu0 == ChestVolumeTemplate.notHeart ? torso[8 * n + d] : mu0 }
                        dst[v] = acc / 8
                        if let boneDst {
                            var b: Float = 0
                            if mu0 == ChestVolumeTemplate.notHeart { for d in 0..<8 { b += XRayMaterials.corticalBonePart(ofMu: torso[8 * n + d]) } }
                            boneDst[v] = b / 8
                        }
                        continue
                    }
                    acc = mu0 == ChestVolumeTemplate.notHeart ? torso[8 * n] : mu0
                    boneAcc = mu0 == ChestVolumeTemplate.notHeart ? XRayMaterials.corticalBonePart(ofMu: torso[8 * n]) : 0
                    first = 1
                }
                for d in first..<8 {
                    let mu = heartMu(p + ChestVolumeTemplate.subSample(d) * (0.5 * voxel))
                    acc += mu == ChestVolumeTemplate.notHeart ? torso[8 * n + d] : mu
                    if mu == ChestVolumeTemplate.notHeart { boneAcc += XRayMaterials.corticalBonePart(ofMu: torso[8 * n + d]) }
                }
                dst[v] = acc / 8
                boneDst?[v] = boneAcc / 8
            }
        }
        return AttenuationVolume(size: size, voxelMm: voxelMm, originMm: originMm, mu: out.array, support: support,
                                 boneMu: staticBoneMu == nil ? nil : boneOut.array)
    }

    /// Marks "no heart here" in the heart's attenuation samples (no tissue has a negative attenuation).
    static let notHeart: Float = -1
}
