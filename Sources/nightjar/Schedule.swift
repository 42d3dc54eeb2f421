import ArgumentParser
import Foundation
import NightjarJobs

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scheduler in the foreground: every job file in DIR on its cron schedule.")

    @Argument(help: "Directory of job files.")
    var directory: String = "jobs"

    @Option(name: .customLong("leader-dsn-env"),
            help: "Environment variable holding a PostgreSQL connection string: schedulers sharing it elect one leader (advisory lock); the others stand by.")
    var leaderDSNEnv: String?

    @OptionGroup var log: LogOptions

    func run() throws {
        let cancellation = Cancellation()
        SignalTrap.install(cancellation)
        let leader = leaderDSNEnv.map {
            LeaderLock(settings: JobSpec.PostgresSettings(dsnEnv: $0, service: nil),
                       key: URL(fileURLWithPath: directory).standardized.lastPathComponent)
        }
        let scheduler = Scheduler(directory: directory, logger: makeLogger(quiet: false, level: .info, format: log.logFormat), cancellation: cancellation, leader: leader)
        scheduler.runForever()
    }
}
