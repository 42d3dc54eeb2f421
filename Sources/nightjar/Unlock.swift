import ArgumentParser
import Foundation
import NightjarJobs

struct Unlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a job's lock for a date whose run is gone (its process ended, its lease expired).",
        discussion: """
            A run holds its (job, date) lock with a lease it renews while it works (SQLite run stores; \
            in PostgreSQL the server session holds it). A lock whose holder is gone is taken over by the \
            next run anyway once its lease expires; unlock removes it at once. A lock whose holder may be \
            alive (its process exists on this host, its lease is being renewed, a PostgreSQL session holds \
            it) is refused (exit 75) unless --force, which makes that run stop at its next lease renewal, before committing more. \
            Every removal is recorded in the run store (nightjar_lock_events) and the run it held is \
            marked interrupted.
            """)

    @Argument(help: "Job file (YAML).")
    var job: String

    @Option(help: "Logical date whose lock to remove: YYYY-MM-DD, today or yesterday.")
    var date: String

    @Flag(help: "Remove the lock even if its holder may be alive.")
    var force = false

    @Option(help: "Run store file (default: the job's `state`).")
    var state: String?

    func run() throws {
        let spec = try runReportingErrors { try JobSpec.load(path: job) }
        guard let day = LogicalDate(argument: date, in: spec.timeZone) else {
            throw ValidationError("--date must be YYYY-MM-DD, today or yesterday; got '\(date)'")
        }
        let lines = try runReportingErrors { try LockRelease.unlock(job: spec, date: day, force: force, statePath: state) }
        for line in lines { print(line) }
    }
}
