import Foundation

/// ONNX Runtime's last steps for an estimator's scores: base values, the `post_transform`, the
/// binary-classifier conventions of its kernels, a trailing `Normalizer` node, and element-wise
/// operations by constants the graph applies to the result (`Add`/`Sub`/`Mul`/`Div`, `Cast`).
/// Computed in float32, as ONNX Runtime does (in double after a `Cast` to double); the result is the
/// graph's probability (or prediction) tensor.
public struct ONNXOutputTransform: Sendable, Equatable {
    public enum PostTransform: String, Sendable, Equatable, CaseIterable {
        case none = "NONE"
        case logistic = "LOGISTIC"
        case softmax = "SOFTMAX"
        case softmaxZero = "SOFTMAX_ZERO"
        case probit = "PROBIT"
    }

    /// How scores become outputs.
    public enum Rule: Sendable, Equatable {
        /// A single-target regressor (trees or linear): only PROBIT applies.
        case singleTarget
        /// One score per output, the post transform over all of them.
        case perOutput
        /// Tree classifier with two classes whose trees vote for one class: the score `s` becomes
        /// `[1 - s, s]` when every weight is positive, else `[-s, s]` (LOGISTIC: `[σ(-s), σ(s)]`).
        case binaryTrees(allWeightsPositive: Bool)
        /// Linear classifier with one target and two labels: `[1 - s, s]`.
        case binaryLinear
    }

    public enum Normalization: String, Sendable, Equatable {
        case max = "MAX"
        case l1 = "L1"
        case l2 = "L2"
    }

    /// One element-wise node applied to the estimator's output tensor: an operation per output column
    /// (a constant broadcast over the columns), in the tensor's element type.
    public struct OutputOperation: Sendable, Equatable {
        /// One operation per output column (`outputCount` of them).
        public var columns: [FeaturePlan.Operation]
        /// The tensor is float32 (else double).
        public var float: Bool

        public init(columns: [FeaturePlan.Operation], float: Bool) {
            self.columns = columns
            self.float = float
        }
    }

    public var rule: Rule
    public var postTransform: PostTransform
    /// Added to the scores before the transform (trees only; empty for none).
    public var baseValues: [Double]
    /// Tree classifiers with two classes and two base values: ONNX Runtime sets the positive score to
    /// `base[1] + score[0]` when the trees vote for class 1 as well.
    public var classOneVoted: Bool
    /// Scores are doubles (`*_as_tensor`), not float32.
    public var doubleScores: Bool
    /// A `Normalizer` node applied to the probabilities after the estimator.
    public var normalization: Normalization?
    /// Number of scores per row (the margins), and of outputs per row.
    public var scoreCount: Int
    public var outputCount: Int
    /// Element-wise nodes after the estimator (and its normalisation), in graph order. They change the
    /// written probabilities (or prediction), not the label: the graph's label output is the estimator's.
    public var outputOperations: [OutputOperation]
    /// The graph's output tensor is double (a `Cast` to double after the estimator), not float32.
    public var doubleOutputs: Bool

    public init(rule: Rule, postTransform: PostTransform, baseValues: [Double] = [], classOneVoted: Bool = false,
                doubleScores: Bool = false, normalization: Normalization? = nil, scoreCount: Int, outputCount: Int,
                outputOperations: [OutputOperation] = [], doubleOutputs: Bool = false) {
        self.rule = rule
        self.postTransform = postTransform
        self.baseValues = baseValues
        self.classOneVoted = classOneVoted
        self.doubleScores = doubleScores
        self.normalization = normalization
        self.scoreCount = scoreCount
        self.outputCount = outputCount
        self.outputOperations = outputOperations
        self.doubleOutputs = doubleOutputs
    }

    /// Applies the element-wise nodes after the estimator to one row's outputs (`outputCount`), as
    /// ONNX Runtime computes them: each operation in the tensor's type, float32 or double.
    @inlinable
    public func applyOutputOperations(_ out: UnsafeMutablePointer<Double>) {
        for step in outputOperations {
            for k in 0..<outputCount { out[k] = step.columns[k].apply(out[k], float: step.float) }
        }
    }

