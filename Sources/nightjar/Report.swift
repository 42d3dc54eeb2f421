import ArgumentParser
import Foundation
import NightjarJobs

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one run's report as a self-contained HTML page.",
        discussion: "Summary, score histogram against the training reference, drift per feature, reject reasons and model lineage; no scripts, no external resources.")
    @Argument(help: "Run id.") var runID: String
    @Option(help: "The HTML file to write.") var html: String
    @OptionGroup var store: Runs.StoreOptions

    func run() throws {
        try runReportingErrors {
            let (s, _) = try store.open()
            let thresholds = try store.job.map { try JobSpec.load(path: $0).drift } ?? JobSpec.DriftThresholds()
            let data = try RunReportData.load(runID: runID, store: s, thresholds: thresholds)
            let page = HTMLReport.render(data)
            let url = URL(fileURLWithPath: html)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(page.utf8).write(to: url, options: .atomic)
        }
        print("wrote \(html)")
    }
}
