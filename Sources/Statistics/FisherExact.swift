import Foundation

/// Which departure from the null hypothesis a test looks for.
public enum Alternative: String, Sendable, Hashable, Codable, CaseIterable {
    /// Either direction.
    case twoSided = "two_sided"
    /// The first group's statistic is smaller (for a 2x2 table: the odds ratio is below 1).
    case less
    /// The first group's statistic is larger (for a 2x2 table: the odds ratio is above 1).
    case greater
}

/// Fisher's exact test of independence in a contingency table.
public struct FisherExactResult: Sendable, Equatable, Hashable, Codable {
    /// The table tested, rows x columns of counts.
    public var table: [[Int]]
    /// For a 2x2 table [[a, b], [c, d]], the sample odds ratio a d / (b c); nil for larger tables and when
    /// b c = 0 (zero or infinite).
    public var oddsRatio: Double?
    /// The p-value for `alternative`.
    public var pValue: Double
    /// The alternative tested (always two-sided for tables larger than 2x2).
    public var alternative: Alternative
    /// Number of tables with the observed margins whose probability was evaluated one by one (for r x c tables,
    /// groups of tables that bounds show to be all or none as extreme are summed in closed form instead).
    public var tablesEnumerated: Int
}

/// Relative slack when comparing a table's probability with the observed one, so tables that are equally likely
/// in exact arithmetic count as "as extreme" despite rounding (the value R `fisher.test` uses).
private let fisherRelativeTolerance = 1e-7
/// Largest number of tables the r x c enumeration evaluates one by one before it refuses.
public let fisherExactTableLimit = 20_000_000

/// Fisher's exact test for an r x c table of counts (r, c >= 2).
///
/// Method: conditional on both margins, the table has the multivariate hypergeometric probability
/// P = prod R_i! prod C_j! / (N! prod n_ij!) (Fisher, Statistical Methods for Research Workers, 1934, section 21.02;
/// Freeman & Halton, Biometrika 38:141, 1951, for r x c). The two-sided p-value is the sum of the probabilities of
/// all tables with the observed margins that are no more probable than the observed one (up to a relative
/// 1e-7), as R `fisher.test` and SciPy `fisher_exact` do. For 2x2 tables the one-sided p-values (`.less`:
/// P(a' <= a), `.greater`: P(a' >= a)) are available too. Larger tables are enumerated column by column, with
/// whole groups of completions summed in closed form where bounds allow; that is exact, but the work still grows
/// quickly with the total and the size of the table.
/// - Parameters:
///   - table: rows x columns of non-negative counts, at least 2 x 2, every row the same length, total > 0.
///   - alternative: `.twoSided` (default); `.less` and `.greater` for 2x2 tables only.
/// - Throws: `StatisticsError` for a malformed or empty table, a one-sided alternative on a larger table, or
///   more than `fisherExactTableLimit` tables to enumerate.
public func fisherExactTest(_ table: [[Int]], alternative: Alternative = .twoSided) throws -> FisherExactResult {
    let r = table.count
    guard r >= 2 else { throw StatisticsError("Fisher's exact test: needs at least 2 rows, got \(r)") }
    let c = table[0].count
    guard c >= 2 else { throw StatisticsError("Fisher's exact test: needs at least 2 columns, got \(c)") }
    for (i, row) in table.enumerated() {
        guard row.count == c else {
            throw StatisticsError("Fisher's exact test: row \(i) has \(row.count) entries, row 0 has \(c)")
        }
        if let j = row.firstIndex(where: { $0 < 0 }) {
            throw StatisticsError("Fisher's exact test: count [\(i)][\(j)] is negative (\(row[j]))")
        }
    }
    let rowSums = table.map { $0.reduce(0, +) }
    let colSums = (0..<c).map { j in table.reduce(0) { $0 + $1[j] } }
    let total = rowSums.reduce(0, +)
    guard total > 0 else { throw StatisticsError("Fisher's exact test: the table is empty (all counts are 0)") }
    let logFactorial = LogFactorials(upTo: total)
    let logConstant =
        rowSums.reduce(0.0) { $0 + logFactorial[$1] } + colSums.reduce(0.0) { $0 + logFactorial[$1] }
        - logFactorial[total]
    func logProbability(_ cells: [[Int]]) -> Double {
        logConstant - cells.reduce(0.0) { s, row in row.reduce(s) { $0 + logFactorial[$1] } }
    }
    let logObserved = logProbability(table)
    let threshold = logObserved + log1p(fisherRelativeTolerance)

    if r == 2 && c == 2 {
        return fisher2x2(
            table, rowSums: rowSums, colSums: colSums, total: total, logConstant: logConstant,
            logFactorial: logFactorial, threshold: threshold, alternative: alternative)
    }
    guard alternative == .twoSided else {
        throw StatisticsError(
            "Fisher's exact test: one-sided alternatives are defined for 2x2 tables only; "
                + "this table is \(r) x \(c)")
    }
    var enumerator = FisherEnumerator(
        rowSums: rowSums, colSums: colSums, logConstant: logConstant,
        logFactorial: logFactorial, threshold: threshold)
    try enumerator.run()
    return FisherExactResult(
        table: table, oddsRatio: nil, pValue: min(1, enumerator.pValue),
        alternative: .twoSided, tablesEnumerated: enumerator.tables)
}

