import Foundation

/// Per-row preprocessing compiled from a model's graph (ONNX: imputers, scalers, one-hot encoders,
/// label encoders, casts, arithmetic with constants, normalizers, matrix products): a straight list
/// of column steps that turns the encoded input columns into the estimator's features.
///
/// Steps work column by column over a block of rows, so the per-row work is a tight loop per step:
/// no graph walk, no allocation, no dictionary look-up except for integer categories. Categorical
/// logic is folded at load time into look-up tables indexed by category code.
public struct FeaturePlan: Sendable {
    /// An elementwise operation, computed in float32 (`float`) or double, as the graph's tensor type says.
    public enum Operation: Sendable, Equatable {
        /// NaN (when `replaced` is NaN) or `replaced` becomes `value`.
        case impute(replaced: Double, value: Double)
        /// `(x - offset) * scale` (ONNX `Scaler`).
        case scale(offset: Double, scale: Double)
        case add(Double)
        /// `x - c`
        case subtract(Double)
        /// `c - x`
        case subtractFrom(Double)
        case multiply(Double)
        /// `x / c`
        case divide(Double)
        /// `c / x`
        case divideInto(Double)
        /// Rounds to float32.
        case toFloat
        /// Truncates toward zero (NaN gives Int64.min, as a C cast on x86 does).
        case toInt64
        /// 1 when non-zero.
        case toBool
        /// 1 when `x > threshold`.
        case binarize(threshold: Double)
        case clip(min: Double, max: Double)
        /// 1 when `x == c`.
        case equal(Double)
        case sigmoid
        case abs
        case negate

        @inlinable
        public func apply(_ x: Double, float: Bool) -> Double {
            if float {
                let v = Float(x)
                switch self {
                case let .impute(r, value): return (r.isNaN ? v.isNaN : v == Float(r)) ? Double(Float(value)) : Double(v)
                case let .scale(o, s): return Double((v - Float(o)) * Float(s))
                case .add(let c): return Double(v + Float(c))
                case .subtract(let c): return Double(v - Float(c))
                case .subtractFrom(let c): return Double(Float(c) - v)
                case .multiply(let c): return Double(v * Float(c))
                case .divide(let c): return Double(v / Float(c))
                case .divideInto(let c): return Double(Float(c) / v)
                case .toFloat: return Double(v)
                case .toInt64: return v.isNaN || Swift.abs(v) >= 9.2e18 ? Double(Int64.min) : Double(Int64(v))
                case .toBool: return v != 0 ? 1 : 0
                case .binarize(let t): return v > Float(t) ? 1 : 0
                case let .clip(lo, hi): return Double(Swift.min(Swift.max(v, Float(lo)), Float(hi)))
                case .equal(let c): return v == Float(c) ? 1 : 0
                case .sigmoid: return Double(1 / (1 + Foundation.exp(-v)))
                case .abs: return Double(Swift.abs(v))
                case .negate: return Double(-v)
                }
            }
            switch self {
            case let .impute(r, value): return (r.isNaN ? x.isNaN : x == r) ? value : x
            case let .scale(o, s): return (x - o) * s
            case .add(let c): return x + c
            case .subtract(let c): return x - c
            case .subtractFrom(let c): return c - x
            case .multiply(let c): return x * c
            case .divide(let c): return x / c
            case .divideInto(let c): return c / x
            case .toFloat: return Double(Float(x))
            case .toInt64: return x.isNaN || Swift.abs(x) >= 9.2e18 ? Double(Int64.min) : x.rounded(.towardZero)
            case .toBool: return x != 0 ? 1 : 0
            case .binarize(let t): return x > t ? 1 : 0
            case let .clip(lo, hi): return Swift.min(Swift.max(x, lo), hi)
            case .equal(let c): return x == c ? 1 : 0
            case .sigmoid: return 1 / (1 + Foundation.exp(-x))
            case .abs: return Swift.abs(x)
            case .negate: return -x
            }
        }
    }

    /// One step; every step writes whole scratch columns.
    public enum Step: Sendable, Equatable {
        /// Input column `input` (a number, NaN when missing), rounded to float32 when `float`.
        case load(input: Int, float: Bool, into: Int)
        /// Input column `input` holds a category code (see `FeatureKind.text`).
        case code(input: Int, into: Int)
        /// An integer category: the index of `Int64(x)` in `keys`, else `keys.count`.
        case integerCode(from: Int, keys: [Int64], into: Int)
        /// `table[code]`, the last entry for any code outside the table.
        case lookup(from: Int, table: [Double], into: Int)
        case map(from: Int, operation: Operation, float: Bool, into: Int)
        case constant(Double, into: Int)
        /// Row-wise normalisation of several columns (ONNX `Normalizer`), in float32.
        case normalize(from: [Int], norm: ONNXOutputTransform.Normalization, into: [Int])
        /// `into[j] = bias[j] + Σ from[i] · weights[j · from.count + i]`, in float32.
        case linear(from: [Int], weights: [Float], bias: [Float], into: [Int])
    }

    /// Number of encoded input columns the plan reads.
    public let inputCount: Int
    public let steps: [Step]
    public let scratchColumns: Int
    /// For each estimator feature, the scratch column holding it.
    public let outputs: [Int]

    public init(inputCount: Int, steps: [Step], scratchColumns: Int, outputs: [Int]) {
        self.inputCount = inputCount
        self.steps = steps
        self.scratchColumns = scratchColumns
        self.outputs = outputs
    }

    public var featureCount: Int { outputs.count }
}
