import Foundation
import Testing
@testable import NightjarCore

@Suite struct ONNXLoaderTests {
    @Test func loadsAPipelineAsPlanAndForest() throws {
        let model = try ModelLoader.load(path: fixture("churn/churn_rf.onnx"))
        #expect(model.format == .onnx)
        #expect(model.task == .binary)
        #expect(model.features.map(\.name) == ["age", "income", "tenure_months", "balance", "num_products", "last_login_days",
                                               "has_card", "region", "plan"])
        #expect(model.features[7].kind != .numeric)
        let forest = try #require(model.forest)
        #expect(forest.treeCount == 60)
        #expect(model.plan?.featureCount == 15)
    }

    @Test func refusesAnUnsupportedOperatorByName() {
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(path: fixture("onnx/unsupported_op.onnx")) }
        let text = error?.description ?? ""
        #expect(text.contains("Tanh") && text.contains("squash_age") && text.contains("unsupported"), "\(text)")
    }

    @Test func refusesAnUnsupportedAttribute() throws {
        // A hand-made graph: Binarizer with an attribute ONNX does not define.
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto(); opset.domain = "ai.onnx.ml"; opset.version = 1
        model.opsetImport = [opset]
        var input = Onnx_ValueInfoProto(); input.name = "x"
        var tensor = Onnx_TypeProto.Tensor(); tensor.elemType = 1
        var d0 = Onnx_TensorShapeProto.Dimension(); d0.dimParam = "N"
        var d1 = Onnx_TensorShapeProto.Dimension(); d1.dimValue = 1
        tensor.shape.dim = [d0, d1]
        input.type.tensorType = tensor
        var node = Onnx_NodeProto(); node.opType = "Binarizer"; node.domain = "ai.onnx.ml"; node.name = "bin"
        node.input = ["x"]; node.output = ["y"]
        var attr = Onnx_AttributeProto(); attr.name = "strictly"; attr.i = 1; attr.type = .int
        node.attribute = [attr]
        model.graph.node = [node]
        model.graph.input = [input]
        let data = try model.serializedData()
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(data: data, path: "hand.onnx") }
        let text = error?.description ?? ""
        #expect(text.contains("Binarizer") && text.contains("'bin'") && text.contains("strictly"), "\(text)")
    }

    @Test func aTruncatedFileIsAClearOneLineError() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("churn/churn_rf.onnx")))
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(data: data.prefix(data.count / 2), path: "cut.onnx") }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("cut.onnx: malformed ONNX model") && !text.contains("\n"), "\(text)")
    }

    @Test func aNonONNXFileIsRefused() {
        let path = temporaryFile("not a model at all", name: "model.onnx")
        let error = #expect(throws: ModelError.self) { try ModelLoader.load(path: path) }
        let text = error?.description ?? ""
        #expect(text.contains("not a model file Nightjar can read") && !text.contains("\n"), "\(text)")
    }

    @Test func describesInputsStepsAndOutputs() throws {
        let model = try ModelLoader.load(path: fixture("churn/churn_rf.onnx"))
        let text = model.describe(path: "churn_rf.onnx")
        #expect(text.contains("tensor(string)"))
        #expect(text.contains("Imputer") && text.contains("Scaler") && text.contains("OneHotEncoder") && text.contains("TreeEnsembleClassifier"))
        #expect(text.contains("flow:") && text.contains("→"))
        #expect(text.contains("probabilities"))
    }

    @Test func doubleThresholdsAreUsed() throws {
        // A one-node regressor whose double threshold differs from its float32 rounding.
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var ml = Onnx_OperatorSetIdProto(); ml.domain = "ai.onnx.ml"; ml.version = 3
        model.opsetImport = [ml]
        var input = Onnx_ValueInfoProto(); input.name = "x"
        var tensor = Onnx_TypeProto.Tensor(); tensor.elemType = 11
        var d1 = Onnx_TensorShapeProto.Dimension(); d1.dimValue = 1
        tensor.shape.dim = [Onnx_TensorShapeProto.Dimension(), d1]
        input.type.tensorType = tensor
        var output = Onnx_ValueInfoProto(); output.name = "y"
        func ints(_ name: String, _ v: [Int64]) -> Onnx_AttributeProto { var a = Onnx_AttributeProto(); a.name = name; a.ints = v; a.type = .ints; return a }
        func strings(_ name: String, _ v: [String]) -> Onnx_AttributeProto { var a = Onnx_AttributeProto(); a.name = name; a.strings = v.map { Data($0.utf8) }; a.type = .strings; return a }
        func doubles(_ name: String, _ v: [Double]) -> Onnx_AttributeProto {
            var t = Onnx_TensorProto(); t.dataType = 11; t.dims = [Int64(v.count)]; t.doubleData = v
            var a = Onnx_AttributeProto(); a.name = name; a.t = t; a.type = .tensor; return a
        }
        var node = Onnx_NodeProto(); node.opType = "TreeEnsembleRegressor"; node.domain = "ai.onnx.ml"; node.name = "tree"
        node.input = ["x"]; node.output = ["y"]
        node.attribute = [ints("nodes_treeids", [0, 0, 0]), ints("nodes_nodeids", [0, 1, 2]), ints("nodes_featureids", [0, 0, 0]),
                          strings("nodes_modes", ["BRANCH_LEQ", "LEAF", "LEAF"]), doubles("nodes_values_as_tensor", [0.1, 0, 0]),
                          ints("nodes_truenodeids", [1, 0, 0]), ints("nodes_falsenodeids", [2, 0, 0]),
                          ints("target_ids", [0, 0]), ints("target_nodeids", [1, 2]), ints("target_treeids", [0, 0]),
                          doubles("target_weights_as_tensor", [1, 2])]
        model.graph.node = [node]
        model.graph.input = [input]
        model.graph.output = [output]
        let loaded = try ModelLoader.load(data: try model.serializedData(), path: "double.onnx")
        // 0.1 (double) < Float(0.1) as a double: x = 0.1000000001 goes right with the double threshold.
        let x = [0.1000000001, 0.1]
        var out: [Double] = []
        var matrix = FeatureMatrix(rows: 2, features: 1)
        matrix.values = x
        Predictor(model: loaded, includeMargin: false, threads: 1).score(matrix, into: &out)
        #expect(out == [2, 1])
    }
}
