import Foundation
import NightjarCore

extension RunReportData {
    /// Everything the report shows about one run, from the run store and the run's bundle.
    public static func load(runID: String, store: RunStore, thresholds: JobSpec.DriftThresholds = JobSpec.DriftThresholds()) throws -> RunReportData {
        guard let r = try store.run(id: runID).map(store.observed) else {
            throw ScoreError("no run \(runID) in \(store.location); list runs with nightjar runs")
        }
        let bundle = r.bundlePath.flatMap { try? ModelBundle(directory: $0) }
        let reference = try? bundle?.reference()
        let features = try store.featureStats(runID: runID).map { f in
            let ref = reference?.features.first { $0.name == f.feature }
            return FeatureDriftRow(name: f.feature, nullRate: f.nullRate,
                                   referenceNullRate: ref.map { Double($0.nulls) / Double(max(1, $0.count + $0.nulls)) },
                                   mean: f.mean, min: f.min, max: f.max, psi: f.psi, status: f.status.rawValue)
        }
        var histogram: ScoreHistogram? = nil
        if let p = reference?.prediction, let text = r.stats,
           let stats = try? JSONDecoder().decode(ChunkStatistics.self, from: Data(text.utf8)), let current = stats.prediction {
            histogram = ScoreHistogram(column: p.column, edges: p.edges, reference: p.counts, current: current)
        }
        let m = bundle?.manifest
        let lineage = ModelLineage(
            name: r.modelName ?? "-", version: r.modelVersion ?? "-", sha256: r.modelSHA256 ?? "-", path: r.modelPath ?? "-",
            alias: r.modelAlias, format: m?.format, createdAt: m?.created, verifiedBy: m?.verifiedBy, libraries: m?.libraries ?? [:],
            nightjarVersion: r.nightjarVersion ?? "-")
        var data = RunReportData(
            job: r.job, runID: r.runID, logicalDate: r.logicalDate, status: r.status.rawValue, driftStatus: r.driftStatus?.rawValue ?? "ok",
            startedAt: r.startedAt, endedAt: r.endedAt, durationSeconds: RunReport.duration(r),
            rowsRead: r.rowsRead, rowsScored: r.rowsScored, rowsWritten: r.rowsWritten, rowsRejected: r.rowsRejected, error: r.error,
            model: lineage, features: features, predictionPSI: r.predictionPSI, histogram: histogram,
            rejectReasons: try store.rejectCounts(runID: runID).map { RejectReasonCount(column: $0.column, reason: $0.reason, count: $0.count) },
            sampleRejects: try store.rejects(runID: runID, limit: 20).map { RejectSample(key: $0.key, column: $0.column, value: $0.value, reason: $0.reason) },
            driftWarn: thresholds.warn, driftFail: thresholds.fail)
        data.shadows = try store.shadowComparisons(runID: runID)
        data.evaluations = try store.evaluations(job: r.job, from: r.logicalDate, to: r.logicalDate).filter { $0.runID == runID }
        (data.explanations, data.explanationsNote) = RunReportData.explanations(sink: r.sink, runID: runID, modelVersion: r.modelVersion)
        return data
    }
}
