import CRTCore
import Foundation

/// The heart's own frame. `apexMm` is the epicardial apex; `baseDirection` points from the apex along the long
/// axis to the base; `u` is the direction of segment angle 0 (the anterior RV insertion) and `v` the direction of
/// angle 90, so that angles turn right-handed about the base-to-apex axis (DOMAIN.md section 2).
/// Local coordinates: height s along `baseDirection` from the apex (mm), radius r from the axis (mm), angle phi.
public struct HeartFrame: Sendable, Codable, Equatable {
    public var apexMm: Vec3
    public var baseDirection: Vec3
    public var u: Vec3
    public var v: Vec3

    /// Base-to-apex unit vector.
    public var apexDirection: Vec3 { -baseDirection }

    /// Builds the frame from the long-axis angles (DOMAIN: apex points left, anterior and inferior).
    /// - Parameters:
    ///   - azimuthDeg: apex direction in the axial plane, from anterior towards the patient's left (degrees).
    ///   - elevationDeg: apex direction below horizontal (degrees).
    ///   - rollDeg: rotation of the septum about the long axis (degrees).
    ///   - septumAngleDeg: segment angle of the mid-septum (half the inferior insertion angle).
    public static func make(apexMm: Vec3, azimuthDeg: Double, elevationDeg: Double, rollDeg: Double,
                            septumAngleDeg: Double) -> HeartFrame {
        let az = radians(azimuthDeg), el = radians(elevationDeg)
        // LPS: left +x, anterior -y, inferior -z.
        let w = Vec3(cos(el) * sin(az), -cos(el) * cos(az), -sin(el)).normalized
        // The septum faces the RV: to the patient's right and somewhat anterior.
        let towardsRV = Vec3(-1, -0.35, 0)
        var dSep = (towardsRV - w * towardsRV.dot(w)).normalized
        dSep = Mat3.rotation(axis: w, angleRadians: radians(rollDeg)) * dSep
        let u = Mat3.rotation(axis: w, angleRadians: radians(-septumAngleDeg)) * dSep
        let v = w.cross(u)
        return HeartFrame(apexMm: apexMm, baseDirection: -w, u: u.normalized, v: v.normalized)
    }

    /// Local (s, r, phi in degrees [0, 360)) of a point given relative to the apex.
    @inlinable public func local(_ p: Vec3) -> (s: Double, r: Double, phiDeg: Double) {
        let d = p - apexMm
        let s = d.dot(baseDirection)
        let a = d.dot(u), b = d.dot(v)
        let r = (a * a + b * b).squareRoot()
        var phi = atan2(b, a) * (180 / .pi)
        if phi < 0 { phi += 360 }
        return (s, r, phi)
    }

    /// Patient point of local coordinates.
    public func patient(s: Double, r: Double, phiDeg: Double) -> Vec3 {
        let a = radians(phiDeg)
        return apexMm + baseDirection * s + u * (r * cos(a)) + v * (r * sin(a))
    }

    /// Unit direction of angle phi in the short-axis plane.
    public func direction(phiDeg: Double) -> Vec3 {
        let a = radians(phiDeg)
        return u * cos(a) + v * sin(a)
    }
}
