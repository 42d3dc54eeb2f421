import ArgumentParser
import Foundation
import NightjarJobs

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join real outcomes to what a job published and measure each model version and arm.",
        discussion: """
            Labels are joined by the job's key to the rows the job published for the date (its SQLite or PostgreSQL \
            sink): the champion's, each shadow challenger's and a split's challenger's. Binary classifiers get ROC AUC, \
            log loss, Brier score, expected calibration error (10 bins) and accuracy/precision/recall at the job's \
            threshold; multi-class log loss, accuracy and macro AUC; regressors RMSE, MAE and R². Challengers are \
            compared with the champion with a 95% confidence interval (DeLong for AUC). Results go to the run store \
            (nightjar_evaluations), the job's metrics and `nightjar report`; the job's promote_when/rollback_when rules \
            are then applied. Labels with duplicate or conflicting keys, labels of keys never scored and rows never \
            labelled are counted, never dropped silently.
            """)

    @Argument(help: "Job file (YAML).") var job: String
    @Option(help: "Logical date, YYYY-MM-DD, today or yesterday (default: yesterday).") var date: String?
    @Option(help: "First logical date of a range (with --to); dates without labels yet are \"not yet evaluated\".") var from: String?
    @Option(help: "Last logical date of a range, inclusive.") var to: String?
    @Option(help: "The outcomes: a CSV file (may use {{ ds }}), or postgres:QUERY (may use {{ ds }}).") var labels: String
    @Option(name: .customLong("label-column"), help: "The column holding the outcome: 0/1 or true/false (binary), a class index (multi-class), a number (regression).") var labelColumn: String
    @Option(name: .customLong("labels-dsn-env"), help: "Environment variable holding the connection string for postgres: labels (default: the job's PostgreSQL source, sink or run store, else NIGHTJAR_PG_DSN).") var labelsDsnEnv: String?
    @Option(help: "Run store file (default: the job's `state`).") var state: String?
    @Flag(help: "One JSON object per model version, arm and date, one per line.") var json = false
    @Flag(name: .customLong("dry-run"), help: "Decide the job's promote_when/rollback_when rules but move no alias.") var dryRun = false

    func validate() throws {
        if (from == nil) != (to == nil) { throw ValidationError("give both --from and --to, or neither") }
        if from != nil, date != nil { throw ValidationError("give --date or --from/--to, not both") }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, LogicalDate(value) == nil { throw ValidationError("\(name) must be YYYY-MM-DD, got '\(value)'") }
        }
        if let from, let to, LogicalDate(from)! > LogicalDate(to)! { throw ValidationError("--from \(from) is after --to \(to)") }
    }

    func run() throws {
        let spec = try runReportingErrors { try JobSpec.load(path: job) }
        var dates: [LogicalDate]
        if let from, let to {
            dates = []
            var d = LogicalDate(from)!
            while d <= LogicalDate(to)! { dates.append(d); d = d.adding(days: 1) }
        } else if let date {
            guard let d = LogicalDate(argument: date, in: spec.timeZone) else { throw ValidationError("--date must be YYYY-MM-DD, today or yesterday; got '\(date)'") }
            dates = [d]
        } else {
            dates = [LogicalDate.forRun(startingAt: Date(), in: spec.timeZone)]
        }
        try runReportingErrors {
            let store = try RunStores.open(for: spec, override: state)
            let evaluator = OutcomeEvaluator(job: spec, labels: .parse(labels, job: spec, dsnEnv: labelsDsnEnv),
                                             labelColumn: labelColumn, store: store)
            var evaluated = 0
            for d in dates {
                let result = try evaluator.evaluate(date: d, required: dates.count == 1)
                if !result.records.isEmpty { evaluated += 1 }
                if json {
                    if !result.records.isEmpty { print(EvaluationTable.jsonLines(result.records)) }
                } else {
                    print(EvaluationTable.render(result, job: spec.name))
                    if dates.count > 1 { print("") }
                }
            }
            guard evaluated > 0 else { return }
            for warning in evaluator.exportMetrics() { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            for decision in try evaluator.applyRules(through: nil, apply: !dryRun) {
                let line: String
                switch decision.action {
                case .promote:
                    line = decision.event.map { "promoted \($0.model) \($0.version) to @\($0.alias) (was \($0.previousVersion ?? "unset")): \(decision.evidence)" }
                        ?? "would promote (--dry-run): \(decision.evidence)"
                case .rollback:
                    line = decision.event.map { "rolled \($0.model)@\($0.alias) back to \($0.version) (was \($0.previousVersion ?? "")): \(decision.evidence)" }
                        ?? "would roll back (--dry-run): \(decision.evidence)"
                case .none:
                    line = "\(decision.rule): \(decision.evidence)"
                }
                // Decisions are results: on stdout with the table; JSON output keeps stdout to records.
                if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
            }
        }
    }
}
