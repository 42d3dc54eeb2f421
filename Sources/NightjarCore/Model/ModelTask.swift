/// What the model predicts; decides the output columns.
public enum ModelTask: Sendable, Equatable {
    /// Binary classifier: `probability` (positive class) and `label`.
    case binary
    /// K-class classifier: `probability_0 … probability_{K-1}` and `label`.
    case multiclass(classes: Int)
    /// Multi-class model that only gives the winning class (XGBoost `multi:softmax`): `label`.
    case multiclassLabel(classes: Int)
    /// Regressor: `prediction`.
    case regression

    public var name: String {
        switch self {
        case .binary: return "binary classification"
        case .multiclass(let k): return "multi-class classification (\(k) classes)"
        case .multiclassLabel(let k): return "multi-class classification, labels only (\(k) classes)"
        case .regression: return "regression"
        }
    }
}
