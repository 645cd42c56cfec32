import CRTCore
import Dispatch
import Foundation

/// The materials whose energy dependence the polyenergetic image formation follows separately (basis materials).
/// Every attenuation in the scene is given at the mono-energetic model's effective energy
/// (`XRayMaterials.effectiveEnergyKeV`) and assigned to one of them; at another energy it scales by that material's
/// mass attenuation ratio mu(E) / mu(60 keV) (`SpectralTables`).
public enum XRayBasis: Int, Sendable, CaseIterable {
    /// Soft tissue, blood, fat, lung, polymers: water-like (fat and lung differ from water by density, not by much in
    /// their energy dependence).
    case water
    /// The cortical-bone part of the ribs, sternum and vertebrae (ICRU-44 cortical bone).
    case bone
    /// Iodinated contrast (K edge 33.2 keV).
    case iodine
    /// Stainless steel and MP35N (lead conductor coils, guide wire core, catheter and sheath braids): iron.
    case steel
    /// Platinum-iridium electrodes, shock coils and marker coils (K edge 78.4 keV): platinum.
    case platinum
}

/// A polyenergetic X-ray beam seen by an energy-integrating flat-panel detector: tube spectrum (tungsten anode,
/// `SpectralTables`), added copper filtration, and the detector's caesium-iodide absorption.
///
/// The detected signal behind line integrals L_m of the basis materials (each at the effective energy, 1/mm x mm) is
/// T = sum_k w_k exp(-sum_m r_m(E_k) L_m) with w_k the share of the detected energy in bin k of the unattenuated
/// beam (fluence x E x CsI absorption, normalised) and r_m the basis material's mu(E_k) / mu(60 keV). The image
/// formation downstream (quantum noise, scatter, logarithm) takes L_eff = -ln T as its line integral, so beam
/// hardening (L_eff grows more slowly than the mono-energetic sum of the L_m) and the materials' different energy
/// dependence (iodine's K edge, bone's and platinum's photoelectric absorption) reach every image.
public struct XRaySpectrum: Sendable, Equatable {
    /// Peak tube voltage (kVp), 60-120.
    public let tubeVoltageKVp: Double
    /// Added copper filtration (mm), 0-1.
    public let copperFilterMm: Double
    /// Caesium-iodide scintillator thickness of the detector (mm).
    public let scintillatorMm: Double
    /// Detected-energy weight per energy bin of `SpectralTables.energiesKeV` (sum 1).
    public let weights: [Double]
    /// Per basis material (`XRayBasis.rawValue`), mu(E_k) / mu(60 keV) per bin.
    let ratios: [[Double]]

    /// Bin centres of `weights` (keV).
    public static var energiesKeV: [Double] { SpectralTables.energiesKeV }

    /// CsI and copper densities (g/mL).
    static let caesiumIodideDensity = 4.51, copperDensity = 8.96

    /// Fraction of the photons of energy bin k that a CsI scintillator `thicknessMm` thick absorbs.
    static func absorbed(bin k: Int, scintillatorMm thicknessMm: Double) -> Double {
        1 - exp(-SpectralTables.caesiumIodideCm2PerG[k] * caesiumIodideDensity * thicknessMm / 10)
    }

    public init(tubeVoltageKVp: Double, copperFilterMm: Double, scintillatorMm: Double = 0.6) {
        self.tubeVoltageKVp = tubeVoltageKVp; self.copperFilterMm = copperFilterMm; self.scintillatorMm = scintillatorMm
        let kv = SpectralTables.tubeVoltagesKVp
        let x = min(max(tubeVoltageKVp, kv.first!), kv.last!)
        let i = min(kv.count - 2, Int((x - kv[0]) / (kv[1] - kv[0])))
        let f = (x - kv[i]) / (kv[i + 1] - kv[i])
        let e = SpectralTables.energiesKeV
        var w = e.indices.map { k -> Double in
            // Fluence linear in kVp between the tabulated spectra, none above the peak voltage.
            guard e[k] - 1 < x else { return 0 }
            let fluence = (1 - f) * SpectralTables.spectra[i][k] + f * SpectralTables.spectra[i + 1][k]
            let copper = exp(-SpectralTables.copperCm2PerG[k] * XRaySpectrum.copperDensity * copperFilterMm / 10)
            return fluence * copper * e[k] * XRaySpectrum.absorbed(bin: k, scintillatorMm: scintillatorMm)
        }
        let total = w.reduce(0, +)
        w = w.map { $0 / total }
        weights = w
        let tables: [(values: [Double], reference: Double)] = [
            (SpectralTables.waterCm2PerG, SpectralTables.waterAtReferenceCm2PerG),
            (SpectralTables.boneCm2PerG, SpectralTables.boneAtReferenceCm2PerG),
            (SpectralTables.iodineCm2PerG, SpectralTables.iodineAtReferenceCm2PerG),
            (SpectralTables.ironCm2PerG, SpectralTables.ironAtReferenceCm2PerG),
            (SpectralTables.platinumCm2PerG, SpectralTables.platinumAtReferenceCm2PerG),
        ]
        ratios = tables.map { t in t.values.map { $0 / t.reference } }
    }

    /// Water line integral of the automatic dose-rate control's reference patient: 20 cm of water at 60 keV.
    public static let doseRateControlReferenceWater = 200 * Double(XRayMaterials.water)

