import CRTCore

/// Heights of the ring boundaries along the LV long axis, as fractions of the cavity length from the base
/// plane (0) to the endocardial apex (1). [open] in DOMAIN.md section 2: equal thirds with 12 sectors give a
/// basal/mid area ratio near 1.1 where the paper measured about 1.56, so the heights are parameters.
/// Valid when `0 < basalMidFraction < midApicalFraction < 1`.
public struct RingBoundaries: Codable, Sendable, Equatable {
    /// Boundary between the basal and mid rings (fraction of the cavity length from the base plane).
    public var basalMidFraction: Double
    /// Boundary between the mid and apical rings (fraction of the cavity length from the base plane).
    public var midApicalFraction: Double

    /// Validated boundaries.
    /// - Throws: `InputError` unless `0 < basalMidFraction < midApicalFraction < 1`.
    public init(basalMidFraction: Double, midApicalFraction: Double) throws {
        self.basalMidFraction = basalMidFraction
        self.midApicalFraction = midApicalFraction
        try validate()
    }

    /// The AHA thirds: 1/3 and 2/3.
    public static let equalThirds = try! RingBoundaries(basalMidFraction: 1.0 / 3, midApicalFraction: 2.0 / 3)

    /// Whether `0 < basalMidFraction < midApicalFraction < 1` (false for NaN).
    public var isValid: Bool {
        0 < basalMidFraction && basalMidFraction < midApicalFraction && midApicalFraction < 1
    }

    /// Throws `InputError` unless the boundaries are valid.
    public func validate() throws {
        guard isValid else {
            throw InputError("ring boundaries must satisfy 0 < basalMidFraction (\(basalMidFraction)) < "
                + "midApicalFraction (\(midApicalFraction)) < 1")
        }
    }

    /// Ring of a point at fraction `f` of the cavity length: 0 basal for [0, b), 1 mid for [b, m), 2 apical for
    /// [m, 1]; nil below 0 (above the base plane, not LV myocardium of any ring) and beyond 1 (the apical cap,
    /// region 0) and for NaN.
    public func ring(forFraction f: Double) -> Int? {
        guard f >= 0, f <= 1 else { return nil }
        if f < basalMidFraction { return 0 }
        if f < midApicalFraction { return 1 }
        return 2
    }

    public init(from decoder: Decoder) throws {
        enum Keys: String, CodingKey { case basalMidFraction, midApicalFraction }
        let c = try decoder.container(keyedBy: Keys.self)
        basalMidFraction = try c.decode(Double.self, forKey: .basalMidFraction)
        midApicalFraction = try c.decode(Double.self, forKey: .midApicalFraction)
        try validate()
    }
}

extension RingBoundaries {
    /// The ring coordinate of point `p` (0 at the base, 1 at the endocardial apex; not clamped): its height along
    /// `baseToApex` from `baseCentreMm` over `cavityLengthMm` (the endocardial apex's height). With an annulus plane
    /// (centre, normal towards the apex) the base is the annulus at the point's angle: where the line through `p`
    /// parallel to the axis crosses the plane, so the coordinate runs from 0 there to 1 at the apex, the truth's
    /// convention (docs/truth-schema.md, "Base and volumes"). A plane within 60 degrees of the axis direction is
    /// ignored (no base plane).
    public static func heightFraction(of p: Vec3, baseCentreMm: Vec3, baseToApex: Vec3, cavityLengthMm: Double,
                                      annulus: (centreMm: Vec3, normal: Vec3)?) -> Double {
        let h = (p - baseCentreMm).dot(baseToApex)
        var base = 0.0
        if let plane = annulus {
            let n = plane.normal.normalized, cosine = baseToApex.dot(n)
            if abs(cosine) > 0.5 { base = h - (p - plane.centreMm).dot(n) / cosine }
        }
        return (h - base) / max(cavityLengthMm - base, 1e-6)
    }

    /// crtsim's default ring heights: basal 0-0.42, mid 0.42-0.70, apical 0.70-1 of the cavity length. Chosen so
    /// that the default 210 mL phantom has mid segments near the paper's 4.3 cm2 and a basal/mid area ratio near
    /// its 1.56 (measured by HeartPhantomTests).
    public static let crtsimDefault = try! RingBoundaries(basalMidFraction: 0.42, midApicalFraction: 0.70)
}
