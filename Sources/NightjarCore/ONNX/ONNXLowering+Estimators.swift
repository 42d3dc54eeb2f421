/// The estimators: tree ensembles become a `Forest` with ONNX Runtime semantics, linear models a `LinearModel`.
extension ONNXLowering {
    mutating func lowerTreeEnsemble(_ r: ONNXNodeReader, features: [NumericSymbol]) throws(ModelError) -> LoweredEstimator {
        let classifier = r.node.opType == "TreeEnsembleClassifier"
        let prefix = classifier ? "class" : "target"
        var known: Set<String> = ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                                  "nodes_values_as_tensor", "nodes_truenodeids", "nodes_falsenodeids",
                                  "nodes_missing_value_tracks_true", "nodes_hitrates", "nodes_hitrates_as_tensor",
                                  "post_transform", "base_values", "base_values_as_tensor",
                                  "\(prefix)_ids", "\(prefix)_nodeids", "\(prefix)_treeids", "\(prefix)_weights",
                                  "\(prefix)_weights_as_tensor"]
        if classifier { known.formUnion(["classlabels_strings", "classlabels_int64s"]) } else { known.formUnion(["n_targets", "aggregate_function"]) }
        try r.checkAttributes(known)

        let treeIds = r.ints("nodes_treeids"), nodeIds = r.ints("nodes_nodeids"), featureIds = r.ints("nodes_featureids")
        let modes = r.strings("nodes_modes"), trues = r.ints("nodes_truenodeids"), falses = r.ints("nodes_falsenodeids")
        let tracks = r.ints("nodes_missing_value_tracks_true")
        let valuesD = try r.doubles("nodes_values_as_tensor")
        let doubleSums = !valuesD.isEmpty || r.has("\(prefix)_weights_as_tensor")
        let thresholds: [Double] = valuesD.isEmpty ? r.floats("nodes_values").map(Double.init) : valuesD
        let n = treeIds.count
        guard n > 0, [nodeIds.count, featureIds.count, modes.count, trues.count, falses.count, thresholds.count].allSatisfy({ $0 == n }) else {
            throw r.malformed("the nodes_* attributes differ in length")
        }
        let weightsD = try r.doubles("\(prefix)_weights_as_tensor")
        let weights: [Double] = weightsD.isEmpty ? r.floats("\(prefix)_weights").map(Double.init) : weightsD
        let wIds = r.ints("\(prefix)_ids"), wNodes = r.ints("\(prefix)_nodeids"), wTrees = r.ints("\(prefix)_treeids")
        guard weights.count == wIds.count, wIds.count == wNodes.count, wNodes.count == wTrees.count else {
            throw r.malformed("the \(prefix)_* attributes differ in length")
        }
        let baseD = try r.doubles("base_values_as_tensor")
        let base: [Double] = baseD.isEmpty ? r.floats("base_values").map(Double.init) : baseD
        let postName = r.string("post_transform", default: "NONE")
        guard let post = ONNXOutputTransform.PostTransform(rawValue: postName) else { throw r.unsupported("post_transform '\(postName)'") }
        let aggregateName = r.string("aggregate_function", default: "SUM")
        guard let aggregate = ONNXTreeAggregation.Function(rawValue: aggregateName) else {
            throw r.unsupported("aggregate_function '\(aggregateName)'; Nightjar supports SUM and AVERAGE")
        }

        // Outputs: classes or targets.
        let labelsInt = r.ints("classlabels_int64s"), labelsString = r.strings("classlabels_strings")
        let outputs = classifier ? max(labelsInt.count, labelsString.count) : Int(r.int("n_targets", default: 1))
        guard outputs >= 1 else { throw r.malformed("no classes or targets") }
        if !classifier && outputs != 1 { throw r.unsupported("n_targets=\(outputs); Nightjar writes one prediction per row") }
        if classifier && outputs < 2 { throw r.unsupported("a classifier with \(outputs) class") }

