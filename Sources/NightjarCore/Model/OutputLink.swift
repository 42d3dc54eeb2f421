import Foundation

/// The function applied to the summed margin(s) to get the model's output.
public enum OutputLink: Sendable, Equatable {
    case identity
    /// `1 / (1 + exp(-scale * x))`, per output.
    case sigmoid(scale: Double)
    /// Softmax over the K class margins.
    case softmax
    /// `exp(x)` (Poisson, gamma, Tweedie objectives).
    case exp
    /// `sign(x) * x * x` (LightGBM `reg_sqrt`).
    case signedSquare
    /// Outputs the arg-max class index (XGBoost `multi:softmax`).
    case argmax
    /// 1 when the margin is positive, else 0 (XGBoost `binary:hinge`).
    case hinge
    /// ONNX Runtime's post transform and binary conventions (see `ONNXOutputTransform`).
    case onnx(ONNXOutputTransform)

    public var name: String {
        switch self {
        case .identity: return "identity"
        case .sigmoid(let s): return s == 1 ? "sigmoid" : "sigmoid(scale: \(s))"
        case .softmax: return "softmax"
        case .exp: return "exp"
        case .signedSquare: return "signed square"
        case .argmax: return "argmax"
        case .hinge: return "hinge"
        case .onnx(let t): return t.postTransform == .none ? "identity" : t.postTransform.rawValue.lowercased()
        }
    }
}
