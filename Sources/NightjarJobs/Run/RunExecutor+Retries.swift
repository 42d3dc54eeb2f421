import Foundation
import Logging
import NightjarCore

extension RunExecutor {
    /// Runs the job for `options.date`, retrying temporary failures (`FailureKind.temporary`:
    /// database unreachable, input not there yet, lock held) as the job's `retries:` says, with
    /// its back-off; every other failure ends the run at once. A retry resumes the failed attempt
    /// from its last committed chunk (`--restart` applies to the first attempt only), so retries
    /// never write a row twice. `retries: nil` means the job's own.
    ///
    /// The scheduler retries the same way; this is what `nightjar run` and `backfill` use under
    /// cron or a Kubernetes CronJob, where nothing else would.
    @discardableResult
    public func runRetrying(_ options: RunOptions, retries: JobSpec.Retries? = nil) throws -> RunRecord {
        let retries = retries ?? job.retries
        var options = options
        var retry = 0
        while true {
            do {
                return try run(options)
            } catch {
                guard retry < retries.count, RunExecutor.isRetryable(error) else { throw error }
                retry += 1
                let delay = retries.delay(beforeRetry: retry)
                logger.warning("run failed; will retry", metadata: [
                    "job": "\(job.name)", "logical_date": "\(options.date)", "retry": "\(retry)/\(retries.count)",
                    "in_seconds": "\(delay)", "error": "\(QuotedValue.line("\(error)"))",
                ])
                try sleep(seconds: delay, date: options.date)
                options.restart = false
            }
        }
    }

    /// Whether a failure may go away by itself.
    public static func isRetryable(_ error: Error) -> Bool {
        !(error is RunInterrupted) && FailureKind.of(error) == .temporary
    }

    /// Waits, waking early (as an interrupted run) when the process is asked to stop.
    private func sleep(seconds: Double, date: LogicalDate) throws {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            if let signal = cancellation.requested {
                throw RunInterrupted(signal: signal, runID: "for \(job.name) \(date) (waiting to retry)")
            }
            Thread.sleep(forTimeInterval: min(0.1, max(0, until.timeIntervalSinceNow)))
        }
    }
}
