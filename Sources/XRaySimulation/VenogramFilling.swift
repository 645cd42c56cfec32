import CRTCore
import Foundation
import HeartPhantom

/// How the contrast fills the venous tree behind the occlusion balloon in the venogram (docs/fluoroscopy.md,
/// "Venogram filling"). The trunk (coronary sinus beyond the balloon, great cardiac vein) holds the injected
/// contrast; each tributary (anterior interventricular vein, middle cardiac vein, lateral branches) is filled over
/// a drawn fraction of its length at a drawn concentration relative to the trunk, the contrast fading linearly to
/// nothing over `fadeMm` before the filled front, and occasionally not at all. The draws come from the realism
/// fields `xray.fill*` and `xray.unfilledBranchProbability` (VenogramRealism.swift) and, per vein, from the seed
/// with the label "xray.filling.<vein name>". Over a venogram run the tributaries' contrast washes out
/// (`xray.washoutTimeConstantS`, applied by `XRayScene.washedOut` per frame).
public struct VenogramFilling: Sendable, Equatable {
    public struct Vein: Sendable, Equatable {
        public var name: String
        /// False: the vein takes no contrast at all.
        public var filled: Bool
        /// Fraction of the vein's length (from its origin) the contrast reaches.
        public var reachFraction: Double
        /// Iodine concentration relative to the injected contrast.
        public var concentration: Double
        /// Length over which the contrast fades to nothing before the filled front (mm).
        public var fadeMm: Double
        /// Centreline length (mm).
        public var lengthMm: Double

        /// Length from the origin to the filled front (mm); 0 when unfilled.
        public var filledLengthMm: Double { filled ? reachFraction * lengthMm : 0 }

        /// Concentration relative to the injected contrast at arc length `s` from the vein's origin (mm).
        public func relativeConcentration(atArcMm s: Double) -> Double {
            guard filled else { return 0 }
            let front = filledLengthMm
            if s >= front { return 0 }
            if fadeMm <= 0 || s <= front - fadeMm { return concentration }
            return concentration * (front - s) / fadeMm
        }
    }

    public var veins: [Vein]

    /// The veins the balloon occludes directly: always filled evenly to their ends.
    public static let trunk: Set<String> = ["coronary sinus", "great cardiac vein"]

    public func vein(_ name: String) -> Vein? { veins.first { $0.name == name } }

    /// The filling of `veins` for a phantom's X-ray settings; nil when every filling field is unset (crtsim's earlier
    /// venogram: every vein filled evenly to its end with the injected contrast).
    public static func draw(veins: [VeinCentreline], settings s: PhantomSpec.XRaySettings, seed: UInt64) -> VenogramFilling? {
        guard s.fillReachMean != nil || s.fillConcentrationMean != nil || s.fillUnevenness != nil
                || s.unfilledBranchProbability != nil || s.fillFadeMm != nil else { return nil }
        let reach = s.fillReachMean ?? 1, conc = s.fillConcentrationMean ?? 1, spread = s.fillUnevenness ?? 0
        let unfilled = s.unfilledBranchProbability ?? 0, fade = s.fillFadeMm ?? 0
        return VenogramFilling(veins: veins.map { v in
            let length = Polyline(v.pointsMm).lengthMm
            if trunk.contains(v.name) {
                return Vein(name: v.name, filled: true, reachFraction: 1, concentration: 1, fadeMm: 0, lengthMm: length)
            }
            var rng = SeededRandom(seed: seed, label: "xray.filling.\(v.name)")
            let u = rng.uniform(), zr = rng.normal(), zc = rng.normal()
            return Vein(name: v.name, filled: u >= unfilled, reachFraction: clamp(reach + spread * zr, 0.1, 1),
                        concentration: clamp(conc * (1 + spread * zc), 0.1, 1), fadeMm: fade, lengthMm: length)
        })
    }

    /// truth.json `xray.venogramFilling`: per vein whether it is filled, its filled length, reach, relative
    /// concentration and fade length.
    public var facts: AnyCodableValue {
        .object(Dictionary(uniqueKeysWithValues: veins.map { v in
            (v.name, AnyCodableValue.object([
                "filled": .number(v.filled ? 1 : 0),
                "lengthMm": .number(v.lengthMm),
                "filledLengthMm": .number(v.filledLengthMm),
                "reachFraction": .number(v.reachFraction),
                "relativeConcentration": .number(v.concentration),
                "fadeMm": .number(v.fadeMm),
            ]))
        }))
    }
}
