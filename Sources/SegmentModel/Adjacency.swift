/// Which segments count as adjacent ([open] in DOMAIN.md section 1 item 7).
public enum AdjacencyRule: String, Codable, Sendable, CaseIterable {
    /// Ring and sector indices both differ by at most 1 (sector cyclic): sharing an edge or a corner.
    /// The project default.
    case edgeOrCorner
    /// Sharing an edge: same ring and neighbouring sector, or neighbouring ring and same sector.
    case edgeOnly

    /// Adjacency from the absolute ring difference and the cyclic sector distance; (0, 0) is the segment
    /// itself, which is not adjacent.
    func isAdjacent(ringDifference dr: Int, sectorDifference ds: Int) -> Bool {
        switch self {
        case .edgeOrCorner: return dr <= 1 && ds <= 1 && (dr, ds) != (0, 0)
        case .edgeOnly: return dr + ds == 1
        }
    }
}

/// Position of the LV lead's pacing electrode relative to the primary target (DOMAIN.md section 1 item 7;
/// TARGET trial wording: concordant, adjacent = within 1 segment, remote = 2 or more segments away).
/// Ordered within < adjacent < remote for weighted agreement statistics.
public enum LeadCategory: String, Codable, Sendable, CaseIterable, Comparable {
    case within, adjacent, remote

    /// Rank for ordered statistics: within 0, adjacent 1, remote 2.
    public var rank: Int {
        switch self {
        case .within: return 0
        case .adjacent: return 1
        case .remote: return 2
        }
    }
    public static func < (a: LeadCategory, b: LeadCategory) -> Bool { a.rank < b.rank }

    /// Category in the 36-segment model: the same segment is within, an adjacent one (by `rule`) adjacent,
    /// anything else remote.
    /// - Parameters:
    ///   - lead: segment of the pacing electrode.
    ///   - target: primary target segment.
    ///   - rule: adjacency rule (default edge or corner).
    public static func category36(lead: Segment36, target: Segment36,
                                  rule: AdjacencyRule = .edgeOrCorner) -> LeadCategory {
        if lead == target { return .within }
        return lead.isAdjacent(to: target, rule: rule) ? .adjacent : .remote
    }

    /// Category in the AHA 18-segment model: both segments mapped to AHA-18 (`aha18`); the same AHA-18 segment
    /// is within, adjacent AHA-18 segments (`AHA18.isAdjacent`: same ring and neighbouring sector cyclic over 6,
    /// or neighbouring ring with sectors differing by at most 1 for the default rule) adjacent, else remote.
    public static func category18(lead: Segment36, target: Segment36,
                                  rule: AdjacencyRule = .edgeOrCorner) -> LeadCategory {
        if lead.aha18 == target.aha18 { return .within }
        return AHA18.isAdjacent(lead.aha18, target.aha18, rule: rule) ? .adjacent : .remote
    }
}

extension Segment36 {
    /// Whether `other` is adjacent to this segment (never itself). With `.edgeOrCorner` (default) ring and
    /// sector index both differ by at most 1, the sector index cyclic over 12: a mid segment has 8 neighbours, a
    /// basal or apical one 5. With `.edgeOnly`: 4 and 3.
    public func isAdjacent(to other: Segment36, rule: AdjacencyRule = .edgeOrCorner) -> Bool {
        rule.isAdjacent(ringDifference: abs(ring - other.ring),
                        sectorDifference: cyclicDistance(sectorIndex, other.sectorIndex,
                                                         period: Segment36.sectorsPerRing))
    }

    /// The adjacent segments, ordered by id.
    public func neighbours(rule: AdjacencyRule = .edgeOrCorner) -> [Segment36] {
        Segment36.all.filter { isAdjacent(to: $0, rule: rule) }
    }
}
