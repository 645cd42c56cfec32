import CRTCore
import Foundation

/// The heart at one instant: per-cell deformed radii and the positions of vein samples, precomputed once per
/// time so that classifying a point is a few table look-ups.
public struct HeartState: Sendable {
    public let timeMs: Double
    /// Longitudinal stretch (base height now = lambda x material base height).
    public let lambda: Double
    /// Mean LV contraction (0-1).
    public let contraction: Double
    let rEndo: [Float], rEpi: [Float]
    /// Vein sample spheres in heart-local Cartesian coordinates (x along u, y along v, z = height s'), radius.
    let veinSamples: [SIMD4<Float>]
    /// Bounding boxes of chunks of `veinChunk` vein samples (min, max in local Cartesian).
    let veinBoxes: [(lo: SIMD3<Float>, hi: SIMD3<Float>, start: Int, end: Int)]
    static let veinChunk = 12
    /// Largest epicardial radius now (mm), for quick rejection.
    public let maxEpiRadius: Double
}

extension HeartModel {
    /// The deformed state at `timeMs` after the R trigger.
    public func state(atMs t: Double) -> HeartState {
        let lambda = longitudinalStretch(atMs: t)
        let cg = globalContraction(atMs: t)
        let n = heightSamples * HeartModel.angleSamples
        var rEn = [Float](repeating: 0, count: n), rEp = [Float](repeating: 0, count: n)
        var maxR: Float = 0
        for idx in 0..<n {
            let en0 = Double(rEndo0[idx]), ep0 = Double(rEpi0[idx])
            let a1 = (ep0 * ep0 - en0 * en0) / lambda
            if en0 > 0 {
                let e = Double(peakStrain[idx]) * contraction(t - Double(onsetMs[idx]))
                let thick = (ep0 - en0) * (1 + e)
                var en = (a1 / thick - thick) / 2
                if en < 0 { en = 0 }
                rEn[idx] = Float(en); rEp[idx] = Float((a1 + en * en).squareRoot())
            } else {
                rEn[idx] = 0; rEp[idx] = Float(a1.squareRoot())
            }
            maxR = max(maxR, rEp[idx])
        }
        // Veins ride on the epicardium 0.5 mm out, moving with it.
        var samples: [SIMD4<Float>] = []
        var boxes: [(lo: SIMD3<Float>, hi: SIMD3<Float>, start: Int, end: Int)] = []
        for vein in veins.veins {
            var chunk: [SIMD4<Float>] = []
            func flush() {
                guard !chunk.isEmpty else { return }
                var lo = SIMD3<Float>(repeating: .greatestFiniteMagnitude), hi = -lo
                for c in chunk {
                    let p = SIMD3(c.x, c.y, c.z)
                    lo = pointwiseMin(lo, p - c.w); hi = pointwiseMax(hi, p + c.w)
                }
                boxes.append((lo, hi, samples.count, samples.count + chunk.count))
                samples.append(contentsOf: chunk); chunk.removeAll()
            }
            for k in 0..<vein.heightMm.count {
                let s = vein.heightMm[k], phi = vein.angleDeg[k], rad = vein.radiusMm[k]
                let g = gridPosition(s: veinFootHeight(s: s, phiDeg: phi), phiDeg: phi)
                let epi = Double(bilinear(rEp, g))
                let rr = epi + rad + 0.5
                let a = radians(phi)
                chunk.append(SIMD4(Float(rr * cos(a)), Float(rr * sin(a)), Float(s * lambda), Float(rad)))
                if chunk.count == HeartState.veinChunk { flush() }
            }
            flush()
        }
        return HeartState(timeMs: t, lambda: lambda, contraction: cg, rEndo: rEn, rEpi: rEp,
                          veinSamples: samples, veinBoxes: boxes, maxEpiRadius: Double(maxR))
    }

    /// Whether the heart can occupy point p (heart-attached coordinates) at any time of the cycle: the bounds
    /// `sample` uses, at end-diastole (largest extent) with a 5 mm margin. False means `sample` returns nil.
    public func mayReach(_ p: Vec3) -> Bool {
        let d = p - frame.apexMm
        let s = d.dot(frame.baseDirection)
        if s < -9 || s > gridTopMm + 80 { return false }
        let a = d.dot(frame.u), b = d.dot(frame.v)
        let reach = maxEpiRadiusMm + rvWidthMm + spec.anatomy.rvWallThicknessMm + 50 + abs(curvatureMm)
        return a * a + b * b <= reach * reach
    }

