import Dispatch
import Foundation
import Logging

/// One run per logical date over a range, skipping dates that already succeeded.
public struct Backfill {
    public struct Plan: Sendable, Equatable {
        public var toRun: [LogicalDate]
        public var skipped: [LogicalDate]
    }

    public let job: JobSpec
    public let from: LogicalDate
    public let to: LogicalDate
    public var rerun = false
    public var parallel = 1
    public var statePath: String?
    /// Retry temporary failures of each date as the job's `retries:` says (`--no-retries`: off).
    public var retries = true

    public init(job: JobSpec, from: LogicalDate, to: LogicalDate, rerun: Bool = false, parallel: Int = 1, statePath: String? = nil) {
        self.job = job
        self.from = from
        self.to = to
        self.rerun = rerun
        self.parallel = max(1, parallel)
        self.statePath = statePath
    }

    public func plan() throws -> Plan {
        guard from <= to else { throw ScoreError("--from \(from) is after --to \(to)") }
        var dates: [LogicalDate] = []
        var d = from
        while d <= to {
            dates.append(d)
            d = d.adding(days: 1)
            if dates.count > 100_000 { throw ScoreError("the date range is too long") }
        }
        let done = rerun ? [] : try RunStores.open(for: job, override: statePath).succeededDates(job: job.name)
        return Plan(toRun: dates.filter { !done.contains($0.description) }, skipped: dates.filter { done.contains($0.description) })
    }

    /// Runs the plan; returns each date's outcome (the error text for failures).
    public func run(logger: Logger, cancellation: Cancellation,
                    onFinish: @escaping @Sendable (LogicalDate, Result<RunRecord, Error>) -> Void) throws {
        let plan = try plan()
        let dates = plan.toRun
        let next = NextIndex()
        let job = self.job
        let statePath = self.statePath
        let rerun = self.rerun
        let retries = self.retries ? job.retries : .none
        DispatchQueue.concurrentPerform(iterations: min(parallel, max(dates.count, 1))) { _ in
            while let i = next.take(limit: dates.count) {
                if cancellation.requested != nil { return }
                let executor = RunExecutor(job: job, logger: logger, cancellation: cancellation)
                do {
                    let record = try executor.runRetrying(RunOptions(date: dates[i], trigger: .backfill, restart: rerun, wait: true, statePath: statePath),
                                                          retries: retries)
                    onFinish(dates[i], .success(record))
                } catch {
                    onFinish(dates[i], .failure(error))
                }
            }
        }
    }
}

final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        defer { value += 1 }
        return value
    }
}
