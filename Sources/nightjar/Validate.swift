import ArgumentParser
import NightjarJobs

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a job file, its model and its source without scoring.")

    @Argument(help: "Job file (YAML).")
    var job: String

    @Option(help: "Logical date whose source is checked: YYYY-MM-DD, today or yesterday (default: yesterday in the job's time zone, as `run`).")
    var date: String?

    func run() throws {
        var day: LogicalDate? = nil
        if let date {
            let timeZone = (try? JobSpec.load(path: job))?.timeZone ?? .current  // a bad job file is reported below
            guard let d = LogicalDate(argument: date, in: timeZone) else { throw ValidationError("--date must be YYYY-MM-DD, today or yesterday; got '\(date)'") }
            day = d
        }
        let report = try runReportingErrors { try JobValidator.validate(path: job, date: day) }
        print(report.lines.joined(separator: "\n"))
    }
}