    /// Whether `sample` answers nil at point p (heart-attached coordinates) in every state whose longitudinal
    /// stretch is at least `lambdaMin` and whose largest epicardial radius is at most `maxEpiRadiusMm`, by its
    /// far-below-base rule: below the lowest annulus at the shortest stretch, and farther from the straight long
    /// axis, less the curved centreline's largest offset (|curvatureMm|), than anything below the base reaches.
    public func belowBaseAndFar(_ p: Vec3, lambdaMin: Double, maxEpiRadiusMm: Double) -> Bool {
        guard farBelowBase.ringMm > 0 else { return false }
        let d = p - frame.apexMm
        let sNow = d.dot(frame.baseDirection)
        guard sNow < farBelowBase.ringMm * lambdaMin else { return false }
        let a = d.dot(frame.u), b = d.dot(frame.v)
        let r = (a * a + b * b).squareRoot() - abs(curvatureMm) - 1e-6
        return r >= annulusSurface.radius && r > maxEpiRadiusMm + farBelowBase.beyondEpiMm
    }

    /// Classifies a point given in heart-attached patient coordinates (breath-hold shift already removed).
    /// Returns nil when the point is outside every cardiac structure (the torso model decides then).
    /// `includePericardium`: a layer `pericardiumMm` thick round the ventricles below the base (the X-ray chest
    /// model; the CMR renders without it).
    @inline(__always)
    public func sample(_ p: Vec3, _ st: HeartState, includePericardium: Bool = false) -> TissueSample? {
        let an = spec.anatomy
        let d = p - frame.apexMm
        let sNow = d.dot(frame.baseDirection)
        // Quick rejection: far below the apex, far above the base, or far from the axis.
        if sNow < -4 || sNow > gridTopMm * st.lambda + 75 { return nil }
        let reach = st.maxEpiRadius + rvWidthMm + an.rvWallThicknessMm + 45
        let a0 = d.dot(frame.u), b0 = d.dot(frame.v)
        if curvatureMm != 0 {
            // The centreline moves at most |curvatureMm| off the straight axis: a point farther than that plus
            // 1 mm beyond the reach fails the test below whatever its offset (skips the offset's division).
            let far = reach + abs(curvatureMm) + 1
            if a0 * a0 + b0 * b0 > far * far { return nil }
        }
        let offset = centrelineOffset(sNow: sNow, lambda: st.lambda)
        let a = a0 - offset.a, b = b0 - offset.b
        let r2 = a * a + b * b
        if r2 > reach * reach { return nil }
        let r = r2.squareRoot()
        // Below the lowest annulus and farther outside the largest epicardial radius than anything below the base
        // reaches: none of the branches below can answer (the same nil, without the angle and table look-ups).
        if sNow < farBelowBase.ringMm * st.lambda && r >= annulusSurface.radius
            && r > st.maxEpiRadius + farBelowBase.beyondEpiMm { return nil }
        var phi = atan2(b, a) * (180 / .pi)
        if phi < 0 { phi += 360 }
        // Above the local mitral annulus (flat or tilted and saddle-shaped) the LV ends.
        // (The ring height at this angle, `annulusHeight(phiDeg:)`, comes with it for the height fractions.)
        let (annulusNow, ringNow) = annulusHeights(r: r, phiDeg: phi)
        let baseNow = annulusNow * st.lambda
        if sNow > baseNow {
            return sampleAboveBase(a: a, b: b, r: r, phi: phi, sNow: sNow, annulusMm: annulusNow, ringMm: ringNow, st)
        }
        let s = sNow / st.lambda
        let g = gridPosition(s: s, phiDeg: phi)
        let rEp = Double(bilinear(st.rEpi, g))
        if sNow >= 0 && r <= rEp {
            let rEn = Double(bilinear(st.rEndo, g))
            if r < rEn {
                return TissueSample(tissue: cavityTissue(r: r, rEn: rEn, s: s, phi: phi, ringMm: ringNow, st))
            }
            let xi = rEn < rEp ? (r - rEn) / (rEp - rEn) : 0
            let seg = segment(s: s, phiDeg: phi)
            let coreLo = Double(bilinear(coreIn, g)), coreHi = Double(bilinear(coreOut, g))
            if xi >= coreLo && xi <= coreHi {
                // Core: its uptake, none where microvascular obstruction keeps gadolinium out.
                let obstructed = xi < Double(bilinear(obstructionOut, g))
                let uptake: Float = obstructed ? 0 : min(1, bilinear(coreEnhancement, g))
                return TissueSample(tissue: .lvMyocardium, enhancement: uptake, segment: seg, scarClass: 2)
            }
            if xi >= Double(bilinear(borderIn, g)) && xi <= Double(bilinear(borderOut, g)) {
                return TissueSample(tissue: .lvMyocardium, enhancement: Float(greyZoneEnhancement), segment: seg, scarClass: 1)
            }
            return TissueSample(tissue: .lvMyocardium, enhancement: 0, segment: seg)
        }
        // Outside the LV epicardium (or below the apex).
        let dOut = sNow >= 0 ? r - rEp : (r * r + sNow * sNow).squareRoot()
        if let rv = rightVentricle(dOut: dOut, s: s, phi: phi, ringMm: ringNow, st) {
            // RV scar: fibrosis of the RV wall within 25 degrees of either insertion point (not LV scar).
            if rv == .rvMyocardium && rvInsertionFibrosis
                && min(phi, spec.anatomy.inferiorInsertionAngleDeg - phi) < 25 {
                return TissueSample(tissue: rv, enhancement: 1)
            }
            return TissueSample(tissue: rv)
        }
        if dOut < 16 {
            let v = veinDistance(a: a, b: b, sNow: sNow, st)
            if v < 0 { return TissueSample(tissue: .venousBlood) }
            if spec.anatomy.epicardialFat && v < veinFatHaloMm { return TissueSample(tissue: .epicardialFat) }
        }
        // Epicardial fat lies in the grooves: the AV groove near the base and the two interventricular grooves.
        if spec.anatomy.epicardialFat && dOut < grooveFatMm {
            let f = heightFraction(s: s, ringMm: ringNow)
            let ivg = min(abs(angleDifferenceDegrees(phi, 0)), abs(angleDifferenceDegrees(phi, spec.anatomy.inferiorInsertionAngleDeg)))
            if f < 0.12 || ivg < 12 { return TissueSample(tissue: .epicardialFat) }
        }
        // The pericardium follows the LV epicardium and, over the septum, the RV's free wall.
        if includePericardium && pericardiumMm > 0
            && (dOut < pericardiumMm || rightVentricle(dOut: dOut - pericardiumMm, s: s, phi: phi, ringMm: ringNow, st) != nil) {
            return TissueSample(tissue: .pericardium)
        }
        return nil
    }

