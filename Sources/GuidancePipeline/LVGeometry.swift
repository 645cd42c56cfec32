import CRTCore
import Foundation
import SegmentModel

/// Stage 1c: the LV as a whole from the tracked slices: end-diastolic and end-systolic phases, which end of the
/// stack is the base, the base plane and the endocardial apex, each slice's ring, the RV insertion points and
/// so every ray's 36-segment id.
///
/// Method: ED and ES are the phases of largest and smallest cavity volume (Simpson's rule over the slices that
/// show myocardium all round, from the valve plane at each phase: through-plane motion carries the base through the
/// basal slices, and its descent is modelled from the phases at which they stop cutting the LV, see
/// `valvePlaneDescent`). The base is the end of the stack with the larger cavity; the base plane is the
/// basal face of the most basal slice with a closed ring; the endocardial apex is where the cavity area,
/// extrapolated linearly over the two most apical slices with a cavity, reaches zero. RV insertion points are
/// the ends of the longest arc of rays that meet bright blood just outside the epicardium (the RV cavity across
/// the septum); walking right-handed about the base-to-apex axis the arc starts at the anterior insertion
/// (DOMAIN.md section 2), so no patient-orientation assumption is needed.
public struct LVGeometry: Sendable {
    public struct Settings: Codable, Sendable, Equatable {
        public init() {}
        /// Ring heights as fractions of the cavity length from the base plane (DOMAIN.md section 2).
        public var rings: RingBoundaries = .crtsimDefault
        /// RV arc: bright blood searched this far beyond the epicardium (mm).
        public var rvSearchFromMm = 1.0
        public var rvSearchToMm = 10.0
        /// Plausible angular extent of the RV contact arc (degrees).
        public var rvArcMinDegrees = 40.0
        public var rvArcMaxDegrees = 250.0
        /// Phases whose cavity volume is within this fraction of the largest tie for end-diastole.
        public var edToleranceFraction = 0.01
        /// End-diastole is sought among the phases within this time of the R-wave trigger (ms, either side, the cycle
        /// taken as cyclic; nil: every phase). ECG-triggered cine starts at the R wave, where the mitral valve closes
        /// and the LV is largest (SCMR post-processing recommendations: end-diastole is the first phase or the
        /// largest LV volume, Schulz-Menger et al., JCMR 2020;22:19); 100 ms takes in a trigger delay of a frame or
        /// two and the atrial contraction just before the R wave, and leaves out mid-diastole and systole.
        public var edWindowMs: Double? = 100
        /// A slice leaves the LV at a phase (through-plane motion of the base, cavity obliterated at the apex) when
        /// its cavity area falls below this fraction of its largest, or its median wall thickness exceeds this
        /// multiple of its end-diastolic one.
        public var minCavityAreaFraction = 0.15
        public var maxThicknessRatio = 2.2
        /// The LV narrows from its equator to the apex: at a phase, a slice of the apical half whose cavity is more
        /// than this many times that of the nearest slice on its basal side counting at that phase holds something
        /// else tracked beyond the apex (fat, a neighbouring chamber) and does not count (nil: no such check). 1.5, as
        /// `basal.maxAreaRatioToApicalNeighbour` at the other end.
        public var apicalMaxAreaRatioToBasalNeighbour: Double? = 1.5
        /// Slices whose ED cavity is smaller than this fraction of the largest slice cavity (the apical tip, where
        /// the curved wall is cut obliquely) give no strain.
        public var minStrainCavityFraction = 0.25
        /// Slices that leave the LV at some phase (the base moving through them) give no strain, nor do this many
        /// slices apical to them: through-plane motion carries the valve plane and atrioventricular groove through
        /// them during the cycle, which a 2D slice cannot follow.
        public var throughPlaneGuardSlices = 1
        /// A segment that no slice apical to the guard reaches (the whole basal ring, where the base moves through
        /// several slices) is measured from the guard slices, and failing those from the last slice the base moves
        /// through (its valid phases), rather than left without strain and so never a target.
        public var measureUncoveredSegmentsNearBase = true
        /// Angular reference: `stackMedian` (default) uses one anterior insertion angle for every slice, the circular
        /// median of the detections on the basal and mid slices (steadier, and the RV narrows towards the apex);
        /// `perSlice` uses each slice's own detection.
        public var insertionReference: InsertionReference = .stackMedian
        /// Where the insertions are taken on the arc of rays that meet bright signal beyond the epicardium. The arc's
        /// ends also catch the fat of the interventricular grooves beside the insertions, which widens it on both
        /// sides. `fatTrimmedEnds` (default) measures both insertions: at each end of the arc, the rays within
        /// `maxGrooveFatDegrees` whose brightest sample exceeds `grooveFatBrightnessRatio` times the RV blood
        /// (the median over the arc's middle half) are groove fat and are cut off, up to the innermost of them (on
        /// bSSFP fat is brighter than blood: its T2/T1 ratio is higher). A slice whose arc shows no such fat at
        /// either end falls back to `arcMidpoint`. `arcMidpoint` centres the septum on the arc, the insertions lying
        /// half of `nominalSeptalSpanDegrees` either side of its middle (the fat widens both ends alike, so the
        /// middle stays); it assumes the span. `arcEnds` takes the arc's ends as they are.
        public var insertionPoint: InsertionPoint = .fatTrimmedEnds
        /// Angular span of the septum between the RV insertion points used with `arcMidpoint` (degrees; AHA: two
        /// 60-degree septal sectors).
        public var nominalSeptalSpanDegrees = 120.0
        /// Groove fat at the arc's ends with `fatTrimmedEnds`: brighter than this multiple of the RV blood, within
        /// this angle of the end (degrees).
        public var grooveFatBrightnessRatio = 1.1
        public var maxGrooveFatDegrees = 25.0
        /// How far inward of the groove fat the RV tip (the darkest sample) is searched (degrees).
        public var rvTipSearchDegrees = 8.0
        /// Angular samples around each slice for the RV arc (finer than the tracker's rays, so the insertions are
        /// not quantised to a ray).
        public var rvArcSamples = 360
        /// Valve plane in the volume curve (through-plane motion of the base), where basal slices no longer cut the
        /// LV: `tracked` (default) moves it from its end-diastolic position (the basal edge of the first slice's
        /// Simpson slab) by a descent proportional to the cavity volume ejected from the slices that cut the LV at
        /// every phase, the amplitude read from the phases at which basal slices stop or start cutting the LV (the
        /// plane then crosses their centre), and fills the gap above the first slice that cuts the LV down from it
        /// (at most half a slice); `halfSlice` always fills half a slice.
        public var valvePlane: ValvePlaneModel = .tracked
        /// Fit the long axis through the slices' cavity centres (`LVGeometry.longAxis`); false: the stack normal.
        public var fitLongAxis = true
        public var longAxisMinAreaFraction = 0.25
        public var longAxisMaxTiltDegrees = 30.0
        /// Basal-slice decision per slice and phase (`BasalSlices`: LV cavity, outflow tract, partly left by the base,
        /// atrium) over the basal half of the stack; false counts every slice that cuts the LV whole, the older rule.
        public var basalSliceDecision = true
        public var basal = BasalSlices.Settings()
        /// Apical cap beyond the last slice with a cavity at each phase (`ApicalCap`: the area falls linearly to the
        /// apex extrapolated from the last two cavity areas); false counts the last slice's slab flat, the older rule.
        public var apicalCap = true
        /// RV insertion at an end of the RV arc without groove fat (`fatTrimmedEnds`): extrapolate the RV cavity's
        /// width, which tapers to nothing at the insertion, to zero over the outermost `rvTaperDegrees` of the arc,
        /// at most `rvTaperMaxExtensionDegrees` beyond its end; false falls back to `arcMidpoint`, the older rule.
        public var rvTaperInsertion = true
        public var rvTaperDegrees = 20.0
        public var rvTaperMaxExtensionDegrees = 15.0
        /// RV cavity width searched this far beyond the epicardium (mm).
        public var rvWidthSearchMm = 45.0
        /// The mitral annulus from the long-axis cine views when the case has them (`MitralAnnulus`): it bounds the
        /// volume at the base at each phase instead of the valve-plane model; without views nothing changes.
        public var mitralAnnulus = MitralAnnulus.Settings()
        /// Rings per point of the wall (its own height fraction, `ringFraction(of:)`) instead of per slice (the slice
        /// centre's).
        public var ringPerPoint = true
        /// With the annulus from the long-axis views, heights are measured from the annulus at each point's angle.
        public var ringFromLocalAnnulus = true
        /// The endocardial apex in the long-axis views (`LongAxisApex`).
        public var longAxisApex = LongAxisApex.Settings()
    }

