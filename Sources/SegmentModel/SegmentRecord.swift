import CRTCore

/// Per-segment values shared by truth.json and analysis.json (DOMAIN.md section 7): the same keys, units and
/// meaning, so that any scorer compares them key by key. Optional fields are absent when not measured.
public struct SegmentRecord: Codable, Sendable, Equatable {
    /// 36-segment id (1-36).
    public var id: Int
    /// "<ring>-<AHA name> <half>", e.g. "mid-anterolateral 1".
    public var name: String
    /// 0 basal, 1 mid, 2 apical.
    public var ring: Int
    /// AHA-18 and AHA-17 segment numbers of this id.
    public var aha18: Int
    public var aha17: Int
    /// Scar core volume / segment myocardial volume (fraction).
    public var scarFraction: Double
    /// `scarFraction >= DecisionModel.scarFractionThreshold`.
    public var scarred: Bool
    /// Mean transmural extent of scar core across the segment (fraction; 0 none, 1 full wall).
    public var transmurality: Double
    /// First time (ms after the R trigger) the segment's mean radial strain reaches 50 % of its systolic peak;
    /// nil when not measurable.
    public var activationTimeMs: Double?
    /// Systolic peak of the segment's mean radial strain (fraction, 0.30 = 30 %).
    public var peakRadialStrain: Double
    /// Area on the end-diastolic mid-wall surface (cm2).
    public var areaCm2: Double?
    /// Mean end-diastolic wall thickness (mm).
    public var wallThicknessMm: Double?
    /// Segment centre on the end-diastolic mid-wall surface, CMR patient frame (LPS mm).
    public var centreMm: Vec3?
    /// The generator's mean mechanical onset (ms; truth only).
    public var onsetTimeMs: Double?

    public init(id: Segment36, scarFraction: Double, transmurality: Double, activationTimeMs: Double?,
                peakRadialStrain: Double, decision: DecisionModel = DecisionModel()) {
        self.id = id.id; name = id.name; ring = id.ring; aha18 = id.aha18; aha17 = id.aha17
        self.scarFraction = scarFraction
        scarred = scarFraction >= decision.scarFractionThreshold
        self.transmurality = transmurality
        self.activationTimeMs = activationTimeMs
        self.peakRadialStrain = peakRadialStrain
    }
}

/// Reading a segment record: `id`, `scarFraction`, `scarred`, `transmurality` and `peakRadialStrain` are required;
/// `name`, `ring`, `aha18` and `aha17` follow from the id and are derived when absent (a pipeline other than
/// crtsim's need not copy the id table), and must agree with it when present.
extension SegmentRecord {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        guard let segment = Segment36(id) else {
            throw DecodingError.dataCorruptedError(forKey: .id, in: c, debugDescription: "\(id) is not a segment id (1-36)")
        }
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? segment.name
        ring = try c.decodeIfPresent(Int.self, forKey: .ring) ?? segment.ring
        aha18 = try c.decodeIfPresent(Int.self, forKey: .aha18) ?? segment.aha18
        aha17 = try c.decodeIfPresent(Int.self, forKey: .aha17) ?? segment.aha17
        guard ring == segment.ring, aha18 == segment.aha18, aha17 == segment.aha17 else {
            throw DecodingError.dataCorruptedError(forKey: .ring, in: c,
                debugDescription: "ring / aha18 / aha17 disagree with segment id \(id) (ring \(segment.ring), AHA-18 \(segment.aha18), AHA-17 \(segment.aha17))")
        }
        scarFraction = try c.decode(Double.self, forKey: .scarFraction)
        scarred = try c.decode(Bool.self, forKey: .scarred)
        transmurality = try c.decode(Double.self, forKey: .transmurality)
        activationTimeMs = try c.decodeIfPresent(Double.self, forKey: .activationTimeMs)
        peakRadialStrain = try c.decode(Double.self, forKey: .peakRadialStrain)
        areaCm2 = try c.decodeIfPresent(Double.self, forKey: .areaCm2)
        wallThicknessMm = try c.decodeIfPresent(Double.self, forKey: .wallThicknessMm)
        centreMm = try c.decodeIfPresent(Vec3.self, forKey: .centreMm)
        onsetTimeMs = try c.decodeIfPresent(Double.self, forKey: .onsetTimeMs)
    }
}

