import Foundation
import CRTCore

/// The LV wall as the guidance pipeline sees it at one cardiac phase: closed endocardial and epicardial
/// contours on a stack of short-axis slices, sampled on rays at equal angles around each slice's centre,
/// with per-ray attributes. This is the input of `LVSurfaceBuilder`; it holds only what the pipeline measured.
public struct WallContourStack: Sendable, Codable {
    /// Slices ordered from base to apex.
    public var slices: [SliceContour]
    /// Unit vector along the LV long axis from base to apex (patient LPS).
    public var baseToApex: Vec3
    /// Estimated epicardial and endocardial apex points (patient LPS mm), where the surfaces close.
    public var epicardialApexMm: Vec3
    public var endocardialApexMm: Vec3

    public init(slices: [SliceContour], baseToApex: Vec3, epicardialApexMm: Vec3, endocardialApexMm: Vec3) {
        self.slices = slices; self.baseToApex = baseToApex
        self.epicardialApexMm = epicardialApexMm; self.endocardialApexMm = endocardialApexMm
    }
}

/// Endocardial and epicardial contours of one short-axis slice, on `rayCount` rays. Ray r points along
/// `cos(theta_r) * axisU + sin(theta_r) * axisV` with `theta_r = 2 pi r / rayCount`; `axisU x axisV` points
/// from base to apex, so the ray angle turns right-handed about the base-to-apex axis (as the 36-segment
/// angle does).
public struct SliceContour: Sendable, Codable {
    /// Centre of the rays (patient LPS mm), in the slice plane.
    public var centreMm: Vec3
    /// In-plane unit vectors spanning the slice.
    public var axisU: Vec3
    public var axisV: Vec3
    /// Distance from the centre to the endocardium and epicardium along each ray (mm).
    public var endoRadiiMm: [Double]
    public var epiRadiiMm: [Double]
    /// 36-segment id of each ray (1-36; 0 = not one of the 36).
    public var segmentIds: [Int]
    /// Scar transmurality along each ray (fraction of the wall, 0-1).
    public var scarTransmurality: [Double]
    /// Ray angle (degrees) at which the 36-segment angle is 0 (the anterior RV insertion), when known; the ray ids
    /// only bound it to within half a ray.
    public var segmentZeroAngleDegrees: Double?

    public init(centreMm: Vec3, axisU: Vec3, axisV: Vec3, endoRadiiMm: [Double], epiRadiiMm: [Double],
                segmentIds: [Int], scarTransmurality: [Double], segmentZeroAngleDegrees: Double? = nil) {
        self.centreMm = centreMm; self.axisU = axisU; self.axisV = axisV
        self.endoRadiiMm = endoRadiiMm; self.epiRadiiMm = epiRadiiMm
        self.segmentIds = segmentIds; self.scarTransmurality = scarTransmurality
        self.segmentZeroAngleDegrees = segmentZeroAngleDegrees
    }

    public var rayCount: Int { endoRadiiMm.count }
    /// Unit direction of ray r.
    public func direction(ofRay r: Int) -> Vec3 {
        let t = 2 * Double.pi * Double(r) / Double(rayCount)
        return axisU * cos(t) + axisV * sin(t)
    }
}