    public enum InsertionReference: String, Codable, Sendable, CaseIterable { case stackMedian, perSlice }
    public enum ValvePlaneModel: String, Codable, Sendable, CaseIterable { case tracked, halfSlice }
    public enum InsertionPoint: String, Codable, Sendable, CaseIterable { case fatTrimmedEnds, arcMidpoint, arcEnds }

    /// Slices ordered from base to apex.
    var walls: [WallTracker.SliceWall]
    /// +1 when ray angles (column axis towards row axis) turn right-handed about the base-to-apex axis, else -1.
    var handedness: Double
    var baseToApex: Vec3
    var baseCentreMm: Vec3
    var endoApexMm: Vec3
    var epiApexMm: Vec3
    var cavityLengthMm: Double
    var edFrame: Int, esFrame: Int
    var volumeCurveMl: [Double]
    /// Ring of each slice (nil: apical cap or above the base plane).
    var rings: [Int?]
    /// Distance of each slice from the base plane along the long axis (mm).
    var heightsMm: [Double]
    /// Angle of the anterior RV insertion per slice (degrees, right-handed ray angle).
    var anteriorInsertionDegrees: [Double]
    /// Septal span from the anterior to the inferior insertion (degrees): the circular median over the basal and
    /// mid slices where both were measured, else `nominalSeptalSpanDegrees`.
    var septalSpanDegrees: Double
    /// 36-segment id of every ray of every slice (0 = none).
    var segmentIds: [[Int]]
    /// Slice spacing (mm).
    var spacingMm: Double
    var notes: [String]
    var settings: Settings
    /// The mitral annulus found in the long-axis views (nil without views, or when too few phases had one), and
    /// the plane used at each phase for the volume curve.
    var mitralAnnulus: MitralAnnulus? = nil
    var annulusPlanes: [MitralAnnulus.Plane]? = nil

    /// Right-handed angle (degrees) of raw ray r.
    func rayAngle(_ r: Int, rays: Int) -> Double { wrapDegrees(handedness * 360 * Double(r) / Double(rays)) }

    /// Patient position of radius rho on ray r of slice s at phase t.
    func point(slice s: Int, frame t: Int, ray r: Int, radiusMm rho: Double) -> Vec3 {
        let w = walls[s]
        return w.plane.patient(w.centres[t] + w.direction(r) * rho)
    }

