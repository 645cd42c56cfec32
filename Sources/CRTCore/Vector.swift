import Foundation

/// A 3-vector of Double. Used for positions (mm) and directions in patient (DICOM LPS) or local frames.
public struct Vec3: Hashable, Codable, Sendable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var z: Double

    @inlinable public init(_ x: Double, _ y: Double, _ z: Double) { self.x = x; self.y = y; self.z = z }
    public static let zero = Vec3(0, 0, 0)

    @inlinable public static func + (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x + b.x, a.y + b.y, a.z + b.z) }
    @inlinable public static func - (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x - b.x, a.y - b.y, a.z - b.z) }
    @inlinable public static prefix func - (a: Vec3) -> Vec3 { Vec3(-a.x, -a.y, -a.z) }
    @inlinable public static func * (s: Double, a: Vec3) -> Vec3 { Vec3(s * a.x, s * a.y, s * a.z) }
    @inlinable public static func * (a: Vec3, s: Double) -> Vec3 { Vec3(s * a.x, s * a.y, s * a.z) }
    @inlinable public static func / (a: Vec3, s: Double) -> Vec3 { Vec3(a.x / s, a.y / s, a.z / s) }
    @inlinable public static func += (a: inout Vec3, b: Vec3) { a = a + b }
    @inlinable public static func -= (a: inout Vec3, b: Vec3) { a = a - b }

    @inlinable public func dot(_ b: Vec3) -> Double { x * b.x + y * b.y + z * b.z }
    @inlinable public func cross(_ b: Vec3) -> Vec3 {
        Vec3(y * b.z - z * b.y, z * b.x - x * b.z, x * b.y - y * b.x)
    }
    @inlinable public var length: Double { dot(self).squareRoot() }
    @inlinable public var normalized: Vec3 { let l = length; return l > 0 ? self / l : self }
    public var array: [Double] { [x, y, z] }
    public init(_ a: [Double]) { precondition(a.count == 3); self.init(a[0], a[1], a[2]) }
    public var description: String { "(\(x), \(y), \(z))" }

    // Codable as a plain [x, y, z] array, the form used in every JSON file.
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        self.init(try c.decode(Double.self), try c.decode(Double.self), try c.decode(Double.self))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x); try c.encode(y); try c.encode(z)
    }
}

/// A 3x3 matrix stored by rows.
public struct Mat3: Hashable, Codable, Sendable {
    public var r0: Vec3, r1: Vec3, r2: Vec3
    public init(rows r0: Vec3, _ r1: Vec3, _ r2: Vec3) { self.r0 = r0; self.r1 = r1; self.r2 = r2 }
    /// The matrix whose columns are `c0, c1, c2`.
    public init(columns c0: Vec3, _ c1: Vec3, _ c2: Vec3) {
        self.init(rows: Vec3(c0.x, c1.x, c2.x), Vec3(c0.y, c1.y, c2.y), Vec3(c0.z, c1.z, c2.z))
    }
    public static let identity = Mat3(rows: Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1))
    public var columns: (Vec3, Vec3, Vec3) {
        (Vec3(r0.x, r1.x, r2.x), Vec3(r0.y, r1.y, r2.y), Vec3(r0.z, r1.z, r2.z))
    }
    @inlinable public static func * (m: Mat3, v: Vec3) -> Vec3 { Vec3(m.r0.dot(v), m.r1.dot(v), m.r2.dot(v)) }
    public static func * (a: Mat3, b: Mat3) -> Mat3 {
        let (c0, c1, c2) = b.columns
        return Mat3(columns: a * c0, a * c1, a * c2)
    }
    public var transposed: Mat3 { let (c0, c1, c2) = columns; return Mat3(rows: c0, c1, c2) }
    public var determinant: Double { r0.dot(r1.cross(r2)) }
    /// Inverse by the adjugate; nil when singular.
    public var inverse: Mat3? {
        let det = determinant
        guard abs(det) > 1e-300 else { return nil }
        let (c0, c1, c2) = columns
        return Mat3(rows: c1.cross(c2) / det, c2.cross(c0) / det, c0.cross(c1) / det)
    }
    /// Right-handed rotation by `angleRadians` about the unit `axis` (Rodrigues).
    public static func rotation(axis: Vec3, angleRadians a: Double) -> Mat3 {
        let k = axis.normalized, c = cos(a), s = sin(a), t = 1 - c
        return Mat3(rows:
            Vec3(c + k.x * k.x * t, k.x * k.y * t - k.z * s, k.x * k.z * t + k.y * s),
            Vec3(k.y * k.x * t + k.z * s, c + k.y * k.y * t, k.y * k.z * t - k.x * s),
            Vec3(k.z * k.x * t - k.y * s, k.z * k.y * t + k.x * s, c + k.z * k.z * t))
    }
}

/// An affine map y = linear * x + translation (for example `patientFromVoxel`, mm per index).
public struct Affine3D: Hashable, Codable, Sendable {
    public var linear: Mat3
    public var translation: Vec3
    public init(linear: Mat3, translation: Vec3) { self.linear = linear; self.translation = translation }
    public static let identity = Affine3D(linear: .identity, translation: .zero)
    @inlinable public func apply(_ p: Vec3) -> Vec3 { linear * p + translation }
    /// self ∘ other: first `other`, then `self`.
    public func composed(after other: Affine3D) -> Affine3D {
        Affine3D(linear: linear * other.linear, translation: linear * other.translation + translation)
    }
    public var inverse: Affine3D? {
        guard let li = linear.inverse else { return nil }
        return Affine3D(linear: li, translation: -(li * translation))
    }
    /// Row-major 4x4 matrix (last row 0 0 0 1), the form written to JSON.
    public var matrix4x4: [[Double]] {
        [[linear.r0.x, linear.r0.y, linear.r0.z, translation.x],
         [linear.r1.x, linear.r1.y, linear.r1.z, translation.y],
         [linear.r2.x, linear.r2.y, linear.r2.z, translation.z],
         [0, 0, 0, 1]]
    }
    public init(matrix4x4 m: [[Double]]) {
        self.init(linear: Mat3(rows: Vec3(m[0][0], m[0][1], m[0][2]), Vec3(m[1][0], m[1][1], m[1][2]),
                               Vec3(m[2][0], m[2][1], m[2][2])),
                  translation: Vec3(m[0][3], m[1][3], m[2][3]))
    }
}

