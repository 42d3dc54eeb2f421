import Dispatch
import Foundation
import Synchronization

/// Scores feature matrices with a model: the preprocessing plan (if any), margins from the
/// estimator, then the output link, laid out as the model's output columns. Rows are split over a
/// Dispatch worker pool; each task runs the whole pipeline on its rows.
public struct Predictor: Sendable {
    public let model: ScoringModel
    public let columns: [OutputColumn]
    public let threads: Int
    /// A linear model behind a plan that only imputes: scored straight from the inputs.
    let imputedLinear: ImputedLinearModel?

    /// Rows a worker takes at a time; small enough to balance, large enough to amortise.
    static let rowsPerTask = 1024

    /// Exact contributions are computed (for their columns, or for reasons): a tree model has
    /// covers, a linear one its training means (see `ScoringModel.contributionsUnavailable`).
    let contributions: Bool
    /// Reason columns per row (0: none).
    let reasons: Int
    /// The fast contributions engine, built once for the model when contributions are asked for
    /// (nil: the recursion, for XGBoost models that need float32, see
    /// `Forest.contributionsNeedFloat32`, or trees too deep for the plan).
    let shapPlan: TreeShapPlan?
    /// A linear model's contributions engine, when contributions are asked for.
    let linearContributions: LinearContributions?

    public init(model: ScoringModel, includeMargin: Bool, threads: Int, contributions: Bool = false, reasons: Int = 0) {
        precondition((!contributions && reasons == 0) || model.contributionsUnavailable == nil, "contributions of a model that has none")
        self.model = model
        self.contributions = contributions || reasons > 0
        self.reasons = reasons
        self.columns = model.outputColumns(includeMargin: includeMargin) + (contributions ? model.contributionColumns() : [])
            + (reasons > 0 ? model.reasonColumns(reasons) : [])
        self.threads = Swift.max(1, threads)
        if self.contributions, let forest = model.forest, !forest.contributionsNeedFloat32, let plan = TreeShapPlan(forest) {
            self.shapPlan = plan
        } else {
            self.shapPlan = nil
        }
        self.linearContributions = self.contributions ? LinearContributions(model: model) : nil
        // Contributions read the plan's output: the fused kernel (which writes none) only without them.
        if !self.contributions, case .linear(let linear) = model.estimator, let plan = model.plan, let fused = plan.imputedInputs, !fused.columns.isEmpty,
           fused.columns.count == linear.featureCount {
            self.imputedLinear = ImputedLinearModel(model: linear, columns: fused.columns, imputed: fused.imputed)
        } else {
            self.imputedLinear = nil
        }
    }