    /// - Parameters:
    ///   - longAxis: the long-axis cine views of the case (empty: none; the short-axis rules alone, as before).
    ///   - cineTimesMs: trigger time of every short-axis phase (pairs the long-axis phases with them).
    static func build(walls unordered: [WallTracker.SliceWall], cine: ImageVolume<Float>, sliceThicknessMm: Double,
                      settings: Settings, longAxis: [MitralAnnulus.View] = [], cineTimesMs: [Double] = []) throws -> LVGeometry {
        guard unordered.count >= 2 else {
            throw InputError("cine.nii.gz: the LV shows on \(unordered.count) slice(s); at least 2 are needed")
        }
        var notes: [String] = []
        let frames = cine.frames
        let first = unordered.first!.plane, last = unordered.last!.plane
        let stackDirection = (last.originMm - first.originMm)
        let spacing = stackDirection.length / Double(max(1, unordered.count - 1))
        // Volumes over the cycle, then ED / ES.
        var unordered = unordered
        for s in unordered.indices { unordered[s].markValidPhases(settings: settings) }
        // Base end: the end of the LV's slices with the larger cavity (largest over the phases the slice cuts the LV).
        // The LV's slices are those that cut it at most phases: a slice beyond the apex or above the base can hold a
        // large bright region (subcutaneous fat, the atrium) tracked as a "cavity" at a few phases, which must not
        // decide (an independent generator's stack with two such slices beyond the apex was read upside down).
        let n = unordered.count
        func largest(_ w: WallTracker.SliceWall) -> Double {
            w.endo.indices.filter { w.valid.isEmpty || w.valid[$0] }.map { w.cavityAreaMm2(frame: $0) }.max() ?? 0
        }
        // A slice whose largest cavity is more than twice the median of the others' is not an LV short-axis section
        // (a fat band or another chamber tracked beyond the apex or above the base) and does not decide either.
        let validMost = unordered.indices.filter { s in 2 * unordered[s].valid.filter { $0 }.count >= unordered[s].valid.count }
        let medianLargest = validMost.isEmpty ? 0 : Stats.median(validMost.map { largest(unordered[$0]) })
        let mostlyLV = validMost.filter { largest(unordered[$0]) <= 2 * medianLargest }
        let ends = mostlyLV.count >= 4 ? (Array(mostlyLV.prefix(2)), Array(mostlyLV.suffix(2))) : (Array(0..<min(2, n)), Array(max(0, n - 2)..<n))
        let areaFirst = ends.0.reduce(0) { $0 + largest(unordered[$1]) }
        let areaLast = ends.1.reduce(0) { $0 + largest(unordered[$1]) }
        var walls = areaFirst >= areaLast ? unordered : Array(unordered.reversed())
        let stackAxis = (areaFirst >= areaLast ? stackDirection : -stackDirection).normalized
        // What each basal contour encloses at each phase (LV cavity, outflow tract, partly left, atrium).
        if let note = Self.decideBasalContent(&walls, cine: cine, settings: settings) { notes.append(note) }
        // Towards the apex the LV narrows: a slice of the apical half far larger than its basal neighbour is not LV.
        if let ratio = settings.apicalMaxAreaRatioToBasalNeighbour {
            var dropped = 0
            for s in ((walls.count + 1) / 2)..<walls.count where s > 0 {
                for t in 0..<frames where walls[s].valid[t] {
                    guard let b = (0..<s).reversed().first(where: { walls[$0].valid[t] }) else { continue }
                    if walls[s].cavityAreaMm2(frame: t) > ratio * walls[b].cavityAreaMm2(frame: t) {
                        walls[s].valid[t] = false; dropped += 1
                    }
                }
            }
            if dropped > 0 {
                notes.append("\(dropped) apical slice-phase(s) left out: cavity more than \(ratio) times the slice on its basal side")
            }
        }
        // Simpson's rule over the slices that cut the LV, from the valve plane at each phase (`ValvePlaneModel`).
        let valvePlane = Self.valvePlaneDescent(walls: walls, spacing: spacing, settings: settings)
        if let note = valvePlane.note { notes.append(note) }
        // Length (mm) of the LV counted on the first slice that cuts it, when the annulus plane bounds the base: from
        // the slab's apical face up to the plane along the long axis at the slice's centre; the part above the slab
        // at most one spacing plus `maxFillBeyondSpacingMm` (MitralAnnulus.Settings). <= 0: the slice lies wholly
        // basal to the annulus.
        func lengthBelowAnnulus(_ w: WallTracker.SliceWall, _ t: Int, _ a: MitralAnnulus.Plane, _ axis: Vec3) -> Double {
            let centre = w.plane.patient(w.centres[t])
            let belowPlane = (centre - a.centreMm).dot(a.normal) / max(1e-6, axis.dot(a.normal))
            return min(belowPlane + spacing / 2, 2 * spacing + settings.mitralAnnulus.maxFillBeyondSpacingMm)
        }
        func volume(_ t: Int, annulus: MitralAnnulus.Plane? = nil, axis: Vec3 = stackAxis) -> Double {
            var v = 0.0
            var first = true
            var cavity: [(s: Int, area: Double)] = []
            for (s, w) in walls.enumerated() where w.valid[t] {
                var area = w.lvCavityAreaMm2(frame: t)
                if let annulus, w.contourLeaked(frame: t), w.content[t] == .partlyLeft {
                    // A contour that leaked through the valve plane, where the long-axis annulus says how much of
                    // the slab is LV: the LV's cross-section is its apical neighbour's (the LV does not widen towards
                    // its base above the equator), not the probe's chord, and the plane bounds it.
                    let below = walls.indices.first { $0 > s && walls[$0].valid[t] && !walls[$0].contourLeaked(frame: t) }
                    area = min(w.cavityAreaMm2(frame: t), below.map { walls[$0].cavityAreaMm2(frame: t) } ?? area)
                    v += area * (first ? max(0, lengthBelowAnnulus(w, t, annulus, axis)) : spacing)
                    if area > 0 { cavity.append((s, area)) }
                    first = false
                    continue
                }
                if let annulus, first {
                    // The long-axis annulus bounds the base: the first slice counts from its apical face up to the
                    // plane (`firstSliceVolumeMm3`).
                    let partial = !w.content.isEmpty && w.content[t] == .partlyLeft
                    let neighbour = s + 1 < walls.count && walls[s + 1].valid[t] ? walls[s + 1].cavityAreaMm2(frame: t) : nil
                    v += Self.firstSliceVolumeMm3(partlyLeft: partial, lvAreaMm2: area, contourAreaMm2: w.cavityAreaMm2(frame: t),
                                                  apicalNeighbourAreaMm2: neighbour,
                                                  lengthBelowAnnulusMm: lengthBelowAnnulus(w, t, annulus, axis))
                    if area > 0 { cavity.append((s, area)) }
                    first = false
                    continue
                }
                if annulus != nil, !w.content.isEmpty, w.content[t] == .partlyLeft {
                    // Below the first slice the plane lies above this one: its section counts whole over its slab
                    // (`sectionUnderAnnulusMm2`), not the chord part.
                    let neighbour = s + 1 < walls.count && walls[s + 1].valid[t] ? walls[s + 1].cavityAreaMm2(frame: t) : nil
                    area = Self.sectionUnderAnnulusMm2(partlyLeft: true, lvAreaMm2: area, contourAreaMm2: w.cavityAreaMm2(frame: t),
                                                       apicalNeighbourAreaMm2: neighbour)
                }
                v += area * spacing
                if area > 0 { cavity.append((s, area)) }
                // A slice the base has partly left holds the base itself (its chord part counts): no gap to fill.
                let partial = !w.content.isEmpty && w.content[t] == .partlyLeft
                let gapAbove = !partial && s > 0 && !walls[s - 1].valid[t] && walls[s - 1].valid.contains(true)
                if first, gapAbove, s >= valvePlane.edBaseSlice, let descent = valvePlane.descentMm {
                    // A slice that cuts the LV counts whole; the gap above it, up to the centre of the slice that no
                    // longer does, is filled with its cavity down from the modelled valve plane.
                    let slabTop = Double(s - valvePlane.edBaseSlice) * spacing
                    v += area * clamp(slabTop - descent[t], 0, spacing / 2)
                } else if gapAbove {
                    v += 0.5 * area * spacing
                }
                first = false
            }
            // Apical cap beyond the last slice with a cavity (`ApicalCap`).
            if settings.apicalCap, cavity.count >= 2 {
                let a = cavity[cavity.count - 2], b = cavity[cavity.count - 1]
                let next = b.s + 1 < walls.count ? walls[b.s + 1] : nil
                let closedAt = next.flatMap { $0.cavityAreaMm2(frame: t) < 1 ? spacing : nil }
                let d = ApicalCap.apexDistanceMm(previousArea: a.area, lastArea: b.area,
                                                 spacingMm: spacing * Double(b.s - a.s), closedAtMm: closedAt,
                                                 maxMm: spacing * Double(2 + walls.count - 1 - b.s))
                v += ApicalCap.correctionMm3(lastArea: b.area, apexDistanceMm: d, spacingMm: spacing)
            }
            return v / 1000
        }
        var curve = (0..<frames).map { volume($0) }
        // ED: the largest volume; phases within `edToleranceFraction` of it count as tied and the earliest wins
        // (the R-wave trigger starts the cycle at end-diastole).
        // Only the phases near the trigger are candidates (`edWindowMs`): a basal contour that flickers between LV
        // and atrium in mid-systole or diastasis can lift one phase's volume above the true end-diastolic one.
        // The cardiac cycle (ms): the last trigger time plus one phase interval; nil without one time per phase.
        let cycleMs: Double? = cineTimesMs.count == frames && frames > 1
            ? cineTimesMs[frames - 1] + (cineTimesMs[frames - 1] - cineTimesMs[0]) / Double(frames - 1) : nil
        let nearTrigger: [Int] = {
            guard let window = settings.edWindowMs, let cycle = cycleMs else { return Array(0..<frames) }
            let near = (0..<frames).filter { min(cineTimesMs[$0], cycle - cineTimesMs[$0]) <= window }
            return near.isEmpty ? Array(0..<frames) : near
        }()
        func extremes(_ curve: [Double]) -> (ed: Int, es: Int) {
            let maxVolume = nearTrigger.map { curve[$0] }.max()!
            return (nearTrigger.first { curve[$0] >= (1 - settings.edToleranceFraction) * maxVolume }!,
                    curve.indices.min { curve[$0] < curve[$1] }!)
        }
        var (ed, es) = extremes(curve)
        var baseToApex = Self.longAxis(walls: walls, frame: ed, stackAxis: stackAxis, settings: settings)
        // The mitral annulus in the long-axis views, when the case has them: it replaces the valve-plane model at
        // the base (slices wholly basal to it are atrium; the first slice counts up to it).
        var annulus: MitralAnnulus? = nil, annulusPlanes: [MitralAnnulus.Plane]? = nil
        if settings.mitralAnnulus.enabled, !longAxis.isEmpty, cineTimesMs.count == frames {
            let centres = walls.filter { $0.valid[ed] && ($0.content.isEmpty || $0.content[ed] == .lvCavity) }
                .map { $0.plane.patient($0.centres[ed]) }
            let axisPoint = centres.isEmpty ? walls[walls.count / 2].plane.patient(walls[walls.count / 2].centres[ed])
                : centres.reduce(Vec3.zero, +) / Double(centres.count)
            let found = MitralAnnulus.detect(views: longAxis, walls: walls, baseToApex: baseToApex, axisPointMm: axisPoint,
                                             cineTimesMs: cineTimesMs, settings: settings.mitralAnnulus)
            let detected = found.planes.compactMap { $0 }.count
            if let filledPlanes = found.filled(settings: settings.mitralAnnulus) {
                let planes = cycleMs.map {
                    MitralAnnulus.medianFilteredHeights(filledPlanes, axis: baseToApex, timesMs: cineTimesMs, cycleMs: $0,
                                                        halfWindowMs: settings.mitralAnnulus.heightMedianHalfWindowMs,
                                                        outliersOnly: settings.mitralAnnulus.heightOutliersOnly)
                } ?? filledPlanes
                annulus = found; annulusPlanes = planes
                var atrium = 0
                for t in 0..<frames {
                    for s in walls.indices {
                        guard walls[s].valid[t] else { continue }
                        let partial = !walls[s].content.isEmpty && walls[s].content[t] == .partlyLeft
                        guard !partial, lengthBelowAnnulus(walls[s], t, planes[t], baseToApex) <= 0 else { break }
                        walls[s].valid[t] = false
                        if !walls[s].content.isEmpty { walls[s].content[t] = .atrium; walls[s].areaFraction[t] = 0 }
                        atrium += 1
                    }
                }
                let before = curve
                curve = (0..<frames).map { volume($0, annulus: planes[$0], axis: baseToApex) }
                (ed, es) = extremes(curve)
                baseToApex = Self.longAxis(walls: walls, frame: ed, stackAxis: stackAxis, settings: settings)
                let descent = (planes[es].centreMm - planes[ed].centreMm).dot(baseToApex)
                notes.append(String(format: "mitral annulus from the long-axis views (%@) at %d of %d phases: it bounds the base of the "
                    + "volume (ED %.1f mL, ES %.1f mL without it: %.1f, %.1f); it descends %.1f mm from ED to ES",
                    found.views.joined(separator: ", "), detected, frames, curve[ed], curve[es], before[extremes(before).ed],
                    before[extremes(before).es], descent)
                    + (atrium > 0 ? "; \(atrium) basal slice-phase(s) wholly above it counted as atrium" : ""))
            } else {
                notes.append("long-axis views (\(found.views.joined(separator: ", "))) present but the mitral annulus was found at "
                    + "\(detected) of \(frames) phases: the base is bounded by the short-axis rules")
            }
        }
        if (baseToApex - stackAxis).length > 1e-9 {
            notes.append(String(format: "long axis %.1f degrees from the stack normal (fitted through the cavity centres)",
                                acos(min(1, baseToApex.dot(stackAxis))) * 180 / .pi))
        }
        let handedness = walls[0].plane.normal.dot(baseToApex) >= 0 ? 1.0 : -1.0

        guard let baseIndex = walls.firstIndex(where: { $0.valid[ed] }) else {
            throw InputError("cine.nii.gz: no slice shows the LV myocardium all round at end-diastole")
        }
        if baseIndex > 0 { notes.append("\(baseIndex) basal slice(s) without myocardium all round left out") }
        let baseSliceCentre = walls[baseIndex].plane.patient(walls[baseIndex].centres[ed])
        // The base: the long-axis annulus at end-diastole where the case has it (where the long axis through the
        // first slice's centre crosses the plane), else the first slice's basal face.
        let baseCentre: Vec3 = {
            guard let plane = annulusPlanes?[ed] else { return baseSliceCentre - baseToApex * (sliceThicknessMm / 2) }
            let below = (baseSliceCentre - plane.centreMm).dot(plane.normal) / max(1e-6, baseToApex.dot(plane.normal))
            return baseSliceCentre - baseToApex * below
        }()
        let heights = walls.map { ($0.plane.patient($0.centres[ed]) - baseCentre).dot(baseToApex) }
        // Endocardial apex by linear extrapolation of the cavity area over the two most apical slices with one.
        let withCavity = walls.indices.filter { walls[$0].cavityAreaMm2(frame: ed) > 1 }
        var apexHeight = heights[withCavity.last ?? (n - 1)] + spacing / 2
        var apicalWallAlongAxis: Double? = nil
        if withCavity.count >= 2 {
            let a = withCavity[withCavity.count - 2], b = withCavity.last!
            let aa = walls[a].cavityAreaMm2(frame: ed), ab = walls[b].cavityAreaMm2(frame: ed)
            if aa > ab {
                apexHeight = heights[b] + ab * (heights[b] - heights[a]) / (aa - ab)
            }
            apexHeight = clamp(apexHeight, heights[b], heights[b] + 2 * spacing)
        }
        if let last = withCavity.last {
            // A slice of the stack beyond the last one with a cavity, where no LV cavity was found: the cavity has
            // closed by its centre.
            let step = walls.count >= 2 ? walls[walls.count - 1].slice - walls[walls.count - 2].slice : 1
            let beyond = walls[last].slice + step
            if last == walls.count - 1, beyond >= 0, beyond < cine.grid.size[2] {
                apexHeight = min(apexHeight, heights[last] + spacing)
            } else if last < walls.count - 1 {
                apexHeight = min(apexHeight, heights[last + 1])
            }
            // The long-axis views show the apex itself.
            if !longAxis.isEmpty, ed < cineTimesMs.count,
               let found = LongAxisApex.detect(views: longAxis, timeMs: cineTimesMs[ed],
                                               axisPointMm: walls[last].plane.patient(walls[last].centres[ed]),
                                               baseToApex: baseToApex, originMm: baseCentre,
                                               wallSlices: Array(walls[max(0, last - 1)...last]), frame: ed,
                                               settings: settings.longAxisApex),
               found.heightMm >= heights[last] - spacing / 2, found.heightMm <= heights[last] + 2 * spacing {
                notes.append(String(format: "endocardial apex from the long-axis views (%@): %.1f mm below the base (short-axis extrapolation %.1f mm)",
                                    found.perView.keys.sorted().map { String(format: "%@ %.1f", $0, found.perView[$0]!) }.joined(separator: ", "),
                                    found.heightMm, apexHeight))
                apexHeight = found.heightMm
                apicalWallAlongAxis = found.apicalWallMm
            }
        }
        let apexSlice = walls[withCavity.last ?? (n - 1)]
        // The apical wall along the axis from the long-axis views when they show its outer edge, else the last
        // short-axis slice's wall (an oblique cut of the apical cap: reads thicker).
        let apicalWall = apicalWallAlongAxis ?? Stats.median(zip(apexSlice.epi[ed], apexSlice.endo[ed]).map { $0 - $1 })
        let axisPoint = walls[withCavity.last ?? (n - 1)].plane.patient(walls[withCavity.last ?? (n - 1)].centres[ed])
        let endoApex = axisPoint + baseToApex * (apexHeight - heights[withCavity.last ?? (n - 1)])
        let epiApex = endoApex + baseToApex * apicalWall
        let length = apexHeight
        let rings = heights.indices.map { $0 < baseIndex ? nil : settings.rings.ring(forFraction: heights[$0] / length) }

        // RV insertion points per slice at ED.
        let rays = settings.rvArcSamples
        var anterior: [Double?] = [], inferior: [Double?] = []
        var fallbacks = 0, tapered = 0
        for w in walls {
            let image = PlaneImage(volume: cine, slice: w.slice, frame: ed)
            let epi = w.epi[ed], trackerRays = Double(w.rayCount)
            var bright = [Bool](repeating: false, count: rays)   // indexed by right-handed sample index
            var peak = [Float](repeating: 0, count: rays)
            var width = [Double](repeating: 0, count: rays)       // RV cavity width beyond the epicardium (mm)
            let level = 0.5 * (w.bloodLevel + w.myocardiumLevel)
            for k in 0..<rays {
                // Right-handed angle k * step; the tracker's ray angle (and epicardial radius, interpolated) for it.
                let raw = wrapDegrees(handedness * 360 * Double(k) / Double(rays))
                let x = raw / 360 * trackerRays
                let i0 = Int(x) % w.rayCount, i1 = (i0 + 1) % w.rayCount
                let e = lerp(epi[i0], epi[i1], x - x.rounded(.down))
                let direction = SIMD2(cos(radians(raw)), sin(radians(raw)))
                var maxV: Float = 0
                var rho = e + settings.rvSearchFromMm
                while rho <= e + settings.rvSearchToMm {
                    maxV = max(maxV, image.sample(w.centres[ed] + direction * rho)); rho += 0.5
                }
                bright[k] = maxV > level
                peak[k] = maxV
                if bright[k] && settings.rvTaperInsertion {
                    // The first run of blood beyond the epicardium starting within the search range: its length.
                    var rho = e + settings.rvSearchFromMm, inRun = false, run = 0.0
                    while rho <= e + settings.rvWidthSearchMm {
                        let above = image.sample(w.centres[ed] + direction * rho) > level
                        if above { inRun = true; run += 0.5 } else if inRun { break }
                        else if rho > e + settings.rvSearchToMm { break }
                        rho += 0.5
                    }
                    width[k] = run
                }
            }
            let arc = BasalSlices.longestRun(bright)
            let step = 360 / Double(rays)
            if let arc, Double(arc.length) * step >= settings.rvArcMinDegrees, Double(arc.length) * step <= settings.rvArcMaxDegrees {
                let start = (Double(arc.start) - 0.5) * step, end = (Double(arc.start + arc.length) - 0.5) * step
                var mode = settings.insertionPoint
                if mode == .fatTrimmedEnds {
                    if let (a, b) = Self.trimGrooveFat(peak: peak, arcStart: arc.start, arcLength: arc.length, settings: settings) {
                        anterior.append(wrapDegrees((Double(arc.start) + a - 0.5) * step))
                        inferior.append(wrapDegrees((Double(arc.start + arc.length) - b - 0.5) * step))
                        continue
                    }
                    if settings.rvTaperInsertion,
                       let (a, b) = Self.insertionCuts(peak: peak, width: width, arcStart: arc.start, arcLength: arc.length, settings: settings) {
                        anterior.append(wrapDegrees((Double(arc.start) + a - 0.5) * step))
                        inferior.append(wrapDegrees((Double(arc.start + arc.length) - b - 0.5) * step))
                        tapered += 1
                        continue
                    }
                    mode = .arcMidpoint
                    fallbacks += 1
                }
                switch mode {
                case .arcEnds, .fatTrimmedEnds:
                    anterior.append(wrapDegrees(start)); inferior.append(wrapDegrees(end))
                case .arcMidpoint:
                    let mid = 0.5 * (start + end)
                    anterior.append(wrapDegrees(mid - settings.nominalSeptalSpanDegrees / 2))
                    inferior.append(wrapDegrees(mid + settings.nominalSeptalSpanDegrees / 2))
                }
            } else {
                anterior.append(nil); inferior.append(nil)
            }
        }
        if tapered > 0 {
            notes.append("no groove fat at one or both ends of the RV arc on \(tapered) slice(s): there the insertion is where the "
                + "RV cavity's width, extrapolated over the arc's end, reaches zero")
        }
        if fallbacks > 0 {
            notes.append("no groove fat brighter than RV blood at the RV arc's ends on \(fallbacks) slice(s): there the "
                + "insertions lie \(Int(settings.nominalSeptalSpanDegrees / 2)) degrees either side of the arc's middle")
        }
        let found = anterior.compactMap { $0 }
        guard !found.isEmpty else {
            throw InputError("cine.nii.gz: no RV insertion points found (no RV blood pool against the septum on any "
                + "slice); give them with --rv-insertion FILE")
        }
        let baseMid = walls.indices.compactMap { s -> Double? in
            guard let a = anterior[s], let ring = rings[s], ring <= 1 else { return nil }
            return a
        }
        let fallback = circularMedian(baseMid.isEmpty ? found : baseMid)
        // Septal span over the basal and mid slices where both insertions were found (else all such slices).
        func spans(_ basalMidOnly: Bool) -> [Double] {
            walls.indices.compactMap { s -> Double? in
                guard let a = anterior[s], let b = inferior[s] else { return nil }
                if basalMidOnly { guard let ring = rings[s], ring <= 1 else { return nil } }
                return wrapDegrees(b - a)
            }
        }
        let basalMidSpans = spans(true)
        let spanSamples = basalMidSpans.isEmpty ? spans(false) : basalMidSpans
        let septalSpan = spanSamples.isEmpty ? settings.nominalSeptalSpanDegrees : Stats.median(spanSamples)
        var anteriorFilled: [Double] = []
        for s in walls.indices {
            if let a = anterior[s] { anteriorFilled.append(a); continue }
            // nearest slice with a detection
            let detected: [Int] = walls.indices.filter { anterior[$0] != nil }
            let nearest: Int? = detected.min { (a: Int, b: Int) -> Bool in abs(a - s) < abs(b - s) }
            anteriorFilled.append(nearest.map { anterior[$0]! } ?? fallback)
        }
        if settings.insertionReference == .stackMedian {
            anteriorFilled = walls.map { _ in fallback }
        }
        if found.count < walls.count { notes.append("RV insertion found on \(found.count) of \(walls.count) slices; others use the nearest slice") }

        var geometry = LVGeometry(walls: walls, handedness: handedness, baseToApex: baseToApex, baseCentreMm: baseCentre,
                                  endoApexMm: endoApex, epiApexMm: epiApex, cavityLengthMm: length,
                                  edFrame: ed, esFrame: es, volumeCurveMl: curve, rings: rings, heightsMm: heights,
                                  anteriorInsertionDegrees: anteriorFilled,
                                  septalSpanDegrees: septalSpan,
                                  segmentIds: [], spacingMm: spacing, notes: notes, settings: settings)
        geometry.mitralAnnulus = annulus
        geometry.annulusPlanes = annulusPlanes
        geometry.assignSegments()
        return geometry
    }

