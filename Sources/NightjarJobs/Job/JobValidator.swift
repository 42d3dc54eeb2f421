import Foundation
import NightjarCore
import NightjarIO

/// `nightjar validate`: checks the job file, its model and its source for a date, without scoring.
///
/// What it says is what a run would meet: a version that is not in the registry, a missing model
/// file or an alias that the run store does not set is an error. `offline` checks the file, the
/// model and its bundle only — no source, no database — so a job can be linted in CI or a
/// container build; an alias cannot be looked up then, and the newest version is checked instead
/// (said in the report).
public enum JobValidator {
    public struct Report: Sendable {
        public var lines: [String]
    }

    public static func validate(path: String, date: LogicalDate?, offline: Bool = false) throws -> Report {
        let job = try JobSpec.load(path: path)
        do {
            return try validate(job, path: path, date: date, offline: offline)
        } catch let error as JobFileError {
            throw error
        } catch let error as InputError {
            throw error  // names its own file, line and column
        } catch {
            // Named after the job file, with the failure's own kind (exit status).
            throw ScoreError("\(path): \(QuotedValue.line("\(error)"))", kind: FailureKind.of(error))
        }
    }

    static func validate(_ job: JobSpec, path: String, date: LogicalDate?, offline: Bool) throws -> Report {
        var lines = ["job \(job.name): \(path) is valid\(offline ? " (offline: file, model and bundle; source and database not checked)" : "")"]
        let executor = RunExecutor(job: job)
        let day = date ?? LogicalDate.forRun(startingAt: Date(), in: job.timeZone)
        // Aliases live in the run store (never opened offline; never created by validating).
        var store: RunStore? = nil
        if job.model.reference != nil || !job.challengers.isEmpty || job.split != nil, !offline {
            if job.statePostgres != nil {
                store = try RunStores.open(for: job)
            } else if FileManager.default.fileExists(atPath: job.state) {
                store = try SQLiteRunStore(existing: job.state)
            }
        }
        let registry = ModelRegistry(root: job.registry)
        var resolved: RunExecutor.ResolvedModel
        if let ref = job.model.reference, store == nil, !registry.exists(name: ref.name, version: ref.selector),
           ModelReference.isAliasName(ref.selector), let newest = registry.versions(of: ref.name).last {
            // An alias with no run store to look it up in: check the newest version, and say so.
            var spec = job
            spec.model.reference = ModelReference(name: ref.name, selector: newest)
            resolved = try RunExecutor(job: spec).resolveModel(store: nil, date: day.description, restart: true)
            let why = offline ? "aliases are not looked up offline" : "no run store yet at \(job.state)"
            lines.append("model: \(ref) not resolved (\(why)); checked the newest version, \(ref.name)@\(newest)")
        } else {
            resolved = try executor.resolveModel(store: store, date: day.description, restart: true)
        }
        let plan = try executor.plan(date: day, model: resolved, resolveFiles: !offline)
        let model = plan.model
        if let bundle = resolved.bundle {
            lines.append("model: bundle \(bundle.directory)\(resolved.alias.map { " (alias \($0))" } ?? "") verified: files match their sha256, \(bundle.manifest.golden.rows) golden rows re-scored within tolerance")
        }
        lines.append("model: \(resolved.modelPath) (\(model.summary), \(model.features.count) input columns)")
        // Challengers and a split's challenger: resolved and verified like the champion.
        for (role, ref) in job.challengers.map({ ("shadow challenger", $0) }) + (job.split.map { [("split challenger", $0.challenger)] } ?? []) {
            let version: String
            if store == nil, !registry.exists(name: ref.name, version: ref.selector), ModelReference.isAliasName(ref.selector),
               let newest = registry.versions(of: ref.name).last {
                version = newest
            } else {
                version = try registry.resolve(ref, store: store).version
            }
            let bundle = try ModelBundle(directory: registry.directory(name: ref.name, version: version))
            let (challenger, check) = try bundle.verify()
            let missing = plan.layoutColumns.map(\.name).filter { name in !challenger.outputColumns(includeMargin: true).contains { $0.name == name } }
            if !missing.isEmpty { throw ScoreError("\(role) \(ref) lacks the output column(s) \(missing.joined(separator: ", ")) the champion writes") }
            lines.append("\(role): \(ref.name)@\(version) verified (\(check.rows) golden rows)")
        }
        if offline {
            lines.append("output columns: \((job.keys + plan.layoutColumns.map(\.name) + OutputLineage.columns).joined(separator: ", "))")
            lines.append("sink: \(executor.sinkDescription(date: day)) (\(job.writeMode.rawValue)); run store: \(job.statePostgres != nil ? "postgres" : job.state)")
            if let s = job.schedule {
                lines.append("schedule: \(s.cron) in \(s.timeZone.identifier); next run \(s.cron.next(after: Date(), in: s.timeZone).map(Timestamp.format) ?? "never")")
            }
            return Report(lines: lines)
        }
        if case let .postgres(settings, query, key) = job.source {
            let source = try PostgresSource(settings: settings, query: query, key: key, date: day, job: job,
                                            features: model.features.map(\.name), resumeAfter: nil)
            defer { source.close() }
            do {
                _ = try FeatureEncoder(features: model.features, header: source.header)
            } catch {
                throw ScoreError("source query: \(error.description)")
            }
            lines.append("source for \(day): \(source.description) returns \(source.header.joined(separator: ", "))")
        }
        for file in plan.files {
            let reader = try CSVReader(path: file)
            do {
                _ = try FeatureEncoder(features: model.features, header: reader.header)
            } catch {
                throw InputError(path: file, line: 1, message: error.description)
            }
            for k in job.keys where !reader.header.contains(k) {
                throw InputError(path: file, line: 1, message: "key column '\(k)' is not in the header")
            }
        }
        if !plan.files.isEmpty { lines.append("source for \(day): \(plan.files.count) file(s): \(plan.files.joined(separator: ", "))") }
        lines.append("output columns: \((job.keys + plan.layoutColumns.map(\.name) + OutputLineage.columns).joined(separator: ", "))")
        lines.append("sink: \(executor.sinkDescription(date: day)) (\(job.writeMode.rawValue)); run store: \(job.statePostgres != nil ? "postgres" : job.state)")
        if let s = job.schedule {
            let next = s.cron.next(after: Date(), in: s.timeZone)
            lines.append("schedule: \(s.cron) in \(s.timeZone.identifier); next run \(next.map(Timestamp.format) ?? "never")")
        }
        return Report(lines: lines)
    }
}
