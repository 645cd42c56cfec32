import CRTCore
import Foundation
import GuidancePipeline
import Testing
import Validation

/// The human-variability second observer (`Scenario.HumanVariability`, `ObserverModel`): reading, and each
/// perturbation against its drawn magnitude.
@Suite(.tags(.fast)) struct ObserverModelTests {
    static let head = "id: obs\ncases: 1\nphantoms: [advise-typical]\n"

    @Test("secondObserver: model human reads the published defaults and each field; the fields need model: human")
    func reading() throws {
        let plain = try loadScenario(Self.head + "secondObserver:\n  clickNoiseSDPx: 3\n")
        #expect(plain.secondObserver?.human == nil)
        let human = try loadScenario(Self.head + "secondObserver:\n  model: human\n")
        #expect(human.secondObserver?.human == Scenario.HumanVariability())
        #expect(human.secondObserver?.scarThresholdFraction == 0.5)
        let set = try loadScenario(Self.head + "secondObserver:\n  model: human\n  contourSDMm: 2\n  contourLocalSDMm: 0\n  rvInsertionSDDeg: 7\n  fwhmReferenceSD: 0.1\n")
        let h = try #require(set.secondObserver?.human)
        #expect(h.contourSDMm == 2 && h.contourLocalSDMm == 0 && h.rvInsertionSDDeg == 7 && h.fwhmReferenceSD == 0.1)
        let e1 = loadError(Self.head + "secondObserver:\n  rvInsertionSDDeg: 5\n")
        #expect(e1.contains("secondObserver.rvInsertionSDDeg") && e1.contains("model: human"), "\(e1)")
        let e2 = loadError(Self.head + "secondObserver:\n  model: human\n  contourSDMm: 9\n")
        #expect(e2.contains("contourSDMm") && e2.contains("out of range"), "\(e2)")
        let e3 = loadError(Self.head + "secondObserver:\n  model: robot\n")
        #expect(e3.contains("model"), "\(e3)")
    }

    @Test("RV insertion: each point rotated about the LV axis by exactly its drawn angle, distance to the axis kept")
    func rvInsertionRotation() throws {
        var h = Scenario.HumanVariability.none
        h.rvInsertionSDDeg = 6
        let centre = Vec3(10, -20, 5), axis = Vec3(0.3, -0.4, 0.866).normalized
        let points = ["anterior": Vec3(40, -10, 0), "inferior": Vec3(-15, -45, 12)]
        let r = try #require(ObserverModel.rvInsertion(h, seed: 42, points: points, axisPointMm: centre, axis: axis))
        for (name, p) in points {
            let q = try #require(r.points[name]), a = try #require(r.anglesDeg[name])
            func radial(_ x: Vec3) -> Vec3 { let d = x - centre; return d - d.dot(axis) * axis }
            let u = radial(p), v = radial(q)
            let measured = atan2(u.cross(v).dot(axis), u.dot(v)) * 180 / Double.pi
            #expect(abs(measured - a) < 1e-9, "\(name): \(measured) vs \(a)")
            #expect(abs(u.length - v.length) < 1e-9)
            #expect(abs((p - centre).dot(axis) - (q - centre).dot(axis)) < 1e-9)
        }
        // Same seed, same draw; another seed, another; SD 0: no override.
        #expect(ObserverModel.rvInsertion(h, seed: 42, points: points, axisPointMm: centre, axis: axis)?.anglesDeg == r.anglesDeg)
        #expect(ObserverModel.rvInsertion(h, seed: 43, points: points, axisPointMm: centre, axis: axis)?.anglesDeg != r.anglesDeg)
        #expect(ObserverModel.rvInsertion(.none, seed: 42, points: points, axisPointMm: centre, axis: axis) == nil)
        // Over many cases the angles have the configured SD.
        let angles = (0..<4000).flatMap { s in ObserverModel.rvInsertion(h, seed: UInt64(s), points: points, axisPointMm: centre, axis: axis)!.anglesDeg.values }
        let sd = (angles.map { $0 * $0 }.reduce(0, +) / Double(angles.count)).squareRoot()
        #expect(abs(sd - 6) < 0.3, "SD \(sd)")
    }

    @Test("contours: systematic offset SD and pointwise SD of the angular field within tolerance over many draws; deterministic")
    func contourStatistics() throws {
        var h = Scenario.HumanVariability.none
        h.contourSDMm = 1.0; h.contourLocalSDMm = 0.5
        var bias: [Double] = [], local: [Double] = [], total: [Double] = []
        for s in 0..<3000 {
            let c = try #require(ObserverModel.contourOffsets(h, seed: UInt64(s), sliceCount: 3))
            for border in [c.endocardiumMm, c.epicardiumMm] {
                let coefficients = try #require(border[1])
                #expect(coefficients.count == 1 + 2 * ObserverModel.harmonics)
                #expect(border[0]![0] == coefficients[0])  // the systematic part is shared by the slices
                bias.append(coefficients[0])
                let theta = Double(s % 360) * Double.pi / 180
                let v = ContourOffsets.offset(coefficients, theta: theta)
                local.append(v - coefficients[0]); total.append(v)
            }
        }
        func rms(_ x: [Double]) -> Double { (x.map { $0 * $0 }.reduce(0, +) / Double(x.count)).squareRoot() }
        #expect(abs(rms(bias) - 1.0) < 0.05, "bias SD \(rms(bias))")
        #expect(abs(rms(local) - 0.5) < 0.03, "local SD \(rms(local))")
        #expect(abs(rms(total) - (1.25).squareRoot()) < 0.06, "total SD \(rms(total))")
        #expect(ObserverModel.contourOffsets(h, seed: 7, sliceCount: 4) == ObserverModel.contourOffsets(h, seed: 7, sliceCount: 4))
        #expect(ObserverModel.contourOffsets(h, seed: 7, sliceCount: 4) != ObserverModel.contourOffsets(h, seed: 8, sliceCount: 4))
        #expect(ObserverModel.contourOffsets(.none, seed: 7, sliceCount: 4) == nil)
    }

    @Test("FWHM reference: 1 - |N(0, SD)| (half-normal mean SD sqrt(2/pi)), never above the brightest; SD 0: none")
    func fwhmReference() {
        var h = Scenario.HumanVariability.none
        h.fwhmReferenceSD = 0.05
        let scales = (0..<4000).map { ObserverModel.fwhmReferenceScale(h, seed: UInt64($0))! }
        #expect(scales.allSatisfy { $0 <= 1 && $0 >= 0.5 })
        let meanShortfall = scales.map { 1 - $0 }.reduce(0, +) / Double(scales.count)
        #expect(abs(meanShortfall - 0.05 * (2 / Double.pi).squareRoot()) < 0.003, "\(meanShortfall)")
        #expect(ObserverModel.fwhmReferenceScale(h, seed: 5) == ObserverModel.fwhmReferenceScale(h, seed: 5))
        #expect(ObserverModel.fwhmReferenceScale(.none, seed: 5) == nil)
    }
}

