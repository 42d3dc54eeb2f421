import Foundation

/// The plan's kernels: one tight loop per step over a block of rows.
extension FeaturePlan {
    /// Runs the plan on `rows` rows of encoded inputs (`inputStride` values per row) and writes the
    /// estimator features row-major into `features` (`featureCount` per row). `scratch` holds
    /// `scratchColumns × rows` values.
    public func apply(
        inputs: UnsafePointer<Double>, inputStride: Int, rows: Int,
        features: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) {
        for step in steps {
            switch step {
            case let .load(input, float, into):
                let dst = scratch + into * rows
                if float {
                    for r in 0..<rows { dst[r] = Double(Float(inputs[r * inputStride + input])) }
                } else {
                    for r in 0..<rows { dst[r] = inputs[r * inputStride + input] }
                }
            case let .code(input, into):
                let dst = scratch + into * rows
                for r in 0..<rows { dst[r] = inputs[r * inputStride + input] }
            case let .integerCode(from, keys, into):
                let src = scratch + from * rows, dst = scratch + into * rows
                keys.withUnsafeBufferPointer { k in
                    for r in 0..<rows {
                        let x = src[r]
                        var code = k.count
                        if x.isFinite, x == x.rounded(.towardZero), Swift.abs(x) < 9.2e18 {
                            let v = Int64(x)
                            for i in 0..<k.count where k[i] == v { code = i; break }
                        }
                        dst[r] = Double(code)
                    }
                }
            case let .lookup(from, table, into):
                let src = scratch + from * rows, dst = scratch + into * rows
                table.withUnsafeBufferPointer { t in
                    let last = t.count - 1
                    for r in 0..<rows {
                        let c = src[r]
                        dst[r] = (c >= 0 && c < Double(last)) ? t[Int(c)] : t[last]
                    }
                }
            case let .map(from, operation, float, into):
                Self.map(scratch + from * rows, scratch + into * rows, rows, operation, float)
            case let .constant(value, into):
                (scratch + into * rows).update(repeating: value, count: rows)
            case let .normalize(from, norm, into):
                Self.normalize(scratch, rows, from, norm, into)
            case let .linear(from, weights, bias, into):
                Self.linear(scratch, rows, from, weights, bias, into)
            }
        }
        for (f, column) in outputs.enumerated() {
            let src = scratch + column * rows
            let width = outputs.count
            for r in 0..<rows { features[r * width + f] = src[r] }
        }
    }

    /// Rows the plan runs on at a time in `apply(inputs:inputStride:rows:features:)`: small enough
    /// for its scratch columns to stay in L1.
    public static let blockRows = 128

    /// Runs the plan on any number of rows, `blockRows` at a time, with scratch of its own; writes
    /// the estimator features row-major into `features` (`featureCount` per row).
    public func apply(inputs: UnsafePointer<Double>, inputStride: Int, rows: Int, features: UnsafeMutablePointer<Double>) {
        let sub = Swift.min(rows, Self.blockRows)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(sub, 1) * Swift.max(scratchColumns, 1))
        defer { scratch.deallocate() }
        var at = 0
        while at < rows {
            let n = Swift.min(sub, rows - at)
            apply(inputs: inputs + at * inputStride, inputStride: inputStride, rows: n, features: features + at * featureCount, scratch: scratch)
            at += n
        }
    }

    private static func map(_ src: UnsafeMutablePointer<Double>, _ dst: UnsafeMutablePointer<Double>, _ rows: Int,
                            _ operation: Operation, _ float: Bool) {
        // The common operations get their own loops; the rest go through `apply`.
        switch operation {
        case let .impute(replaced, value) where replaced.isNaN:
            let v = float ? Double(Float(value)) : value
            for r in 0..<rows { let x = src[r]; dst[r] = x.isNaN ? v : x }
        case let .scale(offset, scale) where float:
            let o = Float(offset), s = Float(scale)
            for r in 0..<rows { dst[r] = Double((Float(src[r]) - o) * s) }
        case .multiply(let c) where float:
            let k = Float(c)
            for r in 0..<rows { dst[r] = Double(Float(src[r]) * k) }
        case .add(let c) where float:
            let k = Float(c)
            for r in 0..<rows { dst[r] = Double(Float(src[r]) + k) }
        default:
            for r in 0..<rows { dst[r] = operation.apply(src[r], float: float) }
        }
    }

    private static func normalize(_ scratch: UnsafeMutablePointer<Double>, _ rows: Int, _ from: [Int],
                                  _ norm: ONNXOutputTransform.Normalization, _ into: [Int]) {
        let n = from.count
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { buffer.deallocate() }
        for r in 0..<rows {
            for i in 0..<n { buffer[i] = scratch[from[i] * rows + r] }
            ONNXOutputTransform.normalize(buffer, count: n, norm)
            for i in 0..<n { scratch[into[i] * rows + r] = buffer[i] }
        }
    }

    private static func linear(_ scratch: UnsafeMutablePointer<Double>, _ rows: Int, _ from: [Int],
                               _ weights: [Float], _ bias: [Float], _ into: [Int]) {
        let n = from.count
        for (j, out) in into.enumerated() {
            for r in 0..<rows {
                var s: Float = 0
                for i in 0..<n { s += Float(scratch[from[i] * rows + r]) * weights[j * n + i] }
                scratch[out * rows + r] = Double(s + bias[j])
            }
        }
    }
}

extension FeaturePlan {
    /// The plan as one input column per estimator feature, NaN replaced by a constant, when that is
    /// all it does (a `SimpleImputer` in front of a linear model): `columns[f]` is the input column of
    /// feature f and `imputed[f]` its replacement for NaN (NaN when the feature is not imputed).
    ///
    /// In float32 this is exactly what the steps compute: `Float(Double(Float(x))) == Float(x)`, and
    /// a NaN replaced before or after the rounding gives the same `Float(value)`. A linear model can
    /// then read its inputs directly (`LinearModel.computeScores(inputs:…)`) instead of having the
    /// plan write a feature matrix first.
    public var imputedInputs: (columns: [Int], imputed: [Float])? {
        // Per scratch column: its input column and replacement, or nil when anything else wrote it.
        var source = [(input: Int, imputed: Float)?](repeating: nil, count: scratchColumns)
        for step in steps {
            switch step {
            case let .load(input, _, into):
                guard into < scratchColumns else { return nil }
                source[into] = (input, .nan)
            case let .map(from, .impute(replaced, value), _, into) where replaced.isNaN:
                guard from < scratchColumns, into < scratchColumns, let s = source[from], s.imputed.isNaN else { return nil }
                source[into] = (s.input, Float(value))
            default:
                return nil
            }
        }
        var columns: [Int] = [], imputed: [Float] = []
        for column in outputs {
            guard column < scratchColumns, let s = source[column] else { return nil }
            columns.append(s.input)
            imputed.append(s.imputed)
        }
        return (columns, imputed)
    }
}