    /// Scores `matrix` into `output` (`rows × columns.count`, row-major; labels as whole numbers).
    public func score(_ matrix: FeatureMatrix, into output: inout [Double]) {
        let rows = matrix.rows
        let width = columns.count
        let groups = model.scoreCount
        if output.count != rows * width { output = [Double](repeating: 0, count: rows * width) }
        guard rows > 0 else { return }
        let taskRows = self.taskRows(rows)
        let tasks = (rows + taskRows - 1) / taskRows
        matrix.values.withUnsafeBufferPointer { features in
            output.withUnsafeMutableBufferPointer { out in
                let featureBase = features.baseAddress!
                let outBase = UnsafeSendablePointer(out.baseAddress!)
                let featBase = UnsafeSendableConstPointer(featureBase)
                let work: @Sendable (Int) -> Void = { task in
                    let start = task * taskRows
                    let count = Swift.min(taskRows, rows - start)
                    let inputs = featBase.pointer + start * matrix.stride
                    let margins = UnsafeMutablePointer<Double>.allocate(capacity: count * groups)
                    // The plan's output (the estimator's features), when there is a plan.
                    var planned: UnsafeMutablePointer<Double>? = nil
                    defer { margins.deallocate(); planned?.deallocate() }
                    if let fused = imputedLinear {
                        fused.computeScores(inputs: inputs, stride: matrix.stride, rows: count, scores: margins)
                    } else if let plan = model.plan {
                        let features = UnsafeMutablePointer<Double>.allocate(capacity: count * plan.featureCount)
                        planned = features
                        plan.apply(inputs: inputs, inputStride: matrix.stride, rows: count, features: features)
                        model.estimator.computeScores(features: features, stride: plan.featureCount, rows: count, scores: margins)
                    } else {
                        model.estimator.computeScores(features: inputs, stride: matrix.stride, rows: count, scores: margins)
                    }
                    self.applyLink(margins: margins, rows: count, into: outBase.pointer + start * width)
                    guard self.contributions else { return }
                    let inputCount = model.features.count
                    let per = model.contributionGroups * (inputCount + 1)
                    let phi = UnsafeMutablePointer<Double>.allocate(capacity: count * per)
                    defer { phi.deallocate() }
                    if let linear = self.linearContributions {
                        if let planned {
                            linear.compute(features: planned, stride: model.plan!.featureCount, rows: count, contributions: phi)
                        } else {
                            linear.compute(features: inputs, stride: matrix.stride, rows: count, contributions: phi)
                        }
                    } else if let plan = self.shapPlan {
                        plan.computeContributions(features: inputs, stride: matrix.stride, rows: count, contributions: phi)
                    } else if let forest = model.forest {
                        forest.computeContributions(features: inputs, stride: matrix.stride, rows: count, contributions: phi)
                    }
                    var order = [Int](repeating: 0, count: inputCount)
                    for r in 0..<count {
                        let o = outBase.pointer + (start + r) * width
                        let row = phi + r * per
                        // The explained group's contributions (reasons): chosen once per row.
                        let explained = row + (self.reasons > 0 ? self.reasonGroup(margins + r * groups) * (inputCount + 1) : 0)
                        if self.reasons > 0 { self.rankReasons(explained, order: &order) }
                        for (c, column) in self.columns.enumerated() {
                            switch column.role {
                            case .contribution(let i): o[c] = row[i]
                            case .reason(let k): o[c] = k < order.count ? Double(order[k]) : .nan
                            case .reasonContribution(let k): o[c] = k < order.count ? explained[order[k]] : .nan
                            default: break
                            }
                        }
                    }
                }
                if threads == 1 || tasks == 1 {
                    for t in 0..<tasks { work(t) }
                } else {
                    // concurrentPerform uses all cores; cap at `threads` workers, each taking the
                    // next task as it finishes one, so a worker sharing its core with the reading
                    // or writing stage of a pipeline does fewer tasks instead of holding the others
                    // up at the end of the chunk.
                    let workers = Swift.min(threads, tasks)
                    let next = Atomic<Int>(0)
                    DispatchQueue.concurrentPerform(iterations: workers) { _ in
                        while true {
                            let t = next.wrappingAdd(1, ordering: .relaxed).oldValue
                            if t >= tasks { break }
                            work(t)
                        }
                    }
                }
            }
        }
    }

    /// Rows per task: `rowsPerTask`; with contributions (hundreds of times the work per row) a
    /// matrix is cut finer, so that a few hundred rows still keep every thread busy: one share per
    /// thread (in whole blocks of the contributions engine). Not finer: every task streams all the
    /// trees' tables once (tens of MB), which with 2 × threads tasks held 2 threads at 1.68× one
    /// on 1,000 rows; 1.93–1.98× with one task per thread.
    func taskRows(_ rows: Int) -> Int {
        guard contributions, threads > 1 else { return Predictor.rowsPerTask }
        let block = TreeShapPlan.block
        let share = (rows + threads - 1) / threads
        return Swift.min(Predictor.rowsPerTask, Swift.max(block, (share + block - 1) / block * block))
    }

