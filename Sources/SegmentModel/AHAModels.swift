/// The AHA 18-segment model (Cerqueira et al. 2002 rings, apical ring of 6 sectors, no cap): 1-6 basal,
/// 7-12 mid, 13-18 apical, each ring anterior, anteroseptal, inferoseptal, inferior, inferolateral,
/// anterolateral.
public enum AHA18 {
    /// Segment numbers.
    public static let numbers = 1...18

    /// Ring of segment `n`: 0 basal, 1 mid, 2 apical.
    public static func ring(_ n: Int) -> Int {
        precondition(numbers.contains(n), "AHA-18 segment must be 1...18")
        return (n - 1) / 6
    }
    /// AHA sector (1 anterior ... 6 anterolateral) of segment `n`.
    public static func sector(_ n: Int) -> Int {
        precondition(numbers.contains(n), "AHA-18 segment must be 1...18")
        return (n - 1) % 6 + 1
    }

    /// Name of segment `n`, e.g. 1 "basal anterior", 18 "apical anterolateral".
    public static func name(_ n: Int) -> String {
        "\(Segment36.ringNames[ring(n)]) \(Segment36.ahaSectorNames[sector(n) - 1])"
    }

    /// Whether two AHA-18 segments are adjacent: with `.edgeOrCorner`, ring and sector (cyclic over 6) both
    /// differ by at most 1; with `.edgeOnly`, same ring and neighbouring sector, or neighbouring ring and same
    /// sector. A segment is not adjacent to itself.
    public static func isAdjacent(_ a: Int, _ b: Int, rule: AdjacencyRule = .edgeOrCorner) -> Bool {
        rule.isAdjacent(ringDifference: abs(ring(a) - ring(b)),
                        sectorDifference: cyclicDistance(sector(a), sector(b), period: 6))
    }
}

/// The AHA 17-segment model: 1-12 as in `AHA18`, apical ring of 4 sectors (13 anterior, 14 septal,
/// 15 inferior, 16 lateral, centred on 330, 60, 150 and 240 degrees of the segment angle convention) and
/// 17 the apex (cap).
public enum AHA17 {
    /// Segment numbers.
    public static let numbers = 1...17
    /// Start angle of apical anterior (13) in degrees; the 4 apical sectors follow every 90 degrees.
    public static let apicalAnteriorStartDegrees = 285.0
    /// Width of an apical sector in degrees.
    public static let apicalSectorWidthDegrees = 90.0

    /// Name of segment `n`: 1-12 as `AHA18.name`, 13 "apical anterior", 14 "apical septal",
    /// 15 "apical inferior", 16 "apical lateral", 17 "apex".
    public static func name(_ n: Int) -> String {
        precondition(numbers.contains(n), "AHA-17 segment must be 1...17")
        switch n {
        case 1...12: return AHA18.name(n)
        case 17: return "apex"
        default: return "apical " + ["anterior", "septal", "inferior", "lateral"][n - 13]
        }
    }
}

/// The AHA 16-segment model: the 17-segment model without the apical cap.
public enum AHA16 {
    /// Segment numbers.
    public static let numbers = 1...16
    /// Name of segment `n` (as `AHA17.name`).
    public static func name(_ n: Int) -> String {
        precondition(numbers.contains(n), "AHA-16 segment must be 1...16")
        return AHA17.name(n)
    }
}

/// Smallest distance between two indices on a cycle of `period` (e.g. sectors 1 and 6 of 6 are 1 apart).
@inlinable func cyclicDistance(_ a: Int, _ b: Int, period: Int) -> Int {
    let d = ((a - b) % period + period) % period
    return min(d, period - d)
}
