import Foundation
import Testing
import SegmentModel

extension Tag {
    @Tag static var fast: Self
}

/// Known truths from DOMAIN.md section 2 (exact integer or string equality unless a tolerance is named).
@Suite(.tags(.fast))
struct Segment36Tests {
    /// Angles differing by this much from a boundary still count as inside the lower segment.
    static let belowBoundaryDegrees = 1e-9

    @Test func formulaExamples() {
        #expect(Segment36.id(ring: 0, angleDegrees: 0).id == 3)
        #expect(Segment36.id(ring: 0, angleDegrees: 300).id == 1)
        #expect(Segment36.id(ring: 0, angleDegrees: 359.9).id == 2)
        #expect(Segment36.id(ring: 1, angleDegrees: 120).id == 19)
        #expect(Segment36(19)!.name == "mid-inferior 1")
        // Wrapping: -60 is 300, 720 is 0, a value just below 360 stays in id 2.
        #expect(Segment36.id(ring: 2, angleDegrees: -60).id == 25)
        #expect(Segment36.id(ring: 0, angleDegrees: 720).id == 3)
        #expect(Segment36.id(ring: 0, angleDegrees: 360 - Self.belowBoundaryDegrees).id == 2)
        #expect(Segment36.id(ring: 0, angleDegrees: -Self.belowBoundaryDegrees).id == 2)
    }

    @Test func formulaMatchesIdDefinitionEverywhere() {
        // id = 12 r + 2 (a - 1) + h with AHA sector a spanning [300 + 60 (a - 1), +60) mod 360, half h the
        // lower (1) or upper (2) 30 degrees: checked at every half degree.
        for r in 0..<3 {
            for step in 0..<720 {
                let angle = Double(step) / 2
                let fromAnterior = (angle - 300 + 360).truncatingRemainder(dividingBy: 360)
                let a = Int(fromAnterior / 60) + 1
                let h = Int(fromAnterior.truncatingRemainder(dividingBy: 60) / 30) + 1
                #expect(Segment36.id(ring: r, angleDegrees: angle).id == 12 * r + 2 * (a - 1) + h)
            }
        }
    }

    @Test func centreAnglesRoundTrip() {
        #expect(Segment36(1)!.centreAngleDegrees == 315)
        #expect(Segment36(3)!.centreAngleDegrees == 15)
        #expect(Segment36(19)!.centreAngleDegrees == 135)
        for s in Segment36.all {
            #expect(Segment36.id(ring: s.ring, angleDegrees: s.centreAngleDegrees) == s)
        }
    }

    @Test func componentsAndInit() {
        #expect(Segment36(0) == nil)
        #expect(Segment36(37) == nil)
        #expect(Segment36.all.map(\.id) == Array(1...36))
        for s in Segment36.all {
            #expect(Segment36(ring: s.ring, ahaSector: s.ahaSector, half: s.half) == s)
        }
        let s = Segment36(23)!
        #expect((s.ring, s.ahaSector, s.half) == (1, 6, 1))
        #expect(Segment36(ring: 3, ahaSector: 1, half: 1) == nil)
        #expect(Segment36(ring: 0, ahaSector: 7, half: 1) == nil)
        #expect(Segment36(ring: 0, ahaSector: 1, half: 3) == nil)
    }

    @Test func names() {
        #expect(Segment36(1)!.name == "basal-anterior 1")
        #expect(Segment36(4)!.name == "basal-anteroseptal 2")
        #expect(Segment36(12)!.name == "basal-anterolateral 2")
        #expect(Segment36(23)!.name == "mid-anterolateral 1")
        #expect(Segment36(21)!.name == "mid-inferolateral 1")
        #expect(Segment36(36)!.name == "apical-anterolateral 2")
        #expect(Set(Segment36.all.map(\.name)).count == 36)
    }

    @Test func aha18IsSixRPlusA() {
        for s in Segment36.all {
            #expect(s.aha18 == 6 * s.ring + s.ahaSector)
        }
        // Each AHA-18 segment holds exactly two consecutive ids.
        for n in 1...18 {
            #expect(Segment36.all.filter { $0.aha18 == n }.map(\.id) == [2 * n - 1, 2 * n])
        }
    }

