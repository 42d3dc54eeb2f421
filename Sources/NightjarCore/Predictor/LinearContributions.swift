/// Exact contributions of a linear model (ONNX `LinearClassifier`/`LinearRegressor` after its
/// preprocessing) over the model's input columns.
///
/// With z a row's estimator features (the linear model's inputs, after imputation, scaling and
/// one-hot encoding), w the weights of the explained score and μ the mean of z over the training
/// sample:
///
///     contrib_c    = Σ_{j made from input c} w_j · (z_j − μ_j)
///     contrib_bias = intercept + Σ_j w_j · μ_j
///
/// the Shapley values of a linear function of independent features (`shap.LinearExplainer`,
/// interventional), summed over the columns each input became, so a row's contributions sum to its
/// margin. A binary classifier explains its positive class (the last target); a multi-class model
/// every class; a regressor its prediction. Computed in double from the float32 values the model
/// scores with.
///
/// μ is not in a model file: it comes with the model (`ScoringModel.linearReference`), measured on
/// the training sample by `means(of:matrix:)` when a bundle is created (its `reference.json`) or
/// from `nightjar score --reference-sample`.
public struct LinearContributions: Sendable {
    /// Input columns of the model (contributions per group: `inputs + 1`, the bias last).
    public let inputs: Int
    /// The model targets explained, one contribution group each.
    public let targets: [Int]
    let featureCount: Int
    /// Per estimator feature: the input column it is made from, or -1 (a constant: bias only).
    let owner: [Int]
    /// `targets.count × featureCount`, row-major.
    let weights: [Double]
    let means: [Double]
    /// Per group: `intercept + Σ w·μ`.
    let bias: [Double]

    /// The contributions engine of `model`, or nil when `unavailable(model)` says why not.
    public init?(model: ScoringModel) {
        guard Self.unavailable(model) == nil, case .linear(let linear) = model.estimator,
              let means = model.linearReference else { return nil }
        let n = linear.featureCount
        inputs = model.features.count
        targets = Self.explainedTargets(model)
        featureCount = n
        owner = (Self.owners(model) ?? []).map { $0 ?? -1 }
        self.means = means
        var weights: [Double] = [], bias: [Double] = []
        for t in targets {
            var b = Double(linear.intercepts[t])
            for j in 0..<n {
                let w = Double(linear.coefficients[t * n + j])
                weights.append(w)
                b += w * means[j]
            }
            bias.append(b)
        }
        self.weights = weights
        self.bias = bias
    }

    /// The targets a model's contributions explain: a binary classifier's positive class (its last
    /// target), else every target.
    public static func explainedTargets(_ model: ScoringModel) -> [Int] {
        let n = model.scoreCount
        return model.task == .binary ? [n - 1] : Array(0..<n)
    }

    /// Per estimator feature, the input column it is made from (nil: a constant); nil when a
    /// feature mixes several inputs.
    static func owners(_ model: ScoringModel) -> [Int?]? {
        guard let plan = model.plan else { return (0..<model.estimator.featureCount).map { $0 } }
        var out: [Int?] = []
        for sources in plan.inputSources() {
            guard sources.count <= 1 else { return nil }
            out.append(sources.first)
        }
        return out
    }

    /// Why this linear model's contributions cannot be computed, or nil when they can.
    public static func unavailable(_ model: ScoringModel) -> String? {
        guard case .linear(let linear) = model.estimator else { return "not a linear model" }
        guard let owners = owners(model) else {
            let mixed = model.plan!.inputSources().enumerated().first { $0.element.count > 1 }!
            let names = mixed.element.sorted().map { $0 < model.features.count ? model.features[$0].name : "#\($0)" }
            return "the model's feature \(mixed.offset) is computed from several input columns (\(names.joined(separator: ", "))), by a row-wise step such as a Normalizer or a projection, so its contribution belongs to no single input"
        }
        guard owners.count == linear.featureCount, owners.allSatisfy({ ($0 ?? 0) < model.features.count }) else {
            return "the preprocessing writes \(owners.count) features but the linear model reads \(linear.featureCount)"
        }
        guard let means = model.linearReference else {
            return "a linear model's contributions are measured from the training means of its inputs, and this model was loaded without them: use a bundle (nightjar bundle create records them in reference.json; recreate a bundle made by an earlier version) or, with nightjar score, --reference-sample <the training sample CSV>"
        }
        guard means.count == linear.featureCount else {
            return "the reference means are for \(means.count) features but the linear model reads \(linear.featureCount)"
        }
        return nil
    }

    /// Writes `rows × targets.count × (inputs + 1)` contributions (row-major; per group the inputs
    /// in model order, then the bias) for `rows` rows of estimator features (`stride` per row).
    public func compute(features: UnsafePointer<Double>, stride: Int, rows: Int, contributions: UnsafeMutablePointer<Double>) {
        let per = inputs + 1, groups = targets.count
        weights.withUnsafeBufferPointer { w in
            means.withUnsafeBufferPointer { mu in
                owner.withUnsafeBufferPointer { own in
                    for r in 0..<rows {
                        let z = features + r * stride
                        let out = contributions + r * groups * per
                        out.update(repeating: 0, count: groups * per)
                        for g in 0..<groups {
                            let phi = out + g * per, wg = w.baseAddress! + g * featureCount
                            phi[inputs] = bias[g]
                            for j in 0..<featureCount {
                                // The float32 value the model scores (as LinearModel.computeScores).
                                let v = wg[j] * (Double(Float(z[j])) - mu[j])
                                let c = own[j]
                                if c >= 0 { phi[c] += v } else { phi[inputs] += v }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The mean of each estimator feature over `matrix` (encoded rows of the training sample),
    /// as the model scores it (the preprocessing plan, float32 values); missing values are skipped.
    public static func means(of model: ScoringModel, matrix: FeatureMatrix) -> [Double] {
        let n = model.estimator.featureCount
        var sums = [Double](repeating: 0, count: n), counts = [Int](repeating: 0, count: n)
        func add(_ z: UnsafePointer<Double>, _ rows: Int, _ stride: Int) {
            for r in 0..<rows {
                for j in 0..<n {
                    let v = z[r * stride + j]
                    if !v.isNaN { sums[j] += Double(Float(v)); counts[j] += 1 }
                }
            }
        }
        matrix.values.withUnsafeBufferPointer { inputs in
            guard let base = inputs.baseAddress, matrix.rows > 0 else { return }
            guard let plan = model.plan else { return add(base, matrix.rows, matrix.stride) }
            let features = UnsafeMutablePointer<Double>.allocate(capacity: matrix.rows * n)
            defer { features.deallocate() }
            plan.apply(inputs: base, inputStride: matrix.stride, rows: matrix.rows, features: features)
            add(features, matrix.rows, n)
        }
        return (0..<n).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : 0 }
    }
}
