/// The nodes of an ONNX tree ensemble by (tree id, node id): trees are contiguous runs of the
/// `nodes_*` attributes, and within a tree a node id is looked up in a dense table when the ids
/// are compact (as every converter writes them: 0 ..< n), in a dictionary otherwise.
///
/// The dictionary of (tree, node) keys it replaces was 30% of loading the benchmark's random
/// forest (374,030 nodes; perf), which took 1.1 s in all.
struct ONNXNodeIndex {
    enum Problem: Error {
        case duplicate(tree: Int64, node: Int64)
        case notContiguous(tree: Int64)
    }

    /// Each tree's id and its positions `start ..< end` in the `nodes_*` attributes.
    private(set) var runs: [(tree: Int64, start: Int, end: Int)] = []
    private var runOfTree: [Int64: Int] = [:]
    /// Per run: the smallest node id and where its dense table starts in `table` (-1: sparse).
    private var minNode: [Int64] = []
    private var tableStart: [Int] = []
    private var tableSize: [Int] = []
    /// Position of node `minNode + k` of a dense run at `table[tableStart + k]` (-1: no such node).
    private var table: [Int32] = []
    private struct Key: Hashable { let run: Int; let node: Int64 }
    private var sparse: [Key: Int] = [:]

    init(treeIds: [Int64], nodeIds: [Int64]) throws(Problem) {
        let n = treeIds.count
        var start = 0
        while start < n {
            let tree = treeIds[start]
            var end = start + 1
            while end < n && treeIds[end] == tree { end += 1 }
            guard runOfTree.updateValue(runs.count, forKey: tree) == nil else { throw .notContiguous(tree: tree) }
            let run = runs.count
            runs.append((tree, start, end))
            var lo = nodeIds[start], hi = nodeIds[start]
            for i in start..<end { lo = Swift.min(lo, nodeIds[i]); hi = Swift.max(hi, nodeIds[i]) }
            minNode.append(lo)
            // Dense when the ids span at most twice the node count (plus a little).
            let span = hi.subtractingReportingOverflow(lo)
            if !span.overflow && span.partialValue < Int64(2 * (end - start) + 64) {
                let base = table.count
                tableStart.append(base)
                tableSize.append(Int(span.partialValue) + 1)
                table.append(contentsOf: repeatElement(-1, count: Int(span.partialValue) + 1))
                for i in start..<end {
                    let k = base + Int(nodeIds[i] - lo)
                    guard table[k] < 0 else { throw .duplicate(tree: tree, node: nodeIds[i]) }
                    table[k] = Int32(i)
                }
            } else {
                tableStart.append(-1)
                tableSize.append(0)
                for i in start..<end {
                    guard sparse.updateValue(i, forKey: Key(run: run, node: nodeIds[i])) == nil else {
                        throw .duplicate(tree: tree, node: nodeIds[i])
                    }
                }
            }
            start = end
        }
    }

    /// The run of tree `tree`, if it has nodes.
    func run(ofTree tree: Int64) -> Int? { runOfTree[tree] }

    /// The position of node `node` of run `run`, if the tree has it.
    @inline(__always)
    func position(run: Int, node: Int64) -> Int? {
        let base = tableStart[run]
        guard base >= 0 else { return sparse[Key(run: run, node: node)] }
        let k = node &- minNode[run]
        guard k >= 0 && k < Int64(tableSize[run]) else { return nil }
        let p = table[base + Int(k)]
        return p >= 0 ? Int(p) : nil
    }
}
