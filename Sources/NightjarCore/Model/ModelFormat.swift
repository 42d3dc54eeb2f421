/// The file formats a model can be loaded from.
public enum ModelFormat: String, Sendable, Equatable {
    case xgboostJSON = "xgboost-json"
    case lightgbmText = "lightgbm-text"
    case onnx = "onnx"

    public var displayName: String {
        switch self {
        case .xgboostJSON: return "XGBoost JSON"
        case .lightgbmText: return "LightGBM text"
        case .onnx: return "ONNX"
        }
    }
}
