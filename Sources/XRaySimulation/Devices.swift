import CRTCore
import Foundation
import HeartPhantom

/// The devices in the fluoroscopy field besides the LV lead (phantom fields `xray.devices.*`): the RV lead
/// (pacing lead, or a defibrillator lead with its RV shock coil), the RA lead, and in the venogram the coronary
/// sinus delivery sheath and the guide wire. All run from the superior vena cava through the right atrium along the
/// heart model's geometry: the SVC and RA points of `XRaySimulator.venousRoute`, the RV cavity crescent over the
/// septum (segment angles 0 to the inferior insertion, down to `rvApexFraction` of the cavity, `rvWidthMm` wide).
///
/// Sizes and materials (docs/fluoroscopy.md, "Devices in the field"): pacing leads 6 Fr, the ICD lead 7 Fr
/// (Medtronic CapSureFix Novus 5076: 6.2 Fr; Sprint Quattro 6947: 8.6 Fr at the coil; approximate), platinum-iridium
/// tip (2 mm, with the extended helix) and ring (3 mm, 10 mm behind the tip), the RV coil from 12 to 62 mm behind the
/// tip (a 50 mm platinum-clad coil, denser than a ring on average), MP35N conductor coils in silicone or
/// polyurethane insulation (the lead body). Sheath 9 Fr (braided polymer wall); guide wire 0.014 inch (0.36 mm)
/// with a 30 mm platinum tip coil.
public struct XRayDevices: Sendable {
    public var rvLeadPath: Polyline?
    public var raLeadPath: Polyline?
    public var icd: Bool
    public var rvSeptal: Bool
    public var sheathPath: Polyline?
    public var wirePath: Polyline?

    /// Pacing and ICD lead body radii (6 and 7 Fr), sheath (9 Fr) and guide wire (0.014 inch) radii (mm).
    public static let pacingLeadRadiusMm = 1.0, icdLeadRadiusMm = 7.0 / 6, sheathRadiusMm = 1.5, wireRadiusMm = 0.18
    /// Tip electrode length, ring centre behind the distal end and ring length (mm), screw-in pacing and ICD leads.
    public static let tipLengthMm = 2.0, ringCentreMm = 11.5, ringLengthMm = 3.0
    /// RV shock coil: from and to this far behind the distal end (mm).
    public static let coilFromMm = 12.0, coilToMm = 62.0
    /// Sheath seated this far into the coronary sinus (mm); guide wire beyond the balloon catheter tip and its
    /// radio-opaque tip coil (mm).
    public static let sheathIntoSinusMm = 5.0, wireBeyondCatheterMm = 30.0, wireTipCoilMm = 30.0

    /// Builds the devices the settings ask for; nil when there are none (the scene of earlier releases).
    /// - Parameters:
    ///   - route: the catheter route from the SVC to the coronary sinus ostium; svc: its SVC control points (top,
    ///     low) and raCentre: the RA centre (`XRaySimulator.venousRoute`).
    public static func make(settings d: PhantomSpec.XRaySettings.Devices?, heart: HeartModel, state st: HeartState,
                            route: Polyline, svc: [Vec3], raCentre: Vec3) -> XRayDevices? {
        guard let d else { return nil }
        let rv = (d.rvLead ?? 0) >= 0.5, ra = (d.raLead ?? 0) >= 0.5, sheath = (d.sheath ?? 0) >= 0.5
        let icd = rv && (d.icd ?? 0) >= 0.5, septal = (d.rvLeadSeptal ?? 0) >= 0.5
        guard rv || ra || sheath else { return nil }
        let span = heart.spec.anatomy.inferiorInsertionAngleDeg
        // A point in the RV cavity: fraction f of the cavity length, segment angle phi, `depth` of the crescent's
        // local width out from the LV epicardium (the septum's RV face).
        func inRV(f: Double, phiDeg: Double, depth: Double) -> Vec3 {
            let epi = heart.epicardialPoint(fraction: f, phiDeg: phiDeg, st)
            let l = heart.local(epi, lambda: st.lambda)
            let along = min(1, max(0, heart.rvApexFraction - f) / 0.3).squareRoot()
            let width = heart.rvWidthMm * sin(.pi * phiDeg / span).squareRoot() * along * (1 - 0.3 * st.contraction)
            return heart.patient(sNow: l.s, r: l.r + depth * width, phiDeg: l.phiDeg, lambda: st.lambda)
        }
        // The tricuspid orifice, low on the RV's inferior side near the crux.
        let tricuspid = inRV(f: 0.03, phiDeg: 0.75 * span, depth: 0.6)
        var rvPath: Polyline? = nil
        if rv {
            let tip = septal ? inRV(f: 0.4, phiDeg: 0.5 * span, depth: 0.12)
                : inRV(f: heart.rvApexFraction - 0.1, phiDeg: 0.5 * span, depth: 0.4)
            let mid = inRV(f: septal ? 0.2 : 0.35, phiDeg: 0.6 * span, depth: 0.6)
            rvPath = Polyline.catmullRom(svc + [raCentre, tricuspid, mid, tip], samples: 12).resampled(stepMm: 2)
        }
        var raPath: Polyline? = nil
        if ra {
            // RA appendage: anterior and a little superior to the RA, beside the aortic root, 12 mm above the base and
            // 15 mm out from the epicardium (approximate), reached by a J curve.
            let base = heart.epicardialPoint(fraction: 0, phiDeg: 0.25 * span, st)
            let l = heart.local(base, lambda: st.lambda)
            let appendage = heart.patient(sNow: l.s + 12, r: l.r + 15, phiDeg: l.phiDeg, lambda: st.lambda)
            let low = raCentre + (heart.frame.baseDirection * -12)
            raPath = Polyline.catmullRom(svc + [raCentre, low, (low + appendage) * 0.5 + heart.frame.baseDirection * 4, appendage],
                                         samples: 12).resampled(stepMm: 2)
        }
        var sheathPath: Polyline? = nil, wirePath: Polyline? = nil
        if sheath {
            let cs = heart.veinCentrelines(st)
            let sinus = cs.first { $0.name == "coronary sinus" }!, gcv = cs.first { $0.name == "great cardiac vein" }!
            let trunk = Polyline(route.points + sinus.pointsMm.dropFirst() + gcv.pointsMm.dropFirst())
            let sheathEnd = route.lengthMm + sheathIntoSinusMm
            sheathPath = Polyline((0...Int(ceil(sheathEnd / 2))).map { trunk.point(atArc: min(Double($0) * 2, sheathEnd)) })
            let wireEnd = route.lengthMm + XRayScene.balloonArcMm.upperBound + XRayScene.catheterTipBeyondBalloonMm + wireBeyondCatheterMm
            wirePath = Polyline((0...Int(ceil(wireEnd / 2))).map { trunk.point(atArc: min(Double($0) * 2, wireEnd)) })
        }
        return XRayDevices(rvLeadPath: rvPath, raLeadPath: raPath, icd: icd, rvSeptal: septal, sheathPath: sheathPath, wirePath: wirePath)
    }

