/// How a LightGBM numeric split treats missing values (`decision_type` bits 2–3).
public enum MissingType: UInt8, Sendable {
    /// NaN is read as 0 and compared like any value.
    case none = 0
    /// NaN is read as 0; values with |x| ≤ 1e-35 take the default direction.
    case zero = 1
    /// NaN takes the default direction.
    case nan = 2
}

/// One node of a tree as a loader describes it, before it is packed into a `Forest`.
/// Child indices are local to the tree.
public struct TreeNode: Sendable, Equatable {
    public enum Split: Sendable, Equatable {
        case leaf(value: Double)
        /// XGBoost: goes left when `Float(x) < Float(threshold)`; LightGBM: when `x <= threshold`.
        case numeric(feature: Int, threshold: Double, defaultLeft: Bool, missing: MissingType)
        /// `bitset` bit c set = category c is in the split's set.
        /// `inSetGoesLeft`: LightGBM true, XGBoost false. `missingGoesLeft`: where NaN goes.
        /// Negative codes and codes past the bitset count as not in the set.
        case categorical(feature: Int, bitset: [UInt32], inSetGoesLeft: Bool, missingGoesLeft: Bool)
        /// ONNX: goes left when `x <op> threshold` holds, NaN goes left when `nanGoesLeft`
        /// (the ONNX modes GT, GTE and NEQ are lowered to LEQ, LT and EQ with the children swapped).
        case compare(feature: Int, threshold: Double, op: Comparison, nanGoesLeft: Bool)
        /// ONNX leaf voting for several outputs (classes or targets): `weights[i]` adds to output `outputs[i]`.
        case leafWeights(outputs: [Int], weights: [Double])
    }

    /// The comparison of an ONNX split.
    public enum Comparison: Sendable, Equatable {
        case lessOrEqual
        case less
        case equal
    }

    public var split: Split
    public var left: Int
    public var right: Int
    /// The node's training cover, which exact contributions (TreeSHAP) weigh the branches by:
    /// XGBoost's `sum_hessian`, LightGBM's `internal_count`/`leaf_count`; NaN when the file has none.
    public var cover: Double? = nil

    public init(split: Split, left: Int = -1, right: Int = -1) {
        self.split = split
        self.left = left
        self.right = right
    }

    public static func leaf(_ value: Double) -> TreeNode {
        TreeNode(split: .leaf(value: value))
    }
}