    /// The LV cross-section (mm2) a slice counts when the long-axis annulus bounds the base: the contour's LV area for
    /// a slice whose myocardium closes round it; for one decided partly left (`BasalSlices`: a gap in the ring where
    /// the base has left part of the slab) its whole contour, no larger than its apical neighbour's (the LV does not
    /// widen towards its base above the equator). The plane says how much of the slab is LV; the chord across the
    /// gap would say it a second time, and at end-systole (when basal slices are most often partly left) it left the
    /// plane's height out, while at end-diastole the same slices, whole, counted up to the plane: the two volumes
    /// then came from different bases (docs/pipeline.md, "Basal slices with the annulus").
    public static func sectionUnderAnnulusMm2(partlyLeft: Bool, lvAreaMm2: Double, contourAreaMm2: Double,
                                              apicalNeighbourAreaMm2: Double?) -> Double {
        guard partlyLeft else { return lvAreaMm2 }
        return min(contourAreaMm2, apicalNeighbourAreaMm2 ?? lvAreaMm2)
    }

    /// Volume (mm3) that the first slice cutting the LV counts when the long-axis annulus bounds the base: its
    /// section (`sectionUnderAnnulusMm2`) from the slab's apical face up to the annulus plane,
    /// `lengthBelowAnnulusMm` along the long axis (`lengthBelowAnnulus`; nothing when <= 0). The slices below it
    /// count their sections over their whole slabs.
    public static func firstSliceVolumeMm3(partlyLeft: Bool, lvAreaMm2: Double, contourAreaMm2: Double,
                                           apicalNeighbourAreaMm2: Double?, lengthBelowAnnulusMm: Double) -> Double {
        sectionUnderAnnulusMm2(partlyLeft: partlyLeft, lvAreaMm2: lvAreaMm2, contourAreaMm2: contourAreaMm2,
                               apicalNeighbourAreaMm2: apicalNeighbourAreaMm2) * max(0, lengthBelowAnnulusMm)
    }

