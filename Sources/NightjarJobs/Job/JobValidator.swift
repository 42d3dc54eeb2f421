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
        let day = date ?? LogicalDate(Date(), in: job.timeZone)
        // Aliases live in the run store; without one yet, only versions can be resolved.
        let store = job.model.reference == nil ? nil : try? RunStores.open(for: job)
        let resolved = try executor.resolveModel(store: store, date: day.description, restart: true)
        let plan = try executor.plan(date: day, model: resolved)
        let model = plan.model
        if let bundle = resolved.bundle {
            lines.append("model: bundle \(bundle.directory)\(resolved.alias.map { " (alias \($0))" } ?? "") verified: files match their sha256, \(bundle.manifest.golden.rows) golden rows re-scored within tolerance")
        }
        lines.append("model: \(resolved.modelPath) (\(model.format.displayName) \(model.objective), \(model.summary), \(model.features.count) input columns)")
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
        lines.append("output columns: \((job.keys + plan.layoutColumns.map(\.name) + RunExecutor.metadataColumns).joined(separator: ", "))")
        lines.append("sink: \(executor.sinkDescription(date: day)) (\(job.writeMode.rawValue)); run store: \(job.state)")
        if let s = job.schedule {
            let next = s.cron.next(after: Date(), in: s.timeZone)
            lines.append("schedule: \(s.cron) in \(s.timeZone.identifier); next run \(next.map(Timestamp.format) ?? "never")")
        }
        return Report(lines: lines)
    }
}
