import Foundation
import NightjarCore
import NightjarIO

/// `nightjar validate`: checks the job file, its model and its source for a date, without scoring.
public enum JobValidator {
    public struct Report: Sendable {
        public var lines: [String]
    }

    public static func validate(path: String, date: LogicalDate?) throws -> Report {
        let job = try JobSpec.load(path: path)
        var lines = ["job \(job.name): \(path) is valid"]
        let executor = RunExecutor(job: job)
        let day = date ?? LogicalDate.forRun(startingAt: Date(), in: job.timeZone)
        // Aliases live in the run store; without one yet, only versions can be resolved.
        var store: RunStore? = nil
        if job.model.reference != nil {
            if job.statePostgres != nil {
                store = try? RunStores.open(for: job)
            } else if FileManager.default.fileExists(atPath: job.state) {
                store = try? SQLiteRunStore(existing: job.state)  // validating creates no file
            }
        }
        var resolved: RunExecutor.ResolvedModel
        do {
            resolved = try executor.resolveModel(store: store, date: day.description, restart: true)
        } catch let error where job.model.reference != nil {
            // An alias not set yet: check the newest version, and say so.
            let ref = job.model.reference!
            let registry = ModelRegistry(root: job.registry)
            guard let newest = registry.versions(of: ref.name).last else { throw error }
            var spec = job
            spec.model.reference = ModelReference(name: ref.name, selector: newest)
            resolved = try RunExecutor(job: spec).resolveModel(store: nil, date: day.description, restart: true)
            lines.append("model: \(ref) is not set (\(error)); checked the newest version, \(ref.name)@\(newest)")
        }
        let plan = try executor.plan(date: day, model: resolved)
        let model = plan.model
        if let bundle = resolved.bundle {
            lines.append("model: bundle \(bundle.directory)\(resolved.alias.map { " (alias \($0))" } ?? "") verified: files match their sha256, \(bundle.manifest.golden.rows) golden rows re-scored within tolerance")
        }
        lines.append("model: \(resolved.modelPath) (\(model.summary), \(model.features.count) input columns)")
        // Challengers and a split's challenger: resolved and verified like the champion.
        for (role, ref) in job.challengers.map({ ("shadow challenger", $0) }) + (job.split.map { [("split challenger", $0.challenger)] } ?? []) {
            let registry = ModelRegistry(root: job.registry)
            let version = (try? registry.resolve(ref, store: store).version) ?? registry.versions(of: ref.name).last
            guard let version else { throw ScoreError("\(role) \(ref): no bundle of \(ref.name) in \(job.registry)") }
            let bundle = try ModelBundle(directory: registry.directory(name: ref.name, version: version))
            let (challenger, check) = try bundle.verify()
            let missing = plan.layoutColumns.map(\.name).filter { name in !challenger.outputColumns(includeMargin: true).contains { $0.name == name } }
            if !missing.isEmpty { throw ScoreError("\(role) \(ref) lacks the output column(s) \(missing.joined(separator: ", ")) the champion writes") }
            lines.append("\(role): \(ref.name)@\(version) verified (\(check.rows) golden rows)")
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
        lines.append("sink: \(executor.sinkDescription(date: day)) (\(job.writeMode.rawValue)); run store: \(job.state)")
        if let s = job.schedule {
            let next = s.cron.next(after: Date(), in: s.timeZone)
            lines.append("schedule: \(s.cron) in \(s.timeZone.identifier); next run \(next.map(Timestamp.format) ?? "never")")
        }
        return Report(lines: lines)
    }
}