        // Node positions by (tree, node id); trees in order of first appearance, each a contiguous run.
        let index: ONNXNodeIndex
        do {
            index = try ONNXNodeIndex(treeIds: treeIds, nodeIds: nodeIds)
        } catch {
            switch error {
            case .duplicate(let tree, let node): throw r.malformed("node \(node) of tree \(tree) appears twice")
            case .notContiguous(let tree): throw r.unsupported("the nodes of tree \(tree) are not contiguous")
            }
        }
        // Modes read once (string comparisons per node were a visible share of loading).
        let leafMode: UInt8 = 255
        var modeCodes = [UInt8](repeating: 0, count: n)
        for p in 0..<n {
            switch modes[p] {
            case "LEAF": modeCodes[p] = leafMode
            case "BRANCH_LEQ": modeCodes[p] = 1
            case "BRANCH_LT": modeCodes[p] = 2
            case "BRANCH_EQ": modeCodes[p] = 3
            case "BRANCH_GT": modeCodes[p] = 4
            case "BRANCH_GTE": modeCodes[p] = 5
            case "BRANCH_NEQ": modeCodes[p] = 6
            default: throw r.unsupported("node mode '\(modes[p])'")
            }
        }
        // Leaf votes, in ONNX Runtime's order (sorted by tree, node, then attribute order): the
        // votes of leaf p are `voteOutput/voteWeight[voteFirst[p] ..< voteFirst[p] + voteCount[p]]`.
        var inOrder = true
        for i in 1..<Swift.max(wIds.count, 1) where (wTrees[i - 1], wNodes[i - 1]) > (wTrees[i], wNodes[i]) {
            inOrder = false
            break
        }
        let order = inOrder ? Array(0..<wIds.count) : (0..<wIds.count).sorted { a, b in
            (wTrees[a], wNodes[a], a) < (wTrees[b], wNodes[b], b)
        }
        var voteFirst = [Int32](repeating: -1, count: n), voteCount = [Int32](repeating: 0, count: n)
        var voteOutput: [Int] = [], voteWeight: [Double] = []
        voteOutput.reserveCapacity(order.count)
        voteWeight.reserveCapacity(order.count)
        var lastTree: Int64? = nil, lastRun: Int? = nil
        for i in order {
            if wTrees[i] != lastTree { lastTree = wTrees[i]; lastRun = index.run(ofTree: wTrees[i]) }
            guard let run = lastRun, let p = index.position(run: run, node: wNodes[i]) else {
                throw r.malformed("a weight refers to node \(wNodes[i]) of tree \(wTrees[i]), which does not exist")
            }
            guard modeCodes[p] == leafMode else { continue }  // ONNX Runtime ignores weights on split nodes
            guard wIds[i] >= 0 && Int(wIds[i]) < outputs else { throw r.malformed("a weight votes for output \(wIds[i]) of \(outputs)") }
            if voteFirst[p] < 0 { voteFirst[p] = Int32(voteOutput.count) }
            voteCount[p] += 1
            voteOutput.append(Int(wIds[i]))
            voteWeight.append(weights[i])
        }