/// The 2x2 case: the tables are indexed by their top-left count a', hypergeometric over its support.
private func fisher2x2(
    _ table: [[Int]], rowSums: [Int], colSums: [Int], total: Int, logConstant: Double,
    logFactorial: LogFactorials, threshold: Double, alternative: Alternative
) -> FisherExactResult {
    let a = table[0][0], b = table[0][1], cc = table[1][0], d = table[1][1]
    let low = max(0, rowSums[0] + colSums[0] - total), high = min(rowSums[0], colSums[0])
    var less = 0.0, greater = 0.0, twoSided = 0.0
    for x in low...high {
        let lp =
            logConstant - logFactorial[x] - logFactorial[rowSums[0] - x] - logFactorial[colSums[0] - x]
            - logFactorial[total - rowSums[0] - colSums[0] + x]
        let p = exp(lp)
        if x <= a { less += p }
        if x >= a { greater += p }
        if lp <= threshold { twoSided += p }
    }
    let p: Double
    switch alternative {
    case .twoSided: p = twoSided
    case .less: p = less
    case .greater: p = greater
    }
    let oddsRatio: Double? = b * cc > 0 ? Double(a) * Double(d) / (Double(b) * Double(cc)) : nil
    return FisherExactResult(
        table: table, oddsRatio: oddsRatio, pValue: min(1, p), alternative: alternative,
        tablesEnumerated: high - low + 1)
}

/// Visits the r x c tables with the given margins, column by column and row by row within a column. At the start
/// of each column, the tables that complete the columns fixed so far are summed in closed form when crude bounds
/// show that all of them, or none of them, are as extreme as the observed table (the pruning idea of the network
/// algorithm of Mehta & Patel, J. Am. Stat. Assoc. 78:427, 1983, with simpler bounds); otherwise the enumeration
/// goes on cell by cell.
private struct FisherEnumerator {
    let colSums: [Int]
    let logConstant: Double
    let logFactorial: LogFactorials
    let threshold: Double
    var remainingRows: [Int]
    var pValue = 0.0
    var tables = 0

    init(rowSums: [Int], colSums: [Int], logConstant: Double, logFactorial: LogFactorials, threshold: Double) {
        self.colSums = colSums
        self.logConstant = logConstant
        self.logFactorial = logFactorial
        self.threshold = threshold
        remainingRows = rowSums
    }

    mutating func run() throws {
        try fill(column: 0, row: 0, leftInColumn: colSums[0], logCells: 0)
    }

    /// The smallest possible sum of ln x! over `parts` non-negative integers adding up to `total` (the most even
    /// split), a lower bound for any completion's share of sum ln n_ij!.
    private func evenSplitLogFactorials(_ total: Int, parts: Int) -> Double {
        guard parts > 0 else { return 0 }
        let q = total / parts, r = total % parts
        return Double(r) * logFactorial[q + 1] + Double(parts - r) * logFactorial[q]
    }

    /// Sums the completions of the columns before `column` in closed form if bounds allow; true if it did.
    private mutating func settledByBounds(column: Int, logCells: Double) -> Bool {
        let columns = colSums[column...]
        let rows = remainingRows.filter { $0 > 0 }
        let nonEmptyColumns = columns.filter { $0 > 0 }
        // Bounds on sum ln n_ij! over the cells still free: at least the most even split of every row (or of
        // every column), at most sum ln R'_i! (or sum ln C'_j!), since a multinomial coefficient is >= 1.
        let rowsLog = rows.reduce(0.0) { $0 + logFactorial[$1] }
        let columnsLog = nonEmptyColumns.reduce(0.0) { $0 + logFactorial[$1] }
        let fewest = max(
            rows.reduce(0.0) { $0 + evenSplitLogFactorials($1, parts: nonEmptyColumns.count) },
            nonEmptyColumns.reduce(0.0) { $0 + evenSplitLogFactorials($1, parts: rows.count) })
        let most = min(rowsLog, columnsLog)
        let mostProbable = logConstant - logCells - fewest
        let leastProbable = logConstant - logCells - most
        if leastProbable > threshold { return true }  // none is as extreme: adds nothing
        if mostProbable <= threshold {
            // All are as extreme: sum over completions of prod 1/n_ij! = N'! / (prod R'_i! prod C'_j!).
            let remaining = rows.reduce(0, +)
            pValue += exp(logConstant - logCells + logFactorial[remaining] - rowsLog - columnsLog)
            return true
        }
        return false
    }

    /// Chooses the count of cell (row, column); `logCells` is the sum of ln n_ij! so far.
    private mutating func fill(column: Int, row: Int, leftInColumn: Int, logCells: Double) throws {
        let rows = remainingRows.count
        if column == colSums.count - 1 {
            // The last column is fixed by the remaining row sums (which add up to its total).
            let lp = logConstant - remainingRows.reduce(logCells) { $0 + logFactorial[$1] }
            tables += 1
            if tables > fisherExactTableLimit {
                throw StatisticsError(
                    "Fisher's exact test: more than \(fisherExactTableLimit) tables share these "
                        + "margins; the table is too large for complete enumeration")
            }
            if lp <= threshold { pValue += exp(lp) }
            return
        }
        if row == 0 && column > 0 && settledByBounds(column: column, logCells: logCells) { return }
        if row == rows - 1 {
            // The last row of a column takes what is left of the column total.
            guard leftInColumn <= remainingRows[row] else { return }
            remainingRows[row] -= leftInColumn
            try fill(
                column: column + 1, row: 0, leftInColumn: colSums[column + 1],
                logCells: logCells + logFactorial[leftInColumn])
            remainingRows[row] += leftInColumn
            return
        }
        // What the rows below can still take bounds this cell from below.
        let capacityBelow = remainingRows[(row + 1)...].reduce(0, +)
        let lowest = max(0, leftInColumn - capacityBelow)
        let highest = min(leftInColumn, remainingRows[row])
        guard lowest <= highest else { return }
        for x in lowest...highest {
            remainingRows[row] -= x
            try fill(
                column: column, row: row + 1, leftInColumn: leftInColumn - x,
                logCells: logCells + logFactorial[x])
            remainingRows[row] += x
        }
    }
}
