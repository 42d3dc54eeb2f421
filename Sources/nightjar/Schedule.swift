import ArgumentParser
import NightjarJobs

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scheduler in the foreground: every job file in DIR on its cron schedule.")

    @Argument(help: "Directory of job files.")
    var directory: String = "jobs"

    func run() throws {
        let cancellation = Cancellation()
        SignalTrap.install(cancellation)
        let scheduler = Scheduler(directory: directory, logger: makeLogger(quiet: false, level: .info), cancellation: cancellation)
        scheduler.runForever()
    }
}
