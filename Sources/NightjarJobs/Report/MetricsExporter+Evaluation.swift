extension MetricsExporter {
    /// The latest evaluated date's outcome metrics (`nightjar evaluate`), one series per model
    /// version and arm: `nightjar_evaluation_auc{model, model_version, arm}` and its siblings, so
    /// an alert fires when AUC falls (`nightjar_evaluation_auc{arm="champion"} < 0.7`). A metric
    /// undefined on the date's rows (AUC with one class) has no sample rather than a made-up value.
    static func evaluationFamilies(_ records: [EvaluationRecord], job: [(String, String)]) -> [Family] {
        guard let first = records.first else { return [] }
        func labels(_ r: EvaluationRecord) -> [(String, String)] {
            job + [("model", r.modelName), ("model_version", r.modelVersion), ("arm", r.arm.rawValue)]
        }
        func family(_ name: String, _ help: String, _ value: (EvaluationRecord) -> Double?) -> Family {
            Family(name: "nightjar_evaluation_" + name, help: help,
                   samples: records.compactMap { r in value(r).map { Sample(labels: labels(r), value: $0) } }
                       .sorted { $0.labels.map(\.1).joined(separator: "\u{0}") < $1.labels.map(\.1).joined(separator: "\u{0}") })
        }
        var families = [
            Family(name: "nightjar_evaluation_logical_date_timestamp_seconds",
                   help: "Unix time of 00:00 UTC of the latest logical date whose outcomes were evaluated.",
                   samples: logicalDateTimestamp(first.logicalDate).map { [Sample(labels: job, value: $0)] } ?? []),
            family("rows_matched", "Scored rows of the latest evaluated date that had a label, per model version and arm.") { Double($0.rowsMatched) },
            family("rows_unlabelled", "Scored rows of the latest evaluated date without a usable label, per model version and arm.") { Double($0.rowsUnlabelled) },
            family("auc", "ROC AUC on the latest evaluated date's outcomes (multi-class: macro one-vs-rest).") { $0.auc },
            family("log_loss", "Log loss on the latest evaluated date's outcomes.") { $0.logLoss },
            family("brier_score", "Brier score on the latest evaluated date's outcomes.") { $0.brier },
            family("calibration_error", "Expected calibration error (10 bins) on the latest evaluated date's outcomes.") { $0.ece },
            family("accuracy", "Accuracy at the job's threshold on the latest evaluated date's outcomes.") { $0.accuracy },
            family("rmse", "Root mean squared error on the latest evaluated date's outcomes.") { $0.rmse },
            family("mae", "Mean absolute error on the latest evaluated date's outcomes.") { $0.mae },
        ]
        families.append(Family(name: "nightjar_evaluation_labels",
                               help: "Label rows of the latest evaluated date by what became of them: read, missing (empty), duplicate (a key repeated), conflicting (keys given different labels), unscored (keys never scored).",
                               samples: [("conflicting", first.labelsConflicting), ("duplicate", first.labelsDuplicate), ("missing", first.labelsMissing),
                                         ("read", first.labelsRead), ("unscored", first.labelsUnscored)]
                                   .map { Sample(labels: job + [("kind", $0.0)], value: Double($0.1)) }))
        return families
    }
}
