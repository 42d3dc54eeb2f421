import Foundation
import Testing
@testable import NightjarCore

/// The linear kernels against the straightforward float32 sums, bit for bit: random models (one
/// target, a negated pair as skl2onnx writes a binary LogisticRegression, an independent pair, three
/// targets), random rows with NaN, ±0, infinities and huge values, replacements that are NaN.
/// Values are compared by their bits, except that any NaN equals any NaN: which of two NaNs a sum
/// keeps (an input's, or the negative one of ∞ · 0) follows the operand order the compiler picks,
/// which this debug-built reference need not share with the optimised kernels.
@Suite struct LinearModelTests {
    /// Bits, with every NaN as the same NaN.
    static func bits(_ values: [Double]) -> [UInt64] { values.map { $0.isNaN ? Double.nan.bitPattern : $0.bitPattern } }

    enum Kind: String, CaseIterable, Sendable { case single, negatedPair, pair, three }

    /// A random model of `kind` over `width` features; some weights are ±0.
    static func model(_ kind: Kind, width: Int, _ rng: inout SplitMix) -> LinearModel {
        func weight() -> Float {
            switch Int.random(in: 0..<12, using: &rng) {
            case 0: return 0
            case 1: return -0.0
            default: return Float.random(in: -2...2, using: &rng)
            }
        }
        let w0 = (0..<width).map { _ in weight() }
        let b0 = Float.random(in: -1...1, using: &rng)
        switch kind {
        case .single: return LinearModel(coefficients: w0, intercepts: [b0], featureCount: width)
        case .negatedPair: return LinearModel(coefficients: w0.map { -$0 } + w0, intercepts: [-b0, b0], featureCount: width)
        case .pair: return LinearModel(coefficients: (0..<width).map { _ in weight() } + w0, intercepts: [0.25, b0], featureCount: width)
        case .three:
            return LinearModel(coefficients: (0..<3 * width).map { _ in weight() }, intercepts: [0.1, b0, -0.3], featureCount: width)
        }
    }

    /// An input value: mostly ordinary, sometimes NaN, ±0, ±∞ or beyond float32.
    static func value(_ rng: inout SplitMix) -> Double {
        switch Int.random(in: 0..<40, using: &rng) {
        case 0, 1, 2: return .nan
        case 3: return 0
        case 4: return -0.0
        case 5: return .infinity
        case 6: return -.infinity
        case 7: return 1e39
        case 8: return -3e38
        default: return Double.random(in: -5...5, using: &rng)
        }
    }

    /// Row-at-a-time float32 sums in feature order from +0, NaN replaced by `imputed[f]`: what the
    /// plan followed by `computeScores(features:)` computes.
    static func reference(_ m: LinearModel, inputs: [Double], stride: Int, rows: Int, columns: [Int], imputed: [Float]) -> [Double] {
        var out: [Double] = []
        for r in 0..<rows {
            for t in 0..<m.targets {
                var s: Float = 0
                for f in 0..<m.featureCount {
                    let x = Float(inputs[r * stride + columns[f]])
                    s += (x.isNaN ? imputed[f] : x) * m.coefficients[t * m.featureCount + f]
                }
                out.append(Double(s + m.intercepts[t]))
            }
        }
        return out
    }

    @Test func aNegatedPairIsRecognisedBitForBit() {
        let w: [Float] = [1.5, 0, -0.0, -2, Float(bitPattern: 0x0002_0000)]  // the last one subnormal
        #expect(LinearModel(coefficients: w.map { -$0 } + w, intercepts: [-0.5, 0.5], featureCount: 5).negatedPair)
        #expect(LinearModel(coefficients: w.map { -$0 } + w, intercepts: [0, -0.0], featureCount: 5).negatedPair)
        // +0 and +0 are equal but not each other's negation.
        #expect(!LinearModel(coefficients: w.map { -$0 } + w, intercepts: [0, 0], featureCount: 5).negatedPair)
        var near = w.map { -$0 } + w
        near[9] = near[9].nextUp
        #expect(!LinearModel(coefficients: near, intercepts: [-0.5, 0.5], featureCount: 5).negatedPair)
        #expect(!LinearModel(coefficients: w.map { -$0 } + w, intercepts: [-0.5, 0.25], featureCount: 5).negatedPair)
        var nan = w.map { -$0 } + w
        nan[2] = .nan
        nan[7] = -Float.nan
        #expect(!LinearModel(coefficients: nan, intercepts: [-0.5, 0.5], featureCount: 5).negatedPair)
        #expect(!LinearModel(coefficients: w, intercepts: [0.5], featureCount: 5).negatedPair)
    }