    /// Descent of the valve plane at each phase (mm along base-to-apex from its end-diastolic position, the basal
    /// edge of the Simpson slab of `edBaseSlice`, half a slice spacing above its centre), nil with `halfSlice` or
    /// when no basal slice stops cutting the LV around end-systole.
    ///
    /// A short-axis slice cuts the LV while the valve plane lies above its centre (most of its thickness is
    /// ventricle), so the phases between which a basal slice stops (or starts again) cutting the LV bracket the
    /// moment the plane crosses that centre, a known distance below the end-diastolic plane. The plane is taken to
    /// descend in proportion to the normalised ejected volume g(t) of the slices that cut the LV at every phase (the
    /// atrioventricular plane displacement follows the volume curve); its amplitude is the sum of the crossing
    /// distances over the sum of g at the crossings (g interpolated half-way between the bracketing phases). Only the
    /// two ends of each basal slice's longest run of phases without the LV count, and only if that run holds the
    /// phase of least volume (the base is lowest at end-systole). In the volume curve a slice that cuts the LV
    /// counts whole (the clinical convention) and the plane only sets how much of the gap above it is filled, between
    /// none and the half slice up to the centre of the slice that no longer cuts the LV (the older rule's fill), so a
    /// wrong amplitude (through-plane misregistration of the basal slice) moves the volume by half a slice at most.
    static func valvePlaneDescent(walls: [WallTracker.SliceWall], spacing: Double, settings: Settings)
        -> (descentMm: [Double]?, edBaseSlice: Int, note: String?) {
        let frames = walls.first?.valid.count ?? 0
        let always = walls.indices.filter { walls[$0].valid.allSatisfy { $0 } }
        let below = (0..<frames).map { t in always.reduce(0.0) { $0 + walls[$1].cavityAreaMm2(frame: t) } }
        guard let maxBelow = below.max(), let minBelow = below.min(), maxBelow > minBelow,
              let ed = below.indices.first(where: { below[$0] >= (1 - settings.edToleranceFraction) * maxBelow }),
              let edBase = walls.firstIndex(where: { $0.valid[ed] }) else {
            return (nil, walls.firstIndex { $0.valid.contains(true) } ?? 0, nil)
        }
        guard settings.valvePlane == .tracked, let firstAlways = always.first else { return (nil, edBase, nil) }
        let g = below.map { (below[ed] - $0) / (maxBelow - minBelow) }
        let es = below.indices.min { below[$0] < below[$1] }!
        var distance = 0.0, contraction = 0.0, crossings = 0
        for s in edBase..<firstAlways where walls[s].valid[ed] {
            // The slice's longest run of phases without the LV, if it holds end-systole (shorter runs are glitches).
            var best: Range<Int>? = nil, start: Int? = nil
            for t in 0...frames {
                if t < frames && !walls[s].valid[t] { if start == nil { start = t } ; continue }
                if let a = start, best.map({ t - a > $0.count }) ?? true { best = a..<t }
                start = nil
            }
            guard let run = best, run.contains(es) else { continue }
            for t in [run.lowerBound, run.upperBound] where t > 0 && t < frames {
                distance += (Double(s - edBase) + 0.5) * spacing
                contraction += 0.5 * (g[t] + g[t - 1])
                crossings += 1
            }
        }
        guard crossings > 0, contraction > 0 else { return (nil, edBase, nil) }
        let amplitude = distance / contraction
        let note = String(format: "valve plane descends %.1f mm at most (from %d basal slice crossing(s))", amplitude, crossings)
        return (g.map { amplitude * $0 }, edBase, note)
    }

