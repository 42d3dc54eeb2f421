import Foundation

/// Reads XGBoost models saved as JSON (`Booster.save_model("model.json")`), 2.x and 3.x.
///
/// Semantics kept from XGBoost: features and thresholds in float32, `x < t` goes left, NaN follows
/// `default_left`, a category in a categorical split's set goes right, trees summed in float32
/// from the base margin (`base_score` turned into a margin as the objective does).
public enum XGBoostJSONLoader {
    static let format = "XGBoost JSON"

    public static func load(data: Data, path: String) throws(ModelError) -> ScoringModel {
        let parsed: Any
        do {
            parsed = try JSONParser.parse(data, skipping: unreadMembers)
        } catch {
            throw .malformed(path: path, format: format, detail: "invalid JSON (\(describe(error))); the file may be truncated")
        }
        do {
            return try build(JSONNode(value: parsed, path: "$"), path: path)
        } catch let error as JSONPathError {
            throw .malformed(path: path, format: format, detail: error.description)
        } catch let error as ModelError {
            throw error
        } catch {
            throw .malformed(path: path, format: format, detail: "\(error)")
        }
    }

    /// Per-node statistics of every tree that neither scoring nor contributions read (`build`
    /// reads no member of these names at any depth; `sum_hessian` is read, for the covers):
    /// checked as JSON, with the same errors, but not converted or kept. On the 500-tree
    /// benchmark model (callgrind), skipping these and `sum_hessian` took the load from 470 M to
    /// 430 M instructions, before covers were read.
    static let unreadMembers = ["base_weights", "loss_changes", "parents"]

    private static func describe(_ error: Error) -> String {
        if let failure = error as? JSONParser.Failure { return failure.description }
        let ns = error as NSError
        if let debug = ns.userInfo["NSDebugDescription"] as? String { return debug }
        return ns.localizedDescription
    }

    private static func build(_ root: JSONNode, path: String) throws -> ScoringModel {
        let learner = try root.required("learner")
        var version: String? = nil
        if let v = root["version"], let parts = try? v.ints() { version = parts.map(String.init).joined(separator: ".") }

        let params = try learner.required("learner_model_param")
        let numFeature = try params.required("num_feature").int()
        let numClass = try params["num_class"]?.int() ?? 0
        let numTarget = try params["num_target"]?.int() ?? 1
        guard numTarget <= 1 else {
            throw ModelError.unsupported(path: path, format: format, detail: "multi-target model (num_target = \(numTarget))")
        }
        let objective = try learner.required("objective").required("name").string()

        // Features: names and types (absent when trained on a plain matrix).
        var names: [String] = (0..<numFeature).map { "f\($0)" }
        if let n = learner["feature_names"] {
            let list = try n.array().map { try $0.string() }
            if !list.isEmpty {
                guard list.count == numFeature else {
                    throw JSONPathError(path: n.path, expected: "\(numFeature) feature names (num_feature), found \(list.count)")
                }
                names = list
            }
        }
        var types: [String] = Array(repeating: "float", count: numFeature)
        if let t = learner["feature_types"] {
            let list = try t.array().map { try $0.string() }
            if !list.isEmpty {
                guard list.count == numFeature else {
                    throw JSONPathError(path: t.path, expected: "\(numFeature) feature types, found \(list.count)")
                }
                types = list
            }
        }

        // The booster: gbtree, or dart (gbtree inside, with per-tree weights).
        let booster = try learner.required("gradient_booster")
        let boosterName = try booster.required("name").string()
        let model: JSONNode
        var treeWeights: [Double]? = nil
        switch boosterName {
        case "gbtree":
            model = try booster.required("model")
        case "dart":
            model = try booster.required("gbtree").required("model")
            treeWeights = try booster.required("weight_drop").doubles()
        case "gblinear":
            throw ModelError.unsupported(path: path, format: format, detail: "gblinear booster (linear models from XGBoost are not supported yet; use gbtree)")
        default:
            throw ModelError.unsupported(path: path, format: format, detail: "booster '\(boosterName)'")
        }

        let categoryNames = try readCategories(model["cats"], featureCount: numFeature)
        var features: [ModelFeature] = []
        for i in 0..<numFeature {
            switch types[i] {
            case "c":
                let names_i = categoryNames?[i]
                features.append(ModelFeature(name: names[i], kind: .categorical(categories: (names_i?.isEmpty ?? true) ? nil : names_i)))
            case "float", "int", "i", "q":
                features.append(ModelFeature(name: names[i], kind: .numeric))
            default:
                throw ModelError.unsupported(path: path, format: format, detail: "feature '\(names[i])' has type '\(types[i])'")
            }
        }

        let treeNodes = try model.required("trees").array()
        let treeInfo = try model.required("tree_info").ints()
        guard treeInfo.count == treeNodes.count else {
            throw JSONPathError(path: "\(model.path).tree_info", expected: "one entry per tree (\(treeNodes.count)), found \(treeInfo.count)")
        }
        if let w = treeWeights, w.count != treeNodes.count {
            throw JSONPathError(path: "\(booster.path).weight_drop", expected: "one weight per tree (\(treeNodes.count)), found \(w.count)")
        }
        var trees: [[TreeNode]] = []
        trees.reserveCapacity(treeNodes.count)
        for (t, tree) in treeNodes.enumerated() {
            trees.append(try readTree(tree, weight: treeWeights?[t], path: path))
        }

        // Objective → link, task, and how base_score becomes a margin.
        let groups = max(numClass, 1)
        let (task, link, marginOf) = try objectiveSemantics(objective, classes: numClass, path: path)
        let baseScores = try parseBaseScore(params["base_score"])
        var baseMargins: [Double]
        if baseScores.count == groups {
            baseMargins = baseScores.map { marginOf(Float($0)) }
        } else if baseScores.count == 1 {
            baseMargins = Array(repeating: marginOf(Float(baseScores[0])), count: groups)
        } else {
            throw JSONPathError(path: "\(params.path).base_score", expected: "1 or \(groups) values, found \(baseScores.count)")
        }
        baseMargins = baseMargins.map { Double(Float($0)) }

        let forest: Forest
        do {
            forest = try Forest(semantics: .xgboost, trees: trees, groups: treeInfo, outputGroups: groups,
                                baseMargins: baseMargins, averageOutput: false, featureCount: numFeature)
        } catch {
            throw ModelError.malformed(path: path, format: format, detail: error.description)
        }
        return ScoringModel(format: .xgboostJSON, objective: objective, task: task, features: features,
                            forest: forest, link: link, libraryVersion: version)
    }

