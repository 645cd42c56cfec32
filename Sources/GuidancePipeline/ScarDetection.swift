import CRTCore
import Foundation
import SegmentModel

/// Stage 2: scar on LGE (DOMAIN.md section 1 item 2).
///
/// The LV myocardium on the LGE grid comes from the cine contours at the cine phase nearest the LGE trigger time,
/// carried through patient coordinates (so the LGE may have its own geometry). Within it:
/// - `fwhm` (default): scar is every myocardial voxel at or above `thresholdFraction` of the brightest one;
/// - `nSD`: scar is at or above the remote median + `nSD` x robust SD.
/// Candidates must also lie `candidateFloorSDs` above their slice's remote level. A presence gate keeps only connected
/// scar clusters (6-connected across slices) whose mean exceeds the remote level of their slices + `gateSDs` x the
/// within-slice SD and whose core within the inner part of the wall is at least `minClusterVolumeMl`: on scar-free LGE
/// the remote myocardium is nulled, the brightest voxel is noise, and FWHM alone would label about a tenth of the wall.
/// Remote statistics come from the myocardial voxels away from the borders: per slice, a Theil-Sen line through the
/// slices' medians, and the median of the slices' MAD-based SDs (the remote null drifts from one breath-hold to the
/// next, docs/pipeline.md "Remote level per slice (scar)"). An erase mask (non-zero voxels on
/// the LGE grid) removes voxels the operator rejects (e.g. blood wrongly included).
public struct ScarDetection: Sendable {
    public enum Method: String, Codable, Sendable, CaseIterable { case fwhm, nSD }

