import ArgumentParser
import Foundation
import NightjarJobs

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a job once for one logical date (resuming an unfinished run of that date).")

    @Argument(help: "Job file (YAML).")
    var job: String

    @Option(help: "Logical date: YYYY-MM-DD, today or yesterday, in the job's time zone (default: today).")
    var date: String?

    @Flag(help: "Start over instead of resuming an unfinished run; the date's rows are replaced.")
    var restart = false

    @Flag(help: "Wait for another process running the same job and date instead of failing.")
    var wait = false

    @Option(help: "Run store file (default: the job's `state`).")
    var state: String?

    @Option(help: "Score only share I of N (e.g. 2/8): PostgreSQL rows by a hash of the key, CSV files by position, one CSV file by byte ranges. The shards of a date form one run.")
    var shard: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let spec = try runReportingErrors { try JobSpec.load(path: job) }
        let day: LogicalDate
        if let date {
            guard let d = LogicalDate(argument: date, in: spec.timeZone) else { throw ValidationError("--date must be YYYY-MM-DD, today or yesterday; got '\(date)'") }
            day = d
        } else {
            day = LogicalDate(Date(), in: spec.timeZone)
        }
        var split: Shard? = nil
        if let shard {
            guard let s = Shard(shard) else { throw ValidationError("--shard must be I/N with 1 ≤ I ≤ N, e.g. 2/8; got '\(shard)'") }
            split = s
        }
        let cancellation = Cancellation()
        SignalTrap.install(cancellation)
        let logger = makeLogger(quiet: quiet, level: .info)
        let executor = RunExecutor(job: spec, logger: logger, progress: quiet ? nil : RunProgress(logger: logger), cancellation: cancellation)
        let record = try runReportingErrors(cancellation: cancellation) {
            try executor.run(RunOptions(date: day, trigger: .manual, restart: restart, wait: wait, statePath: state, shard: split))
        }
        if !quiet {
            if let split, record.status != .succeeded {
                print("shard \(split) of run \(record.runID) (\(record.job), \(record.logicalDate)) done; the run completes when every shard has (\(record.rowsWritten) rows so far)")
            } else {
                print(RunSummary.line(record))
            }
        }
    }
}

enum RunSummary {
    static func line(_ r: RunRecord) -> String {
        let seconds = RunReport.duration(r) ?? 0  // active time: a resumed run's downtime excluded
        let rate = seconds > 0 ? Double(r.rowsWritten) / seconds : 0
        var line = String(format: "run %@ (%@, %@): %@, %d rows in %d chunks, %.2f s (%.0f rows/s) → %@",
                          r.runID, r.job, r.logicalDate, r.status.rawValue, r.rowsWritten, r.chunks, seconds, rate, r.sink ?? "-")
        if let version = r.modelVersion, r.bundlePath != nil { line += "; model \(r.modelName ?? "")@\(version)" }
        if r.rowsRejected > 0 { line += "; \(r.rowsRejected) rows rejected" }
        if let d = r.driftStatus, d != "ok" { line += "; drift \(d) (nightjar runs show \(r.runID))" }
        return line
    }
}
