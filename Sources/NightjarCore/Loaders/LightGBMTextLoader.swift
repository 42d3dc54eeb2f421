import Foundation

/// Reads LightGBM text models (`Booster.save_model("model.txt")`).
///
/// Semantics kept from LightGBM: features and thresholds as doubles, `x <= t` goes left, the
/// `decision_type` bits (categorical, default-left, missing type None/Zero/NaN with the
/// |x| ≤ 1e-35 zero rule), categorical bitsets (in the set goes left, NaN and negatives go right),
/// `average_output` for random forests, and the objective's output transform.
public enum LightGBMTextLoader {
    static let format = "LightGBM text"

    public static func load(data: Data, path: String) throws(ModelError) -> ScoringModel {
        do {
            return try data.withUnsafeBytes { raw in
                try parse(LightGBMTextLines(raw.bindMemory(to: UInt8.self)), path: path)
            }
        } catch let error as ModelError {
            throw error
        } catch {
            throw .malformed(path: path, format: format, detail: "\(error)")
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        let line: Int
        let detail: String
        var description: String { "line \(line): \(detail)" }
    }

    private static func parse(_ lines: LightGBMTextLines, path: String) throws -> ScoringModel {
        guard lines.line(0, is: "tree") else {
            throw ModelError.unrecognizedFormat(path: path, detail: "LightGBM text models start with the line 'tree'")
        }

        // Header: key=value lines until the first "Tree=".
        var header: [Substring: (Substring, Int)] = [:]
        var flags: Set<Substring> = []
        var i = 1
        while i < lines.count && !lines.line(i, hasPrefix: "Tree=") && !lines.line(i, is: "end of trees") {
            let line = lines.text(i)
            if let eq = line.firstIndex(of: "=") {
                header[line[..<eq]] = (line[line.index(after: eq)...], i + 1)
            } else if !line.isEmpty {
                flags.insert(line)
            }
            i += 1
        }
        func value(_ key: Substring) throws -> (Substring, Int) {
            guard let v = header[key] else { throw ParseError(line: i, detail: "the header has no '\(key)=' line (truncated or not a LightGBM model)") }
            return v
        }
        func intValue(_ key: Substring) throws -> Int {
            let (v, line) = try value(key)
            guard let n = Int(v) else { throw ParseError(line: line, detail: "'\(key)' is \(QuotedValue.quote(String(v))), expected an integer") }
            return n
        }

        let version = header["version"].map { String($0.0) }
        let numClass = try intValue("num_class")
        let perIteration = try intValue("num_tree_per_iteration")
        let maxFeature = try intValue("max_feature_idx")
        // LightGBM's feature indices are 32-bit; a larger (or negative) value is damage, and + 1 would overflow.
        guard maxFeature >= 0 && maxFeature < Int(Int32.max) else {
            throw ParseError(line: header["max_feature_idx"]!.1, detail: "max_feature_idx=\(maxFeature), expected 0 to \(Int32.max - 1)")
        }
        let featureCount = maxFeature + 1
        let (objectiveText, objectiveLine) = try value("objective")
        let names = try value("feature_names").0.split(separator: " ").map(String.init)
        guard names.count == featureCount else {
            throw ParseError(line: header["feature_names"]!.1, detail: "\(names.count) feature names for max_feature_idx=\(maxFeature)")
        }
        let infos = header["feature_infos"].map { $0.0.split(separator: " ").map(String.init) } ?? []
        let averageOutput = flags.contains("average_output")

        // Trees.
        var trees: [[TreeNode]] = []
        while i < lines.count {
            if lines.line(i, is: "end of trees") { break }
            if lines.line(i, hasPrefix: "Tree=") {
                let (tree, next) = try parseTree(lines, from: i + 1, featureCount: featureCount, path: path)
                trees.append(tree)
                i = next
            } else {
                i += 1
            }
        }
        guard i < lines.count, lines.line(i, is: "end of trees") else {
            throw ParseError(line: lines.count, detail: "no 'end of trees' line: the file is truncated")
        }
        guard !trees.isEmpty else { throw ParseError(line: i + 1, detail: "the model has no trees") }
        guard perIteration >= 1, trees.count % perIteration == 0 else {
            throw ParseError(line: i + 1, detail: "\(trees.count) trees is not a multiple of num_tree_per_iteration=\(perIteration)")
        }

        // Parameters and pandas categories after the trees.
        var categoricalParam: [Int]? = nil
        var pandasCategorical: [[String]]? = nil
        var pandasLine = 0
        while i < lines.count {
            let line = lines.text(i)
            if line.hasPrefix("[categorical_feature: ") && line.hasSuffix("]") {
                let body = line.dropFirst("[categorical_feature: ".count).dropLast()
                categoricalParam = body.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            } else if line.hasPrefix("pandas_categorical:") {
                pandasLine = i + 1
                pandasCategorical = try parsePandasCategorical(line.dropFirst("pandas_categorical:".count), line: pandasLine)
            }
            i += 1
        }

        // Which features are categorical: from the trees' splits, the training parameter, and feature_infos.
        var categorical = Set<Int>()
        for tree in trees {
            for node in tree { if case let .categorical(f, _, _, _) = node.split { categorical.insert(f) } }
        }
        if let p = categoricalParam { categorical.formUnion(p.filter { $0 >= 0 && $0 < featureCount }) }
        if infos.count == featureCount {
            for (k, info) in infos.enumerated() where !info.hasPrefix("[") && info != "none" { categorical.insert(k) }
        }
        let categoricalOrder = categorical.sorted()
        var features: [ModelFeature] = names.map { ModelFeature(name: $0, kind: .numeric) }
        if let pandas = pandasCategorical, !pandas.isEmpty {
            // pandas_categorical lists the category-dtype columns in column order, which are the categorical features.
            guard pandas.count == categoricalOrder.count else {
                throw ModelError.unsupported(path: path, format: format, detail:
                    "line \(pandasLine): pandas_categorical has \(pandas.count) category lists but the model has \(categoricalOrder.count) categorical features; cannot tell which list belongs to which feature")
            }
            for (k, f) in categoricalOrder.enumerated() { features[f].kind = .categorical(categories: pandas[k]) }
        } else {
            for f in categoricalOrder { features[f].kind = .categorical(categories: nil) }
        }

        let (task, link) = try objectiveSemantics(String(objectiveText), numClass: numClass, line: objectiveLine, path: path)
        let groups = perIteration
        if case .multiclass(let k) = task, k != groups {
            throw ParseError(line: objectiveLine, detail: "num_class:\(k) but num_tree_per_iteration=\(groups)")
        }
        let forest: Forest
        do {
            forest = try Forest(semantics: .lightgbm, trees: trees, groups: (0..<trees.count).map { $0 % groups },
                                outputGroups: groups, baseMargins: Array(repeating: 0, count: groups),
                                averageOutput: averageOutput, featureCount: featureCount)
        } catch {
            throw ModelError.malformed(path: path, format: format, detail: error.description)
        }
        return ScoringModel(format: .lightgbmText, objective: String(objectiveText), task: task, features: features,
                            forest: forest, link: link, libraryVersion: version)
    }

    /// The fields of a tree block the loader reads (the others are skipped).
    private enum TreeField: Int, CaseIterable {
        case numLeaves, isLinear, leafValue, splitFeature, threshold, decisionType, leftChild, rightChild
        case numCat, catBoundaries, catThreshold, internalCount, leafCount

        var key: StaticString {
            switch self {
            case .numLeaves: "num_leaves"
            case .isLinear: "is_linear"
            case .leafValue: "leaf_value"
            case .splitFeature: "split_feature"
            case .threshold: "threshold"
            case .decisionType: "decision_type"
            case .leftChild: "left_child"
            case .rightChild: "right_child"
            case .numCat: "num_cat"
            case .catBoundaries: "cat_boundaries"
            case .catThreshold: "cat_threshold"
            case .internalCount: "internal_count"
            case .leafCount: "leaf_count"
            }
        }
    }

    /// A field's value: bytes of an ASCII line, or the decoded text of a line with other bytes
    /// (split and read the old way, see `LightGBMTextLines`).
    private enum FieldValue {
        case bytes(Int, Int)
        case text(Substring)
    }

    /// Parses one tree block; returns its nodes (internalCount nodes first, then leaves) and the next line index.
    private static func parseTree(_ lines: LightGBMTextLines, from start: Int, featureCount: Int, path: String) throws -> ([TreeNode], Int) {
        // The last line of the block naming each field wins, as with a dictionary of all fields.
        var fields = [(value: FieldValue, line: Int)?](repeating: nil, count: TreeField.allCases.count)
        var i = start
        while i < lines.count && !lines.isEmpty(i) && !lines.line(i, hasPrefix: "Tree=") && !lines.line(i, is: "end of trees") {
            if lines.ascii[i] {
                let lo = lines.start[i], hi = lines.end[i]
                var eq = lo
                while eq < hi && lines.bytes[eq] != 0x3D { eq += 1 }
                if eq < hi {
                    let keyLength = eq - lo
                    for f in TreeField.allCases where f.key.utf8CodeUnitCount == keyLength {
                        let key = f.key.utf8Start
                        var k = 0
                        while k < keyLength && lines.bytes[lo + k] == key[k] { k += 1 }
                        if k == keyLength { fields[f.rawValue] = (.bytes(eq + 1, hi), i + 1); break }
                    }
                }
            } else {
                let line = lines.text(i)
                if let eq = line.firstIndex(of: "="), let f = TreeField.allCases.first(where: { line[..<eq] == $0.key.description }) {
                    fields[f.rawValue] = (.text(line[line.index(after: eq)...]), i + 1)
                }
            }
            i += 1
        }
        func field(_ key: TreeField) throws -> (value: FieldValue, line: Int) {
            guard let v = fields[key.rawValue] else { throw ParseError(line: start, detail: "tree has no '\(key.key)=' line (truncated?)") }
            return v
        }
        func text(_ value: FieldValue) -> Substring {
            switch value {
            case let .bytes(lo, hi): return Substring(String(decoding: lines.slice(lo, hi), as: UTF8.self))
            case let .text(t): return t
            }
        }
        func numbers<T: LightGBMTextNumber>(_ key: TreeField, count: Int, as: T.Type = T.self) throws -> [T] {
            let (v, line) = try field(key)
            var out: [T] = []
            func refuse(_ part: String) -> ParseError {
                ParseError(line: line, detail: "'\(key.key)' holds \(QuotedValue.quote(part)), not a number")
            }
            switch v {
            case let .bytes(lo, hi):
                // The count comes from the file (num_leaves, num_cat): reserve no more than the line can
                // hold (a value and a separator take at least 2 bytes), so a damaged count is refused
                // below instead of allocating terabytes first.
                if count > 0 { out.reserveCapacity(min(count, (hi - lo) / 2 + 1)) }
                // Values separated by spaces, empty ones skipped (`split(separator: " ")`).
                let bytes = lines.bytes
                var p = lo
                while p < hi {
                    if bytes[p] == 0x20 { p += 1; continue }
                    var q = p + 1
                    while q < hi && bytes[q] != 0x20 { q += 1 }
                    let token = lines.slice(p, q)
                    guard let x = T.read(token) else { throw refuse(String(decoding: token, as: UTF8.self)) }
                    out.append(x)
                    p = q
                }
            case let .text(t):
                if count > 0 { out.reserveCapacity(min(count, t.utf8.count / 2 + 1)) }
                for part in t.split(separator: " ") {
                    guard let x = T(text: part) else { throw refuse(String(part)) }
                    out.append(x)
                }
            }
            guard count < 0 || out.count == count else {
                throw ParseError(line: line, detail: "'\(key.key)' has \(out.count) values, expected \(count)")
            }
            return out
        }
        guard let leaves = Int(text(try field(.numLeaves).value)), leaves >= 1 else {
            throw ParseError(line: try field(.numLeaves).line, detail: "bad num_leaves")
        }
        if let linear = fields[TreeField.isLinear.rawValue], text(linear.value) == "1" {
            throw ModelError.unsupported(path: path, format: format, detail: "line \(linear.line): linear trees (linear_tree=true)")
        }
        let leafValues = try numbers(.leafValue, count: leaves, as: Double.self)
        if leaves == 1 {
            var only = TreeNode.leaf(leafValues[0])
            only.cover = Double(fields[TreeField.leafCount.rawValue].flatMap { Int(text($0.value)) } ?? 0)
            return ([only], i)
        }
        let internalCount = leaves - 1
        let splitFeature = try numbers(.splitFeature, count: internalCount, as: Int.self)
        let thresholds = try numbers(.threshold, count: internalCount, as: Double.self)
        let decisionType = try numbers(.decisionType, count: internalCount, as: Int.self)
        let leftChild = try numbers(.leftChild, count: internalCount, as: Int.self)
        let rightChild = try numbers(.rightChild, count: internalCount, as: Int.self)
        let numCat = Int(fields[TreeField.numCat.rawValue].map { text($0.value) } ?? "0") ?? 0
        // One entry per categorical split: more than the tree's splits is damage (and numCat + 1 could overflow).
        guard numCat >= 0 && numCat <= internalCount else {
            throw ParseError(line: fields[TreeField.numCat.rawValue]!.line, detail: "num_cat=\(numCat), but the tree has \(internalCount) splits")
        }
        var catBoundaries: [Int] = [], catThreshold: [UInt32] = []
        if numCat > 0 {
            catBoundaries = try numbers(.catBoundaries, count: numCat + 1, as: Int.self)
            catThreshold = try numbers(.catThreshold, count: -1, as: UInt32.self)
        }
        // Child c ≥ 0 is internalCount node c; c < 0 is leaf ~c, stored after the internalCount nodes.
        // Checked here: ~c of a value below -leaves would overflow internalCount + ~c.
        func child(_ c: Int, _ key: TreeField) throws -> Int {
            guard c >= -leaves && c < internalCount else {
                throw ParseError(line: fields[key.rawValue]!.line, detail: "'\(key.key)' holds \(c), outside -\(leaves) to \(internalCount - 1)")
            }
            return c >= 0 ? c : internalCount + ~c
        }
        var nodes: [TreeNode] = []
        nodes.reserveCapacity(internalCount + leaves)
        for n in 0..<internalCount {
            let dt = decisionType[n]
            let f = splitFeature[n]
            guard f >= 0 && f < featureCount else {
                throw ParseError(line: fields[TreeField.splitFeature.rawValue]!.line, detail: "split on feature \(f), but the model has \(featureCount)")
            }
            let l = try child(leftChild[n], .leftChild), r = try child(rightChild[n], .rightChild)
            if dt & 1 != 0 {
                // A categorical split's threshold is an index into cat_boundaries: a whole number
                // (Int(_:) of NaN, ±inf or 1e300 traps), and the boundaries a range within cat_threshold.
                guard let idx = Int(exactly: thresholds[n]) else {
                    throw ParseError(line: fields[TreeField.threshold.rawValue]!.line, detail: "categorical split \(n) has threshold \(thresholds[n]), not an index into cat_boundaries")
                }
                guard idx >= 0, idx < catBoundaries.count - 1, catBoundaries[idx] >= 0, catBoundaries[idx] <= catBoundaries[idx + 1],
                      catBoundaries[idx + 1] <= catThreshold.count else {
                    throw ParseError(line: fields[TreeField.threshold.rawValue]!.line, detail: "categorical split \(n) points outside cat_boundaries")
                }
                let bits = Array(catThreshold[catBoundaries[idx]..<catBoundaries[idx + 1]])
                nodes.append(TreeNode(split: .categorical(feature: f, bitset: bits, inSetGoesLeft: true, missingGoesLeft: false),
                                      left: l, right: r))
            } else {
                let missing: MissingType
                switch (dt >> 2) & 3 {
                case 0: missing = .none
                case 1: missing = .zero
                case 2: missing = .nan
                default: throw ParseError(line: fields[TreeField.decisionType.rawValue]!.line, detail: "unknown missing type in decision_type \(dt)")
                }
                nodes.append(TreeNode(split: .numeric(feature: f, threshold: thresholds[n], defaultLeft: dt & 2 != 0, missing: missing),
                                      left: l, right: r))
            }
        }
        for v in leafValues { nodes.append(.leaf(v)) }
        // Covers (exact contributions): the training rows that reached each node, as LightGBM's
        // own pred_contrib weighs the branches (data_count).
        if fields[TreeField.internalCount.rawValue] != nil, fields[TreeField.leafCount.rawValue] != nil {
            let inner = try numbers(.internalCount, count: internalCount, as: Double.self)
            let leaf = try numbers(.leafCount, count: leaves, as: Double.self)
            for n in 0..<internalCount { nodes[n].cover = inner[n] }
            for n in 0..<leaves { nodes[internalCount + n].cover = leaf[n] }
        }
        return (nodes, i)
    }

    /// The JSON list after `pandas_categorical:`; `null` when the model was not trained on pandas categories.
    private static func parsePandasCategorical(_ json: Substring, line: Int) throws -> [[String]]? {
        let trimmed = json.trimmingCharacters(in: .whitespaces)
        if trimmed == "null" || trimmed.isEmpty { return nil }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: [.fragmentsAllowed]),
              let lists = parsed as? [Any] else {
            throw ParseError(line: line, detail: "pandas_categorical is not a JSON list")
        }
        return try lists.map { item -> [String] in
            guard let values = item as? [Any] else { throw ParseError(line: line, detail: "pandas_categorical holds a non-list") }
            return values.map { v -> String in
                if let s = v as? String { return s }
                if let n = v as? NSNumber {
                    let d = n.doubleValue
                    return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
                }
                return "\(v)"
            }
        }
    }

