import Foundation
import Logging

extension RunExecutor {
    /// Drift warnings and rejected rows as log records (text or JSON), not only in the summary
    /// line on stdout: what a log pipeline alerts on. A drift *failure* is the run's error.
    func logQualityWarnings(_ record: RunRecord, store: RunStore) {
        if record.rowsRejected > 0 {
            logger.warning("rows rejected by the input contract", metadata: [
                "job": "\(job.name)", "run_id": "\(record.runID)", "logical_date": "\(record.logicalDate)",
                "rows_rejected": "\(record.rowsRejected)", "rows": "\(record.rowsRead)",
            ])
        }
        guard record.driftStatus == .warn else { return }
        let warned = ((try? store.featureStats(runID: record.runID)) ?? []).filter { $0.status == .warn }
        var metadata: Logger.Metadata = [
            "job": "\(job.name)", "run_id": "\(record.runID)", "logical_date": "\(record.logicalDate)",
            "features": "\(warned.map { "\($0.feature) PSI \(String(format: "%.3f", $0.psi))" }.joined(separator: ", "))",
        ]
        if let p = record.predictionPSI { metadata["prediction_psi"] = "\(String(format: "%.4f", p))" }
        logger.warning("drift warning", metadata: metadata)
    }
}