    /// Gives every ray its 36-segment id from its slice's ring and its angle from the anterior insertion.
    mutating func assignSegments(overridingAnteriorDegrees: [Double]? = nil) {
        if let o = overridingAnteriorDegrees { anteriorInsertionDegrees = o }
        segmentIds = walls.indices.map { s in
            let rays = walls[s].rayCount
            guard let sliceRing = rings[s] else { return [Int](repeating: 0, count: rays) }
            return (0..<rays).map { r in
                var ring = sliceRing
                if settings.ringPerPoint {
                    let w = walls[s], ed = edFrame
                    let p = point(slice: s, frame: ed, ray: r, radiusMm: 0.5 * (w.endo[ed][r] + w.epi[ed][r]))
                    ring = settings.rings.ring(forFraction: ringFraction(of: p)) ?? sliceRing
                }
                return Segment36.id(ring: ring, angleDegrees: wrapDegrees(rayAngle(r, rays: rays) - anteriorInsertionDegrees[s])).id
            }
        }
    }

    /// The ring coordinate of a point, clamped to [0, 0.999] (`RingBoundaries.heightFraction`; with
    /// `ringFromLocalAnnulus`, from the end-diastolic annulus of the long-axis views when the case has it).
    func ringFraction(of p: Vec3) -> Double {
        let plane = settings.ringFromLocalAnnulus ? annulusPlanes?[edFrame] : nil
        return clamp(RingBoundaries.heightFraction(of: p, baseCentreMm: baseCentreMm, baseToApex: baseToApex,
                                                   cavityLengthMm: cavityLengthMm,
                                                   annulus: plane.map { (centreMm: $0.centreMm, normal: $0.normal) }),
                     0, 0.999)
    }

    /// Patient positions of the RV insertion points on the slice nearest mid-cavity, at ED.
    var rvInsertionPointsMm: [String: Vec3] {
        let mid = heightsMm.indices.min { abs(heightsMm[$0] - cavityLengthMm / 2) < abs(heightsMm[$1] - cavityLengthMm / 2) }!
        var out: [String: Vec3] = [:]
        let w = walls[mid]
        func at(_ angle: Double) -> Vec3 {
            let raw = handedness > 0 ? angle : wrapDegrees(-angle)
            let r = Int((raw / 360 * Double(w.rayCount)).rounded()) % w.rayCount
            return point(slice: mid, frame: edFrame, ray: r, radiusMm: w.epi[edFrame][r])
        }
        out["anterior"] = at(anteriorInsertionDegrees[mid])
        out["inferior"] = at(wrapDegrees(anteriorInsertionDegrees[mid] + septalSpanDegrees))
        return out
    }

    /// Where the insertions lie on the RV arc (`Settings.insertionPoint`): how far (in samples, fractional) to cut
    /// from its start and from its end, nil when either end shows no groove fat. `peak` is each sample's brightest
    /// value beyond the epicardium, indexed cyclically from `arcStart`.
    ///
    /// At each end, the samples within `maxGrooveFatDegrees` brighter than `grooveFatBrightnessRatio` times the RV
    /// blood (the median over the arc's middle half) are groove fat. Inward of the innermost of them the signal first
    /// fades to the blood level (the fat's partial-volume edge, just outside the junction) and then reaches its
    /// minimum within `rvTipSearchDegrees` (the RV tip, where the cavity has vanished and the ray meets only the
    /// wall, pushed inward by the fat's blur). The insertion is taken half-way between the two.
    public static func trimGrooveFat(peak: [Float], arcStart: Int, arcLength: Int, settings: Settings) -> (Double, Double)? {
        let (a, b) = grooveFatCuts(peak: peak, arcStart: arcStart, arcLength: arcLength, settings: settings)
        guard let a, let b else { return nil }
        return (a, b)
    }

    /// Insertions on an arc with or without groove fat: at each end the groove-fat cut (`trimGrooveFat`) where there is
    /// fat, else the RV cavity's taper extrapolated to zero width (`taperExtension`, a negative cut: beyond the arc's
    /// end). Nil when the arc is too short. `width` is each sample's RV cavity width (mm), indexed like `peak`.
    public static func insertionCuts(peak: [Float], width: [Double], arcStart: Int, arcLength: Int,
                                     settings: Settings) -> (Double, Double)? {
        let n = width.count
        guard arcLength >= 8 else { return nil }
        let fat = grooveFatCuts(peak: peak, arcStart: arcStart, arcLength: arcLength, settings: settings)
        let at = { (i: Int) in width[((arcStart + i) % n + n) % n] }
        let middle = Stats.median((arcLength / 4..<(arcLength - arcLength / 4)).map(at))
        let fromStart = (0..<arcLength).map(at)
        let a = fat.0 ?? -taperExtension(widths: fromStart, middleWidth: middle, stepDegrees: 360 / Double(n), settings: settings)
        let b = fat.1 ?? -taperExtension(widths: fromStart.reversed(), middleWidth: middle, stepDegrees: 360 / Double(n), settings: settings)
        return (a, b)
    }

