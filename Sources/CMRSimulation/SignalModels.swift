import Foundation
import HeartPhantom

/// Steady-state signal of balanced SSFP (on resonance, TE = TR/2, TR much shorter than T1 and T2):
/// S = PD sin(a) / ((T1/T2 + 1) - cos(a) (T1/T2 - 1)) (Scheffler 2003). Blood is bright, myocardium dark.
public struct BalancedSSFP: Sendable {
    /// Flip angle (degrees).
    public var flipAngleDeg: Double
    public init(flipAngleDeg: Double) { self.flipAngleDeg = flipAngleDeg }

    public func signal(_ t: TissueProperties) -> Double {
        let a = flipAngleDeg * .pi / 180
        let ratio = t.t1Ms / t.t2Ms
        return t.pd * sin(a) / ((ratio + 1) - cos(a) * (ratio - 1))
    }
}

/// Magnitude inversion recovery after gadolinium (LGE): S = PD |1 - 2 exp(-TI/T1) + exp(-Trec/T1)|, with the
/// inversion every other heartbeat (Trec = 2 R-R). The scanner operator chooses TI to null remote myocardium;
/// `inversionTimeErrorMs` perturbs that choice. Scar enhancement e (0 remote, `scarTissue.greyZoneEnhancement` grey zone,
/// 1 core) adds relaxation rate linearly: 1/T1 = (1 - e)/T1_remote + e/T1_scar.
///
/// Gadolinium wash-out during the acquisition: `t1Scale` multiplies every post-contrast T1 (1 at the first LGE
/// slice, when the TI was set); the TI stays at the first slice's choice, `nullInversionTimeMs` is this slice's null.
/// `bloodT1PostMs`, when given, replaces the tissue table's post-contrast T1 of blood.
public struct InversionRecoveryLGE: Sendable {
    /// Recovery time between inversions (ms).
    public var recoveryMs: Double
    /// Inversion time used (ms).
    public var inversionTimeMs: Double
    /// Inversion time that nulls remote myocardium at this slice (ms).
    public let nullInversionTimeMs: Double
    /// Factor on every post-contrast T1 (wash-out since the TI was chosen).
    public let t1Scale: Double
    /// Post-contrast blood T1 (ms), nil for the tissue table's.
    public let bloodT1PostMs: Double?

    public init(rrIntervalMs: Double, inversionTimeErrorMs: Double, t1Scale: Double = 1, bloodT1PostMs: Double? = nil) {
        recoveryMs = 2 * rrIntervalMs
        let t1 = Tissue.lvMyocardium.properties.t1PostMs
        let null0 = t1 * log(2 / (1 + exp(-recoveryMs / t1)))
        inversionTimeMs = null0 + inversionTimeErrorMs
        self.t1Scale = t1Scale
        self.bloodT1PostMs = bloodT1PostMs
        if t1Scale == 1 {
            nullInversionTimeMs = null0
        } else {
            let t1s = t1 * t1Scale
            nullInversionTimeMs = t1s * log(2 / (1 + exp(-recoveryMs / t1s)))
        }
    }

    /// The scale of post-contrast T1 at which the remote-myocardium null has moved from the first slice's by
    /// `driftMs` (solved by bisection; the null is increasing in T1).
    public static func t1Scale(rrIntervalMs: Double, nullShiftMs driftMs: Double) -> Double {
        guard driftMs != 0 else { return 1 }
        let trec = 2 * rrIntervalMs, t1 = Tissue.lvMyocardium.properties.t1PostMs
        func null(_ k: Double) -> Double { let t = t1 * k; return t * log(2 / (1 + exp(-trec / t))) }
        let target = null(1) + driftMs
        var lo = 0.2, hi = 5.0
        for _ in 0..<60 { let mid = 0.5 * (lo + hi); if null(mid) < target { lo = mid } else { hi = mid } }
        return 0.5 * (lo + hi)
    }

    public func signal(pd: Double, t1Ms: Double) -> Double {
        let t1 = t1Scale == 1 ? t1Ms : t1Ms * t1Scale
        return pd * abs(1 - 2 * exp(-inversionTimeMs / t1) + exp(-recoveryMs / t1))
    }

    public func signal(_ t: Tissue, enhancement e: Double) -> Double {
        let p = t.properties
        var t1Post = p.t1PostMs
        if let b = bloodT1PostMs, [.blood, .lvBlood, .rvBlood, .venousBlood].contains(t) { t1Post = b }
        guard e > 0 else { return signal(pd: p.pd, t1Ms: t1Post) }
        let r1 = (1 - e) / t1Post + e / scarT1PostMs
        return signal(pd: p.pd, t1Ms: 1 / r1)
    }
}
