import Foundation
import GuidancePipeline
import Testing

/// The endocardium is sought near the blood pool's morphological closing rather than its convex hull
/// (`contours.endocardiumClosingRadiusMm`, docs/pipeline.md "Endocardium near the pool's closing"): the closing bridges
/// papillary muscles and trabeculae, as the hull does, but keeps the broad concavity that contracting wall leaves beside
/// a segment that does not contract.
@Suite("Endocardium near the blood pool's closing")
struct EndocardialClosingTests {
    /// A drawn pool on a 1 mm grid: a disk of 20 mm radius whose wall, over 90-180 degrees, has moved 5 mm inwards
    /// (contracting wall beside the rest, which does not), with a papillary-muscle notch 8 mm wide and 6 mm deep at
    /// 0 degrees.
    static func drawnPool() -> (members: [Int], width: Int) {
        let w = 80, c = 40.0
        var members: [Int] = []
        for j in 0..<w { for i in 0..<w {
            let x = Double(i) - c, y = Double(j) - c
            let r = (x * x + y * y).squareRoot()
            var phi = atan2(y, x) * 180 / .pi
            if phi < 0 { phi += 360 }
            let wall = phi >= 90 && phi <= 180 ? 15.0 : 20.0
            let inNotch = x > 14 && abs(y) < 4
            if r <= wall && !inNotch { members.append(j * w + i) }
        } }
        return (members, w)
    }

    /// A preset's clinical patient (the caller removes the folder) and its truth segments.
    static func patient(_ preset: String, seed: UInt64, label: String) throws -> (out: String, segments: [[String: Any]]) {
        let out = try generateClinicalCase(preset: preset, seed: seed, label: label)
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/truth/truth.json"))) as! [String: Any]
        return (out, truth["segments"] as! [[String: Any]])
    }

    /// Last pixel of a mask along a ray from the grid centre (mm).
    static func exit(_ mask: [Bool], width w: Int, angleDeg: Double) -> Double {
        var last = 0.0, rho = 0.0
        while rho < 39 {
            let i = Int((40 + rho * cos(angleDeg * .pi / 180)).rounded()), j = Int((40 + rho * sin(angleDeg * .pi / 180)).rounded())
            if mask[j * w + i] { last = rho }
            rho += 0.25
        }
        return last
    }

    @Test("closing by a 7 mm disk: the 8 mm papillary notch is filled to within the endocardium search (2.5 mm) of the wall behind it, the contracting arc keeps its 15 mm radius (+- 1 mm) where the hull's chord lies at least 3 mm outside it")
    func notchFilledStepKept() {
        let (members, w) = Self.drawnPool()
        let closed = ImageMorphology.closing(members, width: w, height: w, dxMm: 1, dyMm: 1, radiusMm: 7)
        var pool = [Bool](repeating: false, count: w * w)
        for m in members { pool[m] = true }
        #expect(Self.exit(pool, width: w, angleDeg: 0) < 15, "the drawn notch interrupts the pool at 0 degrees")
        // A disk enters a slot of width b from the wall side by R - sqrt(R^2 - (b/2)^2) (1.3 mm here): the closing's
        // border lies within the endocardium search's +-2.5 mm of the wall behind the notch (at 20 mm), pixel grid 0.5 mm.
        #expect(Self.exit(closed, width: w, angleDeg: 0) >= 20 - 2.5 - 0.5, "notch: \(Self.exit(closed, width: w, angleDeg: 0)) mm")
        for angle in [115.0, 135.0, 155.0] {
            #expect(abs(Self.exit(closed, width: w, angleDeg: angle) - 15) <= 1, "contracting arc at \(angle) degrees: \(Self.exit(closed, width: w, angleDeg: angle)) mm")
        }
        // The convex hull's chord over the contracting arc: the straight line between its two ends at radius 20.
        let hullAt135 = 20 * cos(45 * Double.pi / 180)
        #expect(hullAt135 < 15, "drawn geometry check")
        // Every pool pixel stays in the closing; the closing adds nothing outside the 20 mm disk.
        #expect(members.allSatisfy { closed[$0] })
        for j in 0..<w { for i in 0..<w where closed[j * w + i] {
            let x = Double(i) - 40, y = Double(j) - 40
            #expect(x * x + y * y <= 21 * 21)
        } }
    }

