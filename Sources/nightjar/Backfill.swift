import ArgumentParser
import Foundation
import Logging
import NightjarJobs

struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Run a job once per logical date over a range, skipping dates that already succeeded.")

    @Argument(help: "Job file (YAML).")
    var job: String

    @Option(help: "First logical date, YYYY-MM-DD.")
    var from: String

    @Option(help: "Last logical date, YYYY-MM-DD (inclusive).")
    var to: String

    @Option(help: "Dates run at the same time.")
    var parallel: Int = 1

    @Flag(help: "Also run dates that already succeeded (their rows are replaced).")
    var rerun = false

    @Flag(name: .customLong("dry-run"), help: "List what would run, run nothing.")
    var dryRun = false

    @Option(help: "Run store file (default: the job's `state`).")
    var state: String?

    @OptionGroup var log: LogOptions

    @Flag(name: .customLong("no-retries"), help: "Fail a date at its first temporary failure instead of retrying as the job's `retries:` says.")
    var noRetries = false

    func validate() throws {
        guard LogicalDate(from) != nil else { throw ValidationError("--from must be YYYY-MM-DD, got '\(from)'") }
        guard LogicalDate(to) != nil else { throw ValidationError("--to must be YYYY-MM-DD, got '\(to)'") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
    }

    func run() throws {
        let spec = try runReportingErrors(format: log.logFormat) { try JobSpec.load(path: job) }
        var backfill = Backfill(job: spec, from: LogicalDate(from)!, to: LogicalDate(to)!, rerun: rerun, parallel: parallel, statePath: state)
        backfill.retries = !noRetries
        let plan = try runReportingErrors(format: log.logFormat) { try backfill.plan() }
        if dryRun {
            for d in plan.toRun { print("would run \(spec.name) for \(d)") }
            for d in plan.skipped { print("skip \(spec.name) for \(d) (already succeeded; --rerun to run it again)") }
            print("\(plan.toRun.count) to run, \(plan.skipped.count) skipped")
            return
        }
        let json = log.json
        /// A line on stdout: text, or a JSON record with `metadata`.
        func say(_ text: String, _ message: String, _ metadata: Logger.Metadata) {
            if json {
                print(JSONLogHandler.line(time: Date(), level: .info, message: message, metadata: metadata.merging(["job": "\(spec.name)"]) { $1 }), terminator: "")
            } else {
                print(text)
            }
        }
        for d in plan.skipped { say("skip \(d): already succeeded", "date skipped: already succeeded", ["logical_date": "\(d)"]) }
        let cancellation = Cancellation()
        SignalTrap.install(cancellation)
        let failures = FailureCount()
        try runReportingErrors(cancellation: cancellation, format: log.logFormat) {
            try backfill.run(logger: makeLogger(quiet: false, level: .warning, format: log.logFormat), cancellation: cancellation) { date, result in
                switch result {
                case .success(let r): print(json ? RunSummary.json(r) : RunSummary.line(r), terminator: json ? "" : "\n")
                case .failure(let e):
                    failures.add(ExitStatus.code(for: e))
                    if json {
                        reportError(e, format: .json, context: ["job": "\(spec.name)", "logical_date": "\(date)"])
                    } else {
                        FileHandle.standardError.write(Data("error: \(date): \(oneLine(e))\n".utf8))
                    }
                }
            }
        }
        if let signal = cancellation.requested { throw ExitCode(128 + signal) }
        say("\(plan.toRun.count - failures.value) succeeded, \(failures.value) failed, \(plan.skipped.count) skipped", "backfill finished",
            ["succeeded": "\(plan.toRun.count - failures.value)", "failed": "\(failures.value)", "skipped": "\(plan.skipped.count)"])
        if let status = failures.status { throw ExitCode(status) }
    }
}

/// The failed dates of a backfill, and the exit status they add up to: temporary (75) only when
/// every failure was; otherwise the first other status seen (a retry cannot fix those dates).
final class FailureCount: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    private var permanent: Int32?
    func add(_ status: Int32) {
        lock.lock(); defer { lock.unlock() }
        n += 1
        if status != ExitStatus.temporary, permanent == nil { permanent = status }
    }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    var status: Int32? {
        lock.lock(); defer { lock.unlock() }
        return n == 0 ? nil : permanent ?? ExitStatus.temporary
    }
}
