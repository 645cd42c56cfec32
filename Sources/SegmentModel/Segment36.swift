import CRTCore

/// One of the 36 segments of the left ventricle (3 rings x 12 sectors of 30 degrees), numbered as DOMAIN.md
/// section 2 fixes it so that every tool and every scorer agrees.
///
/// Numbering: `id = 12 r + 2 (a - 1) + h` with ring `r` (0 basal, 1 mid, 2 apical), AHA sector `a`
/// (1 anterior, 2 anteroseptal, 3 inferoseptal, 4 inferior, 5 inferolateral, 6 anterolateral) and half `h`
/// (1 for the lower-angle half of the AHA sector, 2 for the other). Angles are measured from the anterior RV
/// insertion point, increasing through the septum (right-handed about the base-to-apex axis), so
/// `id = 12 r + ((floor(angle / 30) + 2) mod 12) + 1`: id 1 spans 300-330 degrees, id 3 spans 0-30 degrees.
/// Ring heights are parameters (`RingBoundaries`); sectors are always 12 per ring, so ids, adjacency and the
/// 36 entries never change. The apical cap (myocardium beyond the end of the cavity) is region 0, not a segment.
///
/// Encoded (`Codable`) as its plain integer id, the form used by truth.json and analysis.json.
public struct Segment36: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    /// Segment id, 1...36.
    public let id: Int

    /// Number of rings (basal, mid, apical).
    public static let ringCount = 3
    /// Number of 30-degree sectors in every ring.
    public static let sectorsPerRing = 12
    /// Angular width of one sector (degrees).
    public static let sectorWidthDegrees = 30.0
    /// Number of AHA (60-degree) sectors per ring.
    public static let ahaSectorsPerRing = 6
    /// Start angle of id 1 (and 13, 25): the anterior AHA sector spans 300-360 degrees.
    static let firstSegmentStartDegrees = 300.0

    /// The segment with this id; nil unless `1 <= id <= 36`.
    public init?(_ id: Int) {
        guard (1...36).contains(id) else { return nil }
        self.id = id
    }

    /// The segment from ring (0 basal, 1 mid, 2 apical), AHA sector (1 anterior ... 6 anterolateral) and half
    /// (1 lower-angle, 2 higher-angle); nil when any index is out of range.
    public init?(ring: Int, ahaSector: Int, half: Int) {
        guard (0..<Segment36.ringCount).contains(ring), (1...Segment36.ahaSectorsPerRing).contains(ahaSector),
              (1...2).contains(half) else { return nil }
        self.id = 12 * ring + 2 * (ahaSector - 1) + half
    }

    /// All 36 segments ordered by id.
    public static let all: [Segment36] = (1...36).map { Segment36($0)! }

    /// The segment holding a point of ring `ring` at angle `angleDegrees` (any real; wrapped into [0, 360)):
    /// `id = 12 r + ((floor(angle / 30) + 2) mod 12) + 1`.
    /// - Parameters:
    ///   - ring: 0 basal, 1 mid, 2 apical (precondition).
    ///   - angleDegrees: degrees from the anterior RV insertion point, increasing through the septum.
    public static func id(ring: Int, angleDegrees: Double) -> Segment36 {
        precondition((0..<ringCount).contains(ring), "ring must be 0, 1 or 2")
        precondition(angleDegrees.isFinite, "angle must be finite")
        let a = wrapDegrees(angleDegrees)
        // `% 12` twice guards a wrapped angle that rounds to exactly 360.
        let sector = Int((a / sectorWidthDegrees).rounded(.down))
        let index = ((sector + 2) % sectorsPerRing + sectorsPerRing) % sectorsPerRing
        return Segment36(12 * ring + index + 1)!
    }

    /// Ring: 0 basal, 1 mid, 2 apical.
    public var ring: Int { (id - 1) / Segment36.sectorsPerRing }
    /// Position within the ring, 0...11, in id order (cyclic: index 11 neighbours index 0). Index 0 is the
    /// sector starting at 300 degrees.
    public var sectorIndex: Int { (id - 1) % Segment36.sectorsPerRing }
    /// AHA sector: 1 anterior, 2 anteroseptal, 3 inferoseptal, 4 inferior, 5 inferolateral, 6 anterolateral.
    public var ahaSector: Int { sectorIndex / 2 + 1 }
    /// Half of the AHA sector: 1 lower-angle half, 2 higher-angle half.
    public var half: Int { sectorIndex % 2 + 1 }

    /// Start angle of the segment in degrees, [0, 360) (id 1: 300).
    public var startAngleDegrees: Double {
        wrapDegrees(Segment36.firstSegmentStartDegrees + Double(sectorIndex) * Segment36.sectorWidthDegrees)
    }
    /// Centre angle of the segment in degrees, [0, 360) (id 1: 315, id 3: 15).
    public var centreAngleDegrees: Double { wrapDegrees(startAngleDegrees + Segment36.sectorWidthDegrees / 2) }

    /// Name "<ring>-<AHA sector> <half>", e.g. "mid-anterolateral 1" (id 23).
    public var name: String {
        "\(Segment36.ringNames[ring])-\(Segment36.ahaSectorNames[ahaSector - 1]) \(half)"
    }
    public var description: String { name }

    /// Ring names in ring order.
    public static let ringNames = ["basal", "mid", "apical"]
    /// AHA sector names in AHA order (index a - 1).
    public static let ahaSectorNames = ["anterior", "anteroseptal", "inferoseptal", "inferior", "inferolateral",
                                        "anterolateral"]

    /// AHA 18-segment number, `6 r + a` (1...18).
    public var aha18: Int { 6 * ring + ahaSector }

    /// AHA 17-segment number (1...16; 17, the apical cap, is never one of the 36). Basal and mid: as `aha18`.
    /// Apical: the 17-model's 4 sectors (13 anterior 285-15, 14 septal 15-105, 15 inferior 105-195, 16 lateral
    /// 195-285 degrees) cut ids 27, 30, 33 and 36 through their centres; `tieBreak` says which half decides
    /// (default: the lower-angle half, giving 27 -> 13, 30 -> 14, 33 -> 15, 36 -> 16).
    public func aha17(tieBreak: AHA17TieBreak = .lowerAngleHalf) -> Int {
        guard ring == 2 else { return aha18 }
        let quarter = Segment36.sectorWidthDegrees / 4
        let probe = startAngleDegrees + (tieBreak == .lowerAngleHalf ? quarter : 3 * quarter)
        let offset = wrapDegrees(probe - AHA17.apicalAnteriorStartDegrees)
        return 13 + Int(offset / AHA17.apicalSectorWidthDegrees)
    }
    /// AHA 17-segment number with the default tie-break (lower-angle half).
    public var aha17: Int { aha17() }
    /// AHA 16-segment number: the 17-segment model without the cap, so the same as `aha17` for all 36.
    public var aha16: Int { aha17 }

    public static func < (a: Segment36, b: Segment36) -> Bool { a.id < b.id }

    // Codable as the plain integer id.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let v = try c.decode(Int.self)
        guard let s = Segment36(v) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "segment id \(v) is not in 1...36")
        }
        self = s
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(id)
    }
}

/// Which half decides the AHA-17 apical segment of ids 27, 30, 33 and 36, which the 17-model boundaries cut
/// through their centres.
public enum AHA17TieBreak: String, Codable, Sendable, CaseIterable {
    /// The 17-segment holding the segment's lower-angle half (the project default, DOMAIN.md section 2).
    case lowerAngleHalf
    /// The 17-segment holding the segment's higher-angle half.
    case higherAngleHalf
}
