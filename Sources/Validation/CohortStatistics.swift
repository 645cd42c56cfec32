import Foundation
import Statistics

/// Comparisons between groups of cases (DOMAIN.md section 4: e.g. ICM vs non-ICM, LBBB vs non-LBBB on target
/// accuracy and lead category), and the metrics of each group (for sweeps: how a metric degrades along the grid).
public enum CohortStatistics {
    /// The metrics of the cases of one group.
    public struct GroupMetrics: Codable, Sendable {
        public var grouping: String
        public var group: String
        public var cases: Int
        public var metrics: [PipelineMetrics.Metric]
    }

    /// One test between the groups of a grouping.
    public struct GroupTest: Codable, Sendable {
        public var grouping: String
        /// "fisher-exact", "mann-whitney-u", "welch-t", "one-way-anova".
        public var test: String
        /// What is compared, e.g. "target within-or-adjacent vs remote", "target distance (mm)".
        public var variable: String
        public var groups: [String]
        public var counts: [Int]
        /// Statistic (odds ratio, U, t or F) and two-sided p-value; nil with `note` when the test is undefined.
        public var statistic: Double?
        public var pValue: Double?
        public var note: String?
    }

    /// Group levels of each case for a grouping, in a stable order.
    static func levels(_ cases: [CaseEvaluation.Result], _ grouping: String) -> [String] {
        Array(Set(cases.compactMap { $0.groups[grouping] })).sorted()
    }

    public static func groupMetrics(_ cases: [CaseEvaluation.Result], groupBy: [String]) -> [GroupMetrics] {
        groupBy.flatMap { g in
            levels(cases, g).map { level in
                let subset = cases.filter { $0.groups[g] == level }
                return GroupMetrics(grouping: g, group: level, cases: subset.count, metrics: PipelineMetrics.compute(subset))
            }
        }
    }

    /// Tests per grouping: with two groups, Fisher's exact test on target accuracy (within or adjacent vs remote)
    /// and on the lead category (within or adjacent vs remote, when there is fluoroscopy), Mann-Whitney U and
    /// Welch's t on the target distance; with two or more groups, one-way ANOVA on the target distance.
    public static func tests(_ cases: [CaseEvaluation.Result], groupBy: [String]) -> [GroupTest] {
        var out: [GroupTest] = []
        for g in groupBy {
            let lv = levels(cases, g)
            guard lv.count >= 2 else { continue }
            let members = lv.map { level in cases.filter { $0.groups[g] == level } }
            let distances = members.map { $0.compactMap(\.score.targetDistanceMm) }
            func record(_ test: String, _ variable: String, _ counts: [Int], _ body: () throws -> (Double?, Double)) {
                do {
                    let (stat, p) = try body()
                    out.append(GroupTest(grouping: g, test: test, variable: variable, groups: lv, counts: counts, statistic: stat, pValue: p, note: nil))
                } catch {
                    out.append(GroupTest(grouping: g, test: test, variable: variable, groups: lv, counts: counts, statistic: nil, pValue: nil,
                                         note: String(describing: error)))
                }
            }
            if lv.count == 2 {
                let targetTable = members.map { m -> [Int] in
                    let c = m.map(\.score.primaryTargetCategory).filter { $0 == "within" || $0 == "adjacent" || $0 == "remote" }
                    return [c.filter { $0 != "remote" }.count, c.filter { $0 == "remote" }.count]
                }
                record("fisher-exact", "primary target within-or-adjacent vs remote", targetTable.map { $0.reduce(0, +) }) {
                    let r = try fisherExactTest(targetTable); return (r.oddsRatio, r.pValue)
                }
                let leadTable = members.map { m -> [Int] in
                    let c = m.compactMap { $0.registration?.leadCategory36Analysis }
                    return [c.filter { $0 != "remote" }.count, c.filter { $0 == "remote" }.count]
                }
                if leadTable.flatMap({ $0 }).reduce(0, +) > 0 {
                    record("fisher-exact", "lead category36 within-or-adjacent vs remote", leadTable.map { $0.reduce(0, +) }) {
                        let r = try fisherExactTest(leadTable); return (r.oddsRatio, r.pValue)
                    }
                }
                record("mann-whitney-u", "target distance (mm)", distances.map(\.count)) {
                    let r = try mannWhitneyU(distances[0], distances[1]); return (r.u, r.pValue)
                }
                record("welch-t", "target distance (mm)", distances.map(\.count)) {
                    let r = try welchTTest(distances[0], distances[1]); return (r.t, r.pValue)
                }
            }
            record("one-way-anova", "target distance (mm)", distances.map(\.count)) {
                let r = try oneWayANOVA(distances); return (r.f, r.pValue)
            }
        }
        return out
    }
}