    /// `ringMm`: the annulus ring height at phi, `annulusHeight(phiDeg: phi)`.
    @inline(__always) func cavityTissue(r: Double, rEn: Double, s: Double, phi: Double, ringMm: Double, _ st: HeartState) -> Tissue {
        let f = heightFraction(s: s, ringMm: ringMm)
        let an = spec.anatomy
        if an.papillaryMuscles && f > 0.35 && f < 0.85 {
            // Anterolateral (angle 250 unless drawn) and posteromedial (angle 160 unless drawn) papillary muscles,
            // attached to the wall, tapered at both ends, thickening with the wall.
            let taper = sin(.pi * (f - 0.35) / 0.5)
            let rho = (4.5 + 1.5 * st.contraction) * taper.squareRoot()
            for pmAngle in [an.anterolateralPapillaryAngleDeg ?? 250, an.posteromedialPapillaryAngleDeg ?? 160] {
                let gp = gridPosition(s: s, phiDeg: pmAngle)
                let rc = Double(bilinear(st.rEndo, gp)) - 0.7 * rho
                // The distance is at least |r - rc|: farther than rho by a margin far above the rounding of dist2
                // (1e-4 mm against about 1e-12 mm2), the test below fails (skips its cosine).
                if abs(r - rc) > rho + 1e-4 { continue }
                let da = radians(phi - pmAngle)
                let dist2 = r * r + rc * rc - 2 * r * rc * cos(da)
                if dist2 < rho * rho { return .papillaryMuscle }
            }
        }
        if an.trabeculation && f > 0.3 && f <= 1 {
            // Irregular strands: 30 around the circumference, each with its own depth and width (a hash of the
            // strand index and the patient's `trabeculationPattern`; pattern 0 is the first releases' anatomy),
            // running obliquely down the wall.
            let x = phi / 360 * 30 + s / 40
            let k = Int(floor(x))
            let pattern = Int(an.trabeculationPattern ?? 0)
            let h = UInt32(truncatingIfNeeded: (((k % 30) + 30) % 30 &+ pattern &* 7919) &* 2_654_435_761) >> 16
            let depth = (1.0 + 2.5 * Double(h & 0xff) / 255) * min(1, (f - 0.3) / 0.3)
            let width = 0.15 + 0.3 * Double(h >> 8) / 255
            if rEn - r < depth && x - floor(x) < width { return .trabecula }
        }
        return .lvBlood
    }

