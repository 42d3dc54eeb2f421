/// A loaded model in Nightjar's intermediate form: the input features (with the category lists
/// used to recode string columns), an optional preprocessing plan, the estimator (forest or linear
/// model), and the link from margins to outputs.
public struct ScoringModel: Sendable {
    public var format: ModelFormat
    /// The objective as the training library names it (`binary:logistic`, `multiclass`, …).
    public var objective: String
    public var task: ModelTask
    /// The input columns, in the order the encoder writes them.
    public var features: [ModelFeature]
    /// Preprocessing from the encoded inputs to the estimator's features; nil when the estimator reads
    /// the encoded inputs directly (XGBoost, LightGBM).
    public var plan: FeaturePlan?
    public var estimator: Estimator
    public var link: OutputLink
    /// Version of the library that wrote the file, when the file says.
    public var libraryVersion: String?
    /// What an ONNX graph holds (inputs, steps, outputs), for binding and `inspect`.
    public var graph: ONNXGraphSummary?
    /// A linear model's reference for contributions: the mean of each estimator feature (after the
    /// preprocessing) over the training sample (`LinearContributions`). Not in a model file: set
    /// from a bundle's reference statistics or `nightjar score --reference-sample`.
    public var linearReference: [Double]?

    public init(
        format: ModelFormat, objective: String, task: ModelTask, features: [ModelFeature],
        forest: Forest, link: OutputLink, libraryVersion: String? = nil
    ) {
        self.init(format: format, objective: objective, task: task, features: features, plan: nil,
                  estimator: .forest(forest), link: link, libraryVersion: libraryVersion)
    }

    public init(
        format: ModelFormat, objective: String, task: ModelTask, features: [ModelFeature], plan: FeaturePlan?,
        estimator: Estimator, link: OutputLink, libraryVersion: String? = nil, graph: ONNXGraphSummary? = nil
    ) {
        self.format = format
        self.objective = objective
        self.task = task
        self.features = features
        self.plan = plan
        self.estimator = estimator
        self.link = link
        self.libraryVersion = libraryVersion
        self.graph = graph
    }

    /// The tree ensemble, when the estimator is one.
    public var forest: Forest? {
        if case .forest(let f) = estimator { return f }
        return nil
    }

    /// Scores per row before the link.
    public var scoreCount: Int { estimator.outputCount }

    /// Outputs are float32 values (XGBoost and ONNX Runtime compute in float32; an ONNX graph that
    /// casts its output to double writes doubles).
    public var float32Outputs: Bool {
        if case .onnx(let t) = link { return !t.doubleOutputs }
        return format == .onnx || forest?.semantics == .xgboost
    }

    /// A short description: "ONNX TreeEnsembleClassifier, 60 trees".
    public var summary: String {
        switch estimator {
        case .forest(let f): return "\(format.displayName) \(objective), \(f.treeCount) trees"
        case .linear(let l): return "\(format.displayName) \(objective), \(l.targets) target\(l.targets == 1 ? "" : "s") × \(l.featureCount) features"
        }
    }

    /// The contribution columns (`--contributions`): `contrib_<feature>` per input feature and
    /// `contrib_bias`; multi-class `contrib_<k>_<feature>` … `contrib_<k>_bias` per class.
    public func contributionColumns() -> [OutputColumn] {
        let groups = contributionGroups, width = features.count + 1
        var columns: [OutputColumn] = []
        for g in 0..<groups {
            let prefix = groups == 1 ? "contrib_" : "contrib_\(g)_"
            for (f, feature) in features.enumerated() {
                columns.append(OutputColumn(name: prefix + feature.name, role: .contribution(g * width + f)))
            }
            columns.append(OutputColumn(name: prefix + "bias", role: .contribution(g * width + features.count)))
        }
        return columns
    }

    /// The reason columns (`--reasons K`): `reason_1 … reason_K` (feature names, the largest
    /// contribution first: towards the positive class for a binary classifier, towards the predicted
    /// class for a multi-class one, largest in absolute value for a regressor), then
    /// `reason_1_contribution … reason_K_contribution`.
    public func reasonColumns(_ k: Int) -> [OutputColumn] {
        let names = features.map(\.name)
        return (0..<k).map { OutputColumn(name: "reason_\($0 + 1)", role: .reason($0), names: names) }
            + (0..<k).map { OutputColumn(name: "reason_\($0 + 1)_contribution", role: .reasonContribution($0)) }
    }

    /// Contribution groups per row: one per score, except a binary linear classifier's, which
    /// explains its positive class only (skl2onnx writes a score per class).
    public var contributionGroups: Int {
        if case .linear = estimator { return LinearContributions.explainedTargets(self).count }
        return scoreCount
    }

    /// Why exact contributions cannot be computed for this model, or nil when they can.
    public var contributionsUnavailable: String? {
        guard let forest else { return LinearContributions.unavailable(self) }
        if format == .onnx {
            return "an ONNX tree ensemble carries no node covers (the training rows each branch saw), which exact TreeSHAP needs; score the XGBoost or LightGBM file the pipeline was trained from"
        }
        if !forest.hasCovers {
            return "the model file has no node covers (XGBoost sum_hessian, LightGBM internal_count/leaf_count), which exact TreeSHAP needs; save the model with them (the libraries' default)"
        }
        if forest.featureCount != features.count {
            return "the trees read \(forest.featureCount) features but the model has \(features.count) inputs"
        }
        return nil
    }

    /// The prediction columns this model writes, in order (DESIGN.md contract).
    public func outputColumns(includeMargin: Bool) -> [OutputColumn] {
        var columns: [OutputColumn] = []
        switch task {
        case .binary:
            columns = [OutputColumn(name: "probability", role: .probability(0)), OutputColumn(name: "label", role: .label)]
        case .multiclass(let k):
            columns = (0..<k).map { OutputColumn(name: "probability_\($0)", role: .probability($0)) }
            columns.append(OutputColumn(name: "label", role: .label))
        case .multiclassLabel:
            columns = [OutputColumn(name: "label", role: .label)]
        case .regression:
            columns = [OutputColumn(name: "prediction", role: .prediction)]
        }
        if includeMargin {
            let groups = scoreCount
            if groups == 1 {
                columns.append(OutputColumn(name: "margin", role: .margin(0)))
            } else {
                for g in 0..<groups { columns.append(OutputColumn(name: "margin_\(g)", role: .margin(g))) }
            }
        }
        return columns
    }
}

/// One prediction column of the output.
public struct OutputColumn: Sendable, Equatable {
    public enum Role: Sendable, Equatable {
        case probability(Int)
        case label
        case prediction
        case margin(Int)
        /// Exact contribution (TreeSHAP, or a linear model's): index `group × (features + 1) + feature`, the bias at
        /// `feature == features`.
        case contribution(Int)
        /// The feature with the k-th largest contribution (0-based k; its index into `names`).
        case reason(Int)
        /// That feature's contribution.
        case reasonContribution(Int)
    }
    public var name: String
    public var role: Role
    /// A text column: the value is an index into `names` (NaN: no value). Reasons name features.
    public var names: [String]?

    public init(name: String, role: Role, names: [String]? = nil) {
        self.name = name
        self.role = role
        self.names = names
    }
    /// Labels are integers; every other column is a real number (or text, with `names`).
    public var isInteger: Bool { role == .label }
    public var isText: Bool { names != nil }
}
