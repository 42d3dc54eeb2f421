import ArgumentParser
import Foundation
import NightjarJobs

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one run's report, or a job's outcomes over a range of dates, as a self-contained HTML page.",
        discussion: """
            nightjar report RUN_ID --html F: summary, score histogram against the training reference, drift per feature, \
            reject reasons, shadow challengers, outcomes (once nightjar evaluate ran) and model lineage. \
            nightjar report --job JOB.yaml --from D --to D --html F: AUC (RMSE for regressors) per night per model version \
            and arm, and every evaluation. No scripts, no external resources.
            """)
    @Argument(help: "Run id (leave out with --from/--to).") var runID: String?
    @Option(help: "The HTML file to write.") var html: String
    @Option(help: "First logical date of an outcomes report (with --to and --job).") var from: String?
    @Option(help: "Last logical date of an outcomes report, inclusive.") var to: String?
    @OptionGroup var store: Runs.StoreOptions

    func validate() throws {
        if (from == nil) != (to == nil) { throw ValidationError("give both --from and --to, or neither") }
        if from != nil {
            guard runID == nil else { throw ValidationError("give a run id or --from/--to, not both") }
            guard store.job != nil else { throw ValidationError("an outcomes report (--from/--to) needs --job JOB.yaml") }
            for (name, value) in [("--from", from!), ("--to", to!)] where LogicalDate(value) == nil {
                throw ValidationError("\(name) must be YYYY-MM-DD, got '\(value)'")
            }
        } else if runID == nil {
            throw ValidationError("give a run id (nightjar runs lists them), or --job JOB.yaml --from D --to D for an outcomes report")
        }
    }

    func run() throws {
        try runReportingErrors {
            let (s, job) = try store.open()
            let page: String
            if let from, let to {
                page = HTMLReport.renderOutcomes(job: job ?? "", from: from, to: to, records: try s.evaluations(job: job ?? "", from: from, to: to))
            } else {
                let thresholds = try store.job.map { try JobSpec.load(path: $0).drift } ?? JobSpec.DriftThresholds()
                page = HTMLReport.render(try RunReportData.load(runID: runID ?? "", store: s, thresholds: thresholds))
            }
            let url = URL(fileURLWithPath: html)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(page.utf8).write(to: url, options: .atomic)
        }
        print("wrote \(html)")
    }
}
