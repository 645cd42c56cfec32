import CRTCore
import Foundation
import SegmentModel
import SurfaceMesh

/// The guidance pipeline of the paper (DOMAIN.md section 1) on CMR images alone:
/// LV geometry from cine -> scar on LGE -> tracking and radial strain -> activation -> targets -> LV mesh.
/// Input is a `CMRStudy` (cmr/ only); nothing here can reach a phantom or the generator's records.
public struct GuidancePipeline: Sendable {
    public var configuration: PipelineConfiguration
    public init(configuration: PipelineConfiguration = PipelineConfiguration()) { self.configuration = configuration }

    /// Everything the pipeline found: the analysis.json record and the intermediate products that figures and
    /// the mesh are made from.
    public struct Output: Sendable {
        public var result: AnalysisResult
        public var geometry: LVGeometry
        public var motion: SegmentMotion
        public var scar: ScarDetection
        /// Contours at ED on the base-to-apex slices, ready for `LVSurfaceBuilder`.
        public var contoursED: WallContourStack
        /// Seconds spent per stage.
        public var timings: [String: Double]
    }

    public func run(_ study: CMRStudy, operator inputs: OperatorInputs = OperatorInputs()) throws -> Output {
        var timings: [String: Double] = [:]
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            defer { timings[name] = Date().timeIntervalSince(start) }
            return try body()
        }
        let c = configuration
        let pools = try timed("localization") { try LVLocalization(settings: c.localization).locate(cine: study.cine) }
        let tracker = WallTracker(settings: c.contours)
        var walls = timed("tracking") {
            // Each slice's levels, those whose myocardium band lay on the blood-to-wall transition replaced by a
            // neighbour's (`WallTracker.stackLevels`), then the tracking.
            let measured = ParallelOutput<WallTracker.Levels?>(count: pools.count, initial: nil)
            DispatchQueue.concurrentPerform(iterations: pools.count) { i in
                measured.range(i..<(i + 1))[0] = tracker.levels(cine: study.cine, pool: pools[i])
            }
            let levels = tracker.stackLevels(measured.array.map { $0! }, slices: pools.map(\.slice))
            let out = ParallelOutput<WallTracker.SliceWall?>(count: pools.count, initial: nil)
            DispatchQueue.concurrentPerform(iterations: pools.count) { i in
                out.range(i..<(i + 1))[0] = tracker.track(cine: study.cine, pool: pools[i], levels: levels[i])
            }
            return out.array.map { $0! }
        }
        if let manual = inputs.contours {
            try manual.apply(to: &walls, frames: study.cine.frames, source: inputs.contoursSource)
        }
        if let offsets = inputs.contourOffsets { offsets.apply(to: &walls) }
        var geometry = try timed("geometry") {
            try LVGeometry.build(walls: walls, cine: study.cine, sliceThicknessMm: study.acquisition.cine.sliceThickness,
                                 settings: c.geometry,
                                 longAxis: study.longAxis.keys.sorted().map {
                                     MitralAnnulus.View(name: $0, volume: study.longAxis[$0]!, timesMs: study.longAxisTimesMs($0))
                                 },
                                 cineTimesMs: study.cineTimesMs)
        }
        if inputs.contours != nil { geometry.notes.append("contours from the operator's file on slices \(inputs.contours!.slices.map(\.sliceIndex))") }
        if inputs.contourOffsets != nil { geometry.notes.append("contours offset radially by the operator") }
        if let manual = inputs.rvInsertionPointsMm {
            guard let anterior = manual["anterior"] else {
                throw InputError("RV insertion file: key 'anterior' ([x, y, z] mm, LPS) is required")
            }
            func angles(_ p: Vec3) -> [Double] {
                geometry.walls.indices.map { s in
                    let w = geometry.walls[s]
                    let q = w.plane.inPlane(p).position - w.centres[geometry.edFrame]
                    return wrapDegrees(geometry.handedness * degrees(atan2(q.y, q.x)))
                }
            }
            let anteriorDegrees = angles(anterior)
            geometry.assignSegments(overridingAnteriorDegrees: anteriorDegrees)
            if let inferior = manual["inferior"] {
                geometry.septalSpanDegrees = Stats.median(zip(angles(inferior), anteriorDegrees).map { wrapDegrees($0 - $1) })
            }
            geometry.notes.append("RV insertion points from the operator's file")
        }
        let times = study.cineTimesMs
        let measured = timed("activation") { SegmentMotion.measure(geometry, timesMs: times, settings: c.motion) }
        let scar = try timed("scar") {
            try ScarDetection.detect(lge: study.lge, geometry: geometry, cineTimesMs: times, lgeTimeMs: study.lgeTimeMs,
                                     lgeSliceThicknessMm: study.acquisition.lge.sliceThickness, erase: inputs.eraseMask,
                                     settings: c.scar)
        }
        var records: [SegmentRecord] = []
        var unmeasured: [Int] = []
        for seg in Segment36.all {
            let i = seg.id - 1
            if measured.curves[i] == nil { unmeasured.append(seg.id) }
            var r = SegmentRecord(id: seg, scarFraction: scar.scarFraction[i] ?? 0, transmurality: scar.transmurality[i] ?? 0,
                                  activationTimeMs: measured.activationMs[i], peakRadialStrain: measured.peak[i] ?? 0,
                                  decision: c.decision)
            r.areaCm2 = measured.areaCm2[i]
            r.wallThicknessMm = measured.wallThicknessMm[i]
            r.centreMm = measured.centreMm[i]
            records.append(r)
        }
        // The activation map is regularised over the segments whose timing means something: those the decision
        // model's own rules leave eligible (neither scarred nor akinetic).
        let motion = measured.regularised(reliable: records.map { c.decision.exclusions(of: $0).isEmpty }, settings: c.motion)
        for i in records.indices { records[i].activationTimeMs = motion.activationMs[i] }
        var decision = c.decision.decide(records)
        // How sure the choice is: the eligible segments within the activation uncertainty of the primary target.
        let uncertainty = TargetUncertainty.candidates(records: records, uncertaintyMs: motion.activationUncertaintyMs,
                                                       primaryTarget: decision.primaryTarget, decision: c.decision)
        if uncertainty.candidates.count > 1 {
            decision.targetStatus += String(format: "; near-tie: %d eligible segments (%@) within the activation uncertainty, confidence %.2f",
                                            uncertainty.candidates.count, uncertainty.candidates.map(String.init).joined(separator: ", "),
                                            uncertainty.confidence ?? 0)
        }
        func mapped(_ f: (Segment36) -> Int) -> AnalysisResult.MappedTargets {
            var seen: [Int] = []
            for id in decision.lmaTargets { let m = f(Segment36(id)!); if !seen.contains(m) { seen.append(m) } }
            return .init(lmaTargets: seen, primaryTarget: decision.primaryTarget.map { f(Segment36($0)!) })
        }
        let ed = geometry.edFrame, es = geometry.esFrame
        let edv = geometry.volumeCurveMl[ed], esv = geometry.volumeCurveMl[es]
        let thick = motion.wallThicknessMm.compactMap { $0 }
        let result = AnalysisResult(
            software: "crtsim analyze 0.1.0",
            findings: CaseFindings(
                edvMl: edv, esvMl: esv, ef: edv > 0 ? (edv - esv) / edv : 0, esTimeMs: times[es],
                scarBurdenPercent: scar.burdenPercent, lvMyocardialVolumeMl: scar.myocardialVolumeMl,
                wallThicknessMm: thick.isEmpty ? 0 : thick.reduce(0, +) / Double(thick.count),
                segments: records, lmaTargets: decision.lmaTargets, primaryTarget: decision.primaryTarget,
                targetStatus: decision.targetStatus, rvInsertionPointsMm: geometry.rvInsertionPointsMm,
                lvAxis: ["apexMm": geometry.epiApexMm, "baseCentreMm": geometry.baseCentreMm, "baseToApex": geometry.baseToApex],
                radialStrainCurves: motion.curves, curveTimesMs: times, volumeCurveMl: geometry.volumeCurveMl,
                ringBoundaries: c.geometry.rings),
            edTimeMs: times[ed], edFrame: ed, esFrame: es,
            targets18: mapped { $0.aha18 }, targets17: mapped { $0.aha17 },
            timeToPeakMs: motion.timeToPeakMs, crossCorrelationDelayMs: motion.crossCorrelationDelayMs,
            unmeasuredSegments: unmeasured,
            activationUncertaintyMs: motion.activationUncertaintyMs, targetCandidates: uncertainty.candidates,
            targetConfidence: uncertainty.confidence,
            scar: .init(method: c.scar.method.rawValue, present: scar.present, status: scar.status,
                        thresholdSignal: scar.thresholdSignal, remoteMedian: scar.remoteMedian, remoteSD: scar.remoteSD,
                        remoteLevelBySlice: scar.remoteLevelBySlice, remoteSliceSD: scar.remoteSliceSD,
                        myocardialVolumeMl: scar.myocardialVolumeMl, alignmentShiftsMm: scar.alignmentShiftsMm,
                        alignmentThroughPlaneMm: scar.alignmentThroughPlaneMm),
            slices: geometry.walls.indices.map { s in
                let w = geometry.walls[s]
                return .init(sliceIndex: w.slice, heightMm: geometry.heightsMm[s], ring: geometry.rings[s], valid: w.valid,
                             cavityAreaMm2: w.endo.indices.map { w.cavityAreaMm2(frame: $0) },
                             wallThicknessMm: w.endo.indices.map { t in Stats.median(zip(w.epi[t], w.endo[t]).map { $0 - $1 }) },
                             anteriorInsertionDegrees: geometry.anteriorInsertionDegrees[s])
            },
            notes: geometry.notes, configuration: c,
            mitralAnnulus: geometry.annulusSummary)
        return Output(result: result, geometry: geometry, motion: motion, scar: scar,
                      contoursED: geometry.contourStack(frame: ed, scar: scar), timings: timings)
    }
}