    /// Turns margins into the output columns for `rows` rows.
    @usableFromInline
    func applyLink(margins: UnsafeMutablePointer<Double>, rows: Int, into out: UnsafeMutablePointer<Double>) {
        let groups = model.scoreCount
        let width = columns.count
        let xgb = model.forest?.semantics == .xgboost
        var classes = groups
        if case .onnx(let t) = model.link { classes = t.outputCount }
        if applyBinaryLogisticLink(margins: margins, rows: rows, into: out) { return }
        let probs = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(groups, classes, 2))
        defer { probs.deallocate() }
        for r in 0..<rows {
            let m = margins + r * groups
            // The label when it is not read from `probs` (ONNX: the estimator's, before the nodes after it).
            var estimatorLabel: Double? = nil
            // Transformed values per group.
            switch model.link {
            case .identity:
                for g in 0..<groups { probs[g] = m[g] }
            case .sigmoid(let scale):
                for g in 0..<groups {
                    if xgb {
                        probs[g] = Double(Float(1) / (Float(1) + Foundation.exp(-Float(m[g]))))
                    } else {
                        probs[g] = 1.0 / (1.0 + Foundation.exp(-scale * m[g]))
                    }
                }
            case .softmax, .argmax:
                if xgb {
                    var mx = Float(m[0])
                    for g in 1..<groups { mx = Swift.max(mx, Float(m[g])) }
                    var sum: Float = 0
                    for g in 0..<groups {
                        let v = Foundation.exp(Float(m[g]) - mx)
                        probs[g] = Double(v)
                        sum += v
                    }
                    for g in 0..<groups { probs[g] = Double(Float(probs[g]) / sum) }
                } else {
                    var mx = m[0]
                    for g in 1..<groups { mx = Swift.max(mx, m[g]) }
                    var sum = 0.0
                    for g in 0..<groups {
                        let v = Foundation.exp(m[g] - mx)
                        probs[g] = v
                        sum += v
                    }
                    for g in 0..<groups { probs[g] /= sum }
                }
            case .exp:
                for g in 0..<groups { probs[g] = xgb ? Double(Foundation.exp(Float(m[g]))) : Foundation.exp(m[g]) }
            case .signedSquare:
                for g in 0..<groups { let v = m[g]; probs[g] = (v < 0 ? -v : v) * v }
            case .hinge:
                for g in 0..<groups { probs[g] = m[g] > 0 ? 1 : 0 }
            case .onnx(let transform):
                transform.apply(scores: m, into: probs)
                if !transform.outputOperations.isEmpty {
                    // The graph's label output is the estimator's: taken before the nodes after it.
                    if model.task == .binary {
                        estimatorLabel = probs[1] > 0.5 ? 1 : 0
                    } else {
                        var best = 0
                        for g in 1..<classes where probs[g] > probs[best] { best = g }
                        estimatorLabel = Double(best)
                    }
                    transform.applyOutputOperations(probs)
                }
                // Nightjar's binary `probability` is the positive class: ONNX's class 1.
                if model.task == .binary { probs[0] = probs[1] }
            }
            let o = out + r * width
            for (c, column) in columns.enumerated() {
                switch column.role {
                case .probability(let k):
                    o[c] = probs[k]
                case .prediction:
                    o[c] = probs[0]
                case .margin(let k):
                    o[c] = m[k]
                case .contribution, .reason, .reasonContribution:
                    continue  // filled after the link (score)
                case .label:
                    if let estimatorLabel { o[c] = estimatorLabel; continue }
                    switch model.task {
                    case .binary:
                        o[c] = probs[0] > 0.5 ? 1 : 0
                    default:
                        // Arg-max; the first of equal values wins, as numpy's argmax.
                        var best = 0
                        for g in 1..<classes where probs[g] > probs[best] { best = g }
                        o[c] = Double(best)
                    }
                }
            }
        }
    }
}

