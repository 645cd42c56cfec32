import CRTCore
import Foundation
import HeartPhantom
import SegmentModel
import Testing

extension Tag {
    @Tag static var fast: Self
}

/// Named tolerances of the phantom tests.
enum Tolerance {
    /// EDV of the sized heart vs the requested EDV (fraction).
    static let edvSizing = 0.005
    /// Truth EDV (table integration) vs an independent voxel count of `sample` on a 0.75 mm grid (fraction).
    static let voxelisedVolume = 0.02
    /// Paper's mid-segment area: 4.3 +/- 1.2 cm2.
    static let midAreaRangeCm2 = (4.3 - 1.2)...(4.3 + 1.2)
    /// Activation time of a uniformly activated segment vs onset + contraction / 2 (ms).
    static let activationMs = 1.0
}

func spec(_ yaml: String) throws -> PhantomSpec { try PhantomSpec.load(yaml: yaml, file: "test.yaml") }

@Suite("Heart phantom ground truth", .tags(.fast))
struct HeartPhantomTests {
    @Test("the heart is sized to the requested EDV")
    func sizing() throws {
        for edv in [80.0, 209, 400] {
            let heart = HeartModel(spec: try spec("anatomy: {edvMl: \(edv)}"))
            let v = heart.cavityVolumeMm3(atMs: 0) / 1000
            #expect(abs(v - edv) / edv < Tolerance.edvSizing, "EDV \(v) mL for requested \(edv)")
        }
    }

    @Test("truth EDV agrees with an independent voxel count of the sampled anatomy")
    func voxelisedCavityVolume() throws {
        let heart = HeartModel(spec: try spec("anatomy: {edvMl: 150}"))
        let st = heart.state(atMs: 0)
        let f = heart.frame
        let step = 0.75
        let reach = heart.maxEpiRadiusMm + 2
        var count = 0
        // Grid aligned with the heart frame: height s, two in-plane axes.
        var s = heart.endoApexHeightMm - 2
        while s <= heart.baseHeightMm {
            var a = -reach
            while a <= reach {
                var b = -reach
                while b <= reach {
                    let p = f.apexMm + f.baseDirection * s + f.u * a + f.v * b
                    if let t = heart.sample(p, st)?.tissue, t.isLVCavity { count += 1 }
                    b += step
                }
                a += step
            }
            s += step
        }
        let voxelMl = Double(count) * step * step * step / 1000
        let truth = heart.cavityVolumeMm3(atMs: 0) / 1000
        #expect(abs(voxelMl - truth) / truth < Tolerance.voxelisedVolume, "voxel count \(voxelMl) mL vs truth \(truth) mL")
    }

    @Test("a 210 mL heart has mid segments of the paper's size and larger basal segments")
    func segmentAreas() throws {
        let heart = HeartModel(spec: try spec("anatomy: {edvMl: 210}"))
        let truth = heart.groundTruth(phaseTimesMs: [0])
        let area = { (ring: Int) in truth.segments.filter { $0.ring == ring }.compactMap(\.areaCm2).reduce(0, +) / 12 }
        let basal = area(0), mid = area(1)
        #expect(Tolerance.midAreaRangeCm2.contains(mid), "mid segment area \(mid) cm2")
        #expect(basal > mid, "basal \(basal) cm2 vs mid \(mid) cm2")
    }

    @Test("LBBB: septum activates first, the lateral / inferolateral wall last")
    func lbbbActivationOrder() throws {
        let truth = HeartModel(spec: try spec("activation: {pattern: lbbb, totalDelayMs: 120}")).groundTruth(phaseTimesMs: [0])
        let times = truth.segments.map { ($0.id, $0.activationTimeMs ?? .nan) }
        let latest = Segment36(times.max { $0.1 < $1.1 }!.0)!
        let earliest = Segment36(times.min { $0.1 < $1.1 }!.0)!
        #expect([4, 5].contains(latest.ahaSector), "latest \(latest.name)")         // inferior or inferolateral
        #expect([2, 3].contains(earliest.ahaSector), "earliest \(earliest.name)")   // septum
        let spread = times.map(\.1).max()! - times.map(\.1).min()!
        #expect(spread > 90 && spread < 150, "activation spread \(spread) ms for a 120 ms onset delay")
    }

    @Test("activation time of a uniformly activated segment is onset + contraction / 2")
    func activationDefinition() throws {
        let s = try spec("""
            activation: {pattern: explicit, earliestOnsetMs: 20, explicitOnsetMs: {22: 150}}
            motion: {contractionMs: 260}
            """)
        let truth = HeartModel(spec: s).groundTruth(phaseTimesMs: [0])
        let seg = truth.segments[21]
        #expect(seg.id == 22)
        // The 50 % crossing of sin^2 lies at half the rise time.
        #expect(abs((seg.activationTimeMs ?? 0) - (150 + 130)) < Tolerance.activationMs)
        #expect(truth.primaryTarget == 22, "the only late segment is the target")
    }

    @Test("transmural scar is scarred, thinned, barely thickens and is never a target")
    func scarTruth() throws {
        let s = try spec("""
            activation: {pattern: explicit, earliestOnsetMs: 20, explicitOnsetMs: {22: 150, 19: 140}}
            scars: [{centreSegment: 22, angularExtentDeg: 60, heightExtentFraction: 0.5, transmurality: 1.0, borderZoneMm: 2}]
            """)
        let truth = HeartModel(spec: s).groundTruth(phaseTimesMs: [0])
        let scarred = truth.segments[21]
        #expect(scarred.scarred && scarred.scarFraction > 0.5, "scar fraction \(scarred.scarFraction)")
        #expect(scarred.peakRadialStrain < 0.5 * truth.segments[0].peakRadialStrain)
        #expect((scarred.wallThicknessMm ?? 99) < truth.segments[0].wallThicknessMm! - 2)
        #expect(truth.primaryTarget == 19, "next latest eligible segment")
        #expect(truth.scarBurdenPercent > 1)
        let free = HeartModel(spec: try spec("name: x")).groundTruth(phaseTimesMs: [0])
        #expect(free.scarBurdenPercent == 0 && free.segments.allSatisfy { !$0.scarred })
    }

    @Test("the heart frame follows anatomy: septum to the patient's right, lateral wall left, anterior wall anterior")
    func orientation() throws {
        let f = HeartModel(spec: try spec("name: x")).frame
        #expect(f.apexDirection.x > 0.3 && f.apexDirection.y < -0.3 && f.apexDirection.z < 0, "apex left, anterior, inferior")
        #expect(f.direction(phiDeg: 60).x < -0.5, "mid septum points to the patient's right")
        #expect(f.direction(phiDeg: 240).x > 0.5, "lateral wall points left")
        #expect(f.direction(phiDeg: 330).y < -0.3 || f.direction(phiDeg: 330).z > 0.3, "anterior wall is anterior / superior")
    }

    @Test("volumes follow the motion: ESV below EDV, EF in the expected range")
    func volumes() throws {
        let normal = HeartModel(spec: try spec("motion: {peakRadialStrain: 0.35, peakLongitudinalStrain: -0.15}")).groundTruth(phaseTimesMs: [0])
        let failing = HeartModel(spec: try spec("motion: {peakRadialStrain: 0.15, peakLongitudinalStrain: -0.05}")).groundTruth(phaseTimesMs: [0])
        #expect(normal.ef > 0.40 && normal.ef < 0.75, "EF \(normal.ef)")
        #expect(failing.ef > 0.10 && failing.ef < normal.ef, "EF \(failing.ef)")
    }
}
