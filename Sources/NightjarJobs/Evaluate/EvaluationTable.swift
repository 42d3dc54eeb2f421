import Foundation

/// `nightjar evaluate`'s output: per date, what the labels held, then one line per model version
/// and arm; `--json`: one JSON object per model version, arm and date, one per line.
public enum EvaluationTable {
    static func number(_ v: Double?, _ decimals: Int = 4) -> String { v.map { String(format: "%.\(decimals)f", $0) } ?? "-" }

    /// The difference from the champion: `auc +0.0123 [+0.0040, +0.0206] significant`.
    static func difference(_ r: EvaluationRecord) -> String {
        guard r.arm != .champion else { return "" }
        return r.differenceSummary ?? (r.rowsMatched == 0 ? "" : "not comparable")
    }

    public static func render(_ result: OutcomeEvaluator.DateResult, job: String) -> String {
        var lines: [String] = []
        guard let first = result.records.first else {
            return "\(job) \(result.date): \(result.note ?? "nothing to evaluate")"
        }
        lines.append("\(job) \(result.date): \(first.labelsRead) label rows read from \(first.labelsSource) (column \(first.labelColumn)): "
                     + "\(first.labelsMissing) empty, \(first.labelsDuplicate) repeating a key, \(first.labelsConflicting) key(s) with conflicting labels (left out), "
                     + "\(first.labelsUnscored) for keys never scored")
        if let note = result.note { lines.append(note) }
        var rows: [[String]]
        switch first.task {
        case "binary":
            rows = [["MODEL", "VERSION", "ARM", "SCORED", "MATCHED", "UNLABELLED", "POSITIVES", "AUC", "LOG LOSS", "BRIER", "ECE",
                     "ACCURACY", "PRECISION", "RECALL", "VS CHAMPION (95% CI)"]]
            for r in result.records {
                rows.append([r.modelName, r.modelVersion, r.arm.rawValue, String(r.rowsScored), String(r.rowsMatched), String(r.rowsUnlabelled),
                             r.positives.map(String.init) ?? "-", number(r.auc), number(r.logLoss), number(r.brier), number(r.ece),
                             number(r.accuracy), number(r.precision), number(r.recall), difference(r)])
            }
        case "multiclass":
            rows = [["MODEL", "VERSION", "ARM", "SCORED", "MATCHED", "UNLABELLED", "LOG LOSS", "ACCURACY", "MACRO AUC", "VS CHAMPION (95% CI)"]]
            for r in result.records {
                rows.append([r.modelName, r.modelVersion, r.arm.rawValue, String(r.rowsScored), String(r.rowsMatched), String(r.rowsUnlabelled),
                             number(r.logLoss), number(r.accuracy), number(r.auc), difference(r)])
            }
        default:
            rows = [["MODEL", "VERSION", "ARM", "SCORED", "MATCHED", "UNLABELLED", "RMSE", "MAE", "R²", "VS CHAMPION (95% CI)"]]
            for r in result.records {
                rows.append([r.modelName, r.modelVersion, r.arm.rawValue, String(r.rowsScored), String(r.rowsMatched), String(r.rowsUnlabelled),
                             number(r.rmse, 6), number(r.mae, 6), number(r.r2), difference(r)])
            }
        }
        lines.append(RunReport.align(rows))
        return lines.joined(separator: "\n")
    }

    /// One JSON object a line (sorted keys; undefined metrics are null).
    public static func jsonLines(_ records: [EvaluationRecord]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return records.map { String(decoding: (try? encoder.encode($0)) ?? Data(), as: UTF8.self) }.joined(separator: "\n")
    }
}