    @Test("ischaemic posterolateral patient (seed 965006575): the viable segments bordering the scar read as akinetic (peak radial strain < 10 %) less often with the closing than with the convex hull, and their peak strain is nearer the truth's")
    func scarBorderSegmentsNotAkinetic() throws {
        let (out, segments) = try Self.patient("ischemic-posterolateral", seed: 965_006_575, label: "closing-border")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let scarred = segments.map { $0["scarred"] as! Bool }
        let scar = segments.map { $0["scarFraction"] as! Double }
        let truthPeak = segments.map { $0["peakRadialStrain"] as! Double }
        func neighbours(_ i: Int) -> [Int] {
            let ring = i / 12, sector = i % 12
            var n = [ring * 12 + (sector + 1) % 12, ring * 12 + (sector + 11) % 12]
            for r in [ring - 1, ring + 1] where (0..<3).contains(r) { n.append(r * 12 + sector) }
            return n
        }
        // Unscarred segments beside a segment with at least 30 % scar (the truth's own strain is normal there).
        let border = (0..<36).filter { i in !scarred[i] && neighbours(i).contains { scar[$0] >= 0.3 } }
        #expect(border.count >= 4, "segments bordering the scar: \(border.map { $0 + 1 })")
        #expect(border.allSatisfy { truthPeak[$0] >= 0.10 })
        let study = try CMRStudy.load(cmrDirectory: out + "/cmr")
        func measure(closing: Double?) throws -> (akinetic: Int, meanError: Double) {
            var config = PipelineConfiguration()
            config.contours.endocardiumClosingRadiusMm = closing
            let result = try GuidancePipeline(configuration: config).run(study).result
            let peaks = border.map { result.segments[$0].peakRadialStrain }
            let error = zip(border, peaks).map { abs($1 - truthPeak[$0]) }.reduce(0, +) / Double(border.count)
            return (peaks.filter { $0 < 0.10 }.count, error)
        }
        let closing = try measure(closing: 7), hull = try measure(closing: nil)
        #expect(closing.akinetic < hull.akinetic, "bordering segments below 10 %: \(closing.akinetic) with the closing, \(hull.akinetic) with the hull")
        #expect(closing.meanError < hull.meanError, "bordering segments' mean |peak error|: \(closing.meanError) with the closing, \(hull.meanError) with the hull")
    }

    @Test("normal-conduction patient (seed 353384947): with the papillary muscles marked through the cycle (blood beside them at some phase) the unscarred segments' mean |peak radial strain error| is below the unmarked closing's and within half a strain point of the hull's")
    func papillaryMusclesKeepTheHull() throws {
        let (out, segments) = try Self.patient("normal-conduction", seed: 353_384_947, label: "closing-papillary")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let truthPeak = segments.map { $0["peakRadialStrain"] as! Double }
        let unscarred = (0..<36).filter { !(segments[$0]["scarred"] as! Bool) }
        let study = try CMRStudy.load(cmrDirectory: out + "/cmr")
        func meanError(_ edit: (inout WallTracker.Settings) -> Void) throws -> Double {
            var config = PipelineConfiguration()
            edit(&config.contours)
            let result = try GuidancePipeline(configuration: config).run(study).result
            let measured = unscarred.filter { result.radialStrainCurves[$0] != nil }
            #expect(measured.count >= 30)
            return measured.map { abs(result.segments[$0].peakRadialStrain - truthPeak[$0]) }.reduce(0, +) / Double(measured.count)
        }
        let marked = try meanError { _ in }
        let unmarked = try meanError { $0.closingPapillaryMinMm = 1000 }
        let hull = try meanError { $0.endocardiumClosingRadiusMm = nil }
        #expect(marked < unmarked, "mean |peak error|: \(marked) marked, \(unmarked) unmarked")
        #expect(marked <= hull + 0.005, "mean |peak error|: \(marked) with the closing, \(hull) with the hull")
    }
}