    /// RV cavity crescent over the septum (segment angles 0 to the inferior insertion) and its free wall.
    @inline(__always) func rightVentricle(dOut: Double, s: Double, phi: Double, ringMm: Double, _ st: HeartState) -> Tissue? {
        let an = spec.anatomy
        let span = an.inferiorInsertionAngleDeg
        guard phi <= span, dOut >= 0 else { return nil }
        // The crescent is at most `rvWidthMm` wide (each factor below is at most 1 while the LV contracts): beyond it
        // and its wall nothing is RV (skips the height fraction and the sine; rounding keeps the bound).
        if st.contraction >= 0 && dOut >= rvWidthMm + an.rvWallThicknessMm { return nil }
        let f = heightFraction(s: s, ringMm: ringMm)
        guard f >= 0, f < rvApexFraction else { return nil }
        let along = min(1, (rvApexFraction - f) / 0.3).squareRoot()
        let width = rvWidthMm * sin(.pi * phi / span).squareRoot() * along * (1 - 0.3 * st.contraction)
        if dOut < width { return .rvBlood }
        if dOut < width + an.rvWallThicknessMm { return .rvMyocardium }
        return nil
    }

    /// Fat around each vein (mm).
    var veinFatHaloMm: Double { 1.5 }

    /// Signed distance (mm) from p to the nearest vein wall: negative inside a vein; large when far from all.
    @inline(__always) func veinDistance(a: Double, b: Double, sNow: Double, _ st: HeartState) -> Double {
        let p = SIMD3<Float>(Float(a), Float(b), Float(sNow))
        let halo = Float(veinFatHaloMm)
        var best = Float.greatestFiniteMagnitude
        for box in st.veinBoxes {
            if any(p .< box.lo - halo) || any(p .> box.hi + halo) { continue }
            for q in st.veinSamples[box.start..<box.end] {
                let dx = p.x - q.x, dy = p.y - q.y, dz = p.z - q.z
                let d = (dx * dx + dy * dy + dz * dz).squareRoot() - q.w
                if d < best { best = d }
            }
        }
        return Double(best)
    }

    /// End-diastolic-frame radii at the current time: endocardial and epicardial radius (mm) of the LV wall at
    /// current height `sNow` (mm above the apex along the long axis) and segment angle phi.
    public func wallRadii(sNow: Double, phiDeg: Double, _ st: HeartState) -> (endo: Double, epi: Double) {
        let g = gridPosition(s: sNow / st.lambda, phiDeg: phiDeg)
        return (Double(bilinear(st.rEndo, g)), Double(bilinear(st.rEpi, g)))
    }

