import Foundation
import Testing
@testable import NightjarCore

/// Hand-made graphs: element-wise nodes after the estimator (lowered into the output transform, in
/// the tensor's type, or refused with a clear reason), and Imputers whose replaced value is not NaN.
/// Parity with ONNX Runtime on real converter output is in NightjarJobsTests' UnusualModelParityTests.
@Suite struct ONNXOutputOperationTests {
    // MARK: Graph building

    static func attribute(_ name: String, floats: [Float]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.floats = floats; a.type = .floats; return a
    }
    static func attribute(_ name: String, float: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.f = float; a.type = .float; return a
    }
    static func attribute(_ name: String, ints: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.ints = ints; a.type = .ints; return a
    }
    static func attribute(_ name: String, int: Int64) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.i = int; a.type = .int; return a
    }
    static func attribute(_ name: String, string: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.s = Data(string.utf8); a.type = .string; return a
    }
    static func attribute(_ name: String, strings: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.strings = strings.map { Data($0.utf8) }; a.type = .strings; return a
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], ml: Bool = false,
                     _ attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto(); n.opType = op; n.domain = ml ? "ai.onnx.ml" : ""; n.name = "\(op.lowercased())_\(outputs[0])"
        n.input = inputs; n.output = outputs; n.attribute = attributes
        return n
    }

    static func floats(_ name: String, _ v: [Float], dims: [Int64]? = nil) -> Onnx_TensorProto {
        var t = Onnx_TensorProto(); t.name = name; t.dataType = 1; t.dims = dims ?? [Int64(v.count)]; t.floatData = v; return t
    }
    static func doubles(_ name: String, _ v: [Double], dims: [Int64]? = nil) -> Onnx_TensorProto {
        var t = Onnx_TensorProto(); t.name = name; t.dataType = 11; t.dims = dims ?? [Int64(v.count)]; t.doubleData = v; return t
    }

    static func tensor(_ name: String, type: Int32 = 1, columns: Int64 = 1) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto(); v.name = name
        var t = Onnx_TypeProto.Tensor(); t.elemType = type
        var d1 = Onnx_TensorShapeProto.Dimension(); d1.dimValue = columns
        t.shape.dim = [Onnx_TensorShapeProto.Dimension(), d1]
        v.type.tensorType = t
        return v
    }

    /// A graph with float input `x` (one column) and the given nodes, initializers and outputs.
    static func load(_ nodes: [Onnx_NodeProto], outputs: [(String, Int32)], initializers: [Onnx_TensorProto] = [],
                     inputs: [String] = ["x"]) throws -> ScoringModel {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var core = Onnx_OperatorSetIdProto(); core.version = 17
        var ml = Onnx_OperatorSetIdProto(); ml.domain = "ai.onnx.ml"; ml.version = 3
        model.opsetImport = [core, ml]
        model.graph.node = nodes
        model.graph.input = inputs.map { tensor($0) }
        model.graph.output = outputs.map { tensor($0.0, type: $0.1) }
        model.graph.initializer = initializers
        return try ModelLoader.load(data: try model.serializedData(), path: "hand.onnx")
    }

    static func refusal(_ nodes: [Onnx_NodeProto], outputs: [(String, Int32)], initializers: [Onnx_TensorProto] = [],
                        inputs: [String] = ["x"]) -> String {
        do {
            _ = try load(nodes, outputs: outputs, initializers: initializers, inputs: inputs)
            return "loaded"
        } catch {
            return String(describing: error)
        }
    }

    /// `y = 2x + 1`, a float32 [N, 1] tensor.
    static let regressor = node("LinearRegressor", ["x"], ["y0"], ml: true,
                                [attribute("coefficients", floats: [2]), attribute("intercepts", floats: [1])])
    /// A binary linear classifier as skl2onnx writes one (a target per class): label and probabilities [N, 2].
    static let classifier = node("LinearClassifier", ["x"], ["label", "p0"], ml: true,
                                 [attribute("coefficients", floats: [-1.5, 1.5]), attribute("intercepts", floats: [0.25, -0.25]),
                                  attribute("classlabels_ints", ints: [0, 1]), attribute("post_transform", string: "LOGISTIC")])

    static func score(_ model: ScoringModel, _ x: [Double]) -> [Double] {
        var matrix = FeatureMatrix(rows: x.count, features: 1)
        matrix.values = x
        var out: [Double] = []
        Predictor(model: model, includeMargin: false, threads: 1).score(matrix, into: &out)
        return out
    }

    // MARK: Lowered

    /// Mul by a Constant node, Add a scalar initializer, Sub from a constant, Div by a [1, 1] constant,
    /// Identity, Cast to double, Add a double, Cast to float: each in the tensor's type.
    @Test func aChainAfterTheEstimatorIsComputedInTheTensorsType() throws {
        var k = Onnx_AttributeProto(); k.name = "value"; k.t = Self.floats("", [0.7], dims: []); k.type = .tensor
        let nodes = [
            Self.regressor,
            Self.node("Constant", [], ["k"], [k]),
            Self.node("Mul", ["y0", "k"], ["y1"]),
            Self.node("Add", ["y1", "a"], ["y2"]),
            Self.node("Constant", [], ["s"], [Self.attribute("value_float", float: 10)]),
            Self.node("Sub", ["s", "y2"], ["y3"]),
            Self.node("Div", ["y3", "d"], ["y4"]),
            Self.node("Identity", ["y4"], ["y5"]),
            Self.node("Cast", ["y5"], ["y6"], [Self.attribute("to", int: 11)]),
            Self.node("Add", ["y6", "e"], ["y7"]),
            Self.node("Cast", ["y7"], ["y"], [Self.attribute("to", int: 1)]),
        ]
        let model = try Self.load(nodes, outputs: [("y", 1)],
                                  initializers: [Self.floats("a", [0.1], dims: []), Self.floats("d", [3], dims: [1, 1]),
                                                 Self.doubles("e", [1e-9], dims: [1])])
        #expect(model.float32Outputs)
        let x: [Double] = [0, 0.3, -2.5, 123.456]
        let expected = x.map { v -> Double in
            let y0 = Float(2) * Float(v) + Float(1)
            let y4 = (Float(10) - (y0 * Float(0.7) + Float(0.1))) / Float(3)
            return Double(Float(Double(y4) + 1e-9))
        }
        #expect(Self.score(model, x) == expected)
        let text = model.describe(path: "hand.onnx")
        #expect(text.contains("× 0.699999988079071 on the estimator's output (float32)") && text.contains("10.0 − x")
                && text.contains("rounded to float32"), "\(text)")
    }

    @Test func aDoubleOutputStaysDouble() throws {
        let nodes = [Self.regressor, Self.node("Cast", ["y0"], ["y1"], [Self.attribute("to", int: 11)]),
                     Self.node("Mul", ["y1", "m"], ["y"])]
        let model = try Self.load(nodes, outputs: [("y", 11)], initializers: [Self.doubles("m", [0.1], dims: [])])
        #expect(!model.float32Outputs)
        #expect(Self.score(model, [0.3]) == [Double(Float(2) * Float(0.3) + 1) * 0.1])
    }

    /// Per-class constants apply per probability column; the label stays the estimator's (ONNX
    /// Runtime's label output does not see the nodes after the estimator).
    @Test func perClassConstantsAndTheEstimatorsLabel() throws {
        let nodes = [Self.classifier, Self.node("Mul", ["p0", "m"], ["p1"]), Self.node("Sub", ["p1", "s"], ["probabilities"])]
        let model = try Self.load(nodes, outputs: [("label", 7), ("probabilities", 1)],
                                  initializers: [Self.floats("m", [5, -1], dims: [1, 2]), Self.floats("s", [0, 2], dims: [2])])
        let x: [Double] = [-3, 0.1, 2]
        let out = Self.score(model, x)
        for (i, v) in x.enumerated() {
            let p = ONNXOutputTransform.logistic(Float(v) * Float(1.5) + Float(-0.25))
            #expect(out[2 * i] == Double(p * Float(-1) - Float(2)), "probability of row \(i)")
            #expect(out[2 * i + 1] == (p > 0.5 ? 1 : 0), "label of row \(i)")
        }
    }

    // MARK: Refused

    @Test func anythingElseAfterTheEstimatorIsRefused() {
        let f: Int32 = 1
        var text = Self.refusal([Self.regressor, Self.node("Exp", ["y0"], ["y"])], outputs: [("y", f)])
        #expect(text.contains("Exp") && text.contains("is applied to the estimator's output") && text.contains("Add/Sub/Mul/Div by a constant"), "\(text)")
        text = Self.refusal([Self.regressor, Self.node("Mul", ["y0", "x"], ["y"])], outputs: [("y", f)])
        #expect(text.contains("per-row value"), "\(text)")
        text = Self.refusal([Self.regressor, Self.node("Cast", ["y0"], ["y"], [Self.attribute("to", int: 7)])], outputs: [("y", 7)])
        #expect(text.contains("casts the estimator's output to type 7"), "\(text)")
        text = Self.refusal([Self.regressor, Self.node("Mul", ["y0", "m"], ["y"])], outputs: [("y", f)],
                            initializers: [Self.doubles("m", [2], dims: [])])
        #expect(text.contains("float output with a double constant"), "\(text)")
        text = Self.refusal([Self.classifier, Self.node("Mul", ["p0", "m"], ["probabilities"])], outputs: [("label", 7), ("probabilities", f)],
                            initializers: [Self.floats("m", [1, 2, 3], dims: [3])])
        #expect(text.contains("does not broadcast over the estimator's 2 output columns"), "\(text)")
        text = Self.refusal([Self.classifier, Self.node("Mul", ["p0", "m"], ["probabilities"])], outputs: [("label", 7), ("probabilities", f)],
                            initializers: [Self.floats("m", [1, 2], dims: [2, 1])])
        #expect(text.contains("does not broadcast"), "\(text)")
        text = Self.refusal([Self.classifier, Self.node("Add", ["label", "one"], ["l1"])], outputs: [("l1", 7), ("p0", f)],
                            initializers: [{ var t = Onnx_TensorProto(); t.name = "one"; t.dataType = 7; t.int64Data = [1]; return t }()])
        #expect(text.contains("estimator's label"), "\(text)")
        text = Self.refusal([Self.regressor, Self.node("Mul", ["y0", "m"], ["y"])], outputs: [("y", f), ("y0", f)],
                            initializers: [Self.floats("m", [2], dims: [])])
        #expect(text.contains("computed differently"), "\(text)")
        text = Self.refusal([Self.classifier, Self.node("Mul", ["p0", "m"], ["p1"]),
                             Self.node("Normalizer", ["p1"], ["probabilities"], ml: true, [Self.attribute("norm", string: "L1")])],
                            outputs: [("label", 7), ("probabilities", f)], initializers: [Self.floats("m", [2], dims: [])])
        #expect(text.contains("Normalizer"), "\(text)")
    }

    /// ONNX Runtime gives a single-target LinearClassifier with LOGISTIC σ(s), not the [1 − s, s] of
    /// NONE (which Nightjar reproduces): refused rather than scored as NONE.
    @Test func aSingleTargetClassifierWithAPostTransformIsRefused() throws {
        func classifier(_ post: String) -> Onnx_NodeProto {
            Self.node("LinearClassifier", ["x"], ["label", "probabilities"], ml: true,
                      [Self.attribute("coefficients", floats: [0.05]), Self.attribute("intercepts", floats: [-2]),
                       Self.attribute("classlabels_ints", ints: [0, 1]), Self.attribute("post_transform", string: post)])
        }
        let text = Self.refusal([classifier("LOGISTIC")], outputs: [("label", 7), ("probabilities", 1)])
        #expect(text.contains("post_transform LOGISTIC on a single-target classifier"), "\(text)")
        let model = try Self.load([classifier("NONE")], outputs: [("label", 7), ("probabilities", 1)])
        #expect(Self.score(model, [71]) == [Double(Float(71) * Float(0.05) + Float(-2)), 1])
    }

    // MARK: Imputers whose replaced value is not NaN

    static func imputer(_ replaced: Float, input: String = "x", output: String = "xi", value: Float = 5) -> Onnx_NodeProto {
        node("Imputer", [input], [output], ml: true,
             [attribute("imputed_value_floats", floats: [value]), attribute("replaced_value_float", float: replaced)])
    }

    /// As ONNX Runtime: exactly the values equal to the replaced value are imputed (−0.0 == 0.0), NaN
    /// passes; behind a tree NaN is a missing value (here its node sends it to the true branch).
    @Test func negativeZeroImputesBothZerosAndATreeTakesNaNAsMissing() throws {
        let tree = Self.node("TreeEnsembleRegressor", ["xi"], ["y"], ml: true, [
            Self.attribute("nodes_treeids", ints: [0, 0, 0]), Self.attribute("nodes_nodeids", ints: [0, 1, 2]),
            Self.attribute("nodes_featureids", ints: [0, 0, 0]), Self.attribute("nodes_modes", strings: ["BRANCH_LEQ", "LEAF", "LEAF"]),
            Self.attribute("nodes_values", floats: [1, 0, 0]), Self.attribute("nodes_truenodeids", ints: [1, 0, 0]),
            Self.attribute("nodes_falsenodeids", ints: [2, 0, 0]), Self.attribute("nodes_missing_value_tracks_true", ints: [1, 0, 0]),
            Self.attribute("target_ids", ints: [0, 0]), Self.attribute("target_nodeids", ints: [1, 2]),
            Self.attribute("target_treeids", ints: [0, 0]), Self.attribute("target_weights", floats: [10, 20]),
        ])
        let model = try Self.load([Self.imputer(-0.0), tree], outputs: [("y", 1)])
        //                       0 → 5,  −0 → 5,  NaN stays (true branch),  3,  0.5
        #expect(Self.score(model, [0, -0.0, .nan, 3, 0.5]) == [20, 20, 10, 20, 10])
    }

    @Test func anImputerLettingNaNIntoALinearModelIsRefused() {
        let scaler = Self.node("Scaler", ["xi"], ["xs"], ml: true, [Self.attribute("offset", floats: [1]), Self.attribute("scale", floats: [2])])
        let linear = Self.node("LinearRegressor", ["xs"], ["y"], ml: true, [Self.attribute("coefficients", floats: [2])])
        let text = Self.refusal([Self.imputer(-0.0), scaler, linear], outputs: [("y", 1)])
        #expect(text.contains("Imputer (node 'imputer_xi') replaces -0.0, not NaN") && text.contains("LinearRegressor")
                && text.contains("NULL") && text.contains("missing_values=NaN"), "\(text)")
        let other = Self.refusal([Self.imputer(7), scaler, linear], outputs: [("y", 1)])
        #expect(other.contains("replaces 7.0, not NaN"), "\(other)")
    }

    /// NaN cleared before the linear model (a second Imputer for NaN), or an imputer for NaN alone: loaded.
    @Test func anImputerWhoseNaNIsReplacedLaterLoads() throws {
        let linear = Self.node("LinearRegressor", ["xn"], ["y"], ml: true, [Self.attribute("coefficients", floats: [2])])
        let model = try Self.load([Self.imputer(-0.0), Self.imputer(.nan, input: "xi", output: "xn", value: 9), linear], outputs: [("y", 1)])
        #expect(Self.score(model, [0, .nan, 1]) == [10, 18, 2])
        _ = try Self.load([Self.imputer(.nan, output: "xn"), linear], outputs: [("y", 1)])
    }
}
