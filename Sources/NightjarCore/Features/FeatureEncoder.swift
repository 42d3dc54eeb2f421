/// Turns text fields into feature values, exactly as the training library saw them:
/// numbers parsed as doubles, category names recoded to their training codes through the lists
/// stored in the model. Unseen categories and empty fields become missing (NaN).
///
/// Built once per (model, input header); encodes chunk after chunk with no per-field allocation
/// beyond the short-string lookups of categorical values.
public struct FeatureEncoder: Sendable {
    /// How one feature is read.
    @usableFromInline
    enum Plan: Sendable {
        case numeric(column: Int)
        case categorical(column: Int, codes: CategoryTable, numericCodes: [Double: Int])
        case categoricalCodes(column: Int)  // model stores no names: the column holds integer codes
        case text(column: Int, codes: CategoryTable, other: Int)
    }

    public let features: [ModelFeature]
    /// For each model feature, the input column index it is read from.
    public let columnIndex: [Int]
    @usableFromInline let plans: [Plan]
    /// The numeric features as (input column, feature index) pairs in column order: they are read
    /// row by row, each row's fields left to right as they lie in the batch.
    let numeric: [(column: Int, feature: Int)]
    /// Rows encoded together: numeric features row by row, then the others feature by feature.
    static let rowBlock = 256

    /// Matches model features to input columns by name.
    /// - Throws: `MissingColumnsError` naming every feature the header lacks.
    public init(features: [ModelFeature], header: [String]) throws(MissingColumnsError) {
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[name] == nil { index[name] = i }
        var missing: [String] = []
        var columns: [Int] = []
        var plans: [Plan] = []
        for feature in features {
            guard let c = index[feature.name] else {
                missing.append(feature.name)
                continue
            }
            columns.append(c)
            switch feature.kind {
            case .numeric:
                plans.append(.numeric(column: c))
            case .categorical(let categories?):
                var numeric: [Double: Int] = [:]
                for (code, name) in categories.enumerated() {
                    if let v = Double(name), numeric[v] == nil { numeric[v] = code }
                }
                plans.append(.categorical(column: c, codes: CategoryTable(names: categories), numericCodes: numeric))
            case .categorical(nil):
                plans.append(.categoricalCodes(column: c))
            case .text(let vocabulary):
                plans.append(.text(column: c, codes: CategoryTable(names: vocabulary), other: vocabulary.count))
            }
        }
        guard missing.isEmpty else {
            throw MissingColumnsError(missing: missing, available: header)
        }
        self.features = features
        self.columnIndex = columns
        self.plans = plans
        var numeric: [(column: Int, feature: Int)] = []
        for (f, plan) in plans.enumerated() {
            if case .numeric(let column) = plan { numeric.append((column, f)) }
        }
        self.numeric = numeric.sorted { $0.column < $1.column }
    }