    public struct Settings: Codable, Sendable, Equatable {
        public init() {}
        public var method: Method = .fwhm
        /// FWHM: fraction of the brightest myocardial voxel (0-1; DOMAIN.md default 0.5).
        public var thresholdFraction = 0.5
        /// n-SD: number of robust SDs above the remote median (DOMAIN.md 2-6).
        public var nSD = 5.0
        /// Presence gate: a cluster core's mean must exceed the remote level of its slices + gateSDs x the within-slice SD.
        public var gateSDs = 5.0
        /// Candidate voxels must also exceed the remote level of their own slice by this many within-slice SDs (the
        /// lowest n of the published n-SD thresholds, 2-6 SD: docs/pipeline.md "Remote level per slice (scar)"). FWHM
        /// assumes nulled remote myocardium; where the TI was short for a slice (gadolinium washing out while the TI is
        /// not re-adjusted, slice after slice), the remote wall of that slice lies above half the brightest voxel.
        public var candidateFloorSDs = 2.0
        /// Slices with fewer inner myocardial voxels than this give no remote level of their own (the line through
        /// the other slices' levels is used).
        public var minSliceVoxelsForRemote = 20
        /// Presence gate: smallest cluster kept (mL), counting its core within the inner `subendocardialDepth` of the wall.
        public var minClusterVolumeMl = 0.2
        /// Voxels whose centre lies closer than this many pixels to the endo- or epicardial border share their volume
        /// with blood or fat (both bright on LGE): they can be scar but never set the brightest level, the remote
        /// statistics or pass the presence gate alone.
        public var partialVolumeMarginPixels = 0.75
        /// Presence gate: a cluster's mean (away from the borders) must reach this multiple of the LV blood-pool
        /// median on LGE. Blood that spills into the wall by partial volume is darker than blood; scar is about as
        /// bright as blood on bright-blood LGE 10-15 minutes after contrast (blood T1 close to infarct T1: Lee et al.,
        /// JCMR 2013;15:11; Holtackers et al., JCMR 2021;23:96), not brighter. A FWHM cluster holds every voxel from
        /// half its brightest up, so its mean is about three quarters of the brightest, i.e. of the blood level;
        /// with room for noise and coil shading across the LV the gate is 0.65 (it was 0.8, which rejected the thin
        /// subendocardial scars of 6 of 12 clinical ischaemic `standard` patients, their clusters at 0.70-0.80 of
        /// the blood level, while the blood carried into the mask at the base that the gate was raised against is
        /// now kept out by the alignment rules below).
        public var minScarToBloodRatio = 0.65
        /// Border voxels (within the partial-volume margin) at or above this multiple of the blood level are scar;
        /// nil (default): the level never makes a border voxel scar, only inner scar beside it does
        /// (`borderVoxelFromInnerScar`). Scar is about as bright as blood on bright-blood LGE, not brighter (see
        /// `minScarToBloodRatio`), so a border voxel at the blood level is as likely the blood pool itself: a mask a
        /// voxel off after the breath-hold alignment, on the LV cavity or, at the septum, on the RV cavity (blood there
        /// often brighter, nearer the coils). It was 1.0: on the kept cases (CMR-only re-analysis) nil took blood
        /// voxels out of the scar on 5 of 18 scarred `standard` patients, 9 of 17 `misregistration-3mm` and 6 of 16
        /// `anatomy-variation` ones (scar burden error lower on nearly all, scarred-segment kappa up on 4), no change on
        /// `advise-cohort`. Absent from analysis.json when nil.
        public var borderVoxelBloodRatio: Double? = nil
        /// Border voxels are also scar when their in-plane neighbour nearest mid-wall is scar away from the borders
        /// (scar reaching the endo- or epicardium from within the wall, whatever its level against blood).
        public var borderVoxelFromInnerScar = true
        /// Align each LGE slice to the cine contours in-plane (breath-holds differ between the series): the shift
        /// within +-`alignmentRangeMm` that makes the cine cavity most uniformly blood on LGE (smallest mean absolute
        /// difference from the blood median): dark remote wall and bright scar inside the cavity both cost, so scar
        /// cannot pull the cavity onto itself.
        public var alignToCine = true
        /// Presence gate: a cluster must hold `minClusterVolumeMl` of its core within the inner `subendocardialDepth`
        /// of the wall (ischaemic scar grows from the endocardium); epicardial fat and coronary veins, bright on LGE, lie
        /// at the other side.
        /// Set to 1 to accept mid-wall and epicardial scar.
        public var subendocardialDepth = 0.5
        /// An LGE slice of the basal half of the stack with more than this fraction of its myocardial voxels above the
        /// threshold is not LV wall
        /// (blood carried into the mask at the base) and leaves the mask: one coronary territory covers at most about
        /// half of a short-axis slice's circumference (Cerqueira et al., Circulation 2002;105:539, territories of the
        /// 17 segments: two of six basal and mid sectors each for the LAD, RCA and LCx), so a real infarct leaves nulled
        /// wall in the slice. Applies to slices with at least `minSliceVoxelsForExclusion` wall voxels; 1 turns it off.
        public var maxSliceScarFraction = 0.7
        public var minSliceVoxelsForExclusion = 30
        /// Leave out of the mask the points on the atrial side of the mitral annulus plane at the LGE's cine phase,
        /// when the long-axis views gave one (`LVGeometry.annulusPlanes`): the basal LGE slice may cut the atrium and
        /// the atrioventricular groove (blood and fat, both bright on LGE) inside the contour carried from the
        /// slice below.
        public var clipAtMitralAnnulus = true
        /// Voxels whose slab (slice thickness across, a pixel in plane) the mitral annulus plane cuts are border
        /// voxels: atrial blood and atrioventricular groove fat, both bright on LGE, share them (needs
        /// `clipAtMitralAnnulus` and the long-axis views' annulus).
        public var annulusSlabIsBorder = true
        /// In-plane search range (mm, either way along each LGE axis) and its step.
        public var alignmentRangeMm = 6.0
        public var alignmentStepMm = 0.5
        /// When the best in-plane shift lies at the edge of the range, the in-plane search is repeated over this range
        /// (mm; nil: not), first at `alignmentCoarseStepMm`, then refined at
        /// `alignmentStepMm`, and the better shift is kept. Breath-hold positions of the heart differ by a few mm SD
        /// per axis and series (Holland et al., Radiology 1998;209:483; McLeish et al., IEEE TMI 2002;21:1142), so a
        /// cine slice and an LGE slice can differ by several mm per axis; 12 mm covers three SDs of 4 mm. Searching
        /// 12 mm everywhere (in-plane and through-plane) found false optima on slices that needed little shift
        /// (scarred-segment kappa on the kept `standard` cases 0.816 -> 0.785), so the wide search runs only where
        /// the narrow one ends at its in-plane edge (through-plane, widening moved apical slices onto far contours).
        public var extendedRangeMm: Double? = 12.0
        public var alignmentCoarseStepMm = 1.0
        /// Also search the LGE slice's through-plane shift, within +-`throughPlaneRangeMm` in steps of
        /// `throughPlaneStepMm` (the cine contours interpolated between slices, `ContourStack`).
        public var alignThroughPlane = true
        public var throughPlaneRangeMm = 6.0
        public var throughPlaneStepMm = 1.0
        /// Width of the angular bins over which transmurality is measured (degrees).
        public var transmuralityBinDegrees = 10.0
        /// FWHM: the reference the operator takes, as a fraction of the brightest inner myocardial signal (nil or
        /// 1: the brightest voxel itself). An operator who takes the maximum within a reference region of their own
        /// choosing gets a level at or below the brightest voxel (a second observer, `Scenario.Observer`); the
        /// threshold is `thresholdFraction` x this x the brightest signal. Absent from analysis.json when nil.
        public var referenceScale: Double? = nil
    }