    /// Task and link of a LightGBM objective line such as `binary sigmoid:1` or `multiclass num_class:3`.
    static func objectiveSemantics(_ text: String, numClass: Int, line: Int, path: String) throws -> (ModelTask, OutputLink) {
        let parts = text.split(separator: " ")
        guard let name = parts.first.map(String.init) else { throw ParseError(line: line, detail: "empty objective") }
        var params: [String: String] = [:]
        var words: Set<String> = []
        for p in parts.dropFirst() {
            if let c = p.firstIndex(of: ":") { params[String(p[..<c])] = String(p[p.index(after: c)...]) } else { words.insert(String(p)) }
        }
        func sigmoidScale() throws -> Double {
            guard let s = params["sigmoid"] else { return 1 }
            guard let v = Double(s), v > 0 else { throw ParseError(line: line, detail: "bad sigmoid \(QuotedValue.quote(s))") }
            return v
        }
        switch name {
        case "binary":
            return (.binary, .sigmoid(scale: try sigmoidScale()))
        case "multiclass", "softmax":
            let k = Int(params["num_class"] ?? "") ?? numClass
            return (.multiclass(classes: k), .softmax)
        case "multiclassova", "multiclass_ova", "ova", "ovr":
            let k = Int(params["num_class"] ?? "") ?? numClass
            return (.multiclass(classes: k), .sigmoid(scale: try sigmoidScale()))
        case "regression", "regression_l2", "l2", "mean_squared_error", "mse", "rmse", "l2_root", "root_mean_squared_error":
            return (.regression, words.contains("sqrt") ? .signedSquare : .identity)
        case "regression_l1", "l1", "mean_absolute_error", "mae", "huber", "fair", "quantile", "mape",
             "mean_absolute_percentage_error", "lambdarank", "rank_xendcg", "xendcg", "custom":
            return (.regression, words.contains("sqrt") ? .signedSquare : .identity)
        case "poisson", "gamma", "tweedie":
            return (.regression, .exp)
        case "cross_entropy", "xentropy":
            return (.regression, .sigmoid(scale: 1))
        default:
            throw ModelError.unsupported(path: path, format: format, detail: "line \(line): objective \(QuotedValue.quote(text))")
        }
    }
}