    @Test func aha17MappingAndTieBreaks() {
        // Basal and mid: as AHA-18.
        for s in Segment36.all where s.ring < 2 { #expect(s.aha17 == s.aha18) }
        // Apical: 25, 26, 27 anterior; 28, 29, 30 septal; 31, 32, 33 inferior; 34, 35, 36 lateral.
        let expected: [Int: Int] = [25: 13, 26: 13, 27: 13, 28: 14, 29: 14, 30: 14,
                                    31: 15, 32: 15, 33: 15, 34: 16, 35: 16, 36: 16]
        for (id, n) in expected {
            #expect(Segment36(id)!.aha17 == n, "id \(id)")
            #expect(Segment36(id)!.aha16 == n, "id \(id)")
        }
        // The other tie-break moves exactly the four cut ids one sector up (cyclically).
        let higher: [Int: Int] = [27: 14, 30: 15, 33: 16, 36: 13]
        for id in 25...36 {
            let s = Segment36(id)!
            #expect(s.aha17(tieBreak: .higherAngleHalf) == (higher[id] ?? expected[id]!), "id \(id)")
        }
        // Every AHA-17 segment 1...16 receives at least one of the 36; 17 (apex) none.
        #expect(Set(Segment36.all.map(\.aha17)) == Set(1...16))
    }

    @Test func ahaNames() {
        #expect(AHA18.name(1) == "basal anterior")
        #expect(AHA18.name(9) == "mid inferoseptal")
        #expect(AHA18.name(18) == "apical anterolateral")
        #expect(AHA17.name(6) == "basal anterolateral")
        #expect(AHA17.name(13) == "apical anterior")
        #expect(AHA17.name(14) == "apical septal")
        #expect(AHA17.name(15) == "apical inferior")
        #expect(AHA17.name(16) == "apical lateral")
        #expect(AHA17.name(17) == "apex")
        #expect(AHA16.name(16) == "apical lateral")
    }

    @Test func codableAsPlainInteger() throws {
        let data = try JSONEncoder().encode([Segment36(7)!, Segment36(36)!])
        #expect(String(decoding: data, as: UTF8.self) == "[7,36]")
        #expect(try JSONDecoder().decode([Segment36].self, from: data) == [Segment36(7)!, Segment36(36)!])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Segment36].self, from: Data("[37]".utf8)) }
    }

    @Test func ordering() {
        #expect(Segment36(3)! < Segment36(20)!)
        #expect(Segment36.all.shuffled().sorted() == Segment36.all)
    }
}

@Suite(.tags(.fast))
struct AdjacencyTests {
    @Test func neighbourCounts() {
        for s in Segment36.all {
            let corner = s.neighbours(rule: .edgeOrCorner).count
            let edge = s.neighbours(rule: .edgeOnly).count
            #expect(corner == (s.ring == 1 ? 8 : 5), "id \(s.id)")
            #expect(edge == (s.ring == 1 ? 4 : 3), "id \(s.id)")
            #expect(!s.isAdjacent(to: s))
        }
    }

    @Test func symmetricAndCyclic() {
        for a in Segment36.all {
            for b in Segment36.all {
                #expect(a.isAdjacent(to: b) == b.isAdjacent(to: a))
                #expect(a.isAdjacent(to: b, rule: .edgeOnly) == b.isAdjacent(to: a, rule: .edgeOnly))
            }
        }
        // 12 and 1 are angular neighbours (330-360 and 300-330 wrap across the ring ends).
        #expect(Segment36(12)!.isAdjacent(to: Segment36(1)!, rule: .edgeOnly))
        // 1 touches 24 (mid, previous sector) at a corner only.
        #expect(Segment36(1)!.isAdjacent(to: Segment36(24)!))
        #expect(!Segment36(1)!.isAdjacent(to: Segment36(24)!, rule: .edgeOnly))
        // Basal and apical never touch.
        #expect(!Segment36(1)!.isAdjacent(to: Segment36(25)!))
        #expect(Segment36(14)!.neighbours().map(\.id) == [1, 2, 3, 13, 15, 25, 26, 27])
    }