extension Predictor {
    /// `applyLink` for ONNX binary classifiers whose two scores only go through LOGISTIC (skl2onnx's
    /// LogisticRegression): the probability is class 1's, `logistic(score 1)`, and class 0's is never
    /// read, so one `exp` per row and no per-row dispatch. The same values as the general loop; there
    /// it was half of the linear pipeline's instructions after the fused kernel (callgrind).
    /// Returns false, writing nothing, for any other link or column.
    @usableFromInline
    func applyBinaryLogisticLink(margins: UnsafeMutablePointer<Double>, rows: Int, into out: UnsafeMutablePointer<Double>) -> Bool {
        guard case .onnx(let t) = model.link, model.task == .binary, model.scoreCount == 2,
              t.rule == .perOutput, t.postTransform == .logistic, t.baseValues.isEmpty, t.normalization == nil, t.outputOperations.isEmpty,
              t.scoreCount == 2, t.outputCount == 2 else { return false }
        // Per column: -1 probability, -2 label, k ≥ 0 margin k.
        var codes: [Int] = []
        for column in columns {
            switch column.role {
            case .probability(0): codes.append(-1)
            case .label: codes.append(-2)
            case .margin(let k) where k < 2: codes.append(k)
            default: return false
            }
        }
        let width = codes.count
        if width == 2 && codes[0] == -1 && codes[1] == -2 {
            // Four rows at a time: `logistic` lane by lane around four scalar `expf` calls, and the
            // label without a branch (the label's branch, taken for about half the rows at random,
            // mispredicted): the same float32 operations, so the same bits. With the benchmark's
            // margins, this link alone went from 55M to 140–190M rows/s (callgrind 31 → 24 a row,
            // besides expf's 27).
            typealias V = SIMD4<Float>
            typealias D = SIMD2<Double>
            var r = 0
            while r &+ 4 <= rows {
                let m = margins + r &* 2
                let x = V(lowHalf: SIMD2<Float>(D(m[1], m[3])), highHalf: SIMD2<Float>(D(m[5], m[7])))
                let e = V(Foundation.exp(-abs(x[0])), Foundation.exp(-abs(x[1])),
                          Foundation.exp(-abs(x[2])), Foundation.exp(-abs(x[3])))
                let v = 1 / (1 + e)
                let p = v.replacing(with: 1 - v, where: x .< 0)
                // 1.0's bits where p > 0.5: `replacing(with:where:)` compiled to a branch per lane.
                let above = unsafeBitCast(p .> 0.5, to: SIMD4<UInt32>.self)
                let label = unsafeBitCast(above & SIMD4<UInt32>(repeating: Float(1).bitPattern), to: V.self)
                let pl = D(p.lowHalf), ph = D(p.highHalf), ll = D(label.lowHalf), lh = D(label.highHalf)
                let o = UnsafeMutableRawPointer(out + r &* 2)
                o.storeBytes(of: D(pl[0], ll[0]), as: D.self)
                o.storeBytes(of: D(pl[1], ll[1]), toByteOffset: 16, as: D.self)
                o.storeBytes(of: D(ph[0], lh[0]), toByteOffset: 32, as: D.self)
                o.storeBytes(of: D(ph[1], lh[1]), toByteOffset: 48, as: D.self)
                r &+= 4
            }
            while r < rows {
                let p = Double(ONNXOutputTransform.logistic(Float(margins[r &* 2 &+ 1])))
                out[r &* 2] = p
                out[r &* 2 &+ 1] = p > 0.5 ? 1 : 0
                r &+= 1
            }
            return true
        }
        for r in 0..<rows {
            let m = margins + r &* 2
            let p = Double(ONNXOutputTransform.logistic(Float(m[1])))
            let o = out + r &* width
            for c in 0..<width {
                let code = codes[c]
                o[c] = code == -1 ? p : code == -2 ? (p > 0.5 ? 1 : 0) : m[code]
            }
        }
        return true
    }
}

extension Predictor {
    /// The output group reasons explain: the predicted class of a multi-class model (arg-max of
    /// the margins, the first of equal ones), else the only one (a binary linear classifier's:
    /// its positive class).
    func reasonGroup(_ m: UnsafeMutablePointer<Double>) -> Int {
        let groups = model.scoreCount
        guard model.contributionGroups > 1 else { return 0 }
        var best = 0
        for g in 1..<groups where m[g] > m[best] { best = g }
        return best
    }

    /// Orders the features of one row's contributions to the explained group (`phi`) for its
    /// reasons: largest first (towards the positive or predicted class), or largest in absolute
    /// value for a regressor; ties keep the features' order.
    func rankReasons(_ phi: UnsafeMutablePointer<Double>, order: inout [Int]) {
        let n = order.count
        let regression = model.task == .regression
        for f in 0..<n { order[f] = f }
        func key(_ f: Int) -> Double { regression ? abs(phi[f]) : phi[f] }
        // Partial selection of the first `reasons` (K is small): K passes over the features.
        for k in 0..<Swift.min(reasons, n) {
            var best = k
            for j in (k + 1)..<n where key(order[j]) > key(order[best]) || (key(order[j]) == key(order[best]) && order[j] < order[best]) {
                best = j
            }
            order.swapAt(k, best)
        }
    }
}

/// A pointer handed to Dispatch workers that write disjoint ranges.
@usableFromInline
struct UnsafeSendablePointer<T>: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<T>
    @usableFromInline init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

@usableFromInline
struct UnsafeSendableConstPointer<T>: @unchecked Sendable {
    @usableFromInline let pointer: UnsafePointer<T>
    @usableFromInline init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
