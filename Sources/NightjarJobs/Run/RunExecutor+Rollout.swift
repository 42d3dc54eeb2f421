import Foundation
import NightjarCore
import NightjarIO

extension RunExecutor {
    /// A model scoring next to the champion in the same pass: a shadow challenger (its rows go to
    /// the shadow table) or the challenger of a split (its rows go to the main table).
    struct Contender {
        var reference: ModelReference
        var resolved: ResolvedModel
        var model: ScoringModel
        var predictor: Predictor
        /// For each output column, its index in the predictor's columns.
        var projection: [Int]
        /// The champion's feature matrix serves as is (same features, same encodings).
        var sharesFeatures: Bool
        /// What its rows record: the run, the date and this model.
        var lineage: OutputLineage
        var version: String { resolved.version ?? "sha256:\(resolved.sha256.prefix(12))" }
    }

    /// The shadow table of a job's sink table.
    static func shadowTable(_ table: String) -> String { table + "_shadow" }

    /// For each of `selected`, its index in `columns` (nil when missing).
    static func projection(_ selected: [OutputColumn], in columns: [OutputColumn]) -> [Int?] {
        selected.map { s in columns.firstIndex { $0.name == s.name } }
    }

    /// Resolves, verifies and loads a challenger; its outputs must include the champion's.
    func contender(_ ref: ModelReference, store: RunStore?, champion: ScoringModel, outputs: [OutputColumn],
                   includeMargin: Bool, threads: Int, date: LogicalDate, runID: String) throws -> Contender {
        let registry = ModelRegistry(root: job.registry)
        let (version, alias) = try registry.resolve(ref, store: store)
        let bundle = try ModelBundle(directory: registry.directory(name: ref.name, version: version))
        let resolved = ResolvedModel(modelPath: bundle.modelPath, name: bundle.manifest.name, version: bundle.manifest.version,
                                     sha256: bundle.modelSHA256, bundle: bundle, alias: alias)
        let model = try loadModel(resolved)
        let explain = job.explain ?? JobSpec.Explain()
        if job.explain != nil, let why = model.contributionsUnavailable {
            throw ScoreError("challenger \(ref) (\(ref.name)@\(version)): explain: \(why)")
        }
        let predictor = Predictor(model: model, includeMargin: includeMargin, threads: threads,
                                  contributions: explain.contributions, reasons: explain.reasons)
        let indices = RunExecutor.projection(outputs, in: predictor.columns)
        guard indices.allSatisfy({ $0 != nil }) else {
            throw ScoreError("challenger \(ref) (\(ref.name)@\(version)) outputs \(predictor.columns.map(\.name).joined(separator: ", ")); the champion's rows have \(outputs.map(\.name).joined(separator: ", ")): a challenger must predict the same columns\(job.explain?.contributions == true ? " (with explain: contributions: all, the same input features)" : "")")
        }
        let lineage = OutputLineage(logicalDate: date.description, runID: runID, modelName: resolved.name,
                                    modelVersion: resolved.version ?? "", modelSHA256: resolved.sha256)
        return Contender(reference: ref, resolved: resolved, model: model, predictor: predictor, projection: indices.map { $0! },
                         sharesFeatures: model.features == champion.features, lineage: lineage)
    }

    /// Values (rows × columns) reduced to the columns `projection` names, in its order.
    static func project(_ values: [Double], width: Int, _ projection: [Int]) -> [Double] {
        if projection.count == width && projection.enumerated().allSatisfy({ $0.offset == $0.element }) { return values }
        let rows = width == 0 ? 0 : values.count / width
        var out = [Double](repeating: 0, count: rows * projection.count)
        for r in 0..<rows {
            for (c, i) in projection.enumerated() { out[r * projection.count + c] = values[r * width + i] }
        }
        return out
    }

    /// The rows of `values` (rows × width) where `keep` is true.
    static func rows(_ values: [Double], width: Int, keep: [Bool]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(values.count)
        for (r, k) in keep.enumerated() where k { out.append(contentsOf: values[r * width ..< (r + 1) * width]) }
        return out
    }
}
