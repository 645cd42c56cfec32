import CRTCore
import Foundation
import HeartPhantom
import Testing

/// Named tolerances of the realism-field tests.
enum RealismTolerance {
    /// Sample mean and SD of 400 drawn values against the distribution's (truncation at the range moves the
    /// moments a little): mean within 0.2 SD, SD within 20 %.
    static let meanInSD = 0.2
    static let sdFraction = 0.2
    /// Block delay against its formula: the material grid quantises height (0.5 mm steps, ~1 ms at 0.5 mm/ms).
    static let blockDelayMs = 3.0
}

/// Expects the phantom text to be refused with an InputError naming `field` and containing `range`.
func expectRefused(_ yaml: String, naming field: String, range: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try spec(yaml)
        Issue.record("accepted: \(yaml)", sourceLocation: sourceLocation)
    } catch let e as InputError {
        #expect(e.description.contains(field), sourceLocation: sourceLocation)
        #expect(e.description.contains(range), sourceLocation: sourceLocation)
    } catch { Issue.record("\(error)", sourceLocation: sourceLocation) }
}

@Suite("Realism fields: one table drives drawing, reading and the README", .tags(.fast))
struct RealismTests {
    @Test("Phantoms/README.md holds the table generated from the code")
    func readmeTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("Phantoms/README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- realism-table:begin -->\n"))
        let end = try #require(readme.range(of: "<!-- realism-table:end -->", range: begin.upperBound..<readme.endIndex))
        let table = String(readme[begin.upperBound..<end.lowerBound]).trimmingCharacters(in: .newlines)
        if ProcessInfo.processInfo.environment["CRTSIM_UPDATE_REALISM_TABLE"] == "1" {
            // scripts/update-realism-table.sh: rewrite the README's table from the code.
            let updated = readme.replacingCharacters(in: begin.upperBound..<end.lowerBound, with: RealismField.markdownTable + "\n")
            try updated.write(to: root.appendingPathComponent("Phantoms/README.md"), atomically: true, encoding: .utf8)
            return
        }
        #expect(table == RealismField.markdownTable, "replace the README table with:\n\(RealismField.markdownTable)")
    }

    @Test("a clinical patient is drawn from the seed: same seed same patient, given fields kept, ideal neutral")
    func resolution() throws {
        let base = try spec("activation: {pattern: lbbb}")
        #expect(base.realism == .clinical)
        let a = base.resolved(seed: 11), b = base.resolved(seed: 11), c = base.resolved(seed: 12)
        #expect(a == b)
        #expect(a.activation.latestAngleDeg != c.activation.latestAngleDeg)
        for f in RealismField.all { #expect(a[keyPath: f.keyPathForTests] != nil, "\(f.path) left unset under clinical") }
        let given = try spec("activation: {latestAngleDeg: 100}").resolved(seed: 11)
        #expect(given.activation.latestAngleDeg == 100)
        let ideal = try spec("realism: ideal").resolved(seed: 11)
        for f in RealismField.all { #expect(ideal[keyPath: f.keyPathForTests] == f.ideal, "\(f.path) under ideal") }
    }

    @Test("drawn values stay in range and follow their distribution")
    func distributions() throws {
        let base = try spec("activation: {pattern: lbbb}")
        for f in RealismField.all {
            var values: [Double] = []
            for seed in 0..<400 { values.append(base.resolved(seed: UInt64(seed))[keyPath: f.keyPathForTests]!) }
            #expect(values.allSatisfy { f.range.contains($0) }, "\(f.path) out of range")
            guard case let .normal(mean, sd) = f.clinicalForTests(base) else { continue }
            let m = values.reduce(0, +) / Double(values.count)
            let s = (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
            #expect(abs(m - mean) <= RealismTolerance.meanInSD * sd, "\(f.path): mean \(m) against \(mean)")
            #expect(abs(s - sd) <= RealismTolerance.sdFraction * sd, "\(f.path): SD \(s) against \(sd)")
        }
    }

    @Test("a realism field out of range is refused with its field and range")
    func outOfRange() {
        expectRefused("activation: {latestHeightFraction: 1.5}", naming: "activation.latestHeightFraction", range: "from 0 to 0.9")
    }

    @Test("the latest-activated site moves with latestHeightFraction")
    func latestHeight() throws {
        for f in [0.0, 0.5] {
            let heart = HeartModel(spec: try spec("realism: ideal\nactivation: {pattern: lbbb, latestAngleDeg: 220, latestHeightFraction: \(f)}"))
            // The onset along the 220-degree line peaks at the requested height (grid step of the sampling: 0.05).
            let fractions = stride(from: 0.0, through: 0.9, by: 0.05).map { $0 }
            let onsets = fractions.map { heart.onset(s: heart.height(fraction: $0), phiDeg: 220) }
            let best = fractions[onsets.firstIndex(of: onsets.max()!)!]
            #expect(abs(best - f) <= 0.05 + 1e-9, "latest at \(best) for \(f)")
        }
    }

    @Test("a transmural scar delays the wall behind it by the detour round its edge (U-shaped activation)")
    func conductionBlock() throws {
        // LBBB latest at 300 degrees, so the wave starts at 120 and runs through 180-250 where the scar lies.
        let yaml = """
            realism: ideal
            activation: {pattern: lbbb, latestAngleDeg: 300, totalDelayMs: 100}
            scars: [{centreAngleDeg: 215, centreHeightFraction: 0.5, angularExtentDeg: 70, heightExtentFraction: 0.4, transmurality: 1}]
            """
        let plain = HeartModel(spec: try spec(yaml))
        let cv = 0.5
        var withBlock = try spec(yaml)
        withBlock.activation.scarConductionVelocityMmPerMs = cv
        let blocked = HeartModel(spec: withBlock)
        let s = blocked.height(fraction: 0.5)
        let length = blocked.baseHeightMm - blocked.endoApexHeightMm
        // Behind the scar (270 degrees, 20 past its far edge at 250): the detour is the scar's full height twice.
        let expected = 2 * 0.2 * length / cv * (1 - 20.0 / 90)
        let delay = blocked.onset(s: s, phiDeg: 270) - plain.onset(s: s, phiDeg: 270)
        #expect(abs(delay - expected) <= RealismTolerance.blockDelayMs, "delay \(delay) ms, expected \(expected)")
        // The other way round from the earliest site, and above the scar: no delay.
        #expect(blocked.onset(s: s, phiDeg: 60) == plain.onset(s: s, phiDeg: 60))
        let above = blocked.height(fraction: 0.2)
        #expect(blocked.onset(s: above, phiDeg: 270) == plain.onset(s: above, phiDeg: 270))
    }
}