    /// Turns one row's scores (`scoreCount`) into outputs (`outputCount`); `work` holds `max(scoreCount, outputCount)`.
    @inlinable
    public func apply(scores m: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        switch rule {
        case .singleTarget:
            var s = m[0]
            if let b = baseValues.first, baseValues.count == 1 { s = doubleScores ? s + b : Double(Float(s) + Float(b)) }
            out[0] = postTransform == .probit ? Double(Self.probit(Float(s))) : Double(Float(s))
        case .perOutput:
            for k in 0..<scoreCount {
                var s = m[k]
                if k < baseValues.count { s = doubleScores ? s + baseValues[k] : Double(Float(s) + Float(baseValues[k])) }
                out[k] = s
            }
            if outputCount == 2 && scoreCount == 2 && baseValues.count == 2 && classOneVoted {
                let p1 = doubleScores ? baseValues[1] + m[0] : Double(Float(baseValues[1]) + Float(m[0]))
                out[1] = p1
                out[0] = -p1
            }
            Self.transform(out, count: outputCount, postTransform)
        case .binaryTrees(let positive):
            var s = m[0]
            if baseValues.count == 1 { s = doubleScores ? s + baseValues[0] : Double(Float(s) + Float(baseValues[0])) }
            let f = Float(s)
            if postTransform == .probit {
                out[1] = Double(Self.probit(f)); out[0] = 1 - out[1]
            } else if positive {
                out[0] = Double(1 - f); out[1] = Double(f)
            } else if postTransform == .logistic {
                out[0] = Double(Self.logistic(-f)); out[1] = Double(Self.logistic(f))
            } else {
                out[0] = Double(-f); out[1] = Double(f)
            }
        case .binaryLinear:
            let f = Float(m[0])
            out[0] = Double(1 - f); out[1] = Double(f)
        }
        if let normalization { Self.normalize(out, count: outputCount, normalization) }
    }

    @inlinable
    static func transform(_ v: UnsafeMutablePointer<Double>, count: Int, _ t: PostTransform) {
        switch t {
        case .none:
            for k in 0..<count { v[k] = Double(Float(v[k])) }
        case .logistic:
            for k in 0..<count { v[k] = Double(logistic(Float(v[k]))) }
        case .probit:
            for k in 0..<count { v[k] = Double(probit(Float(v[k]))) }
        case .softmax:
            var mx = -Float.greatestFiniteMagnitude
            for k in 0..<count where Float(v[k]) > mx { mx = Float(v[k]) }
            var sum: Float = 0
            for k in 0..<count {
                let e = Foundation.exp(Float(v[k]) - mx)
                v[k] = Double(e)
                sum += e
            }
            for k in 0..<count { v[k] = Double(Float(v[k]) / sum) }
        case .softmaxZero:
            var mx = -Float.greatestFiniteMagnitude
            for k in 0..<count where Float(v[k]) > mx { mx = Float(v[k]) }
            let expNegMax = Foundation.exp(-mx)
            var sum: Float = 0
            for k in 0..<count {
                let x = Float(v[k])
                if x > 0.0000001 || x < -0.0000001 {
                    let e = Foundation.exp(x - mx)
                    v[k] = Double(e)
                    sum += e
                } else {
                    v[k] = Double(x * expNegMax)
                }
            }
            for k in 0..<count { v[k] = Double(Float(v[k]) / sum) }
        }
    }

    @inlinable
    static func normalize(_ v: UnsafeMutablePointer<Double>, count: Int, _ n: Normalization) {
        switch n {
        case .max:
            var mx = -Float.greatestFiniteMagnitude
            for k in 0..<count where Float(v[k]) > mx { mx = Float(v[k]) }
            for k in 0..<count { v[k] = Double(Float(v[k]) / mx) }
        case .l1:
            var sum: Float = 0
            for k in 0..<count { sum += abs(Float(v[k])) }
            for k in 0..<count { v[k] = Double(Float(v[k]) / sum) }
        case .l2:
            var sum: Float = 0
            for k in 0..<count { sum += Float(v[k]) * Float(v[k]) }
            let norm = sum.squareRoot()
            for k in 0..<count { v[k] = Double(Float(v[k]) / norm) }
        }
    }

    /// ONNX Runtime's float32 logistic.
    @inlinable
    static func logistic(_ x: Float) -> Float {
        let v = 1 / (1 + Foundation.exp(-abs(x)))
        return x < 0 ? 1 - v : v
    }

    /// ONNX Runtime's probit: √2 · erfinv(2x − 1), with its erfinv approximation.
    @inlinable
    static func probit(_ x: Float) -> Float {
        var y = 2 * x - 1
        let sign: Float = y < 0 ? -1 : 1
        y = (1 - y) * (1 + y)
        let l = Foundation.log(y)
        let a = 2 / (Float.pi * 0.147) + 0.5 * l
        let b = 1 / Float(0.147) * l
        return Float(2).squareRoot() * sign * (-a + (a * a - b).squareRoot()).squareRoot()
    }
}
