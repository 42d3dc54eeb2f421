import Foundation
import Testing
@testable import NightjarCore

/// Inputs the coverage-guided fuzzer (fuzz/) found to crash the ONNX loader, kept in
/// fixtures/fuzz/: each must now be refused with one clear line, never a trap.
@Suite struct ONNXFuzzFindingTests {
    /// A mutated skl2onnx pipeline whose tensor shape multiplies past Int64 (11 dimensions of ~100):
    /// the element count overflowed and trapped the process.
    @Test func aTensorShapeThatOverflowsIsRefused() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("fuzz/onnx-shape-overflow.onnx")))
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(data: data, path: "found.onnx") }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("found.onnx: malformed ONNX model") && text.contains("does not fit in 64 bits") && !text.contains("\n"),
                "\(text)")
        #expect(text.utf8.count < 400, "\(text)")
    }

    /// A mutated pipeline whose Reshape shape holds a value past Int64 (as a double, 2^63): converting
    /// it to Int trapped.
    @Test func aReshapeShapeOutOfRangeIsRefused() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("fuzz/onnx-reshape-not-a-whole-number.onnx")))
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(data: data, path: "found.onnx") }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("found.onnx: malformed ONNX model") && text.contains("not a whole number within ±2^63") && !text.contains("\n"),
                "\(text)")
    }

    typealias G = ONNXOutputOperationTests

    /// Shapes and indices given as float tensors: NaN, fractions and ±inf are refused, not converted.
    @Test func shapesAndIndicesMustBeWholeNumbers() {
        for bad: Float in [.nan, 0.5, .infinity, -.infinity, 1e30] {
            let reshape = G.refusal([G.node("Reshape", ["x", "shape"], ["r"]), G.regressor], outputs: [("y0", 1)],
                                    initializers: [G.floats("shape", [-1, bad])])
            #expect(reshape.contains("the shape: ") && reshape.contains("is not a whole number"), "\(bad): \(reshape)")
            let gather = G.refusal([G.node("Gather", ["x", "idx"], ["g"], [G.attribute("axis", int: 1)]), G.regressor],
                                   outputs: [("y0", 1)], initializers: [G.floats("idx", [bad])])
            #expect(gather.contains("the indices: ") && gather.contains("is not a whole number"), "\(bad): \(gather)")
        }
    }

    /// FeatureVectorizer with a negative input dimension: prefix(-1) trapped.
    @Test func aNegativeVectorizerDimensionIsRefused() {
        let text = G.refusal([G.node("FeatureVectorizer", ["x"], ["v"], ml: true, [G.attribute("inputdimensions", ints: [-1])]), G.regressor],
                             outputs: [("y0", 1)])
        #expect(text.contains("negative dimension -1"), "\(text)")
    }

    /// LinearRegressor with targets < 1 or more targets than coefficients: an array of -5 (or 2^62)
    /// intercepts was allocated before the counts were checked.
    @Test func aLinearModelWithImpossibleTargetsIsRefused() {
        for targets: Int64 in [-5, 0, 1 << 62] {
            let text = G.refusal([G.node("LinearRegressor", ["x"], ["y0"], ml: true,
                                         [G.attribute("coefficients", floats: [2]), G.attribute("targets", int: targets)])],
                                 outputs: [("y0", 1)])
            #expect(text.contains("malformed") && text.contains("for \(targets) targets"), "\(targets): \(text)")
        }
    }

    /// One initializer and one node using it: the tensor decoder is the first thing that reads the graph.
    private func load(_ tensor: Onnx_TensorProto) -> String {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var node = Onnx_NodeProto(); node.opType = "Identity"; node.name = "id"
        node.input = [tensor.name]; node.output = ["y"]
        model.graph.node = [node]
        model.graph.initializer = [tensor]
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(data: try model.serializedData(), path: "hand.onnx") }
        return error?.description ?? ""
    }

    @Test func overflowingShapesAreRefusedForEveryElementType() {
        for type: Int32 in [1, 6, 7, 8, 9, 11] {
            var t = Onnx_TensorProto()
            t.name = "w"
            t.dataType = type
            t.dims = [Int64.max, 3]
            t.rawData = Data([1, 2, 3, 4])
            let text = load(t)
            #expect(text.contains("tensor 'w'") && text.contains("does not fit in 64 bits"), "type \(type): \(text)")
        }
    }

    @Test func aNegativeDimensionIsRefused() {
        var t = Onnx_TensorProto()
        t.name = "w"
        t.dataType = 1
        t.dims = [2, -2]
        t.rawData = Data(count: 16)
        let text = load(t)
        #expect(text.contains("negative dimension") && text.contains("[2, -2]"), "\(text)")
    }

    /// Raw bytes whose size in bytes overflows when the count is multiplied by the element size.
    @Test func rawDataTooShortForAHugeShapeIsRefused() {
        var t = Onnx_TensorProto()
        t.name = "w"
        t.dataType = 11
        t.dims = [Int64(Int.max / 4)]
        t.rawData = Data(count: 8)
        let text = load(t)
        #expect(text.contains("raw tensor data holds 8 bytes"), "\(text)")
    }

    /// Typed values that disagree with the shape (ONNX Runtime refuses such a file) were read as
    /// they came; a later broadcast then trusted the shape.
    @Test func typedValuesThatDisagreeWithTheShapeAreRefused() {
        var t = Onnx_TensorProto()
        t.name = "w"
        t.dataType = 1
        t.dims = [4]
        t.floatData = [1, 2]
        let text = load(t)
        #expect(text.contains("tensor 'w' holds 2 values where its shape says 4"), "\(text)")
    }

    @Test func anUnnamedTensorWithAVeryLongShapeGivesAShortLine() {
        var t = Onnx_TensorProto()
        t.dataType = 7
        t.dims = Array(repeating: 1 << 20, count: 400)
        let text = load(t)
        #expect(text.contains("an unnamed tensor") && text.contains("400 dimensions") && text.utf8.count < 400, "\(text)")
    }
}
