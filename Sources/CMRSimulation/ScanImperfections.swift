import CRTCore
import Foundation
import HeartPhantom

/// Where the heart is during one slice's breath-hold: translated by `shift` and rotated by the rotation vector
/// `rotationDeg` (degrees, right-handed) about `centre`. The torso moves with the translation only.
struct SlicePose: Sendable {
    let shift: Vec3
    /// Inverse rotation (patient to heart), nil when the rotation is zero (then the pose is the old pure shift).
    let inverse: Mat3?
    let centre: Vec3

    init(shift: Vec3, rotationDeg: Vec3, centre: Vec3) {
        self.shift = shift; self.centre = centre
        let angle = rotationDeg.length
        inverse = angle > 0 ? Mat3.rotation(axis: rotationDeg / angle, angleRadians: angle * .pi / 180).transposed : nil
    }

    /// The heart-model point seen at patient point `p`.
    @inline(__always) func heartPoint(_ p: Vec3) -> Vec3 {
        guard let r = inverse else { return p - shift }
        return centre + r * (p - shift - centre)
    }
}

/// A cardiac receive array: loop elements on the anterior and posterior chest wall (about half each), centred on
/// the heart, over 300 mm (left-right) by 260 mm (head-foot), each loop of diameter about its spacing. Element c
/// sees the object with the on-axis loop sensitivity s_c(r) = (a^2 / (a^2 + |r - p_c|^2))^(3/2) (Biot-Savart of a
/// loop of radius a, used off axis as a smooth approximation). The combined sensitivity sqrt(sum s_c^2) is
/// normalised to 1 at the LV centre, so the requested SNR holds there. `intensityCorrection` k (0-1) is the
/// scanner's surface-coil normalisation (body-coil reference, e.g. "Prescan Normalize"): the image is divided by
/// (combined sensitivity)^k, leaving a residual shading of (combined)^(1 - k) and noise that grows where the
/// sensitivity is low.
public struct ReceiveArray: Sendable, Equatable {
    public let elements: Int
    public let positionsMm: [Vec3]
    public let loopRadiusMm: Double
    public let intensityCorrection: Double
    let normalisation: Double

    public init(elements: Int, torso: Torso, heartCentre: Vec3, intensityCorrection: Double = 0) {
        let anterior = (elements + 1) / 2, posterior = elements / 2
        let width = 300.0, height = 260.0
        var positions: [Vec3] = []
        var radius = 0.0
        for (count, sign) in [(anterior, -1.0), (posterior, 1.0)] where count > 0 {
            let nx = Int(Double(count).squareRoot().rounded(.up))
            let nz = (count + nx - 1) / nx
            let dx = width / Double(nx), dz = height / Double(nz)
            radius = max(radius, 0.55 * (dx * dz).squareRoot())
            for e in 0..<count {
                let ix = e % nx, iz = e / nx
                let x = heartCentre.x - width / 2 + (Double(ix) + 0.5) * dx
                let z = heartCentre.z - height / 2 + (Double(iz) + 0.5) * dz
                let xr = min(abs(x) / torso.halfWidthMm, 1)
                let y = torso.centreY + sign * (torso.halfDepthMm * (1 - xr * xr).squareRoot() + 10)
                positions.append(Vec3(x, y, z))
            }
        }
        self.init(elements: elements, positions: positions, radius: radius, correction: intensityCorrection,
                  normalisation: Self.rawCombined(heartCentre, positions: positions, radius: radius))
    }

    private init(elements: Int, positions: [Vec3], radius: Double, correction: Double, normalisation: Double) {
        self.elements = elements; positionsMm = positions; loopRadiusMm = radius
        intensityCorrection = correction; self.normalisation = normalisation
    }

    static func rawCombined(_ p: Vec3, positions: [Vec3], radius a: Double) -> Double {
        var sum = 0.0
        for c in positions {
            let d = p - c
            let q = a * a / (a * a + d.dot(d))
            sum += q * q * q          // s_c^2 = q^3
        }
        return sum.squareRoot()
    }

    /// Combined sensitivity sqrt(sum s_c^2) at `p`, 1 at the LV centre.
    public func combinedSensitivity(_ p: Vec3) -> Double {
        Self.rawCombined(p, positions: positionsMm, radius: loopRadiusMm) / normalisation
    }

    /// Signal gain of the displayed image at `p`: combined^(1 - k).
    public func shading(_ p: Vec3) -> Double { pow(combinedSensitivity(p), 1 - intensityCorrection) }
}

/// Gamma(shape, 1) variates (Marsaglia and Tsang, ACM TOMS 2000), shape >= 1.
struct GammaSampler {
    let d: Double, c: Double
    init(shape: Double) { d = shape - 1.0 / 3; c = 1 / (9 * d).squareRoot() }
    mutating func next(_ rng: inout SeededRandom) -> Double {
        while true {
            let x = rng.normal()
            var v = 1 + c * x
            if v <= 0 { continue }
            v = v * v * v
            let u = rng.uniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
