import CRTCore
import Foundation
import Testing

extension Tag {
    /// Runs in well under a second.
    @Tag static var fast: Self
}

/// Tolerances named once, used by every test in this target.
enum Tolerance {
    /// NIfTI stores the affine in float32: positions of a few hundred mm round-trip within this (mm).
    static let affineMm = 1e-4
    /// Pure double arithmetic (SeriesGeometry <-> ImageGrid), in mm or dimensionless.
    static let doubleArithmetic = 1e-9
}

/// A fresh folder under the system temporary folder, removed by `cleanup()`.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("crtsim-imageio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A double-oblique short-axis-like stack, defined by hand so that expected patient points can be computed
/// independently of `ImageGrid`: row direction (i axis) and column direction (j axis) are unit vectors in LPS,
/// the slice direction is their cross product.
enum ObliqueStack {
    static let size = [7, 5, 4]
    /// Column spacing (along i) and row spacing (along j) differ so that swaps are caught (mm).
    static let columnSpacingMm = 1.5, rowSpacingMm = 1.75, sliceSpacingMm = 8.0
    /// Rotation of 30 degrees about z, then the column direction tilted 20 degrees out of the axial plane.
    static let rowDirection = Vec3(cos(radians(30)), sin(radians(30)), 0)
    static let columnDirection = Vec3(-sin(radians(30)) * cos(radians(20)), cos(radians(30)) * cos(radians(20)),
                                      sin(radians(20)))
    static var sliceDirection: Vec3 { rowDirection.cross(columnDirection) }
    /// Centre of voxel (0, 0, 0), LPS mm.
    static let originMm = Vec3(-100.25, 37.5, 120.125)

    /// The LPS point of voxel (i, j, k), computed directly from the definition.
    static func expectedPoint(_ i: Double, _ j: Double, _ k: Double) -> Vec3 {
        originMm + (i * columnSpacingMm) * rowDirection + (j * rowSpacingMm) * columnDirection
            + (k * sliceSpacingMm) * sliceDirection
    }

    static var grid: ImageGrid {
        ImageGrid(size: size, patientFromVoxel: Affine3D(
            linear: Mat3(columns: rowDirection * columnSpacingMm, columnDirection * rowSpacingMm,
                         sliceDirection * sliceSpacingMm),
            translation: originMm))
    }
}

/// Largest absolute difference between the 3x4 parts of two affines (mm).
func maxAffineDifference(_ a: Affine3D, _ b: Affine3D) -> Double {
    zip(a.matrix4x4.joined(), b.matrix4x4.joined()).map { abs($0 - $1) }.max() ?? 0
}

/// Runs `body` and returns the InputError message it throws (nil if it throws nothing or another error).
func inputErrorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as InputError {
        return error.message
    } catch {
        return nil
    }
}