    /// A screw-in lead from its proximal end to its distal end (`path` ends at the tip): body, tip electrode, ring,
    /// and the RV shock coil for an ICD lead.
    static func leadTubes(_ path: Polyline, radiusMm: Double, coil: Bool) -> [TubeSegment] {
        let end = path.lengthMm
        var out = path.tubes(to: end, stepMm: 2, radiusMm: radiusMm, mu: XRayMaterials.leadBody - XRayMaterials.blood, basis: .steel)
        let extra = XRayMaterials.electrode - XRayMaterials.leadBody
        out += path.tubes(from: end - tipLengthMm, to: end, stepMm: 1, radiusMm: radiusMm, mu: extra, basis: .platinum)
        out += path.tubes(from: end - ringCentreMm - ringLengthMm / 2, to: end - ringCentreMm + ringLengthMm / 2, stepMm: 1.5,
                          radiusMm: radiusMm, mu: extra, basis: .platinum)
        if coil {
            out += path.tubes(from: end - coilToMm, to: end - coilFromMm, stepMm: 2, radiusMm: radiusMm,
                              mu: XRayMaterials.shockCoil - XRayMaterials.leadBody, basis: .platinum)
        }
        return out
    }

    /// Tubes of one state: the RA and RV leads in both; the sheath and the guide wire in the venogram only (they are
    /// withdrawn after the LV lead is in place).
    public func tubes(_ s: XRayState) -> [TubeSegment] {
        var out: [TubeSegment] = []
        if let p = rvLeadPath { out += XRayDevices.leadTubes(p, radiusMm: icd ? XRayDevices.icdLeadRadiusMm : XRayDevices.pacingLeadRadiusMm, coil: icd) }
        if let p = raLeadPath { out += XRayDevices.leadTubes(p, radiusMm: XRayDevices.pacingLeadRadiusMm, coil: false) }
        if s == .venogram {
            if let p = sheathPath { out += p.tubes(stepMm: 2, radiusMm: XRayDevices.sheathRadiusMm, mu: XRayMaterials.sheath - XRayMaterials.blood, basis: .steel) }
            if let p = wirePath {
                let coilStart = max(0, p.lengthMm - XRayDevices.wireTipCoilMm)
                out += p.tubes(to: coilStart, stepMm: 2, radiusMm: XRayDevices.wireRadiusMm, mu: XRayMaterials.guideWire - XRayMaterials.blood, basis: .steel)
                out += p.tubes(from: coilStart, stepMm: 2, radiusMm: XRayDevices.wireRadiusMm, mu: XRayMaterials.guideWireTip - XRayMaterials.blood, basis: .platinum)
            }
        }
        return out
    }

    /// Truth facts (truth.json `xray.devices`): what is in the field and where its ends lie (patient mm).
    public var facts: AnyCodableValue {
        var o: [String: AnyCodableValue] = [:]
        if let p = rvLeadPath {
            o["rvLead"] = .object(["kind": .text(icd ? "defibrillator lead with RV coil" : "pacing lead"),
                                   "position": .text(rvSeptal ? "mid septum" : "apex"),
                                   "tipMm": .vectors([p.points.last!]),
                                   "electrodesMm": .vectors([p.point(atArc: p.lengthMm - XRayDevices.tipLengthMm / 2),
                                                             p.point(atArc: p.lengthMm - XRayDevices.ringCentreMm)])])
        }
        if let p = raLeadPath { o["raLead"] = .object(["tipMm": .vectors([p.points.last!])]) }
        if let p = sheathPath { o["sheathTipMm"] = .vectors([p.points.last!]) }
        if let p = wirePath { o["guideWireTipMm"] = .vectors([p.points.last!]) }
        return .object(o)
    }
}