extension LVGeometry {
    /// The contours of one phase as a `WallContourStack` (rays re-ordered so that their angle turns right-handed
    /// about the base-to-apex axis), with per-ray scar transmurality from the LGE analysis of its segment. A contour
    /// that leaked through the valve plane is not a wall and is left out.
    func contourStack(frame t: Int, scar: ScarDetection) -> WallContourStack {
        var slices: [SliceContour] = []
        for (s, w) in walls.enumerated() where (w.closed[t] || rings[s] != nil) && !w.contourLeaked(frame: t) {
            let n = w.rayCount
            let order = (0..<n).map { handedness > 0 ? $0 : (n - $0) % n }
            let v = handedness > 0 ? w.plane.axisRows : -w.plane.axisRows
            slices.append(SliceContour(
                centreMm: w.plane.patient(w.centres[t]), axisU: w.plane.axisColumns, axisV: v,
                endoRadiiMm: order.map { w.endo[t][$0] }, epiRadiiMm: order.map { w.epi[t][$0] },
                segmentIds: order.map { segmentIds[s][$0] },
                scarTransmurality: order.map { let id = segmentIds[s][$0]; return id > 0 ? (scar.transmurality[id - 1] ?? 0) : 0 },
                segmentZeroAngleDegrees: rings[s] == nil ? nil : anteriorInsertionDegrees[s]))
        }
        return WallContourStack(slices: slices, baseToApex: baseToApex, epicardialApexMm: epiApexMm, endocardialApexMm: endoApexMm)
    }
}