/// The decision model of DOMAIN.md section 1 item 5, one implementation used by the truth and by the pipeline.
/// A segment is eligible unless it is scarred, or it is the apical cap (never one of the 36), or its peak radial
/// strain is below `minPeakRadialStrain` (TARGET trial), or its activation time is not measurable. The
/// `lmaCount` latest activated eligible segments are the LMA sites (latest first); the primary target is the
/// latest. Ties in activation time go to the lower id.
public struct DecisionModel: Codable, Sendable, Equatable {
    /// Scarred segment: scar core fraction at least this (default 0.10).
    public var scarFractionThreshold: Double = 0.10
    /// Eligible only with peak radial strain at least this (fraction, default 0.10).
    public var minPeakRadialStrain: Double = 0.10
    /// Number of LMA sites reported (default 3).
    public var lmaCount: Int = 3

    public init() {}

    /// The outcome of the decision model.
    public struct Decision: Codable, Sendable, Equatable {
        /// Ids of the latest activated eligible segments, latest first.
        public var lmaTargets: [Int]
        /// The latest eligible segment, or nil.
        public var primaryTarget: Int?
        /// "target found", or why there is none.
        public var targetStatus: String
    }

    /// A rule that makes a segment ineligible, in the order the rules are listed.
    public enum Exclusion: String, Codable, Sendable, CaseIterable {
        /// `scarFraction >= scarFractionThreshold`.
        case scarred
        /// `peakRadialStrain < minPeakRadialStrain`.
        case lowPeakStrain
        /// No activation time.
        case activationNotMeasurable
    }

    /// Every rule that excludes `segment` (empty: eligible). The one definition of eligibility: `decide` and
    /// `reasons` both use it.
    public func exclusions(of segment: SegmentRecord) -> [Exclusion] {
        var out: [Exclusion] = []
        if segment.scarFractionAtLeast(scarFractionThreshold) { out.append(.scarred) }
        if segment.peakRadialStrain < minPeakRadialStrain { out.append(.lowPeakStrain) }
        if segment.activationTimeMs == nil { out.append(.activationNotMeasurable) }
        return out
    }

    /// Activation times closer than this to the latest are near-ties (ms): a third of the frame interval of a
    /// 25-phase cine at an R-R interval of 800 ms (32 ms), below what cine feature tracking resolves
    /// (docs/metrics.md, "Near-ties"). Fixed, not a setting, so that every scenario scores ties the same way.
    public static let activationTieMarginMs = 10.0

    /// The eligible segments whose activation time is within `activationTieMarginMs` of the latest eligible one
    /// (the primary target among them), ids ascending; empty when no segment is eligible.
    public func targetTies(_ segments: [SegmentRecord]) -> [Int] {
        let eligible = segments.filter { exclusions(of: $0).isEmpty }
        return Self.ties(eligible)
    }

    /// The segments whose measured activation time is within `activationTieMarginMs` of the latest measured one,
    /// eligible or not (the latest-activated segment's near-ties), ids ascending.
    public static func latestTies(_ segments: [SegmentRecord]) -> [Int] { ties(segments) }

    static func ties(_ segments: [SegmentRecord]) -> [Int] {
        let timed = segments.filter { $0.activationTimeMs != nil }
        guard let latest = timed.map({ $0.activationTimeMs! }).max() else { return [] }
        return timed.filter { $0.activationTimeMs! >= latest - activationTieMarginMs }.map(\.id).sorted()
    }

    public func decide(_ segments: [SegmentRecord]) -> Decision {
        let eligible = segments.filter { exclusions(of: $0).isEmpty }
        let ordered = eligible.sorted {
            ($0.activationTimeMs!, -$0.id) > ($1.activationTimeMs!, -$1.id)
        }
        let lma = ordered.prefix(lmaCount).map(\.id)
        if let first = lma.first {
            return Decision(lmaTargets: Array(lma), primaryTarget: first, targetStatus: "target found")
        }
        let scarred = segments.filter { $0.scarFractionAtLeast(scarFractionThreshold) }.count
        let weak = segments.filter { $0.peakRadialStrain < minPeakRadialStrain }.count
        return Decision(lmaTargets: [], primaryTarget: nil,
                        targetStatus: "no eligible segment: \(scarred) of \(segments.count) scarred, \(weak) with peak radial strain below \(Int(minPeakRadialStrain * 100)) %, activation not measurable elsewhere")
    }
}

extension SegmentRecord {
    func scarFractionAtLeast(_ t: Double) -> Bool { scarFraction >= t }
}
