import CRTCore
import Foundation
import HeartPhantom
import SegmentModel

/// Where the quadripolar LV lead ends up, and why.
///
/// Model (DOMAIN.md section 5, reasons the paper's implanters missed the target): the implanter aims for the
/// position, over every candidate vein branch (lateral branches, middle cardiac vein, anterior interventricular
/// vein) and every tip depth the branch allows (vein radius >= `minimumVeinRadiusMm`), that brings one of the
/// four electrodes nearest the epicardial centre of the truth's primary target. With probabilities
/// `noVenousAccessProbability`, `highThresholdProbability` and `phrenicStimulationProbability` (one uniform draw,
/// label "xray.lead.placement") that branch cannot be used and the lead goes to the next-best branch at its best
/// depth. With no primary target the implanter aims at the conventional mid inferolateral (posterolateral) wall
/// (segment 21) and the categories are null. The pacing electrode is the electrode nearest the aimed point.
public struct LeadPlacement: Sendable {
    /// The whole lead from the superior vena cava to its distal end (patient mm).
    public var path: Polyline
    /// Arc length of the distal end of the lead along `path` (mm).
    public var tipArcMm: Double
    /// Arc length along `path` of the branch's origin (mm).
    public var branchStartMm: Double
    /// Electrode centres (patient mm), distal first, and their arc lengths along `path`.
    public var electrodesMm: [Vec3]
    public var electrodeArcsMm: [Double]
    /// Length of each electrode along the lead (mm), same order as `electrodesMm`.
    public var electrodeLengthsMm: [Double]
    /// The catalogue model (nil: crtsim's generic quadripolar lead).
    public var model: LeadModel?
    /// Index of the pacing electrode in `electrodesMm`.
    public var pacingIndex: Int
    public var branch: String
    public var intendedBranch: String
    public var deviation: String
    /// The point the implanter aimed at (patient mm) and the final distance of the pacing electrode from it.
    public var aimMm: Vec3
    public var aimDistanceMm: Double
    /// The truth record (DOMAIN.md keys `lead.*`).
    public var position: LeadPosition

    /// Length of one ring electrode (mm).
    public static let electrodeLengthMm = 3.0
    /// Segment aimed at when there is no primary target: mid inferolateral, half 1.
    public static let defaultAimSegment = Segment36(21)!
    /// Candidate branch names: every vein except the coronary sinus and the great cardiac vein.
    public static func isCandidate(_ name: String) -> Bool { name != "coronary sinus" && name != "great cardiac vein" }

