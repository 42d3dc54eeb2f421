import Testing
@testable import NightjarCore

/// Node lookup of ONNX tree ensembles: dense tables for compact ids, a dictionary otherwise,
/// and the malformed attributes refused.
@Suite struct ONNXNodeIndexTests {
    @Test func compactAndScatteredIdsFindEveryNode() throws {
        // Tree 7: ids 3, 1, 2 (compact, not in order); tree 2: ids far apart (sparse).
        let trees: [Int64] = [7, 7, 7, 2, 2, 2]
        let nodes: [Int64] = [3, 1, 2, 0, 1_000_000, -5]
        let index = try ONNXNodeIndex(treeIds: trees, nodeIds: nodes)
        #expect(index.runs.map(\.tree) == [7, 2])
        #expect(index.runs.map(\.start) == [0, 3])
        for i in 0..<trees.count {
            let run = try #require(index.run(ofTree: trees[i]))
            #expect(index.position(run: run, node: nodes[i]) == i)
        }
        // Ids that are not there: below, between, above, and another tree's.
        #expect(index.position(run: 0, node: 0) == nil)
        #expect(index.position(run: 0, node: 4) == nil)
        #expect(index.position(run: 0, node: Int64.max) == nil)
        #expect(index.position(run: 0, node: Int64.min) == nil)
        #expect(index.position(run: 1, node: 3) == nil)
        #expect(index.run(ofTree: 5) == nil)
    }

    @Test func duplicatesAndSplitTreesAreRefused() {
        #expect(throws: ONNXNodeIndex.Problem.self) { try ONNXNodeIndex(treeIds: [0, 0, 0], nodeIds: [0, 1, 0]) }
        // A duplicate among scattered ids (the dictionary path).
        #expect(throws: ONNXNodeIndex.Problem.self) { try ONNXNodeIndex(treeIds: [0, 0, 0], nodeIds: [9_000_000_000, 1, 9_000_000_000]) }
        #expect(throws: ONNXNodeIndex.Problem.self) { try ONNXNodeIndex(treeIds: [0, 1, 0], nodeIds: [0, 0, 1]) }
    }
}
