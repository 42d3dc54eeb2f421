extension InputContract {
    /// The tolerance `derive` writes: values may go half the training range beyond either end.
    /// Wide enough that ordinary growth (a few more months of tenure, a slightly larger balance)
    /// passes, narrow enough to catch unit mistakes (cents for euros, days for seconds).
    public static let defaultTolerance = 0.5

    /// Derives a contract from the model's features and a training sample (its header and rows).
    ///
    /// - type: numeric features are numeric; categorical and text features are categorical.
    /// - nullable: the sample has at least one missing value in the column (a missing number as
    ///   `NumberParser` reads it, or an empty categorical field). Training saw missing values there,
    ///   so the model handles them; a column that never had one rejects them.
    /// - categories: the model's category names when it stores them; otherwise the distinct non-empty
    ///   values of the sample (for text features, also the vocabulary without ""), sorted, numerically
    ///   when every value is a number.
    /// - unseen: `.missing`, which is what the encoder (and training) does with an unseen category.
    /// - min/max: the finite values of the sample; tolerance: `defaultTolerance`.
    ///
    /// Each column gets one rule, in the model's feature order, even if several features read it.
    /// - Throws: `ContractError.missingColumns` when the sample lacks a feature's column;
    ///   `ContractError.notANumber` when a numeric column holds text that is not a number.
    public static func derive(
        features: [ModelFeature], header: [String], sample: TextBatch, defaultTolerance: Double = InputContract.defaultTolerance
    ) throws(ContractError) -> InputContract {
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[name] == nil { index[name] = i }
        let missing = features.map(\.name).filter { index[$0] == nil }
        guard missing.isEmpty else { throw .missingColumns(uniqued(missing), header: header) }

        var rules: [ColumnRule] = []
        var done: Set<String> = []
        for feature in features where done.insert(feature.name).inserted {
            let column = index[feature.name]!
            switch feature.kind {
            case .numeric:
                rules.append(try numericRule(feature.name, column: column, sample: sample, tolerance: defaultTolerance))
            case .categorical(let names):
                let seen = distinctValues(column: column, sample: sample)
                rules.append(ColumnRule(name: feature.name, type: .categorical, nullable: seen.hasEmpty,
                                        categories: names ?? sortedCategories(seen.values), unseen: .missing))
            case .text(let vocabulary):
                let seen = distinctValues(column: column, sample: sample)
                let all = seen.values.union(vocabulary.filter { !$0.isEmpty })
                rules.append(ColumnRule(name: feature.name, type: .categorical, nullable: seen.hasEmpty,
                                        categories: sortedCategories(all), unseen: .missing))
            }
        }
        return InputContract(columns: rules)
    }

    private static func numericRule(_ name: String, column: Int, sample: TextBatch, tolerance: Double) throws(ContractError) -> ColumnRule {
        var nullable = false
        var lo = Double.infinity, hi = -Double.infinity
        var bad: Int? = nil
        sample.bytes.withUnsafeBufferPointer { bytes in
            for r in 0..<sample.rowCount {
                let range = sample.fieldRange(row: r, column: column)
                switch NumberParser.parse(UnsafeBufferPointer(rebasing: bytes[range])) {
                case .number(let v) where v.isFinite:
                    lo = Swift.min(lo, v)
                    hi = Swift.max(hi, v)
                case .number: break  // ±inf: no training range can hold it
                case .missing: nullable = true
                case .invalid:
                    bad = r
                    return
                }
            }
        }
        if let bad { throw .notANumber(column: name, row: bad, value: sample.string(row: bad, column: column)) }
        let hasRange = lo <= hi
        return ColumnRule(name: name, type: .numeric, nullable: nullable,
                          min: hasRange ? lo : nil, max: hasRange ? hi : nil, tolerance: tolerance)
    }

    private static func distinctValues(column: Int, sample: TextBatch) -> (values: Set<String>, hasEmpty: Bool) {
        var values: Set<String> = []
        var hasEmpty = false
        for r in 0..<sample.rowCount {
            if sample.fieldRange(row: r, column: column).isEmpty {
                hasEmpty = true
            } else {
                values.insert(sample.string(row: r, column: column))
            }
        }
        return (values, hasEmpty)
    }

    /// Numeric order when every value is a number (codes "2" before "10"), else string order.
    private static func sortedCategories(_ values: Set<String>) -> [String] {
        let numbers = values.map { Double($0) }
        if !values.isEmpty, numbers.allSatisfy({ $0 != nil }) {
            return zip(values, numbers).sorted { ($0.1!, $0.0) < ($1.1!, $1.0) }.map(\.0)
        }
        return values.sorted()
    }

    private static func uniqued(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}
