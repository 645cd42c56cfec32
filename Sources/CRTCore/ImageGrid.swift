import Foundation

/// The geometry of a voxel grid: sizes and the map from voxel index (column, row, slice) to patient
/// coordinates (DICOM LPS, mm). Voxel centres sit at integer indices; index (0, 0, 0) is the centre of the
/// first voxel, as DICOM's ImagePositionPatient.
public struct ImageGrid: Hashable, Codable, Sendable {
    /// Number of voxels along column, row and slice axes.
    public var size: [Int]
    /// patient (LPS mm) = patientFromVoxel.apply(index).
    public var patientFromVoxel: Affine3D

    public init(size: [Int], patientFromVoxel: Affine3D) {
        self.size = size
        self.patientFromVoxel = patientFromVoxel
    }

    public var voxelCount: Int { size.reduce(1, *) }
    /// Voxel spacing along each axis (mm): lengths of the affine's columns.
    public var spacingMm: [Double] {
        let (c0, c1, c2) = patientFromVoxel.linear.columns
        return [c0.length, c1.length, c2.length]
    }
    /// Voxel volume in mm^3.
    public var voxelVolumeMm3: Double { abs(patientFromVoxel.linear.determinant) }
    public func patient(_ i: Double, _ j: Double, _ k: Double) -> Vec3 { patientFromVoxel.apply(Vec3(i, j, k)) }
    /// Continuous voxel index of a patient point.
    public func voxel(of p: Vec3) -> Vec3 { patientFromVoxel.inverse!.apply(p) }
}

/// A scalar volume on an `ImageGrid`, optionally with a fourth (time) axis. Data order: column fastest, then
/// row, slice, phase.
public struct ImageVolume<Scalar: Sendable>: Sendable {
    public var grid: ImageGrid
    /// Number of frames on the fourth axis (1 for a 3D volume).
    public var frames: Int
    /// Spacing of the fourth axis in ms (cine phase interval), 0 for 3D.
    public var frameIntervalMs: Double
    public var data: [Scalar]

    public init(grid: ImageGrid, frames: Int = 1, frameIntervalMs: Double = 0, data: [Scalar]) {
        precondition(data.count == grid.voxelCount * frames, "data count does not match grid")
        self.grid = grid; self.frames = frames; self.frameIntervalMs = frameIntervalMs; self.data = data
    }

    public init(grid: ImageGrid, frames: Int = 1, frameIntervalMs: Double = 0, repeating v: Scalar) {
        self.init(grid: grid, frames: frames, frameIntervalMs: frameIntervalMs,
                  data: Array(repeating: v, count: grid.voxelCount * frames))
    }

    @inlinable public func index(_ i: Int, _ j: Int, _ k: Int, _ t: Int = 0) -> Int {
        ((t * grid.size[2] + k) * grid.size[1] + j) * grid.size[0] + i
    }
    public subscript(i: Int, j: Int, k: Int, t: Int) -> Scalar {
        get { data[index(i, j, k, t)] }
        set { data[index(i, j, k, t)] = newValue }
    }
    /// The 2D slice (column-fastest) of slice k and frame t.
    public func slice(_ k: Int, frame t: Int = 0) -> ArraySlice<Scalar> {
        let n = grid.size[0] * grid.size[1]
        let start = index(0, 0, k, t)
        return data[start..<(start + n)]
    }
}
