import Foundation
import NightjarCore
import NightjarIO

extension EvaluationRecord {
    /// `nightjar_evaluations` (`nightjar.evaluations`), in order.
    public static let storeColumns = RunStoreColumns([
        "job", "logical_date", "model_name", "model_version", "arm", "run_id", "evaluated_at", "task",
        "labels_source", "label_column", "threshold",
        "rows_scored", "rows_matched", "rows_unlabelled", "positives",
        "labels_read", "labels_missing", "labels_duplicate", "labels_conflicting", "labels_unscored",
        "auc", "log_loss", "brier", "ece", "accuracy", "precision", "recall", "rmse", "mae", "r2",
        "calibration", "compared_with", "difference_metric", "difference", "difference_low", "difference_high", "significant",
    ], keys: ["job", "logical_date", "model_name", "model_version", "arm"])

    /// The values of `storeColumns`, in order.
    var storeValues: [RunStoreRow.Value] {
        func t(_ s: String?) -> RunStoreRow.Value { s.map { .text($0) } ?? .null }
        func i(_ v: Int?) -> RunStoreRow.Value { v.map { .integer(Int64($0)) } ?? .null }
        func d(_ v: Double?) -> RunStoreRow.Value { v.map { $0.isFinite ? .real($0) : .null } ?? .null }
        let bins = String(decoding: (try? JSONEncoder().encode(calibration)) ?? Data("[]".utf8), as: UTF8.self)
        return [
            t(job), t(logicalDate), t(modelName), t(modelVersion), t(arm.rawValue), t(runID), t(evaluatedAt), t(task),
            t(labelsSource), t(labelColumn), d(threshold),
            i(rowsScored), i(rowsMatched), i(rowsUnlabelled), i(positives),
            i(labelsRead), i(labelsMissing), i(labelsDuplicate), i(labelsConflicting), i(labelsUnscored),
            d(auc), d(logLoss), d(brier), d(ece), d(accuracy), d(precision), d(recall), d(rmse), d(mae), d(r2),
            t(bins), t(comparedWith), t(differenceMetric), d(difference), d(differenceLow), d(differenceHigh),
            i(significant.map { $0 ? 1 : 0 }),
        ]
    }

    public init(row r: RunStoreRow) throws {
        guard let arm = Arm(rawValue: try r.string("arm")) else {
            throw r.failure("arm", "holds \(QuotedValue.quote(try r.string("arm"))), not champion, challenger or split")
        }
        self.init(job: try r.string("job"), logicalDate: try r.string("logical_date"), modelName: try r.string("model_name"),
                  modelVersion: try r.string("model_version"), arm: arm, runID: try r.string("run_id"),
                  evaluatedAt: try r.string("evaluated_at"), task: try r.string("task"),
                  labelsSource: try r.string("labels_source"), labelColumn: try r.string("label_column"))
        threshold = try r.optionalDouble("threshold")
        rowsScored = try r.int("rows_scored"); rowsMatched = try r.int("rows_matched"); rowsUnlabelled = try r.int("rows_unlabelled")
        positives = try r.optionalInt("positives")
        labelsRead = try r.int("labels_read"); labelsMissing = try r.int("labels_missing")
        labelsDuplicate = try r.int("labels_duplicate"); labelsConflicting = try r.int("labels_conflicting")
        labelsUnscored = try r.int("labels_unscored")
        auc = try r.optionalDouble("auc"); logLoss = try r.optionalDouble("log_loss"); brier = try r.optionalDouble("brier")
        ece = try r.optionalDouble("ece"); accuracy = try r.optionalDouble("accuracy")
        precision = try r.optionalDouble("precision"); recall = try r.optionalDouble("recall")
        rmse = try r.optionalDouble("rmse"); mae = try r.optionalDouble("mae"); r2 = try r.optionalDouble("r2")
        if let text = try r.optionalString("calibration") {
            guard let bins = try? JSONDecoder().decode([CalibrationBin].self, from: Data(text.utf8)) else {
                throw r.failure("calibration", "holds \(QuotedValue.quote(String(text.prefix(60)))), not a JSON list of bins")
            }
            calibration = bins
        }
        comparedWith = try r.optionalString("compared_with"); differenceMetric = try r.optionalString("difference_metric")
        difference = try r.optionalDouble("difference")
        differenceLow = try r.optionalDouble("difference_low"); differenceHigh = try r.optionalDouble("difference_high")
        significant = try r.optionalInt("significant").map { $0 != 0 }
    }
}