    /// How far (samples) beyond the end of the RV arc its cavity closes: `widths` runs from the end inward (the
    /// outermost sample first, its outer edge half a sample beyond its centre). The samples within `rvTaperDegrees`
    /// of the end narrower than half the arc's middle width (the taper towards the insertion, where the RV free wall
    /// meets the LV epicardium) are fitted with a line in angle by least squares; its zero beyond the end is the
    /// insertion, held between the end and `rvTaperMaxExtensionDegrees` beyond it. 0 when the cavity does not taper.
    public static func taperExtension(widths: [Double], middleWidth: Double, stepDegrees: Double, settings: Settings) -> Double {
        let reach = min(widths.count / 4, Int(settings.rvTaperDegrees / stepDegrees))
        guard reach >= 2, middleWidth > 0 else { return 0 }
        var m = 0
        while m < reach && widths[m] < 0.5 * middleWidth { m += 1 }
        m = max(m, 2)
        let k = (0..<m).map(Double.init), y = Array(widths.prefix(m))
        let kMean = k.reduce(0, +) / Double(m), yMean = y.reduce(0, +) / Double(m)
        let sxy = zip(k, y).reduce(0) { $0 + ($1.0 - kMean) * ($1.1 - yMean) }
        let sxx = k.reduce(0) { $0 + ($1 - kMean) * ($1 - kMean) }
        guard sxx > 0, sxy > 0 else { return 0 }
        let slope = sxy / sxx
        let zero = kMean - yMean / slope          // sample coordinate where the width reaches zero
        return clamp(-0.5 - zero, 0, settings.rvTaperMaxExtensionDegrees / stepDegrees)
    }

    /// The groove-fat cut at the start and at the end of the arc (`trimGrooveFat`), each nil without fat there.
    static func grooveFatCuts(peak: [Float], arcStart: Int, arcLength: Int, settings: Settings) -> (Double?, Double?) {
        let n = peak.count
        guard arcLength >= 8 else { return (nil, nil) }
        let step = 360 / Double(n)
        let at = { (i: Int) in Double(peak[((arcStart + i) % n + n) % n]) }
        let middle = (arcLength / 4..<(arcLength - arcLength / 4)).map(at)
        let blood = Stats.median(middle)
        guard blood > 0 else { return (nil, nil) }
        let limit = settings.grooveFatBrightnessRatio * blood
        let reach = min(arcLength / 4, Int(settings.maxGrooveFatDegrees / step))
        let window = max(1, Int((settings.rvTipSearchDegrees / step).rounded()))
        /// Cut from one end, `value(k)` the k-th sample from it.
        func cut(_ value: (Int) -> Double) -> Double? {
            guard let fat = (0..<reach).last(where: { value($0) > limit }) else { return nil }
            let search = (fat + 1)..<min(fat + 1 + window, arcLength / 2)
            guard !search.isEmpty else { return Double(fat + 1) }
            let fade = search.first { value($0) <= blood } ?? search.lowerBound
            let tip = search.min { (value($0 - 1) + value($0) + value($0 + 1)) < (value($1 - 1) + value($1) + value($1 + 1)) }!
            return 0.5 * (Double(fade) + Double(tip)) + 0.5
        }
        return (cut(at), cut({ at(arcLength - 1 - $0) }))
    }

    private static func circularMedian(_ a: [Double]) -> Double {
        let c = a.reduce(SIMD2<Double>(0, 0)) { $0 + SIMD2(cos(radians($1)), sin(radians($1))) }
        let mean = degrees(atan2(c.y, c.x))
        return wrapDegrees(mean + Stats.median(a.map { angleDifferenceDegrees($0, mean) }))
    }
}

extension LVGeometry {
    /// The largest LV cavity (mm2) at a phase: over the slices whose contour is the LV cavity whole, not the contour
    /// of a slice left out (round the atrium above the base), leaked through the valve plane or partly left.
    static func largestLVCavityMm2(walls: [WallTracker.SliceWall], frame t: Int) -> Double {
        walls.filter { $0.isWholeLVCavity(frame: t) }.map { $0.cavityAreaMm2(frame: t) }.max() ?? 0
    }

    /// The LV long axis (base to apex): the least-squares line through the end-diastolic cavity centres of the
    /// slices that cut the LV whole (cavity at least `longAxisMinAreaFraction` of the largest, so not the oblique
    /// apical tip), when at least three do and it lies within `longAxisMaxTiltDegrees` of the stack normal; else
    /// the stack normal. An operator plans the short-axis stack from long-axis views, near the long axis but not on
    /// it (Kramer et al., JCMR 2020;22:17, standardised protocols), so the stack normal is only a first guess.
    static func longAxis(walls: [WallTracker.SliceWall], frame ed: Int, stackAxis: Vec3, settings: Settings) -> Vec3 {
        guard settings.fitLongAxis else { return stackAxis }
        let areas = walls.map { $0.cavityAreaMm2(frame: ed) }
        let isLVCavity = { (s: Int) in walls[s].isWholeLVCavity(frame: ed) }
        let largest = largestLVCavityMm2(walls: walls, frame: ed)
        let used = walls.indices.filter { s in isLVCavity(s) && areas[s] >= settings.longAxisMinAreaFraction * largest }
        guard used.count >= 3 else { return stackAxis }
        let points = used.map { walls[$0].plane.patient(walls[$0].centres[ed]) }
        let mean = points.reduce(Vec3.zero, +) / Double(points.count)
        // Principal direction of the centres by power iteration on their scatter matrix, started on the stack axis.
        var c = [[Double]](repeating: [0, 0, 0], count: 3)
        for p in points {
            let d = [p.x - mean.x, p.y - mean.y, p.z - mean.z]
            for i in 0..<3 { for j in 0..<3 { c[i][j] += d[i] * d[j] } }
        }
        var v = stackAxis
        for _ in 0..<100 {
            let w = Vec3(c[0][0] * v.x + c[0][1] * v.y + c[0][2] * v.z,
                         c[1][0] * v.x + c[1][1] * v.y + c[1][2] * v.z,
                         c[2][0] * v.x + c[2][1] * v.y + c[2][2] * v.z)
            guard w.length > 1e-12 else { return stackAxis }
            v = w.normalized
        }
        if v.dot(stackAxis) < 0 { v = -v }
        let tilt = acos(min(1, v.dot(stackAxis))) * 180 / .pi
        return tilt <= settings.longAxisMaxTiltDegrees ? v : stackAxis
    }

