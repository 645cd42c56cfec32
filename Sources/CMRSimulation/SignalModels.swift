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
/// `inversionTimeErrorMs` perturbs that choice. Scar enhancement e (0 remote, `greyZoneEnhancement` grey zone,
/// 1 core) adds relaxation rate linearly: 1/T1 = (1 - e)/T1_remote + e/T1_scar.
public struct InversionRecoveryLGE: Sendable {
    /// Recovery time between inversions (ms).
    public var recoveryMs: Double
    /// Inversion time used (ms).
    public var inversionTimeMs: Double
    /// Inversion time that nulls remote myocardium (ms).
    public let nullInversionTimeMs: Double

    public init(rrIntervalMs: Double, inversionTimeErrorMs: Double) {
        recoveryMs = 2 * rrIntervalMs
        let t1 = Tissue.lvMyocardium.properties.t1PostMs
        nullInversionTimeMs = t1 * log(2 / (1 + exp(-recoveryMs / t1)))
        inversionTimeMs = nullInversionTimeMs + inversionTimeErrorMs
    }

    public func signal(pd: Double, t1Ms: Double) -> Double {
        pd * abs(1 - 2 * exp(-inversionTimeMs / t1Ms) + exp(-recoveryMs / t1Ms))
    }

    /// Relaxation-rate fraction of the grey border zone (between remote, 0, and core, 1). At the nulling TI it gives
    /// about 35 % of the core signal, inside the grey zone as the literature defines it (above remote + 2 SD, below
    /// 50 % of the peak; Schmidt et al., Circulation 2007). An even mix (0.5) would give 56 %, which FWHM counts as
    /// core by definition, contradicting the truth's label.
    public static let greyZoneEnhancement = 0.3

    public func signal(_ t: Tissue, enhancement e: Double) -> Double {
        let p = t.properties
        guard e > 0 else { return signal(pd: p.pd, t1Ms: p.t1PostMs) }
        let r1 = (1 - e) / p.t1PostMs + e / scarT1PostMs
        return signal(pd: p.pd, t1Ms: 1 / r1)
    }
}