    @Test(arguments: Kind.allCases)
    func imputedKernelMatchesTheRowAtATimeSums(_ kind: Kind) {
        var rng = SplitMix(state: 0x5EED_0000 &+ UInt64(kind.rawValue.count))
        for trial in 0..<40 {
            let width = [1, 2, 3, 5, 28, 31][trial % 6]
            let m = Self.model(kind, width: width, &rng)
            #expect(m.negatedPair == (kind == .negatedPair))
            // Wider rows than the model reads, columns in any order; some replacements are NaN.
            let stride = width + trial % 3
            let columns = Array((0..<stride).shuffled(using: &rng).prefix(width))
            let imputed: [Float] = (0..<width).map { _ in Int.random(in: 0..<5, using: &rng) == 0 ? .nan : Float.random(in: -3...3, using: &rng) }
            let rows = [0, 1, 7, 8, 9, 15, 16, 17, 24, 100, 1027][trial % 11]
            let inputs = (0..<rows * stride).map { _ in Self.value(&rng) }
            let expected = Self.reference(m, inputs: inputs, stride: stride, rows: rows, columns: columns, imputed: imputed)

            var got = [Double](repeating: 7, count: rows * m.targets)
            let kernel = ImputedLinearModel(model: m, columns: columns, imputed: imputed)
            inputs.withUnsafeBufferPointer { x in
                got.withUnsafeMutableBufferPointer { out in
                    kernel.computeScores(inputs: x.baseAddress ?? UnsafePointer(bitPattern: 8)!, stride: stride, rows: rows,
                                         scores: out.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
                }
            }
            #expect(Self.bits(got) == Self.bits(expected), "\(kind) width \(width) rows \(rows)")

            // The plan's path: the imputed feature matrix, then `computeScores(features:)`.
            var features = [Double](repeating: 0, count: rows * width)
            for r in 0..<rows {
                for f in 0..<width {
                    let x = Float(inputs[r * stride + columns[f]])
                    features[r * width + f] = Double(x.isNaN ? imputed[f] : x)
                }
            }
            var planned = [Double](repeating: 7, count: rows * m.targets)
            features.withUnsafeBufferPointer { x in
                planned.withUnsafeMutableBufferPointer { out in
                    if rows > 0 { m.computeScores(features: x.baseAddress!, stride: width, rows: rows, scores: out.baseAddress!) }
                }
            }
            #expect(Self.bits(planned) == Self.bits(got), "\(kind) width \(width) rows \(rows)")
        }
    }

    /// Score 0 of a negated pair, derived as `0 - score 1`, against its own sum: exact zeros (+0 in
    /// both sums), ±0 intercepts, infinities and NaN.
    @Test func aNegatedPairsFirstScoreHasTheBitsOfItsOwnSum() {
        let w: [Float] = [1, -0.0, 0, 2, 3e38]
        for intercepts: [Float] in [[0, -0.0], [-0.0, 0], [-1, 1], [1, -1]] {
            let m = LinearModel(coefficients: w.map { -$0 } + w, intercepts: intercepts, featureCount: 5)
            #expect(m.negatedPair)
            let rows: [[Double]] = [
                [0, 0, 0, 0, 0], [-0.0, -0.0, -0.0, -0.0, -0.0], [1, 5, 5, -0.5, 0], [.nan, 1, 1, 0, 0],
                [.infinity, 0, 0, 0, 0], [.infinity, 0, 0, 0, -1e39], [1e39, 1, 1, 1, 1], [0, .infinity, 0, 0, 0],
                [-1, 0, 0, 0.5, 0], [2, 0, 0, -1, 0], [.nan, .nan, .nan, .nan, .nan], [3, 1, 1, 1, 1e-40],
            ]
            let inputs = Array((rows + rows).joined())
            let count = rows.count * 2
            let imputed: [Float] = [.nan, 0, 0, 0, 0]
            let expected = Self.reference(m, inputs: inputs, stride: 5, rows: count, columns: Array(0..<5), imputed: imputed)
            var got = [Double](repeating: 7, count: count * 2)
            inputs.withUnsafeBufferPointer { x in
                got.withUnsafeMutableBufferPointer { out in
                    ImputedLinearModel(model: m, columns: Array(0..<5), imputed: imputed)
                        .computeScores(inputs: x.baseAddress!, stride: 5, rows: count, scores: out.baseAddress!)
                }
            }
            #expect(Self.bits(got) == Self.bits(expected), "intercepts \(intercepts)")
        }
    }

    /// A one-node-pair ONNX graph: `Imputer` then a binary `LinearClassifier` with LOGISTIC.
    static func onnxLogisticRegression(coefficients: [Float], intercepts: [Float], imputed: [Float]) throws -> ScoringModel {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var ml = Onnx_OperatorSetIdProto(); ml.domain = "ai.onnx.ml"; ml.version = 1
        var core = Onnx_OperatorSetIdProto(); core.version = 15
        model.opsetImport = [core, ml]
        var input = Onnx_ValueInfoProto(); input.name = "input"
        var tensor = Onnx_TypeProto.Tensor(); tensor.elemType = 1
        var d1 = Onnx_TensorShapeProto.Dimension(); d1.dimValue = Int64(imputed.count)
        tensor.shape.dim = [Onnx_TensorShapeProto.Dimension(), d1]
        input.type.tensorType = tensor
        func floats(_ name: String, _ v: [Float]) -> Onnx_AttributeProto { var a = Onnx_AttributeProto(); a.name = name; a.floats = v; a.type = .floats; return a }
        func float(_ name: String, _ v: Float) -> Onnx_AttributeProto { var a = Onnx_AttributeProto(); a.name = name; a.f = v; a.type = .float; return a }
        func ints(_ name: String, _ v: [Int64]) -> Onnx_AttributeProto { var a = Onnx_AttributeProto(); a.name = name; a.ints = v; a.type = .ints; return a }
        func int(_ name: String, _ v: Int64) -> Onnx_AttributeProto { var a = Onnx_AttributeProto(); a.name = name; a.i = v; a.type = .int; return a }
        func string(_ name: String, _ v: String) -> Onnx_AttributeProto { var a = Onnx_AttributeProto(); a.name = name; a.s = Data(v.utf8); a.type = .string; return a }
        var imputer = Onnx_NodeProto(); imputer.opType = "Imputer"; imputer.domain = "ai.onnx.ml"; imputer.name = "impute"
        imputer.input = ["input"]; imputer.output = ["filled"]
        imputer.attribute = [floats("imputed_value_floats", imputed), float("replaced_value_float", .nan)]
        var linear = Onnx_NodeProto(); linear.opType = "LinearClassifier"; linear.domain = "ai.onnx.ml"; linear.name = "linear"
        linear.input = ["filled"]; linear.output = ["label", "probabilities"]
        linear.attribute = [floats("coefficients", coefficients), floats("intercepts", intercepts), ints("classlabels_ints", [0, 1]),
                            int("multi_class", 0), string("post_transform", "LOGISTIC")]
        var label = Onnx_ValueInfoProto(); label.name = "label"
        var probabilities = Onnx_ValueInfoProto(); probabilities.name = "probabilities"
        model.graph.node = [imputer, linear]
        model.graph.input = [input]
        model.graph.output = [label, probabilities]
        return try ModelLoader.load(data: try model.serializedData(), path: "lr.onnx")
    }

    /// The whole predictor on an imputer + binary logistic regression, negated pair or not: the
    /// fused kernel and the four-row logistic link against the scalar formulas, bit for bit.
    @Test(arguments: [true, false])
    func binaryLogisticRegressionMatchesTheScalarLink(negated: Bool) throws {
        var rng = SplitMix(state: negated ? 11 : 12)
        let width = 28
        let w = (0..<width).map { _ in Float.random(in: -1...1, using: &rng) }
        let first = negated ? w.map { -$0 } : (0..<width).map { _ in Float.random(in: -1...1, using: &rng) }
        let imputed = (0..<width).map { _ in Float.random(in: -1...1, using: &rng) }
        let scoring = try Self.onnxLogisticRegression(coefficients: first + w, intercepts: [negated ? -0.25 : 0.5, 0.25], imputed: imputed)
        guard case .linear(let linear) = scoring.estimator else { Issue.record("not a linear model"); return }
        #expect(linear.negatedPair == negated)
        let rows = 3000 + (negated ? 5 : 3)
        var matrix = FeatureMatrix(rows: rows, features: scoring.features.count)
        #expect(matrix.stride == width)
        matrix.values = (0..<rows * width).map { _ in Self.value(&rng) }
        // Rows whose score is exactly 0 (logistic 0.5, label 0), rows of missing values only.
        for f in 0..<width { matrix[5, f] = 0; matrix[6, f] = .nan }
        let margins = Self.reference(linear, inputs: matrix.values, stride: width, rows: rows, columns: Array(0..<width), imputed: imputed)
        for includeMargin in [false, true] {
            for threads in [1, 2] {
                let predictor = Predictor(model: scoring, includeMargin: includeMargin, threads: threads)
                #expect(predictor.imputedLinear != nil)
                var out: [Double] = []
                predictor.score(matrix, into: &out)
                let width = predictor.columns.count
                var expected: [Double] = []
                for r in 0..<rows {
                    let p = Double(ONNXOutputTransform.logistic(Float(margins[r * 2 + 1])))
                    expected += [p, p > 0.5 ? 1 : 0]
                    if includeMargin { expected += [margins[r * 2], margins[r * 2 + 1]] }
                }
                #expect(width == (includeMargin ? 4 : 2))
                #expect(Self.bits(out) == Self.bits(expected), "margins \(includeMargin), threads \(threads)")
            }
        }
    }
}
