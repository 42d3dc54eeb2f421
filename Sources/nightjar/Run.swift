import ArgumentParser
import Foundation
import Logging
import NightjarJobs

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a job once for one logical date (resuming an unfinished run of that date).")

    @Argument(help: "Job file (YAML).")
    var job: String

    @Option(help: "Logical date: YYYY-MM-DD, today or yesterday, in the job's time zone (default: yesterday — a run covers a day that has ended, as scheduled runs do).")
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

    @OptionGroup var log: LogOptions

    @Flag(name: .customLong("no-retries"), help: "Fail at the first temporary failure instead of retrying as the job's `retries:` says (for wrappers that retry themselves).")
    var noRetries = false

    func run() throws {
        let spec = try runReportingErrors(format: log.logFormat) { try JobSpec.load(path: job) }
        let day: LogicalDate
        if let date {
            guard let d = LogicalDate(argument: date, in: spec.timeZone) else { throw ValidationError("--date must be YYYY-MM-DD, today or yesterday; got '\(date)'") }
            day = d
        } else {
            day = LogicalDate.forRun(startingAt: Date(), in: spec.timeZone)
        }
        var split: Shard? = nil
        if let shard {
            guard let s = Shard(shard) else { throw ValidationError("--shard must be I/N with 1 ≤ I ≤ N, e.g. 2/8; got '\(shard)'") }
            split = s
        }
        let cancellation = Cancellation()
        SignalTrap.install(cancellation)
        var logger = makeLogger(quiet: quiet, level: .info, format: log.logFormat)
        logger[metadataKey: "job"] = "\(spec.name)"
        logger[metadataKey: "logical_date"] = "\(day)"
        let progress = quiet ? nil : RunProgress(logger: logger, terminal: !log.json && isatty(2) == 1)
        let executor = RunExecutor(job: spec, logger: logger, progress: progress, cancellation: cancellation)
        let record = try runReportingErrors(cancellation: cancellation, format: log.logFormat) {
            try executor.runRetrying(RunOptions(date: day, trigger: .manual, restart: restart, wait: wait, statePath: state, shard: split),
                                     retries: noRetries ? JobSpec.Retries.none : nil)
        }
        if log.json {
            if !quiet { print(RunSummary.json(record), terminator: "") }
        } else if !quiet {
            if let split, record.status != .succeeded {
                print("shard \(split) of run \(record.runID) (\(record.job), \(record.logicalDate)) done; the run completes when every shard has (\(record.rowsWritten) rows so far)")
            } else {
                print(RunSummary.line(record))
            }
        }
    }
}

enum RunSummary {
    /// The summary as one JSON line (`--log-format json`).
    static func json(_ r: RunRecord) -> String {
        let seconds = RunReport.duration(r) ?? 0
        var metadata: Logger.Metadata = [
            "job": "\(r.job)", "run_id": "\(r.runID)", "logical_date": "\(r.logicalDate)", "status": "\(r.status.rawValue)",
            "rows_written": "\(r.rowsWritten)", "rows_rejected": "\(r.rowsRejected)", "chunks": "\(r.chunks)",
            "seconds": "\(String(format: "%.3f", seconds))", "rows_per_second": "\(seconds > 0 ? Int(Double(r.rowsWritten) / seconds) : 0)",
            "sink": "\(r.sink ?? "")",
        ]
        if let name = r.modelName { metadata["model"] = "\(name)@\(r.modelVersion ?? "")" }
        if let d = r.driftStatus { metadata["drift"] = "\(d.rawValue)" }
        return JSONLogHandler.line(time: Date(), level: .info, message: "run finished", metadata: metadata)
    }

    static func line(_ r: RunRecord) -> String {
        let seconds = RunReport.duration(r) ?? 0  // active time: a resumed run's downtime excluded
        let rate = seconds > 0 ? Double(r.rowsWritten) / seconds : 0
        var line = String(format: "run %@ (%@, %@): %@, %d rows in %d chunks, %.2f s (%.0f rows/s) → %@",
                          r.runID, r.job, r.logicalDate, r.status.rawValue, r.rowsWritten, r.chunks, seconds, rate, r.sink ?? "-")
        if let version = r.modelVersion, r.bundlePath != nil { line += "; model \(r.modelName ?? "")@\(version)" }
        if r.rowsRejected > 0 { line += "; \(r.rowsRejected) rows rejected" }
        if let d = r.driftStatus, d != .ok { line += "; drift \(d.rawValue) (nightjar runs show \(r.runID))" }
        return line
    }
}