        var trees: [[TreeNode]] = []
        trees.reserveCapacity(index.runs.count)
        var local: [Int32] = []
        var queue: [Int] = []
        for (run, (tree, root, end)) in index.runs.enumerated() {
            // Breadth-first from the run's first node; `local` numbers the nodes reached.
            local.removeAll(keepingCapacity: true)
            local.append(contentsOf: repeatElement(-1, count: end - root))
            local[0] = 0
            queue.removeAll(keepingCapacity: true)
            queue.append(root)
            var nodes: [TreeNode] = []
            nodes.reserveCapacity(end - root)
            var k = 0
            while k < queue.count {
                let p = queue[k]
                k += 1
                let mode = modeCodes[p]
                if mode == leafMode {
                    let count = Int(voteCount[p])
                    guard count > 0 else { throw r.malformed("leaf \(nodeIds[p]) of tree \(tree) has no weight") }
                    let first = Int(voteFirst[p])
                    if classifier {
                        nodes.append(TreeNode(split: .leafWeights(outputs: Array(voteOutput[first..<(first + count)]),
                                                                  weights: Array(voteWeight[first..<(first + count)]))))
                    } else {
                        nodes.append(.leaf(voteWeight[first]))  // one target: ONNX Runtime adds the leaf's first weight
                    }
                    continue
                }
                guard let cTrue = index.position(run: run, node: trues[p]), let cFalse = index.position(run: run, node: falses[p]) else {
                    let child = index.position(run: run, node: trues[p]) == nil ? trues[p] : falses[p]
                    throw r.malformed("node \(nodeIds[p]) of tree \(tree) points to node \(child), which does not exist")
                }
                if local[cTrue - root] < 0 { local[cTrue - root] = Int32(queue.count); queue.append(cTrue) }
                if local[cFalse - root] < 0 { local[cFalse - root] = Int32(queue.count); queue.append(cFalse) }
                let childIndex = (Int(local[cTrue - root]), Int(local[cFalse - root]))
                let f = Int(featureIds[p])
                guard f >= 0 && f < features.count else {
                    throw r.malformed("node \(nodeIds[p]) of tree \(tree) reads feature \(f) of \(features.count)")
                }
                let track = p < tracks.count && tracks[p] == 1
                let t = thresholds[p]
                let split: TreeNode.Split, swap: Bool
                switch mode {
                case 1: split = .compare(feature: f, threshold: t, op: .lessOrEqual, nanGoesLeft: track); swap = false
                case 2: split = .compare(feature: f, threshold: t, op: .less, nanGoesLeft: track); swap = false
                case 3: split = .compare(feature: f, threshold: t, op: .equal, nanGoesLeft: track); swap = false
                case 4: split = .compare(feature: f, threshold: t, op: .lessOrEqual, nanGoesLeft: !track); swap = true
                case 5: split = .compare(feature: f, threshold: t, op: .less, nanGoesLeft: !track); swap = true
                default: split = .compare(feature: f, threshold: t, op: .equal, nanGoesLeft: false); swap = true  // BRANCH_NEQ
                }
                nodes.append(TreeNode(split: split, left: swap ? childIndex.1 : childIndex.0, right: swap ? childIndex.0 : childIndex.1))
            }
            trees.append(nodes)
        }

        let aggregation = ONNXTreeAggregation(function: classifier ? .sum : aggregate, doubleSums: doubleSums,
                                              multiOutput: outputs > 1)
        let forest: Forest
        do {
            forest = try Forest(semantics: .onnx(aggregation), trees: trees, groups: [Int](repeating: 0, count: trees.count),
                                outputGroups: outputs, baseMargins: [Double](repeating: 0, count: outputs),
                                averageOutput: aggregation.function == .average, featureCount: features.count)
        } catch {
            throw r.malformed(error.description)
        }

