import Foundation
import HeartPhantom
import Testing
import XRaySimulation

/// Tolerances of the polyenergetic beam (docs/fluoroscopy.md "Spectrum and beam hardening").
enum SpectrumTolerance {
    /// Tabulated against exact effective line integral: a hundredth of the log image's quantum noise SD (0.013-0.017
    /// on clinical images).
    static let lookup = 1e-4
    /// Mean photon energy against SpekPy's own, which bins at 0.5 keV where the tables bin at 2 keV (keV).
    static let meanEnergyKeV = 0.5
}

@Suite("Polyenergetic beam")
struct SpectrumTests {
    @Test("mean photon energy of the tabulated spectra with copper added in crtsim: within 0.5 keV of SpekPy's (70 kVp 39.40, 80 kVp + 0.2 mm Cu 50.91, 90 kVp + 0.4 mm Cu 58.53, 120 kVp + 0.9 mm Cu 74.48 keV)")
    func meanEnergyMatchesSpekPy() {
        // SpekPy 2.5.4, tungsten, 12 degrees, 2.5 mm Al plus the copper, get_emean() at 0.5 keV bins.
        for (kvp, cu, reference) in [(70.0, 0.0, 39.402), (80, 0.2, 50.906), (90, 0.4, 58.527), (120, 0.9, 74.476)] {
            let e = XRaySpectrum(tubeVoltageKVp: kvp, copperFilterMm: cu).meanFluenceEnergyKeV
            #expect(abs(e - reference) <= SpectrumTolerance.meanEnergyKeV, "\(kvp) kVp, \(cu) mm Cu: \(e) keV, SpekPy \(reference)")
        }
    }

    @Test("no photons above the peak voltage; a harder beam with more kVp or more copper")
    func spectrumShape() {
        let s = XRaySpectrum(tubeVoltageKVp: 72, copperFilterMm: 0)
        let e = XRaySpectrum.energiesKeV
        for k in e.indices where e[k] - 1 >= 72 { #expect(s.weights[k] == 0, "bin \(e[k]) keV") }
        #expect(abs(s.weights.reduce(0, +) - 1) < 1e-12)
        let base = XRaySpectrum(tubeVoltageKVp: 70, copperFilterMm: 0.1).meanDetectedEnergyKeV
        #expect(XRaySpectrum(tubeVoltageKVp: 90, copperFilterMm: 0.1).meanDetectedEnergyKeV > base + 3)
        #expect(XRaySpectrum(tubeVoltageKVp: 70, copperFilterMm: 0.4).meanDetectedEnergyKeV > base + 2)
    }

    @Test("beam hardening: water's effective attenuation per unit line integral falls with thickness, less so behind more copper (a pre-hardened beam)")
    func beamHardening() {
        func perUnit(_ s: XRaySpectrum, _ l: Double) -> Double {
            var channels = [Double](repeating: 0, count: XRayBasis.allCases.count)
            channels[XRayBasis.water.rawValue] = l
            return s.effectiveLineIntegral(channels) / l
        }
        let soft = XRaySpectrum(tubeVoltageKVp: 80, copperFilterMm: 0), hard = XRaySpectrum(tubeVoltageKVp: 80, copperFilterMm: 0.6)
        for s in [soft, hard] {
            var previous = Double.infinity
            for l in stride(from: 0.01, through: 6.2, by: 0.2) {   // water at 60 keV: 0.0206 /mm, so 6.2 = 30 cm
                #expect(perUnit(s, l) < previous, "\(s.copperFilterMm) mm Cu, L = \(l): \(perUnit(s, l))")
                previous = perUnit(s, l)
            }
        }
        let drop = { (s: XRaySpectrum) in 1 - perUnit(s, 6.2) / perUnit(s, 0.01) }
        #expect(drop(hard) < drop(soft), "30 cm: \(drop(soft)) without copper, \(drop(hard)) with 0.6 mm")
        // Below the 60 keV reference energy water attenuates more than at 60 keV: the thin-slab value exceeds 1.
        #expect(perUnit(soft, 0.01) > 1)
    }

    @Test("the dose-rate control: behind 20 cm of water the detector gets what the 60 keV beam gives")
    func doseRateControl() {
        let s = XRaySpectrum(tubeVoltageKVp: 75, copperFilterMm: 0.2)
        var channels = [Double](repeating: 0, count: XRayBasis.allCases.count)
        channels[XRayBasis.water.rawValue] = XRaySpectrum.doseRateControlReferenceWater
        let detected = s.doseRateControlFactor * exp(-s.effectiveLineIntegral(channels))
        #expect(abs(detected / exp(-XRaySpectrum.doseRateControlReferenceWater) - 1) < 1e-12)
    }

    @Test("iodine attenuates more in a 70 kVp beam than in a 120 kVp one (its K edge at 33 keV lies below both beams' mean energy)")
    func iodineKEdge() {
        func perUnit(_ kvp: Double) -> Double {
            var channels = [Double](repeating: 0, count: XRayBasis.allCases.count)
            channels[XRayBasis.iodine.rawValue] = 0.01
            return XRaySpectrum(tubeVoltageKVp: kvp, copperFilterMm: 0.1).effectiveLineIntegral(channels) / 0.01
        }
        #expect(perUnit(70) > 1.3 * perUnit(120), "70 kVp \(perUnit(70)), 120 kVp \(perUnit(120))")
    }

    @Test("tabulated water and bone: within 1e-4 of the exact sum; pixels with iodine or metal summed exactly")
    func lookupMatchesExact() {
        let s = XRaySpectrum(tubeVoltageKVp: 85, copperFilterMm: 0.3)
        let table = s.lookup()
        var water: [Float] = [], bone: [Float] = [], iodine: [Float] = []
        for i in 0..<400 {
            water.append(Float(i) * 0.037)                       // 0-14.8
            bone.append(Float((i * 7) % 400) * 0.0095)            // 0-3.8
            iodine.append(i % 10 == 0 ? 0.3 : 0)
        }
        let channels: [[Float]?] = [water, bone, iodine, nil, nil]
        let fast = s.effectiveLineIntegrals(channels: channels, table: table)
        for p in water.indices {
            var l = [Double](repeating: 0, count: XRayBasis.allCases.count)
            l[0] = Double(water[p]); l[1] = Double(bone[p]); l[2] = Double(iodine[p])
            let exact = s.effectiveLineIntegral(l)
            #expect(abs(Double(fast[p]) - exact) <= SpectrumTolerance.lookup + 1e-6 * exact, "pixel \(p): \(fast[p]) vs \(exact)")
        }
    }
}