    /// `base_score` as XGBoost writes it: a bare number ("5E-1", 2.x) or a bracketed vector ("[1.8E-1]", 3.x).
    static func parseBaseScore(_ node: JSONNode?) throws -> [Double] {
        guard let node else { return [0.5] }
        if let d = node.value as? Double { return [d] }
        if let n = node.value as? NSNumber { return [n.doubleValue] }
        let text = try node.string().trimmingCharacters(in: .whitespaces)
        let body = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        let parts = body.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var values: [Double] = []
        for p in parts {
            guard let v = Double(p) else { throw JSONPathError(path: node.path, expected: "a number or a bracketed list of numbers, found '\(text)'") }
            values.append(v)
        }
        guard !values.isEmpty else { throw JSONPathError(path: node.path, expected: "a number, found '\(text)'") }
        return values
    }

    /// Task, link, and `base_score → margin` of an XGBoost objective (computed in float32, as XGBoost does).
    static func objectiveSemantics(_ objective: String, classes: Int, path: String) throws
        -> (ModelTask, OutputLink, @Sendable (Float) -> Double)
    {
        let identity: @Sendable (Float) -> Double = { Double($0) }
        let logit: @Sendable (Float) -> Double = { p in Double(-Foundation.log(Float(1) / p - Float(1))) }
        let log: @Sendable (Float) -> Double = { p in Double(Foundation.log(p)) }
        switch objective {
        case "binary:logistic":
            return (.binary, .sigmoid(scale: 1), logit)
        case "reg:logistic":
            return (.regression, .sigmoid(scale: 1), logit)
        case "binary:logitraw":
            return (.regression, .identity, logit)
        case "binary:hinge":
            return (.regression, .hinge, identity)
        case "reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:pseudohubererror",
             "reg:absoluteerror", "reg:quantileerror", "rank:pairwise", "rank:ndcg", "rank:map":
            return (.regression, .identity, identity)
        case "count:poisson", "reg:gamma", "reg:tweedie", "survival:cox", "survival:aft":
            return (.regression, .exp, log)
        case "multi:softprob":
            guard classes >= 2 else { throw ModelError.malformed(path: path, format: format, detail: "multi:softprob with num_class = \(classes)") }
            return (.multiclass(classes: classes), .softmax, identity)
        case "multi:softmax":
            guard classes >= 2 else { throw ModelError.malformed(path: path, format: format, detail: "multi:softmax with num_class = \(classes)") }
            return (.multiclassLabel(classes: classes), .argmax, identity)
        default:
            throw ModelError.unsupported(path: path, format: format, detail: "objective '\(objective)'")
        }
    }

