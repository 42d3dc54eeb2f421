import ArgumentParser
import NightjarJobs

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a job file, its model and its source without scoring.")

    @Argument(help: "Job file (YAML).")
    var job: String

    @Option(help: "Logical date whose source is checked (default: today in the job's time zone).")
    var date: String?

    func run() throws {
        var day: LogicalDate? = nil
        if let date {
            guard let d = LogicalDate(date) else { throw ValidationError("--date must be YYYY-MM-DD, got '\(date)'") }
            day = d
        }
        let report = try runReportingErrors { try JobValidator.validate(path: job, date: day) }
        print(report.lines.joined(separator: "\n"))
    }
}
