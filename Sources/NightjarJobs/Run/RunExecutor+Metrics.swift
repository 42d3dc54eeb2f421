import Foundation
import Logging

extension RunExecutor {
    /// Writes the job's metrics after a run ended (succeeded, failed or interrupted). A metrics
    /// target that cannot be written is logged, never a reason to fail a run that scored its rows.
    /// What follows every run, whatever its outcome: the rollback policy, then the metrics.
    func afterRun(_ r: RunRecord, store: RunStore) {
        applyRollbackPolicy(r, store: store)
        exportMetrics(r, store: store)
    }

    func exportMetrics(_ r: RunRecord, store: RunStore) {
        guard job.metrics.textfile != nil || job.metrics.pushgateway != nil else { return }
        let metrics = RunExecutor.metrics(for: r, job: job, store: store)
        if let path = job.metrics.textfile {
            do {
                try MetricsExporter.writeTextfile(metrics, to: path)
            } catch {
                logger.warning("could not write the metrics file", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        if let url = job.metrics.pushgateway {
            do {
                try MetricsExporter.push(metrics, to: url)
            } catch {
                logger.warning("could not push metrics", metadata: ["url": "\(url)", "error": "\(error)"])
            }
        }
    }

    /// The job's automatic rollback: a newly promoted champion that broke a bound in this run hands
    /// its alias back to the previous version (the next run uses it). Recorded in the run store.
    func applyRollbackPolicy(_ r: RunRecord, store: RunStore) {
        guard let policy = job.rollback, r.status != .interrupted else { return }
        do {
            if let event = try ModelAliases(registry: ModelRegistry(root: job.registry), store: store).applyRollbackPolicy(policy, run: r, job: job.name) {
                logger.error("rolled the model alias back", metadata: [
                    "model": "\(event.model)", "alias": "\(event.alias)", "from": "\(event.previousVersion ?? "")", "to": "\(event.version)",
                    "reason": "\(event.reason ?? "")"])
            }
        } catch {
            logger.error("automatic rollback failed", metadata: ["run_id": "\(r.runID)", "error": "\(error)"])
        }
    }

    static func metrics(for r: RunRecord, job: JobSpec, store: RunStore) -> RunMetrics {
        let ended = r.endedAt.flatMap(Timestamp.parse) ?? Date()
        var lastSuccess: Double? = nil
        var lastSuccessRows: Int? = nil
        if r.status == .succeeded {
            lastSuccess = ended.timeIntervalSince1970
            lastSuccessRows = r.rowsWritten
        } else if let previous = try? store.recentRuns(job: job.name, limit: 500).first(where: { $0.status == .succeeded }) {
            lastSuccess = previous.endedAt.flatMap(Timestamp.parse)?.timeIntervalSince1970
            lastSuccessRows = previous.rowsWritten
        }
        let psi = ((try? store.featureStats(runID: r.runID)) ?? []).reduce(into: [String: Double]()) { $0[$1.feature] = $1.psi }
        let shadows = (try? store.shadowComparisons(runID: r.runID)) ?? []
        var metrics = RunMetrics(
            job: job.name, status: r.status.rawValue, logicalDate: r.logicalDate, modelVersion: r.modelVersion ?? "",
            durationSeconds: RunReport.duration(r) ?? 0,
            rows: ["read": r.rowsRead, "scored": r.rowsScored, "written": publishedRows(r, job: job), "rejected": r.rowsRejected],
            rejectedRows: r.rowsRejected, featurePSI: psi, predictionPSI: r.predictionPSI, lastSuccessTimestamp: lastSuccess,
            endTimestamp: ended.timeIntervalSince1970)
        metrics.modelName = r.modelName ?? ""
        metrics.nightjarVersion = r.nightjarVersion ?? ""
        metrics.driftStatus = r.driftStatus?.rawValue
        metrics.lastSuccessRowsWritten = lastSuccessRows
        if let ref = job.model.reference {
            metrics.autoRollbacks = ((try? store.aliasEvents(model: ref.name, alias: r.modelAlias ?? ref.selector)) ?? [])
                .filter { $0.action == .autoRollback }.count
        }
        // The latest evaluated date's outcomes: an alert on AUC keeps its series between evaluations.
        if let evaluations = try? store.evaluations(job: job.name, from: nil, to: nil), let last = evaluations.last?.logicalDate {
            metrics.evaluations = evaluations.filter { $0.logicalDate == last }
        }
        for s in shadows {
            metrics.shadowFlipRate[s.challenger] = s.flipRate
            metrics.shadowPredictionPSI[s.challenger] = s.predictionPSI
        }
        return metrics
    }

    /// Rows the run made visible to readers. A replace_partition run publishes its partition only
    /// when it succeeds: a failed (drift or reject gate, error) or interrupted run published
    /// nothing, whatever it had staged. An append run's chunks are in the table as they commit.
    static func publishedRows(_ r: RunRecord, job: JobSpec) -> Int {
        if r.status == .succeeded || job.writeMode == .append { return r.rowsWritten }
        return 0
    }
}