    /// Fills `matrix` (resized to the batch's rows) from `batch`.
    /// - Throws: `EncodingError` for the first field that is not a valid value (the first block of
    ///   256 rows holding one; there, the first row's leftmost numeric field, else the first
    ///   categorical feature), with its row index in the batch.
    public func encode(_ batch: TextBatch, into matrix: inout FeatureMatrix) throws(EncodingError) {
        let rows = batch.rowCount
        matrix.reset(rows: rows)
        let stride = matrix.stride
        let width = batch.columnCount
        var failure: EncodingError? = nil
        batch.bytes.withUnsafeBufferPointer { bytes in
            batch.fieldEnds.withUnsafeBufferPointer { ends in
                matrix.values.withUnsafeMutableBufferPointer { out in
                    // Blocks of rows: the block's field bytes stay in cache while the categorical and
                    // text features are read one by one after the numeric ones (whole chunks are megabytes).
                    var blockStart = 0
                    blocks: while blockStart < rows {
                    let blockEnd = Swift.min(rows, blockStart + FeatureEncoder.rowBlock)
                    defer { blockStart = blockEnd }
                    // Numeric features row by row, fields in the order they lie in the batch, so
                    // reads and writes are sequential. Going feature by feature instead (a stride
                    // of a whole row between reads) missed the cache on most fields: perf put 73% of
                    // the loop's samples on the first load of a field.
                    if !numeric.isEmpty {
                        let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 8)!
                        let endAt = ends.baseAddress!
                        let bad = numeric.withUnsafeBufferPointer { pairs in
                            FeatureEncoder.encodeNumeric(bytes: base, ends: endAt, width: width, rows: blockStart..<blockEnd,
                                                         pairs: pairs, out: out.baseAddress!, stride: stride)
                        }
                        if let (r, f, field) = bad {
                            failure = EncodingError(row: r, column: features[f].name,
                                                    value: String(decoding: field, as: UTF8.self), reason: .notANumber)
                            break blocks
                        }
                    }
                    for (f, plan) in plans.enumerated() {
                        switch plan {
                        case .numeric:
                            continue
                        case let .categorical(column, codes, numericCodes):
                            for r in blockStart..<blockEnd {
                                let i = r * width + column
                                let start = i == 0 ? 0 : Int(ends[i - 1])
                                let field = UnsafeBufferPointer(rebasing: bytes[start..<Int(ends[i])])
                                if field.isEmpty { out[r * stride + f] = .nan; continue }
                                if let code = codes.code(field) {
                                    out[r * stride + f] = Double(code)
                                } else if !numericCodes.isEmpty, case .number(let v) = NumberParser.parse(field),
                                          let code = numericCodes[v] {
                                    out[r * stride + f] = Double(code)
                                } else {
                                    out[r * stride + f] = .nan  // unseen in training: missing
                                }
                            }
                        case let .text(column, codes, other):
                            for r in blockStart..<blockEnd {
                                let i = r * width + column
                                let start = i == 0 ? 0 : Int(ends[i - 1])
                                let field = UnsafeBufferPointer(rebasing: bytes[start..<Int(ends[i])])
                                out[r * stride + f] = Double(codes.code(field) ?? other)
                            }
                        case .categoricalCodes(let column):
                            for r in blockStart..<blockEnd {
                                let i = r * width + column
                                let start = i == 0 ? 0 : Int(ends[i - 1])
                                let field = UnsafeBufferPointer(rebasing: bytes[start..<Int(ends[i])])
                                switch NumberParser.parse(field) {
                                case .number(let v): out[r * stride + f] = v
                                case .missing: out[r * stride + f] = .nan
                                case .invalid:
                                    failure = EncodingError(row: r, column: features[f].name,
                                                            value: String(decoding: field, as: UTF8.self), reason: .noCategoryNames)
                                    break blocks
                                }
                            }
                        }
                    }
                    }
                }
            }
        }
        if let failure { throw failure }
    }
}

extension FeatureEncoder {
    /// Reads the numeric features of `rows`, row by row in input-column order; returns the first
    /// field that is not a number (row, feature, bytes), or nil. A function of its own with plain
    /// pointers: inside `encode`'s closures the parser was not inlined (a call and an enum result
    /// per field, its constants made again on each call).
    @inline(never)
    static func encodeNumeric(bytes base: UnsafePointer<UInt8>, ends endAt: UnsafePointer<Int32>, width: Int, rows: Range<Int>,
                              pairs: UnsafeBufferPointer<(column: Int, feature: Int)>, out: UnsafeMutablePointer<Double>,
                              stride: Int) -> (Int, Int, UnsafeBufferPointer<UInt8>)? {
        for r in rows {
            let rowAt = r &* width
            let rowOut = out + r &* stride
            for k in 0..<pairs.count {
                // Plain pointers: the field ends were checked when the batch was cut (callgrind:
                // slicing's bounds checks were a third of this loop).
                let (column, f) = pairs[k]
                let i = rowAt &+ column
                let start = i == 0 ? 0 : Int(endAt[i &- 1])
                let field = UnsafeBufferPointer(start: base + start, count: Int(endAt[i]) &- start)
                if field.count >= 8, let v = NumberParser.plainDecimal(field) {
                    rowOut[f] = v
                    continue
                }
                switch NumberParser.parseAny(field) {
                case .number(let v): rowOut[f] = v
                case .missing: rowOut[f] = .nan
                case .invalid: return (r, f, field)
                }
            }
        }
        return nil
    }
}

/// Model features that the input does not have.
public struct MissingColumnsError: Error, CustomStringConvertible, Sendable {
    public var missing: [String]
    public var available: [String]
    public var description: String {
        let list = missing.map { "'\($0)'" }.joined(separator: ", ")
        let noun = missing.count == 1 ? "column" : "columns"
        let hint = missing.allSatisfy(Self.isImplicitName)
            ? "; the model was trained on a bare matrix (implicit feature names): name the columns that fill its features, in order, with --features (a job: features:)"
            : ""
        return "missing \(noun) \(list) needed by the model (the input has: \(available.joined(separator: ", ")))\(hint)"
    }

    /// A feature name a library makes up for a matrix without column names: XGBoost's `f0…`, LightGBM's `Column_0…`.
    static func isImplicitName(_ name: String) -> Bool {
        for prefix in ["f", "Column_"] where name.hasPrefix(prefix) {
            let digits = name.dropFirst(prefix.count)
            if !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
        }
        return false
    }
}
