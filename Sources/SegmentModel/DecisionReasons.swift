import Foundation

/// Why the decision model did or did not choose one segment as a target: the rules of `DecisionModel` applied to
/// it, in words for a teaching page or a report.
public struct SegmentReason: Codable, Sendable, Equatable {
    /// What the decision model made of the segment.
    public enum Verdict: String, Codable, Sendable {
        /// The latest activated eligible segment.
        case primaryTarget
        /// One of the other LMA sites.
        case lmaSite
        /// Eligible, but activated earlier than the LMA sites.
        case eligibleNotLatest
        /// Excluded by at least one rule (`exclusions`).
        case excluded
    }

    /// 36-segment id.
    public var id: Int
    public var verdict: Verdict
    /// The rules that exclude the segment (empty unless `verdict == .excluded`).
    public var exclusions: [DecisionModel.Exclusion]
    /// 1-based rank among the LMA sites (1 = primary target), nil when not an LMA site.
    public var lmaRank: Int?
    /// One sentence: the verdict and the numbers behind it.
    public var text: String
}

extension DecisionModel {
    /// The reason for every segment in `segments`, in their order, derived from the same rules as `decide`
    /// (`exclusions(of:)` and the activation order of the eligible segments).
    /// - Parameter segments: the 36 records (any subset works; ranks are among the records given).
    public func reasons(_ segments: [SegmentRecord]) -> [SegmentReason] {
        let decision = decide(segments)
        let byId = Dictionary(segments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let lmaTimes = decision.lmaTargets.compactMap { byId[$0]?.activationTimeMs }
        return segments.map { s in
            let excluded = exclusions(of: s)
            if !excluded.isEmpty {
                let why = excluded.map { rule -> String in
                    switch rule {
                    case .scarred:
                        return "scarred (scar core \(Self.percent(s.scarFraction)) of the segment, at least \(Self.percent(scarFractionThreshold)))"
                    case .lowPeakStrain:
                        let (value, limit) = Self.distinctPercents(s.peakRadialStrain, minPeakRadialStrain)
                        return "peak radial strain \(value) is below \(limit) (TARGET criterion)"
                    case .activationNotMeasurable:
                        return "its activation time could not be measured"
                    }
                }
                return SegmentReason(id: s.id, verdict: .excluded, exclusions: excluded, lmaRank: nil,
                                     text: "Not eligible: " + Self.joined(why) + ".")
            }
            let t = s.activationTimeMs ?? 0
            if let rank = decision.lmaTargets.firstIndex(of: s.id).map({ $0 + 1 }) {
                if rank == 1 {
                    return SegmentReason(id: s.id, verdict: .primaryTarget, exclusions: [], lmaRank: 1,
                                         text: "Primary target: eligible and the latest activated eligible segment (\(Self.ms(t))).")
                }
                return SegmentReason(id: s.id, verdict: .lmaSite, exclusions: [], lmaRank: rank,
                                     text: "LMA site \(rank) of \(decision.lmaTargets.count): eligible, activated at \(Self.ms(t)), "
                                         + "the \(Self.ordinal(rank)) latest eligible segment.")
            }
            let last = lmaTimes.last.map(Self.ms) ?? "?"
            return SegmentReason(id: s.id, verdict: .eligibleNotLatest, exclusions: [], lmaRank: nil,
                                 text: "Eligible, not a target: activated at \(Self.ms(t)), before the \(decision.lmaTargets.count) "
                                     + "LMA sites (the \(Self.ordinal(decision.lmaTargets.count)) latest eligible segment activated at \(last)).")
        }
    }

    static func percent(_ f: Double) -> String { String(format: "%.0f %%", 100 * f) }
    /// Two fractions as percentages with one decimal, or more (up to 3) until different values read differently.
    static func distinctPercents(_ a: Double, _ b: Double) -> (String, String) {
        for d in 1...3 {
            let x = String(format: "%.\(d)f %%", 100 * a), y = String(format: "%.\(d)f %%", 100 * b)
            if x != y || d == 3 { return (x, y) }
        }
        return ("", "")
    }
    static func ms(_ t: Double) -> String { String(format: "%.0f ms", t) }
    static func ordinal(_ n: Int) -> String {
        switch n { case 1: return "1st"; case 2: return "2nd"; case 3: return "3rd"; default: return "\(n)th" }
    }
    static func joined(_ parts: [String]) -> String {
        parts.count <= 1 ? parts.joined() : parts.dropLast().joined(separator: ", ") + " and " + parts.last!
    }
}
