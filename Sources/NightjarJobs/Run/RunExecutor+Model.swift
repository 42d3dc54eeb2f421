import Foundation
import NightjarCore
import NightjarIO

extension RunExecutor {
    /// The model a run scores with, decided when the run starts: a bare model file, or a bundle
    /// (named by path, or through the registry by version or alias).
    struct ResolvedModel {
        var modelPath: String
        var name: String
        /// nil: the default, `sha256:` + 12 hex digits.
        var version: String?
        var sha256: String
        var bundle: ModelBundle?
        var alias: String?
    }

    /// Resolves the job's model. A run of the date still in flight — running, or interrupted (killed,
    /// stopped) and about to be resumed unless `restart` — keeps the bundle it started with even if
    /// the alias moved since: an alias change never affects a run in flight. A run that failed is
    /// not in flight: the next attempt takes the alias as it is now (after a rollback, say), and
    /// starts over if that is another version.
    func resolveModel(store: RunStore?, date: String, restart: Bool) throws -> ResolvedModel {
        if let ref = job.model.reference {
            let registry = ModelRegistry(root: job.registry)
            if !restart, let store, let unfinished = try store.latestRun(job: job.name, date: date),
               unfinished.status == .running || unfinished.status == .interrupted,
               let path = unfinished.bundlePath, unfinished.modelName == ref.name,
               unfinished.modelAlias == ref.selector || unfinished.modelVersion == ref.selector, ModelBundle.isBundle(path) {
                return try resolved(bundle: ModelBundle(directory: path), alias: unfinished.modelAlias)
            }
            let (version, alias) = try registry.resolve(ref, store: store)
            return try resolved(bundle: ModelBundle(directory: registry.directory(name: ref.name, version: version)), alias: alias)
        }
        if ModelBundle.isBundle(job.model.path) {
            return try resolved(bundle: ModelBundle(directory: job.model.path), alias: nil)
        }
        return ResolvedModel(modelPath: job.model.path, name: job.model.name, version: job.model.version,
                             sha256: try RunExecutor.sha256(ofFile: job.model.path), bundle: nil, alias: nil)
    }

    private func resolved(bundle: ModelBundle, alias: String?) throws -> ResolvedModel {
        ResolvedModel(modelPath: bundle.modelPath, name: bundle.manifest.name, version: bundle.manifest.version,
                      sha256: bundle.modelSHA256, bundle: bundle, alias: alias)
    }

    /// Loads the model; a bundle is verified first (every file's hash, then its golden rows re-scored),
    /// so a bundle that does not prove itself fails the run before any row is read.
    func loadModel(_ m: ResolvedModel) throws -> ScoringModel {
        if let bundle = m.bundle {
            let (model, check) = try bundle.verify()
            logger.info("bundle verified", metadata: [
                "bundle": "\(bundle.directory)", "golden_rows": "\(check.rows)", "max_abs_diff": "\(check.maxAbsoluteDifference)"])
            return model
        }
        if let preloaded, preloaded.sha256 == m.sha256 { return preloaded.model }
        var options = ScoreOptions(modelPath: m.modelPath, inputPath: "", outputPath: "")
        options.features = job.features
        return try ScoreRunner.loadModel(options)
    }
}