    /// Category names per feature from XGBoost 3's `cats.enc` (UTF-8 bytes cut by `offsets`,
    /// in training order: a category's code is its position). nil when the model stores none.
    static func readCategories(_ cats: JSONNode?, featureCount: Int) throws -> [[String]]? {
        guard let cats, let enc = cats["enc"] else { return nil }
        let entries = try enc.array()
        if entries.isEmpty { return nil }
        guard entries.count == featureCount else {
            throw JSONPathError(path: enc.path, expected: "one entry per feature (\(featureCount)), found \(entries.count)")
        }
        var result: [[String]] = []
        for entry in entries {
            let offsets = try entry["offsets"]?.ints() ?? []
            guard let valuesNode = entry["values"] else { result.append([]); continue }
            if offsets.isEmpty {
                // Numeric categories: the values themselves, written as pandas prints them.
                let values = try valuesNode.doubles()
                result.append(values.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) })
                continue
            }
            let bytes = try valuesNode.ints()
            var names: [String] = []
            for k in 0..<(offsets.count - 1) {
                let lo = offsets[k], hi = offsets[k + 1]
                guard lo >= 0, lo <= hi, hi <= bytes.count else {
                    throw JSONPathError(path: "\(entry.path).offsets", expected: "offsets within the \(bytes.count) value bytes")
                }
                names.append(String(decoding: bytes[lo..<hi].map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self))
            }
            result.append(names)
        }
        return result
    }

    static func readTree(_ tree: JSONNode, weight: Double?, path: String) throws -> [TreeNode] {
        if let p = tree["tree_param"], let s = p["size_leaf_vector"], try s.int() > 1 {
            throw ModelError.unsupported(path: path, format: format, detail: "\(tree.path): vector leaves (multi_strategy=\"multi_output_tree\")")
        }
        let lefts = try tree.required("left_children").ints()
        let rights = try tree.required("right_children").ints()
        let indices = try tree.required("split_indices").ints()
        let conditions = try tree.required("split_conditions").doubles()
        let defaults = try readFlags(tree.required("default_left"))
        let n = lefts.count
        guard rights.count == n, indices.count == n, conditions.count == n, defaults.count == n else {
            throw JSONPathError(path: tree.path, expected: "node arrays of equal length")
        }
        var splitTypes = [Int](repeating: 0, count: n)
        if let st = tree["split_type"] {
            let list = try st.ints()
            if !list.isEmpty {
                guard list.count == n else { throw JSONPathError(path: st.path, expected: "\(n) entries") }
                splitTypes = list
            }
        }
        // Categorical splits: node → its category list.
        var nodeCategories: [Int: [Int]] = [:]
        if let catNodes = try tree["categories_nodes"]?.ints(), !catNodes.isEmpty {
            let segments = try tree.required("categories_segments").ints()
            let sizes = try tree.required("categories_sizes").ints()
            let categories = try tree.required("categories").ints()
            guard segments.count == catNodes.count, sizes.count == catNodes.count else {
                throw JSONPathError(path: tree.path, expected: "categories_nodes, _segments and _sizes of equal length")
            }
            for (k, node) in catNodes.enumerated() {
                let lo = segments[k], hi = segments[k] + sizes[k]
                guard lo >= 0, hi <= categories.count, lo <= hi else {
                    throw JSONPathError(path: "\(tree.path).categories_segments[\(k)]", expected: "a range inside categories")
                }
                nodeCategories[node] = Array(categories[lo..<hi])
            }
        }
        // Covers (exact contributions): the hessian sum of each node's training rows.
        var covers: [Double]? = nil
        if let h = tree["sum_hessian"] {
            let list = try h.doubles()
            guard list.count == n else { throw JSONPathError(path: h.path, expected: "\(n) entries") }
            covers = list
        }
        var nodes: [TreeNode] = []
        nodes.reserveCapacity(n)
        for i in 0..<n {
            if lefts[i] == -1 {
                var v = Float(conditions[i])
                if let weight { v = v * Float(weight) }
                nodes.append(.leaf(Double(v)))
                continue
            }
            if splitTypes[i] == 1 {
                guard let cats = nodeCategories[i] else {
                    throw JSONPathError(path: tree.path, expected: "categories for categorical node \(i)")
                }
                let maxCat = cats.max() ?? -1
                guard cats.allSatisfy({ $0 >= 0 }) else {
                    throw JSONPathError(path: tree.path, expected: "non-negative categories at node \(i)")
                }
                var bitset = [UInt32](repeating: 0, count: maxCat / 32 + 1)
                for c in cats { bitset[c >> 5] |= 1 << UInt32(c & 31) }
                nodes.append(TreeNode(split: .categorical(feature: indices[i], bitset: bitset, inSetGoesLeft: false,
                                                          missingGoesLeft: defaults[i]),
                                      left: lefts[i], right: rights[i]))
            } else {
                nodes.append(TreeNode(split: .numeric(feature: indices[i], threshold: Double(Float(conditions[i])),
                                                      defaultLeft: defaults[i], missing: .nan),
                                      left: lefts[i], right: rights[i]))
            }
        }
        // After the loop: a node that throws part-way leaves no half-built list behind.
        if let covers { for k in 0..<n { nodes[k].cover = covers[k] } }
        return nodes
    }

    /// `default_left` is written as 0/1 integers (3.x) or booleans.
    private static func readFlags(_ node: JSONNode) throws -> [Bool] {
        if let numbers = node.value as? [Double] { return numbers.map { $0 != 0 } }
        guard let a = node.value as? [Any] else { throw JSONPathError(path: node.path, expected: "an array") }
        return try a.enumerated().map { (i, v) in
            if let b = v as? Bool { return b }
            if let d = v as? Double { return d != 0 }
            if let n = v as? NSNumber { return n.intValue != 0 }
            throw JSONPathError(path: "\(node.path)[\(i)]", expected: "0, 1 or a boolean")
        }
    }
}
