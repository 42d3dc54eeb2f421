import Foundation
import NightjarCore

/// How one model version and arm did on one logical date once its outcomes were known
/// (`nightjar_evaluations`, written by `nightjar evaluate`). Metrics that a task does not have, or
/// that are undefined on the matched rows (AUC with one class, precision with nothing predicted
/// positive), are nil — never 0. Re-evaluating a date (more labels arrived) replaces its rows.
public struct EvaluationRecord: Sendable, Equatable, Codable {
    /// Where the rows came from: the champion's rows, a shadow challenger's, or a split's challenger.
    public enum Arm: String, Sendable, Codable, CaseIterable {
        case champion, challenger, split
    }

    public var job: String
    public var logicalDate: String
    public var modelName: String
    public var modelVersion: String
    public var arm: Arm
    /// The run that published the rows.
    public var runID: String
    public var evaluatedAt: String
    /// binary | multiclass | regression
    public var task: String
    /// The labels' source as given (a path or `postgres:` and the query), and their column.
    public var labelsSource: String
    public var labelColumn: String
    /// The job's threshold (binary classifiers), for accuracy, precision and recall.
    public var threshold: Double?

    /// Rows of this version and arm published for the date; those with a usable label; the rest.
    public var rowsScored: Int
    public var rowsMatched: Int
    public var rowsUnlabelled: Int
    /// Matched rows whose label is positive (binary).
    public var positives: Int?

    /// The date's labels (the same on every arm of a date): rows read, empty labels, rows repeating
    /// a key with the same label, keys given different labels (left out), labels of keys never scored.
    public var labelsRead: Int
    public var labelsMissing: Int
    public var labelsDuplicate: Int
    public var labelsConflicting: Int
    public var labelsUnscored: Int

    public var auc: Double?
    public var logLoss: Double?
    public var brier: Double?
    public var ece: Double?
    public var accuracy: Double?
    public var precision: Double?
    public var recall: Double?
    public var rmse: Double?
    public var mae: Double?
    public var r2: Double?
    /// Ten reliability bins (binary): `[lower, upper, rows, mean predicted, observed rate]`, JSON.
    public var calibration: [CalibrationBin]

    /// The comparison with the champion (challenger and split arms): which metric, the version it
    /// was compared with, the difference (this arm − champion) and its 95% confidence interval.
    public var comparedWith: String?
    public var differenceMetric: String?
    public var difference: Double?
    public var differenceLow: Double?
    public var differenceHigh: Double?
    public var significant: Bool?

    public init(job: String, logicalDate: String, modelName: String, modelVersion: String, arm: Arm, runID: String,
                evaluatedAt: String, task: String, labelsSource: String, labelColumn: String) {
        self.job = job
        self.logicalDate = logicalDate
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.arm = arm
        self.runID = runID
        self.evaluatedAt = evaluatedAt
        self.task = task
        self.labelsSource = labelsSource
        self.labelColumn = labelColumn
        rowsScored = 0; rowsMatched = 0; rowsUnlabelled = 0
        labelsRead = 0; labelsMissing = 0; labelsDuplicate = 0; labelsConflicting = 0; labelsUnscored = 0
        calibration = []
    }

    enum CodingKeys: String, CodingKey {
        case job, logicalDate = "logical_date", modelName = "model", modelVersion = "version", arm, runID = "run_id"
        case evaluatedAt = "evaluated_at", task, labelsSource = "labels_source", labelColumn = "label_column", threshold
        case rowsScored = "rows_scored", rowsMatched = "rows_matched", rowsUnlabelled = "rows_unlabelled", positives
        case labelsRead = "labels_read", labelsMissing = "labels_missing", labelsDuplicate = "labels_duplicate"
        case labelsConflicting = "labels_conflicting", labelsUnscored = "labels_unscored"
        case auc, logLoss = "log_loss", brier, ece, accuracy, precision, recall, rmse, mae, r2, calibration
        case comparedWith = "compared_with", differenceMetric = "difference_metric", difference
        case differenceLow = "difference_low", differenceHigh = "difference_high", significant
    }

    /// Every key, nil values included (`null` in JSON: "undefined", not absent).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job, forKey: .job); try c.encode(logicalDate, forKey: .logicalDate)
        try c.encode(modelName, forKey: .modelName); try c.encode(modelVersion, forKey: .modelVersion)
        try c.encode(arm, forKey: .arm); try c.encode(runID, forKey: .runID); try c.encode(evaluatedAt, forKey: .evaluatedAt)
        try c.encode(task, forKey: .task); try c.encode(labelsSource, forKey: .labelsSource); try c.encode(labelColumn, forKey: .labelColumn)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(rowsScored, forKey: .rowsScored); try c.encode(rowsMatched, forKey: .rowsMatched)
        try c.encode(rowsUnlabelled, forKey: .rowsUnlabelled); try c.encode(positives, forKey: .positives)
        try c.encode(labelsRead, forKey: .labelsRead); try c.encode(labelsMissing, forKey: .labelsMissing)
        try c.encode(labelsDuplicate, forKey: .labelsDuplicate); try c.encode(labelsConflicting, forKey: .labelsConflicting)
        try c.encode(labelsUnscored, forKey: .labelsUnscored)
        try c.encode(auc, forKey: .auc); try c.encode(logLoss, forKey: .logLoss); try c.encode(brier, forKey: .brier)
        try c.encode(ece, forKey: .ece); try c.encode(accuracy, forKey: .accuracy); try c.encode(precision, forKey: .precision)
        try c.encode(recall, forKey: .recall); try c.encode(rmse, forKey: .rmse); try c.encode(mae, forKey: .mae)
        try c.encode(r2, forKey: .r2); try c.encode(calibration, forKey: .calibration)
        try c.encode(comparedWith, forKey: .comparedWith); try c.encode(differenceMetric, forKey: .differenceMetric)
        try c.encode(difference, forKey: .difference); try c.encode(differenceLow, forKey: .differenceLow)
        try c.encode(differenceHigh, forKey: .differenceHigh); try c.encode(significant, forKey: .significant)
    }

    /// The comparison with the champion in words: `auc +0.0123 [+0.0040, +0.0206] significant`;
    /// nil for the champion or an arm that could not be compared.
    public var differenceSummary: String? {
        guard arm != .champion, let d = difference, let lo = differenceLow, let hi = differenceHigh, let metric = differenceMetric else { return nil }
        return String(format: "%@ %+.4f [%+.4f, %+.4f] %@", metric, d, lo, hi, significant == true ? "significant" : "not significant")
    }

    /// The value of a metric by its name in job files and JSON (`auc`, `log_loss`, …).
    public func metric(_ name: OutcomeMetricName) -> Double? {
        switch name {
        case .auc: auc
        case .logLoss: logLoss
        case .brier: brier
        case .ece: ece
        case .accuracy: accuracy
        case .precision: precision
        case .recall: recall
        case .rmse: rmse
        case .mae: mae
        case .r2: r2
        }
    }
}

/// The outcome metrics a job's rules and the JSON name.
public enum OutcomeMetricName: String, Sendable, Equatable, CaseIterable, Codable {
    case auc
    case logLoss = "log_loss"
    case brier, ece, accuracy, precision, recall, rmse, mae, r2

    /// Whether a larger value is better (AUC, accuracy, precision, recall, R²) or worse (losses, errors).
    public var higherIsBetter: Bool {
        switch self {
        case .auc, .accuracy, .precision, .recall, .r2: true
        case .logLoss, .brier, .ece, .rmse, .mae: false
        }
    }
}
