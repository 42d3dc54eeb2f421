/// Checks batches against an input contract: which rows go on to be scored, which go to the
/// reject table and why.
///
/// Built once per (contract, input header); runs on every chunk. Numeric fields are parsed from
/// the batch bytes without creating Strings; a categorical field becomes a String only when its
/// rule rejects unseen values (short values stay inline, without allocation) or when it is reported.
public struct ContractChecker: Sendable {
    /// One rule, flattened for the row loop (no enum payloads to retain per field).
    struct Plan: Sendable {
        var column: Int
        var numeric: Bool
        var nullable: Bool
        /// Numeric: the allowed interval.
        var low = -Double.infinity, high = Double.infinity
        /// Categorical: index into `allowed`, or -1 when unseen values are accepted (read as
        /// missing) and only emptiness is checked.
        var allowedIndex = -1
    }

    public let contract: InputContract
    let plans: [Plan]
    /// Categorical rules that reject unseen values: the allowed names, and those of them that are numbers.
    let allowed: [(names: Set<String>, numbers: Set<Double>)]

    /// Matches the contract's columns to the input header by name and checks the rules.
    /// - Throws: `ContractError.missingColumns` naming every contract column the header lacks;
    ///   `ContractError.invalidRule` for a rule that cannot be applied (min above max, negative
    ///   tolerance, a categorical rule that rejects unseen values but lists no categories).
    public init(contract: InputContract, header: [String]) throws(ContractError) {
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[name] == nil { index[name] = i }
        let missing = contract.columns.map(\.name).filter { index[$0] == nil }
        guard missing.isEmpty else { throw .missingColumns(missing, header: header) }

        var plans: [Plan] = []
        var allowedSets: [(names: Set<String>, numbers: Set<Double>)] = []
        for rule in contract.columns {
            let column = index[rule.name]!
            switch rule.type {
            case .numeric:
                if let lo = rule.min, let hi = rule.max, lo > hi {
                    throw .invalidRule(column: rule.name, detail: "min \(lo) is above max \(hi)")
                }
                if let t = rule.tolerance, !(t >= 0) {
                    throw .invalidRule(column: rule.name, detail: "tolerance \(t) is negative")
                }
                let range = rule.allowedRange
                plans.append(Plan(column: column, numeric: true, nullable: rule.nullable,
                                  low: range.lowerBound, high: range.upperBound))
            case .categorical:
                var plan = Plan(column: column, numeric: false, nullable: rule.nullable)
                if rule.unseen == .reject {
                    guard let categories = rule.categories else {
                        throw .invalidRule(column: rule.name, detail: "unseen is \"reject\" but no categories are listed")
                    }
                    // As the encoder does: "1.0" is category "1".
                    var numbers: Set<Double> = []
                    for name in categories { if let v = Double(name), !v.isNaN { numbers.insert(v) } }
                    plan.allowedIndex = allowedSets.count
                    allowedSets.append((Set(categories), numbers))
                }
                plans.append(plan)
            }
        }
        self.contract = contract
        self.plans = plans
        self.allowed = allowedSets
    }

    /// Checks every row of `batch` against every rule.
    public func check(_ batch: TextBatch) -> ContractCheck {
        let rows = batch.rowCount
        let width = batch.columnCount
        var violations: [ContractViolation] = []
        var keep = [Bool](repeating: true, count: rows)
        var rejected = 0
        var nulls = [Int](repeating: 0, count: plans.count)
        let names = contract.columns.map(\.name)

        batch.bytes.withUnsafeBufferPointer { bytes in
            batch.fieldEnds.withUnsafeBufferPointer { ends in
                plans.withUnsafeBufferPointer { plans in
                    nulls.withUnsafeMutableBufferPointer { nulls in
                        @inline(__always) func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
                            let start = i == 0 ? 0 : Int(ends[i - 1])
                            return UnsafeBufferPointer(rebasing: bytes[start..<Int(ends[i])])
                        }
                        for r in 0..<rows {
                            let base = r * width
                            var rowOK = true
                            for p in 0..<plans.count {
                                var reason: RejectReason? = nil
                                let plan = plans[p]
                                let text = field(base + plan.column)
                                if plan.numeric {
                                    switch NumberParser.parse(text) {
                                    case .number(let v):
                                        // Infinity is never a training value, whatever the bounds.
                                        if !(v >= plan.low && v <= plan.high) || v.isInfinite { reason = .outOfRange }
                                    case .missing:
                                        nulls[p] &+= 1
                                        if !plan.nullable { reason = .nullValue }
                                    case .invalid:
                                        reason = .notANumber
                                    }
                                } else if text.isEmpty {
                                    nulls[p] &+= 1
                                    if !plan.nullable { reason = .nullValue }
                                } else if plan.allowedIndex >= 0 && !isAllowed(text, allowed[plan.allowedIndex]) {
                                    reason = .unseenCategory
                                }
                                if let reason {
                                    violations.append(ContractViolation(row: r, column: names[p],
                                                                        value: String(decoding: text, as: UTF8.self), reason: reason))
                                    rowOK = false
                                }
                            }
                            if !rowOK {
                                keep[r] = false
                                rejected += 1
                            }
                        }
                    }
                }
            }
        }
        var allNull: [String] = []
        if rows > 0 {
            for p in 0..<plans.count where nulls[p] == rows { allNull.append(names[p]) }
        }
        return ContractCheck(violations: violations, keep: keep, rejectedRows: rejected, allNullColumns: allNull)
    }

    /// An allowed category, or a number equal to a numeric category name ("1.0" for "1").
    @inline(__always)
    private func isAllowed(_ text: UnsafeBufferPointer<UInt8>, _ set: (names: Set<String>, numbers: Set<Double>)) -> Bool {
        if set.names.contains(String(decoding: text, as: UTF8.self)) { return true }
        guard !set.numbers.isEmpty, case .number(let v) = NumberParser.parse(text) else { return false }
        return set.numbers.contains(v)
    }
}