    /// Above the local mitral annulus (material height `annulusMm` at this angle): the AV plane (fibrous, with
    /// mitral and aortic orifices) following the annulus, left atrium and aortic root seated on the annulus at
    /// their own angles, right atrium, and the coronary sinus in the AV groove.
    /// `ringMm`: the ring height at phi, `annulusHeight(phiDeg: phi)`.
    func sampleAboveBase(a: Double, b: Double, r: Double, phi: Double, sNow: Double, annulusMm: Double, ringMm: Double,
                         _ st: HeartState) -> TissueSample? {
        let aEn = endoShortMm
        let sRel = sNow - annulusMm * st.lambda
        // The aortic root and the left atrium sit on the annulus surface (heights above it); the right atrium
        // keeps its place above the mean base (XRaySimulation's landmark).
        let sRelMean = flatBase ? sRel : sNow - baseHeightMm * st.lambda
        let baseEpi = Double(bilinear(st.rEpi, gridPosition(s: flatBase ? annulusMm : ringMm, phiDeg: phi)))
        let mitral = aboveBase.mitral, aortic = aboveBase.aortic
        let mitralR = 0.45 * aEn, aorticR = 11.0
        // The fibrous AV plane with the closed leaflets: 5 mm for the flat base of the first releases; 2 mm on a
        // tilted annulus, which short-axis planes cut obliquely (a 5 mm layer would show as a band 2-3 cm wide).
        let valveThickness = flatBase ? 5.0 : 2.0
        if sRel < 14 {
            let v = veinDistance(a: a, b: b, sNow: flatBase ? sRel + baseHeightMm * st.lambda : sNow, st)
            if v < 0 { return TissueSample(tissue: .venousBlood) }
            if spec.anatomy.epicardialFat && v < veinFatHaloMm { return TissueSample(tissue: .epicardialFat) }
        }
        if sRel <= valveThickness && r < baseEpi {
            // The mitral valve is open in diastole only; the aortic valve passes blood in systole.
            let mitralOpen = st.contraction < 0.1
            if (mitralOpen && dist2(a, b, mitral) < mitralR * mitralR) || dist2(a, b, aortic) < aorticR * aorticR {
                return TissueSample(tissue: .blood)
            }
            return TissueSample(tissue: .valvePlane)
        }
        // Aortic root: a tube from the aortic orifice up along the long axis.
        if sRel < 60 && dist2(a, b, aortic) < aorticR * aorticR { return TissueSample(tissue: .blood) }
        if sRel < 60 && dist2(a, b, aortic) < (aorticR + 2) * (aorticR + 2) { return TissueSample(tissue: .valvePlane) }
        // Left atrium: ellipsoid above the mitral orifice, 2.5 mm wall.
        // On a tilted annulus its floor is cut by the AV plane (centre 8 mm above it, 30 mm high), so the atrium
        // fills the mitral orifice just above the leaflets, as in a basal short-axis slice.
        let la = (x: aboveBase.leftAtrium.0, y: aboveBase.leftAtrium.1, z: valveThickness + (flatBase ? 24 : 8))
        let laQ = ellipsoidQ(a, b, sRel, la, radii: (30, 30, flatBase ? 24 : 30))
        if laQ < 1 { return TissueSample(tissue: .blood) }
        if laQ < AboveBaseLayout.atrialWallQ { return TissueSample(tissue: .atrialWall) }
        // Right atrium: right and posterior of the base, near the coronary sinus ostium.
        let raDir = aboveBase.rightAtriumDirection
        let ra = (x: (baseEpi + 26) * raDir.cos, y: (baseEpi + 26) * raDir.sin, z: 12.0)
        let raQ = ellipsoidQ(a, b, sRelMean, ra, radii: (26, 24, 28))
        if raQ < 1 { return TissueSample(tissue: .blood) }
        if raQ < AboveBaseLayout.atrialWallQ { return TissueSample(tissue: .atrialWall) }
        if spec.anatomy.epicardialFat && r < baseEpi + 4 && sRel < 12 { return TissueSample(tissue: .epicardialFat) }
        return nil
    }

    @inline(__always) func dist2(_ a: Double, _ b: Double, _ c: (Double, Double)) -> Double {
        (a - c.0) * (a - c.0) + (b - c.1) * (b - c.1)
    }
    @inline(__always) func ellipsoidQ(_ a: Double, _ b: Double, _ z: Double, _ c: (x: Double, y: Double, z: Double),
                                      radii: (Double, Double, Double)) -> Double {
        let dx = (a - c.x) / radii.0, dy = (b - c.y) / radii.1, dz = (z - c.z) / radii.2
        return dx * dx + dy * dy + dz * dz
    }
}

/// The centres above the base that depend on the heart's size alone, in the frame's (u, v) plane (mm): the mitral
/// orifice (angle 200, 0.35 of the endocardial short semi-axis out), the aortic orifice
/// (`HeartModel.aorticOrificeAngleDeg`, 0.5 out), the left atrium's centre (0.2 further along 200) and the right
/// atrium's direction (15 degrees short of the inferior insertion).
struct AboveBaseLayout: Sendable {
    let mitral: (Double, Double), aortic: (Double, Double), leftAtrium: (Double, Double)
    let rightAtriumDirection: (cos: Double, sin: Double)
    /// The atrial wall's outer surface as an ellipsoid quadratic form's value: 2.5 mm on 24 mm.
    static let atrialWallQ: Double = pow(1 + 2.5 / 24, 2)

    init(endoShortMm aEn: Double, inferiorInsertionAngleDeg: Double) {
        func offset(phi: Double, radius: Double) -> (Double, Double) {
            (radius * cos(radians(phi)), radius * sin(radians(phi)))
        }
        mitral = offset(phi: 200, radius: 0.35 * aEn)
        aortic = offset(phi: HeartModel.aorticOrificeAngleDeg, radius: 0.5 * aEn)
        leftAtrium = (mitral.0 + 0.2 * aEn * cos(radians(200)), mitral.1 + 0.2 * aEn * sin(radians(200)))
        let raDir = inferiorInsertionAngleDeg - 15
        rightAtriumDirection = (cos(radians(raDir)), sin(radians(raDir)))
    }
}