    /// Decides what each contour of the basal half of the stack (`walls` ordered base to apex) encloses at each phase
    /// (`BasalSlices`), with continuity along the stack (basal to an atrium slice is atrium), and marks the phases
    /// again: an atrium contour no longer cuts the LV; an outflow tract or partly left one does even where the
    /// tracker found no closed ring. Returns a note when some slice is not whole LV at some phase.
    static func decideBasalContent(_ walls: inout [WallTracker.SliceWall], cine: ImageVolume<Float>, settings: Settings) -> String? {
        let frames = cine.frames
        for s in walls.indices {
            walls[s].content = [BasalSlices.Content](repeating: .lvCavity, count: frames)
            walls[s].areaFraction = [Double](repeating: 1, count: frames)
            walls[s].leaked = [Bool](repeating: false, count: frames)
        }
        guard settings.basalSliceDecision, !walls.isEmpty else { return nil }
        // End-diastolic reference: the phase of largest summed cavity area; the reference wall is its median.
        let total = (0..<frames).map { t in walls.reduce(0.0) { $0 + $1.cavityAreaMm2(frame: t) } }
        let ref = total.indices.max { total[$0] < total[$1] }!
        let referenceWall = Stats.median(walls.flatMap { w in zip(w.epi[ref], w.endo[ref]).map { $0 - $1 } })
        let basal = 0..<((walls.count + 1) / 2)
        for s in walls.indices {
            let w = walls[s]
            let myocardial = (0..<frames).map { t -> [Bool] in
                let image = PlaneImage(volume: cine, slice: w.slice, frame: t)
                return BasalSlices.myocardialRays(centre: w.centres[t], endo: w.endo[t], referenceWallMm: referenceWall,
                                                  blood: w.bloodLevel, myocardium: w.myocardiumLevel, dark: w.darkLevel,
                                                  settings: settings.basal, sample: { image.sample($0) })
            }
            walls[s].myocardialRing = [Bool](repeating: false, count: frames)
            for t in 0..<frames {
                let d = BasalSlices.decide(myocardial: myocardial[t], atEndDiastole: myocardial[ref], endo: w.endo[t],
                                           settings: settings.basal)
                // Myocardium all round, whether or not an epicardial edge was found (every slice).
                walls[s].myocardialRing[t] = d.content == .lvCavity
                // What the contour encloses (the basal half only: the base does not reach the apical half).
                guard basal.contains(s) else { continue }
                walls[s].content[t] = d.content
                walls[s].areaFraction[t] = d.areaFraction
            }
        }
        // Contour leak through the valve plane: far larger than the slice below it. The leaked contour says nothing
        // about what the slice cuts, so the wall is sought again on this slice's image near the apical neighbour's
        // contour at the same phase (continuity along the stack; `BasalSlices.leakProbe`): myocardium all round is
        // LV cavity, the probe's contour; an arc that the base has partly left counts the chord part of it; no
        // myocardium round it is atrium (or aortic root).
        let leakRatio = settings.basal.maxAreaRatioToApicalNeighbour
        if leakRatio > 0 {
            // From the apex towards the base, so that a slice above a leaked one is compared with what that one's
            // LV was taken to be (its probe contour and area), not with its leaked contour.
            var refEndo = walls.map { $0.endo }, refCentres = walls.map { $0.centres }
            var refArea = walls.map { w in (0..<frames).map { w.cavityAreaMm2(frame: $0) } }
            for s in basal.reversed() where s + 1 < walls.count {
                let here = walls[s]
                let endoBelow = refEndo[s + 1], centresBelow = refCentres[s + 1]
                let centresNext = s + 2 < walls.count ? refCentres[s + 2] : nil
                // The LV centre on this slice: extrapolated from the two slices below (a stack tilted from the long
                // axis moves it from slice to slice), else the neighbour's.
                let probeCentre = { (t: Int) -> SIMD2<Double> in
                    guard let centresNext else { return centresBelow[t] }
                    return 2 * centresBelow[t] - centresNext[t]
                }
                // The ring sought along each ray near the neighbour's contour (`BasalSlices.leakProbe`).
                let probe = { (t: Int) -> (myocardial: [Bool], endo: [Double]) in
                    let image = PlaneImage(volume: cine, slice: here.slice, frame: t)
                    return BasalSlices.leakProbe(centre: probeCentre(t), guide: endoBelow[t], referenceWallMm: referenceWall,
                                                 blood: here.bloodLevel, myocardium: here.myocardiumLevel, dark: here.darkLevel,
                                                 settings: settings.basal, sample: { image.sample($0) })
                }
                var probeED: [Bool]? = nil
                for t in 0..<frames {
                    // The expected cross-section continues the trend of the two slices below (the LV widens
                    // towards its equator, faster in its apical half), and is at least the neighbour's.
                    let area = walls[s].cavityAreaMm2(frame: t), below = refArea[s + 1][t]
                    let expected = s + 2 < walls.count ? max(below, 2 * below - refArea[s + 2][t]) : below
                    guard below > 0 && area > leakRatio * expected else { continue }
                    if probeED == nil { probeED = probe(ref).myocardial }
                    let found = probe(t)
                    let d = BasalSlices.decide(myocardial: found.myocardial, atEndDiastole: probeED!, endo: found.endo,
                                               settings: settings.basal)
                    let probeArea = WallTracker.enclosedAreaMm2(radii: found.endo)
                    walls[s].leaked[t] = true
                    walls[s].content[t] = d.content == .atrium ? .atrium : .partlyLeft
                    walls[s].areaFraction[t] = d.areaFraction * probeArea / area
                    refEndo[s][t] = found.endo
                    refCentres[s][t] = probeCentre(t)
                    refArea[s][t] = probeArea
                }
            }
        }
        // A basal ring that thins while the LV thickens: the base has left the slice (`minSystolicWallRatio`).
        if let minRatio = settings.basal.minSystolicWallRatio, walls.count >= 3 {
            let thickness = walls.map { w in (0..<frames).map { t in Stats.median(zip(w.epi[t], w.endo[t]).map { $0 - $1 }) } }
            let mid = (walls.count / 3)..<max(walls.count / 3 + 1, 2 * walls.count / 3)
            for t in 0..<frames where t != ref {
                let midRatios = mid.compactMap { s in thickness[s][ref] > 0 ? thickness[s][t] / thickness[s][ref] : nil }
                guard !midRatios.isEmpty, Stats.median(midRatios) > 1 else { continue }
                // A leaked contour's wall is not the ring judged (the leak probe's is): those stay as decided.
                for s in basal where walls[s].content[t] != .atrium && !walls[s].leaked[t] && !walls[s].leaked[ref]
                    && thickness[s][ref] > 0
                    && thickness[s][t] < minRatio * thickness[s][ref] {
                    walls[s].content[t] = .atrium; walls[s].areaFraction[t] = 0
                }
            }
        }
        for t in 0..<frames {
            if let a = basal.last(where: { walls[$0].content[t] == .atrium }) {
                for s in 0..<a { walls[s].content[t] = .atrium; walls[s].areaFraction[t] = 0 }
            }
        }
        for s in walls.indices { walls[s].markValidPhases(settings: settings) }
        var counts: [BasalSlices.Content: Int] = [:]
        for s in basal { for c in walls[s].content where c != .lvCavity { counts[c, default: 0] += 1 } }
        guard !counts.isEmpty else { return nil }
        let leaked = walls.reduce(0) { $0 + $1.leaked.filter { $0 }.count }
        return "basal slices not whole LV (slice-phases): "
            + [BasalSlices.Content.outflowTract, .partlyLeft, .atrium].compactMap { c in counts[c].map { "\(c.rawValue) \($0)" } }
                .joined(separator: ", ")
            + (leaked > 0 ? "; \(leaked) contour(s) leaked through the valve plane, judged with the slice below" : "")
    }
}

extension WallTracker.SliceWall {
    /// Whether the contour ran through the valve plane at a phase: its radii are not the LV wall's (`leaked`).
    func contourLeaked(frame t: Int) -> Bool { !leaked.isEmpty && leaked[t] }

    /// Whether the contour at a phase is the LV cavity whole (valid, decided LV cavity by `BasalSlices`).
    func isWholeLVCavity(frame t: Int) -> Bool {
        valid[t] && (content.isEmpty || content[t] == .lvCavity)
    }

    /// Marks the phases at which this slice still cuts the LV (see `LVGeometry.Settings.minCavityAreaFraction`): a
    /// closed ring (an epicardial border found all round, or, on a slice whose epicardium has no edge at most phases,
    /// myocardium just outside the endocardium all round: `myocardialRing`), or a contour `BasalSlices` calls outflow
    /// tract or partly left; not atrium, a cavity and a plausible wall.
    mutating func markValidPhases(settings: LVGeometry.Settings) {
        let areas = endo.indices.map { cavityAreaMm2(frame: $0) }
        let maxArea = areas.max() ?? 0
        let thickness = endo.indices.map { t in Stats.median(zip(epi[t], endo[t]).map { $0 - $1 }) }
        let reference = thickness.first ?? 0
        // A slice whose epicardium has no edge at most phases (the wall against liver or chest wall as bright as
        // myocardium) is judged by the myocardium just outside its endocardium instead; elsewhere a phase without
        // the epicardium all round stays out (its wall, and so its strain, would be guessed).
        let edgeless = !myocardialRing.isEmpty && 2 * closed.filter { !$0 }.count > closed.count
        valid = endo.indices.map { t in
            let decided = content.isEmpty ? BasalSlices.Content.lvCavity : content[t]
            let ring = closed[t] || (edgeless && myocardialRing[t])
            return (ring || decided == .outflowTract || decided == .partlyLeft) && decided != .atrium
                && areas[t] >= settings.minCavityAreaFraction * maxArea
                && thickness[t] <= settings.maxThicknessRatio * reference
        }
    }
}