        let transform: ONNXOutputTransform, task: ModelTask
        if !classifier {
            transform = ONNXOutputTransform(rule: .singleTarget, postTransform: post, baseValues: base.count == 1 ? base : [],
                                            doubleScores: doubleSums, scoreCount: 1, outputCount: 1)
            task = .regression
        } else if outputs > 2 {
            transform = ONNXOutputTransform(rule: .perOutput, postTransform: post, baseValues: base, doubleScores: doubleSums,
                                            scoreCount: outputs, outputCount: outputs)
            task = .multiclass(classes: outputs)
        } else {
            let classOne = wIds.contains(1)
            let allPositive = weights.allSatisfy { $0 >= 0 }
            let binaryCase = Set(wIds).count == 1
            if base.count != 2 && !classOne && binaryCase {
                transform = ONNXOutputTransform(rule: .binaryTrees(allWeightsPositive: allPositive), postTransform: post,
                                                baseValues: base.count == 1 ? base : [], doubleScores: doubleSums,
                                                scoreCount: 2, outputCount: 2)
            } else {
                transform = ONNXOutputTransform(rule: .perOutput, postTransform: post, baseValues: base, classOneVoted: classOne,
                                                doubleScores: doubleSums, scoreCount: 2, outputCount: 2)
            }
            task = .binary
        }
        let nodesCount = trees.reduce(0) { $0 + $1.count }
        step(r, "\(trees.count) trees, \(nodesCount) nodes, \(classifier ? "\(outputs) classes" : "regression"), "
             + "thresholds in \(valuesD.isEmpty ? "float32" : "double"), sums in \(doubleSums ? "double" : "float32"), "
             + "post_transform \(postName)\(base.isEmpty ? "" : ", base values \(base.map { String(describing: Float($0)) }.joined(separator: ", "))")")
        return LoweredEstimator(estimator: .forest(forest), transform: transform, task: task,
                                objective: r.node.opType, features: features)
    }

    mutating func lowerLinear(_ r: ONNXNodeReader, features: [NumericSymbol]) throws(ModelError) -> LoweredEstimator {
        let classifier = r.node.opType == "LinearClassifier"
        try r.checkAttributes(classifier
            ? ["coefficients", "intercepts", "classlabels_ints", "classlabels_strings", "multi_class", "post_transform"]
            : ["coefficients", "intercepts", "targets", "post_transform"])
        let coefficients = r.floats("coefficients")
        var intercepts = r.floats("intercepts")
        let targets = classifier ? max(intercepts.count, 1) : Int(r.int("targets", default: 1))
        // At least one coefficient a target (checked before anything is sized by `targets`).
        guard targets >= 1, targets <= Swift.max(coefficients.count, intercepts.count, 1) else {
            throw r.malformed("\(coefficients.count) coefficients and \(intercepts.count) intercepts for \(targets) targets")
        }
        if intercepts.isEmpty { intercepts = [Float](repeating: 0, count: targets) }
        guard intercepts.count == targets, coefficients.count == targets * features.count else {
            throw r.malformed("\(coefficients.count) coefficients and \(intercepts.count) intercepts for \(targets) targets × \(features.count) features")
        }
        let postName = r.string("post_transform", default: "NONE")
        guard let post = ONNXOutputTransform.PostTransform(rawValue: postName) else { throw r.unsupported("post_transform '\(postName)'") }
        let linear = LinearModel(coefficients: coefficients, intercepts: intercepts, featureCount: features.count)
        let transform: ONNXOutputTransform, task: ModelTask
        if classifier {
            let labels = max(r.ints("classlabels_ints").count, r.strings("classlabels_strings").count)
            if targets == 1 {
                guard labels == 2 else { throw r.unsupported("one target with \(labels) class labels") }
                // ONNX Runtime scores one target as [1 − s, s] with NONE; with a post transform it builds
                // other pairs ([−s, s] transformed), which Nightjar does not reproduce: refused, not approximated.
                guard post == .none else { throw r.unsupported("post_transform \(postName) on a single-target classifier; Nightjar reproduces NONE there") }
                transform = ONNXOutputTransform(rule: .binaryLinear, postTransform: post, scoreCount: 1, outputCount: 2)
                task = .binary
            } else {
                transform = ONNXOutputTransform(rule: .perOutput, postTransform: post, scoreCount: targets, outputCount: targets)
                task = targets == 2 ? .binary : .multiclass(classes: targets)
            }
        } else {
            guard targets == 1 else { throw r.unsupported("targets=\(targets); Nightjar writes one prediction per row") }
            transform = ONNXOutputTransform(rule: .singleTarget, postTransform: post, scoreCount: 1, outputCount: 1)
            task = .regression
        }
        step(r, "\(targets) target\(targets == 1 ? "" : "s") × \(features.count) features, post_transform \(postName)")
        return LoweredEstimator(estimator: .linear(linear), transform: transform, task: task, objective: r.node.opType, features: features)
    }
}