    @Test func categories36() {
        let t = Segment36(21)!  // mid-inferolateral 1
        #expect(LeadCategory.category36(lead: t, target: t) == .within)
        #expect(LeadCategory.category36(lead: Segment36(22)!, target: t) == .adjacent)
        #expect(LeadCategory.category36(lead: Segment36(8)!, target: t) == .adjacent)   // corner
        #expect(LeadCategory.category36(lead: Segment36(8)!, target: t, rule: .edgeOnly) == .remote)
        #expect(LeadCategory.category36(lead: Segment36(23)!, target: t) == .remote)
        let counts = Dictionary(grouping: Segment36.all) { LeadCategory.category36(lead: $0, target: t) }
            .mapValues(\.count)
        #expect(counts == [.within: 1, .adjacent: 8, .remote: 27])
    }

    @Test func categories18() {
        let t = Segment36(21)!  // AHA-18 segment 11, mid inferolateral
        #expect(LeadCategory.category18(lead: Segment36(22)!, target: t) == .within)    // same AHA-18 (11)
        #expect(LeadCategory.category18(lead: Segment36(23)!, target: t) == .adjacent)  // 12, same ring
        #expect(LeadCategory.category18(lead: Segment36(1)!, target: t) == .remote)     // 1, basal anterior
        #expect(LeadCategory.category18(lead: Segment36(11)!, target: t) == .adjacent)  // 6, corner
        #expect(LeadCategory.category18(lead: Segment36(11)!, target: t, rule: .edgeOnly) == .remote)
        #expect(LeadCategory.category18(lead: Segment36(13)!, target: t) == .remote)    // 7 vs 11, 2 sectors
        // AHA-18 sector wraps cyclically: 6 and 1 are neighbours, 12 and 1 corner neighbours.
        #expect(AHA18.isAdjacent(6, 1))
        #expect(AHA18.isAdjacent(12, 1))
        #expect(!AHA18.isAdjacent(13, 1))
        // Counts over the 36 leads for this target: 2 within, 8 AHA-18 neighbours x 2 ids adjacent.
        let counts = Dictionary(grouping: Segment36.all) { LeadCategory.category18(lead: $0, target: t) }
            .mapValues(\.count)
        #expect(counts == [.within: 2, .adjacent: 16, .remote: 18])
        #expect(LeadCategory.within < .adjacent && LeadCategory.adjacent < .remote)
    }
}

@Suite(.tags(.fast))
struct RingBoundariesTests {
    @Test func equalThirds() {
        let b = RingBoundaries.equalThirds
        #expect(b.ring(forFraction: 0) == 0)
        #expect(b.ring(forFraction: 0.2) == 0)
        #expect(b.ring(forFraction: 0.5) == 1)
        #expect(b.ring(forFraction: 0.9) == 2)
        #expect(b.ring(forFraction: 1) == 2)
        #expect(b.ring(forFraction: 1.01) == nil)   // apical cap, region 0
        #expect(b.ring(forFraction: -0.01) == nil)  // above the base plane
        #expect(b.ring(forFraction: .nan) == nil)
    }

    @Test func validation() throws {
        let b = try RingBoundaries(basalMidFraction: 0.4, midApicalFraction: 0.75)
        #expect(b.ring(forFraction: 0.39) == 0 && b.ring(forFraction: 0.4) == 1 && b.ring(forFraction: 0.75) == 2)
        #expect(throws: (any Error).self) { try RingBoundaries(basalMidFraction: 0.5, midApicalFraction: 0.5) }
        #expect(throws: (any Error).self) { try RingBoundaries(basalMidFraction: 0, midApicalFraction: 0.5) }
        #expect(throws: (any Error).self) { try RingBoundaries(basalMidFraction: 0.3, midApicalFraction: 1) }
        let bad = Data(#"{"basalMidFraction": 0.7, "midApicalFraction": 0.3}"#.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(RingBoundaries.self, from: bad) }
        let good = try JSONDecoder().decode(RingBoundaries.self, from: try JSONEncoder().encode(b))
        #expect(good == b)
    }
}
