import ArgumentParser
import Foundation
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

    func validate() throws {
        guard LogicalDate(from) != nil else { throw ValidationError("--from must be YYYY-MM-DD, got '\(from)'") }
        guard LogicalDate(to) != nil else { throw ValidationError("--to must be YYYY-MM-DD, got '\(to)'") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
    }

    func run() throws {
        let spec = try runReportingErrors { try JobSpec.load(path: job) }
        let backfill = Backfill(job: spec, from: LogicalDate(from)!, to: LogicalDate(to)!, rerun: rerun, parallel: parallel, statePath: state)
        let plan = try runReportingErrors { try backfill.plan() }
        if dryRun {
            for d in plan.toRun { print("would run \(spec.name) for \(d)") }
            for d in plan.skipped { print("skip \(spec.name) for \(d) (already succeeded; --rerun to run it again)") }
            print("\(plan.toRun.count) to run, \(plan.skipped.count) skipped")
            return
        }
        for d in plan.skipped { print("skip \(d): already succeeded") }
        let cancellation = Cancellation()
        SignalTrap.install(cancellation)
        let failures = FailureCount()
        try runReportingErrors(cancellation: cancellation) {
            try backfill.run(logger: makeLogger(quiet: false, level: .warning), cancellation: cancellation) { date, result in
                switch result {
                case .success(let r): print(RunSummary.line(r))
                case .failure(let e):
                    failures.add()
                    FileHandle.standardError.write(Data("error: \(date): \(oneLine(e))\n".utf8))
                }
            }
        }
        if let signal = cancellation.requested { throw ExitCode(128 + signal) }
        print("\(plan.toRun.count - failures.value) succeeded, \(failures.value) failed, \(plan.skipped.count) skipped")
        if failures.value > 0 { throw ExitCode.failure }
    }
}

final class FailureCount: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