    /// Scar per voxel of the LGE grid (1 scar, after the presence gate), and the LV myocardium on the LGE grid as
    /// 36-segment ids per voxel (0 outside): the mask the threshold is applied in.
    public internal(set) var scarMask: ImageVolume<UInt8>
    public internal(set) var segmentMap: ImageVolume<UInt8>
    var scarFraction: [Double?]
    var transmurality: [Double?]
    var burdenPercent: Double
    var present: Bool
    var status: String
    /// The brightest myocardial LGE signal away from the borders: the reference of the FWHM threshold (signal units).
    public internal(set) var brightestSignal: Double
    var thresholdSignal: Double
    var remoteMedian: Double, remoteSD: Double
    /// Remote level of each LGE slice and the SD within a slice (docs/pipeline.md "Remote level per slice (scar)").
    var remoteLevelBySlice: [Double], remoteSliceSD: Double
    var myocardialVolumeMl: Double
    /// In-plane shift applied to each LGE slice to align it with the cine contours (LGE column, row axes; mm).
    var alignmentShiftsMm: [[Double]]
    /// Through-plane shift of each LGE slice (mm along the LGE slice normal, column x row axes).
    var alignmentThroughPlaneMm: [Double]

    /// `lgeSliceThicknessMm`: the LGE's nominal slice thickness (DICOM SliceThickness); nil takes the slice spacing.
    static func detect(lge: ImageVolume<Float>, geometry g: LVGeometry, cineTimesMs: [Double], lgeTimeMs: Double,
                       lgeSliceThicknessMm: Double? = nil, erase: ImageVolume<Float>?,
                       settings: Settings) throws -> ScarDetection {
        let frame = cineTimesMs.indices.min { abs(cineTimesMs[$0] - lgeTimeMs) < abs(cineTimesMs[$1] - lgeTimeMs) } ?? 0
        let (w, h, ns) = (lge.grid.size[0], lge.grid.size[1], lge.grid.size[2])
        if let e = erase, e.grid.size != lge.grid.size {
            throw InputError("erase mask: size \(e.grid.size) differs from lge.nii.gz \(lge.grid.size)")
        }
        let binCount = max(1, Int((360 / settings.transmuralityBinDegrees).rounded()))
        var segment = [UInt8](repeating: 0, count: w * h * ns)
        var bin = [Int32](repeating: -1, count: w * h * ns)
        var inner = [Bool](repeating: false, count: w * h * ns)
        var depth = [Float](repeating: 1, count: w * h * ns)
        var bloodValues: [Double] = []
        let marginMm = settings.partialVolumeMarginPixels * max(lge.grid.spacingMm[0], lge.grid.spacingMm[1])
        let contours = ContourStack(geometry: g, frame: frame)
        let annulus = settings.clipAtMitralAnnulus ? g.annulusPlanes?[frame] : nil
        let shifts = settings.alignToCine ? alignmentShifts(lge: lge, contours: contours, settings: settings)
                                          : [SIMD3<Double>](repeating: .zero, count: ns)
        // A voxel averages its slab (the slice thickness across, a pixel in plane): where the mitral annulus plane
        // cuts the slab, atrial blood and groove fat (both bright on LGE) share the voxel, as blood does at the
        // endocardium, so it is a border voxel (`inner` false). Half the slab's extent along the annulus normal:
        let thicknessMm = lgeSliceThicknessMm ?? lge.grid.spacingMm[2]
        let annulusHalfSlabMm: Double = !settings.annulusSlabIsBorder ? 0 : annulus.map { a in
            let plane = SlicePlane(grid: lge.grid, slice: 0)
            return (thicknessMm * abs(plane.normal.dot(a.normal)) + plane.dxMm * abs(plane.axisColumns.dot(a.normal))
                    + plane.dyMm * abs(plane.axisRows.dot(a.normal))) / 2
        } ?? 0
        for k in 0..<ns {
            let lgePlane = SlicePlane(grid: lge.grid, slice: k)
            for j in 0..<h { for i in 0..<w {
                // The heart point this LGE voxel shows: the breath-hold moved the heart by the slice's shift.
                let p = lgePlane.patient(lgePlane.position(i, j) - SIMD2(shifts[k].x, shifts[k].y)) - lgePlane.normal * shifts[k].z
                guard let c = contours.at(p) else { continue }
                // Atrial side of the mitral annulus (long-axis views, at the cine phase of the LGE): not LV wall,
                // whatever contour a basal slice carried there.
                let annulusDistanceMm = annulus.map { (p - $0.centreMm).dot($0.normal) } ?? .infinity
                if annulusDistanceMm < 0 { continue }
                let s = c.nearestSlice
                let rho = c.rho, en = c.endoMm, ep = c.epiMm, x = c.rayCoordinate
                let rays = g.walls[s].rayCount
                let idx = (k * h + j) * w + i
                if rho < en - marginMm { bloodValues.append(Double(lge.data[idx])) }
                guard rho >= en, rho <= ep else { continue }
                if let e = erase, e.data[idx] != 0 { continue }
                let rNearest = Int(x.rounded()) % rays
                segment[idx] = UInt8(g.segmentIds[s][rNearest])
                guard segment[idx] > 0 else { continue }
                if g.settings.ringPerPoint, let ring = g.settings.rings.ring(forFraction: g.ringFraction(of: p)) {
                    // The voxel's own ring (its height, not that of the cine ray it lies on).
                    segment[idx] = UInt8(Segment36.sectorsPerRing * ring + Segment36(Int(segment[idx]))!.sectorIndex + 1)
                }
                inner[idx] = rho >= en + marginMm && rho <= ep - marginMm && annulusDistanceMm >= annulusHalfSlabMm
                depth[idx] = Float((rho - en) / max(ep - en, 1e-6))
                let angle = g.rayAngle(rNearest, rays: rays)
                bin[idx] = Int32(s * binCount + min(binCount - 1, Int(angle / settings.transmuralityBinDegrees)))
            } }
        }
        var myoIdx: [Int] = [], values: [Double] = []
        var remoteMedian = 0.0, remoteSD = 1e-12, brightest = 0.0, threshold = 0.0
        // Remote level per slice and the noise within a slice: each LGE slice is its own breath-hold, and with the
        // TI not re-adjusted as gadolinium washes out the remote myocardium's null drifts from slice to slice
        // (docs/pipeline.md "Remote level per slice (scar)"), so the stack's median and SD mix that drift with the noise.
        var remoteBySlice = [Double](repeating: 0, count: ns), sliceSD = 1e-12
        func measureRemote() throws {
            myoIdx = segment.indices.filter { segment[$0] > 0 }
            guard myoIdx.count >= 10 else {
                throw InputError("lge.nii.gz: the LV myocardium from cine covers \(myoIdx.count) LGE voxels; the LGE stack "
                    + "does not overlap the cine LV")
            }
            var innerIdx = myoIdx.filter { inner[$0] }
            if innerIdx.count < 10 { innerIdx = myoIdx }
            values = innerIdx.map { Double(lge.data[$0]) }
            remoteMedian = Stats.median(values); remoteSD = max(Stats.robustSD(values), 1e-12)
            (remoteBySlice, sliceSD) = remoteLevels(innerIdx, sliceCount: ns, voxelsPerSlice: w * h)
            brightest = values.max()!
            threshold = settings.method == .fwhm ? settings.thresholdFraction * (settings.referenceScale ?? 1) * brightest
                                                 : remoteMedian + settings.nSD * remoteSD
        }
        func remoteLevels(_ idx: [Int], sliceCount: Int, voxelsPerSlice: Int) -> ([Double], Double) {
            var perSlice = [[Double]](repeating: [], count: sliceCount)
            for i in idx { perSlice[i / voxelsPerSlice].append(Double(lge.data[i])) }
            let measured = perSlice.indices.filter { perSlice[$0].count >= settings.minSliceVoxelsForRemote }
            guard measured.count >= 3 else { return ([Double](repeating: remoteMedian, count: sliceCount), remoteSD) }
            let line = Stats.theilSen(x: measured.map(Double.init), y: measured.map { Stats.median(perSlice[$0]) })
            let sd = Stats.median(measured.map { Stats.robustSD(perSlice[$0]) })
            return ((0..<sliceCount).map { line.intercept + line.slope * Double($0) }, max(sd, 1e-12))
        }
        func isCandidate(_ i: Int) -> Bool {
            let v = Double(lge.data[i])
            return v >= threshold && v >= remoteBySlice[i / (w * h)] + settings.candidateFloorSDs * sliceSD
        }
        try measureRemote()
        // A slice whose "myocardium" is nearly all above threshold shows no nulled wall at all: the cine contours
        // were carried onto blood (the atrium or the outflow tract above a base that the LGE breath-hold moved), not
        // onto an LV wall, since no single coronary territory scars the whole circumference of a basal slice. Such
        // slices leave the mask, and the levels are measured again without them. Only the basal half of the stack:
        // towards the apex an infarct may wrap round the whole circumference (apical LAD infarct).
        var excludedSlices: [Int] = []
        for k in 0..<((ns + 1) / 2) {
            let range = (k * w * h)..<((k + 1) * w * h)
            let wall = myoIdx.filter { range.contains($0) }
            let above = wall.filter(isCandidate).count
            if wall.count >= settings.minSliceVoxelsForExclusion && Double(above) > settings.maxSliceScarFraction * Double(wall.count) {
                excludedSlices.append(k)
                for i in wall { segment[i] = 0 }
            }
        }
        if !excludedSlices.isEmpty { try measureRemote() }
        let bloodMedian = bloodValues.isEmpty ? 0 : Stats.median(bloodValues)
        var candidate = [Bool](repeating: false, count: segment.count)
        for i in myoIdx where isCandidate(i) { candidate[i] = true }
        // Presence gate over 6-connected clusters.
        var labels = [Int32](repeating: 0, count: segment.count)
        var scar = [UInt8](repeating: 0, count: segment.count)
        let voxelMl = lge.grid.voxelVolumeMm3 / 1000
        var next: Int32 = 0, kept = 0, rejected = 0
        // The in-plane neighbour of border voxel `v` nearest mid-wall (wall depth closest to 0.5) is an inner voxel of
        // cluster `label`: scar that reaches the border from within the wall, not blood spilling along it.
        func innerScarBeside(_ v: Int, label: Int32) -> Bool {
            let i = v % w, j = (v / w) % h, k = v / (w * h)
            var best = -1, bestDistance = Float.infinity
            for dj in -1...1 { for di in -1...1 where di != 0 || dj != 0 {
                let a = i + di, b = j + dj
                guard a >= 0, b >= 0, a < w, b < h else { continue }
                let u = (k * h + b) * w + a
                guard segment[u] > 0 else { continue }
                let d = abs(depth[u] - 0.5)
                if d < bestDistance { bestDistance = d; best = u }
            } }
            return best >= 0 && inner[best] && labels[best] == label
        }
        for start in myoIdx where candidate[start] && labels[start] == 0 {
            next += 1
            var members: [Int] = [], stack = [start]
            labels[start] = next
            while let v = stack.popLast() {
                members.append(v)
                let i = v % w, j = (v / w) % h, k = v / (w * h)
                for (di, dj, dk) in [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)] {
                    let a = i + di, b = j + dj, c = k + dk
                    guard a >= 0, b >= 0, c >= 0, a < w, b < h, c < ns else { continue }
                    let u = (c * h + b) * w + a
                    if candidate[u] && labels[u] == 0 { labels[u] = next; stack.append(u) }
                }
            }
            let core = members.filter { inner[$0] }
            let mean = core.reduce(0.0) { $0 + Double(lge.data[$1]) } / Double(max(1, core.count))
            let meanAboveRemote = core.reduce(0.0) { $0 + Double(lge.data[$1]) - remoteBySlice[$1 / (w * h)] }
                / Double(max(1, core.count))
            // The volume gate counts the core's subendocardial part only: a cluster of fat or vein at the
            // epicardium (partial volume, or an epicardial contour a voxel too far out) must not pass on one
            // marginal voxel that reaches the inner wall in the next slice.
            let subendocardialCore = core.filter { Double(depth[$0]) <= settings.subendocardialDepth }.count
            if !core.isEmpty && meanAboveRemote >= settings.gateSDs * sliceSD
                && mean >= settings.minScarToBloodRatio * bloodMedian
                && Double(subendocardialCore) * voxelMl >= settings.minClusterVolumeMl {
                // Voxels at the borders may be blood (endocardium, RV side of the septum) or fat: there scar is what
                // reaches the border from inner scar of the cluster (and, when set, a level of `borderVoxelBloodRatio`).
                for m in members where inner[m] || settings.borderVoxelBloodRatio.map({ Double(lge.data[m]) >= $0 * bloodMedian }) == true
                    || (settings.borderVoxelFromInnerScar && innerScarBeside(m, label: next)) { scar[m] = 1 }
                kept += 1
            } else { rejected += 1 }
        }
        var myoCount = [Int](repeating: 0, count: 37), scarCount = [Int](repeating: 0, count: 37)
        var binMyo: [Int32: Int] = [:], binScar: [Int32: Int] = [:], binSegment: [Int32: Int] = [:]
        for i in myoIdx {
            let s = Int(segment[i])
            myoCount[s] += 1; scarCount[s] += Int(scar[i])
            binMyo[bin[i], default: 0] += 1; binScar[bin[i], default: 0] += Int(scar[i]); binSegment[bin[i]] = s
        }
        var transW = [Double](repeating: 0, count: 37), transN = [Double](repeating: 0, count: 37)
        // Sorted bins: Dictionary order changes from run to run, and the sum's last bit with it.
        for b in binMyo.keys.sorted() {
            let m = binMyo[b]!
            guard m > 0 else { continue }
            let s = binSegment[b]!
            transW[s] += Double(binScar[b] ?? 0) / Double(m); transN[s] += 1
        }
        let totalScar = scar.reduce(0) { $0 + Int($1) }
        let present = kept > 0
        var status = present
            ? "scar found: \(kept) cluster(s) passed the presence gate (\(rejected) rejected)"
            : "no scar: no cluster above the \(settings.method.rawValue) threshold passed the presence gate "
              + "(mean >= remote + \(settings.gateSDs) SD, >= \(settings.minScarToBloodRatio) x blood, >= \(settings.minClusterVolumeMl) mL)"
        if !excludedSlices.isEmpty {
            status += "; LGE slice(s) \(excludedSlices.map { String($0 + 1) }.joined(separator: ", ")) left out: more than "
                + "\(Int(settings.maxSliceScarFraction * 100)) % of the wall above threshold (blood, not wall)"
        }
        return ScarDetection(
            scarMask: ImageVolume(grid: lge.grid, data: scar),
            segmentMap: ImageVolume(grid: lge.grid, data: segment),
            scarFraction: (1...36).map { myoCount[$0] > 0 ? Double(scarCount[$0]) / Double(myoCount[$0]) : nil },
            transmurality: (1...36).map { transN[$0] > 0 ? transW[$0] / transN[$0] : nil },
            burdenPercent: 100 * Double(totalScar) / Double(myoIdx.count), present: present, status: status,
            brightestSignal: brightest, thresholdSignal: threshold, remoteMedian: remoteMedian, remoteSD: remoteSD,
            remoteLevelBySlice: remoteBySlice, remoteSliceSD: sliceSD,
            myocardialVolumeMl: Double(myoIdx.count) * voxelMl, alignmentShiftsMm: shifts.map { [$0.x, $0.y] },
            alignmentThroughPlaneMm: shifts.map(\.z))
    }

    /// Per LGE slice, the shift (in-plane: LGE column and row axes, mm; through-plane: along the LGE normal, mm) that
    /// best lays the cine endocardium, carried in 3D (`ContourStack`), on the LGE blood-to-wall edge. Breath-holds
    /// differ between the cine slices and the LGE slice, so the LGE slice may cut the heart higher or lower than
    /// the cine slice beside it, and where the radius changes with height (base, apex) only a through-plane shift
    /// makes the contours fit (Chandler et al., JCMR 2008;10:13: inter-breath-hold slice misalignment corrected by
    /// registering each slice in 3D).
    ///
    /// The score of a shift is the median over rays of the blood-to-wall contrast across the shifted endocardium
    /// (mean LGE signal 0.5-2.5 mm inside less 0.5-2.5 mm outside): remote myocardium is nulled and blood bright,
    /// so the true border has the largest step, which a contour too small or too large for the cavity loses; scar,
    /// bright at the endocardium, lowers the step only on its own rays, which the median ignores while they are
    /// fewer than half. Ties go to the smaller shift (0.1 % of the blood level per mm). The through-plane search is
    /// skipped when `alignThroughPlane` is off.
    static func alignmentShifts(lge: ImageVolume<Float>, contours: ContourStack, settings: Settings) -> [SIMD3<Double>] {
        let ns = lge.grid.size[2]
        let rays = 72
        let inner = [-2.5, -1.5, -0.5], outer = [0.5, 1.5, 2.5]
        let directions = (0..<rays).map { r -> SIMD2<Double> in
            let t = 2 * Double.pi * Double(r) / Double(rays)
            return SIMD2(cos(t), sin(t))
        }
        let extended = max(settings.extendedRangeMm ?? 0, settings.alignmentRangeMm)
        let zSteps = settings.alignThroughPlane ? Int(settings.throughPlaneRangeMm / settings.throughPlaneStepMm) : 0
        // One job per LGE slice (each slice's search is independent; the result does not depend on scheduling).
        let shifts = ParallelOutput<SIMD3<Double>>(count: ns, initial: .zero)
        DispatchQueue.concurrentPerform(iterations: ns) { k in
            let plane = SlicePlane(grid: lge.grid, slice: k)
            let image = PlaneImage(plane: plane, pixels: Array(lge.slice(k, frame: 0)))
            let normal = plane.normal
            // The slice centre: the ContourStack there gives the vector from it to the contour centre.
            let mid = SIMD2(Double(plane.width - 1) * plane.dxMm, Double(plane.height - 1) * plane.dyMm) / 2
            // The cine contour on the plane moved by dz: its centre (LGE in-plane mm) and endocardial radius per ray,
            // from the ContourStack at the points of the moved plane.
            struct Contour { var centre: SIMD2<Double>; var endo: [Double] }
            var candidates: [(dz: Double, contour: Contour)] = []
            for c in -zSteps...zSteps {
                let dz = Double(c) * settings.throughPlaneStepMm
                guard let m = contours.at(plane.patient(mid) - normal * dz) else { continue }
                let centre = mid - m.fromCentre
                var endo: [Double] = []
                for dir in directions {
                    // Every point of a plane parallel to the cine slices has the same interpolation weights, so
                    // the contour centre is the same along the ray and the radius there is the endocardium's.
                    guard let l = contours.at(plane.patient(centre + dir) - normal * dz) else { break }
                    endo.append(l.endoMm)
                }
                if endo.count == rays { candidates.append((dz, Contour(centre: centre, endo: endo))) }
            }
            // A slice beyond the cine contours at its own position (above the base or below the last analysed
            // slice at this phase) is not moved onto them: it shows what the cine slice beside it shows, atrium,
            // groove or apical tip, and the shift it would need is more than a breath-hold gives.
            guard !candidates.isEmpty, contours.at(plane.patient(mid)) != nil else { return }
            // Blood level: the LGE signal inside the unshifted contour.
            let zero = candidates.min { abs($0.dz) < abs($1.dz) }!.contour
            var bloodSamples: [Double] = []
            for r in 0..<rays {
                for f in [0.3, 0.6] { bloodSamples.append(Double(image.sample(zero.centre + directions[r] * zero.endo[r] * f))) }
            }
            let blood = max(Stats.median(bloodSamples), 1e-12)
            var best = SIMD3<Double>.zero, bestScore = -Double.infinity
            var contrast = [Double](repeating: 0, count: rays)
            func score(_ cand: (dz: Double, contour: Contour), _ shift: SIMD2<Double>) -> Double {
                let base = cand.contour.centre + shift
                for r in 0..<rays {
                    let dir = directions[r]
                    let e = cand.contour.endo[r]
                    var inside = 0.0, outside = 0.0
                    for d in inner { inside += Double(image.sample(base + dir * max(e + d, 0))) }
                    for d in outer { outside += Double(image.sample(base + dir * (e + d))) }
                    contrast[r] = (inside - outside) / 3
                }
                let size = (shift * shift).sum() + cand.dz * cand.dz
                return Stats.median(contrast) - 0.001 * blood * size.squareRoot()
            }
            // The in-plane search around `centre` over +-`range` at `step`, for the given through-plane candidates
            // (all lie within `throughPlaneRangeMm`); first over the breath-hold range `alignmentRangeMm`.
            func search(inPlaneMm range: Double, step: Double, around centre: SIMD2<Double>, candidates indices: [Int]) {
                let n = Int((range / step).rounded(.down))
                for ci in indices {
                    for a in -n...n { for b in -n...n {
                        let shift = centre + SIMD2(Double(a), Double(b)) * step
                        let value = score(candidates[ci], shift)
                        if value > bestScore { bestScore = value; best = SIMD3(shift.x, shift.y, candidates[ci].dz) }
                    } }
                }
            }
            let all = Array(candidates.indices)
            search(inPlaneMm: settings.alignmentRangeMm, step: settings.alignmentStepMm, around: .zero, candidates: all)
            // A best in-plane shift at the edge of that range may lie beyond it: the in-plane search is repeated over
            // `extendedRangeMm`, first at `alignmentCoarseStepMm`, then at `alignmentStepMm` within one coarse step
            // of its best, and the better of the two searches is kept.
            let edge = settings.alignmentRangeMm - settings.alignmentStepMm / 2
            if extended > settings.alignmentRangeMm, abs(best.x) >= edge || abs(best.y) >= edge {
                search(inPlaneMm: extended, step: max(settings.alignmentCoarseStepMm, settings.alignmentStepMm), around: .zero,
                       candidates: all)
                let bestDz = best.z
                let near = all.filter { abs(candidates[$0].dz - bestDz) <= settings.throughPlaneStepMm + 1e-9 }
                search(inPlaneMm: settings.alignmentCoarseStepMm, step: settings.alignmentStepMm, around: SIMD2(best.x, best.y),
                       candidates: near)
            }
            shifts.range(k..<(k + 1))[0] = best
        }
        return shifts.array
    }
}