    /// The factor on the unattenuated beam (`photonsPerPixel`, given for the mono-energetic 60 keV beam) that the
    /// automatic dose-rate control of the C-arm applies: behind the reference patient (20 cm of water) the detector
    /// receives what it would receive from the 60 keV beam, exp(L_eff - L) at that water line integral L.
    public var doseRateControlFactor: Double {
        var l = [Double](repeating: 0, count: XRayBasis.allCases.count)
        l[XRayBasis.water.rawValue] = XRaySpectrum.doseRateControlReferenceWater
        return exp(effectiveLineIntegral(l) - XRaySpectrum.doseRateControlReferenceWater)
    }

    /// Mean photon energy of the unattenuated beam (keV), fluence-weighted (the usual "mean energy" of a spectrum).
    public var meanFluenceEnergyKeV: Double {
        let e = SpectralTables.energiesKeV
        // weights / (E x absorption) = photon fluence, up to the normalisation.
        let photons = e.indices.map { k in weights[k] / (e[k] * XRaySpectrum.absorbed(bin: k, scintillatorMm: scintillatorMm)) }
        let total = photons.reduce(0, +)
        return zip(photons, e).reduce(0) { $0 + $1.0 * $1.1 } / total
    }

    /// Mean energy of the detected beam (keV), weighted as the detector weighs it.
    public var meanDetectedEnergyKeV: Double { zip(weights, SpectralTables.energiesKeV).reduce(0) { $0 + $1.0 * $1.1 } }

    /// L_eff = -ln T for basis line integrals `l` (index `XRayBasis.rawValue`, dimensionless at 60 keV).
    public func effectiveLineIntegral(_ l: [Double]) -> Double {
        var t = 0.0
        for k in weights.indices where weights[k] > 0 {
            var exponent = 0.0
            for m in l.indices where l[m] != 0 { exponent += ratios[m][k] * l[m] }
            t += weights[k] * exp(-exponent)
        }
        return -log(max(t, 1e-300))
    }

    /// The effective line integral of every pixel: `channels[m]` the basis line integrals of material m (nil: none
    /// in the image). Pixels with water and bone only (most of them) inside `table`'s grid are read from it; the
    /// others are summed exactly.
    public func effectiveLineIntegrals(channels: [[Float]?], table: Lookup) -> [Float] {
        precondition(channels.count == XRayBasis.allCases.count, "one channel per basis material")
        let n = channels.compactMap { $0?.count }.first ?? 0
        let water = channels[XRayBasis.water.rawValue] ?? [Float](repeating: 0, count: n)
        let bone = channels[XRayBasis.bone.rawValue] ?? [Float](repeating: 0, count: n)
        let others = channels[2...].compactMap { $0 }
        var out = [Float](repeating: 0, count: n)
        var l = [Double](repeating: 0, count: channels.count)
        for p in 0..<n {
            let w = Double(water[p]), b = Double(bone[p])
            if let v = table.value(water: w, bone: b), !others.contains(where: { $0[p] != 0 }) {
                out[p] = Float(v)
            } else {
                for m in l.indices { l[m] = Double(channels[m]?[p] ?? 0) }
                out[p] = Float(effectiveLineIntegral(l))
            }
        }
        return out
    }

    /// L_eff tabulated over water and bone line integrals (steps 0.05 and 0.02) for bilinear interpolation: the
    /// curvature of L_eff keeps its error below 1e-4 (tested), a hundredth of the log image's quantum noise SD
    /// (0.013-0.017 on clinical images, truth.json `xray.imageChecks`).
    public struct Lookup: Sendable {
        let waterStep: Double, boneStep: Double
        let columns: Int, rows: Int
        let values: [Double]
        /// Nil outside the grid (negative or beyond the largest tabulated value).
        func value(water: Double, bone: Double) -> Double? {
            let x = water / waterStep, y = bone / boneStep
            guard x >= 0, y >= 0, x < Double(columns - 1), y < Double(rows - 1) else { return nil }
            let i = Int(x), j = Int(y), fx = x - Double(i), fy = y - Double(j)
            let a = values[j * columns + i], b = values[j * columns + i + 1]
            let c = values[(j + 1) * columns + i], d = values[(j + 1) * columns + i + 1]
            return (1 - fy) * (a + fx * (b - a)) + fy * (c + fx * (d - c))
        }
    }

    /// The table up to water and bone line integrals of `maxWater` and `maxBone` (a chest's lie below about 8 and 3;
    /// pixels beyond are summed exactly).
    public func lookup(maxWater: Double = 10, maxBone: Double = 4) -> Lookup {
        let waterStep = 0.05, boneStep = 0.02
        let columns = Int((maxWater / waterStep).rounded(.up)) + 2
        let rows = Int((maxBone / boneStep).rounded(.up)) + 2
        let values = ParallelOutput<Double>(count: columns * rows, initial: 0)
        DispatchQueue.concurrentPerform(iterations: rows) { j in
            let row = values.range((j * columns)..<((j + 1) * columns))
            var l = [Double](repeating: 0, count: XRayBasis.allCases.count)
            l[XRayBasis.bone.rawValue] = Double(j) * boneStep
            for i in 0..<columns {
                l[XRayBasis.water.rawValue] = Double(i) * waterStep
                row[i] = effectiveLineIntegral(l)
            }
        }
        return Lookup(waterStep: waterStep, boneStep: boneStep, columns: columns, rows: rows, values: values.array)
    }
}