/// The whole second observer on one generated case.
@Suite struct HumanObserverCaseTests {
    @Test("with every perturbation at 0 and the first observer's threshold, the human observer reproduces the first exactly; with the defaults it records what it drew")
    func zeroReproducesFirst() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("crtsim-observer-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let zero = "id: obs0\nseed: 3\ncases: 1\nphantoms: [ischemic-posterolateral]\nsecondObserver:\n  model: human\n"
            + "  contourSDMm: 0\n  contourLocalSDMm: 0\n  rvInsertionSDDeg: 0\n  fwhmReferenceSD: 0\n"
        let s0 = try loadScenario(zero)
        let r0 = try CaseEvaluation(scenario: s0, presetFolder: packageRoot + "/Phantoms").run(index: 0, into: root + "/zero").result
        let a = try #require(r0.firstObserver), b = try #require(r0.secondObserver)
        #expect(b.model == "human")
        #expect(a.scarredSegments == b.scarredSegments && a.scarBurdenPercent == b.scarBurdenPercent && a.primaryTarget == b.primaryTarget)
        #expect(b.contourBiasMm == nil && b.rvInsertionRotationDeg == nil && b.fwhmReferenceScale == nil)

        let s1 = try loadScenario("id: obs1\nseed: 3\ncases: 1\nphantoms: [ischemic-posterolateral]\nsecondObserver:\n  model: human\n")
        let r1 = try CaseEvaluation(scenario: s1, presetFolder: packageRoot + "/Phantoms").run(index: 0, into: root + "/human").result
        let c = try #require(r1.secondObserver)
        let seed = s1.caseSeed(0)
        let h = Scenario.HumanVariability()
        #expect(c.fwhmReferenceScale == ObserverModel.fwhmReferenceScale(h, seed: seed))
        let offsets = try #require(ObserverModel.contourOffsets(h, seed: seed, sliceCount: 1))
        #expect(c.contourBiasMm == [offsets.endocardiumMm[0]![0], offsets.epicardiumMm[0]![0]])
        #expect(c.rvInsertionRotationDeg?.keys.sorted() == ["anterior", "inferior"])
    }
}
