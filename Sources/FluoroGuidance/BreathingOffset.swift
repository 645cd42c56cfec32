import CRTCore

/// Two images taken one after the other on a single-plane C-arm (the LAO and RAO venograms, the two lead images) see
/// the heart at two breathing states: the heart's world translation between them, split half and half (the first
/// view moved by +half, the second by -half), so that the shared pose is their midpoint (docs/fluoroscopy.md, "Two
/// breathing states").
public enum BreathingOffset {
    /// Each of the two views' translation (world mm) for an offset `offsetMm` between them.
    public static func perView(_ offsetMm: Vec3) -> [Vec3] { [offsetMm * 0.5, offsetMm * -0.5] }

    /// The two views' projections with the heart moved by `perView(offsetMm)`.
    public static func projections(_ projections: [ProjectionMatrix], offsetMm: Vec3) -> [ProjectionMatrix] {
        zip(projections, perView(offsetMm)).map { $0.composed(after: Affine3D(linear: .identity, translation: $1)) }
    }
}