    /// Places the lead.
    /// - Parameters:
    ///   - heart, state: the phantom at the X-ray cardiac phase.
    ///   - primaryTarget: the truth's primary target (nil: none).
    ///   - veins: vein centrelines at that phase (`HeartModel.veinCentrelines`).
    ///   - route: the path from the superior vena cava to the coronary sinus ostium (patient mm).
    ///   - settings: lead parameters; `settings.model` picks a catalogue lead (its electrode offsets and lengths).
    ///   - seed: case seed.
    public static func place(heart: HeartModel, state st: HeartState, primaryTarget: Int?, veins: [VeinCentreline],
                             route: Polyline, settings: PhantomSpec.XRaySettings.Lead, seed: UInt64) -> LeadPlacement {
        let target = primaryTarget.flatMap { Segment36($0) }
        let aim = heart.epicardialCentre(of: target ?? defaultAimSegment, st)
        let model = settings.model.flatMap { LeadCatalogue.model(number: Int($0)) }
        let layout: ElectrodeLayout = model.map { .offsets($0.electrodeOffsetsMm) } ?? .equal(spacingMm: settings.electrodeSpanMm / 3)
        let lengths = model?.electrodeLengthsMm ?? [Double](repeating: electrodeLengthMm, count: 4)
        let trunk = LeadPlacement.trunk(veins)

        struct Option { var name: String; var path: Polyline; var branchStart: Double; var tipArc: Double; var distance: Double }
        var options: [Option] = []
        for vein in veins where isCandidate(vein.name) {
            let (path, branchStart, first) = branchPath(vein: vein, trunk: trunk, route: route)
            let reachIndex = vein.radiiMm.lastIndex { $0 >= settings.minimumVeinRadiusMm } ?? 0
            let maxArc = path.arcMm[first + reachIndex]
            var best = Option(name: vein.name, path: path, branchStart: branchStart, tipArc: maxArc, distance: .greatestFiniteMagnitude)
            var tau = min(branchStart + 5, maxArc)
            while tau <= maxArc + 1e-9 {
                let d = electrodeArcs(tip: tau, layout).map { (path.point(atArc: $0) - aim).length }.min()!
                if d < best.distance { best.distance = d; best.tipArc = tau }
                tau += 1
            }
            options.append(best)
        }
        options.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.name < $1.name) }
        var rng = SeededRandom(seed: seed, label: "xray.lead.placement")
        let u = rng.uniform()
        var deviation = "none"
        let p1 = settings.noVenousAccessProbability, p2 = p1 + settings.highThresholdProbability
        let p3 = p2 + settings.phrenicStimulationProbability
        if options.count > 1 {
            if u < p1 { deviation = "no venous access" } else if u < p2 { deviation = "high threshold" } else if u < p3 { deviation = "phrenic stimulation" }
        }
        let chosen = deviation == "none" ? options[0] : options[1]
        if target == nil && deviation == "none" { deviation = "no primary target" }
        let arcs = electrodeArcs(tip: chosen.tipArc, layout)
        let electrodes = arcs.map { chosen.path.point(atArc: $0) }
        let dists = electrodes.map { ($0 - aim).length }
        let pacing = dists.indices.min { dists[$0] < dists[$1] }!
        let segments = electrodes.map { heart.segment(nearSurfacePoint: $0, st) }
        let seg = segments[pacing]
        let (c36, c18) = LeadPosition.categories(lead: seg, target: target)
        var pos = LeadPosition(segment36: seg.id, category36: c36, category18: c18,
                               pacingElectrodeMm: electrodes[pacing], tipMm: chosen.path.point(atArc: chosen.tipArc))
        pos.electrodesMm = electrodes
        pos.pacingElectrodeIndex = pacing
        pos.electrodeSegments36 = segments.map(\.id)
        pos.branch = chosen.name
        pos.intendedBranch = options[0].name
        pos.deviation = deviation
        pos.targetDistanceMm = target == nil ? nil : dists[pacing]
        pos.model = model?.name
        pos.electrodeCount = model?.electrodeCount
        return LeadPlacement(path: chosen.path, tipArcMm: chosen.tipArc, branchStartMm: chosen.branchStart, electrodesMm: electrodes, electrodeArcsMm: arcs,
                             electrodeLengthsMm: lengths, model: model, pacingIndex: pacing, branch: chosen.name, intendedBranch: options[0].name,
                             deviation: deviation, aimMm: aim, aimDistanceMm: dists[pacing], position: pos)
    }

    /// The coronary sinus and the great cardiac vein as one centreline (patient mm).
    static func trunk(_ veins: [VeinCentreline]) -> [Vec3] {
        let cs = veins.first { $0.name == "coronary sinus" }!
        let gcv = veins.first { $0.name == "great cardiac vein" }!
        return cs.pointsMm + gcv.pointsMm.dropFirst()
    }

    /// The lead's way into a branch: the route, the trunk up to the point nearest the branch's origin, then the
    /// branch; with the arc length at the branch's origin and the index of the branch's first point in the path.
    static func branchPath(vein: VeinCentreline, trunk: [Vec3], route: Polyline) -> (path: Polyline, branchStartMm: Double, firstBranchPoint: Int) {
        let origin = vein.pointsMm[0]
        let iT = trunk.indices.min { (trunk[$0] - origin).length < (trunk[$1] - origin).length }!
        let path = Polyline(route.points + trunk[1...max(iT, 1)] + vein.pointsMm)
        let first = route.points.count + max(iT, 1)
        return (path, path.arcMm[first], first)
    }

    /// The same lead at another instant (another cardiac phase): in the same branch, as deep in it (the same arc
    /// length beyond the branch's origin), its electrodes at the same distances from the tip, on the veins and the
    /// route at that instant. The truth record (segments, categories) stays the placement's.
    public func moved(veins: [VeinCentreline], route: Polyline) -> LeadPlacement {
        guard let vein = veins.first(where: { $0.name == branch }) else { return self }
        var out = self
        let (newPath, start, _) = LeadPlacement.branchPath(vein: vein, trunk: LeadPlacement.trunk(veins), route: route)
        let depth = tipArcMm - branchStartMm
        out.path = newPath
        out.tipArcMm = start + depth
        out.electrodeArcsMm = electrodeArcsMm.map { $0 - tipArcMm + out.tipArcMm }
        out.electrodesMm = out.electrodeArcsMm.map { newPath.point(atArc: $0) }
        out.branchStartMm = start
        return out
    }

    /// Where the electrodes sit on the lead: the generic lead's four 3-mm rings at equal spacing, or a catalogue
    /// model's centres measured from the distal end (mm).
    enum ElectrodeLayout { case equal(spacingMm: Double), offsets([Double]) }

    /// Arc lengths of the electrode centres for a lead whose distal end is at `tip`, distal first.
    static func electrodeArcs(tip: Double, _ layout: ElectrodeLayout) -> [Double] {
        switch layout {
        case let .equal(spacing): return (0..<4).map { tip - electrodeLengthMm / 2 - Double($0) * spacing }
        case let .offsets(o): return o.map { tip - $0 }
        }
    }
}
